/**
 * `node --expose-gc bench/map-compare.ts [--tier medium] [--seed N] [--warm 1000] [--rounds 6]`: what the ConfigMap
 * writer's compare costs when every map is up to date — what a change's map keys pay for the namespaces they name
 * before anything is written. Builds the benchmark's model and engine, applies the warm-up changes (as
 * bench/map-refresh.ts does), keeps every map (`IncrementalMaps.write` for every namespace) and makes the operator's
 * informer copy of each ConfigMap (parsed back from its JSON, as the watch shows it, kept as its digest:
 * `withDataDigest`). Then, each round, every namespace's write is asked for again (not timed; a full collection
 * after them) and each of its ConfigMaps compared with the informer's copy (`upToDate`, timed per namespace; each
 * must say up to date). The first round warms up and is not counted. Prints one JSON object on stdout: per namespace
 * (every namespace × round) wall p50/p99, per round (every namespace) wall and CPU p50 and max (the process's CPU: a
 * loaded machine's preemption is not in it), in ms; the ConfigMaps and bytes compared, and the load average.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { upToDate, withDataDigest, type ExistingConfigMap } from '../src/controller/configmap-writer.ts';
import { IncrementalMaps } from '../src/permission-map/incremental-maps.ts';
import { dataBytes } from '../src/permission-map/shard.ts';
import { warmedEngine } from './change-mix.ts';
import type { TierName } from './generate-model.ts';
import { collectGarbage, msSince, round, summarize } from './stats.ts';

const { values: args } = parseArgs({
  options: {
    tier: { type: 'string', default: 'medium' },
    seed: { type: 'string', default: '20260601' },
    warm: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '6' },
  },
});
const log = (m: string): void => void process.stderr.write(`[map-compare] ${m}\n`);
const load = [loadavg()[0]!];
const { live } = warmedEngine(args.tier as TierName, Number(args.seed), Number(args.warm));
const kept = new IncrementalMaps(live);
const namespaces = live.mapNamespaces();
const informer = new Map<string, ExistingConfigMap>();
let configMaps = 0;
let bytes = 0;
for (const ns of namespaces) {
  for (const cm of kept.write(ns).configMaps) {
    informer.set(`${ns}/${cm.metadata.name}`, withDataDigest(JSON.parse(JSON.stringify(cm)) as ExistingConfigMap));
    configMaps++;
    bytes += dataBytes(cm.data);
  }
}
log(`${namespaces.length} namespaces, ${configMaps} ConfigMaps, ${round(bytes / 2 ** 20)} MiB of data`);
const perNamespace: number[] = [];
const perRound: number[] = [];
const perRoundCpu: number[] = [];
const rounds = Number(args.rounds);
for (let r = 0; r < rounds; r++) {
  // Every write asked for first, then a full collection: the compares do not pay for the writes' garbage.
  const writes = namespaces.map((ns) => kept.write(ns).configMaps);
  collectGarbage();
  let total = 0;
  const cpu = process.cpuUsage();
  for (const [i, ns] of namespaces.entries()) {
    const start = process.hrtime.bigint();
    for (const cm of writes[i]!) {
      if (!upToDate(informer.get(`${ns}/${cm.metadata.name}`), cm)) throw new Error(`${ns}/${cm.metadata.name}: not up to date`);
    }
    const ms = msSince(start);
    total += ms;
    if (r > 0) perNamespace.push(ms);
  }
  const used = process.cpuUsage(cpu);
  if (r > 0) perRound.push(total);
  if (r > 0) perRoundCpu.push((used.user + used.system) / 1000);
  log(`round ${r}${r === 0 ? ' (warm-up)' : ''}: ${round(total)} ms, CPU ${round((used.user + used.system) / 1000)} ms`);
  load.push(loadavg()[0]!);
}
const ns = summarize(perNamespace);
const all = summarize(perRound);
const out = {
  tier: args.tier,
  namespaces: namespaces.length,
  configMaps,
  dataMiB: round(bytes / 2 ** 20),
  rounds: rounds - 1,
  perNamespaceMs: { p50: round(ns.p50), p99: round(ns.p99), max: round(ns.max), mean: round(ns.mean) },
  everyNamespaceMs: { p50: round(all.p50), max: round(all.max) },
  everyNamespaceCpuMs: { p50: round(summarize(perRoundCpu).p50), max: round(summarize(perRoundCpu).max) },
  loadavg: load.map(round),
};
process.stdout.write(`${JSON.stringify(out)}\n`);
