/**
 * `npm run bench:peers -- [--tier small|medium] [--json]`: Charter side by side with SpiceDB on the same synthetic
 * model (bench/generate-model.ts), in one run. SpiceDB (scripts/spicedb-build.sh) runs with its in-memory datastore
 * on 127.0.0.1, started and stopped here; the model reaches it through bench/peers/spicedb-translation.ts. Reports
 * medians and ratios for: loading (translation + schema + bulk import vs Charter's cold build), one check
 * (CheckPermission and CheckBulkPermissions over loopback vs the reader's `can()` and the engine), materialising the
 * busiest namespace (LookupSubjects per entity and right vs `buildNamespaceMap`), and agreement: every question
 * compared, answered the same by both. Not part of `npm test`. Method and figures: docs/performance.md.
 *
 * Progress on stderr; the report (text, or one JSON object with --json) on stdout. Exit code 1 when any answer differs.
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadCatalog } from '../src/catalog/load-catalog.ts';
import { Engine } from '../src/engine/engine.ts';
import { buildNamespaceMap, type NamespaceMap } from '../src/permission-map/build-maps.ts';
import { copyModel, generateWorkload, type TierName } from './generate-model.ts';
import { checkBulk, check, connect, importRelationships, lookupUsers, writeSchema } from './peers/spicedb-client.ts';
import { drawQuestions, loadReader, type Question } from './peers/questions.ts';
import { handlingTime, metricTotal, startSpiceDB } from './peers/spicedb-server.ts';
import { objectId, translate } from './peers/spicedb-translation.ts';
import { Random } from './random.ts';
import { collectGarbage, heapMiB, median, msSince, round, summarize } from './stats.ts';

const { values: args } = parseArgs({
  options: {
    tier: { type: 'string', default: 'small' },
    seed: { type: 'string', default: '20260601' },
    json: { type: 'boolean', default: false },
    questions: { type: 'string', default: '2000' },
    batch: { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '8' },
  },
});
const tier = args.tier as TierName;
if (tier !== 'small' && tier !== 'medium') {
  console.error(`--tier: expected small or medium (SpiceDB's in-memory load of the large tier does not fit the time this benchmark takes); found ${JSON.stringify(args.tier)}`);
  process.exit(2);
}
const [seed, questionCount, batch, concurrency] = [args.seed, args.questions, args.batch, args.concurrency].map(Number) as [number, number, number, number];
if (![seed, questionCount, batch, concurrency].every((n) => Number.isInteger(n) && n >= 1)) {
  console.error('--seed, --questions, --batch, --concurrency: expected positive integers');
  process.exit(2);
}
const log = (message: string): void => void process.stderr.write(`[peers ${tier}] ${message}\n`);
const coldRuns = tier === 'medium' ? 3 : 5;
const ns = (start: bigint, count: number): number => Number(process.hrtime.bigint() - start) / count;

// ------------------------------------------------------------------ model and Charter
const catalog = loadCatalog();
const w = generateWorkload(tier, seed, catalog);
const model = w.model;
log(`model: ${model.users.size} users, ${model.groups.size} groups, ${model.organizations.size} organizations, ${w.entities.length} entities, ${model.collaborations.size} collaborations`);

const coldSamples: number[] = [];
let engine: Engine | undefined;
for (let run = 0; run < coldRuns; run++) {
  engine = undefined;
  collectGarbage();
  const start = process.hrtime.bigint();
  engine = new Engine(copyModel(model), catalog, {}, w.now);
  coldSamples.push(msSince(start));
}
const live = engine!;
const charterHeapMiB = heapMiB();
log(`Charter cold build: ${coldSamples.map(round).join(' / ')} ms`);

// The busiest namespace: the most entities, among those that get a map.
const mapNamespaces = new Set(live.mapNamespaces());
const busy = [...w.entitiesIn].filter(([n]) => mapNamespaces.has(n)).sort((a, b) => b[1].length - a[1].length)[0]![0];
const busyEntities = w.entitiesIn.get(busy)!;
const mapSamples: number[] = [];
let busyMap: NamespaceMap | undefined;
for (let run = 0; run < 7; run++) {
  const start = process.hrtime.bigint();
  busyMap = buildNamespaceMap(live, busy);
  mapSamples.push(msSince(start));
}
log(`busiest namespace ${busy}: ${busyEntities.length} entities, ${busyMap!.rows.length} rows; buildNamespaceMap ${round(median(mapSamples))} ms`);

// ------------------------------------------------------------------ translation and questions
let start = process.hrtime.bigint();
const translation = translate(model, catalog, w.now, { entities: w.entities });
const translateMs = msSince(start);
log(`translation: ${translation.relationships.length} relationships, ${translation.collaborations.active} active collaborations (${translation.collaborations.inactive} inactive) in ${round(translateMs)} ms`);
const names = translation.names;

const random = new Random(seed ^ 0x5eed);
const sampled = new Set<string>([busy]);
for (let attempts = 0; sampled.size < 32 && attempts < 2_000; attempts++) {
  const n = random.pick(w.entities).namespace;
  if (mapNamespaces.has(n)) sampled.add(n);
}
const sampledMaps = new Map([...sampled].map((n) => [n, n === busy ? busyMap! : buildNamespaceMap(live, n)]));
const questions = drawQuestions(w, live, names, sampledMaps, random, questionCount);
const mapped = questions.filter((q) => q.reader !== undefined);
log(`${questions.length} questions (${mapped.length} covered by a map) over ${sampled.size} namespaces; ${questions.filter((q) => q.engine).length} yes`);

// Reader and engine, in-process (same loops as bench/reader-checks.ts).
const readerRuns: number[] = [];
const engineRuns: number[] = [];
let sink = 0;
const CHECKS = 1_000_000;
for (let run = 0; run < 7; run++) {
  let s = process.hrtime.bigint();
  for (let i = 0; i < CHECKS; i++) {
    const q = mapped[i % mapped.length]!;
    if (q.reader!.can(q.user, q.right, q.key)) sink++;
  }
  readerRuns.push(ns(s, CHECKS));
  s = process.hrtime.bigint();
  for (let i = 0; i < CHECKS / 10; i++) {
    const q = mapped[i % mapped.length]!;
    if (live.sets.has(live.rightsOn(q.user, { kind: q.kind, namespace: q.namespace, key: q.key }), q.rightIndex)) sink++;
  }
  engineRuns.push(ns(s, CHECKS / 10));
}
const readerMismatches = mapped.filter((q) => q.reader!.can(q.user, q.right, q.key) !== q.engine);

// ------------------------------------------------------------------ SpiceDB: start and load
start = process.hrtime.bigint();
const server = await startSpiceDB({ log: (line) => log(`spicedb: ${line}`) });
const startupMs = msSince(start);
log(`${server.version} serving on ${server.endpoint} (ready in ${round(startupMs)} ms)`);
const client = connect(server);
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a report of nested figures, printed or serialised
let report: Record<string, any> = {};
let disagreements = 0;
try {
  start = process.hrtime.bigint();
  await writeSchema(client, translation.schema);
  const schemaMs = msSince(start);
  start = process.hrtime.bigint();
  const loaded = await importRelationships(client, translation.relationships);
  const importMs = msSince(start);
  if (loaded !== translation.relationships.length) throw new Error(`SpiceDB loaded ${loaded} relationships of ${translation.relationships.length}`);
  const loadMs = translateMs + schemaMs + importMs;
  const spicedbRssMiB = rssMiB(server.process.pid!);
  log(`loaded: schema ${round(schemaMs)} ms, import ${round(importMs)} ms; SpiceDB RSS ${round(spicedbRssMiB)} MiB`);

  // ---------------------------------------------------------------- one check at a time
  const method = 'CheckPermission';
  const DISPATCHES = 'spicedb_dispatch_client_check_total';
  const checkPass = async (): Promise<{ latencies: number[]; serverMs: number; dispatches: number; mismatches: Question[] }> => {
    const before = await handlingTime(server, method);
    const dispatchesBefore = await metricTotal(server, DISPATCHES);
    const latencies: number[] = [];
    const mismatches: Question[] = [];
    for (const q of questions) {
      const s = process.hrtime.bigint();
      const answer = await check(client, q.spice);
      latencies.push(msSince(s));
      if (answer !== q.engine) mismatches.push(q);
    }
    const after = await handlingTime(server, method);
    const calls = after.calls - before.calls;
    const dispatches = ((await metricTotal(server, DISPATCHES)) - dispatchesBefore) / questions.length;
    return { latencies, serverMs: calls > 0 ? ((after.seconds - before.seconds) * 1000) / calls : Number.NaN, dispatches, mismatches };
  };
  const cold = await checkPass();
  log(`CheckPermission, first pass: median ${round(median(cold.latencies))} ms (server ${round(cold.serverMs)} ms), ${cold.mismatches.length} differences`);
  const warm = await checkPass();
  log(`CheckPermission, second pass: median ${round(median(warm.latencies))} ms (server ${round(warm.serverMs)} ms), ${warm.mismatches.length} differences`);

  // ---------------------------------------------------------------- bulk
  const bulkBefore = await handlingTime(server, 'CheckBulkPermissions');
  const bulkLatencies: number[] = [];
  const bulkMismatches: Question[] = [];
  for (let i = 0; i < questions.length; i += batch) {
    const chunk = questions.slice(i, i + batch);
    const s = process.hrtime.bigint();
    const answers = await checkBulk(client, chunk.map((q) => q.spice));
    bulkLatencies.push(msSince(s) / chunk.length);
    chunk.forEach((q, k) => answers[k] !== q.engine && bulkMismatches.push(q));
  }
  const bulkAfter = await handlingTime(server, 'CheckBulkPermissions');
  const bulkServerMsPerItem = ((bulkAfter.seconds - bulkBefore.seconds) * 1000) / questions.length;
  log(`CheckBulkPermissions (${batch} a call): median ${round(median(bulkLatencies) * 1000)} µs an item, ${bulkMismatches.length} differences`);

  // ---------------------------------------------------------------- materialise the busiest namespace
  const lookups: { resource: string; permission: string; kind: string; key: string; rightIndex: number; right: string; namespace: string | undefined; name: string }[] = [];
  const entityTargets = busyEntities.map((e) => ({ kind: e.kind, namespace: busy as string | undefined, name: e.name, key: e.key }));
  if (busyMap!.organization !== undefined) entityTargets.push({ kind: 'Organization', namespace: undefined, name: busyMap!.organization, key: `Organization/${busyMap!.organization}` });
  for (const t of entityTargets) {
    for (const r of catalog.kinds.get(t.kind)!.rights) lookups.push({ ...t, resource: names.entity(t), permission: names.permission(r), rightIndex: r, right: catalog.rights[r]! });
  }
  const lookupLatencies: number[] = [];
  const results: string[][] = [];
  start = process.hrtime.bigint();
  for (const l of lookups) {
    const s = process.hrtime.bigint();
    results.push(await lookupUsers(client, l.resource, l.permission));
    lookupLatencies.push(msSince(s));
  }
  const lookupSequentialMs = msSince(start);
  start = process.hrtime.bigint();
  let nextLookup = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (nextLookup < lookups.length) {
        const l = lookups[nextLookup++]!;
        await lookupUsers(client, l.resource, l.permission);
      }
    }),
  );
  const lookupConcurrentMs = msSince(start);
  // Agreement: every user SpiceDB names, or the map lists, asked of the reader (the published map) and the engine
  // (its rights on the entity computed once per user and entity).
  const reader = loadReader(busyMap!);
  const listed = [...busyMap!.rows.flatMap((row) => row.users), ...busyMap!.admins.users];
  const userIds = new Map([...model.users.keys()].map((u) => [objectId(u), u]));
  let pairs = 0;
  let granted = 0;
  const materialiseMismatches: string[] = [];
  const engineRights = new Map<string, number>();
  lookups.forEach((l, i) => {
    const spice = new Set(results[i]!.map((id) => userIds.get(id) ?? `?${id}`));
    granted += spice.size;
    for (const user of new Set([...spice, ...listed])) {
      pairs++;
      const fromReader = reader.can(user, l.right, l.key);
      let set = engineRights.get(`${user} ${l.key}`);
      if (set === undefined) engineRights.set(`${user} ${l.key}`, (set = live.rightsOn(user, { kind: l.kind, namespace: l.namespace, key: l.key })));
      const fromEngine = live.sets.has(set, l.rightIndex);
      if (spice.has(user) !== fromReader || fromReader !== fromEngine) materialiseMismatches.push(`${user} ${l.right} ${l.key}: SpiceDB ${spice.has(user)}, map ${fromReader}, engine ${fromEngine}`);
    }
  });
  log(`materialised ${busy}: ${lookups.length} LookupSubjects, ${round(lookupSequentialMs)} ms one at a time, ${round(lookupConcurrentMs)} ms ${concurrency} at a time; ${granted} (user, entity, right) granted; ${materialiseMismatches.length} differences`);

  const examples = [...cold.mismatches, ...warm.mismatches, ...bulkMismatches].slice(0, 10).map((q) => `${q.user} ${q.right} ${q.key}: engine ${q.engine}`);
  disagreements = cold.mismatches.length + warm.mismatches.length + bulkMismatches.length + materialiseMismatches.length + readerMismatches.length;
  const coldMs = median(coldSamples);
  const checkCold = summarize(cold.latencies);
  const checkWarm = summarize(warm.latencies);
  const readerNs = median(readerRuns);
  const engineNs = median(engineRuns);
  const bulkItemMs = median(bulkLatencies);
  const mapMs = median(mapSamples);
  report = {
    tier,
    seed,
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memGiB: round(totalmem() / 2 ** 30), node: process.version, spicedb: server.version, loadAverage: loadavg().map(round) },
    model: { users: model.users.size, groups: model.groups.size, organizations: model.organizations.size, entities: w.entities.length, collaborations: model.collaborations.size },
    load: {
      charterColdMs: round(coldMs),
      charterColdRunsMs: coldSamples.map(round),
      charterHeapMiB: round(charterHeapMiB),
      relationships: translation.relationships.length,
      collaborations: translation.collaborations,
      translateMs: round(translateMs),
      schemaMs: round(schemaMs),
      importMs: round(importMs),
      spicedbLoadMs: round(loadMs),
      ratio: round(loadMs / coldMs),
      spicedbRssMiB: round(spicedbRssMiB),
      spicedbStartupMs: round(startupMs),
    },
    check: {
      questions: questions.length,
      yes: questions.filter((q) => q.engine).length,
      readerNs: round(readerNs),
      engineNs: round(engineNs),
      spicedbFirstPassMs: { p50: round(checkCold.p50), p99: round(checkCold.p99), serverMean: round(cold.serverMs), clientMean: round(checkCold.mean), dispatchesPerCheck: round(cold.dispatches) },
      spicedbSecondPassMs: { p50: round(checkWarm.p50), p99: round(checkWarm.p99), serverMean: round(warm.serverMs), clientMean: round(checkWarm.mean), dispatchesPerCheck: round(warm.dispatches) },
      bulk: { batch, perItemUs: round(bulkItemMs * 1000), callMs: round(bulkItemMs * batch), serverPerItemUs: round(bulkServerMsPerItem * 1000) },
      ratioCheckToReader: round((checkWarm.p50 * 1e6) / readerNs),
      ratioCheckToEngine: round((checkWarm.p50 * 1e6) / engineNs),
      ratioBulkItemToReader: round((bulkItemMs * 1e6) / readerNs),
    },
    materialise: {
      namespace: busy,
      entities: busyEntities.length,
      lookups: lookups.length,
      grantedTriples: granted,
      buildNamespaceMapMs: round(mapMs),
      lookupSequentialMs: round(lookupSequentialMs),
      lookupConcurrentMs: round(lookupConcurrentMs),
      concurrency,
      lookupMs: { p50: round(median(lookupLatencies)), p99: round(summarize(lookupLatencies).p99) },
      ratioSequential: round(lookupSequentialMs / mapMs),
      ratioConcurrent: round(lookupConcurrentMs / mapMs),
    },
    agreement: {
      checkQuestions: questions.length,
      checkDifferences: cold.mismatches.length + warm.mismatches.length,
      bulkDifferences: bulkMismatches.length,
      materialisePairs: pairs,
      materialiseDifferences: materialiseMismatches.length,
      readerDifferences: readerMismatches.length,
      examples: [...examples, ...materialiseMismatches.slice(0, 10)],
    },
  };
} finally {
  client.close();
  await server.stop();
}
if (sink < 0) console.error(sink);

if (args.json) console.log(JSON.stringify(report, null, 2));
else printReport(report);
process.exit(disagreements === 0 ? 0 : 1);

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

function printReport(r: Record<string, any>): void {
  const { load, check: c, materialise: m, agreement: a } = r;
  const lines = [
    `Charter vs SpiceDB (${r.machine.spicedb}), tier ${r.tier}: ${r.model.users} users, ${r.model.collaborations} collaborations, ${r.machine.cpus} CPUs (load average ${r.machine.loadAverage.join(' ')}), Node ${r.machine.node}`,
    '',
    `load       Charter cold build ${load.charterColdMs} ms (heap ${load.charterHeapMiB} MiB)`,
    `           SpiceDB ${load.spicedbLoadMs} ms = translate ${load.translateMs} + schema ${load.schemaMs} + import ${load.importMs} (${load.relationships} relationships; RSS ${load.spicedbRssMiB} MiB)   ratio ${load.ratio}×`,
    `check      reader can() ${c.readerNs} ns; engine ${c.engineNs} ns`,
    `           CheckPermission p50 ${c.spicedbFirstPassMs.p50} ms first pass, ${c.spicedbSecondPassMs.p50} ms second (p99 ${c.spicedbSecondPassMs.p99} ms; server-side mean ${c.spicedbSecondPassMs.serverMean} of ${c.spicedbSecondPassMs.clientMean} ms; ${c.spicedbSecondPassMs.dispatchesPerCheck} dispatches a check)   ratio to can() ${c.ratioCheckToReader}×`,
    `           CheckBulkPermissions ${c.bulk.perItemUs} µs an item (${c.bulk.batch} a call, ${c.bulk.callMs} ms a call; server-side ${c.bulk.serverPerItemUs} µs an item)   ratio to can() ${c.ratioBulkItemToReader}×`,
    `namespace  ${m.namespace} (${m.entities} entities): buildNamespaceMap ${m.buildNamespaceMapMs} ms`,
    `           ${m.lookups} LookupSubjects: ${m.lookupSequentialMs} ms one at a time (p50 ${m.lookupMs.p50} ms), ${m.lookupConcurrentMs} ms ${m.concurrency} at a time   ratio ${m.ratioSequential}× / ${m.ratioConcurrent}×`,
    `agreement  ${a.checkQuestions} questions × 2 passes: ${a.checkDifferences} differences; bulk ${a.bulkDifferences}; namespace ${a.materialisePairs} (user, entity, right): ${a.materialiseDifferences}; reader vs engine ${a.readerDifferences}`,
    ...a.examples.map((e: string) => `  differs: ${e}`),
  ];
  console.log(lines.join('\n'));
}
