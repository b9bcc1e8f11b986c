/**
 * `node --expose-gc --max-old-space-size=12288 bench/engine-heap.ts [--tier medium] [--seed N] [--snapshot file]`:
 * where the engine's heap goes after a cold build. Builds the benchmark's model (same seed and tier as `npm run
 * bench`), reads the heap with the model alone and with one engine, then lets go of the engine's indexes one at a
 * time (in a fixed order), forcing a GC after each: what each release frees is what that index held and nothing
 * still reachable shares (objects shared by several indexes count where the last reference goes). The remainder is
 * the engine's copy of the model's maps and what the facade keeps. `--snapshot` also writes a V8 heap snapshot of the
 * built engine (open it in Chrome's DevTools). `--start` first builds every permission map (dropped at once) and computes
 * every status, as a start does, so that the caches those fill count too (the releases then start from that heap).
 * Prints one JSON object on stdout, progress on stderr.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { writeHeapSnapshot } from 'node:v8';
import { loadCatalog } from '../src/catalog/load-catalog.ts';
import { Engine } from '../src/engine/engine.ts';
import { allObjectKeys, statusOf } from '../src/engine/status.ts';
import { buildNamespaceMap } from '../src/permission-map/build-maps.ts';
import { copyModel, generateWorkload, type TierName } from './generate-model.ts';
import { collectGarbage, heapMiB, round } from './stats.ts';

const { values: args } = parseArgs({
  options: {
    tier: { type: 'string', default: 'medium' },
    seed: { type: 'string', default: '20260601' },
    snapshot: { type: 'string' },
    start: { type: 'boolean', default: false },
  },
});
const log = (m: string): void => void process.stderr.write(`[engine-heap] ${m}\n`);
if (!globalThis.gc) log('warning: run with --expose-gc for stable figures');
const catalog = loadCatalog();
const w = generateWorkload(args.tier as TierName, Number(args.seed), catalog);
collectGarbage();
const modelMiB = heapMiB();
const start = process.hrtime.bigint();
let engine: Engine | undefined = new Engine(copyModel(w.model), catalog, {}, w.now);
const buildMs = Number(process.hrtime.bigint() - start) / 1e6;
collectGarbage();
const withEngineMiB = heapMiB();
log(`built in ${round(buildMs)} ms; heap model ${round(modelMiB)} MiB, with the engine ${round(withEngineMiB)} MiB`);
let afterStartMiB: number | undefined;
if (args.start) {
  // What a start leaves behind besides the maps (which the kept maps hold, src/permission-map): every map built and
  // dropped, every status computed once; the caches they fill (entity reach, user holdings, class scratch) stay.
  for (const ns of engine.mapNamespaces()) buildNamespaceMap(engine, ns);
  for (const key of allObjectKeys(engine)) statusOf(engine, key);
  collectGarbage();
  afterStartMiB = heapMiB();
  log(`every map built and dropped, every status computed: heap ${round(afterStartMiB)} MiB`);
}
if (args.snapshot) log(`snapshot: ${writeHeapSnapshot(args.snapshot)}`);

// Private fields are plain properties at run time: the release order goes from what is shared least to most.
type Bag = Record<string, unknown>;
const e = engine as unknown as Bag;
const state = e.state as Bag;
const releases: Array<[string, Bag, string]> = [];
for (const f of ['reach', 'userHoldings', 'classScratch', 'propagation']) releases.push([`engine.${f}`, e, f]);
for (const f of ['byOrganization', 'byUser']) releases.push([`memberships.${f}`, state.memberships as Bag, f]);
for (const f of ['listsUser', 'listsGroup', 'parents', 'direct', 'members', 'userGroups']) releases.push([`groups.${f}`, state.groups as Bag, f]);
for (const f of ['byIdentity', 'byOwner']) releases.push([`userIndex.${f}`, state.userIndex as Bag, f]);
for (const f of ['versions', 'subjectOrganizations', 'expiring', 'expiringInNamespace', 'expiringOnOrganization', 'byNamespace', 'grantsBySubject', 'membershipsBySubject', 'byTargetOrganization', 'byTargetEntity', 'records', 'entityInfos']) {
  releases.push([`grants.${f}`, state.grants as Bag, f]);
}
for (const f of ['ownership', 'organizations', 'admins', 'restricted']) releases.push([`state.${f}`, state, f]);
releases.push(['state.model (the engine\'s copy of the model\'s maps)', state, 'model']);
releases.push(['engine.model', e, 'model']);

const held: Record<string, number> = {};
let before = afterStartMiB ?? withEngineMiB;
for (const [label, owner, field] of releases) {
  if (!(field in owner)) {
    log(`${label}: no such field (renamed?)`);
    continue;
  }
  owner[field] = undefined;
  collectGarbage();
  const now = heapMiB();
  held[label] = round(before - now);
  before = now;
}
engine = undefined;
collectGarbage();
const after = heapMiB();
held['the rest (sets, facade)'] = round(before - after);
const report = {
  tier: args.tier,
  seed: Number(args.seed),
  buildMs: round(buildMs),
  heapModelMiB: round(modelMiB),
  heapWithEngineMiB: round(withEngineMiB),
  engineAloneMiB: round(withEngineMiB - modelMiB),
  ...(afterStartMiB !== undefined ? { heapAfterStartMiB: round(afterStartMiB), engineAfterStartMiB: round(afterStartMiB - modelMiB) } : {}),
  heldMiB: held,
  loadAverage: loadavg().map((l) => round(l)),
  users: w.model.users.size,
};
console.log(JSON.stringify(report, null, 2));
