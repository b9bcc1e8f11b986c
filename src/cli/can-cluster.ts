/**
 * `charter can --cluster`: answers from the permission maps the operator published, the way a workload would
 * (through src/reader), instead of from manifests. Exit 3 when no map covers the entity.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { ApiClient } from '../controller/api-client.ts';
import { PermissionMapError, parsePermissionMap, type PermissionMap } from '../reader/permission-reader.ts';
import type { Output } from './output.ts';
import { InputError } from './workspace.ts';

export interface CanClusterOptions {
  user: string;
  on: string;
  kubeconfig?: string;
  output?: 'text' | 'json';
}

interface ConfigMapList {
  items: Array<{ metadata: { name: string; namespace: string }; data?: Record<string, string> }>;
}

const SELECTOR = 'app.kubernetes.io/managed-by=charter,charter.dev/permission-map=true';

async function mapOf(api: ApiClient, namespace: string): Promise<PermissionMap | undefined> {
  const list = await api.request<ConfigMapList>('GET', `/api/v1/namespaces/${namespace}/configmaps`, { query: { labelSelector: SELECTOR } });
  if (list.items.length === 0) return undefined;
  const byName = new Map(list.items.map((cm) => [cm.metadata.name, cm.data ?? {}]));
  return parsePermissionMap((key, configMap) => byName.get(configMap)?.[key]);
}

/** The namespace whose map covers an entity: its own, or for Organization/o one o owns. */
async function namespaceFor(api: ApiClient, entity: string): Promise<string | undefined> {
  const parts = entity.split('/');
  if (parts[0] === 'User') throw new InputError(`--on: ${entity}: User entities are not published in permission maps (a user's rights on itself follow from its state); use charter can on the manifests`);
  if (parts.length === 3) return parts[1];
  if (parts[0] !== 'Organization' || parts.length !== 2) throw new InputError(`--on: expected Organization/<name> or <Kind>/<namespace>/<name>; found ${JSON.stringify(entity)}`);
  const list = await api.request<ConfigMapList>('GET', '/api/v1/configmaps', { query: { labelSelector: `${SELECTOR},charter.dev/permission-map-part=index` } });
  for (const cm of list.items) {
    const index = cm.data?.['index.json'];
    if (index && (JSON.parse(index) as { organization?: string }).organization === parts[1]) return cm.metadata.namespace;
  }
  return undefined;
}

export async function runCanCluster(options: CanClusterOptions, out: Output): Promise<number> {
  const kubeConfig = new KubeConfig();
  try {
    if (options.kubeconfig) kubeConfig.loadFromFile(options.kubeconfig);
    else kubeConfig.loadFromDefault();
  } catch (error) {
    throw new InputError(`--kubeconfig: ${(error as Error).message}`);
  }
  const api = new ApiClient(kubeConfig);
  try {
    const namespace = await namespaceFor(api, options.on);
    const map = namespace === undefined ? undefined : await mapOf(api, namespace);
    if (!map || !map.covers(options.on)) {
      out.err(`charter: no permission map covers ${options.on}${namespace ? ` (namespace ${namespace} has none)` : ''}`);
      return 3;
    }
    const rights = map.rights(options.user, options.on);
    if (options.output === 'json') out.out(JSON.stringify(rights));
    else for (const right of rights) out.out(right);
    return 0;
  } catch (error) {
    if (error instanceof PermissionMapError) {
      out.err(`charter: ${error.message}`);
      return 3;
    }
    throw error;
  } finally {
    api.close();
  }
}
