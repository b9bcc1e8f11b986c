/**
 * Random scenarios for property tests: every user, organization and group of small universes present (random
 * states, labels, parents, namespaces, members), and up to 20 Collaborations among them — dense enough that most
 * users hold rights somewhere, which the generic `modelArb` (any objects, any may be missing) rarely gives.
 */
import fc from 'fast-check';
import type { Change, EngineOptions } from '../../../src/engine/engine.ts';
import type { CollaborationObject, Model, OrganizationObject, UserGroupObject, UserObject, UserState } from '../../../src/model/model.ts';
import { RIGHTS as SOME_RIGHTS } from './arbitraries.ts';
import { collab, group, modelOf, org, user } from './support.ts';

export const NOW = Date.parse('2026-06-01T00:00:00Z');
const USERS = ['u0', 'u1', 'u2', 'u3', 'u4', 'u5'];
const ORGS = ['o0', 'o1', 'o2'];
const GROUPS = ['g0', 'g1', 'g2'];
const NAMESPACES = ['n0', 'n1', 'n2', 'n3'];
/** Known rights only: the scenarios are about who holds what, not about invalid grants. */
const RIGHTS = [...SOME_RIGHTS.filter((r) => r !== 'RIGHT_NOT_A_RIGHT'), 'RIGHT_CLIENT_ALL'];
/** Every entity a scenario's grants can name (User/u0 among them: an invalid target). */
export const TARGETS = ['Organization/o0', 'Organization/o1', 'Organization/o2', 'Application/a0', 'Application/a1', 'Gateway/gw0', 'Gateway/gw1', 'Client/c0', 'User/u0'];

const someOf = <T>(items: readonly T[], max = items.length) => fc.subarray([...items], { maxLength: max });

const userArb = (name: string): fc.Arbitrary<UserObject> =>
  fc
    .record({
      admin: fc.boolean(),
      state: fc.constantFrom<UserState>('Approved', 'Approved', 'Approved', 'Flagged', 'Requested', 'Rejected', 'Suspended'),
      team: fc.constantFrom('a', 'b', undefined),
    })
    .map(({ admin, state, team }) => user(name, { admin, state, labels: team ? { team } : {} }));

const orgArb = (name: string): fc.Arbitrary<OrganizationObject> =>
  fc
    .record({
      namespaces: someOf(NAMESPACES, 2),
      parent: fc.option(fc.constantFrom(...ORGS), { nil: undefined }),
      ownerRights: fc.option(someOf(RIGHTS, 3), { nil: undefined }),
    })
    .map(({ namespaces, parent, ownerRights }) => org(name, { namespaces, parent: parent === name ? undefined : parent, ownerRights }));

const groupArb = (name: string): fc.Arbitrary<UserGroupObject> =>
  fc
    .record({ users: someOf([...USERS, 'ghost'], 3), groups: someOf([...GROUPS, 'nope'], 2), selector: fc.boolean() })
    .map(({ users, groups, selector }) => group(name, { users, groups, selector: selector ? { matchLabels: { team: 'a' } } : undefined }));

const collabArb = (i: number): fc.Arbitrary<CollaborationObject> =>
  fc
    .record({
      namespace: fc.constantFrom(...NAMESPACES),
      subject: fc.oneof(
        fc.constantFrom(...USERS, 'ghost').map((n) => `User/${n}`),
        fc.constantFrom(...GROUPS).map((n) => `UserGroup/${n}`),
        fc.constantFrom(...ORGS).map((n) => `Organization/${n}`),
      ),
      target: fc.constantFrom(...TARGETS),
      rights: someOf(RIGHTS, 3),
      expiresAt: fc.option(fc.constantFrom(NOW - 1000, NOW + 1000, NOW + 86_400_000), { nil: undefined }),
    })
    .map(({ namespace, subject, target, rights, expiresAt }) => collab(`${namespace}/c${i}`, subject, target, rights, { expiresAt }));

/** A scenario: every user, organization and group present (random fields), 0–20 Collaborations. */
export const scenarioArb = fc.record({
  users: fc.tuple(...USERS.map(userArb)),
  orgs: fc.tuple(...ORGS.map(orgArb)),
  groups: fc.tuple(...GROUPS.map(groupArb)),
  collabs: fc.integer({ min: 0, max: 20 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => collabArb(i)))),
  adminRights: fc.constantFrom<NonNullable<EngineOptions['adminRights']>>('default', 'all'),
  /** For sharding tests: bytes beyond what the index alone takes (small enough that most maps with content shard). */
  slack: fc.integer({ min: 100, max: 700 }),
});

/** The model of a scenario (a fresh one at each call: an engine owns and mutates its model). */
export const modelOfScenario = (s: { users: UserObject[]; orgs: OrganizationObject[]; groups: UserGroupObject[]; collabs: CollaborationObject[] }): Model =>
  modelOf(...s.users, ...s.orgs, ...s.groups, ...s.collabs);

/**
 * A change within a scenario's universes: a user, organization, group or Collaboration (c0–c19 of a namespace)
 * replaced by another random one of the same name, or deleted.
 */
export const scenarioChangeArb: fc.Arbitrary<Change> = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...USERS).chain(userArb).map((object): Change => ({ type: 'upsert', object })) },
  { weight: 1, arbitrary: fc.constantFrom(...ORGS).chain(orgArb).map((object): Change => ({ type: 'upsert', object })) },
  { weight: 2, arbitrary: fc.constantFrom(...GROUPS).chain(groupArb).map((object): Change => ({ type: 'upsert', object })) },
  { weight: 5, arbitrary: fc.integer({ min: 0, max: 19 }).chain(collabArb).map((object): Change => ({ type: 'upsert', object })) },
  {
    weight: 2,
    arbitrary: fc.oneof(
      fc.constantFrom(...USERS).map((name): Change => ({ type: 'delete', kind: 'User', name })),
      fc.constantFrom(...ORGS).map((name): Change => ({ type: 'delete', kind: 'Organization', name })),
      fc.constantFrom(...GROUPS).map((name): Change => ({ type: 'delete', kind: 'UserGroup', name })),
      fc.tuple(fc.constantFrom(...NAMESPACES), fc.integer({ min: 0, max: 19 })).map(([namespace, i]): Change => ({ type: 'delete', kind: 'Collaboration', namespace, name: `c${i}` })),
    ),
  },
);

/** Times a scenario's expiring Collaborations (NOW - 1000, NOW + 1000, NOW + 1 day) fall before or after. */
export const SCENARIO_TIMES = [NOW - 2000, NOW, NOW + 2000, NOW + 90_000_000] as const;
