/**
 * Publishes a namespace's permission map: the ConfigMaps of src/permission-map (kept between changes beside the
 * engine and updated from each change's Impact: incremental-maps.ts), written shards first and the
 * index last, each only when its content differs from the cluster's (drift is restored, an unchanged map is never
 * rewritten), and obsolete shards deleted after the index.
 *
 * The index ConfigMap is never deleted while the namespace exists: workloads may mount it, and a reader cannot tell
 * a deleted map from a volume it was never given. A namespace that no longer gets a map (its last grant deleted, no
 * organization owns it) gets the empty map instead — it covers nothing, every check is false — and keeps it until
 * the namespace is deleted (its ConfigMaps go with it). A map that would need more shards than `maxShards` is
 * withheld: the empty map again, saying why, and a Warning Event on the index ConfigMap.
 */
import { createHash } from 'node:crypto';
import type { Engine } from '../engine/engine.ts';
import { emptyNamespaceMap } from '../permission-map/build-maps.ts';
import { IncrementalMaps } from '../permission-map/incremental-maps.ts';
import type { PermissionMapShardRef } from '../permission-map/permission-map.generated.ts';
import { DEFAULT_MAP_NAME, INDEX_KEY, MAP_LABELS, SHARD_HASH_ANNOTATION, dataBytes, isShardName, obsoleteConfigMaps, shardMap, type ConfigMapObject } from '../permission-map/shard.ts';
import { ApiError, type ApiRequests, isConflict, isNotFound } from './api-client.ts';
import type { EventRecorder } from './event-recorder.ts';
import { canonical, sameJson } from '../model/canonical-json.ts';
import { WriteEchoes } from './write-echoes.ts';
import { isTime } from '../reader/permission-reader.ts';

