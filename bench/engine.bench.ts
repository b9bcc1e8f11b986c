/**
 * `npm run bench -- --tier small|medium|large|xlarge [--json] [--seed N] [--changes N]`: the engine's performance on a
 * synthetic model (bench/generate-model.ts). Measures the cold build, the heap, the permission maps and reader
 * checks, a mix of incremental changes against the full-recompute baseline, and verifies that the incremental
 * engine ends equal to a fresh one. Method and today's figures: docs/performance.md.
 * Tier xlarge (1 M users, 5 M collaborations) measures the model's generation, one cold build and the heap only:
 * no maps, statuses, checks, admission, changes or verification (docs/performance.md, "Beyond one machine").
 *
 * Progress goes to stderr; the report (human-readable, or one JSON object with --json) to stdout. Use
 * `npm run --silent bench -- --json` so that npm's own banner does not precede the JSON.
 */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadCatalog } from '../src/catalog/load-catalog.ts';
import { Engine } from '../src/engine/engine.ts';
import { buildNamespaceMap, buildPermissionMaps, emptyNamespaceMap, type NamespaceMap } from '../src/permission-map/build-maps.ts';
import { IncrementalMaps } from '../src/permission-map/incremental-maps.ts';
import { allObjectKeys, statusOf } from '../src/engine/status.ts';
import { dataBytes, shardMap } from '../src/permission-map/shard.ts';
import { runAdmissionMix, type AdmissionCategory } from './admission-mix.ts';
import { ChangeMix, type ChangeCategory, type MixChange } from './change-mix.ts';
import { PhaseProfiler } from './cpu-profile.ts';
import { copyModel, generateWorkload, TIERS, type TierName } from './generate-model.ts';
import { PublishedMaps } from './published-maps.ts';
import { measureChecks } from './reader-checks.ts';
import { collectGarbage, heapMiB, median, msSince, round, summarize, type Summary } from './stats.ts';
import { verifyEngines, verifyMaps } from './verify.ts';

const DAY = 24 * 3_600_000;

/** The issue's targets on the 2-core reference machine. */
const TARGETS: Partial<Record<TierName, Record<string, number>>> = {
  medium: { coldMs: 2_000, incrementalP99Ms: 20, checkNs: 1_000, heapMiB: 1_500, admissionP99Ms: 2 },
  large: { coldMs: 15_000, admissionP99Ms: 5 },
};

const { values: args } = parseArgs({
  options: {
    tier: { type: 'string', default: 'small' },
    json: { type: 'boolean', default: false },
    seed: { type: 'string', default: '20260601' },
    changes: { type: 'string', default: '1000' },
    /** How many admission decisions the admission phase times. */
    decisions: { type: 'string', default: '2000' },
    /** Writes a CPU profile of one phase to <tmpdir>/charter-<tier>-<phase>.cpuprofile. */
    profile: { type: 'string' },
  },
});
const tier = args.tier as TierName;
if (!(tier in TIERS)) {
  console.error(`--tier: expected one of ${Object.keys(TIERS).join(', ')} (xlarge: build and heap only); found ${JSON.stringify(args.tier)}`);
  process.exit(2);
}
const seed = Number(args.seed);
const changeCount = Number(args.changes);
if (!Number.isInteger(seed) || !Number.isInteger(changeCount) || changeCount < 1) {
  console.error(`--seed and --changes: expected integers (changes ≥ 1); found ${args.seed} and ${args.changes}`);
  process.exit(2);
}
const log = (message: string): void => void process.stderr.write(`[bench ${tier}] ${message}\n`);
const PHASES = ['cold', 'maps', 'statuses', 'admission', 'changes'] as const;
type Phase = (typeof PHASES)[number];
if (args.profile !== undefined && !PHASES.includes(args.profile as Phase)) {
  console.error(`--profile: expected one of ${PHASES.join(', ')}; found ${JSON.stringify(args.profile)}`);
  process.exit(2);
}
const profiler = new PhaseProfiler();
const profileFile = join(tmpdir(), `charter-${tier}-${args.profile}.cpuprofile`);
/** Starts the profiler if `phase` is the one asked for. */
const profileStart = async (phase: Phase): Promise<void> => {
  if (args.profile === phase) await profiler.start();
};
const profileStop = async (phase: Phase): Promise<void> => {
  if (args.profile !== phase) return;
  await profiler.stop(profileFile);
  log(`CPU profile of phase ${phase} written to ${profileFile} (read it with: node bench/hotspots.ts ${profileFile})`);
};
if (!globalThis.gc) console.error('warning: run with --expose-gc (npm run bench does) for stable heap figures');

