import { describe, expect, test } from '@jest/globals';
import { collab, engineOf, group, modelOf, org, rights, short, user } from './support.ts';

const acme = org('acme', { namespaces: ['acme'] });

describe('semantics §5 effective rights', () => {
  test('5.1 state: Requested, Rejected and Suspended users hold only their state rights on themselves', () => {
    for (const [state, self] of [
      ['Requested', ['DELETE', 'INFO', 'SETTINGS_BASIC']],
      ['Rejected', ['DELETE', 'INFO']],
      ['Suspended', ['INFO']],
    ] as const) {
      const engine = engineOf(modelOf(acme, user('u', { state, admin: true }), collab('acme/c', 'User/u', 'Application/app', ['RIGHT_APPLICATION_ALL']), collab('acme/m', 'User/u', 'Organization/acme', ['RIGHT_ALL'])));
      expect(short(rights(engine, 'u', 'User/u'))).toEqual(self);
      expect(rights(engine, 'u', 'Application/acme/app')).toEqual([]);
      expect(rights(engine, 'u', 'Organization/acme')).toEqual([]);
      expect(rights(engine, 'u', 'User/other')).toEqual([]);
    }
  });
  test('5.2 self: an Approved or Flagged user has every User right on itself', () => {
    for (const state of ['Approved', 'Flagged'] as const) {
      const engine = engineOf(modelOf(user('u', { state })));
      expect(rights(engine, 'u', 'User/u')).toHaveLength(14);
      expect(rights(engine, 'u', 'User/v')).toEqual([]);
    }
  });
  test('5.3 direct: expand(rights) of collaborations naming the user on the entity', () => {
    const engine = engineOf(modelOf(user('u'), collab('ns/c', 'User/u', 'Gateway/gw', ['RIGHT_GATEWAY_LINK'])));
    expect(short(rights(engine, 'u', 'Gateway/ns/gw'))).toEqual(['INFO', 'LINK']);
    expect(rights(engine, 'u', 'Gateway/ns/other')).toEqual([]);
    expect(rights(engine, 'u', 'Gateway/elsewhere/gw')).toEqual([]);
  });
  test('5.4 groups: collaborations naming any group containing the user', () => {
    const engine = engineOf(modelOf(user('u'), group('inner', { users: ['u'] }), group('outer', { groups: ['inner'] }), collab('ns/c', 'UserGroup/outer', 'Client/cli', ['RIGHT_CLIENT_INFO'])));
    expect(rights(engine, 'u', 'Client/ns/cli')).toEqual(['RIGHT_CLIENT_INFO']);
  });
  test('5.5 organizations: a member never gets more than its membership allows (mask ∩ grant)', () => {
    const engine = engineOf(
      modelOf(
        user('u'),
        org('partner', { namespaces: ['partner'], ownerRights: [] }),
        collab('partner/m', 'User/u', 'Organization/partner', ['RIGHT_APPLICATION_INFO', 'RIGHT_APPLICATION_DEVICES_READ']),
        collab('acme/g', 'Organization/partner', 'Application/app', ['RIGHT_APPLICATION_INFO', 'RIGHT_APPLICATION_DELETE']),
      ),
    );
    expect(rights(engine, 'u', 'Application/acme/app')).toEqual(['RIGHT_APPLICATION_INFO']);
    // ownerRights [] means nothing by ownership.
    expect(rights(engine, 'u', 'Application/partner/any')).toEqual([]);
    // For Organization/o itself the contribution is expand(M*(u, o)) ∩ kindRights(Organization).
    expect(rights(engine, 'u', 'Organization/partner')).toEqual([]);
  });
  test('5.5 ownerRights (default RIGHT_ALL) apply to every entity of an owned namespace, masked by membership', () => {
    const engine = engineOf(modelOf(user('u'), org('o', { namespaces: ['o'], ownerRights: ['RIGHT_GATEWAY_ALL'] }), collab('o/m', 'User/u', 'Organization/o', ['RIGHT_ALL'])));
    expect(rights(engine, 'u', 'Gateway/o/any')).toHaveLength(12);
    expect(rights(engine, 'u', 'Application/o/any')).toEqual([]);
    expect(rights(engine, 'u', 'Organization/o')).toHaveLength(12);
  });
  test('5.6 administrators: every right of the kind but the _KEYS ones; a Flagged admin gets none; adminRights all withholds nothing', () => {
    const model = () => modelOf(user('root', { admin: true }), user('flag', { admin: true, state: 'Flagged' }));
    const engine = engineOf(model());
    expect(rights(engine, 'root', 'Application/x/y')).toHaveLength(11);
    expect(rights(engine, 'root', 'Application/x/y')).not.toContain('RIGHT_APPLICATION_DEVICES_READ_KEYS');
    expect(rights(engine, 'root', 'Organization/whatever')).toHaveLength(11);
    expect(rights(engine, 'root', 'User/flag')).toHaveLength(13);
    expect(rights(engine, 'flag', 'Application/x/y')).toEqual([]);
    expect(rights(engineOf(model(), { adminRights: 'all' }), 'root', 'Application/x/y')).toHaveLength(14);
  });
  test('5.7 result = union of all paths ∩ kindRights(K), sorted; rights never subtract', () => {
    const engine = engineOf(
      modelOf(
        acme,
        user('u'),
        group('g', { users: ['u'] }),
        collab('acme/m', 'User/u', 'Organization/acme', ['RIGHT_APPLICATION_INFO', 'RIGHT_GATEWAY_INFO']),
        collab('acme/d', 'User/u', 'Application/app', ['RIGHT_APPLICATION_DELETE']),
        collab('acme/gr', 'UserGroup/g', 'Application/app', ['RIGHT_APPLICATION_DEVICES_READ']),
        collab('acme/x', 'UserGroup/g', 'Application/app', ['RIGHT_APPLICATION_INFO'], { expiresAt: 1 }),
      ),
    );
    expect(short(rights(engine, 'u', 'Application/acme/app'))).toEqual(['DELETE', 'DEVICES_READ', 'INFO']);
  });
});
