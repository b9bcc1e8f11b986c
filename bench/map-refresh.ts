/**
 * `node --expose-gc bench/map-refresh.ts [--tier medium] [--changes 100] [--warm 1000] [--profile file] [--alloc-profile file] [--verify]`:
 * the kept maps' refresh after each change, alone (what `npm run bench` reports as "map refresh, CPU"): the CPU of
 * `IncrementalMaps.write` for every namespace the change names (and its wall time, the garbage collector's pauses on
 * this thread within it, and the wall time without them: the CPU figure also counts the collector's other threads),
 * their sums over all the changes (steadier than the tails on a loaded machine), the slowest changes with their
 * namespaces, rows and
 * bytes written, and the heap the kept maps hold (with the bytes outside the heap and the rss); `--profile` writes a CPU profile of the refreshes only (read it
 * with `node bench/hotspots.ts <file>`); `--alloc-profile` samples what the refreshes allocate (garbage included: what makes
 * the young generation fill and the collector run; the change's own application included), prints the bytes per
 * change and the functions that allocate most, and writes the sampling heap profile (DevTools' format); `--verify` compares each write with a fresh build's. The same model, seed
 * and change mix as `npm run bench` (warm-up changes, then the refreshed ones), without its other phases.
 */
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import { buildNamespaceMap, emptyNamespaceMap } from '../src/permission-map/build-maps.ts';
import { IncrementalMaps } from '../src/permission-map/incremental-maps.ts';
import { userCountOf } from '../src/permission-map/kept-users.ts';
import { shardMap } from '../src/permission-map/shard.ts';
import { warmedEngine } from './change-mix.ts';
import { PhaseProfiler } from './cpu-profile.ts';
import type { TierName } from './generate-model.ts';
import { PublishedMaps } from './published-maps.ts';
import { collectGarbage, heapMiB, round, summarize } from './stats.ts';

/** Bytes outside the V8 heap (`Buffer`s and other external memory), after a full collection. */
const outsideMiB = (): number => {
  collectGarbage();
  const m = process.memoryUsage();
  return m.external / 2 ** 20;
};

const { values: args } = parseArgs({
  options: {
    tier: { type: 'string', default: 'medium' },
    seed: { type: 'string', default: '20260601' },
    changes: { type: 'string', default: '100' },
    warm: { type: 'string', default: '1000' },
    profile: { type: 'string' },
    'alloc-profile': { type: 'string' },
    verify: { type: 'boolean', default: false },
  },
});
const log = (m: string): void => void process.stderr.write(`[map-refresh] ${m}\n`);
const { live, mix } = warmedEngine(args.tier as TierName, Number(args.seed), Number(args.warm));
log('model built, warm-up changes applied');
const cpuMs = (from: NodeJS.CpuUsage): number => {
  const u = process.cpuUsage(from);
  return (u.user + u.system) / 1000;
};
collectGarbage();
const heapBefore = heapMiB();
const outsideBefore = outsideMiB();
const kept = new IncrementalMaps(live);
let c = process.cpuUsage();
const published = new PublishedMaps();
for (const ns of live.mapNamespaces()) published.publish(kept.write(ns));
const keepMs = cpuMs(c);
collectGarbage();
const heapAfter = heapMiB();
const outsideAfter = outsideMiB();
const rssAfter = process.memoryUsage().rss / 2 ** 20;
log(`every map kept in ${round(keepMs)} ms CPU; heap ${round(heapBefore)} → ${round(heapAfter)} MiB`);

const profiler = new PhaseProfiler();
if (args.profile) await profiler.start();
// Allocations sampled every 16 kB on average, those collected since counted too (the garbage is the point).
const allocations = new Session();
if (args['alloc-profile']) {
  allocations.connect();
  await allocations.post('HeapProfiler.enable');
  await allocations.post('HeapProfiler.startSampling', { samplingInterval: 16384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
}
// The collector's pauses on this thread (its concurrent marking runs on other threads and shows only in the CPU figure).
const pauses: Array<{ start: number; end: number }> = [];
const gcObserver = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) pauses.push({ start: e.startTime, end: e.startTime + e.duration });
});
gcObserver.observe({ entryTypes: ['gc'] });
const rows: Array<{ i: number; label: string; ns: number; writeMs: number; wall: { start: number; end: number }; rows: number; users: number; moved: number; bytes: number; cms: number }> = [];
let mismatches = 0;
for (let i = 0; i < Number(args.changes); i++) {
  const mc = mix.next();
  const impact = live.apply([mc.change]);
  mix.afterApply(mc);
  const namespaces = [...impact.namespaces];
  const movedBefore = kept.stats.usersMoved;
  c = process.cpuUsage();
  const start = performance.now();
  const writes = namespaces.map((ns) => {
    if (live.hasMap(ns)) return kept.write(ns);
    kept.forget(ns);
    return shardMap(emptyNamespaceMap(live, ns));
  });
  const wall = { start, end: performance.now() };
  const writeMs = cpuMs(c);
  let bytes = 0;
  let cms = 0;
  let rowCount = 0;
  let userCount = 0;
  for (const write of writes) {
    const rewritten = published.publish(write);
    cms += rewritten.configMaps;
    bytes += rewritten.bytes;
    if (live.hasMap(write.namespace)) {
      const m = kept.map(write.namespace);
      rowCount += m.rows.length;
      // (An indexed loop: the module's top level, not optimized, made an iterator result per row, ~70 MiB over 300
      // changes at medium, whose scavenges then fell in the refreshes measured.)
      for (let k = 0; k < m.rows.length; k++) userCount += userCountOf(m.rows[k]!);
    }
  }
  if (args.verify) {
    for (const write of writes) {
      if (!live.hasMap(write.namespace)) continue;
      if (JSON.stringify(write.configMaps) !== JSON.stringify(shardMap(buildNamespaceMap(live, write.namespace)).configMaps)) mismatches++;
    }
  }
  rows.push({ i, label: mc.label, ns: namespaces.length, writeMs, wall, rows: rowCount, users: userCount, moved: kept.stats.usersMoved - movedBefore, bytes, cms });
}
let allocated: { total: number; top: Array<[string, number]> } | undefined;
if (args['alloc-profile']) {
  const { profile } = await allocations.post('HeapProfiler.stopSampling');
  allocations.disconnect();
  writeFileSync(args['alloc-profile'], JSON.stringify(profile));
  allocated = allocationsBySelf(profile.head);
  log(`allocation profile written to ${args['alloc-profile']}`);
}
if (args.profile) {
  await profiler.stop(args.profile);
  log(`profile written to ${args.profile}`);
}
// The observer gets the entries on a later turn of the event loop.
await new Promise((resolve) => setTimeout(resolve, 50));
gcObserver.disconnect();
/** Milliseconds of the collector's pauses on this thread within a refresh's wall time. */
const pausedIn = (w: { start: number; end: number }): number =>
  pauses.reduce((sum, p) => sum + Math.max(0, Math.min(p.end, w.end) - Math.max(p.start, w.start)), 0);