const coldRuns = tier === 'large' || tier === 'xlarge' ? 1 : tier === 'medium' ? 3 : 5;
const fullRuns = tier === 'large' ? 1 : 3;

// ------------------------------------------------------------------ model
const catalog = loadCatalog();
let start = process.hrtime.bigint();
const w = generateWorkload(tier, seed, catalog);
const generateMs = msSince(start);
const model = w.model;
const modelCounts = {
  users: model.users.size,
  groups: model.groups.size,
  organizations: model.organizations.size,
  namespaces: new Set([...model.organizations.values()].flatMap((o) => o.namespaces)).size,
  entities: w.entities.length,
  collaborations: model.collaborations.size,
  memberships: [...model.collaborations.values()].filter((c) => c.target.kind === 'Organization').length,
  expiring: [...model.collaborations.values()].filter((c) => c.expiresAt !== undefined).length,
  /** Each hot group: users it lists, parts it nests to hold the rest (each listing ≤ 5,000), members in all. */
  hotGroups: w.hotGroups.map((g) => `${g}:${model.groups.get(g)!.users.length}${w.hotParts.has(g) ? `+${w.hotParts.get(g)!.length} parts` : ''}`),
};
log(`model generated in ${round(generateMs)} ms: ${JSON.stringify(modelCounts)}`);
const heapModelMiB = heapMiB();

// ------------------------------------------------------------------ cold build
const coldSamples: number[] = [];
let engine: Engine | undefined;
await profileStart('cold');
for (let run = 0; run < coldRuns; run++) {
  engine = undefined;
  collectGarbage();
  start = process.hrtime.bigint();
  engine = new Engine(copyModel(model), catalog, {}, w.now);
  coldSamples.push(msSince(start));
  log(`cold build ${run + 1}/${coldRuns}: ${round(coldSamples.at(-1)!)} ms`);
}
await profileStop('cold');
const live = engine!;
const heapEngineMiB = heapMiB();
if (tier === 'xlarge') {
  reportBuildOnly(live);
  process.exit(0);
}
const shape = profileShape(live);

// ------------------------------------------------------------------ permission maps and reader checks
await profileStart('maps');
start = process.hrtime.bigint();
let maps: Map<string, NamespaceMap> | undefined = buildPermissionMaps(live);
const mapBuildMs = msSince(start);
let mapBytes = 0;
let configMaps = 0;
let largestMapBytes = 0;
start = process.hrtime.bigint();
for (const map of maps.values()) {
  let bytes = 0;
  for (const cm of shardMap(map).configMaps) {
    bytes += dataBytes(cm.data);
    configMaps++;
  }
  mapBytes += bytes;
  largestMapBytes = Math.max(largestMapBytes, bytes);
}
const shardMs = msSince(start);
await profileStop('maps');
const heapWithMapsMiB = heapMiB();
log(`permission maps: ${maps.size} namespaces, ${configMaps} ConfigMaps, ${round(mapBytes / 2 ** 20)} MiB, built in ${round(mapBuildMs)} ms + sharded in ${round(shardMs)} ms`);
const checks = measureChecks(w, live, maps, { sample: 64, checks: 1_000_000, runs: 7 });
log(`reader check: ${round(checks.checkNs)} ns (engine profile: ${round(checks.engineCheckNs)} ns), ${checks.readerMismatches} mismatches`);
const mapCount = maps.size;
maps = undefined;

// Every object's status once, as the operator computes them after a start (rights are derived on demand).
await profileStart('statuses');
start = process.hrtime.bigint();
const statusKeys = allObjectKeys(live);
for (const key of statusKeys) statusOf(live, key);
const statusesMs = msSince(start);
await profileStop('statuses');
log(`statuses: ${statusKeys.length} objects in ${round(statusesMs)} ms`);
// What the engine holds after a start (maps built and dropped, every status computed: the caches those fill stay).
const heapAfterStartMiB = heapMiB();

