/** admission.md §3.2: Users — admins, self-registration, owned users, the user itself, AdminOnly, NameInUse, LastAdmin. */
import { describe, expect, test } from '@jest/globals';
import { objects as o, world } from './fixture.ts';
import { decide, DEFAULT_ADMISSION_OPTIONS } from '../../../src/admission/decide.ts';
import { collab, group, judge, lines, manifest, org, reasons, user } from './support.ts';

describe('create', () => {
  const newbie = user('newbie', { identities: ['newbie@example.com'], state: 'Requested' });
  test('self-registration: no User yet, its own identity, state Requested', () => {
    expect(judge(world(), { as: 'newbie@example.com' }, undefined, newbie)).toEqual({ allowed: true, actingAs: 'nobody', denials: [] });
  });
  test('self-registration may not set admin or another state (AdminOnly)', () => {
    const d = judge(world(), { as: 'newbie@example.com' }, undefined, { ...newbie, admin: true, state: 'Approved' });
    expect(lines(d)).toEqual(['AdminOnly: a self-registration may not set spec.admin, spec.state Approved (a registration is Requested until an admin approves it) (admins only)']);
  });
  test('self-registration may not set labels nor other identities (AdminOnly; the audit\'s gap G5)', () => {
    expect(reasons(judge(world(), { as: 'newbie@example.com' }, undefined, { ...newbie, labels: { team: 'keys' } }))).toEqual(['AdminOnly']);
    expect(reasons(judge(world(), { as: 'newbie@example.com' }, undefined, { ...newbie, identities: ['newbie@example.com', 'root@example.com'] }))).toEqual(['AdminOnly']);
  });
  test('self-registration must list the requester\'s identity', () => {
    expect(reasons(judge(world(), { as: 'someone@example.com' }, undefined, newbie))).toEqual(['UnknownRequester']);
  });
  test('self-registration can be turned off', () => {
    expect(reasons(judge(world(), { as: 'newbie@example.com', options: { selfRegistration: false } }, undefined, newbie))).toEqual(['UnknownRequester']);
  });
  test('NameInUse: Collaborations or groups already name the new user', () => {
    const d = judge(world(collab('acme/c-newbie', 'User/newbie', 'Application/app1', ['RIGHT_APPLICATION_INFO'])), { as: 'newbie@example.com' }, undefined, newbie);
    expect(lines(d)).toEqual(['NameInUse: Collaboration/acme/c-newbie already names User/newbie: a new user of that name would inherit its rights (only an admin may create it)']);
  });
  test('NameInUse: an Organization names the new user as its creator (charter.dev/created-by)', () => {
    // The audit's P11: the creator was deleted; a newcomer registers its name and would add the first members.
    const newco = org('newco', { createdBy: 'zoe', namespaces: ['newco'] });
    const zoe = user('zoe', { identities: ['zoe@example.com'], state: 'Requested' });
    expect(lines(judge(world(newco), { as: 'zoe@example.com' }, undefined, zoe))).toEqual([
      'NameInUse: Organization/newco already names User/zoe as its creator (metadata.annotations[charter.dev/created-by]): a new user of that name could add its first members (only an admin may create it)',
    ]);
    expect(reasons(judge(world(newco), { as: 'User/fred' }, undefined, { ...zoe, organization: 'acme' }))).toEqual(['NameInUse']);
    expect(judge(world(newco), { as: 'User/root' }, undefined, zoe).allowed).toBe(true);
  });
  test('an admin creates anyone', () => {
    expect(judge(world(), { as: 'User/root' }, undefined, user('x', { admin: true })).allowed).toBe(true);
  });
  test('a non-admin without an owner organization may not create users', () => {
    expect(reasons(judge(world(), { as: 'User/alice' }, undefined, user('x')))).toEqual(['NotPermitted']);
  });
  test('owned users: the members right on spec.organization creates them, not as admin', () => {
    expect(judge(world(), { as: 'User/fred' }, undefined, user('x', { organization: 'acme', identities: ['x@example.com'] })).allowed).toBe(true);
    expect(lines(judge(world(), { as: 'User/fred' }, undefined, user('x', { organization: 'acme', admin: true })))).toEqual(['AdminOnly: spec.admin of User/x are set by admins only']);
    expect(reasons(judge(world(), { as: 'User/bob' }, undefined, user('x', { organization: 'acme' })))).toEqual(['NotPermitted']);
  });
  test('owned users: a manager may not create one with labels (AdminOnly; the audit\'s gap G6)', () => {
    expect(reasons(judge(world(), { as: 'User/fred' }, undefined, user('x', { organization: 'acme', labels: { team: 'keys' } })))).toEqual(['AdminOnly']);
  });
  test('an identity another User lists would become ambiguous', () => {
    expect(reasons(judge(world(), { as: 'User/fred' }, undefined, user('x', { organization: 'acme', identities: ['alice@example.com'] })))).toEqual(['AmbiguousIdentity']);
  });
});

