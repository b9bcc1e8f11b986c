/**
 * `npm run bench:e2e`: the operator end to end, against a real control plane (src/devcluster: kube-apiserver + etcd
 * on loopback) with the operator in this process. Not a test: it prints figures (docs/performance.md, "End to end").
 *
 * 1. Converge from empty (the default): the tier's namespaces exist, the operator runs, then every object of the tier
 *    is applied (server-side apply, 8 at a time); measured until the operator's last write.
 *    Or, with --preload, a different measurement: every object is applied first (server-side apply through the API
 *    server, --apply-concurrency at a time, 32 by default) with no operator running, then the operator is started on
 *    the full cluster: time until ready (listed, engine built), until its last write, and its writes.
 *    Then every status and every map ConfigMap is compared with an offline computation (engine + src/permission-map)
 *    of the same objects.
 * 2. Changes: 200 single changes, one at a time, each a server-side apply (or delete) through the API — no kubectl
 *    process, so that the figure is the operator's and the API server's, not kubectl's start-up. A mirror engine in
 *    this process predicts, before each change, which map ConfigMaps and statuses it changes and the maps' new
 *    content hashes; the latency is from just before the request to the watch event of the last affected map's index
 *    ConfigMap carrying the new hash. After the operator is idle again, its writes (charter_api_writes_total) are
 *    compared with the number of statuses and map ConfigMaps whose content changed.
 * 3. Restart: a second operator started on the converged cluster: time until it is idle, and its writes (none needed).
 *    --skip-restart leaves it out (at medium it is minutes, and --preload's start already measures a start on a full
 *    cluster, there with every status and map to write).
 *
 * Every phase's wall time and the load average at its end are in the output's `phases`.
 *
 * Flags: --tier tiny|small|medium (default small), --changes N (200), --seed N (1), --workers N (4), --json <file>,
 * --map-workers N (the operator's workers for maps only, beyond --workers; its default: as many), --preload,
 * --apply-concurrency N (8; 32 with --preload), --skip-restart, --trace (each change's time inside the
 * operator, e2e-trace.ts: the output's `changes.trace`), --profile <file> (a CPU profile of the changes phase, the
 * benchmark's own work — the mirror's predictions, between the timed windows — included).
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { loadCatalog } from '../src/catalog/load-catalog.ts';
import { APPLY_PATCH, ApiClient, isNotFound } from '../src/controller/api-client.ts';
import { canonical } from '../src/model/canonical-json.ts';
import { MAP_SELECTOR } from '../src/controller/configmap-writer.ts';
import { Informer } from '../src/controller/informer.ts';
import { createLogger } from '../src/controller/logger.ts';
import { Operator } from '../src/controller/operator.ts';
import { PLURALS } from '../src/api/kinds.ts';
import { objectPath } from '../src/controller/resources.ts';
import { startControlPlane } from '../src/devcluster/controlplane.ts';
import { Engine, type Change } from '../src/engine/engine.ts';
import { allObjectKeys, statusOf } from '../src/engine/status.ts';
import { KINDS, type KindName } from '../src/api/kinds.ts';
import { emptyModel, objectKey, parseObjectKey, type Model } from '../src/model/model.ts';
import { addToModel } from '../src/model/load-manifests.ts';
import { toModelObject } from '../src/model/to-model-object.ts';
import { buildNamespaceMap, buildPermissionMaps } from '../src/permission-map/build-maps.ts';
import { CONTENT_HASH_ANNOTATION, INDEX_KEY, PART_LABEL, shardMap, type ConfigMapObject } from '../src/permission-map/shard.ts';
import { PhaseProfiler } from './cpu-profile.ts';
import { E2eTrace, summariseTraces, type ChangeTrace } from './e2e-trace.ts';
import { E2E_TIERS, PRESETS, Rng, drawCollaboration, generateE2eModel, type Manifest } from './e2e-model.ts';

// ------------------------------------------------------------------------------------------------ options

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}
const TIER = flag('tier', 'small') as keyof typeof E2E_TIERS;
const CHANGES = Number(flag('changes', '200'));
const SEED = Number(flag('seed', '1'));
const WORKERS = Number(flag('workers', '4'));
/** The operator's workers for maps only, beyond --workers (its default: as many). */
const MAP_WORKERS = process.argv.includes('--map-workers') ? Number(flag('map-workers', '')) : undefined;
const JSON_OUT = flag('json', '');
const PRELOAD = process.argv.includes('--preload');
const SKIP_RESTART = process.argv.includes('--skip-restart');
const TRACE = process.argv.includes('--trace');
/** A CPU profile of the changes phase (operator and benchmark share the process): `node bench/hotspots.ts <file>`. */
const PROFILE = flag('profile', '');
// Converging while applying keeps the 8 of every earlier run; a preload is bounded by the API server alone, which on
// 2 cores took the small tier fastest at 32 at a time (docs/performance.md, "Preloaded").
const APPLY_CONCURRENCY = Number(flag('apply-concurrency', PRELOAD ? '32' : '8'));
/** ApiClient keeps at most 16 sockets: higher concurrency spreads the requests over several clients. */
const SOCKETS_PER_CLIENT = 16;
const FIELD_MANAGER = 'charter-bench';
if (!E2E_TIERS[TIER]) throw new Error(`--tier: expected ${Object.keys(E2E_TIERS).join(' or ')}; found ${TIER}`);
if (!(APPLY_CONCURRENCY >= 1)) throw new Error(`--apply-concurrency: expected a positive number; found ${flag('apply-concurrency', '')}`);