// ------------------------------------------------------------------ admission decisions (src/admission)
// Judged on the live engine, as the webhook does; the verification at the end also shows they left it as it was.
const decisionCount = Number(args.decisions);
collectGarbage();
const admissionLoad = [loadavg()[0]!];
await profileStart('admission');
const decisions = runAdmissionMix(w, live, Number.isInteger(decisionCount) && decisionCount > 0 ? decisionCount : 2000, seed + 1);
await profileStop('admission');
admissionLoad.push(loadavg()[0]!);
const admissionSummary = summarize(decisions.map((d) => d.ms));
const admissionCpu = summarize(decisions.map((d) => d.cpuMs));
log(`${decisions.length} admission decisions: p50 ${round(admissionSummary.p50)} ms, p99 ${round(admissionSummary.p99)} ms (CPU p50 ${round(admissionCpu.p50)} ms, p99 ${round(admissionCpu.p99)} ms; load average ${admissionLoad.map(round).join(' → ')})`);

// ------------------------------------------------------------------ incremental changes
interface Timed extends MixChange {
  ms: number;
  impactUsers: number;
  impactNamespaces: number;
}
const mix = new ChangeMix(w, live);
const timed: Timed[] = [];
const applyTimed = (mc: MixChange): Timed => {
  const t0 = process.hrtime.bigint();
  const impact = live.apply([mc.change]);
  const ms = msSince(t0);
  mix.afterApply(mc);
  return { ...mc, ms, impactUsers: impact.users.size, impactNamespaces: impact.namespaces.size };
};
collectGarbage();
await profileStart('changes');
for (let i = 0; i < changeCount; i++) timed.push(applyTimed(mix.next()));
await profileStop('changes');
log(`${changeCount} changes applied`);

// Hot-group probes: one grant edit, one membership edit and one organization-membership edit per hot group.
const probes: Array<Timed & { group: string; probe: string }> = [];
for (const group of w.hotGroups) {
  const own = mix.collaborationsOf(`UserGroup/${group}`);
  const grant = own.find((c) => c.target.kind !== 'Organization');
  const membership = own.find((c) => c.target.kind === 'Organization');
  if (grant) probes.push({ ...applyTimed(mix.rightsEdit(grant)), group, probe: 'grant rights edit' });
  probes.push({ ...applyTimed(mix.groupMembership(group)), group, probe: 'add a member' });
  if (membership) probes.push({ ...applyTimed(mix.rightsEdit(membership)), group, probe: 'membership rights edit' });
}

// Time passing: one day later, the grants expiring in that day stop counting.
start = process.hrtime.bigint();
const expiryImpact = live.advanceTime(w.now + DAY);
const advanceTimeMs = msSince(start);