describe('update', () => {
  test('the user itself changes its displayName; another user may not', () => {
    expect(judge(world(), { as: 'User/carol', afterExtra: { displayName: 'C' } }, o.carol, o.carol).allowed).toBe(true);
    expect(reasons(judge(world(), { as: 'User/dan', afterExtra: { displayName: 'C' } }, o.carol, o.carol))).toEqual(['NotPermitted']);
  });
  test('admin, state, identities and labels: admins only', () => {
    const d = judge(world(), { as: 'User/carol' }, o.carol, { ...o.carol, admin: true, labels: { team: 'x' }, identities: ['c@example.com'] });
    expect(lines(d)).toEqual(['AdminOnly: spec.admin, spec.identities, metadata.labels of User/carol are changed by admins only']);
  });
  test('owned users: the owner\'s managers activate and suspend them', () => {
    const owned = user('x', { organization: 'acme', state: 'Requested' });
    expect(judge(world(owned), { as: 'User/fred' }, owned, { ...owned, state: 'Approved' }).allowed).toBe(true);
    expect(reasons(judge(world(owned), { as: 'User/fred' }, owned, { ...owned, state: 'Rejected' }))).toEqual(['AdminOnly']);
  });
  test('owned users: a manager may not move one out of Rejected (AdminOnly: activation is between Requested, Approved, Suspended; the audit\'s gap G25)', () => {
    const owned = user('x', { organization: 'acme', state: 'Rejected' });
    expect(reasons(judge(world(owned), { as: 'User/fred' }, owned, { ...owned, state: 'Approved' }))).toEqual(['AdminOnly']);
  });
  test('spec.organization is changed by admins only: not by the user, nor by a non-manager (AdminOnly; the audit\'s gap G3)', () => {
    expect(reasons(judge(world(), { as: 'User/eve' }, o.root, { ...o.root, organization: 'acme' }))).toEqual(['AdminOnly']);
    const owned = user('x', { organization: 'acme' });
    expect(reasons(judge(world(owned), { as: 'User/x' }, owned, { ...owned, organization: undefined }))).toEqual(['AdminOnly']);
  });
  test('owned users with admin: true: their state is changed by admins only, not by the owner\'s managers', () => {
    // The audit's P5: fred (members right on acme) re-approved a Suspended owned admin, making an admin.
    const boss = user('boss', { admin: true, state: 'Suspended', organization: 'acme' });
    expect(lines(judge(world(boss), { as: 'User/fred' }, boss, { ...boss, state: 'Approved' }))).toEqual([
      'AdminOnly: spec.state of User/boss is changed by admins only (or, for spec.state between Requested, Approved and Suspended of a user without spec.admin: true, by holders of RIGHT_ORGANIZATION_SETTINGS_MEMBERS on Organization/acme)',
    ]);
    const active = { ...boss, state: 'Approved' as const };
    expect(reasons(judge(world(active), { as: 'User/fred' }, active, { ...active, state: 'Suspended' }))).toEqual(['AdminOnly']);
    expect(judge(world(boss), { as: 'User/root' }, boss, { ...boss, state: 'Approved' }).allowed).toBe(true);
  });
  describe('metadata: annotations, finalizers and ownerReferences by admins only (AdminOnly)', () => {
    const update = (as: string, before: Record<string, any>, after: Record<string, any>) =>
      decide({ engine: world() }, { operation: 'UPDATE', kind: 'User', name: before.metadata.name, object: after, oldObject: before, requester: { username: '', groups: [], user: as } }, DEFAULT_ADMISSION_OPTIONS);
    const root = manifest(o.root) as Record<string, any>;
    const carol = manifest(o.carol) as Record<string, any>;
    const withMetadata = (m: Record<string, any>, metadata: Record<string, unknown>) => ({ ...m, metadata: { ...m.metadata, ...metadata } });
    test('another user\'s metadata (the audit\'s P10)', () => {
      const after = withMetadata(root, { finalizers: ['eve/block'], annotations: { a: 'b' }, ownerReferences: [{ apiVersion: 'charter.dev/v1alpha1', kind: 'Organization', name: 'evecorp', uid: 'u1' }] });
      expect(lines(update('eve', root, after))).toEqual(['AdminOnly: metadata.annotations[a], metadata.finalizers, metadata.ownerReferences of User/root are changed by admins only']);
    });
    test('a finalizer on one\'s own User (it would keep it, and its rights, after an admin deletes it)', () => {
      expect(reasons(update('carol', carol, withMetadata(carol, { finalizers: ['carol/keep'] })))).toEqual(['AdminOnly']);
      expect(reasons(update('carol', withMetadata(carol, { finalizers: ['x/y'] }), carol))).toEqual(['AdminOnly']);
      expect(update('root', carol, withMetadata(carol, { finalizers: ['carol/keep'], annotations: { a: 'b' } })).allowed).toBe(true);
    });
    test('kubectl apply\'s last-applied-configuration annotation is not a change of its own: an applied displayName edit passes', () => {
      const LAST = 'kubectl.kubernetes.io/last-applied-configuration';
      const before = withMetadata(carol, { annotations: { [LAST]: '{"spec":{"displayName":"Carol"}}' } });
      const after = { ...withMetadata(carol, { annotations: { [LAST]: '{"spec":{"displayName":"C"}}' } }), spec: { ...carol.spec, displayName: 'C' } };
      expect(update('carol', before, after)).toEqual({ allowed: true, actingAs: 'User/carol', denials: [] });
      expect(update('carol', carol, after).allowed).toBe(true);
    });
    test('server-set metadata is not compared', () => {
      const after = withMetadata(carol, { resourceVersion: '9', generation: 3, uid: 'u', managedFields: [{ manager: 'kubectl' }], creationTimestamp: '2026-01-01T00:00:00Z' });
      expect(update('carol', carol, after).allowed).toBe(true);
    });
  });
  test('LastAdmin: the last admin may not be demoted', () => {
    expect(lines(judge(world(), { as: 'User/root' }, o.root, { ...o.root, admin: false }))).toEqual(['LastAdmin: User/root is the last admin (admin: true, state: Approved); demoting it would leave none']);
    expect(judge(world(user('root2', { admin: true })), { as: 'User/root' }, o.root, { ...o.root, admin: false }).allowed).toBe(true);
  });
  test('LastAdmin: the last admin may not be suspended either (the audit\'s gap G24)', () => {
    expect(reasons(judge(world(), { as: 'User/root' }, o.root, { ...o.root, state: 'Suspended' }))).toEqual(['LastAdmin']);
  });
  test('LastOwner: suspending an entity\'s only full collaborator (the audit\'s gap G39)', () => {
    expect(reasons(judge(world(), { as: 'User/root' }, o.kim, { ...o.kim, state: 'Suspended' }))).toEqual(['LastOwner']);
  });
  test('a label change that makes the user leave a selector group is judged as revoking its grants (NoEscalation; the audit\'s gap G36)', () => {
    const keys = group('key-holders', { selector: { matchLabels: { team: 'keys' } } });
    const grant = collab('acme/c-keys', 'UserGroup/key-holders', 'Application/app1', ['RIGHT_APPLICATION_DEVICES_READ_KEYS']);
    const carol = { ...o.carol, labels: { team: 'keys' } };
    expect(reasons(judge(world(keys, grant, carol), { as: 'User/root' }, carol, { ...carol, labels: {} }))).toEqual(['NoEscalation']);
  });
  test('a label change that makes the user join a selector group is judged as granting that group\'s rights', () => {
    const keys = group('key-holders', { selector: { matchLabels: { team: 'keys' } } });
    const grant = collab('acme/c-keys', 'UserGroup/key-holders', 'Application/app1', ['RIGHT_APPLICATION_DEVICES_READ_KEYS']);
    const d = judge(world(keys, grant), { as: 'User/root' }, o.carol, { ...o.carol, labels: { team: 'keys' } });
    expect(lines(d)).toEqual([
      'NoEscalation: User/root does not hold RIGHT_APPLICATION_DEVICES_READ_KEYS on Application/acme/app1 (granting or revoking a right requires holding it; UserGroup/key-holders gains members and Collaboration/acme/c-keys grants it)',
    ]);
  });
});

