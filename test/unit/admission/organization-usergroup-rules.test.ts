/** admission.md §3.3: Organizations (create right, created-by, admin-only fields, delete) and UserGroups (members right, no escalation through groups). */
import { describe, expect, test } from '@jest/globals';
import { objects as o, world } from './fixture.ts';
import { decide, DEFAULT_ADMISSION_OPTIONS } from '../../../src/admission/decide.ts';
import { collab, group, judge, lines, manifest, org, reasons, user } from './support.ts';

describe('Organization', () => {
  const mine = org('newco', { createdBy: 'eve' });
  test('create: the create right on oneself and the created-by annotation', () => {
    expect(judge(world(), { as: 'User/eve' }, undefined, mine).allowed).toBe(true);
    expect(lines(judge(world(), { as: 'User/eve' }, undefined, { ...mine, createdBy: undefined }))).toEqual([
      'NotPermitted: metadata.annotations[charter.dev/created-by]: a non-admin creator names itself; expected "eve"; found nothing',
    ]);
  });
  test('create: a Requested user lacks the create right', () => {
    const rita = user('rita', { state: 'Requested' });
    expect(lines(judge(world(rita), { as: 'User/rita' }, undefined, { ...mine, createdBy: 'rita' }))).toEqual([
      'NotPermitted: User/rita does not hold RIGHT_USER_ORGANIZATIONS_CREATE on User/rita (creating an organization requires it)',
    ]);
  });
  test('create: namespaces, parent and ownerRights by admins only', () => {
    expect(lines(judge(world(), { as: 'User/eve' }, undefined, { ...mine, namespaces: ['acme'] }))).toEqual([
      'AdminOnly: spec.namespaces of Organization/newco is set by admins only (claiming a namespace hands over every entity in it)',
    ]);
    expect(judge(world(), { as: 'User/root' }, undefined, org('x', { namespaces: ['fresh'], parent: 'acme', ownerRights: ['RIGHT_APPLICATION_INFO'] })).allowed).toBe(true);
    // Claiming acme, which acme owns, is LastOwner's (last-owner-reach.test.ts).
    expect(reasons(judge(world(), { as: 'User/root' }, undefined, org('x', { namespaces: ['acme'] })))).toEqual(['LastOwner', 'LastOwner']);
  });
  test('update: displayName with the basic-settings right; other fields by admins; created-by is immutable', () => {
    expect(judge(world(), { as: 'User/alice', afterExtra: { displayName: 'ACME' } }, o.acme, o.acme).allowed).toBe(true);
    expect(reasons(judge(world(), { as: 'User/bob', afterExtra: { displayName: 'ACME' } }, o.acme, o.acme))).toEqual(['NotPermitted']);
    expect(lines(judge(world(), { as: 'User/alice' }, o.acme, { ...o.acme, namespaces: ['acme', 'other'] }))).toEqual(['AdminOnly: spec.namespaces of Organization/acme is changed by admins only']);
    expect(reasons(judge(world(mine), { as: 'User/root' }, mine, { ...mine, createdBy: 'root' }))).toEqual(['NotPermitted']);
  });
  test('update: spec.availableUsers is changed by admins only (AdminOnly; the audit\'s gap G15)', () => {
    const media = org('media', { namespaces: ['media'], availableUsers: { users: ['bob'], groups: [], selector: undefined } });
    expect(reasons(judge(world(media), { as: 'User/eve' }, media, { ...media, availableUsers: undefined }))).toEqual(['AdminOnly']);
  });
  test('update: LastOwner applies to an admin\'s change of parent too (the child\'s only full member came through it; the audit\'s gap G37)', () => {
    const child = org('child', { parent: 'acme', namespaces: ['child'] });
    expect(reasons(judge(world(child), { as: 'User/root' }, child, { ...child, parent: undefined }))).toEqual(['LastOwner']);
  });
  test('update: metadata (labels, annotations, finalizers, ownerReferences) by admins only; not kubectl apply\'s annotation', () => {
    // The audit's P10: eve, holding nothing, labelled, annotated and put a finalizer on Organization/acme.
    const LAST = 'kubectl.kubernetes.io/last-applied-configuration';
    const update = (as: string, before: Record<string, any>, after: Record<string, any>) =>
      decide({ engine: world() }, { operation: 'UPDATE', kind: 'Organization', name: 'acme', object: after, oldObject: before, requester: { username: '', groups: [], user: as } }, DEFAULT_ADMISSION_OPTIONS);
    const acme = manifest(o.acme) as Record<string, any>;
    const withMetadata = (metadata: Record<string, unknown>, spec: Record<string, unknown> = {}) => ({ ...acme, metadata: { ...acme.metadata, ...metadata }, spec: { ...acme.spec, ...spec } });
    const marked = withMetadata({ labels: { x: 'y' }, finalizers: ['eve/block'], annotations: { a: 'b' }, ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'c', uid: 'u' }] });
    expect(lines(update('eve', acme, marked))).toEqual(['AdminOnly: metadata.labels, metadata.annotations[a], metadata.finalizers, metadata.ownerReferences of Organization/acme are changed by admins only']);
    expect(reasons(update('alice', acme, withMetadata({ annotations: { a: 'b' } })))).toEqual(['AdminOnly']);
    expect(update('root', acme, marked).allowed).toBe(true);
    // kubectl apply of a new displayName rewrites last-applied-configuration: the basic-settings right suffices.
    const applied = withMetadata({ annotations: { [LAST]: '{"spec":{"displayName":"ACME"}}' } }, { displayName: 'ACME' });
    expect(update('alice', withMetadata({ annotations: { [LAST]: '{}' } }), applied)).toEqual({ allowed: true, actingAs: 'User/alice', denials: [] });
    expect(reasons(update('bob', withMetadata({ annotations: { [LAST]: '{}' } }), applied))).toEqual(['NotPermitted']);
  });
  // dan owns app1 directly: it keeps a full collaborator when acme (which owns its namespace) goes.
  const danOwns = { ...o.cDan, rights: ['RIGHT_APPLICATION_ALL'] };
  test('delete: the delete right; LastOwner does not apply to the organization itself, but to its children', () => {
    expect(judge(world(danOwns), { as: 'User/alice' }, o.acme, undefined).allowed).toBe(true);
    expect(reasons(judge(world(danOwns), { as: 'User/bob' }, o.acme, undefined))).toEqual(['NotPermitted']);
    expect(reasons(judge(world(danOwns, org('child', { parent: 'acme' })), { as: 'User/alice' }, o.acme, undefined))).toEqual(['LastOwner']);
  });
  test('delete: handing a contested namespace to the other claimant is for admins', () => {
    const acme = { ...o.acme, namespaces: ['acme', 'shared'] };
    const rival = org('rival', { namespaces: ['shared'] });
    expect(lines(judge(world(acme, rival, danOwns), { as: 'User/alice' }, acme, undefined))).toEqual(['AdminOnly: deleting Organization/acme hands namespace shared to Organization/rival (it claims it too): admins only']);
  });
});