const total = rows.map((r) => r.writeMs);
const s = (xs: number[]): string => {
  const q = summarize(xs);
  return `p50 ${round(q.p50)} p99 ${round(q.p99)} max ${round(q.max)}`;
};
console.log(`tier ${args.tier}: ${rows.length} changes; heap ${round(heapBefore)} → ${round(heapAfter)} MiB with kept maps (kept in ${round(keepMs)} ms CPU)`);
console.log(`  outside the heap (external, array buffers included) ${round(outsideBefore)} → ${round(outsideAfter)} MiB; heap + outside with kept maps ${round(heapAfter + outsideAfter)} MiB; rss ${round(rssAfter)} MiB`);
console.log(`refresh CPU (ms)   ${s(total)}`);
console.log(`refresh wall (ms)  ${s(rows.map((r) => r.wall.end - r.wall.start))}`);
console.log(`  of it GC pauses  ${s(rows.map((r) => pausedIn(r.wall)))}`);
console.log(`  without them     ${s(rows.map((r) => r.wall.end - r.wall.start - pausedIn(r.wall)))}`);
// Sums, steadier than a tail on a loaded machine: the refreshes' CPU in all, and the collector's pauses on this thread
// that fell in them (how many, their time).
const inRefreshes = pauses.filter((p) => rows.some((r) => p.end > r.wall.start && p.start < r.wall.end));
console.log(`  in all: CPU ${round(total.reduce((a, b) => a + b, 0))} ms, wall without GC pauses ${round(rows.reduce((sum, r) => sum + r.wall.end - r.wall.start - pausedIn(r.wall), 0))} ms; ${inRefreshes.length} GC pauses in refreshes, ${round(rows.reduce((sum, r) => sum + pausedIn(r.wall), 0))} ms`);
console.log(`namespaces/change  ${s(rows.map((r) => r.ns))}`);
console.log(`bytes/change       ${s(rows.map((r) => r.bytes))}`);
console.log(`ConfigMaps/change  ${s(rows.map((r) => r.cms))}`);
if (args.verify) console.log(`mismatches with a fresh build: ${mismatches}`);
if (allocated) {
  console.log(`allocated/change   ${round(allocated.total / rows.length / 2 ** 20)} MiB (sampled, the change's own application included); most by:`);
  for (const [where, bytes] of allocated.top) console.log(`  ${round(bytes / 2 ** 20)} MiB  ${where}`);
}
console.log('slowest:');
for (const r of [...rows].sort((a, b) => b.writeMs - a.writeMs).slice(0, 8)) {
  console.log(`  ${round(r.writeMs)} ms (wall ${round(r.wall.end - r.wall.start)}, GC pauses ${round(pausedIn(r.wall))}): ${r.ns} ns, ${r.rows} rows, ${r.users} row users, ${r.moved} moved, ${r.cms} CMs, ${r.bytes} B: ${r.label}`);
}

/** A sampling heap profile's bytes in all, and the 12 functions (and files) allocating most themselves. */
function allocationsBySelf(head: { callFrame: { functionName: string; url: string; lineNumber: number }; selfSize: number; children: unknown[] }): { total: number; top: Array<[string, number]> } {
  const self = new Map<string, number>();
  let total = 0;
  const walk = (node: typeof head): void => {
    const { functionName, url, lineNumber } = node.callFrame;
    const where = `${functionName || '(anonymous)'} ${url.replace(/^.*\/(src|bench)\//, '$1/')}:${lineNumber + 1}`;
    self.set(where, (self.get(where) ?? 0) + node.selfSize);
    total += node.selfSize;
    for (const child of node.children) walk(child as typeof head);
  };
  walk(head);
  return { total, top: [...self].sort((a, b) => b[1] - a[1]).slice(0, 12) };
}
