/** admission.md §3.1: NotPermitted, NoEscalation, LastOwner for Collaborations; the creator bootstrap of §3.3. */
import { describe, expect, test } from '@jest/globals';
import { objects as o, world } from './fixture.ts';
import { collab, engineOf, group, judge, lines, modelOf, org, reasons, user } from './support.ts';

const NO_ESC = '(granting or revoking a right requires holding it)';

describe('NotPermitted: the manage right on the target', () => {
  test('a collaborator without SETTINGS_COLLABORATORS may not add collaborators', () => {
    const d = judge(world(), { as: 'User/carol' }, undefined, collab('acme/c-eve', 'User/eve', 'Application/app1', ['RIGHT_APPLICATION_INFO']));
    expect(lines(d)).toEqual(['NotPermitted: User/carol does not hold RIGHT_APPLICATION_SETTINGS_COLLABORATORS on Application/acme/app1 (managing its collaborators requires it)']);
  });
  test('the collaborators right lets one grant what one holds', () => {
    expect(judge(world(), { as: 'User/dan' }, undefined, collab('acme/c-eve', 'User/eve', 'Application/app1', ['RIGHT_APPLICATION_INFO'])).allowed).toBe(true);
  });
  test('on update the old target is checked too', () => {
    const before = collab('acme/c-x', 'User/eve', 'Application/app2', ['RIGHT_APPLICATION_INFO']);
    const d = judge(world(before), { as: 'User/dan' }, before, { ...before, target: { kind: 'Application', name: 'app1' } });
    expect(lines(d)).toContain('NotPermitted: User/dan does not hold RIGHT_APPLICATION_SETTINGS_COLLABORATORS on Application/acme/app2 (managing its collaborators requires it)');
  });
  test('memberships need the members right on the organization', () => {
    const d = judge(world(), { as: 'User/bob' }, undefined, collab('acme/m-eve', 'User/eve', 'Organization/acme', ['RIGHT_APPLICATION_INFO']));
    expect(lines(d)).toEqual(['NotPermitted: User/bob does not hold RIGHT_ORGANIZATION_SETTINGS_MEMBERS on Organization/acme (managing its members requires it)']);
  });
  test('admins need no manage right', () => {
    expect(judge(world(), { as: 'User/root' }, undefined, collab('acme/c-eve', 'User/eve', 'Client/cli', ['RIGHT_CLIENT_INFO'])).allowed).toBe(true);
  });
});

describe('NoEscalation: granting or revoking requires holding', () => {
  test('the contract message, exactly', () => {
    const d = judge(world(), { as: 'User/dan' }, undefined, collab('acme/c-eve', 'User/eve', 'Application/app1', ['RIGHT_APPLICATION_DELETE']));
    expect(lines(d)).toEqual([`NoEscalation: User/dan does not hold RIGHT_APPLICATION_DELETE on Application/acme/app1 ${NO_ESC}`]);
  });
  test('rights and roles are expanded (LINK implies INFO, TRAFFIC_READ, TRAFFIC_DOWN_WRITE)', () => {
    const d = judge(world(), { as: 'User/dan' }, undefined, collab('acme/c-eve', 'User/eve', 'Application/app1', ['RIGHT_APPLICATION_LINK']));
    expect(lines(d)).toEqual([`NoEscalation: User/dan does not hold RIGHT_APPLICATION_LINK, RIGHT_APPLICATION_TRAFFIC_DOWN_WRITE, RIGHT_APPLICATION_TRAFFIC_READ on Application/acme/app1 ${NO_ESC}`]);
  });
  test('revoking: deleting a grant of rights one does not hold', () => {
    const d = judge(world(), { as: 'User/dan' }, o.cCarol, undefined);
    expect(reasons(d)).toEqual(['NoEscalation']);
  });
  test('an update is judged on the old and the new rights', () => {
    const d = judge(world(), { as: 'User/dan' }, o.cCarol, { ...o.cCarol, rights: ['RIGHT_APPLICATION_INFO'] });
    expect(lines(d)).toEqual([`NoEscalation: User/dan does not hold RIGHT_APPLICATION_LINK, RIGHT_APPLICATION_TRAFFIC_DOWN_WRITE, RIGHT_APPLICATION_TRAFFIC_READ on Application/acme/app1 ${NO_ESC}`]);
  });
  test('an organization target is judged by the requester\'s own membership rights expand(M*)', () => {
    // fred manages members but holds no application right as a member: he may not hand one out.
    const d = judge(world(), { as: 'User/fred' }, undefined, collab('acme/m-eve', 'User/eve', 'Organization/acme', ['RIGHT_APPLICATION_INFO']));
    expect(lines(d)).toEqual([`NoEscalation: User/fred does not hold RIGHT_APPLICATION_INFO on Organization/acme ${NO_ESC}`]);
    expect(judge(world(), { as: 'User/fred' }, undefined, collab('acme/m-eve', 'User/eve', 'Organization/acme', ['RIGHT_ORGANIZATION_INFO'])).allowed).toBe(true);
  });
  test('inactive grants are judged by what they would grant (expired)', () => {
    const expired = collab('acme/c-eve', 'User/eve', 'Application/app1', ['RIGHT_APPLICATION_DELETE'], { expiresAt: Date.parse('2020-01-01T00:00:00Z') });
    expect(reasons(judge(world(), { as: 'User/dan' }, undefined, expired))).toEqual(['NoEscalation']);
  });
  test('a right the catalog does not know cannot be held, so not granted', () => {
    const d = judge(world(), { as: 'User/root' }, undefined, collab('acme/c-eve', 'User/eve', 'Application/app1', ['RIGHT_NOT_A_RIGHT']));
    expect(lines(d)).toEqual([`NoEscalation: User/root does not hold RIGHT_NOT_A_RIGHT on Application/acme/app1 ${NO_ESC}`]);
  });
  test('admins cannot grant the rights withheld from admins (adminRights default), but can with adminRights all', () => {
    const grant = collab('acme/c-eve', 'User/eve', 'Application/app1', ['RIGHT_APPLICATION_ALL']);
    expect(lines(judge(world(), { as: 'User/root' }, undefined, grant))).toEqual([
      `NoEscalation: User/root does not hold RIGHT_APPLICATION_DEVICES_READ_KEYS, RIGHT_APPLICATION_DEVICES_WRITE_KEYS, RIGHT_APPLICATION_SETTINGS_API_KEYS on Application/acme/app1 ${NO_ESC}`,
    ]);
    const all = engineOf(modelOf(...(Object.values(o) as never[])), { adminRights: 'all' });
    expect(judge(all, { as: 'User/root' }, undefined, grant).allowed).toBe(true);
  });
  test('every failed rule is reported, the first reason first', () => {
    const d = judge(world(), { as: 'User/carol' }, undefined, collab('acme/c-eve', 'User/eve', 'Application/app1', ['RIGHT_APPLICATION_DELETE']));
    expect(reasons(d)).toEqual(['NotPermitted', 'NoEscalation']);
  });
});

