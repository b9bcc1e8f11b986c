/**
 * LastOwner's reach (src/admission/last-owner.ts): an entity whose full collaborators hold their rights through an
 * organization — the ownership of its namespace, or a grant to the organization — is looked at whenever a change can
 * move that organization's members or their M* (a membership, a group, a user, the organization itself, or another
 * organization claiming its namespace), admins' changes included. The audit's probes P1, P7 and P9, and the cases
 * around them; owner-search.property.test.ts holds LastOwner equal to looking at every organization and entity.
 */
import { describe, expect, test } from '@jest/globals';
import { objects as o, world } from './fixture.ts';
import { collab, judge, lines, org, reasons, user } from './support.ts';

const APP1 = 'LastOwner: Application/acme/app1 would be left without a collaborator holding every Application right (an entity keeps at least one: give it one first with a Collaboration of its own, or delete the Collaborations that name it)';

// gina: a full member of acme by its Organization rights only; devs (bob) only read app1: alice, a member with
// RIGHT_ALL, is app1's only full collaborator, through acme's ownership of namespace acme.
const gina = user('gina');
const mGina = collab('acme/m-gina', 'User/gina', 'Organization/acme', ['RIGHT_ORGANIZATION_ALL']);
const devsRead = { ...o.mDevs, rights: ['RIGHT_APPLICATION_INFO'] };

describe('an entity owned through the ownership of its namespace', () => {
  test('P1: its only full collaborator deleting her own membership is denied (the organization keeps a full member)', () => {
    expect(lines(judge(world(gina, mGina, devsRead), { as: 'User/alice' }, o.mAlice, undefined))).toEqual([APP1]);
  });

  test('another member full on its kind through ownership, untouched, keeps it (bob through devs)', () => {
    expect(judge(world(gina, mGina), { as: 'User/alice' }, o.mAlice, undefined).allowed).toBe(true);
  });

  test('a direct full collaborator keeps it', () => {
    const cDan = { ...o.cDan, rights: ['RIGHT_APPLICATION_ALL'] };
    expect(judge(world(gina, mGina, devsRead, cDan), { as: 'User/alice' }, o.mAlice, undefined).allowed).toBe(true);
  });

  test('P9: an admin deleting or suspending the user who is its only full collaborator is denied', () => {
    // alice a full member by Organization rights only: bob (through devs, RIGHT_APPLICATION_ALL) owns app1.
    const mAlice = { ...o.mAlice, rights: ['RIGHT_ORGANIZATION_ALL'] };
    expect(lines(judge(world(mAlice), { as: 'User/root' }, o.bob, undefined))).toEqual([APP1]);
    expect(lines(judge(world(mAlice), { as: 'User/root' }, o.bob, { ...o.bob, state: 'Suspended' }))).toEqual([APP1]);
  });

  test('P7: an admin creating an organization that claims its namespace (owned by neither then) is denied', () => {
    const d = judge(world(), { as: 'User/root' }, undefined, org('rival', { namespaces: ['acme'] }));
    expect(lines(d)).toEqual([
      'LastOwner: Organization/acme would be left without a member holding every Organization right (an organization keeps at least one)',
      APP1,
    ]);
    // A namespace nobody owns yet: nothing to lose.
    expect(judge(world(), { as: 'User/root' }, undefined, org('rival', { namespaces: ['lab'] })).allowed).toBe(true);
  });

  test('an admin giving the namespace up, or deleting the organization, is denied', () => {
    const mAlice = { ...o.mAlice, namespace: 'acme2' };
    const acme = org('acme', { namespaces: ['acme', 'acme2'] });
    expect(lines(judge(world(acme, mAlice), { as: 'User/root' }, acme, { ...acme, namespaces: ['acme2'] }))).toEqual([APP1]);
    expect(reasons(judge(world(), { as: 'User/root' }, o.acme, undefined))).toEqual(['LastOwner']);
    expect(lines(judge(world(), { as: 'User/root' }, o.acme, undefined))).toEqual([APP1]);
  });

  test('an admin narrowing ownerRights so that nobody holds every Application right on it is denied', () => {
    expect(lines(judge(world(), { as: 'User/root' }, o.acme, { ...o.acme, ownerRights: ['RIGHT_APPLICATION_INFO'] }))).toEqual([APP1]);
  });
});

describe('an entity owned through a grant to an organization', () => {
  // hub (namespace lab, no owner) granted RIGHT_APPLICATION_ALL to acme; kim reads it only: acme's members holding
  // every Application right in M* (alice, RIGHT_ALL; bob through devs) are its full collaborators.
  const cAcme = collab('lab/c-acme', 'Organization/acme', 'Application/hub', ['RIGHT_APPLICATION_ALL']);
  const kimRead = { ...o.cKim, rights: ['RIGHT_APPLICATION_INFO'] };
  const HUB = 'LastOwner: Application/lab/hub would be left without a collaborator holding every Application right (an entity keeps at least one: give it one first with a Collaboration of its own, or delete the Collaborations that name it)';

  test('its only full collaborator leaving the organization is denied', () => {
    expect(lines(judge(world(gina, mGina, devsRead, cAcme, kimRead), { as: 'User/alice' }, o.mAlice, undefined))).toContain(HUB);
    expect(judge(world(gina, mGina, cAcme, kimRead, { ...o.acme, namespaces: ['other'] }, { ...o.mAlice, namespace: 'other' }, { ...mGina, namespace: 'other' }, { ...o.mDevs, namespace: 'other' }), { as: 'User/alice' }, { ...o.mAlice, namespace: 'other' }, undefined).allowed).toBe(true);
  });

  test('an admin removing the parent its full collaborators were members through is denied', () => {
    // child owns nothing, has the grant; alice is its member through its parent acme.
    const child = org('child', { parent: 'acme' });
    const cChild = collab('lab/c-child', 'Organization/child', 'Application/hub', ['RIGHT_APPLICATION_ALL']);
    expect(lines(judge(world(child, cChild, kimRead), { as: 'User/root' }, child, { ...child, parent: undefined }))).toEqual([
      'LastOwner: Organization/child would be left without a member holding every Organization right (an organization keeps at least one)',
      HUB,
    ]);
  });
});

test('an admin creating an organization that closes a cycle of parents (its members through them lost) is denied', () => {
  // a names b (missing) as its parent; c is a's child and owns namespace c, where alice (a member of a) is the only
  // full member and collaborator of Application/c/x. b created with parent c: a, b, c on a cycle have no ancestors.
  const a = org('a', { parent: 'b', namespaces: ['a'] });
  const c = org('c', { parent: 'a', namespaces: ['c'] });
  const mA = collab('a/m-alice', 'User/alice', 'Organization/a', ['RIGHT_ALL']);
  const cX = collab('c/c-carol', 'User/carol', 'Application/x', ['RIGHT_APPLICATION_INFO']);
  expect(lines(judge(world(a, c, mA, cX), { as: 'User/root' }, undefined, org('b', { parent: 'c' })))).toEqual([
    'LastOwner: Organization/c would be left without a member holding every Organization right (an organization keeps at least one)',
    'LastOwner: Application/c/x would be left without a collaborator holding every Application right (an entity keeps at least one: give it one first with a Collaboration of its own, or delete the Collaborations that name it)',
  ]);
  expect(judge(world(a, c, mA, cX), { as: 'User/root' }, undefined, org('b')).allowed).toBe(true);
});
