/**
 * Helpers for the operator's integration tests (test/integration/operator-*.test.ts):
 *
 *   const op = await startOperator();                         // in-process, its own Registry, no leader election
 *   const api = adminApi();
 *   await applyAll(api, objects);                              // server-side apply, Namespaces first
 *   await expectParity(api, objects);                          // statuses and maps == `charter render` of the same
 *   const map = await clusterMap(api, ns);                     // the published map, through src/reader
 *   const child = spawnOperator(['--lease-namespace', ns]);    // `node src/controller/main.ts` as a process
 *
 * The cluster is shared by every test file of a run and the operator watches it all, so each file names its
 * objects with a prefix of its own and compares only those. Objects left by other files (cluster-scoped Users,
 * for instance) are visible to the operator: the offline render is given them too (see `renderOffline`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Writable } from 'node:stream';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { parse as parseYaml, parseAllDocuments, stringify } from 'yaml';
import { loadCatalog } from '../../../src/catalog/load-catalog.ts';
import { runRender } from '../../../src/cli/render.ts';
import { APPLY_PATCH, ApiClient, isNotFound } from '../../../src/controller/api-client.ts';
import { MAP_SELECTOR } from '../../../src/controller/configmap-writer.ts';
import { createLogger } from '../../../src/controller/logger.ts';
import { Operator, type OperatorOptions } from '../../../src/controller/operator.ts';
import { PLURALS } from '../../../src/api/kinds.ts';
import { objectPath } from '../../../src/controller/resources.ts';
import { KINDS, type KindName } from '../../../src/api/kinds.ts';
import type { NamespaceMap } from '../../../src/permission-map/build-maps.ts';
import { shardMap } from '../../../src/permission-map/shard.ts';
import { parsePermissionMap, type PermissionMap } from '../../../src/reader/permission-reader.ts';
import { kubeConfig, kubeconfigPath } from './cluster.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Obj = Record<string, any>;

export const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
export const TEST_FIELD_MANAGER = 'charter-operator-test';
export const logLevel = process.env.CHARTER_TEST_LOG_LEVEL ?? 'silent';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Calls `check` until it returns without throwing (and, if it returns a boolean, returns true); returns its value.
 * On timeout, throws the last failure, prefixed with `what`.
 */
