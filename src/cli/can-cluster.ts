/**
 * `charter can --cluster`: answers from the permission maps the operator published, the way a workload would
 * (through src/reader), instead of from manifests. Exit 3 when no map covers the entity; exit 2, with one line
 * naming the server, when the cluster cannot be asked (unreachable, timed out, refused, or answered an error) —
 * each request gives up after --request-timeout (default REQUEST_TIMEOUT_MS), so a server that never answers does
 * not hang the command. Without `--on`: what the user holds in every published map (docs/permission-map.md says
 * what a map can and cannot tell). `charter test --cluster` takes rights from here too (clusterRightsSource).
 */
import { KubeConfig } from '@kubernetes/client-node';
import { ApiClient, ApiError } from '../controller/api-client.ts';
import { PermissionMapError, parsePermissionMap, type PermissionMap } from '../reader/permission-reader.ts';
import { printAccess, type AccessReport } from './can-everything.ts';
import type { Output } from './output.ts';
import { InputError } from './workspace.ts';

export interface CanClusterOptions {
  user: string;
  on?: string;
  kubeconfig?: string;
  /** A context of the kubeconfig other than its current one. */
  context?: string;
  /** Seconds one request may take (default REQUEST_TIMEOUT_MS). */
  requestTimeout?: string;
  output?: 'text' | 'json';
}

interface ConfigMapList {
  items: Array<{ metadata: { name: string; namespace: string }; data?: Record<string, string> }>;
}

const SELECTOR = 'app.kubernetes.io/managed-by=charter,charter.dev/permission-map=true';
const INDEX_SELECTOR = `${SELECTOR},charter.dev/permission-map-part=index`;
/** The longest one request may take (connecting, TLS, the answer) before the command gives up. */
export const REQUEST_TIMEOUT_MS = 15_000;

async function mapOf(api: ApiClient, namespace: string, timeoutMs: number): Promise<PermissionMap | undefined> {
  const list = await api.request<ConfigMapList>('GET', `/api/v1/namespaces/${namespace}/configmaps`, { query: { labelSelector: SELECTOR }, timeoutMs });
  if (list.items.length === 0) return undefined;
  const byName = new Map(list.items.map((cm) => [cm.metadata.name, cm.data ?? {}]));
  return parsePermissionMap((key, configMap) => byName.get(configMap)?.[key]);
}

/** The organization an index names; undefined for an index that does not parse (the reader reports it later). */
function organizationOf(index: string): string | undefined {
  try {
    return (JSON.parse(index) as { organization?: string }).organization;
  } catch {
    return undefined;
  }
}

/** A network error in one line: node reports a refused `localhost` (IPv4 and IPv6 tried) as an AggregateError with no message of its own. */
function networkFailure(error: unknown): string {
  // Duck-typed: errors of node's core modules may come from another realm (jest's vm), where instanceof fails.
  const e = error as { name?: string; message?: string; code?: string; errors?: unknown[] } | undefined;
  if (e?.name === 'AggregateError' && Array.isArray(e.errors) && e.errors.length > 0) return [...new Set(e.errors.map(networkFailure))].join('; ');
  if (typeof e?.message === 'string') return e.message || e.code || e.name || 'unknown error';
  return String(error);
}

/** The namespace whose map covers an entity: its own, or for Organization/o one o owns. */
async function namespaceFor(api: ApiClient, entity: string, timeoutMs: number): Promise<string | undefined> {
  const parts = entity.split('/');
  if (parts[0] === 'User') throw new InputError(`--on: ${entity}: User entities are not published in permission maps (a user's rights on itself follow from its state); use charter can on the manifests`);
  if (parts.length === 3) return parts[1];
  if (parts[0] !== 'Organization' || parts.length !== 2) throw new InputError(`--on: expected Organization/<name> or <Kind>/<namespace>/<name>; found ${JSON.stringify(entity)}`);
  const list = await api.request<ConfigMapList>('GET', '/api/v1/configmaps', { query: { labelSelector: INDEX_SELECTOR }, timeoutMs });
  for (const cm of list.items) {
    const index = cm.data?.['index.json'];
    if (index && organizationOf(index) === parts[1]) return cm.metadata.namespace;
  }
  return undefined;
}

interface Connection {
  api: ApiClient;
  server: string;
  timeoutMs: number;
}

/** The API client of the kubeconfig (and context), with the command line's timeout. InputError when it cannot be made. */
function connect(options: Pick<CanClusterOptions, 'kubeconfig' | 'context' | 'requestTimeout'>): Connection {
  let timeoutMs = REQUEST_TIMEOUT_MS;
  if (options.requestTimeout !== undefined) {
    const seconds = /^\d+(\.\d+)?$/.test(options.requestTimeout) ? Number(options.requestTimeout) : Number.NaN;
    if (!(seconds > 0)) throw new InputError(`--request-timeout: expected a number of seconds > 0; found ${JSON.stringify(options.requestTimeout)}`);
    timeoutMs = seconds * 1000;
  }
  const kubeConfig = new KubeConfig();
  try {
    if (options.kubeconfig) kubeConfig.loadFromFile(options.kubeconfig);
    else kubeConfig.loadFromDefault();
  } catch (error) {
    throw new InputError(`--kubeconfig: ${(error as Error).message}`);
  }
  if (options.context) {
    if (!kubeConfig.getContextObject(options.context)) {
      throw new InputError(`--context: the kubeconfig has no context "${options.context}"; it has ${kubeConfig.getContexts().map((c) => `"${c.name}"`).join(', ') || 'none'}`);
    }
    kubeConfig.setCurrentContext(options.context);
  }
  const server = kubeConfig.getCurrentCluster()?.server;
  if (!server) throw new InputError(`--kubeconfig: the current context "${kubeConfig.getCurrentContext()}" names no cluster with a server address`);
  // A throttled request waits at most twice: a command line should answer or fail within seconds.
  return { api: new ApiClient(kubeConfig, { maxRetries: 2, maxRetryWaitMs: 5_000 }), server, timeoutMs };
}