describe('UserGroup', () => {
  test('the members right on its organization; a global group by admins only', () => {
    expect(judge(world(), { as: 'User/alice' }, o.devs, { ...o.devs, users: ['bob', 'eve'] }).allowed).toBe(true);
    expect(reasons(judge(world(), { as: 'User/carol' }, o.devs, { ...o.devs, users: ['bob', 'eve'] }))).toEqual(['NotPermitted', 'NoEscalation']);
    expect(lines(judge(world(), { as: 'User/alice' }, undefined, group('global', { users: ['eve'] })))).toEqual(['AdminOnly: UserGroup/global has no spec.organization: a global group is managed by admins only']);
  });
  const esc = (what: string) =>
    `NoEscalation: User/fred does not hold RIGHT_APPLICATION_DELETE, RIGHT_APPLICATION_DEVICES_READ, RIGHT_APPLICATION_DEVICES_READ_KEYS, RIGHT_APPLICATION_DEVICES_WRITE, RIGHT_APPLICATION_DEVICES_WRITE_KEYS, RIGHT_APPLICATION_INFO, RIGHT_APPLICATION_LINK, RIGHT_APPLICATION_SETTINGS_API_KEYS, RIGHT_APPLICATION_SETTINGS_BASIC, RIGHT_APPLICATION_SETTINGS_COLLABORATORS, RIGHT_APPLICATION_SETTINGS_PACKAGES, RIGHT_APPLICATION_TRAFFIC_DOWN_WRITE, RIGHT_APPLICATION_TRAFFIC_READ, RIGHT_APPLICATION_TRAFFIC_UP_WRITE on Organization/acme (granting or revoking a right requires holding it; UserGroup/devs ${what} members and Collaboration/acme/m-devs grants it)`;
  test('no escalation through groups: adding a listed user', () => {
    expect(lines(judge(world(), { as: 'User/fred' }, o.devs, { ...o.devs, users: ['bob', 'eve'] }))).toEqual([esc('gains')]);
  });
  test('… removing one (revoking)', () => {
    expect(lines(judge(world(), { as: 'User/fred' }, o.devs, { ...o.devs, users: [] }))).toEqual([esc('loses')]);
  });
  test('… nesting a group', () => {
    const outsiders = group('outsiders', { organization: 'acme', users: ['eve'] });
    expect(lines(judge(world(outsiders), { as: 'User/fred' }, o.devs, { ...o.devs, groups: ['outsiders'] }))).toEqual([esc('gains')]);
  });
  test('… a selector that newly matches users', () => {
    const labelled = user('lou', { labels: { team: 'iot' } });
    expect(lines(judge(world(labelled), { as: 'User/fred' }, o.devs, { ...o.devs, selector: { matchLabels: { team: 'iot' } } }))).toEqual([esc('gains')]);
  });
  test('… the groups containing it count too', () => {
    const all = group('all-staff', { organization: 'acme', groups: ['devs'] });
    const grant = collab('acme/c-all', 'UserGroup/all-staff', 'Application/app9', ['RIGHT_APPLICATION_DELETE']);
    const d = judge(world(all, grant), { as: 'User/fred' }, o.devs, { ...o.devs, users: ['bob', 'eve'] });
    expect(lines(d)).toContain(
      'NoEscalation: User/fred does not hold RIGHT_APPLICATION_DELETE on Application/acme/app9 (granting or revoking a right requires holding it; UserGroup/all-staff gains members and Collaboration/acme/c-all grants it)',
    );
  });
  test('… a new group a dangling Collaboration already names', () => {
    const d = judge(world(collab('acme/c-ghosts', 'UserGroup/ghosts', 'Application/app1', ['RIGHT_APPLICATION_DELETE'])), { as: 'User/fred' }, undefined, group('ghosts', { organization: 'acme', users: ['fred'] }));
    expect(reasons(d)).toEqual(['NoEscalation']);
  });
  test('a change that moves nobody needs no rights beyond the members right', () => {
    expect(judge(world(), { as: 'User/fred' }, o.devs, { ...o.devs, users: ['bob', 'ghost'] }).allowed).toBe(true);
  });
  test('LastOwner through a group', () => {
    const owners = group('owners', { organization: 'acme', users: ['gina'] });
    const engine = world(user('gina'), owners, collab('acme/m-owners', 'UserGroup/owners', 'Organization/acme', ['RIGHT_ALL']), { ...o.mAlice, rights: ['RIGHT_ORGANIZATION_SETTINGS_MEMBERS'] });
    expect(lines(judge(engine, { as: 'User/gina' }, owners, { ...owners, users: [] }))).toEqual([
      'LastOwner: Organization/acme would be left without a member holding every Organization right (an organization keeps at least one)',
    ]);
  });
});