export interface ExistingConfigMap {
  metadata?: { name?: string; namespace?: string; uid?: string; resourceVersion?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  data?: Record<string, string>;
  /** In place of `data`, as the operator's ConfigMap informer keeps them: `dataDigest` of the data (`withDataDigest`). */
  dataDigest?: string;
}

export interface MapWriteOutcome {
  written: string[];
  deleted: string[];
  bytes: number;
  /** What was published: the namespace's map, the empty map (it has none any more), a withheld map, or nothing. */
  published: 'map' | 'empty' | 'withheld' | 'none';
  /** Why a withheld map was published. */
  withheld?: string;
  /**
   * A watch event came for one of these ConfigMaps while its write was in flight, and it was not that write's echo (a
   * later write by someone else): the namespace's map must be compared with the cluster again.
   */
  recheck?: boolean;
}

export interface ConfigMapWriterOptions {
  api: ApiRequests;
  budgetBytes?: number;
  /** Most shard ConfigMaps a map may use (default 8); a bigger map is withheld. */
  maxShards?: number;
  /**
   * Where a withheld map is reported (a Warning Event on the index ConfigMap), and the takeover of a ConfigMap of a
   * map's name that was not Charter's (a Warning Event on it).
   */
  events?: EventRecorder;
  /** Where the takeover of a ConfigMap that was not Charter's is logged (a warning). */
  log?: (level: 'warn', message: string, fields: Record<string, unknown>) => void;
  /** Each write; `conflict`: it failed with 409 (a stale resourceVersion, or a create of an existing name). */
  onWrite?: (verb: 'create' | 'update' | 'delete', ok: boolean, conflict?: boolean) => void;
}

/** The index's evaluation time changes with every recompute; it does not make the content different. */
function comparable(data: Record<string, string> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = { ...(data ?? {}) };
  const index = out[INDEX_KEY];
  if (typeof index === 'string') {
    try {
      const { evaluatedAt, ...rest } = JSON.parse(index) as Record<string, unknown>;
      // Any time the writer writes is as good as another; anything else (absent, not a time) readers refuse: restored.
      out[INDEX_KEY] = isTime(evaluatedAt) ? rest : { ...rest, evaluatedAt: evaluatedAt ?? null };
    } catch {
      // not JSON: compared as text, so the write restores it
    }
  }
  return out;
}

/** SHA-256 of a text's UTF-8 bytes, in hex: as the renderer hashes a shard (`charter.dev/shard-sha256`, the index's `shards`). */
const hexSha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** The hash of one data value as compared (`comparable`): the index's JSON without its evaluation time, any other value's text. */
function valueHash(key: string, value: string): string {
  return hexSha256(key === INDEX_KEY ? canonical(comparable({ [INDEX_KEY]: value })[INDEX_KEY]) : value);
}

/** The digest of data from each key's value hash: SHA-256 over the (key, hash) pairs, sorted by key. */
function digestOf(hashes: [string, string][]): string {
  hashes.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256').update(JSON.stringify(hashes)).digest('base64');
}

/**
 * A digest of a ConfigMap's data as compared (`comparable`: the index's evaluation time left out): equal digests, equal
 * content. Composed from each value's hash (`valueHash`), so that what the renderer hashed once need not be hashed
 * again (`desiredDigest`). The operator's ConfigMap informer keeps this in place of the data (`withDataDigest`): the
 * maps' bytes were held twice, once kept beside the engine and once in the informer's cache (213 MiB at the large
 * benchmark tier).
 */
export function dataDigest(data: Record<string, string> | undefined): string {
  const hashes: [string, string][] = [];
  for (const [key, value] of Object.entries(data ?? {})) if (value !== undefined) hashes.push([key, valueHash(key, value)]);
  return digestOf(hashes);
}

/**
 * `dataDigest` of a ConfigMap the renderer made, from the shard hashes it computed when it rendered the shard: a
 * shard ConfigMap's from its `charter.dev/shard-sha256` annotation, the shard the index ConfigMap holds from the
 * index's entry for it. Only the index is hashed here (small: its rights, kinds, admins and shard list), not the
 * shards (~32 KiB each; a map held in one ConfigMap up to its budget), on every compare of every ConfigMap a change's
 * namespaces hold. Trusting the renderer's hash is safe for the cluster's side: the informer hashes the data it
 * receives, so a shard edited under unchanged annotations still differs.
 */
export function desiredDigest(cm: ConfigMapObject): string {
  const known = new Map<string, string>();
  const keys = Object.keys(cm.data);
  const annotated = cm.metadata.annotations[SHARD_HASH_ANNOTATION];
  if (annotated !== undefined && keys.length === 1 && keys[0] !== INDEX_KEY) known.set(keys[0]!, annotated);
  const hashes: [string, string][] = [];
  const index = cm.data[INDEX_KEY];
  if (index !== undefined) {
    const compared = comparable({ [INDEX_KEY]: index })[INDEX_KEY];
    hashes.push([INDEX_KEY, hexSha256(canonical(compared))]);
    const shards = (compared as { shards?: unknown }).shards;
    if (Array.isArray(shards)) {
      for (const ref of shards as Partial<PermissionMapShardRef>[]) {
        if (ref?.configMap === cm.metadata.name && typeof ref.key === 'string' && typeof ref.sha256 === 'string') known.set(ref.key, ref.sha256);
      }
    }
  }
  for (const key of keys) if (key !== INDEX_KEY) hashes.push([key, known.get(key) ?? valueHash(key, cm.data[key]!)]);
  return digestOf(hashes);
}

/** What the ConfigMap informer keeps of a map ConfigMap: its metadata, and the digest of its data (`dataDigest`). */
export function withDataDigest(cm: ExistingConfigMap): ExistingConfigMap {
  const { data, ...rest } = cm;
  return { ...rest, dataDigest: dataDigest(data) };
}

/** Whether a ConfigMap in the cluster already holds what should be there (labels and annotations included). */
export function upToDate(existing: ExistingConfigMap | undefined, desired: ConfigMapObject): boolean {
  if (!existing) return false;
  const labels = existing.metadata?.labels ?? {};
  const annotations = existing.metadata?.annotations ?? {};
  for (const [k, v] of Object.entries(desired.metadata.labels)) if (labels[k] !== v) return false;
  for (const [k, v] of Object.entries(desired.metadata.annotations)) if (annotations[k] !== v) return false;
  if (existing.data === undefined && existing.dataDigest !== undefined) return existing.dataDigest === desiredDigest(desired);
  return sameJson(comparable(existing.data), comparable(desired.data));
}

export class ConfigMapWriter {
  private readonly options: ConfigMapWriterOptions;
  /** The maps kept beside each engine (a rebuild makes a new engine; the old one's maps go with it). */
  private readonly maps = new WeakMap<Engine, IncrementalMaps>();
  /**
   * `namespace/name` → this writer's last write of that ConfigMap, until the informer shows it, and the echoes of its
   * writes (write-echoes.ts, as the status writer's). Two changes a moment apart touching one namespace reach the
   * writer before the informer has seen the first write: the second PUT carried the replaced resourceVersion and
   * failed with 409 (56 of ~3,800 ConfigMap writes in a loaded medium end-to-end run), to be retried. Now it carries
   * the version its own write got, and a map equal to what it wrote is not written again. The API server still
   * refuses a PUT if anyone else wrote since; the informer then shows a newer version and is believed.
   */
  private readonly echoes = new WriteEchoes<ConfigMapObject>();

  constructor(options: ConfigMapWriterOptions) {
    this.options = options;
  }

