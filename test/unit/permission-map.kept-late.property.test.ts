/**
 * Kept maps made late equal fresh builds: `IncrementalMaps` made after random changes to its engine (users named
 * after the build, whose names may sort before the others', so its walk's numbers no longer ascend in name order),
 * each namespace first kept at a different later step, then refreshed through more changes — every write, whole and
 * split into shards, byte for byte the ConfigMaps `buildNamespaceMap` + `shardMap` give on a fresh engine of the same
 * model. The kept-vs-fresh properties elsewhere make the kept maps right after the build, where almost every name is
 * numbered in name order: a users' index wrongly made unsorted passed them (permission-map.kept-walk.test.ts has the
 * case that fails on it, and a property of it).
 */
import { test } from '@jest/globals';
import fc from 'fast-check';
import { loadCatalog } from '../../src/catalog/load-catalog.ts';
import { Engine, type Change } from '../../src/engine/engine.ts';
import type { Model } from '../../src/model/model.ts';
import { buildNamespaceMap } from '../../src/permission-map/build-maps.ts';
import { IncrementalMaps } from '../../src/permission-map/incremental-maps.ts';
import { shardMap, type PermissionMapWrite, type ShardOptions } from '../../src/permission-map/shard.ts';
import { T0, applyToModel, changeArb, cloneModel, modelArb } from './engine/arbitraries.ts';
import { NOW, modelOfScenario, scenarioArb, scenarioChangeArb } from './engine/scenario-arbitraries.ts';

const catalog = loadCatalog();
type Options = { adminRights: 'all' | 'default' };

const written = (write: () => PermissionMapWrite): string => {
  try {
    return JSON.stringify(write().configMaps);
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
};

/** The namespaces `pick` chooses (a bit each; every one when `pick` is undefined), kept against fresh. */
function check(maps: IncrementalMaps, model: Model, options: Options, now: number, pick: number | undefined): void {
  const fresh = new Engine(cloneModel(model), catalog, options, now);
  fresh.mapNamespaces().forEach((ns, i) => {
    if (pick !== undefined && ((pick >> i) & 1) === 0) return;
    const map = buildNamespaceMap(fresh, ns);
    const index = shardMap(map).configMaps.at(-1)!.data['index.json']!;
    // The defaults (one ConfigMap for these small maps), and a budget that splits them into shards.
    for (const shardOptions of [{}, { budgetBytes: index.length + 600, maxShards: 1_000_000 }] as Array<Omit<ShardOptions, 'rendered'>>) {
      const kept = written(() => maps.write(ns, shardOptions));
      const expected = written(() => shardMap(map, shardOptions));
      if (kept !== expected) throw new Error(`namespace ${ns} ${JSON.stringify(shardOptions)}:\n kept  ${kept}\n fresh ${expected}`);
    }
  });
}

function run(initial: Model, before: Change[], after: Change[], options: Options, now: number, pick: number): void {
  const live = new Engine(cloneModel(initial), catalog, options, now);
  const model = cloneModel(initial);
  for (const change of before) {
    live.apply([change]);
    applyToModel(model, change);
  }
  const maps = new IncrementalMaps(live); // made late, as after changes
  check(maps, model, options, now, pick);
  for (const change of after) {
    live.apply([change]);
    applyToModel(model, change);
    for (const ns of maps.keptNamespaces()) if (!live.hasMap(ns)) maps.forget(ns);
    pick = (pick * 7 + 3) & 15; // other namespaces first kept at each step
    check(maps, model, options, now, pick);
  }
  check(maps, model, options, now, undefined);
}

test('kept maps made after changes, namespaces first kept at later steps, equal fresh builds (random models)', () => {
  fc.assert(
    fc.property(modelArb, fc.array(changeArb, { maxLength: 10 }), fc.array(changeArb, { maxLength: 10 }), fc.boolean(), fc.nat(15), (model, before, after, adminAll, pick) =>
      run(model, before, after, { adminRights: adminAll ? 'all' : 'default' }, T0, pick),
    ),
    { numRuns: 300 },
  );
});

test('kept maps made after changes, namespaces first kept at later steps, equal fresh builds (scenarios)', () => {
  fc.assert(
    fc.property(scenarioArb, fc.array(scenarioChangeArb, { maxLength: 10 }), fc.array(scenarioChangeArb, { maxLength: 10 }), fc.nat(15), (scenario, before, after, pick) =>
      run(modelOfScenario(scenario), before, after, { adminRights: scenario.adminRights }, NOW, pick),
    ),
    { numRuns: 300 },
  );
});
