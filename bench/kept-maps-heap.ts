/**
 * `node --expose-gc [--max-old-space-size=12288] bench/kept-maps-heap.ts [--tier medium] [--seed N] [--warm 1000]`:
 * where the kept permission maps' heap goes (src/permission-map/incremental-maps.ts and shard.ts's kept state). Builds
 * the benchmark's model and engine, applies the warm-up changes (as bench/map-refresh.ts does), keeps every map
 * (`IncrementalMaps.write` for every namespace), then lets go of the kept parts one at a time, from what is shared
 * least to most, with a forced GC after each: what a release frees is what that part alone kept alive. Also counts
 * the kept objects (rows, renderings, units, shards) and the text bytes they hold. Figures are `heapUsed` and, apart,
 * `external` (bytes outside the V8 heap: `Buffer`s, typed arrays' buffers; `arrayBuffers` is part of it) and `rss`. Prints one JSON object on stdout.
 *
 * The state measured is the operator's after writing: every namespace's write is asked for again (an unchanged map)
 * and each ConfigMap counted (`dataBytes`) and serialised as a PUT body would be (`JSON.stringify`: V8 flattens a
 * rope in place when it reads it, which would leave flat copies beside the kept pieces), before the heap is read
 * (`withKeptMaps` is after that; `keptOnly` before it). Apart, what the operator's ConfigMap informer holds of the
 * same maps (each ConfigMap parsed back from its JSON, as the watch shows it, and kept as its digest: `withDataDigest`;
 * `--informer-data`: kept whole): not the kept maps' and not in their figures, but in the operator's heap beside them
 * (`informerCopyMiB`).
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { withDataDigest, type ExistingConfigMap } from '../src/controller/configmap-writer.ts';
import { IncrementalMaps } from '../src/permission-map/incremental-maps.ts';
import { userCountOf } from '../src/permission-map/kept-users.ts';
import { dataBytes, INDEX_KEY } from '../src/permission-map/shard.ts';
import { warmedEngine } from './change-mix.ts';
import type { TierName } from './generate-model.ts';
import { collectGarbage, round } from './stats.ts';

const { values: args } = parseArgs({
  options: {
    tier: { type: 'string', default: 'medium' },
    seed: { type: 'string', default: '20260601' },
    warm: { type: 'string', default: '1000' },
    'informer-data': { type: 'boolean', default: false },
  },
});
const log = (m: string): void => void process.stderr.write(`[kept-maps-heap] ${m}\n`);
if (!globalThis.gc) log('warning: run with --expose-gc for stable figures');
const MiB = 2 ** 20;
const memory = (): { heap: number; outside: number; rss: number } => {
  collectGarbage();
  const m = process.memoryUsage();
  return { heap: m.heapUsed / MiB, outside: m.external / MiB, rss: m.rss / MiB };
};
const { live } = warmedEngine(args.tier as TierName, Number(args.seed), Number(args.warm));
const before = memory();
const kept = new IncrementalMaps(live);
const c = process.cpuUsage();
for (const ns of live.mapNamespaces()) kept.write(ns);
const u = process.cpuUsage(c);
const keepMs = (u.user + u.system) / 1000;
const keptOnly = memory();
// As the operator's writer then uses them: each ConfigMap's bytes counted and its PUT body serialised. The shard
// texts written are collected for the counts below.
const written = new Set<string>();
let writeTextBytes = 0;
let indexTextBytes = 0;
let putBodyBytes = 0;
for (const ns of live.mapNamespaces()) {
  for (const cm of kept.write(ns).configMaps) {
    dataBytes(cm.data);
    putBodyBytes += JSON.stringify(cm).length;
    for (const [key, v] of Object.entries(cm.data)) {
      writeTextBytes += v.length;
      // (An index text may be made for this call: not held here, so as not to count it as kept.)
      if (key === INDEX_KEY) indexTextBytes += v.length;
      else written.add(v);
    }
  }
}
const after = memory();
log(`kept every map in ${round(keepMs)} ms CPU; heap ${round(before.heap)} → ${round(keptOnly.heap)} MiB, after writing ${round(after.heap)} MiB`);
// The informer's copy: every ConfigMap as the watch gives it back, parsed, and kept as the operator's informer keeps
// it — its data's digest in place of the data (withDataDigest; held, measured, let go). `--informer-data`: the data
// kept whole, as before that.
const echoes: unknown[] = [];
for (const ns of live.mapNamespaces()) {
  for (const cm of kept.write(ns).configMaps) {
    const parsed = JSON.parse(JSON.stringify(cm)) as ExistingConfigMap;
    echoes.push(args['informer-data'] ? parsed : withDataDigest(parsed));
  }
}
const withEchoes = memory();
echoes.length = 0;
const afterEchoes = memory();
log(`the informer's copy of the written ConfigMaps (${args['informer-data'] ? 'data' : 'digests'}): ${round(withEchoes.heap - afterEchoes.heap)} MiB`);

// Private fields are plain properties at run time.
type Bag = Record<string, any>;
const k = kept as unknown as Bag;
const states: Bag[] = [];
for (const byOptions of (k.rendered.states as Map<string, Map<string, Bag>>).values()) for (const s of byOptions.values()) states.push(s);
const namespaceRows = [...(k.kept as Map<string, Bag>).values()];

// Counts of what is kept (objects and the text bytes they point to; a text shared by two holders counts at each).
const counts = { namespaces: namespaceRows.length, rows: 0, rowUsers: 0, renders: 0, rowTexts: 0, rowTextBytes: 0, secondTexts: 0, secondTextBytes: 0, sourceTexts: 0, sourceTextBytes: 0, units: 0, chunkUnits: 0, chunkUnitUsers: 0, shardStatesSplit: 0, shardTexts: 0, shardTextBytes: 0, writeTextBytes, indexTextBytes, putBodyBytes, sourceTextsNotWritten: 0, sourceTextBytesNotWritten: 0 };
const seen = new Set<Bag>();
// Texts the renderings point into (a row's JSON is a range of a shard text), each counted once.
const sources = new Set<string>();
const countRender = (r: Bag | undefined): void => {
  if (r === undefined || seen.has(r)) return;
  seen.add(r);
  counts.renders++;
  // Before: the row's JSON as a string of its own (`textA`/`textB`); after: a range of a shard text (`srcA`/`srcB`;
  // now `a`, the text and its table, and `b.src`).
  const a = r.textA ?? (r.srcA !== undefined || r.a !== undefined ? { length: r.lenA } : undefined);
  // The second slot: `textB`, then `srcB`/`lenB`, now an object of its own (`b`) when used.
  const b = r.textB ?? (r.srcB !== undefined ? { length: r.lenB } : r.b !== undefined ? { length: r.b.len } : undefined);
  if (r.srcA !== undefined) sources.add(r.srcA);
  if (r.srcB !== undefined) sources.add(r.srcB);
  if (r.a !== undefined) sources.add(r.a.text);
  if (r.b !== undefined) sources.add(typeof r.b.src === 'string' ? r.b.src : r.b.src.text);
  if (a !== undefined) {
    counts.rowTexts++;
    counts.rowTextBytes += a.length as number;
  }
  if (b !== undefined) {
    counts.secondTexts++;
    counts.secondTextBytes += b.length as number;
  }
};
for (const s of states) {
  for (const row of s.rows as Bag[]) {
    counts.rows++;
    counts.rowUsers += userCountOf(row as never);
  }
  for (const r of s.renders as Bag[]) countRender(r);
  for (const unit of (s.units ?? []) as Bag[]) {
    counts.units++;
    if (unit.end !== 0) {
      counts.chunkUnits++;
      counts.chunkUnitUsers += userCountOf(unit.row);
    }
    countRender(unit.render);
  }
  if (s.shards) {
    counts.shardStatesSplit++;
    for (const sh of s.shards as Bag[]) {
      counts.shardTexts++;
      counts.shardTextBytes += (sh.rendered.text as string).length;
    }
  }
}
// Texts the renderings point into that no write carries (held for a second slot only: a whole-map text that did not
// fit, or a text rendered with a table since replaced).
for (const text of sources) {
  counts.sourceTexts++;
  counts.sourceTextBytes += text.length;
  if (!written.has(text)) {
    counts.sourceTextsNotWritten++;
    counts.sourceTextBytesNotWritten += text.length;
  }
}
sources.clear();
seen.clear();
written.clear();

/**
 * Sets those of the properties the object has to undefined (adding the others, names of older versions, would grow
 * every object: the release would show a negative figure).
 */
