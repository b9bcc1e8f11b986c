import { describe, expect, test } from '@jest/globals';
import { collab, engineOf, group, modelOf, org, rights, short, user } from './support.ts';

describe('semantics §7 worked example', () => {
  const engine = engineOf(
    modelOf(
      org('acme', { namespaces: ['acme'] }),
      user('alice'),
      user('bob'),
      user('carol'),
      collab('acme/m-alice', 'User/alice', 'Organization/acme', ['RIGHT_ORGANIZATION_INFO', 'RIGHT_APPLICATION_INFO']),
      collab('acme/m-devs', 'UserGroup/devs', 'Organization/acme', ['RIGHT_APPLICATION_ALL']),
      group('devs', { users: ['bob'] }),
      collab('acme/c-carol', 'User/carol', 'Application/app1', ['RIGHT_APPLICATION_LINK']),
    ),
  );
  test('alice on Application/acme/app1: the membership mask ∩ ownerRights', () => {
    expect(rights(engine, 'alice', 'Application/acme/app1')).toEqual(['RIGHT_APPLICATION_INFO']);
  });
  test('alice on Organization/acme', () => {
    expect(rights(engine, 'alice', 'Organization/acme')).toEqual(['RIGHT_ORGANIZATION_INFO']);
  });
  test('bob on any application of namespace acme: all 14 application rights', () => {
    expect(rights(engine, 'bob', 'Application/acme/app1')).toHaveLength(14);
    expect(rights(engine, 'bob', 'Application/acme/other')).toHaveLength(14);
  });
  test('carol on app1: LINK and what it implies', () => {
    expect(short(rights(engine, 'carol', 'Application/acme/app1'))).toEqual(['INFO', 'LINK', 'TRAFFIC_DOWN_WRITE', 'TRAFFIC_READ']);
  });
  test('carol on app2: nothing', () => {
    expect(rights(engine, 'carol', 'Application/acme/app2')).toEqual([]);
  });
});
