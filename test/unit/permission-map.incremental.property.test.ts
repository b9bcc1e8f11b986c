/**
 * Incremental maps == maps built fresh: after every step of a random sequence of changes and time steps, the maps
 * kept by `IncrementalMaps` (rows moved for the users each Impact names) render to the same ConfigMaps, byte for
 * byte, as `buildNamespaceMap` + `shardMap` on an engine built from scratch on the resulting model, whole and split
 * into shards.
 */
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { loadCatalog } from '../../src/catalog/load-catalog.ts';
import { Engine, type Change, type EngineOptions } from '../../src/engine/engine.ts';
import type { Model } from '../../src/model/model.ts';
import { buildNamespaceMap } from '../../src/permission-map/build-maps.ts';
import { IncrementalMaps } from '../../src/permission-map/incremental-maps.ts';
import { shardMap, type PermissionMapWrite } from '../../src/permission-map/shard.ts';
import { T0, applyToModel, changeArb, cloneModel, modelArb } from './engine/arbitraries.ts';
import { NOW, modelOfScenario, scenarioArb } from './engine/scenario-arbitraries.ts';
import { collab, group, modelOf, org, user } from './engine/support.ts';

const catalog = loadCatalog();
const configMaps = (write: PermissionMapWrite): string => JSON.stringify(write.configMaps);

/** The ConfigMaps, or the error a too small budget gives (the same on both sides). */
function rendered(write: () => PermissionMapWrite): string {
  try {
    return configMaps(write());
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
}

/** Every namespace's ConfigMaps, whole and split, from the kept maps and from a fresh engine: the differences. */
function differences(maps: IncrementalMaps, live: Engine, fresh: Engine): string[] {
  const out: string[] = [];
  const namespaces = fresh.mapNamespaces();
  if (live.mapNamespaces().join() !== namespaces.join()) out.push(`namespaces ${live.mapNamespaces().join()} vs ${namespaces.join()}`);
  // hasMap (what the ConfigMap writer asks) says the same as the list, for every namespace the models can name.
  for (const ns of new Set([...namespaces, ...maps.keptNamespaces(), 'n0', 'n1', 'n2', 'n3', 'elsewhere'])) {
    if (live.hasMap(ns) !== namespaces.includes(ns)) out.push(`${ns}: hasMap ${live.hasMap(ns)}, listed ${namespaces.includes(ns)}`);
  }
  for (const ns of namespaces) {
    const full = buildNamespaceMap(fresh, ns);
    // Whole, and with a budget a little above the index's size, so that most maps are split into shards.
    const index = shardMap(full).configMaps.at(-1)!.data['index.json']!;
    const small = { budgetBytes: index.length + 600, maxShards: 1_000_000 };
    for (const options of [{}, small]) {
      const a = rendered(() => maps.write(ns, options));
      const b = rendered(() => shardMap(full, options));
      if (a !== b) out.push(`${ns} ${JSON.stringify(options)}:\n  incremental ${a}\n  full        ${b}`);
      // Asked again with nothing changed: the same write, made again from its kept parts (`writeFromParts`).
      const again = rendered(() => maps.write(ns, options));
      if (again !== b) out.push(`${ns} ${JSON.stringify(options)}, asked again:\n  incremental ${again}\n  full        ${b}`);
    }
  }
  return out;
}

type Step = { change: Change; read: boolean } | { time: number; read: boolean };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ change: changeArb, read: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ time: fc.constantFrom(T0 - 2000, T0, T0 + 1000, T0 + 3000, T0 + 6000), read: fc.boolean() }) },
);

/** Runs steps on an engine with kept maps and a reference model; the kept maps' counters at the end. */
function run(initial: Model, steps: readonly Step[], options: EngineOptions, warm: boolean, t0: number): IncrementalMaps['stats'] {
  const live = new Engine(cloneModel(initial), catalog, options, t0);
  const reference = cloneModel(initial);
  const maps = new IncrementalMaps(live);
  // Warm: every map kept before the first change (as after the operator's start); cold: kept as first read.
  if (warm) for (const ns of live.mapNamespaces()) maps.map(ns);
  let now = t0;
  for (const step of steps) {
    if ('change' in step) {
      live.apply([step.change]);
      applyToModel(reference, step.change);
    } else {
      live.advanceTime(step.time);
      now = step.time;
    }
    // What the ConfigMap writer does with a namespace that gets no map any more.
    for (const ns of maps.keptNamespaces()) if (!live.hasMap(ns)) maps.forget(ns);
    if (step.read) expect(differences(maps, live, new Engine(cloneModel(reference), catalog, options, now))).toEqual([]);
  }
  expect(differences(maps, live, new Engine(cloneModel(reference), catalog, options, now))).toEqual([]);
  maps.close();
  return maps.stats;
}

/** Changes drawn from a second scenario: its objects upserted (same names, other fields), or the first's deleted. */
const scenarioStepsArb = fc.tuple(scenarioArb, scenarioArb, fc.array(fc.record({ pick: fc.nat(), del: fc.boolean(), time: fc.nat({ max: 9 }), read: fc.boolean() }), { maxLength: 12 })).map(([s1, s2, picks]) => {
  // Groups and Collaborations weigh more: a User upsert mostly flips the admin flag (every map's header, no row).
  const objects = [...s2.users, ...s2.orgs, ...s2.groups, ...s2.groups, ...s2.collabs, ...s2.collabs];
  const existing = [...s1.users, ...s1.orgs, ...s1.groups, ...s1.collabs];
  const steps: Step[] = picks.map(({ pick, del, time, read }) => {
    if (time === 0) return { time: [NOW - 2000, NOW + 2000, NOW + 2 * 86_400_000][pick % 3]!, read };
    if (del && existing.length > 0) {
      const o = existing[pick % existing.length]!;
      return { change: { type: 'delete', kind: o.kind, name: o.name, ...(o.kind === 'Collaboration' ? { namespace: o.namespace } : {}) } as Change, read };
    }
    return { change: { type: 'upsert', object: objects[pick % objects.length]! } as Change, read };
  });
  return { s1, steps };
});

