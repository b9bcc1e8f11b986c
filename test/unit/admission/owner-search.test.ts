/**
 * LastOwner's search for a full collaborator (src/admission/owner-search.ts), case by case: who counts as the owner of
 * an entity under semantics §5 (states, expiry, organizations masking, admins not counted), each answer checked
 * against the reference search too. The property test (owner-search.property.test.ts) holds the two equal at random.
 */
import { describe, expect, test } from '@jest/globals';
import { entityOwner, entityOwnerExact, organizationOwner, organizationOwnerExact, type OwnerState, type Touches } from '../../../src/admission/owner-search.ts';
import type { Engine } from '../../../src/engine/engine.ts';
import { collab, engineOf, group, modelOf, org, user } from '../engine/support.ts';

const APP = 'Application/lab/hub';
const appRights = (engine: Engine): string[] => engine.sets.rightNames(engine.sets.kindRights('Application')) as string[];
/** The Application rights in two halves: full only together. */
const halves = (engine: Engine): [string[], string[]] => {
  const all = appRights(engine);
  return [all.filter((_, i) => i % 2 === 0), all.filter((_, i) => i % 2 === 1)];
};

/** Both searches' state, asserted equal. */
function owner(engine: Engine, touches: Touches = () => false, key = APP): OwnerState {
  const state = entityOwner(engine, key, touches);
  expect(entityOwnerExact(engine, key, touches)).toBe(state);
  return state;
}

const lab = org('lab', { namespaces: ['lab'], ownerRights: ['RIGHT_APPLICATION_INFO'] });

describe('entityOwner', () => {
  test('a user granted every right of the kind owns it; touched, the ownership is at risk', () => {
    const engine = engineOf(modelOf(lab, user('alice'), collab('lab/c', 'User/alice', 'Application/hub', ['RIGHT_APPLICATION_ALL'])));
    expect(owner(engine)).toBe('kept');
    expect(owner(engine, (u) => u === 'alice')).toBe('atRisk');
  });

  test('users who hold no rights (Requested, Rejected, Suspended), missing users and admins by their admin rights own nothing', () => {
    for (const state of ['Requested', 'Rejected', 'Suspended'] as const) {
      const engine = engineOf(modelOf(lab, user('alice', { state }), collab('lab/c', 'User/alice', 'Application/hub', ['RIGHT_APPLICATION_ALL'])));
      expect(owner(engine)).toBe('none');
    }
    expect(owner(engineOf(modelOf(lab, collab('lab/c', 'User/ghost', 'Application/hub', ['RIGHT_APPLICATION_ALL']))))).toBe('none');
    // An admin holds every right but the _KEYS ones by being an admin; with adminRights: all, every one: not counted.
    const engine = engineOf(modelOf(lab, user('root', { admin: true }), collab('lab/c', 'User/root', 'Application/hub', ['RIGHT_APPLICATION_INFO'])), { adminRights: 'all' });
    expect(owner(engine)).toBe('none');
    // A Flagged user holds its grants.
    expect(owner(engineOf(modelOf(lab, user('alice', { state: 'Flagged' }), collab('lab/c', 'User/alice', 'Application/hub', ['RIGHT_APPLICATION_ALL']))))).toBe('kept');
  });

  test('an expired or otherwise inactive grant gives nothing', () => {
    const expired = collab('lab/c', 'User/alice', 'Application/hub', ['RIGHT_APPLICATION_ALL'], { expiresAt: Date.parse('2026-05-01T00:00:00Z') });
    expect(owner(engineOf(modelOf(lab, user('alice'), expired)))).toBe('none');
    const unknown = collab('lab/c', 'User/alice', 'Application/hub', ['RIGHT_APPLICATION_ALL', 'RIGHT_NOT_A_RIGHT']);
    expect(owner(engineOf(modelOf(lab, user('alice'), unknown)))).toBe('none');
  });

  test('grants that are full only together: the user in both owns it, a member of one does not', () => {
    const e = engineOf(modelOf(lab));
    const [a, b] = halves(e);
    const engine = engineOf(
      modelOf(lab, user('alice'), user('bob'), group('devs', { users: ['alice', 'bob'] }), collab('lab/g', 'UserGroup/devs', 'Application/hub', a), collab('lab/c', 'User/alice', 'Application/hub', b)),
    );
    expect(owner(engine)).toBe('kept');
    expect(owner(engine, (u) => u === 'alice')).toBe('atRisk');
    expect(owner(engine, (u) => u === 'bob')).toBe('kept');
  });

  test('an organization gives its members only what their membership (M*) holds: a whole-kind grant to it makes full only members whose M* covers the kind', () => {
    const all = collab('lab/o', 'Organization/lab', 'Application/hub', ['RIGHT_APPLICATION_ALL']);
    const partial = engineOf(modelOf(lab, user('alice'), all, collab('lab/m', 'User/alice', 'Organization/lab', ['RIGHT_APPLICATION_INFO'])));
    expect(owner(partial)).toBe('none');
    const full = engineOf(modelOf(lab, user('alice'), all, collab('lab/m', 'User/alice', 'Organization/lab', ['RIGHT_APPLICATION_ALL'])));
    expect(owner(full)).toBe('kept');
  });

  test('a member whose M* lacks the rarest right gets it from its own grant: still full', () => {
    // The right the fewest users can get is one of the second half (the group of three gives the first half), and alice
    // does not get it through the organization (her M* holds only the first half): her own grant gives it.
    const e = engineOf(modelOf(lab));
    const [a, b] = halves(e);
    const engine = engineOf(
      modelOf(
        org('lab', { namespaces: ['lab'] }),
        user('alice'),
        user('u1'),
        user('u2'),
        user('u3'),
        group('many', { users: ['u1', 'u2', 'u3'] }),
        collab('lab/m', 'User/alice', 'Organization/lab', a),
        collab('lab/o', 'Organization/lab', 'Application/hub', ['RIGHT_APPLICATION_ALL']),
        collab('lab/g', 'UserGroup/many', 'Application/hub', a),
        collab('lab/c', 'User/alice', 'Application/hub', b),
      ),
    );
    expect(owner(engine)).toBe('kept');
    expect(owner(engine, (u) => u === 'alice')).toBe('atRisk');
  });

  test('ownership of the namespace: a member whose M* holds the kind, within ownerRights', () => {
    const member = collab('lab/m', 'User/alice', 'Organization/lab', ['RIGHT_ALL']);
    expect(owner(engineOf(modelOf(org('lab', { namespaces: ['lab'] }), user('alice'), member)))).toBe('kept');
    // ownerRights narrower than the kind: ownership alone makes nobody full.
    expect(owner(engineOf(modelOf(lab, user('alice'), member)))).toBe('none');
    // ... unless a grant gives the rest.
    const rest = collab('lab/c', 'User/alice', 'Application/hub', appRights(engineOf(modelOf())).filter((r) => r !== 'RIGHT_APPLICATION_INFO'));
    expect(owner(engineOf(modelOf(lab, user('alice'), member, rest)))).toBe('kept');
    // Ownership gives nothing on a cluster-scoped kind, whatever a Collaboration's target says (User/lab/alice).
    expect(owner(engineOf(modelOf(org('lab', { namespaces: ['lab'] }), user('alice'), member, collab('lab/u', 'User/alice', 'User/alice', ['RIGHT_USER_ALL']))), () => false, 'User/lab/alice')).toBe('none');
    // A member of an organization that does not own the namespace gets nothing by ownership.
    expect(owner(engineOf(modelOf(org('lab', { namespaces: ['other'] }), user('alice'), member)))).toBe('none');
  });

  test('a whole-kind group: a member the change does not touch keeps it; every member touched, at risk', () => {
    const engine = engineOf(modelOf(lab, user('alice'), user('bob'), group('devs', { users: ['alice', 'bob'] }), collab('lab/g', 'UserGroup/devs', 'Application/hub', ['RIGHT_ALL'])));
    expect(owner(engine, (u) => u === 'alice')).toBe('kept');
    expect(owner(engine, () => true)).toBe('atRisk');
  });
});