export async function eventually<T>(check: () => T | Promise<T>, what: string, { timeoutMs = 20_000, intervalMs = 50 } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== false) return value;
      last = new Error('the check returned false');
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      const message = last instanceof Error ? last.message : String(last);
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}:\n${message}`);
    }
    await sleep(intervalMs);
  }
}

/** An admin API client (the operator's own small JSON client). Close it in afterAll. */
export function adminApi(): ApiClient {
  return new ApiClient(kubeConfig());
}

/** A lowercase random suffix for names, e.g. `k3x9q`. */
export function randomId(length = 5): string {
  return Math.random()
    .toString(36)
    .slice(2, 2 + length)
    .padEnd(length, '0');
}

// ------------------------------------------------------------------------------------------------ the operator

/** A key the operator failed to process, from its log. */
export interface KeyFailure {
  key: string;
  error: string;
}

const failuresOf = new WeakMap<Operator, KeyFailure[]>();

/**
 * An operator in this process: its own metrics Registry, metrics on a free port, no leader election unless asked.
 * Its warnings are kept (see `failedKeys`) and, with CHARTER_TEST_LOG_LEVEL set, its log goes to stderr.
 */
export async function startOperator(options: Partial<OperatorOptions> = {}): Promise<Operator> {
  const failures: KeyFailure[] = [];
  const echo = logLevel !== 'silent';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done): void {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        if (echo) process.stderr.write(`${line}\n`);
        try {
          const entry = JSON.parse(line) as { key?: string; error?: string; message?: string };
          if (entry.key && entry.message?.startsWith('processing failed')) failures.push({ key: entry.key, error: entry.error ?? '' });
        } catch {
          // not JSON
        }
      }
      done();
    },
  });
  const operator = new Operator({
    kubeConfig: kubeConfig(),
    catalog: loadCatalog(undefined),
    logger: createLogger(echo ? logLevel : 'warn', { stream }),
    port: 0,
    registry: new Registry(),
    leaderElection: false,
    ...options,
  });
  failuresOf.set(operator, failures);
  await operator.start();
  return operator;
}

/**
 * Keys the operator failed to process (and retried), those containing one of `mine` only when given: in the shared
 * cluster, another test file's leftovers (a map for a namespace being deleted, say) may fail without being ours.
 * A 409 Conflict is left out: a write based on a cache that has not seen the previous write yet is refused and
 * retried by design (controller-runtime's optimistic concurrency); it shows on a loaded machine.
 */
export function failedKeys(operator: Operator, mine?: readonly string[]): KeyFailure[] {
  const all = (failuresOf.get(operator) ?? []).filter((f) => !/: 409 Conflict:/.test(f.error));
  return mine ? all.filter((f) => mine.some((m) => f.key.includes(m))) : all;
}

/** Writes the operator made so far, by `kind/verb/result` (charter_api_writes_total), non-zero ones only. */
export async function writesByLabel(operator: Operator): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const v of (await operator.metrics.apiWrites.get()).values) {
    if (v.value > 0) out[`${v.labels.kind}/${v.labels.verb}/${v.labels.result}`] = v.value;
  }
  return out;
}

/** The total of charter_api_writes_total, optionally of some kinds only (`status`, `configmap`, `event`, `lease`). */
export async function writeCount(operator: Operator, kinds?: readonly string[]): Promise<number> {
  let total = 0;
  for (const v of (await operator.metrics.apiWrites.get()).values) if (!kinds || kinds.includes(String(v.labels.kind))) total += v.value;
  return total;
}


// ------------------------------------------------------------------------------------------- objects in the cluster

const isNamespaceObj = (o: Obj): boolean => o.apiVersion === 'v1' && o.kind === 'Namespace';

/** The API path of a Namespace or charter.dev object. */
export function pathOf(o: Obj): string {
  if (isNamespaceObj(o)) return `/api/v1/namespaces/${o.metadata.name}`;
  return objectPath(o.kind as KindName, o.metadata.name, o.kind === 'Collaboration' ? o.metadata.namespace : undefined);
}

/** `User/alice`, `Collaboration/ns/name`: the engine's object key. */
export const keyOf = (o: Obj): string => (o.metadata.namespace && o.kind === 'Collaboration' ? `${o.kind}/${o.metadata.namespace}/${o.metadata.name}` : `${o.kind}/${o.metadata.name}`);

/** Server-side applies one object (the whole manifest: fields left out are removed from what this manager owns). */
export async function apply(api: ApiClient, o: Obj): Promise<Obj> {
  return api.request<Obj>('PATCH', pathOf(o), { contentType: APPLY_PATCH, query: { fieldManager: TEST_FIELD_MANAGER, force: true }, body: o });
}

/** Applies objects, Namespaces first, `concurrency` at a time (in order within each group). */
export async function applyAll(api: ApiClient, objects: readonly Obj[], concurrency = 4): Promise<void> {
  const namespaces = objects.filter(isNamespaceObj);
  for (const ns of namespaces) await apply(api, ns);
  await inParallel(
    objects.filter((o) => !isNamespaceObj(o)),
    concurrency,
    (o) => apply(api, o),
  );
}

/** Runs `work` on every item, at most `concurrency` at a time. */
export async function inParallel<T>(items: readonly T[], concurrency: number, work: (item: T, index: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      await work(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

/** Deletes objects (not Namespaces: they would stay Terminating), ignoring those already gone. */
export async function deleteAll(api: ApiClient, objects: readonly Obj[]): Promise<void> {
  await inParallel(
    objects.filter((o) => !isNamespaceObj(o)),
    4,
    async (o) => {
      try {
        await api.request('DELETE', pathOf(o));
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    },
  );
}

/** Reads one object; undefined when it does not exist. */
export async function getObject(api: ApiClient, o: Obj): Promise<Obj | undefined> {
  try {
    return await api.request<Obj>('GET', pathOf(o));
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Every charter.dev object in the cluster, by key. */
export async function listCharterObjects(api: ApiClient): Promise<Map<string, Obj>> {
  const out = new Map<string, Obj>();
  for (const kind of KINDS) {
    const list = await api.request<{ items: Obj[] }>('GET', `/apis/charter.dev/v1alpha1/${PLURALS[kind]}`);
    for (const item of list.items) out.set(keyOf({ ...item, kind }), { ...item, kind });
  }
  return out;
}

/** Charter's map ConfigMaps of a namespace, by name. */
export async function mapConfigMaps(api: ApiClient, namespace: string): Promise<Map<string, Obj>> {
  const list = await api.request<{ items: Obj[] }>('GET', `/api/v1/namespaces/${namespace}/configmaps`, { query: { labelSelector: MAP_SELECTOR } });
  return new Map(list.items.map((cm) => [cm.metadata.name as string, cm]));
}

/** The namespace's published permission map through the workload reader; undefined when there is none. */
export async function clusterMap(api: ApiClient, namespace: string): Promise<PermissionMap | undefined> {
  const cms = await mapConfigMaps(api, namespace);
  if (cms.size === 0) return undefined;
  return parsePermissionMap((key, configMap) => cms.get(configMap)?.data?.[key]);
}

/** The rights `user` holds on `entity` according to the published map of `namespace` ([] without a map). */
export async function mapRights(api: ApiClient, namespace: string, user: string, entity: string): Promise<string[]> {
  const map = await clusterMap(api, namespace);
  return map ? map.rights(user, entity) : [];
}

// ------------------------------------------------------------------------------------------------ manifests

/** Every object of the YAML files under `dir` (recursively, sorted), as `charter` and `kubectl apply -R` read them. */
export function readManifests(dir: string): Obj[] {
  const out: Obj[] = [];
  const visit = (path: string): void => {
    if (statSync(path).isDirectory()) {
      for (const entry of readdirSync(path).sort()) visit(join(path, entry));
    } else if (/\.ya?ml$/.test(path)) {
      for (const doc of parseAllDocuments(readFileSync(path, 'utf8'))) {
        const o = doc.toJS() as Obj | null;
        if (o?.kind) out.push(o);
      }
    }
  };
  visit(dir);
  return out;
}

/**
 * A copy of example manifests with every Namespace and object renamed `<name>-<suffix>` and every reference to
 * them (subjects, Organization targets, members, parents, namespaces, a group's organization) renamed with them,
 * so that a test can apply an example beside everything else in the cluster. Entity names (app1, gw1) stay:
 * they are scoped by their (renamed) namespace. Labels stay.
 */
export function renameManifests(objects: readonly Obj[], suffix: string): Obj[] {
  const r = (name: string): string => `${name}-${suffix}`;
  return objects.map((original) => {
    const o = structuredClone(original);
    o.metadata.name = r(o.metadata.name);
    if (o.metadata.namespace) o.metadata.namespace = r(o.metadata.namespace);
    const spec = o.spec ?? {};
    switch (o.kind) {
      case 'Organization':
        if (spec.parent) spec.parent = r(spec.parent);
        if (spec.namespaces) spec.namespaces = spec.namespaces.map(r);
        break;
      case 'UserGroup':
        if (spec.organization) spec.organization = r(spec.organization);
        if (spec.members?.users) spec.members.users = spec.members.users.map(r);
        if (spec.members?.groups) spec.members.groups = spec.members.groups.map(r);
        break;
      case 'Collaboration':
        spec.subject.name = r(spec.subject.name);
        if (['Organization', 'User', 'UserGroup'].includes(spec.target.kind)) spec.target.name = r(spec.target.name);
        break;
    }
    return o;
  });
}

/** The fields of an object the engine reads, as a manifest (server fields, status and managedFields dropped). */
export function asManifest(o: Obj): Obj {
  const metadata: Obj = { name: o.metadata.name };
  if (o.metadata.namespace) metadata.namespace = o.metadata.namespace;
  for (const field of ['generation', 'labels', 'annotations']) if (o.metadata[field] !== undefined) metadata[field] = o.metadata[field];
  return { apiVersion: o.apiVersion ?? 'charter.dev/v1alpha1', kind: o.kind, metadata, ...(o.spec !== undefined ? { spec: o.spec } : {}) };
}

export interface Rendered {
  /** Object key → status, as `charter render` writes it. */
  statuses: Map<string, Obj>;
  /** `namespace/name` → ConfigMap, as `charter render` writes it. */
  configMaps: Map<string, Obj>;
  /** Problem lines of the render (invalid manifests it skipped). */
  problems: string[];
}

/**
 * `charter render` (src/cli/render.ts, run in-process on files in a temporary folder) of `mine` — the manifests a
 * test applied — plus `others`, every other charter object in the cluster (which the operator sees too). Each of
 * `mine` carries the `metadata.generation` the API server gave it when `generations` has it (the one server field
 * the engine reads: it becomes `observedGeneration`).
 */
export function renderOffline(mine: readonly Obj[], others: readonly Obj[], options: { catalog?: string; generations?: Map<string, number> } = {}): Rendered {
  const dir = mkdtempSync(join(tmpdir(), 'charter-parity-'));
  try {
    const input = join(dir, 'in');
    const out = join(dir, 'out');
    const docs = (objects: readonly Obj[]): string => objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');
    const charter = mine
      .filter((o) => !isNamespaceObj(o))
      .map((o) => {
        const generation = options.generations?.get(keyOf(o));
        return generation === undefined ? o : { ...o, metadata: { ...o.metadata, generation } };
      });
    // One file each, so that a problem line names which side it came from.
    mkdirSync(input);
    writeFileSync(join(input, 'mine.yaml'), docs(charter));
    writeFileSync(join(input, 'others.yaml'), docs(others));
    const problems: string[] = [];
    runRender([input], { out, ...(options.catalog ? { catalog: options.catalog } : {}) }, { out: () => undefined, err: (line: string) => problems.push(line) });
    const statuses = new Map<string, Obj>();
    const configMaps = new Map<string, Obj>();
    const walk = (path: string): void => {
      if (statSync(path).isDirectory()) {
        for (const entry of readdirSync(path)) walk(join(path, entry));
        return;
      }
      const o = parseYaml(readFileSync(path, 'utf8')) as Obj;
      const rel = relative(out, path);
      if (rel.startsWith('status')) statuses.set(keyOf(o), o.status);
      else configMaps.set(`${o.metadata.namespace}/${o.metadata.name}`, o);
    };
    for (const sub of ['status', 'configmaps']) {
      try {
        walk(join(out, sub));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    return { statuses, configMaps, problems: problems.filter((line) => !line.startsWith('wrote ')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}


// ------------------------------------------------------------------------------------------------ parity

/** A status without the conditions' lastTransitionTime (when two evaluations happened is all that may differ). */
function comparableStatus(status: Obj | undefined): Obj | undefined {
  if (!status) return status;
  const conditions = (status.conditions as Obj[] | undefined)?.map(({ lastTransitionTime: _t, ...rest }) => rest);
  return { ...status, ...(conditions ? { conditions } : {}) };
}

/** A map ConfigMap's data, JSON values parsed, without the index's evaluatedAt (not part of the content). */
function comparableData(data: Record<string, string> | undefined): Obj {
  const out: Obj = {};
  for (const [key, value] of Object.entries(data ?? {})) {
    let parsed: unknown = value;
    try {
      parsed = JSON.parse(value);
    } catch {
      // compared as text
    }
    if (key === 'index.json' && parsed && typeof parsed === 'object') delete (parsed as Obj).evaluatedAt;
    out[key] = parsed;
  }
  return out;
}

const show = (v: unknown): string => (v === undefined ? 'nothing' : JSON.stringify(v)?.slice(0, 300));

/** Field-by-field differences between what `charter render` computed and what the cluster holds. */
export function diffFields(path: string, expected: unknown, found: unknown, out: string[]): void {
  if (expected !== null && found !== null && typeof expected === 'object' && typeof found === 'object' && Array.isArray(expected) === Array.isArray(found)) {
    const keys = Array.isArray(expected)
      ? Array.from({ length: Math.max(expected.length, (found as unknown[]).length) }, (_, i) => String(i))
      : [...new Set([...Object.keys(expected as Obj), ...Object.keys(found as Obj)])].sort();
    for (const key of keys) diffFields(Array.isArray(expected) ? `${path}[${key}]` : `${path}.${key}`, (expected as Obj)[key], (found as Obj)[key], out);
    return;
  }
  if (expected !== found) out.push(`${path}: render ${show(expected)}, cluster ${show(found)}`);
}

export interface ParityOptions {
  /** The catalog file the operator runs with (default: the built-in one). */
  catalog?: string;
  /** The namespaces whose maps to compare (default: those of the Namespaces in `mine`). */
  namespaces?: readonly string[];
}

export interface ParityReport {
  differences: string[];
  rendered: Rendered;
  compared: { statuses: number; configMaps: number };
}

/**
 * Compares, field by field, the statuses of `mine` (the objects a test applied) and every map ConfigMap of its
 * namespaces with what `charter render` computes offline from the same manifests (plus the cluster's other charter
 * objects). Statuses are compared without lastTransitionTime, ConfigMap data without the index's evaluatedAt.
 * Objects the render skips (schema-invalid) are not compared here: a test checks their status itself.
 */
export async function parity(api: ApiClient, mine: readonly Obj[], options: ParityOptions = {}): Promise<ParityReport> {
  const cluster = await listCharterObjects(api);
  const charter = mine.filter((o) => !isNamespaceObj(o));
  const mineKeys = new Set(charter.map(keyOf));
  const others = [...cluster.values()].filter((o) => !mineKeys.has(keyOf(o))).map(asManifest);
  const generations = new Map<string, number>();
  for (const key of mineKeys) {
    const generation = cluster.get(key)?.metadata?.generation;
    if (typeof generation === 'number') generations.set(key, generation);
  }
  const rendered = renderOffline(charter, others, { ...(options.catalog ? { catalog: options.catalog } : {}), generations });
  const differences: string[] = [];
  let statuses = 0;
  for (const key of [...mineKeys].sort()) {
    const live = cluster.get(key);
    if (!live) {
      differences.push(`${key}: not in the cluster`);
      continue;
    }
    const expected = rendered.statuses.get(key);
    if (!expected) continue; // invalid: the render skipped it
    statuses++;
    diffFields(`${key} status`, comparableStatus(expected), comparableStatus(live.status), differences);
  }
  const namespaces = options.namespaces ?? mine.filter(isNamespaceObj).map((o) => o.metadata.name as string);
  let configMaps = 0;
  for (const ns of namespaces) {
    const live = await mapConfigMaps(api, ns);
    const expected = new Map([...rendered.configMaps].filter(([k]) => k.startsWith(`${ns}/`)).map(([, cm]) => [cm.metadata.name as string, cm]));
    // A namespace that had a map and has none any more keeps the empty map (the operator never deletes what a
    // workload may mount); `charter render` knows no history and writes nothing there.
    if (expected.size === 0 && live.size > 0) for (const cm of emptyMapConfigMaps(ns, options.catalog)) expected.set(cm.metadata.name as string, cm);
    diffFields(`namespace ${ns}: map ConfigMaps`, [...expected.keys()].sort(), [...live.keys()].sort(), differences);
    for (const [name, cm] of expected) {
      const found = live.get(name);
      if (!found) continue;
      configMaps++;
      const where = `ConfigMap ${ns}/${name}`;
      diffFields(`${where} data`, comparableData(cm.data), comparableData(found.data), differences);
      for (const field of ['labels', 'annotations']) {
        for (const [k, v] of Object.entries((cm.metadata[field] ?? {}) as Record<string, string>)) {
          if (found.metadata?.[field]?.[k] !== v) differences.push(`${where} metadata.${field}.${k}: render ${show(v)}, cluster ${show(found.metadata?.[field]?.[k])}`);
        }
      }
    }
  }
  return { differences, rendered, compared: { statuses, configMaps } };
}

/** The ConfigMaps of the empty map of a namespace (what the operator publishes where a map was and none is due). */
function emptyMapConfigMaps(namespace: string, catalogFile: string | undefined): Obj[] {
  const catalog = loadCatalog(catalogFile).name;
  const empty: NamespaceMap = { catalog, namespace, organization: undefined, evaluatedAt: 0, nextExpiry: undefined, rights: [], kinds: [], admins: { users: [], rights: {} }, rows: [] };
  return shardMap(empty).configMaps;
}

/** Waits until `parity` finds no difference; on timeout, fails listing the differences left. Returns the last report. */
export async function expectParity(api: ApiClient, mine: readonly Obj[], options: ParityOptions & { timeoutMs?: number } = {}): Promise<ParityReport> {
  let report: ParityReport | undefined;
  await eventually(
    async () => {
      report = await parity(api, mine, options);
      if (report.differences.length > 0) {
        throw new Error(`${report.differences.length} differences:\n  ${report.differences.slice(0, 40).join('\n  ')}`);
      }
    },
    'the cluster to equal `charter render`',
    { timeoutMs: options.timeoutMs ?? 30_000, intervalMs: 200 },
  );
  return report!;
}

// ------------------------------------------------------------------------------------------- operator processes

export interface OperatorProcess {
  identity: string;
  child: ChildProcess;
  /** stdout and stderr lines so far (JSON log lines). */
  lines: string[];
  /** Resolves with the exit code (or the signal's name) when the process ends. */
  exited: Promise<number | string>;
  running(): boolean;
  /** The port of /metrics, once it logged it. */
  metricsPort(): number | undefined;
}

const spawned = new Set<OperatorProcess>();

/**
 * `node src/controller/main.ts --kubeconfig <run's> --identity <identity> --metrics-port 0 ...args` as a child process
 * (Node from node_modules, as the tests run). The caller ends it; `stopSpawned` kills what is left (afterAll).
 */
