/**
 * The engine's first build goes by number (groups.ts `build`, memberships.ts by the group index's user numbers,
 * grant-index.ts `bulk`), while changes go through the closure recompute and per-user updates. These hold the build to
 * the same answers as an engine given the same objects one change at a time: groups on a cycle and a group nesting
 * it, memberships through nested groups flowing down to a child organization, and the grant index's lists in the
 * order the collaborations came.
 */
import { expect, test } from '@jest/globals';
import { Engine, type Change } from '../../../src/engine/engine.ts';
import { loadCatalog } from '../../../src/catalog/load-catalog.ts';
import { emptyModel } from '../../../src/model/model.ts';
import { collab, group, modelOf, org, user } from './support.ts';

const NOW = Date.parse('2026-06-01T00:00:00Z');
const INFO = ['RIGHT_ORGANIZATION_INFO'];
const objects = [
  user('zed'),
  user('amy'),
  user('bob'),
  user('cat', { state: 'Suspended' }),
  group('ring-a', { users: ['zed'], groups: ['ring-b'] }),
  group('ring-b', { users: ['amy', 'ghost'], groups: ['ring-a'] }),
  group('outer', { users: ['cat'], groups: ['ring-a', 'missing'] }),
  group('self', { users: ['bob'], groups: ['self'] }),
  org('parent', { namespaces: ['n0'] }),
  org('child', { parent: 'parent', namespaces: ['n1'] }),
  collab('n0/m-outer', 'UserGroup/outer', 'Organization/parent', INFO),
  collab('n1/m-bob', 'User/bob', 'Organization/child', ['RIGHT_ORGANIZATION_INFO', 'RIGHT_ORGANIZATION_SETTINGS_BASIC']),
  collab('n1/m-self', 'UserGroup/self', 'Organization/child', INFO),
  collab('n0/app-1', 'UserGroup/ring-b', 'Application/a1', ['RIGHT_APPLICATION_INFO']),
  collab('n0/app-2', 'UserGroup/ring-b', 'Application/a2', ['RIGHT_APPLICATION_INFO']),
  collab('n0/app-3', 'User/zed', 'Application/a1', ['RIGHT_APPLICATION_LINK']),
];

function picture(engine: Engine): unknown {
  const users = [...engine.model.users.keys()].sort();
  const groups = [...engine.model.groups.keys()].sort();
  return {
    members: groups.map((g) => [g, [...engine.groups.membersOf(g)].sort(), engine.groups.cyclic.has(g)]),
    groupsOf: users.map((u) => [u, [...engine.groups.groupsOf(u)].sort()]),
    memberships: users.map((u) => [u, [...engine.membershipsOf(u)].map(([o, m]) => [o, engine.sets.rightNames(m.mask), m.direct, m.viaGroup]).sort()]),
    organizationMembers: ['parent', 'child'].map((o) => [o, [...engine.organizationMembers(o).keys()].sort()]),
    withSubject: ['UserGroup/ring-b', 'User/zed', 'User/bob', 'UserGroup/self'].map((s) => [s, [...engine.collaborationsWithSubject(s)]]),
    inNamespace: ['n0', 'n1'].map((ns) => [ns, [...engine.collaborationsIn(ns)]]),
  };
}

test('a first build by number gives what the same objects give one change at a time', () => {
  const catalog = loadCatalog();
  const built = new Engine(modelOf(...objects), catalog, {}, NOW);
  const stepped = new Engine(emptyModel(), catalog, {}, NOW);
  for (const object of objects) stepped.apply([{ type: 'upsert', object } satisfies Change]);
  expect(picture(built)).toEqual(picture(stepped));
  // And what the build gives is the closure: the ring's members through nesting, the suspended user a member too.
  expect([...built.groups.membersOf('outer')].sort()).toEqual(['amy', 'cat', 'zed']);
  expect(built.membershipsOf('amy').get('child')?.viaGroup).toBe(true);
  expect([...built.collaborationsIn('n0')]).toEqual(['n0/m-outer', 'n0/app-1', 'n0/app-2', 'n0/app-3']);
  // The build's lists take later changes as any others do.
  built.apply([{ type: 'delete', kind: 'Collaboration', namespace: 'n0', name: 'app-1' }]);
  stepped.apply([{ type: 'delete', kind: 'Collaboration', namespace: 'n0', name: 'app-1' }]);
  expect(picture(built)).toEqual(picture(stepped));
});

test("a membership flowing down to a child organization meets the user's own there, in either order, in the build as one change at a time", () => {
  const catalog = loadCatalog();
  const settings = ['RIGHT_ORGANIZATION_INFO', 'RIGHT_ORGANIZATION_SETTINGS_BASIC'];
  // amy: her own membership of the child comes first, her group's of the parent (flowing to the child) after;
  // bob: his group's membership of the child first, his own of the parent after.
  const flows = [
    user('amy'),
    user('bob'),
    group('amy-team', { users: ['amy'] }),
    group('bob-team', { users: ['bob'] }),
    org('parent', { namespaces: ['n0'] }),
    org('child', { parent: 'parent', namespaces: ['n1'] }),
    collab('n1/m-amy', 'User/amy', 'Organization/child', INFO),
    collab('n1/m-bob-team', 'UserGroup/bob-team', 'Organization/child', INFO),
    collab('n0/m-amy-team', 'UserGroup/amy-team', 'Organization/parent', settings),
    collab('n0/m-bob', 'User/bob', 'Organization/parent', settings),
  ];
  const built = new Engine(modelOf(...flows), catalog, {}, NOW);
  const stepped = new Engine(emptyModel(), catalog, {}, NOW);
  for (const object of flows) stepped.apply([{ type: 'upsert', object } satisfies Change]);
  const memberships = (engine: Engine): unknown =>
    ['amy', 'bob'].map((u) => [...engine.membershipsOf(u)].map(([o, m]) => [o, engine.sets.rightNames(m.mask), m.direct, m.viaGroup]).sort());
  expect(memberships(built)).toEqual(memberships(stepped));
  for (const u of ['amy', 'bob']) {
    const child = built.membershipsOf(u).get('child');
    expect([child?.direct, child?.viaGroup]).toEqual([true, true]);
    expect(built.sets.rightNames(child!.mask)).toEqual(expect.arrayContaining(settings));
  }
});