describe('organizationOwner', () => {
  /** Both searches' state, asserted equal (the fast one without its first look at a few members, and with it). */
  const orgOwner = (engine: Engine, org: string, touches: Touches = () => false): OwnerState => {
    const state = organizationOwner(engine, org, touches, 0);
    expect(organizationOwner(engine, org, touches)).toBe(state);
    expect(organizationOwnerExact(engine, org, touches)).toBe(state);
    return state;
  };
  const acme = org('acme', { namespaces: ['acme'] });

  test('a member whose M* holds every Organization right, by its own membership or through a group', () => {
    const direct = engineOf(modelOf(acme, user('alice'), collab('acme/m', 'User/alice', 'Organization/acme', ['RIGHT_ORGANIZATION_ALL'])));
    expect(orgOwner(direct, 'acme')).toBe('kept');
    expect(orgOwner(direct, 'acme', (u) => u === 'alice')).toBe('atRisk');
    const viaGroup = engineOf(modelOf(acme, user('alice'), group('admins', { users: ['alice'] }), collab('acme/m', 'UserGroup/admins', 'Organization/acme', ['RIGHT_ALL'])));
    expect(orgOwner(viaGroup, 'acme')).toBe('kept');
  });

  test('memberships that are full only together, one inherited from the parent organization', () => {
    const sets = engineOf(modelOf()).sets;
    const rights = sets.rightNames(sets.kindRights('Organization')) as string[];
    const [a, b] = [rights.filter((_, i) => i % 2 === 0), rights.filter((_, i) => i % 2 === 1)];
    const child = org('child', { namespaces: ['child'], parent: 'acme' });
    // Everyone gets half in the child; only alice gets the other half, from the parent.
    const model = modelOf(
      acme,
      child,
      ...['u1', 'u2', 'u3', 'alice'].map((u) => user(u)),
      group('viewers', { users: ['u1', 'u2', 'u3', 'alice'] }),
      collab('child/v', 'UserGroup/viewers', 'Organization/child', a),
      collab('acme/m', 'User/alice', 'Organization/acme', b),
    );
    const together = engineOf(model);
    expect(orgOwner(together, 'child')).toBe('kept');
    expect(orgOwner(together, 'child', (u) => u === 'alice')).toBe('atRisk');
    expect(orgOwner(together, 'acme')).toBe('none');
  });

  test('an expired membership, a missing user or one on a cycle of parents gives no owner', () => {
    const expired = collab('acme/m', 'User/alice', 'Organization/acme', ['RIGHT_ALL'], { expiresAt: Date.parse('2026-05-01T00:00:00Z') });
    expect(orgOwner(engineOf(modelOf(acme, user('alice'), expired)), 'acme')).toBe('none');
    expect(orgOwner(engineOf(modelOf(acme, collab('acme/m', 'User/ghost', 'Organization/acme', ['RIGHT_ALL']))), 'acme')).toBe('none');
    const cycle = modelOf(org('a', { namespaces: ['a'], parent: 'b' }), org('b', { namespaces: ['b'], parent: 'a' }), user('alice'), collab('b/m', 'User/alice', 'Organization/b', ['RIGHT_ALL']));
    expect(orgOwner(engineOf(cycle), 'a')).toBe('none');
    expect(orgOwner(engineOf(cycle), 'b')).toBe('kept');
  });
});