// End to end for a short extra run: apply, then bring the permission maps of the namespaces the change affected up
// to date, as the operator does: kept between changes (IncrementalMaps: only the users the Impact names move), and,
// for comparison in the same process, rebuilt whole (buildNamespaceMap + shardMap, what the operator did before).
// Both must give the same ConfigMaps (counted in `mapMismatches`, part of `verified`). Before the changes (untimed
// but measured): every namespace's map kept, as after a start; each namespace's ConfigMaps by hash annotation (which
// covers the content), to count the ConfigMaps a change rewrites.
const cpuMsSince = (from: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(from);
  return (used.user + used.system) / 1000;
};
const heapBeforeKeptMapsMiB = heapMiB();
const keptMaps = new IncrementalMaps(live);
const published = new PublishedMaps();
let cpu = process.cpuUsage();
start = process.hrtime.bigint();
for (const ns of live.mapNamespaces()) published.publish(keptMaps.write(ns));
const keptMapsBuildMs = msSince(start);
const keptMapsBuildCpuMs = cpuMsSince(cpu);
const heapWithKeptMapsMiB = heapMiB();
log(`every map kept: ${round(keptMapsBuildCpuMs)} ms CPU; heap ${round(heapBeforeKeptMapsMiB)} → ${round(heapWithKeptMapsMiB)} MiB`);
const endToEnd: Array<{ applyMs: number; refreshMs: number; refreshCpuMs: number; fullCpuMs: number; namespaces: number; hot: boolean; configMapsWritten: number; bytesWritten: number }> = [];
let mapMismatches = 0;
const firstMapMismatches: string[] = [];
const statsBefore = { ...keptMaps.stats };
for (let i = 0; i < Math.min(tier === 'large' ? 20 : 100, changeCount); i++) {
  const mc = mix.next();
  const t0 = process.hrtime.bigint();
  const impact = live.apply([mc.change]);
  const applyMs = msSince(t0);
  mix.afterApply(mc);
  const namespaces = [...impact.namespaces];
  // What the ConfigMap writer does: the kept map of a namespace that gets one, else the empty map.
  const incremental = () => {
    const t1 = process.hrtime.bigint();
    const c1 = process.cpuUsage();
    const writes = namespaces.map((ns) => {
      if (live.hasMap(ns)) return keptMaps.write(ns);
      keptMaps.forget(ns);
      return shardMap(emptyNamespaceMap(live, ns));
    });
    return { writes, ms: msSince(t1), cpuMs: cpuMsSince(c1) };
  };
  const whole = () => {
    const c1 = process.cpuUsage();
    const writes = namespaces.map((ns) => (live.hasMap(ns) ? shardMap(buildNamespaceMap(live, ns)) : shardMap(emptyNamespaceMap(live, ns))));
    return { writes, cpuMs: cpuMsSince(c1) };
  };
  // Alternated, so that neither side always runs on the caches the other warmed.
  let kept: ReturnType<typeof incremental>;
  let full: ReturnType<typeof whole>;
  if (i % 2 === 0) ((kept = incremental()), (full = whole()));
  else ((full = whole()), (kept = incremental()));
  kept.writes.forEach((write, j) => {
    if (JSON.stringify(write.configMaps) === JSON.stringify(full.writes[j]!.configMaps)) return;
    mapMismatches++;
    if (firstMapMismatches.length < 5) firstMapMismatches.push(`map ${write.namespace} after change ${i}: kept ${write.contentHash} vs rebuilt ${full.writes[j]!.contentHash}`);
  });
  // What the operator would write: the ConfigMaps whose content (hash annotation) changed, each whole (its data).
  let configMapsWritten = 0;
  let bytesWritten = 0;
  for (const write of kept.writes) {
    const rewritten = published.publish(write);
    configMapsWritten += rewritten.configMaps;
    bytesWritten += rewritten.bytes;
  }
  endToEnd.push({ applyMs, refreshMs: kept.ms, refreshCpuMs: kept.cpuMs, fullCpuMs: full.cpuMs, namespaces: impact.namespaces.size, hot: mc.hot, configMapsWritten, bytesWritten });
}
const keptStats = Object.fromEntries(Object.entries(keptMaps.stats).map(([k, v]) => [k, v - statsBefore[k as keyof typeof statsBefore]]));
log(`map refreshes: ${JSON.stringify(keptStats)}, ${mapMismatches} kept maps differing from rebuilt ones`);
log('hot probes, expiry and map refreshes done');

// ------------------------------------------------------------------ full recompute baseline + verification
const fullSamples: number[] = [];
let fresh: Engine | undefined;
for (let run = 0; run < fullRuns; run++) {
  fresh = undefined;
  collectGarbage();
  start = process.hrtime.bigint();
  fresh = new Engine(copyModel(live.model), catalog, {}, live.now);
  fullSamples.push(msSince(start));
  log(`full recompute ${run + 1}/${fullRuns}: ${round(fullSamples.at(-1)!)} ms`);
}
start = process.hrtime.bigint();
const verification = verifyEngines(live, fresh!);
// The kept maps (after every change above) against the fresh engine's maps built whole, ConfigMaps byte for byte.
const mapVerification = verifyMaps(keptMaps, live, fresh!);
verification.compared.maps = mapVerification.compared;
verification.compared.mapsDuringChanges = endToEnd.length;
verification.mismatches.push(...firstMapMismatches, ...mapVerification.mismatches);
verification.verified &&= mapMismatches === 0 && mapVerification.mismatches.length === 0;
const verifyMs = msSince(start);
log(`verification ${verification.verified ? 'passed' : 'FAILED'} in ${round(verifyMs)} ms`);

