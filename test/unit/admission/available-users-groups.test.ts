/**
 * admission.md §3.4 through groups (src/admission/available-users.ts, joinersNotAvailable): a Collaboration naming a
 * group names whoever joins it or a group it contains, so a user joining — listed, through a nested group, or newly
 * matched by a selector — must be available to the organizations limiting that Collaboration, or already a member,
 * unless the requester is an admin or holds seeAllUsers. The audit's probe P12: ann may not name zed directly, and
 * could add zed to a group a Share grant in media already names.
 */
import { describe, expect, test } from '@jest/globals';
import { Engine } from '../../../src/engine/engine.ts';
import type { ModelObject, UserGroupObject } from '../../../src/model/model.ts';
import { collab, group, judge, lines, modelOf, org, reasons, user } from './support.ts';
import { aspera, available, mediaObjects } from './media-fixture.ts';

const mixed = group('mixed', { organization: 'media', users: ['victor'] });
// A Share grant in media naming mixed.
const base: ModelObject[] = mediaObjects(mixed, collab('media/c-x', 'UserGroup/mixed', 'Share/dailies', [], { role: 'viewer' }));
const engine = (...extra: ModelObject[]): Engine => {
  const byName = new Map<string, ModelObject>();
  for (const o of [...base, ...extra]) byName.set(`${o.kind}/${o.kind === 'Collaboration' ? `${o.namespace}/` : ''}${o.name}`, o);
  return new Engine(modelOf(...byName.values()), aspera, {}, Date.parse('2026-06-01T00:00:00Z'));
};
const withUsers = (g: UserGroupObject, ...users: string[]): UserGroupObject => ({ ...g, users: [...g.users, ...users] });

describe('SubjectNotAvailable for users joining a group a limited Collaboration names', () => {
  test('P12: adding a user ann may not name directly to a group a grant in media names is denied', () => {
    expect(reasons(judge(engine(), { as: 'User/ann' }, undefined, collab('media/c-z', 'User/zed', 'Share/dailies', [], { role: 'viewer' })))).toEqual(['SubjectNotAvailable']);
    expect(lines(judge(engine(), { as: 'User/ann' }, mixed, withUsers(mixed, 'zed')))).toEqual([
      'SubjectNotAvailable: User/zed joins UserGroup/mixed, named by Collaboration/media/c-x, and is neither available to Organization/media (spec.availableUsers) nor a member of it; naming it requires holding RIGHT_ORGANIZATION_SEE_ALL_USERS on Organization/media or being an admin',
    ]);
  });

  test('available users, members of available groups and members of the organization may join', () => {
    const g = { ...mixed, users: [] };
    expect(judge(engine(g), { as: 'User/ann' }, g, withUsers(g, 'victor', 'fay', 'walt')).allowed).toBe(true);
  });

  test('seeAllUsers and admins lift the limit', () => {
    expect(judge(engine(), { as: 'User/olga' }, mixed, withUsers(mixed, 'zed')).allowed).toBe(true);
    expect(judge(engine(), { as: 'User/sysop' }, mixed, withUsers(mixed, 'zed')).allowed).toBe(true);
  });

  test('through a nested group, and a selector newly matching', () => {
    const outsiders = group('outsiders', { organization: 'media', users: ['zed'] });
    expect(reasons(judge(engine(outsiders), { as: 'User/ann' }, mixed, { ...mixed, groups: ['outsiders'] }))).toEqual(['SubjectNotAvailable']);
    const zed = user('zed', { labels: { team: 'x' } });
    expect(reasons(judge(engine(zed), { as: 'User/ann' }, mixed, { ...mixed, selector: { matchLabels: { team: 'x' } } }))).toEqual(['SubjectNotAvailable']);
  });

  test('through a group containing it: a grant naming the outer group names the inner group’s new members', () => {
    const outer = group('outer', { organization: 'media', groups: ['mixed'] });
    const onOuter = collab('media/c-x', 'UserGroup/outer', 'Share/dailies', [], { role: 'viewer' });
    expect(lines(judge(engine(outer, onOuter), { as: 'User/ann' }, mixed, withUsers(mixed, 'zed')))[0]).toMatch(/^SubjectNotAvailable: User\/zed joins UserGroup\/outer, named by Collaboration\/media\/c-x, and is neither/);
    // zed already a member of outer (listed there): nobody new is named.
    const outerZed = { ...outer, users: ['zed'] };
    expect(judge(engine(outerZed, onOuter), { as: 'User/ann' }, mixed, withUsers(mixed, 'zed')).allowed).toBe(true);
  });

  test('a user joining a group availableUsers lists is available after the change', () => {
    const open = org('media', { namespaces: ['media'], availableUsers: { ...available, groups: ['mixed'] } });
    expect(judge(engine(open), { as: 'User/ann' }, mixed, withUsers(mixed, 'zed')).allowed).toBe(true);
  });

  test('memberships naming the group are limited by the organization they target; no limit, no denial', () => {
    const mMixed = collab('media/m-mixed', 'UserGroup/mixed', 'Organization/media', ['RIGHT_SHARE_BROWSE']);
    const free = org('media', { namespaces: ['media'] });
    const c = collab('media/c-x', 'UserGroup/freelancers', 'Share/dailies', [], { role: 'viewer' });
    expect(reasons(judge(engine(mMixed, c), { as: 'User/ann' }, mixed, withUsers(mixed, 'zed')))).toEqual(['SubjectNotAvailable']);
    expect(judge(engine(free), { as: 'User/ann' }, mixed, withUsers(mixed, 'zed')).allowed).toBe(true);
  });
});

describe('a created user that a selector group picks up at once (review of the fixes, R7)', () => {
  test('a member manager creating an owned user whom an empty-selector group named in limited media matches: SubjectNotAvailable, as naming the user directly', () => {
    const everyone = group('everyone', { organization: 'media', selector: {} });
    const e = engine(everyone, collab('media/c-all', 'UserGroup/everyone', 'Share/dailies', [], { role: 'viewer' }));
    expect(reasons(judge(e, { as: 'User/ann' }, undefined, collab('media/c-z', 'User/zed', 'Share/dailies', [], { role: 'viewer' })))).toEqual(['SubjectNotAvailable']);
    expect(reasons(judge(e, { as: 'User/ann' }, undefined, user('yan', { organization: 'media', state: 'Approved' })))).toContain('SubjectNotAvailable');
    // available by name: allowed; an admin: allowed
    const named = engine(everyone, collab('media/c-all', 'UserGroup/everyone', 'Share/dailies', [], { role: 'viewer' }), org('media', { namespaces: ['media'], availableUsers: { ...available, users: ['victor', 'yan'] } }));
    expect(reasons(judge(named, { as: 'User/ann' }, undefined, user('yan', { organization: 'media', state: 'Approved' })))).not.toContain('SubjectNotAvailable');
    expect(judge(e, { as: 'User/sysop' }, undefined, user('yan', { organization: 'media', state: 'Approved' })).allowed).toBe(true);
  });
});