describe('delete', () => {
  test('the user itself, an admin, or the owner\'s managers', () => {
    expect(judge(world(), { as: 'User/carol' }, o.carol, undefined).allowed).toBe(true);
    expect(reasons(judge(world(), { as: 'User/dan' }, o.carol, undefined))).toEqual(['NotPermitted']);
    const owned = user('x', { organization: 'acme' });
    expect(judge(world(owned), { as: 'User/fred' }, owned, undefined).allowed).toBe(true);
  });
  test('an owned user with admin: true: by admins or itself, not by the owner\'s managers', () => {
    const boss = user('boss', { admin: true, organization: 'acme' });
    expect(lines(judge(world(boss), { as: 'User/fred' }, boss, undefined))).toEqual([
      'AdminOnly: User/boss has spec.admin: true: deleting an admin is for admins only, not for the holders of RIGHT_ORGANIZATION_SETTINGS_MEMBERS on Organization/acme',
    ]);
    expect(judge(world(boss), { as: 'User/boss' }, boss, undefined).allowed).toBe(true);
    expect(judge(world(boss), { as: 'User/root' }, boss, undefined).allowed).toBe(true);
  });
  test('LastOwner: a user who is an entity\'s only full collaborator may not delete itself (the audit\'s gap G38)', () => {
    expect(lines(judge(world(), { as: 'User/kim' }, o.kim, undefined))).toEqual(['LastOwner: Application/lab/hub would be left without a collaborator holding every Application right (an entity keeps at least one: give it one first with a Collaboration of its own, or delete the Collaborations that name it)']);
  });
  test('LastAdmin and LastOwner apply', () => {
    expect(reasons(judge(world(), { as: 'User/root' }, o.root, undefined))).toEqual(['LastAdmin']);
    expect(lines(judge(world(), { as: 'User/alice' }, o.alice, undefined))).toEqual(['LastOwner: Organization/acme would be left without a member holding every Organization right (an organization keeps at least one)']);
  });
});
