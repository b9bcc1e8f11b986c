/**
 * `node --expose-gc bench/status-refresh.ts [--tier medium] [--changes 300] [--warm 1000] [--profile file] [--verify]`:
 * the statuses a change names, computed again after it (what the operator's status keys compute before comparing):
 * the CPU of `statusOf` for every key of the change's Impact, by kind of object, and the slowest changes; the CPU of
 * the change itself (`Engine.apply`, where what is kept takes note of its Impact); and that of `nextExpiryIn` for each
 * namespace it names once the time moved 1 ms (the operator moves it at every event, and the kept maps ask again
 * then). Every status is computed once first, and every map's next expiry asked, as the operator's start does, so
 * that what the engine keeps between changes (an organization's entity reach and members) is there. `--verify`
 * compares, after the changes, every organization's status with a fresh engine's on the same model; `--profile`
 * writes a CPU profile of the refreshes only. The same model, seed and change mix as `npm run bench` and
 * bench/map-refresh.ts.
 */
import { parseArgs } from 'node:util';
import { loadCatalog } from '../src/catalog/load-catalog.ts';
import { Engine } from '../src/engine/engine.ts';
import { allObjectKeys, statusOf } from '../src/engine/status.ts';
import { warmedEngine } from './change-mix.ts';
import { PhaseProfiler } from './cpu-profile.ts';
import { copyModel, type TierName } from './generate-model.ts';
import { round, summarize } from './stats.ts';

const { values: args } = parseArgs({
  options: {
    tier: { type: 'string', default: 'medium' },
    seed: { type: 'string', default: '20260601' },
    changes: { type: 'string', default: '300' },
    warm: { type: 'string', default: '1000' },
    profile: { type: 'string' },
    verify: { type: 'boolean', default: false },
  },
});
const log = (m: string): void => void process.stderr.write(`[status-refresh] ${m}\n`);
const cpuMs = (from: NodeJS.CpuUsage): number => {
  const u = process.cpuUsage(from);
  return (u.user + u.system) / 1000;
};

const { live, mix } = warmedEngine(args.tier as TierName, Number(args.seed), Number(args.warm));
log('model built, warm-up changes applied');
let c = process.cpuUsage();
const keys = allObjectKeys(live);
for (const key of keys) statusOf(live, key);
log(`every status (${keys.length}) computed in ${round(cpuMs(c))} ms CPU`);
for (const ns of live.mapNamespaces()) live.nextExpiryIn(ns); // as the start's maps ask it

const profiler = new PhaseProfiler();
if (args.profile) await profiler.start();
const kindOf = (key: string): string => key.slice(0, key.indexOf('/'));
const rows: Array<{ label: string; ms: number; statuses: number; byKind: Record<string, number> }> = [];
const byKindMs: Record<string, number[]> = {};
const applyMs: number[] = [];
const expiryMs: number[] = [];
for (let i = 0; i < Number(args.changes); i++) {
  const mc = mix.next();
  // The operator moves the time at every event, before the change (1 ms here): the kept maps then ask the next
  // expiry of each namespace the change names again.
  live.advanceTime(live.now + 1);
  c = process.cpuUsage();
  const impact = live.apply([mc.change]);
  applyMs.push(cpuMs(c));
  mix.afterApply(mc);
  c = process.cpuUsage();
  for (const ns of impact.namespaces) live.nextExpiryIn(ns);
  expiryMs.push(cpuMs(c));
  const byKind: Record<string, number> = {};
  let total = 0;
  for (const key of impact.statuses) {
    c = process.cpuUsage();
    statusOf(live, key);
    const ms = cpuMs(c);
    const kind = kindOf(key);
    byKind[kind] = (byKind[kind] ?? 0) + ms;
    total += ms;
  }
  for (const [kind, ms] of Object.entries(byKind)) (byKindMs[kind] ??= []).push(ms);
  rows.push({ label: mc.label, ms: total, statuses: impact.statuses.size, byKind });
}
if (args.profile) {
  await profiler.stop(args.profile);
  log(`profile written to ${args.profile}`);
}

const s = (xs: number[]): string => {
  const q = summarize(xs);
  return `p50 ${round(q.p50)} p99 ${round(q.p99)} max ${round(q.max)} (sum ${round(xs.reduce((a, b) => a + b, 0))})`;
};
console.log(`tier ${args.tier}: ${rows.length} changes`);
console.log(`statuses per change, CPU (ms)  ${s(rows.map((r) => r.ms))}`);
for (const [kind, ms] of Object.entries(byKindMs).sort()) console.log(`  ${kind.padEnd(14)} (${String(ms.length).padStart(3)} changes) ${s(ms)}`);
console.log(`statuses/change  ${s(rows.map((r) => r.statuses))}`);
console.log(`engine apply per change, CPU (ms; what the engine keeps takes note of the Impact there)  ${s(applyMs)}`);
console.log(`nextExpiryIn of the namespaces named, the time moved 1 ms, CPU (ms)  ${s(expiryMs)}`);
console.log('slowest:');
for (const r of [...rows].sort((a, b) => b.ms - a.ms).slice(0, 8)) {
  const parts = Object.entries(r.byKind).map(([k, ms]) => `${k} ${round(ms)}`).join(', ');
  console.log(`  ${round(r.ms)} ms, ${r.statuses} statuses (${parts}): ${r.label}`);
}
if (args.verify) {
  const fresh = new Engine(copyModel(live.model), loadCatalog(), {}, live.now);
  let compared = 0;
  let mismatches = 0;
  for (const key of allObjectKeys(live)) {
    if (kindOf(key) !== 'Organization') continue;
    compared++;
    if (JSON.stringify(statusOf(live, key)) !== JSON.stringify(statusOf(fresh, key))) {
      if (mismatches++ < 5) console.log(`  mismatch: ${key}`);
    }
  }
  console.log(`organization statuses compared with a fresh engine: ${compared}, mismatches ${mismatches}`);
}