describe('LastOwner', () => {
  test('an organization keeps a full member', () => {
    const d = judge(world(), { as: 'User/alice' }, o.mAlice, undefined);
    expect(lines(d)).toEqual(['LastOwner: Organization/acme would be left without a member holding every Organization right (an organization keeps at least one)']);
  });
  test('… unless another full member stays', () => {
    const gina = user('gina');
    const mGina = collab('acme/m-gina', 'User/gina', 'Organization/acme', ['RIGHT_ORGANIZATION_ALL']);
    expect(judge(world(gina, mGina), { as: 'User/alice' }, o.mAlice, undefined).allowed).toBe(true);
  });
  test('handing ownership over in one change is allowed', () => {
    expect(judge(world(), { as: 'User/alice' }, o.mAlice, { ...o.mAlice, subject: { kind: 'User', name: 'eve' } }).allowed).toBe(true);
  });
  test('full members of a child organization through its parent count (M* is inherited)', () => {
    const child = org('child', { parent: 'acme', namespaces: ['child'] });
    const d = judge(world(child), { as: 'User/alice' }, o.mAlice, undefined);
    expect(lines(d)).toEqual([
      'LastOwner: Organization/acme would be left without a member holding every Organization right (an organization keeps at least one)',
      'LastOwner: Organization/child would be left without a member holding every Organization right (an organization keeps at least one)',
    ]);
  });
  test('deleting the group membership that makes the only full member (a UserGroup subject; the audit\'s gap G40)', () => {
    const owners = group('owners', { organization: 'acme', users: ['gina'] });
    const mOwners = collab('acme/m-owners', 'UserGroup/owners', 'Organization/acme', ['RIGHT_ALL']);
    const d = judge(world(owners, user('gina'), mOwners, { ...o.mAlice, rights: ['RIGHT_ORGANIZATION_INFO'] }), { as: 'User/gina' }, mOwners, undefined);
    expect(reasons(d)).toEqual(['LastOwner']);
  });
  test('deleting the organization grant that makes the only full collaborator (an Organization subject; the audit\'s gap G41)', () => {
    const g = collab('lab/c-acme', 'Organization/acme', 'Application/hub', ['RIGHT_APPLICATION_ALL']);
    expect(reasons(judge(world(g, { ...o.cKim, rights: ['RIGHT_APPLICATION_INFO'] }), { as: 'User/alice' }, g, undefined))).toEqual(['LastOwner']);
  });
  test('an entity keeps a full collaborator (admin rights not counted)', () => {
    const d = judge(world(), { as: 'User/kim' }, o.cKim, { ...o.cKim, rights: ['RIGHT_APPLICATION_INFO'] });
    expect(lines(d)).toEqual(['LastOwner: Application/lab/hub would be left without a collaborator holding every Application right (an entity keeps at least one: give it one first with a Collaboration of its own, or delete the Collaborations that name it)']);
  });
  test('ownership counts: an entity in acme keeps alice (RIGHT_ALL member of the owner)', () => {
    const full = collab('acme/c-eve', 'User/eve', 'Application/app1', ['RIGHT_APPLICATION_ALL']);
    expect(judge(world(full), { as: 'User/alice' }, full, undefined).allowed).toBe(true);
  });
  test('a first owner is never required: new objects are not blocked', () => {
    expect(judge(world(), { as: 'User/root' }, undefined, collab('lab/c-eve', 'User/eve', 'Application/new', ['RIGHT_APPLICATION_INFO'])).allowed).toBe(true);
  });
  test('the engine is left as it was', () => {
    const engine = world();
    judge(engine, { as: 'User/alice' }, o.mAlice, undefined);
    expect(engine.membership('alice', 'acme')).toBeDefined();
    expect(engine.model.collaborations.get('acme/m-alice')).toBe(o.mAlice);
  });
});

