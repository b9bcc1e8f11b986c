/**
 * `npm run bench:start -- --tier medium [--rounds 2] [--tree /path/to/other/checkout ...]`: the CPU a start costs,
 * phase by phase — cold build, every permission map, sharding them, every status (by kind) — measured with
 * `process.cpuUsage` in one process, so that other work on a shared machine counts less than in wall time. With
 * `--tree`, the same phases of other checkouts of Charter (their own engine, maps and statuses; this checkout's
 * model generator) run in the same process, alternated round by round (odd rounds in reverse order, since the first
 * run of a process pays the JIT's warm-up): a before/after comparison on the same model at the same load. With
 * `--digest`, each run also prints a digest of every status (`digest`) and one of every permission-map ConfigMap, name
 * and data (`mapDigest`), both computed after the timing and the heap figures: equal across trees whose statuses, or
 * whose ConfigMaps, are meant to be identical (the 32 KiB shard layout of `9edfd54` changed the ConfigMaps, not what
 * they answer).
 *
 * Two paths to the maps: `--path operator` (the default since 2026-12-03) does what the operator does at its start,
 * phase `kept`: `IncrementalMaps.write` for every namespace with a map
 * (each map built and shard-rendered with the kept state a later change refreshes from), the kept maps held while the
 * statuses are computed, as the operator holds them; `--path render` (every figure before 2026-12-03 13:00) builds
 * every map fresh (`buildPermissionMaps`, phase `maps`) and shards it without kept state (`shardMap`, phase
 * `shards`), as `charter render` does. `startMs` is build + the maps' phases + statuses either way.
 *
 * With `--profile build|maps|shards|kept|statuses`, a CPU profile of that phase in this checkout's last round (path on
 * stderr; read it with `node bench/hotspots.ts <file>`).
 *
 * One JSON line per tree and round on stdout; progress on stderr. Method and figures: docs/performance.md.
 */
import { createHash } from 'node:crypto';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { PhaseProfiler } from './cpu-profile.ts';
import { copyModel, generateWorkload, TIERS, type TierName } from './generate-model.ts';

const { values: args } = parseArgs({
  options: {
    tier: { type: 'string', default: 'medium' },
    rounds: { type: 'string', default: '2' },
    seed: { type: 'string', default: '20260601' },
    tree: { type: 'string', multiple: true, default: [] },
    digest: { type: 'boolean', default: false },
    profile: { type: 'string' },
    path: { type: 'string', default: 'operator' },
  },
});
const tier = args.tier as TierName;
const rounds = Number(args.rounds);
if (!(tier in TIERS) || tier === 'xlarge' || !Number.isInteger(rounds) || rounds < 1) {
  console.error(`--tier: expected small, medium or large; --rounds: an integer ≥ 1; found ${args.tier} and ${args.rounds}`);
  process.exit(2);
}
const PHASES = ['build', 'maps', 'shards', 'kept', 'statuses'] as const;
const path = args.path!;
if (path !== 'render' && path !== 'operator') {
  console.error(`--path: expected render or operator; found ${path}`);
  process.exit(2);
}
const profilePhase = args.profile as (typeof PHASES)[number] | undefined;
if (profilePhase !== undefined && !PHASES.includes(profilePhase)) {
  console.error(`--profile: expected one of ${PHASES.join(', ')}; found ${args.profile}`);
  process.exit(2);
}
if (profilePhase !== undefined && (profilePhase === 'kept') !== (path === 'operator') && (profilePhase === 'maps' || profilePhase === 'shards' || profilePhase === 'kept')) {
  console.error(`--profile ${profilePhase}: no such phase with --path ${path} (maps and shards are render's, kept the operator's)`);
  process.exit(2);
}
if (!globalThis.gc) console.error('warning: run with --expose-gc (npm run bench:start does) so that each run starts after a full collection');

/** What a tree is measured with: its own catalog loader, engine, maps, shards and statuses. */
async function load(root: string) {
  const module = (path: string) => import(pathToFileURL(resolve(root, path)).href);
  return {
    root,
    catalog: (await module('src/catalog/load-catalog.ts')).loadCatalog(),
    Engine: (await module('src/engine/engine.ts')).Engine,
    status: await module('src/engine/status.ts'),
    maps: await module('src/permission-map/build-maps.ts'),
    shard: await module('src/permission-map/shard.ts'),
    incremental: path === 'operator' ? await module('src/permission-map/incremental-maps.ts') : undefined,
  };
}

const trees = await Promise.all([resolve(import.meta.dirname, '..'), ...args.tree].map(load));
const log = (message: string): void => void process.stderr.write(`[start ${tier}] ${message}\n`);
const workload = generateWorkload(tier, Number(args.seed), trees[0]!.catalog);
log(`model generated: ${workload.model.users.size} users, ${workload.model.collaborations.size} collaborations`);

