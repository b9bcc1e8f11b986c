import { describe, expect, test } from '@jest/globals';
import { parseEntity } from '../../../src/engine/entities.ts';
import { evaluate } from '../../../src/engine/evaluate.ts';
import { organizationStatus } from '../../../src/engine/status.ts';
import { collab, engineOf, group, modelOf, org, user } from './support.ts';

const engine = engineOf(
  modelOf(
    org('acme', { namespaces: ['acme'] }),
    user('alice', { admin: true }),
    user('bob'),
    user('carol'),
    group('staff', { groups: ['devs'] }),
    group('devs', { users: ['bob'] }),
    collab('acme/m-alice', 'User/alice', 'Organization/acme', ['RIGHT_ALL']),
    collab('acme/m-staff', 'UserGroup/staff', 'Organization/acme', ['RIGHT_APPLICATION_INFO']),
    collab('acme/d-carol', 'User/carol', 'Application/app1', ['RIGHT_APPLICATION_LINK']),
    collab('acme/g-staff', 'UserGroup/staff', 'Application/app1', ['RIGHT_APPLICATION_DELETE']),
  ),
);
const paths = (user: string, entity: string, right: string) => evaluate(engine, user, parseEntity(entity, engine.catalog)).paths.get(right) ?? [];

describe('semantics §6 provenance', () => {
  test('direct: the collaboration name', () => {
    expect(paths('carol', 'Application/acme/app1', 'RIGHT_APPLICATION_INFO')).toEqual([{ type: 'direct', collaboration: 'acme/d-carol' }]);
  });
  test('group: the chain of groups down to the user', () => {
    expect(paths('bob', 'Application/acme/app1', 'RIGHT_APPLICATION_DELETE')).toEqual([{ type: 'group', collaboration: 'acme/g-staff', chain: ['staff', 'devs'] }]);
  });
  test('organization: the membership collaboration(s) and the organization grant', () => {
    expect(paths('bob', 'Application/acme/app1', 'RIGHT_APPLICATION_INFO')).toEqual([
      { type: 'organization', organization: 'acme', memberships: [{ collaboration: 'acme/m-staff', organization: 'acme', chain: ['staff', 'devs'] }], grant: 'ownership' },
    ]);
  });
  test('admin and self, next to other paths of the same right', () => {
    const info = paths('alice', 'User/alice', 'RIGHT_USER_INFO').map((p) => p.type);
    expect(info).toEqual(['self', 'admin']);
    const types = paths('alice', 'Application/acme/app1', 'RIGHT_APPLICATION_INFO').map((p) => p.type);
    expect(types).toEqual(['organization', 'admin']);
  });
  test('the organization status summarises authorized users by category (Aspera filters)', () => {
    expect(organizationStatus(engine, 'acme')!.authorizedUsers).toEqual({ all: 3, admins: 1, throughGroups: 1, throughTeams: 0, throughCollaborations: 1, throughEntities: { Application: 2 } });
  });
});