const log = (message: string): void => {
  process.stderr.write(`[${new Date().toISOString().slice(11, 23)}] ${message}\n`);
};
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

// ------------------------------------------------------------------------------------------------ helpers

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const keyOf = (m: Manifest | Obj): string => (m.kind === 'Collaboration' ? `Collaboration/${m.metadata.namespace}/${m.metadata.name}` : `${m.kind}/${m.metadata.name}`);
const pathOf = (m: Manifest | Obj): string => objectPath(m.kind as KindName, m.metadata.name, m.kind === 'Collaboration' ? m.metadata.namespace : undefined);

async function inParallel<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** A status as compared: conditions without lastTransitionTime. */
function comparableStatus(status: Obj | undefined): string {
  if (!status) return 'none';
  const conditions = (status.conditions as Obj[] | undefined)?.map(({ lastTransitionTime: _t, ...rest }) => rest);
  return canonical({ ...status, ...(conditions ? { conditions } : {}) });
}

/** A map ConfigMap's content as compared: data with the index's evaluatedAt removed, and the charter annotations. */
function comparableConfigMap(cm: { data?: Record<string, string>; metadata?: { annotations?: Record<string, string> } }): string {
  const data: Obj = { ...(cm.data ?? {}) };
  if (typeof data[INDEX_KEY] === 'string') {
    const { evaluatedAt: _e, ...rest } = JSON.parse(data[INDEX_KEY] as string) as Obj;
    data[INDEX_KEY] = rest;
  }
  const annotations = Object.fromEntries(Object.entries(cm.metadata?.annotations ?? {}).filter(([k]) => k.startsWith('charter.dev/')));
  return canonical({ data, annotations });
}

/** The ConfigMaps of a namespace's map as the mirror computes them (none when the namespace gets no map). */
function mirrorMap(engine: Engine, namespace: string): Map<string, ConfigMapObject> {
  if (!engine.mapNamespaces().includes(namespace)) return new Map();
  return new Map(shardMap(buildNamespaceMap(engine, namespace)).configMaps.map((cm) => [cm.metadata.name, cm]));
}

function toModel(manifests: Iterable<Manifest>, generations: Map<string, number>): Model {
  const model = emptyModel();
  for (const m of manifests) {
    const raw = { ...m, metadata: { ...m.metadata, generation: generations.get(keyOf(m)) ?? 1 } };
    const converted = toModelObject(raw as never);
    if (!converted.ok) throw new Error(`${keyOf(m)}: ${converted.problems.join('; ')}`);
    addToModel(model, converted.object);
  }
  return model;
}

// ------------------------------------------------------------------------------------------------ the operator's state

interface Counters {
  /** Every write request; `errors` counts the failed ones (included in their kind), `conflicts` the 409s among them. */
  writes: { status: number; configmap: number; event: number; other: number; errors: number; conflicts: number };
  adds: number;
  processed: number;
  depth: number;
}