/** Runs a command against the cluster: map problems exit 3, an unreachable or failing server exits 2 with one line. */
async function withCluster(options: CanClusterOptions, out: Output, run: (c: Connection) => Promise<number>): Promise<number> {
  const connection = connect(options);
  try {
    return await run(connection);
  } catch (error) {
    if (error instanceof PermissionMapError) {
      out.err(`charter: ${error.message}`);
      return 3;
    }
    if (error instanceof InputError) throw error;
    if (error instanceof ApiError) {
      out.err(`charter: the API server ${connection.server} answered ${error.message}`);
      return 2;
    }
    out.err(`charter: cannot reach the API server ${connection.server}: ${networkFailure(error)}`);
    return 2;
  } finally {
    connection.api.close();
  }
}

export async function runCanCluster(options: CanClusterOptions & { on: string }, out: Output): Promise<number> {
  return withCluster(options, out, async ({ api, timeoutMs }) => {
    const namespace = await namespaceFor(api, options.on, timeoutMs);
    const map = namespace === undefined ? undefined : await mapOf(api, namespace, timeoutMs);
    if (!map || !map.covers(options.on)) {
      out.err(`charter: no permission map covers ${options.on}${namespace ? ` (namespace ${namespace} has none)` : ''}`);
      return 3;
    }
    const rights = map.rights(options.user, options.on);
    if (options.output === 'json') out.out(JSON.stringify(rights));
    else for (const right of rights) out.out(right);
    return 0;
  });
}

/**
 * What a user holds in every published map. A map speaks for its namespace only: admin rights show as each mapped
 * namespace's "every <Kind>" (not "everywhere"), entities appear only where the user holds more than that, User
 * entities and organizations owning no namespace are not published, and each map is as of its own evaluation. A map
 * that cannot be read (torn, invalid) is skipped with a line on stderr, and the exit status is 3.
 */
export async function runCanClusterEverything(options: CanClusterOptions, out: Output): Promise<number> {
  return withCluster(options, out, async ({ api, timeoutMs }) => {
    const indexes = await api.request<ConfigMapList>('GET', '/api/v1/configmaps', { query: { labelSelector: INDEX_SELECTOR }, timeoutMs });
    const report: AccessReport = { user: options.user, state: undefined, source: 'cluster', at: undefined, admin: undefined, namespaces: [], cluster: {} };
    let problems = 0;
    for (const namespace of [...new Set(indexes.items.map((cm) => cm.metadata.namespace))].sort()) {
      let map: PermissionMap | undefined;
      try {
        map = await mapOf(api, namespace, timeoutMs);
      } catch (error) {
        if (!(error instanceof PermissionMapError)) throw error;
        out.err(`charter: namespace ${namespace}: ${error.message} (skipped)`);
        problems++;
        continue;
      }
      if (!map) continue;
      const held = map.holdings(options.user);
      const orgKey = map.organization === undefined ? undefined : `Organization/${map.organization}`;
      const entities = Object.fromEntries(Object.entries(held.entities).filter(([key]) => key !== orgKey));
      if (orgKey !== undefined && held.entities[orgKey]) report.cluster[orgKey] = held.entities[orgKey];
      if (Object.keys(held.every).length + Object.keys(entities).length === 0) continue;
      report.namespaces.push({ namespace, organization: map.organization, every: held.every, entities });
    }
    report.cluster = Object.fromEntries(Object.entries(report.cluster).sort(([a], [b]) => (a < b ? -1 : 1)));
    printAccess(report, options.output, out);
    return problems > 0 ? 3 : 0;
  });
}

/** Rights from the published maps, each namespace's map read once (charter test --cluster). Call close() after. */
export function clusterRightsSource(options: Pick<CanClusterOptions, 'kubeconfig' | 'context' | 'requestTimeout'>): {
  rights(user: string, entity: string): Promise<string[] | undefined>;
  close(): void;
} {
  const { api, timeoutMs } = connect(options);
  const maps = new Map<string, Promise<PermissionMap | undefined>>();
  return {
    async rights(user, entity) {
      const namespace = await namespaceFor(api, entity, timeoutMs);
      if (namespace === undefined) return undefined;
      let map = maps.get(namespace);
      if (!map) maps.set(namespace, (map = mapOf(api, namespace, timeoutMs)));
      const loaded = await map;
      return loaded && loaded.covers(entity) ? loaded.rights(user, entity) : undefined;
    },
    close: () => api.close(),
  };
}