// ------------------------------------------------------------------ report
const ms = (list: readonly { ms: number }[]): Summary => summarize(list.map((t) => t.ms));
const nonHot = timed.filter((t) => !t.hot);
const hot = timed.filter((t) => t.hot);
const nonHotSummary = ms(nonHot);
const allSummary = ms(timed);
const fullRecomputeMs = median(fullSamples);
const byCategory = Object.fromEntries(
  (['groupMembership', 'groupNesting', 'organizationMembership', 'collaboration', 'rights'] as ChangeCategory[]).map((c) => [c, roundSummary(ms(timed.filter((t) => t.category === c)))]),
);
/** What a change makes the engine walk: the group's list for a member edit, the users it fans out to otherwise. */
const touched = (t: MixChange): number => (t.category === 'groupMembership' ? t.listed : t.fanOut);
const perUser = (list: readonly Timed[]): number => median(list.filter((t) => touched(t) >= 100).map((t) => (t.ms * 1000) / touched(t)));
const report = {
  ...reportHeader(),
  profiles: shape,
  coldRunsMs: coldSamples.map(round),
  heapMiB: round(heapEngineMiB),
  heapModelMiB: round(heapModelMiB),
  /** The engine alone (`heapMiB` − `heapModelMiB`): after the build, and after a start (`heapAfterStartMiB` − model). */
  heapEngineAloneMiB: { afterBuild: round(heapEngineMiB - heapModelMiB), afterStart: round(heapAfterStartMiB - heapModelMiB) },
  heapWithMapsMiB: round(heapWithMapsMiB),
  /** Heap before and after every namespace's map is kept (IncrementalMaps), with the engine alive. */
  heapKeptMapsMiB: { before: round(heapBeforeKeptMapsMiB), after: round(heapWithKeptMapsMiB) },
  keptMapsBuildCpuMs: round(keptMapsBuildCpuMs),
  keptMapsBuildMs: round(keptMapsBuildMs),
  mapBytes,
  maps: { namespaces: mapCount, configMaps, largestMapBytes, buildMs: round(mapBuildMs), shardMs: round(shardMs) },
  statuses: { objects: statusKeys.length, ms: round(statusesMs) },
  /** What a start costs before the first write: build, every map built and sharded (as `charter render` does), every status. */
  startMs: round(median(coldSamples) + mapBuildMs + shardMs + statusesMs),
  /** The same with the maps as the operator makes them at its start: every namespace's map kept (`IncrementalMaps.write`). */
  operatorStartMs: round(median(coldSamples) + keptMapsBuildMs + statusesMs),
  checkNs: round(checks.checkNs),
  checks: { ...checks, checkNs: round(checks.checkNs), runsNs: checks.runsNs.map(round), engineCheckNs: round(checks.engineCheckNs), loadMsPerNamespace: round(checks.loadMsPerNamespace), positiveShare: round(checks.positiveShare) },
  admissionP50Ms: round(admissionSummary.p50),
  admissionP99Ms: round(admissionSummary.p99),
  admission: {
    all: roundSummary(admissionSummary),
    /** The process's CPU time per decision: the same decisions without the waits of a shared machine (1 µs resolution). */
    cpu: roundSummary(admissionCpu),
    /** 1-minute load average before and after the phase. */
    loadAverage: admissionLoad.map(round),
    byCategory: Object.fromEntries(
      (['grant', 'groupEdit', 'membershipRemoval'] as AdmissionCategory[]).map((c) => {
        const list = decisions.filter((d) => d.category === c);
        const reasons: Record<string, number> = {};
        for (const d of list) for (const r of d.reasons) reasons[r] = (reasons[r] ?? 0) + 1;
        const cpu = summarize(list.map((d) => d.cpuMs));
        return [c, { ...roundSummary(summarize(list.map((d) => d.ms))), cpuP50: round(cpu.p50), cpuP99: round(cpu.p99), allowed: list.filter((d) => d.allowed).length, reasons }];
      }),
    ),
    slowest: [...decisions].sort((a, b) => b.ms - a.ms).slice(0, 3).map((d) => ({ ms: round(d.ms), cpuMs: round(d.cpuMs), reasons: d.reasons, decision: d.label })),
  },
  incrementalScope: 'changes not touching a hot group (hot ones: `hot`)',
  incrementalP50Ms: round(nonHotSummary.p50),
  incrementalP99Ms: round(nonHotSummary.p99),
  incrementalMaxMs: round(nonHotSummary.max),
  incrementalAll: roundSummary(allSummary),
  byCategory,
  fanOut: roundSummary(summarize(timed.map((t) => t.fanOut))),
  hot: {
    ...roundSummary(ms(hot)),
    usPerTouchedUser: round(perUser(hot)),
    probes: probes.map((p) => ({ group: p.group, probe: p.probe, ms: round(p.ms), fanOut: p.fanOut, listed: p.listed, usPerTouchedUser: round((p.ms * 1000) / Math.max(1, touched(p))) })),
  },
  slowest: [...timed].sort((a, b) => b.ms - a.ms).slice(0, 5).map((t) => ({ ms: round(t.ms), hot: t.hot, fanOut: t.fanOut, listed: t.listed, impactUsers: t.impactUsers, change: t.label })),
  fullRecomputeMs: round(fullRecomputeMs),
  fullRecomputeRunsMs: fullSamples.map(round),
  baselineRatio: { p50: round(fullRecomputeMs / nonHotSummary.p50), p99: round(fullRecomputeMs / nonHotSummary.p99), hotP50: round(fullRecomputeMs / ms(hot).p50) },
  advanceTimeMs: round(advanceTimeMs),
  advanceTimeUsers: expiryImpact.users.size,
  endToEnd: {
    changes: endToEnd.length,
    applyMs: roundSummary(summarize(endToEnd.map((e) => e.applyMs))),
    mapRefreshMs: roundSummary(summarize(endToEnd.map((e) => e.refreshMs))),
    /** CPU time (process.cpuUsage) of the refresh from the kept maps, and of rebuilding the same maps whole. */
    mapRefreshCpuMs: roundSummary(summarize(endToEnd.map((e) => e.refreshCpuMs))),
    mapRebuildCpuMs: roundSummary(summarize(endToEnd.map((e) => e.fullCpuMs))),
    /** Sum of rebuild CPU / sum of kept-refresh CPU over the same changes. */
    mapRefreshRatio: round(endToEnd.reduce((a, e) => a + e.fullCpuMs, 0) / Math.max(1e-9, endToEnd.reduce((a, e) => a + e.refreshCpuMs, 0))),
    keptMaps: keptStats,
    namespacesPerChange: roundSummary(summarize(endToEnd.map((e) => e.namespaces))),
    /** ConfigMaps whose content changed (the operator rewrites those, whole) and their data bytes, per change. */
    configMapsWrittenPerChange: roundSummary(summarize(endToEnd.map((e) => e.configMapsWritten))),
    bytesWrittenPerChange: roundSummary(summarize(endToEnd.map((e) => e.bytesWritten))),
  },
  verified: verification.verified,
  verification: { ...verification, ms: round(verifyMs) },
  targets: TARGETS[tier] ?? {},
  meets: {} as Record<string, boolean>,
};
for (const [name, limit] of Object.entries(report.targets)) report.meets[name] = (report as unknown as Record<string, number>)[name]! <= limit;