async function counters(operator: Operator): Promise<Counters> {
  const writes = { status: 0, configmap: 0, event: 0, other: 0, errors: 0, conflicts: 0 };
  for (const v of (await operator.metrics.apiWrites.get()).values) {
    if (v.labels.result !== 'success') writes.errors += v.value;
    if (v.labels.result === 'conflict') writes.conflicts += v.value;
    const kind = String(v.labels.kind);
    if (kind === 'status' || kind === 'configmap' || kind === 'event') writes[kind] += v.value;
    else writes.other += v.value;
  }
  const adds = (await operator.metrics.workqueueAdds.get()).values.reduce((s, v) => s + v.value, 0);
  const processed = (await operator.metrics.workqueueWorkDuration.get()).values.filter((v) => v.metricName?.endsWith('_count')).reduce((s, v) => s + v.value, 0);
  const depth = (await operator.metrics.workqueueDepth.get()).values.reduce((s, v) => s + v.value, 0);
  return { writes, adds, processed, depth };
}
const totalWrites = (c: Counters): number => c.writes.status + c.writes.configmap + c.writes.event + c.writes.other;

/**
 * Waits until the operator is idle — nothing queued or in flight — and has stayed so for `quietMs` with no write.
 * Returns when its last write happened (performance.now()), polling every 10 ms.
 */
async function idle(operator: Operator, quietMs: number, timeoutMs = 600_000): Promise<{ lastWriteAt: number; lastMapWriteAt: number; counters: Counters }> {
  const deadline = performance.now() + timeoutMs;
  let last = await counters(operator);
  let lastWriteAt = performance.now();
  let lastMapWriteAt = lastWriteAt;
  let quietSince = performance.now();
  for (;;) {
    await sleep(10);
    const now = await counters(operator);
    const at = performance.now();
    if (totalWrites(now) !== totalWrites(last)) lastWriteAt = at;
    if (now.writes.configmap !== last.writes.configmap) lastMapWriteAt = at;
    const busy = now.depth > 0 || now.adds !== now.processed;
    if (busy || totalWrites(now) !== totalWrites(last)) quietSince = at;
    last = now;
    if (at - quietSince >= quietMs) return { lastWriteAt, lastMapWriteAt, counters: now };
    if (at > deadline) throw new Error(`the operator did not settle within ${timeoutMs} ms`);
  }
}

// ------------------------------------------------------------------------------------------------ comparison

/** Every item of a list, a page of 2,000 at a time (one response of 100,000 Collaborations is ~200 MB of JSON). */
async function listAll(api: ApiClient, path: string, labelSelector?: string): Promise<Obj[]> {
  const items: Obj[] = [];
  let token: string | undefined;
  do {
    const page = await api.request<{ items: Obj[]; metadata?: { continue?: string } }>('GET', path, { query: { limit: 2000, ...(token ? { continue: token } : {}), ...(labelSelector ? { labelSelector } : {}) } });
    for (const item of page.items) items.push(item);
    token = page.metadata?.continue || undefined;
  } while (token);
  return items;
}

/** What the mirror computed, as compared: statuses by object key, and each namespace's ConfigMaps by name. */
interface MirrorContent {
  statuses: Map<string, string>;
  maps: Map<string, Map<string, string>>;
}

/**
 * Compares every status and map ConfigMap in the cluster with the mirror; returns the differences (a few shown), the
 * time spent listing and computing, and the mirror's content as compared (the changes phase starts from it, so that
 * the mirror's maps are built once).
 */
async function compareWithMirror(api: ApiClient, engine: Engine): Promise<{ statuses: number; configMaps: number; differences: string[]; listSeconds: number; computeSeconds: number; content: MirrorContent }> {
  const differences: string[] = [];
  let listing = 0;
  const t0 = performance.now();
  const live = new Map<string, Obj>();
  for (const kind of KINDS) {
    for (const item of await listAll(api, `/apis/charter.dev/v1alpha1/${PLURALS[kind]}`)) live.set(keyOf({ ...item, kind }), item);
  }
  const cms = await listAll(api, '/api/v1/configmaps', MAP_SELECTOR);
  listing += performance.now() - t0;
  const keys = allObjectKeys(engine);
  const statuses = new Map<string, string>();
  for (const key of keys) {
    const expected = comparableStatus(statusOf(engine, key) as Obj | undefined);
    statuses.set(key, expected);
    if (expected !== comparableStatus(live.get(key)?.status)) differences.push(`status of ${key}`);
  }
  live.clear();
  const liveMaps = new Map(cms.map((cm) => [`${cm.metadata.namespace}/${cm.metadata.name}`, cm]));
  const maps = new Map<string, Map<string, string>>();
  let configMaps = 0;
  for (const [ns, map] of buildPermissionMaps(engine)) {
    const ofNamespace = new Map<string, string>();
    for (const cm of shardMap(map).configMaps) {
      configMaps++;
      const name = `${ns}/${cm.metadata.name}`;
      const expected = comparableConfigMap(cm);
      ofNamespace.set(cm.metadata.name, expected);
      const found = liveMaps.get(name);
      if (!found || comparableConfigMap(found) !== expected) differences.push(`ConfigMap ${name}`);
      liveMaps.delete(name);
    }
    maps.set(ns, ofNamespace);
  }
  for (const name of liveMaps.keys()) differences.push(`ConfigMap ${name} (should not exist)`);
  const computeSeconds = (performance.now() - t0 - listing) / 1000;
  return { statuses: keys.length, configMaps, differences, listSeconds: round(listing / 1000, 2), computeSeconds: round(computeSeconds, 2), content: { statuses, maps } };
}