describe('SubjectNotAvailable: judged whenever the subject or the target changes', () => {
  const media = org('media', { namespaces: ['media'], availableUsers: { users: ['bob'], groups: [], selector: undefined } });
  const mFred = collab('media/m-fred', 'User/fred', 'Organization/media', ['RIGHT_ALL']);
  // A grant naming zed made before availableUsers was set (or by an admin).
  const old = collab('media/c-zed', 'User/zed', 'Application/media', ['RIGHT_APPLICATION_INFO']);
  test('only the target kind changes (Application/media to Organization/media): a new naming', () => {
    // The audit's P4: the condition compared the target's name only.
    const d = judge(world(media, user('zed'), mFred, old), { as: 'User/fred' }, old, { ...old, target: { kind: 'Organization', name: 'media' } });
    expect(lines(d)).toEqual(['SubjectNotAvailable: User/zed is neither available to Organization/media (spec.availableUsers) nor a member of it; naming it requires being an admin']);
  });
  test('the subject changes to an unavailable user', () => {
    const toBob = { ...old, subject: { kind: 'User' as const, name: 'bob' } };
    expect(reasons(judge(world(media, user('zed'), mFred, toBob), { as: 'User/fred' }, toBob, old))).toEqual(['SubjectNotAvailable']);
  });
  test('a change of rights only names nobody new', () => {
    expect(judge(world(media, user('zed'), mFred, old), { as: 'User/fred' }, old, { ...old, rights: ['RIGHT_APPLICATION_INFO', 'RIGHT_APPLICATION_LINK'] }).allowed).toBe(true);
  });
});

describe('the creator of an organization adds its first members (§3.3)', () => {
  const newco = org('newco', { createdBy: 'eve' });
  const mEve = collab('acme/m-eve', 'User/eve', 'Organization/newco', ['RIGHT_ALL']);
  test('while it has no member', () => {
    expect(judge(world(newco), { as: 'User/eve' }, undefined, mEve).allowed).toBe(true);
  });
  test('only its creator', () => {
    expect(reasons(judge(world(newco), { as: 'User/carol' }, undefined, mEve))).toEqual(['NotPermitted', 'NoEscalation']);
  });
  test('not while its creator holds no rights: Requested, Rejected or Suspended (creatorBootstrap)', () => {
    // The audit's P3: a Suspended creator added members, RIGHT_ALL included, to the organization it had created.
    const mBob = collab('newco/m-bob', 'User/bob', 'Organization/newco', ['RIGHT_ALL']);
    for (const state of ['Requested', 'Rejected', 'Suspended'] as const) {
      const eve = { ...o.eve, state };
      expect(reasons(judge(world(eve, { ...newco, namespaces: ['newco'] }), { as: 'User/eve' }, undefined, mBob))).toEqual(['NotPermitted', 'NoEscalation']);
    }
    expect(judge(world({ ...o.eve, state: 'Flagged' }, { ...newco, namespaces: ['newco'] }), { as: 'User/eve' }, undefined, mBob).allowed).toBe(true);
  });
  test('not once it has members', () => {
    const withMember = world({ ...newco, namespaces: ['newco'] }, collab('newco/m-kim', 'User/kim', 'Organization/newco', ['RIGHT_ORGANIZATION_INFO']));
    expect(reasons(judge(withMember, { as: 'User/eve' }, undefined, { ...mEve, namespace: 'newco' }))).toEqual(['NotPermitted', 'NoEscalation']);
  });
});

describe('targets that are no entity', () => {
  test('a User target (never active) is not something anyone holds rights on', () => {
    const d = judge(world(), { as: 'User/root' }, undefined, collab('acme/c-x', 'User/eve', 'User/carol', ['RIGHT_USER_INFO']));
    expect(lines(d)).toEqual([`NoEscalation: User/root does not hold RIGHT_USER_INFO on User/acme/carol ${NO_ESC}`]);
  });
});