/** With `--profile <phase>`: a CPU profile of that phase in the last round of this checkout (the first tree). */
const profiled = async (round: number, tree: (typeof trees)[number], phase: (typeof PHASES)[number], run: () => void): Promise<void> => {
  if (phase !== profilePhase || round !== rounds - 1 || tree !== trees[0]) return run();
  const profiler = new PhaseProfiler();
  await profiler.start();
  run();
  const path = `/tmp/charter-start-${tier}-${phase}.cpuprofile`;
  await profiler.stop(path);
  log(`profile of ${phase}: ${path} (node bench/hotspots.ts ${path})`);
};

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const collect = (): void => {
  globalThis.gc?.();
  globalThis.gc?.();
};
const heapMiB = (): number => {
  collect();
  return Math.round(process.memoryUsage().heapUsed / 2 ** 20);
};

/** One tree's start, measured; a function so that nothing of it outlives the run (the next run's heap figures). */
async function measure(round: number, tree: (typeof trees)[number]): Promise<void> {
  collect();
  const load = loadavg()[0]!;
  let t = cpuMs();
  let engine!: InstanceType<(typeof tree)['Engine']>;
  await profiled(round, tree, 'build', () => (engine = new tree.Engine(copyModel(workload.model), tree.catalog, {}, workload.now)));
  const build = cpuMs() - t;
  const heapBuilt = heapMiB();
  type Write = { configMaps: Array<{ metadata: { name: string; namespace: string }; data: Record<string, string> }> };
  let mapsMs = 0;
  let shards = 0;
  let keptMs = 0;
  /** With `--path operator`: the kept maps, held through the statuses (and read for the digest after them). */
  let kept: { write(namespace: string): Write } | undefined;
  if (path === 'render') {
    t = cpuMs();
    let maps: Map<string, unknown> | undefined;
    await profiled(round, tree, 'maps', () => (maps = tree.maps.buildPermissionMaps(engine)));
    mapsMs = cpuMs() - t;
    t = cpuMs();
    await profiled(round, tree, 'shards', () => {
      for (const map of maps!.values()) tree.shard.shardMap(map);
    });
    shards = cpuMs() - t;
    maps = undefined;
  } else {
    t = cpuMs();
    await profiled(round, tree, 'kept', () => {
      kept = new tree.incremental!.IncrementalMaps(engine);
      for (const ns of engine.mapNamespaces() as Iterable<string>) kept!.write(ns);
    });
    keptMs = cpuMs() - t;
  }
  // Statuses in the order the operator enqueues them (allObjectKeys: by kind), each kind timed as one run.
  const keys: string[] = tree.status.allObjectKeys(engine);
  const byKind: Record<string, number> = {};
  let kind = '';
  const statusesStart = cpuMs();
  t = statusesStart;
  await profiled(round, tree, 'statuses', () => {
    for (const key of keys) {
      const k = key.slice(0, key.indexOf('/'));
      if (k !== kind) {
        const now = cpuMs();
        if (kind) byKind[kind] = Math.round(now - t);
        t = now;
        kind = k;
      }
      tree.status.statusOf(engine, key);
    }
  });
  const end = cpuMs();
  byKind[kind] = Math.round(end - t);
  const statuses = end - statusesStart;
  let digest: string | undefined;
  if (args.digest) {
    const hash = createHash('sha256');
    for (const key of keys) hash.update(key).update(JSON.stringify(tree.status.statusOf(engine, key)));
    digest = hash.digest('hex').slice(0, 16);
  }
  const heapAfterStatuses = heapMiB();
  let mapDigest: string | undefined;
  if (args.digest) {
    // Every ConfigMap, name and data: from fresh builds (render), or as the kept maps write them again (operator).
    const hash = createHash('sha256');
    const all = tree.maps.buildPermissionMaps(engine) as Map<string, unknown>;
    for (const ns of [...all.keys()].sort()) {
      const write = (kept ? kept.write(ns) : tree.shard.shardMap(all.get(ns))) as Write;
      for (const cm of write.configMaps) hash.update(`${cm.metadata.namespace}/${cm.metadata.name}`).update(JSON.stringify(cm.data));
    }
    mapDigest = hash.digest('hex').slice(0, 16);
  }
  const round1 = (x: number): number => Math.round(x);
  console.log(
    JSON.stringify({
      tree: tree.root,
      round,
      load: Number(load.toFixed(1)),
      buildMs: round1(build),
      path,
      ...(path === 'render' ? { mapsMs: round1(mapsMs), shardsMs: round1(shards) } : { keptMs: round1(keptMs) }),
      statusesMs: round1(statuses),
      statusesByKindMs: byKind,
      startMs: round1(build + mapsMs + shards + keptMs + statuses),
      heapBuiltMiB: heapBuilt,
      heapAfterStatusesMiB: heapAfterStatuses,
      ...(digest ? { digest } : {}),
      ...(mapDigest ? { mapDigest } : {}),
      users: engine.model.users.size, // keeps the engine alive until the heap is read
    }),
  );
}

// The first run of a process pays the JIT's warm-up: odd rounds run the trees in reverse order.
for (let round = 0; round < rounds; round++) {
  for (const tree of round % 2 === 0 ? trees : [...trees].reverse()) await measure(round, tree);
}