  /** Brings a namespace's map up to date with the engine; `existing` are Charter's map ConfigMaps there now. */
  async sync(engine: Engine, namespace: string, existing: readonly ExistingConfigMap[]): Promise<MapWriteOutcome> {
    // Only the map's names are its ConfigMaps: another one carrying the map labels is not Charter's to replace or
    // delete (nor may it: the chart's RBAC names the map's names, rbac.yaml).
    const byName = new Map<string, ExistingConfigMap | undefined>();
    for (const cm of existing) {
      const name = cm.metadata?.name ?? '';
      if (name === DEFAULT_MAP_NAME || isShardName(name)) byName.set(name, cm);
    }
    const outcome: MapWriteOutcome = { written: [], deleted: [], bytes: 0, published: 'none' };
    const wanted = engine.hasMap(namespace);
    let maps = this.maps.get(engine);
    if (!maps) this.maps.set(engine, (maps = new IncrementalMaps(engine)));
    if (!wanted) maps.forget(namespace);
    // No map wanted but ConfigMaps there: something may mount them, so the empty map replaces them (never a delete).
    if (!wanted && byName.size === 0) {
      // Its own writes the informer does not show yet are there too (a first map created a moment ago): they hold
      // rights, and the echo of that create queues nothing, so the empty map must replace them now.
      for (const key of this.echoes.unseenKeys(`${namespace}/`)) byName.set(key.slice(namespace.length + 1), undefined);
      if (byName.size === 0) return outcome;
    }
    const { budgetBytes, maxShards } = this.options;
    const options = { ...(budgetBytes ? { budgetBytes } : {}), ...(maxShards ? { maxShards } : {}) };
    // The namespace's map kept between changes, brought up to date by the Impacts since (incremental-maps.ts).
    const write = wanted ? maps.write(namespace, options) : shardMap(emptyNamespaceMap(engine, namespace), options);
    outcome.published = write.withheld ? 'withheld' : wanted ? 'map' : 'empty';
    for (const cm of write.configMaps) {
      outcome.bytes += dataBytes(cm.data);
      const existing = this.seen(cm, byName.get(cm.metadata.name));
      if (upToDate(existing, cm)) continue;
      if (await this.put(cm, existing)) outcome.recheck = true;
      outcome.written.push(cm.metadata.name);
    }
    if (write.withheld) {
      outcome.withheld = write.withheld.message;
      const index = write.configMaps.at(-1)!.metadata.name;
      if (outcome.written.length > 0) {
        await this.options.events?.record({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name: index }, { type: 'Warning', reason: write.withheld.reason, note: write.withheld.message });
      }
    }
    // Shards the index no longer lists (it is written): no reader looks for them any more.
    for (const name of obsoleteConfigMaps(byName.keys(), write)) {
      this.echoes.forget(`${namespace}/${name}`);
      await this.delete(namespace, name);
      outcome.deleted.push(name);
    }
    return outcome;
  }

  /**
   * Whether a watch event needs no map key because the writer accounts for it: its own last write of that ConfigMap
   * (the resourceVersion its PUT or POST was answered with) shown back by the watch — the cluster holds exactly what
   * was written, nothing to restore (about half of the map keys were these echoes) — or an event for a ConfigMap whose
   * write is still in flight: judged when the answer comes (its echo then, or the map is compared again: `recheck`).
   * The memory of an echoed write is let go: the informer shows it now. Any other version — someone else's edit, a
   * deletion — is not one, and goes to the queue as before.
   */
  ownEcho(cm: ExistingConfigMap): boolean {
    return this.echoes.echo(`${cm.metadata?.namespace}/${cm.metadata?.name}`, cm.metadata?.resourceVersion);
  }

  /**
   * The ConfigMap informer listed again (a new start of its watch: after a 410, or at the first list). Its view is
   * current now, deletions made while it was not watching included — which a remembered write would hide: a
   * ConfigMap written, then deleted while the watch was down, would be taken as still there and never written again.
   * So the memory of past writes goes; a write still in flight is remembered when answered.
   */
  relisted(): void {
    this.echoes.forgetAll();
  }

  /**
   * The ConfigMap as the cluster holds it: the informer's, or this writer's own last write when the informer does not
   * show it yet (an older resourceVersion, or none: a create not seen yet).
   */
  private seen(cm: ConfigMapObject, informer: ExistingConfigMap | undefined): ExistingConfigMap | undefined {
    const own = this.echoes.unseen(`${cm.metadata.namespace}/${cm.metadata.name}`, informer && (informer.metadata ?? {}));
    return own ? { ...own.value, metadata: { ...own.value.metadata, resourceVersion: own.resourceVersion } } : informer;
  }