const clear = (o: Bag, ...names: string[]): void => {
  for (const name of names) if (name in o) o[name] = undefined;
};

// Releases, from what is shared least to most.
const releases: Array<[string, () => void]> = [
  ['last writes (IncrementalMaps.writes: their parts, or before, the writes: ConfigMap objects, index texts)', () => (k.writes as Map<string, unknown>).clear()],
  ['shard texts of split maps (ShardState.shards)', () => states.forEach((s) => (s.shards = undefined))],
  ['second row texts (RowRender.textB / srcB / b)', () => {
    for (const s of states) {
      for (const r of s.renders as Bag[]) clear(r, 'textB', 'srcB', 'b');
      for (const unit of (s.units ?? []) as Bag[]) if (unit.render) clear(unit.render, 'textB', 'srcB', 'b');
    }
  }],
  ['row texts (RowRender.textA / srcA / a)', () => {
    for (const s of states) {
      for (const r of s.renders as Bag[]) clear(r, 'textA', 'srcA', 'a');
      for (const unit of (s.units ?? []) as Bag[]) if (unit.render) clear(unit.render, 'textA', 'srcA', 'a');
    }
  }],
  ['units (sorted units, chunks, per-row unit lists)', () => {
    for (const s of states) {
      for (const r of s.renders as Bag[]) r.units = undefined;
      for (const r of s.unitRenders as Bag[]) r.units = undefined;
      s.units = undefined;
      s.unitRenders = [];
      s.unitRows = [];
    }
  }],
  ['renderings (masks per row) and mask counts', () => {
    for (const s of states) {
      s.renders = [];
      s.counts.clear();
      s.table = undefined;
    }
  }],
  ['shard states (the rest: rows arrays)', () => {
    (k.rendered.states as Map<string, unknown>).clear();
    states.length = 0;
  }],
  ['namespace subjects and expiries', () => {
    (k.subjects as Map<string, unknown>).clear();
    (k.expiries as Map<string, unknown>).clear();
  }],
  ['NamespaceRows: UserSlots (user number → row slot)', () => namespaceRows.forEach((r) => (r.userSlots = undefined))],
  ['NamespaceRows: the rest (rows: users as numbers, contents, entity index; the users table)', () => {
    (k.kept as Map<string, unknown>).clear();
    namespaceRows.length = 0;
  }],
];
const held: Record<string, { heapMiB: number; outsideMiB: number }> = {};
let last = afterEchoes;
for (const [label, release] of releases) {
  release();
  const now = memory();
  held[label] = { heapMiB: round(last.heap - now.heap), outsideMiB: round(last.outside - now.outside) };
  last = now;
  log(`${label}: ${held[label]!.heapMiB} MiB`);
}
kept.close();
console.log(JSON.stringify({
  tier: args.tier,
  seed: Number(args.seed),
  keepCpuMs: round(keepMs),
  before: { heapMiB: round(before.heap), outsideMiB: round(before.outside), rssMiB: round(before.rss) },
  keptOnly: { heapMiB: round(keptOnly.heap), outsideMiB: round(keptOnly.outside), rssMiB: round(keptOnly.rss) },
  withKeptMaps: { heapMiB: round(after.heap), outsideMiB: round(after.outside), rssMiB: round(after.rss) },
  keptMapsMiB: { heap: round(after.heap - before.heap), outside: round(after.outside - before.outside) },
  informerCopyMiB: { heap: round(withEchoes.heap - afterEchoes.heap), outside: round(withEchoes.outside - afterEchoes.outside) },
  heldMiB: held,
  leftMiB: round(last.heap - before.heap),
  counts,
  loadAverage: loadavg().map((l) => round(l)),
}, null, 2));