// ------------------------------------------------------------------------------------------------ the changes

type ChangeType = 'grant-add' | 'grant-rights' | 'grant-delete' | 'group-add-member' | 'group-remove-member' | 'membership-add' | 'user-relabel';
const CHANGE_MIX: Array<[ChangeType, number]> = [
  ['grant-add', 25],
  ['grant-rights', 15],
  ['grant-delete', 15],
  ['group-add-member', 15],
  ['group-remove-member', 10],
  ['membership-add', 10],
  ['user-relabel', 10],
];

interface PlannedChange {
  type: ChangeType;
  key: string;
  /** The manifest to apply, or undefined to delete `key`. */
  manifest: Manifest | undefined;
}

function planChange(rng: Rng, model: ReturnType<typeof generateE2eModel>, current: Map<string, Manifest>, i: number): PlannedChange {
  const total = CHANGE_MIX.reduce((s, [, w]) => s + w, 0);
  let x = rng.next() * total;
  let type: ChangeType = 'grant-add';
  for (const [t, w] of CHANGE_MIX) if ((x -= w) < 0) {
    type = t;
    break;
  }
  const byKind = (kind: string): Manifest[] => [...current.values()].filter((m) => m.kind === kind);
  switch (type) {
    case 'grant-add':
    case 'membership-add': {
      const m = drawCollaboration(model, rng, `e2e-${i}`, Date.now(), type === 'grant-add' ? rng.pick(['user', 'user', 'group']) : 'membership');
      delete (m.spec as Obj).expiresAt;
      return { type, key: keyOf(m), manifest: m };
    }
    case 'grant-rights': {
      const grant = rng.pick(byKind('Collaboration').filter((c) => (c.spec as Obj).target.kind !== 'Organization'));
      const spec = structuredClone(grant.spec) as Obj;
      const presets = PRESETS[spec.target.kind]!.filter((p) => canonical(p) !== canonical(spec.rights));
      spec.rights = [...rng.pick(presets)];
      return { type, key: keyOf(grant), manifest: { ...grant, spec } };
    }
    case 'grant-delete': {
      const grant = rng.pick(byKind('Collaboration').filter((c) => (c.spec as Obj).target.kind !== 'Organization'));
      return { type, key: keyOf(grant), manifest: undefined };
    }
    case 'group-add-member':
    case 'group-remove-member': {
      const groups = byKind('UserGroup').filter((g) => Array.isArray((g.spec as Obj).members.users) && (type === 'group-add-member' || (g.spec as Obj).members.users.length >= 2));
      const group = rng.pick(groups);
      const spec = structuredClone(group.spec) as Obj;
      const users: string[] = spec.members.users;
      if (type === 'group-add-member') {
        let user = rng.pick(model.users);
        while (users.includes(user)) user = rng.pick(model.users);
        spec.members.users = [...users, user].sort();
      } else {
        spec.members.users = users.filter((u) => u !== rng.pick(users));
        if (spec.members.users.length === users.length) spec.members.users = users.slice(1);
      }
      return { type, key: keyOf(group), manifest: { ...group, spec } };
    }
    case 'user-relabel': {
      const user = rng.pick(byKind('User'));
      const labels = { ...(user.metadata.labels ?? {}) };
      labels.team = labels.team === 't1' ? 't2' : 't1';
      return { type, key: keyOf(user), manifest: { ...user, metadata: { ...user.metadata, labels } } };
    }
  }
}

interface ChangeResult {
  type: ChangeType;
  /** ms from the request to the last affected index ConfigMap's watch event; undefined without a map change. */
  latencyMs: number | undefined;
  mapsChanged: number;
  configMapsChanged: number;
  statusesChanged: number;
  writes: { status: number; configmap: number; event: number; errors: number; conflicts: number };
  /** With --trace: where its time went inside the operator. */
  trace?: ChangeTrace;
}