  /** Writes one ConfigMap; true when a watch event came meanwhile that was not this write's echo. */
  private async put(cm: ConfigMapObject, existing: ExistingConfigMap | undefined): Promise<boolean> {
    const { api, onWrite } = this.options;
    const path = `/api/v1/namespaces/${cm.metadata.namespace}/configmaps`;
    const key = `${cm.metadata.namespace}/${cm.metadata.name}`;
    this.echoes.forget(key);
    this.echoes.begin(key);
    try {
      let answer: ExistingConfigMap | undefined;
      if (existing) {
        answer = await api.request<ExistingConfigMap>('PUT', `${path}/${cm.metadata.name}`, {
          body: { ...cm, metadata: { ...cm.metadata, resourceVersion: existing.metadata?.resourceVersion } },
          query: { fieldManager: 'charter' },
        });
        onWrite?.('update', true);
      } else {
        const made = await this.create(path, cm);
        answer = made.answer;
        onWrite?.(made.takenOver ? 'update' : 'create', true);
      }
      // Remembered until the informer shows it, unless its echo came first; an event meanwhile that was not its echo
      // (someone else's write after it) has the map compared again.
      return this.echoes.answered(key, answer?.metadata?.resourceVersion, cm);
    } catch (error) {
      this.echoes.dropped(key);
      onWrite?.(existing ? 'update' : 'create', false, isConflict(error));
      // A conflict or a race with a deletion: the informer brings the fresh object and the key is retried.
      throw error;
    }
  }

  /**
   * Creates a ConfigMap; the API server's answer when it did. One of that name may exist without the map labels
   * (someone removed them, or made a ConfigMap of that name: the map's names are reserved in every namespace that gets
   * a map, docs/deploy.md), so that the label-selected informer does not show it: then it is taken over — replaced,
   * labels included (`takenOver`) — with a warning logged and a Warning Event on it (`TakenOver`) when it was not
   * labelled as a map. Either way the answer is the API server's. Without this, the create would fail for ever and the
   * namespace's map would never be written again.
   */
  private async create(path: string, cm: ConfigMapObject): Promise<{ answer: ExistingConfigMap | undefined; takenOver: boolean }> {
    const { api } = this.options;
    try {
      return { answer: await api.request<ExistingConfigMap | undefined>('POST', path, { body: cm, query: { fieldManager: 'charter' } }), takenOver: false };
    } catch (error) {
      if (!(error instanceof ApiError && error.reason === 'AlreadyExists')) throw error;
      this.options.onWrite?.('create', false, true);
    }
    const live = await api.request<ExistingConfigMap>('GET', `${path}/${cm.metadata.name}`);
    const taken = await api.request<ExistingConfigMap | undefined>('PUT', `${path}/${cm.metadata.name}`, {
      body: { ...cm, metadata: { ...cm.metadata, resourceVersion: live.metadata?.resourceVersion } },
      query: { fieldManager: 'charter' },
    });
    if (live.metadata?.labels?.['charter.dev/permission-map'] !== 'true') await this.tookOver(cm, live, taken);
    return { answer: taken, takenOver: true };
  }

  /** Says that a ConfigMap that was not a map (no map label) was replaced by one: a warning, and a Warning Event on it. */
  private async tookOver(cm: ConfigMapObject, live: ExistingConfigMap, taken: ExistingConfigMap | undefined): Promise<void> {
    const { namespace, name } = cm.metadata;
    const keys = Object.keys(live.data ?? {}).sort();
    const labels = live.metadata?.labels ?? {};
    this.options.log?.('warn', 'ConfigMap taken over: it held no permission map, and its name is reserved for one', { namespace, name, keys, labels });
    const note = `ConfigMap ${namespace}/${name} was not a permission map (no label charter.dev/permission-map: "true"; keys ${keys.join(', ') || 'none'}) and was replaced by one: charter-permissions and charter-permissions-<i> are reserved in every namespace that gets a map`;
    const uid = taken?.metadata?.uid;
    await this.options.events?.record({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name, ...(uid ? { uid } : {}) }, { type: 'Warning', reason: 'TakenOver', note });
  }

  private async delete(namespace: string, name: string): Promise<void> {
    try {
      await this.options.api.request('DELETE', `/api/v1/namespaces/${namespace}/configmaps/${name}`);
      this.options.onWrite?.('delete', true);
    } catch (error) {
      if (isNotFound(error)) return;
      this.options.onWrite?.('delete', false);
      throw error;
    }
  }
}

/** The label selector of Charter's map ConfigMaps, for the informer. */
export const MAP_SELECTOR = Object.entries(MAP_LABELS)
  .map(([k, v]) => `${k}=${v}`)
  .join(',');

export { isConflict };