describe('incremental permission maps == maps built fresh', () => {
  test('random models (any objects, any missing), random changes and time steps, read after some of them', () => {
    fc.assert(
      fc.property(modelArb, fc.array(stepArb, { maxLength: 16 }), fc.boolean(), fc.boolean(), (initial, steps, adminAll, warm) => {
        run(initial, steps, { adminRights: adminAll ? 'all' : 'default' }, warm, T0);
      }),
      { numRuns: 400, interruptAfterTimeLimit: 40_000 },
    );
  }, 60_000);

  test('dense scenarios (most users hold rights somewhere): users move between rows, and the maps stay equal', () => {
    const totals = { updated: 0, checked: 0, moved: 0 };
    fc.assert(
      fc.property(scenarioStepsArb, fc.boolean(), ({ s1, steps }, warm) => {
        const stats = run(modelOfScenario(s1), steps, { adminRights: s1.adminRights }, warm, NOW);
        totals.updated += stats.updated;
        totals.checked += stats.usersChecked;
        totals.moved += stats.usersMoved;
      }),
      { numRuns: 400, interruptAfterTimeLimit: 40_000 },
    );
    // The runs exercised the incremental path (users looked at and moved), not only rebuilds.
    expect(totals.updated).toBeGreaterThan(300);
    expect(totals.moved).toBeGreaterThan(30);
    expect(totals.checked).toBeGreaterThan(totals.moved);
  }, 60_000);

  test('a user moving between rows of a big group: only the named users are looked at, and the maps stay equal', () => {
    const names = Array.from({ length: 200 }, (_, i) => `u${String(i).padStart(3, '0')}`);
    const base = [
      ...names.map((n) => user(n)),
      org('acme', { namespaces: ['acme'] }),
      group('all', { users: names }),
      group('few', { users: names.slice(0, 20) }),
      collab('acme/m-all', 'UserGroup/all', 'Organization/acme', ['RIGHT_APPLICATION_INFO']),
      collab('acme/g-all', 'UserGroup/all', 'Application/app1', ['RIGHT_APPLICATION_LINK']),
      collab('acme/g-few', 'UserGroup/few', 'Application/app2', ['RIGHT_APPLICATION_SETTINGS_BASIC']),
    ];
    const live = new Engine(modelOf(...base), catalog, {}, T0);
    const maps = new IncrementalMaps(live);
    maps.map('acme');
    const edits = [names.slice(0, 21), names.slice(1, 21), names.slice(1, 20).concat(names[150]!), names.slice(5, 30)];
    for (const users of edits) {
      const before = { ...maps.stats };
      const impact = live.apply([{ type: 'upsert', object: group('few', { users }) }]);
      const fresh = new Engine(modelOf(...base.filter((o) => o.name !== 'few'), group('few', { users })), catalog, {}, T0);
      expect(configMaps(maps.write('acme'))).toBe(configMaps(shardMap(buildNamespaceMap(fresh, 'acme'))));
      expect(maps.stats.updated).toBe(before.updated + 1);
      expect(maps.stats.rebuilt).toBe(before.rebuilt);
      expect(maps.stats.usersChecked - before.usersChecked).toBe(impact.users.size);
      expect(impact.users.size).toBeLessThan(names.length / 4);
    }
  });
  test("a namespace's first update uses the subjects its build computed; a grant change computes them again", () => {
    const names = Array.from({ length: 40 }, (_, i) => `u${String(i).padStart(2, '0')}`);
    const base = [
      ...names.map((n) => user(n)),
      org('acme', { namespaces: ['acme'] }),
      group('few', { users: names.slice(0, 10) }),
      collab('acme/g-few', 'UserGroup/few', 'Application/app1', ['RIGHT_APPLICATION_LINK']),
    ];
    const live = new Engine(modelOf(...base), catalog, {}, T0);
    const calls: Array<{ last: unknown; returned: unknown }> = [];
    const namespaceSubjects = live.namespaceSubjects.bind(live);
    live.namespaceSubjects = (namespace, last) => {
      const returned = namespaceSubjects(namespace, last);
      calls.push({ last, returned });
      return returned;
    };
    const maps = new IncrementalMaps(live);
    maps.write('acme');
    expect(calls).toHaveLength(0);
    live.apply([{ type: 'upsert', object: group('few', { users: names.slice(0, 12) }) }]);
    maps.write('acme');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.last).toBeDefined();
    expect(calls[0]!.returned).toBe(calls[0]!.last);
    live.apply([{ type: 'upsert', object: collab('acme/g-more', 'UserGroup/few', 'Application/app2', ['RIGHT_APPLICATION_LINK']) }]);
    maps.write('acme');
    expect(calls).toHaveLength(2);
    expect(calls[1]!.returned).not.toBe(calls[1]!.last);
    const fresh = new Engine(modelOf(...base.filter((o) => o.name !== 'few'), group('few', { users: names.slice(0, 12) }), collab('acme/g-more', 'UserGroup/few', 'Application/app2', ['RIGHT_APPLICATION_LINK'])), catalog, {}, T0);
    expect(configMaps(maps.write('acme'))).toBe(configMaps(shardMap(buildNamespaceMap(fresh, 'acme'))));
  });
});