// ------------------------------------------------------------------------------------------------ main

async function main(): Promise<void> {
  const tier = E2E_TIERS[TIER];
  log(`tier ${TIER}: ${tier.users} users, ${tier.groups} groups, ${tier.organizations} organizations, ${tier.entities} entities, ${tier.collaborations} collaborations; ${CHANGES} changes; ${WORKERS} workers`);
  const cp = await startControlPlane({ log: (m) => log(`control plane: ${m}`) });
  const results: Obj = {
    tier: TIER,
    // Two different measurements of the start: converging while the objects arrive, or starting on them all.
    mode: PRELOAD ? 'preload: every object applied, then the operator started on the full cluster' : 'converge from empty: the operator running while every object is applied',
    sizes: tier,
    seed: SEED,
    workers: WORKERS,
    mapWorkers: MAP_WORKERS ?? 'as many as workers',
    applyConcurrency: APPLY_CONCURRENCY,
    node: process.version,
    date: new Date().toISOString(),
  };
  const phases: Record<string, { seconds: number; load1: number }> = {};
  results.phases = phases;
  let phaseStart = performance.now();
  /** Ends a phase: its wall time since the previous phase ended, and the 1-minute load average now. */
  const phase = (name: string): number => {
    const now = performance.now();
    phases[name] = { seconds: round((now - phaseStart) / 1000, 2), load1: round(loadavg()[0]!, 2) };
    phaseStart = now;
    return phases[name].seconds;
  };
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(cp.kubeconfigPath);
  const api = new ApiClient(kubeConfig);
  const appliers = Array.from({ length: Math.ceil(APPLY_CONCURRENCY / SOCKETS_PER_CLIENT) }, (_, i) => (i === 0 ? api : new ApiClient(kubeConfig)));
  const catalog = loadCatalog(undefined);
  const logger = createLogger(process.env.CHARTER_BENCH_LOG_LEVEL ?? 'warn');
  const operators: Operator[] = [];
  let indexWatch: Informer<KubernetesObject> | undefined;
  try {
    const model = generateE2eModel(tier, SEED, Date.now());
    phase('generate');
    await inParallel(model.namespaces, APPLY_CONCURRENCY, (name) => api.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } }));
    log(`${model.namespaces.length} namespaces created`);
    phase('namespaces');

    const generations = new Map<string, number>();
    let applier = 0;
    const applyAll = (): Promise<void> =>
      inParallel(model.manifests, APPLY_CONCURRENCY, async (m) => {
        const client = appliers[applier++ % appliers.length]!;
        const stored = await client.request<Obj>('PATCH', pathOf(m), { contentType: APPLY_PATCH, query: { fieldManager: FIELD_MANAGER, force: true }, body: m });
        generations.set(keyOf(m), stored.metadata.generation);
      });
    // A medium tier's 126,000 objects take the operator tens of minutes to converge on a 2-core machine.
    const settleTimeout = TIER === 'medium' ? 3_600_000 : 600_000;
    const operator = new Operator({ kubeConfig, catalog, logger, registry: new Registry(), leaderElection: false, workers: WORKERS, ...(MAP_WORKERS !== undefined ? { mapWorkers: MAP_WORKERS } : {}) });
    operators.push(operator);
    if (PRELOAD) {
      // ---------------------------------------------------------------- 1. preload, then start on the full cluster
      const started = performance.now();
      await applyAll();
      const applySeconds = phase('apply');
      log(`preloaded ${model.manifests.length} objects in ${applySeconds} s (${Math.round(model.manifests.length / applySeconds)}/s, ${APPLY_CONCURRENCY} at a time), no operator running`);
      gc();
      const t0 = performance.now();
      await operator.start();
      const ready = performance.now();
      log(`operator ready (listed, engine built) in ${round((ready - t0) / 1000, 2)} s; waiting for its last write`);
      const settled = await idle(operator, 3000, settleTimeout);
      phase('operatorStart');
      results.start = {
        objects: model.manifests.length,
        applySeconds,
        objectsPerSecond: Math.round(model.manifests.length / applySeconds),
        readySeconds: round((ready - t0) / 1000, 2),
        lastWriteSeconds: round((settled.lastWriteAt - t0) / 1000, 2),
        // Maps are queued before statuses at start: when the last map ConfigMap write ended (every map published).
        lastMapWriteSeconds: round((settled.lastMapWriteAt - t0) / 1000, 2),
        keysProcessed: settled.counters.processed,
        writes: settled.counters.writes,
        firstApplyToLastWriteSeconds: round((settled.lastWriteAt - started) / 1000, 1),
      };
      log(`started on the full cluster: ready ${results.start.readySeconds} s, last map write ${results.start.lastMapWriteSeconds} s, last write ${results.start.lastWriteSeconds} s after the start; writes ${JSON.stringify(results.start.writes)}`);
    } else {
      // ---------------------------------------------------------------- 1. converge from empty
      await operator.start();
      gc();
      phase('operatorStart');
      const started = performance.now();
      await applyAll();
      const applied = performance.now();
      phase('apply');
      log(`applied ${model.manifests.length} objects in ${round((applied - started) / 1000)} s; waiting for the operator`);
      const settled = await idle(operator, 3000, settleTimeout);
      phase('convergeAfterApply');
      results.converge = {
        objects: model.manifests.length,
        applySeconds: round((applied - started) / 1000),
        convergeSeconds: round((settled.lastWriteAt - started) / 1000),
        afterApplySeconds: round((settled.lastWriteAt - applied) / 1000),
        writes: settled.counters.writes,
      };
      log(`converged ${results.converge.convergeSeconds} s after the first apply (${results.converge.afterApplySeconds} s after the last): writes ${JSON.stringify(results.converge.writes)}`);
    }
    for (const client of appliers.slice(1)) client.close();
    const current = new Map(model.manifests.map((m) => [keyOf(m), m]));
    let mirror = new Engine(toModel(current.values(), generations), catalog, {}, Date.now());
    phase('mirrorBuild');
    const check = await compareWithMirror(api, mirror);
    phase('compare');
    log(`compared ${check.statuses} statuses and ${check.configMaps} map ConfigMaps with the offline computation (list ${check.listSeconds} s, compute ${check.computeSeconds} s): ${check.differences.length} differences ${check.differences.slice(0, 5).join(', ')}`);
    (results.start ?? results.converge).compared = { statuses: check.statuses, configMaps: check.configMaps, differences: check.differences.length, listSeconds: check.listSeconds, computeSeconds: check.computeSeconds };

    // ---------------------------------------------------------------- 2. single changes
    const statusCache = check.content.statuses;
    const mapCache = check.content.maps;
    /** Expectations: namespace → the index content hash awaited (or 'deleted'), and who waits. */
    const waiting = new Map<string, { hash: string; resolve: (at: number) => void }>();
    indexWatch = new Informer<KubernetesObject>({ kubeConfig, path: '/api/v1/configmaps', labelSelector: `${MAP_SELECTOR},${PART_LABEL}=index`, name: 'bench', logger });
    const seen = (type: string, cm: KubernetesObject): void => {
      const at = performance.now();
      const ns = cm.metadata?.namespace ?? '';
      const w = waiting.get(ns);
      if (!w) return;
      const hash = type === 'DELETED' ? 'deleted' : (cm.metadata?.annotations?.[CONTENT_HASH_ANNOTATION] ?? '');
      if (hash === w.hash) {
        waiting.delete(ns);
        w.resolve(at);
      }
    };
    indexWatch.on({ onEvent: seen, onRelist: () => undefined });
    await indexWatch.start();
    phase('changesWatch');
    const tracer = TRACE ? new E2eTrace(operator) : undefined;
    const profiler = PROFILE ? new PhaseProfiler() : undefined;
    await profiler?.start();
    const rng = new Rng(SEED * 7919);
    /** The 1-minute load average before each change: the machine is shared, and the latencies depend on it. */
    const loads: number[] = [];
    const changes: ChangeResult[] = [];
    let attempts = 0;
    while (changes.filter((c) => c.latencyMs !== undefined).length < CHANGES && attempts < CHANGES * 3) {
      loads.push(loadavg()[0]!);
      const plan = planChange(rng, model, current, attempts++);
      // What the change does, predicted by the mirror.
      const before = current.get(plan.key);
      const generation = plan.manifest ? (before ? (canonical(before.spec) === canonical(plan.manifest.spec) ? (generations.get(plan.key) ?? 1) : (generations.get(plan.key) ?? 1) + 1) : 1) : 0;
      let change: Change;
      if (plan.manifest) {
        const converted = toModelObject({ ...plan.manifest, metadata: { ...plan.manifest.metadata, generation } } as never);
        if (!converted.ok) throw new Error(`${plan.key}: ${converted.problems.join('; ')}`);
        change = { type: 'upsert', object: converted.object };
      } else {
        const object = parseObjectKey(plan.key);
        if (!object) throw new Error(`${plan.key}: not an object key`);
        change = { type: 'delete', ...object };
      }
      const impact = mirror.apply([change]);
      let statusesChanged = 0;
      for (const key of impact.statuses) {
        const status = statusOf(mirror, key) as Obj | undefined;
        const next = status ? comparableStatus(status) : undefined;
        if (next !== undefined && next !== statusCache.get(key)) statusesChanged++;
        if (next === undefined) statusCache.delete(key);
        else statusCache.set(key, next);
      }
      let configMapsChanged = 0;
      const expected = new Map<string, string>();
      for (const ns of impact.namespaces) {
        const next = mirrorMap(mirror, ns);
        const previous = mapCache.get(ns) ?? new Map<string, string>();
        const nextComparable = new Map([...next].map(([name, cm]) => [name, comparableConfigMap(cm)]));
        let changed = 0;
        for (const [name, value] of nextComparable) if (previous.get(name) !== value) changed++;
        for (const name of previous.keys()) if (!nextComparable.has(name)) changed++;
        configMapsChanged += changed;
        if (changed > 0) {
          const index = [...next.values()].find((cm) => cm.metadata.labels[PART_LABEL] === 'index');
          expected.set(ns, index ? index.metadata.annotations[CONTENT_HASH_ANNOTATION]! : 'deleted');
        }
        if (next.size) mapCache.set(ns, nextComparable);
        else mapCache.delete(ns);
      }
      // Apply it, and wait for the maps.
      const writesBefore = (await counters(operator)).writes;
      const arrivals: Promise<number>[] = [...expected].map(([ns, hash]) => new Promise<number>((resolve) => waiting.set(ns, { hash, resolve })));
      tracer?.begin();
      const t0 = performance.now();
      if (plan.manifest) {
        const stored = await api.request<Obj>('PATCH', pathOf(plan.manifest), { contentType: APPLY_PATCH, query: { fieldManager: FIELD_MANAGER, force: true }, body: plan.manifest });
        generations.set(plan.key, stored.metadata.generation);
        current.set(plan.key, plan.manifest);
        if (stored.metadata.generation !== generation) log(`note: ${plan.key} has generation ${stored.metadata.generation}, the mirror assumed ${generation}`);
      } else {
        await api.request('DELETE', pathOf(before!)).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
        current.delete(plan.key);
        generations.delete(plan.key);
      }
      let latencyMs: number | undefined;
      let arrivedAt: number | undefined;
      if (arrivals.length > 0) {
        const timeout = sleep(30_000).then(() => -1);
        const at = await Promise.race([Promise.all(arrivals).then((times) => Math.max(...times)), timeout]);
        if (at < 0) {
          log(`change ${changes.length} (${plan.type} ${plan.key}): the maps did not change within 30 s (${[...waiting.keys()].join(', ')})`);
          waiting.clear();
        } else {
          latencyMs = at - t0;
          arrivedAt = at;
        }
      }
      const after = (await idle(operator, 150, 60_000)).counters.writes;
      const trace = tracer?.end(arrivedAt);
      changes.push({
        ...(trace ? { trace } : {}),
        type: plan.type,
        latencyMs,
        mapsChanged: expected.size,
        configMapsChanged,
        statusesChanged,
        writes: { status: after.status - writesBefore.status, configmap: after.configmap - writesBefore.configmap, event: after.event - writesBefore.event, errors: after.errors - writesBefore.errors, conflicts: after.conflicts - writesBefore.conflicts },
      });
      if (changes.length % 25 === 0) log(`${changes.length} changes (${changes.filter((c) => c.latencyMs !== undefined).length} with a map change)`);
    }
    await profiler?.stop(PROFILE);
    phase('changes');
    const measured = changes.filter((c) => c.latencyMs !== undefined);
    const latencies = measured.map((c) => c.latencyMs!).sort((a, b) => a - b);
    const sum = (f: (c: ChangeResult) => number, of = changes): number => of.reduce((s, c) => s + f(c), 0);
    const over = changes.filter((c) => c.writes.status + c.writes.configmap > c.statusesChanged + c.configMapsChanged);
    results.changes = {
      applied: changes.length,
      withMapChange: measured.length,
      latencyMs: { p50: round(percentile(latencies, 50)), p90: round(percentile(latencies, 90)), p99: round(percentile(latencies, 99)), max: round(latencies[latencies.length - 1] ?? NaN) },
      perChange: {
        statusWrites: round(sum((c) => c.writes.status) / changes.length, 2),
        configMapWrites: round(sum((c) => c.writes.configmap) / changes.length, 2),
        eventWrites: round(sum((c) => c.writes.event) / changes.length, 2),
        failedWrites: sum((c) => c.writes.errors),
        conflicts: sum((c) => c.writes.conflicts),
        statusesChanged: round(sum((c) => c.statusesChanged) / changes.length, 2),
        configMapsChanged: round(sum((c) => c.configMapsChanged) / changes.length, 2),
      },
      load1: { min: round(Math.min(...loads), 2), mean: round(loads.reduce((a, b) => a + b, 0) / Math.max(1, loads.length), 2), max: round(Math.max(...loads), 2) },
      changesWithMoreWritesThanChangedObjects: over.length,
      overExamples: over.slice(0, 5),
      byType: Object.fromEntries(
        CHANGE_MIX.map(([type]) => {
          const of = changes.filter((c) => c.type === type);
          const lat = of.filter((c) => c.latencyMs !== undefined).map((c) => c.latencyMs!).sort((a, b) => a - b);
          return [type, { n: of.length, p50: round(percentile(lat, 50)), p99: round(percentile(lat, 99)), writes: round(sum((c) => c.writes.status + c.writes.configmap, of) / Math.max(1, of.length), 2), changed: round(sum((c) => c.statusesChanged + c.configMapsChanged, of) / Math.max(1, of.length), 2) }];
        }),
      ),
    };
    if (tracer) {
      const traced = changes.filter((c) => c.trace).map((c) => ({ type: c.type, latencyMs: c.latencyMs, trace: c.trace! }));
      results.changes.trace = {
        byType: summariseTraces(traced),
        slowest: traced.filter((c) => c.latencyMs !== undefined).sort((a, b) => b.latencyMs! - a.latencyMs!).slice(0, 8),
      };
      log(`trace by type: ${JSON.stringify(results.changes.trace.byType)}`);
    }
    log(`changes: ${JSON.stringify(results.changes.latencyMs)} ms; per change ${JSON.stringify(results.changes.perChange)}`);
    mirror = new Engine(toModel(current.values(), generations), catalog, {}, Date.now());
    const after = await compareWithMirror(api, mirror);
    phase('compareAfterChanges');
    results.changes.compared = { statuses: after.statuses, configMaps: after.configMaps, differences: after.differences.length, listSeconds: after.listSeconds, computeSeconds: after.computeSeconds };
    log(`after the changes: ${after.differences.length} differences with the offline computation ${after.differences.slice(0, 5).join(', ')}`);
    await indexWatch.stop();
    indexWatch = undefined;

    // ---------------------------------------------------------------- 3. restart on the converged cluster
    await operator.stop();
    if (SKIP_RESTART) {
      log('restart: skipped (--skip-restart)');
      results.restart = 'skipped (--skip-restart)';
      return;
    }
    gc();
    const restarted = new Operator({ kubeConfig, catalog, logger, registry: new Registry(), leaderElection: false, workers: WORKERS, ...(MAP_WORKERS !== undefined ? { mapWorkers: MAP_WORKERS } : {}) });
    operators.push(restarted);
    const t1 = performance.now();
    await restarted.start();
    const ready = performance.now();
    const restartIdle = await idle(restarted, 1000);
    results.restart = {
      readySeconds: round((ready - t1) / 1000, 2),
      idleSeconds: round((performance.now() - 1000 - t1) / 1000, 2),
      keysProcessed: restartIdle.counters.processed,
      writes: restartIdle.counters.writes,
    };
    log(`restart: ready (listed, engine built) in ${results.restart.readySeconds} s, every key reconciled after ${results.restart.idleSeconds} s, writes ${JSON.stringify(results.restart.writes)}`);
    phase('restart');
  } finally {
    await indexWatch?.stop();
    for (const o of operators) await o.stop().catch(() => undefined);
    for (const client of appliers) client.close();
    await cp.stop();
    log(`phases (s): ${Object.entries(phases).map(([name, p]) => `${name} ${p.seconds}`).join(', ')}`);
    // Written even when a phase failed, so that a long run leaves the phases it finished.
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    if (JSON_OUT) writeFileSync(JSON_OUT, `${JSON.stringify(results, null, 2)}\n`);
  }
}

await main();