export function spawnOperator(identity: string, args: readonly string[]): OperatorProcess {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^CHARTER_/.test(k) || /^CHARTER_(TEST|CONTROLPLANE)_/.test(k)) env[k] = v;
  const child = spawn(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', join(repoRoot, 'src/controller/main.ts'), '--kubeconfig', kubeconfigPath(), '--identity', identity, '--metrics-port', '0', '--log-level', 'info', ...args],
    { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines: string[] = [];
  const collect = (stream: NodeJS.ReadableStream | null): void => {
    let rest = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop() ?? '';
      lines.push(...parts);
      if (process.env.CHARTER_TEST_OPERATOR_LOGS) for (const line of parts) process.stderr.write(`[${identity}] ${line}\n`);
    });
  };
  collect(child.stdout);
  collect(child.stderr);
  let done = false;
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => {
    done = true;
    resolve(code ?? signal ?? 'unknown');
  }));
  const proc: OperatorProcess = {
    identity,
    child,
    lines,
    exited,
    running: () => !done,
    metricsPort: () => {
      for (const line of lines) {
        if (!line.includes('operator started')) continue;
        try {
          const port = (JSON.parse(line) as { metricsPort?: number }).metricsPort;
          if (port) return port;
        } catch {
          // not JSON
        }
      }
      return undefined;
    },
  };
  spawned.add(proc);
  void exited.then(() => spawned.delete(proc));
  return proc;
}

/** SIGKILLs every operator process these helpers started that is still running (by its pid), and waits for them. */
export async function stopSpawned(): Promise<void> {
  const left = [...spawned];
  for (const p of left) if (p.running() && p.child.pid) process.kill(p.child.pid, 'SIGKILL');
  await Promise.all(left.map((p) => p.exited));
}

/** Scrapes a process's /metrics and sums the samples of `metric` whose labels include `labels`. */
export async function scrapeMetric(port: number, metric: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? ([-+0-9.eE]+|NaN)$/.exec(line);
    if (!m || m[1] !== metric) continue;
    const found = Object.fromEntries([...(m[3] ?? '').matchAll(/([a-zA-Z_]+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) total += Number(m[4]);
  }
  return total;
}

/** The holder of a Lease; undefined when it does not exist or is released. */
export async function leaseHolder(api: ApiClient, namespace: string, name: string): Promise<string | undefined> {
  try {
    const lease = await api.request<Obj>('GET', `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${name}`);
    return lease.spec?.holderIdentity || undefined;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}
