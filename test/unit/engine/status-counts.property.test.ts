/**
 * Statuses count and list without building what a count does not need (status.ts): an Organization's
 * `authorizedUsers` are the sizes of `authorizedUserSets` (the users behind each count), and a bounded list is the
 * first LIST_LIMIT names of the sorted whole. Both on random inputs, the organizations' under random grants added.
 */
import { expect, test } from '@jest/globals';
import fc from 'fast-check';
import { loadCatalog } from '../../../src/catalog/load-catalog.ts';
import { Engine, type Change } from '../../../src/engine/engine.ts';
import { LIST_LIMIT, authorizedUserSets, authorizedUsers, bounded } from '../../../src/engine/status.ts';
import type { UserState } from '../../../src/model/model.ts';
import { applyToModel, cloneModel } from './arbitraries.ts';
import { NOW } from './scenario-arbitraries.ts';
import { APPLICABLE_RIGHTS, collab, group, modelOf, org, user } from './support.ts';

const catalog = loadCatalog();

/**
 * Models where organizations reach users through several namespaces: o0 owns n0 and n1, o1 (o0's child or not) owns
 * n2; users in groups, memberships of users and groups, and 6–20 grants with applicable rights on entities there.
 */
const USERS = ['u0', 'u1', 'u2', 'u3', 'u4'];
const SUBJECTS = [...USERS.map((u) => `User/${u}`), 'UserGroup/g0', 'UserGroup/g1', 'Organization/o0', 'Organization/o1'];
const grantArb = fc
  .record({
    namespace: fc.constantFrom('n0', 'n1', 'n2'),
    subject: fc.constantFrom(...SUBJECTS),
    target: fc.constantFrom('Application/a0', 'Application/a1', 'Gateway/gw0', 'Organization/o0', 'Organization/o1'),
  })
  .chain((g) => fc.subarray(APPLICABLE_RIGHTS[g.target.split('/')[0]!]!, { minLength: 1 }).map((rights) => ({ ...g, rights })));
const reachModelArb = fc
  .record({
    states: fc.array(fc.constantFrom<UserState>('Approved', 'Approved', 'Approved', 'Suspended'), { minLength: USERS.length, maxLength: USERS.length }),
    admins: fc.subarray(USERS, { maxLength: 1 }),
    g0: fc.subarray(USERS),
    g1: fc.subarray(USERS),
    team: fc.boolean(),
    child: fc.boolean(),
    grants: fc.array(grantArb, { minLength: 6, maxLength: 20 }),
  })
  .map((m) =>
    modelOf(
      ...USERS.map((u, i) => user(u, { state: m.states[i], admin: m.admins.includes(u) })),
      group('g0', { users: m.g0 }),
      group('g1', { users: m.g1, organization: m.team ? 'o0' : undefined }),
      org('o0', { namespaces: ['n0', 'n1'] }),
      org('o1', { namespaces: ['n2'], parent: m.child ? 'o0' : undefined }),
      ...m.grants.map((g, i) => collab(`${g.namespace}/c${i}`, g.subject, g.target, g.rights)),
    ),
  );

test('authorizedUsers == the sizes of authorizedUserSets, on random models with organizations owning several namespaces, grants added', () => {
  let unioned = 0;
  fc.assert(
    fc.property(reachModelArb, fc.array(grantArb, { maxLength: 4 }), fc.constantFrom<'default' | 'all'>('default', 'all'), (model, more, adminRights) => {
      const engine = new Engine(model, catalog, { adminRights }, NOW);
      const changes = more.map((g, i): Change => ({ type: 'upsert', object: collab(`${g.namespace}/c${i}`, g.subject, g.target, g.rights) }));
      for (const change of [undefined, ...changes]) {
        if (change) engine.apply([change]);
        for (const org of engine.model.organizations.keys()) {
          const sets = authorizedUserSets(engine, org);
          expect(authorizedUsers(engine, org)).toEqual({
            all: sets.all.size,
            admins: sets.admins.size,
            throughGroups: sets.throughGroups.size,
            throughTeams: sets.throughTeams.size,
            throughCollaborations: sets.throughCollaborations.size,
            throughEntities: Object.fromEntries([...sets.throughEntities].sort(([a], [b]) => (a < b ? -1 : 1)).map(([kind, users]) => [kind, users.size])),
          });
          const kinds = (engine.organizations.owned.get(org) ?? []).flatMap((ns) => [...engine.entityReach(ns).keys()]);
          if (new Set(kinds).size < kinds.length) unioned++; // a kind reached through several namespaces
        }
      }
    }),
    { numRuns: 300 },
  );
  expect(unioned).toBeGreaterThan(100); // organizations reaching users through several namespaces were seen
});

test('bounded == the first LIST_LIMIT of the sorted list, for lists of distinct names of any length', () => {
  const name = fc.oneof(fc.string({ maxLength: 4 }), fc.constantFrom('a', 'B', 'é', '😀', 'z1', 'Z', '10', '9'), fc.string({ unit: 'binary', maxLength: 3 }));
  fc.assert(
    fc.property(fc.oneof(fc.uniqueArray(name, { maxLength: LIST_LIMIT + 1 }), fc.uniqueArray(name, { minLength: LIST_LIMIT + 1, maxLength: 400 })), (names) => {
      expect(bounded(names)).toEqual([...names].sort().slice(0, LIST_LIMIT));
      expect(bounded(new Set(names))).toEqual([...names].sort().slice(0, LIST_LIMIT));
    }),
    { numRuns: 300 },
  );
});

test('the counts stay right past 2³¹ marks (a long-running operator): the epochs start again before the 32-bit marks overflow', () => {
  fc.assert(
    fc.property(reachModelArb, fc.array(grantArb, { maxLength: 4 }), (model, more) => {
      const engine = new Engine(cloneModel(model), catalog, {}, NOW);
      const reference = cloneModel(model);
      // What weeks of counting leave: the epoch a few counts short of what an Int32Array holds.
      (engine as unknown as { reach: { epoch: number } }).reach.epoch = 2 ** 31 - 4;
      const changes = more.map((g, i): Change => ({ type: 'upsert', object: collab(`${g.namespace}/c${i}`, g.subject, g.target, g.rights) }));
      for (const change of [undefined, ...changes, undefined]) {
        if (change) {
          engine.apply([change]);
          applyToModel(reference, change);
        }
        const fresh = new Engine(cloneModel(reference), catalog, {}, NOW);
        for (const org of engine.model.organizations.keys()) expect(authorizedUsers(engine, org)).toEqual(authorizedUsers(fresh, org));
      }
    }),
    { numRuns: 100 },
  );
});
