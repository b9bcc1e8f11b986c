/** admission.md §3.4 (available users, Aspera catalog), §2 (the catalogs' administration sections), and the statuses §1 and api.md add. */
import { describe, expect, test } from '@jest/globals';
import { CatalogError } from '../../../src/catalog/catalog.ts';
import { catalogFromText, loadCatalog } from '../../../src/catalog/load-catalog.ts';
import { Engine } from '../../../src/engine/engine.ts';
import { organizationStatus, userStatus } from '../../../src/engine/status.ts';
import { collab, engineOf, group, judge, lines, modelOf, org, reasons, user } from './support.ts';
import { aspera, mediaObjects } from './media-fixture.ts';

describe('SubjectNotAvailable (Aspera catalog)', () => {
  const base = mediaObjects(group('mixed', { organization: 'media', users: ['victor', 'zed'] }));
  const engine = (): Engine => new Engine(modelOf(...base), aspera, {}, Date.parse('2026-06-01T00:00:00Z'));
  const share = (subject: string) => collab('media/c-x', subject, 'Share/dailies', [], { role: 'viewer' });
  test('available users, members of available groups and members may be named', () => {
    for (const subject of ['User/victor', 'User/fay', 'User/walt']) expect({ subject, allowed: judge(engine(), { as: 'User/ann' }, undefined, share(subject)).allowed }).toEqual({ subject, allowed: true });
  });
  test('anyone else may not', () => {
    expect(lines(judge(engine(), { as: 'User/ann' }, undefined, share('User/zed')))).toEqual([
      'SubjectNotAvailable: User/zed is neither available to Organization/media (spec.availableUsers) nor a member of it; naming it requires holding RIGHT_ORGANIZATION_SEE_ALL_USERS on Organization/media or being an admin',
    ]);
  });
  test('a group subject: each of its users', () => {
    expect(lines(judge(engine(), { as: 'User/ann' }, undefined, share('UserGroup/mixed')))[0]).toMatch(/^SubjectNotAvailable: User\/zed \(members of UserGroup\/mixed\) is neither available/);
  });
  test('seeAllUsers and admins lift the limit', () => {
    expect(judge(engine(), { as: 'User/olga' }, undefined, share('User/zed')).allowed).toBe(true);
    expect(judge(engine(), { as: 'User/sysop' }, undefined, share('User/zed')).allowed).toBe(true);
  });
  test('memberships targeting the organization are limited too', () => {
    expect(reasons(judge(engine(), { as: 'User/olga' }, undefined, collab('media/m-zed', 'User/zed', 'Organization/media', ['RIGHT_ORGANIZATION_INFO'])))).toEqual([]);
    expect(reasons(judge(engine(), { as: 'User/ann' }, undefined, collab('media/m-zed', 'User/zed', 'Organization/media', ['RIGHT_SHARE_BROWSE'])))).toEqual(['SubjectNotAvailable']);
  });
});

describe('catalog administration sections', () => {
  test('the three catalogs name rights of the right kinds', () => {
    const tts = loadCatalog().administration;
    expect([tts.members, tts.organizationCreate, tts.collaborators.get('Gateway')]).toEqual(['RIGHT_ORGANIZATION_SETTINGS_MEMBERS', 'RIGHT_USER_ORGANIZATIONS_CREATE', 'RIGHT_GATEWAY_SETTINGS_COLLABORATORS']);
    expect(loadCatalog('catalogs/aspera.yaml').administration.seeAllUsers).toBe('RIGHT_ORGANIZATION_SEE_ALL_USERS');
    expect(loadCatalog('catalogs/thingsboard.yaml').administration.members).toBe('RIGHT_ORGANIZATION_USERS_MANAGE');
  });
  const doc = (administration: string): string => `apiVersion: charter.dev/v1alpha1
kind: Catalog
metadata: { name: t }
spec:
  kinds:
    - { name: User, scope: Cluster, rights: [RIGHT_USER_INFO] }
    - { name: Organization, scope: Cluster, rights: [RIGHT_ORG_MEMBERS] }
    - { name: Device, rights: [RIGHT_DEVICE_READ] }
  administration: ${administration}
`;
  test.each([
    ['{ members: RIGHT_NOPE }', 'spec.administration.members: expected a concrete right of kind Organization; found RIGHT_NOPE (not in the catalog)'],
    ['{ members: RIGHT_USER_INFO }', 'spec.administration.members: expected a concrete right of kind Organization; found RIGHT_USER_INFO'],
    ['{ collaborators: { Device: RIGHT_ORG_MEMBERS } }', 'spec.administration.collaborators.Device: expected a concrete right of kind Device; found RIGHT_ORG_MEMBERS'],
    ['{ collaborators: { Organization: RIGHT_ORG_MEMBERS } }', 'spec.administration.collaborators: expected a namespaced kind of the catalog; found Organization'],
  ])('%s is refused', (section, problem) => {
    expect(() => catalogFromText(doc(section), 't.yaml')).toThrow(CatalogError);
    try {
      catalogFromText(doc(section), 't.yaml');
    } catch (error) {
      expect((error as CatalogError).problems).toEqual([problem]);
    }
  });
  test('without the section only admins administer', () => {
    const catalog = catalogFromText(doc('{}'), 't.yaml');
    const engine = new Engine(modelOf(user('a'), user('root', { admin: true })), catalog, {}, Date.parse('2026-06-01T00:00:00Z'));
    const grant = collab('ns/c', 'User/a', 'Device/d', ['RIGHT_DEVICE_READ']);
    expect(reasons(judge(engine, { as: 'User/a' }, undefined, grant))).toEqual(['NotPermitted', 'NoEscalation']);
    expect(judge(engine, { as: 'User/root' }, undefined, grant).allowed).toBe(true);
  });
});

describe('statuses', () => {
  test('Users listing the same identity both report AmbiguousIdentity', () => {
    const engine = engineOf(modelOf(user('a', { identities: ['x@example.com'] }), user('b', { identities: ['x@example.com', 'b@example.com'] }), user('c', { identities: ['c@example.com'] })));
    const condition = (name: string) => userStatus(engine, name)!.conditions.find((c) => c.type === 'AmbiguousIdentity');
    expect(condition('a')?.message).toBe('spec.identities: x@example.com is also listed by User/b: every request from it is denied at admission');
    expect(condition('b')?.message).toBe('spec.identities: x@example.com is also listed by User/a: every request from it is denied at admission');
    expect(condition('c')).toBeUndefined();
  });
  test('an owner organization counts its owned users', () => {
    const engine = engineOf(modelOf(org('acme'), user('a', { organization: 'acme' }), user('b', { organization: 'acme' }), user('c')));
    expect(organizationStatus(engine, 'acme')!.ownedUsers).toBe(2);
    const impact = engine.apply([{ type: 'upsert', object: user('c', { organization: 'acme' }) }]);
    expect(impact.statuses.has('Organization/acme')).toBe(true);
    expect(organizationStatus(engine, 'acme')!.ownedUsers).toBe(3);
  });
});
