import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import type { EngineOptions } from '../../src/engine/engine.ts';
import type { CollaborationObject, Model, OrganizationObject, UserGroupObject, UserObject, UserState } from '../../src/model/model.ts';
import { buildPermissionMaps, type NamespaceMap } from '../../src/permission-map/build-maps.ts';
import { dataBytes, shardMap } from '../../src/permission-map/shard.ts';
import { collab, engineOf, group, modelOf, org, user } from './engine/support.ts';
import { differences, readBack, writeProblems } from './permission-map.support.ts';

const NOW = Date.parse('2026-06-01T00:00:00Z');
const USERS = ['u0', 'u1', 'u2', 'u3', 'u4', 'u5'];
const ORGS = ['o0', 'o1', 'o2'];
const GROUPS = ['g0', 'g1', 'g2'];
const NAMESPACES = ['n0', 'n1', 'n2', 'n3'];
const RIGHTS = [
  'RIGHT_ALL',
  'RIGHT_APPLICATION_ALL',
  'RIGHT_APPLICATION_INFO',
  'RIGHT_APPLICATION_LINK',
  'RIGHT_APPLICATION_DEVICES_READ_KEYS',
  'RIGHT_GATEWAY_ALL',
  'RIGHT_GATEWAY_LINK',
  'RIGHT_GATEWAY_INFO',
  'RIGHT_CLIENT_ALL',
  'RIGHT_ORGANIZATION_INFO',
  'RIGHT_ORGANIZATION_ALL',
  'RIGHT_USER_INFO',
];
const TARGETS = ['Organization/o0', 'Organization/o1', 'Organization/o2', 'Application/a0', 'Application/a1', 'Gateway/gw0', 'Gateway/gw1', 'Client/c0', 'User/u0'];

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

const scenarioArb = fc.record({
  users: fc.tuple(...USERS.map(userArb)),
  orgs: fc.tuple(...ORGS.map(orgArb)),
  groups: fc.tuple(...GROUPS.map(groupArb)),
  collabs: fc.integer({ min: 0, max: 20 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => collabArb(i)))),
  adminRights: fc.constantFrom<NonNullable<EngineOptions['adminRights']>>('default', 'all'),
  /** Bytes beyond what the index alone takes: small enough that most maps with content shard. */
  slack: fc.integer({ min: 100, max: 700 }),
});

const modelOfScenario = (s: { users: UserObject[]; orgs: OrganizationObject[]; groups: UserGroupObject[]; collabs: CollaborationObject[] }): Model =>
  modelOf(...s.users, ...s.orgs, ...s.groups, ...s.collabs);

describe('permission maps on random models', () => {
  test('reader == evaluate for every (user, entity, right), unsharded and sharded', () => {
    let sharded = 0;
    let runs = 0;
    fc.assert(
      fc.property(scenarioArb, (s) => {
        runs++;
        const engine = engineOf(modelOfScenario(s), { adminRights: s.adminRights, now: NOW });
        for (const [ns, map] of buildPermissionMaps(engine)) {
          const whole = shardMap(map);
          expect(writeProblems(whole, 900 * 1024)).toEqual([]);
          expect(differences(engine, ns, readBack(whole))).toEqual([]);
          const indexBytes = dataBytes({ 'index.json': whole.configMaps[0]!.data['index.json']! });
          const budget = indexBytes + s.slack;
          const split = shardMap(map, { budgetBytes: budget });
          if (split.index.shards.length > 1 || split.configMaps.length > 1) sharded++;
          expect(writeProblems(split, budget)).toEqual([]);
          expect(differences(engine, ns, readBack(split))).toEqual([]);
        }
      }),
      { numRuns: 300, interruptAfterTimeLimit: 60_000 },
    );
    expect(runs).toBeGreaterThan(20);
    expect(sharded).toBeGreaterThan(runs / 10); // maps, sharded ones among them
  }, 90_000);

  test('nextExpiry: no map changes at an expiry before its nextExpiry, which is the expiry of an active grant', () => {
    let bounded = 0;
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const model = modelOfScenario(s);
        const content = (map: NamespaceMap | undefined): string => JSON.stringify(map && { rows: map.rows, admins: map.admins, organization: map.organization });
        const now = buildPermissionMaps(engineOf(model, { adminRights: s.adminRights, now: NOW }));
        const expiries = [...new Set(s.collabs.flatMap((c) => (c.expiresAt !== undefined && c.expiresAt > NOW ? [c.expiresAt] : [])))];
        // The maps at each time a grant expires: the only times a map can change.
        const later = new Map(expiries.map((t) => [t, buildPermissionMaps(engineOf(modelOfScenario(s), { adminRights: s.adminRights, now: t }))]));
        for (const [ns, map] of now) {
          if (map.nextExpiry !== undefined) {
            bounded++;
            expect(expiries).toContain(map.nextExpiry);
          }
          for (const [t, maps] of later) {
            if (map.nextExpiry === undefined || t < map.nextExpiry) expect([ns, t, content(maps.get(ns))]).toEqual([ns, t, content(map)]);
          }
        }
      }),
      { numRuns: 3000, interruptAfterTimeLimit: 60_000 },
    );
    expect(bounded).toBeGreaterThan(20);
  }, 90_000);
});