if (args.json) {
  process.stdout.write(`${JSON.stringify(report)}\n`);
} else {
  printHuman();
}
process.exitCode = verification.verified ? 0 : 1;

// ------------------------------------------------------------------ helpers

/** What every report starts with: the run (tier, seed, revision, Node, machine), the model, generation and cold build. */
function reportHeader() {
  return {
    tier,
    seed,
    revision: revision(),
    node: process.version,
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGiB: round(totalmem() / 2 ** 30) },
    model: modelCounts,
    generateMs: round(generateMs),
    coldMs: round(median(coldSamples)),
  };
}

/** Tier xlarge: generation, one cold build and the heap (with RSS and the load average: the machine is shared). */
function reportBuildOnly(engine: Engine): void {
  const memory = process.memoryUsage();
  const report = {
    ...reportHeader(),
    measured: 'generation, cold build and heap only (no maps, statuses, checks, admission, changes or verification)',
    heapMiB: round(heapEngineMiB),
    heapModelMiB: round(heapModelMiB),
    heapEngineAloneMiB: round(heapEngineMiB - heapModelMiB),
    rssMiB: round(memory.rss / 2 ** 20),
    loadAverage: loadavg().map(round),
    engineUsers: engine.model.users.size,
  };
  if (args.json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  console.log(`Charter engine benchmark — tier ${tier} (build and heap only), seed ${seed}, Node ${report.node}, ${report.machine.cpus} × ${report.machine.cpuModel}`);
  console.log(`  model: ${JSON.stringify(report.model)}`);
  console.log(`  generated in ${report.generateMs} ms; cold build ${report.coldMs} ms`);
  console.log(`  heap after build ${report.heapMiB} MiB (model alone ${report.heapModelMiB} MiB, engine alone ${report.heapEngineAloneMiB} MiB); RSS ${report.rssMiB} MiB; load average ${report.loadAverage.join(' ')}`);
}

/** Which code was measured: the last commits of the repository and of the engine, and uncommitted engine edits. */
function revision(): { head: string; engine: string; engineDirty: boolean } | undefined {
  const git = (...gitArgs: string[]): string => execFileSync('git', gitArgs, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const paths = ['src/engine', 'src/permission-map', 'src/reader'];
    return { head: git('rev-parse', '--short', 'HEAD'), engine: git('log', '-1', '--format=%h', '--', ...paths), engineDirty: git('status', '--porcelain', '--', ...paths) !== '' };
  } catch {
    return undefined;
  }
}

function roundSummary(s: Summary): Summary {
  return { count: s.count, p50: round(s.p50), p90: round(s.p90), p99: round(s.p99), max: round(s.max), mean: round(s.mean) };
}

/** How big the derived state is: entities per profile, organizations and groups per user. */
function profileShape(e: Engine): Record<string, Summary> {
  const entities: number[] = [];
  const organizations: number[] = [];
  const groups: number[] = [];
  for (const user of e.model.users.keys()) {
    const p = e.profile(user)!;
    entities.push(p.entities.size);
    organizations.push(p.organizations.size);
    groups.push(e.groups.groupsOf(user).size);
  }
  return { entitiesPerUser: roundSummary(summarize(entities)), organizationsPerUser: roundSummary(summarize(organizations)), groupsPerUser: roundSummary(summarize(groups)) };
}

function printHuman(): void {
  const r = report;
  /** `metric`: the report field a target applies to; the verdict is `meets`, not the printed text. */
  const line = (label: string, value: string, metric?: string): void => {
    const target = metric === undefined ? undefined : (r.targets as Record<string, number | undefined>)[metric];
    const verdict = target === undefined ? '' : `   (target ≤ ${target}: ${r.meets[metric!] ? 'ok' : 'MISSED'})`;
    console.log(`  ${label.padEnd(34)} ${value}${verdict}`);
  };
  const s = (x: Summary): string => `p50 ${x.p50}  p99 ${x.p99}  max ${x.max}  (n=${x.count})`;
  console.log(`Charter engine benchmark — tier ${r.tier}, seed ${r.seed}, Node ${r.node}, ${r.machine.cpus} × ${r.machine.cpuModel}`);
  if (r.revision) console.log(`  code: HEAD ${r.revision.head}, engine/maps/reader ${r.revision.engine}${r.revision.engineDirty ? ' + uncommitted edits' : ''}`);
  console.log(`  model: ${r.model.users} users, ${r.model.groups} groups, ${r.model.organizations} organizations (${r.model.namespaces} namespaces), ${r.model.entities} entities, ${r.model.collaborations} collaborations (${r.model.memberships} memberships, ${r.model.expiring} expiring)`);
  console.log(`  per user: ${r.profiles.entitiesPerUser!.p50} entities (p99 ${r.profiles.entitiesPerUser!.p99}), ${r.profiles.organizationsPerUser!.p50} organizations, ${r.profiles.groupsPerUser!.p50} groups (medians)`);
  line('cold build (median, ms)', `${r.coldMs}   runs ${r.coldRunsMs.join(', ')}`, 'coldMs');
  line('heap after build (MiB)', `${r.heapMiB}   (model alone ${r.heapModelMiB}, with all maps ${r.heapWithMapsMiB})`, 'heapMiB');
  line('  engine alone (MiB)', `${r.heapEngineAloneMiB.afterBuild} after the build, ${r.heapEngineAloneMiB.afterStart} after every map and status (caches filled)`);
  line('permission maps', `${round(r.mapBytes / 2 ** 20)} MiB in ${r.maps.configMaps} ConfigMaps for ${r.maps.namespaces} namespaces; built ${r.maps.buildMs} ms + sharded ${r.maps.shardMs} ms`);
  line('statuses of every object', `${r.statuses.objects} in ${r.statuses.ms} ms`);
  line('start: build + maps + statuses (ms)', `${r.startMs}   (maps as charter render makes them; as the operator does, every map kept: ${r.operatorStartMs})`);
  line('reader check (median, ns)', `${r.checkNs}   (engine profile ${r.checks.engineCheckNs} ns; ${r.checks.readerMismatches} mismatches)`, 'checkNs');
  line('admission decision (ms)', s({ ...r.admission.all, p50: r.admissionP50Ms, p99: r.admissionP99Ms }), 'admissionP99Ms');
  line('  CPU per decision (ms)', `${s(r.admission.cpu)}; load average ${r.admission.loadAverage.join(' → ')}`);
  for (const [category, summary] of Object.entries(r.admission.byCategory)) line(`  ${category}`, `${s(summary)}; CPU p50 ${summary.cpuP50} p99 ${summary.cpuP99}; ${summary.allowed} allowed; ${Object.entries(summary.reasons).map(([k, v]) => `${k} ${v}`).join(', ') || 'no denials'}`);
  for (const d of r.admission.slowest) console.log(`    ${String(d.ms).padStart(8)} ms (CPU ${d.cpuMs}) ${d.decision}${d.reasons.length ? `: ${d.reasons.join(', ')}` : ''}`);
  line('incremental, non-hot (ms)', s({ ...nonHotSummary, p50: r.incrementalP50Ms, p99: r.incrementalP99Ms, max: r.incrementalMaxMs }), 'incrementalP99Ms');
  line('incremental, hot (ms)', `${s(r.hot)}; ${r.hot.usPerTouchedUser} µs per user touched or listed`);
  for (const [category, summary] of Object.entries(r.byCategory)) line(`  ${category}`, s(summary));
  line('full recompute (median, ms)', `${r.fullRecomputeMs}   = ${r.baselineRatio.p50}× the non-hot p50, ${r.baselineRatio.p99}× its p99`);
  line('advance time by a day (ms)', `${r.advanceTimeMs} (${r.advanceTimeUsers} users affected)`);
  line('apply + map refresh (ms)', `apply ${s(r.endToEnd.applyMs)}; refresh ${s(r.endToEnd.mapRefreshMs)}`);
  line('  map refresh, CPU (ms)', `kept maps ${s(r.endToEnd.mapRefreshCpuMs)}; rebuilt whole ${s(r.endToEnd.mapRebuildCpuMs)}; ratio ${r.endToEnd.mapRefreshRatio}×`);
  line('  kept maps', `${JSON.stringify(r.endToEnd.keptMaps)}; heap ${r.heapKeptMapsMiB.before} → ${r.heapKeptMapsMiB.after} MiB; kept in ${r.keptMapsBuildCpuMs} ms CPU`);
  line('  namespaces refreshed per change', s(r.endToEnd.namespacesPerChange));
  line('  ConfigMaps written per change', s(r.endToEnd.configMapsWrittenPerChange));
  line('  bytes written per change', s(r.endToEnd.bytesWrittenPerChange));
  console.log('  hot-group probes:');
  for (const p of r.hot.probes) console.log(`    ${p.group.padEnd(8)} ${p.probe.padEnd(22)} ${String(p.ms).padStart(8)} ms  fan-out ${p.fanOut}, listed ${p.listed}: ${p.usPerTouchedUser} µs/user`);
  console.log('  slowest changes:');
  for (const c of r.slowest) console.log(`    ${String(c.ms).padStart(8)} ms ${c.hot ? 'hot ' : '    '} fan-out ${c.fanOut}${c.listed ? `, listed ${c.listed}` : ''}: ${c.change}`);
  console.log(`  verified (incremental == full): ${r.verified ? 'yes' : `NO — ${r.verification.mismatches.join('; ')}`}`);
}
