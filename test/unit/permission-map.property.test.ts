import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { buildPermissionMaps, type NamespaceMap } from '../../src/permission-map/build-maps.ts';
import { dataBytes, indexTexts, shardMap } from '../../src/permission-map/shard.ts';
import { NOW, modelOfScenario, scenarioArb } from './engine/scenario-arbitraries.ts';
import { engineOf } from './engine/support.ts';
import { differences, readBack, writeProblems } from './permission-map.support.ts';

/** Tiny budgets split maps into many shards: more than a deployment allows, which is not what these tests are about. */
const UNBOUNDED = 1_000_000;

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
          const split = shardMap(map, { budgetBytes: budget, maxShards: UNBOUNDED }); // the maximum is tested on its own
          if (split.index.shards.length > 1 || split.configMaps.length > 1) sharded++;
          expect(writeProblems(split, budget)).toEqual([]);
          expect(differences(engine, ns, readBack(split))).toEqual([]);
          // The index text (assembled from parts) is JSON.stringify of the index, its hash that of the hashed fields;
          // also for a withheld map (too many shards).
          const withheld = shardMap(map, { budgetBytes: budget, maxShards: 1 });
          for (const write of [whole, split, withheld]) {
            const t = indexTexts(write, write.withheld ? { ...map, organization: undefined, nextExpiry: undefined, rights: [], kinds: [], admins: { users: [], rights: {} }, withheld: { reason: write.withheld.reason, message: write.withheld.message } } : map);
            expect(t.text).toBe(t.expected);
            expect(t.hash).toBe(t.expectedHash);
          }
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
