/**
 * A namespace's permission map → the ConfigMaps the operator writes, each within a byte budget (ConfigMap data is
 * limited to 1 MiB; the default budget is 900 KiB), and the order to write them in.
 *
 * Layout (docs/permission-map.md):
 * - fits in one ConfigMap: `charter-permissions` with keys `index.json` and `charter-permissions.json` (the one shard);
 * - otherwise: shards `charter-permissions-<i>` (key `charter-permissions-<i>.json`) and the index alone in
 *   `charter-permissions`. Keys are distinct across the ConfigMaps, so that one projected volume can mount them all.
 * Writes across ConfigMaps are not atomic: shards are written first, the index last, and the index carries every
 * shard's SHA-256, so a reader that sees shards of another generation than its index knows the update is torn.
 *
 * Splitting is deterministic. A row (users sharing content) is cut into units — content parts × user chunks — each at
 * most a quarter of the budget; units go to shard hash(first user, part) mod n for the smallest n that fits (so a
 * change usually rewrites only the shards it touches), or first-fit when hashing does not fit within a few tries.
 * At most `maxShards` shards (default 8): workloads mount a fixed set of shard names, so a map that would need more
 * is not published — the namespace gets a withheld map instead (it answers nothing: fail closed), and the write says
 * why (`PermissionMapWrite.withheld`), for the operator to report.
 */
import { createHash } from 'node:crypto';
import { withheldMap, type MapRow, type NamespaceMap } from './build-maps.ts';
import type { PermissionMapIndex, PermissionMapRow, PermissionMapShard, PermissionMapShardRef } from './permission-map.generated.ts';

export const DEFAULT_BUDGET_BYTES = 900 * 1024;
/** Shard ConfigMaps a map may use (`<name>-0` … `<name>-7`): the names a workload mounts (docs/permission-map.md). */
export const DEFAULT_MAX_SHARDS = 8;
export const DEFAULT_MAP_NAME = 'charter-permissions';
export const INDEX_KEY = 'index.json';
export const INDEX_FORMAT = 'charter.dev/permission-map-index';
export const SHARD_FORMAT = 'charter.dev/permission-map-shard';
export const FORMAT_VERSION = 1;

/** Labels of every permission-map ConfigMap; the controller lists by them to find obsolete shards. */
export const MAP_LABELS: Readonly<Record<string, string>> = {
  'app.kubernetes.io/managed-by': 'charter',
  'charter.dev/permission-map': 'true',
};
/** `index` or `shard`. */
export const PART_LABEL = 'charter.dev/permission-map-part';
/** On the index ConfigMap: the map's contentHash (a writer compares it to skip no-op writes). */
export const CONTENT_HASH_ANNOTATION = 'charter.dev/content-hash';
/** On a shard ConfigMap: the SHA-256 of its shard. */
export const SHARD_HASH_ANNOTATION = 'charter.dev/shard-sha256';

export interface ConfigMapObject {
  apiVersion: 'v1';
  kind: 'ConfigMap';
  metadata: { name: string; namespace: string; labels: Record<string, string>; annotations: Record<string, string> };
  data: Record<string, string>;
}

export interface ShardOptions {
  /** Maximum bytes of a ConfigMap's data (keys + values); default 900 KiB. */
  budgetBytes?: number;
  /** Name of the index ConfigMap, and prefix of the shards'; default `charter-permissions`. */
  name?: string;
  /** Most shard ConfigMaps a map may use; a map that needs more is withheld. Default 8. */
  maxShards?: number;
}

/** What to write for one namespace, in order. */
export interface PermissionMapWrite {
  namespace: string;
  contentHash: string;
  index: PermissionMapIndex;
  shards: PermissionMapShard[];
  /** Write order: every shard ConfigMap, then the index ConfigMap (last). */
  configMaps: ConfigMapObject[];
  /** The names of `configMaps`, in the same order. */
  writeOrder: string[];
  /**
   * After the index is written, any other ConfigMap of the namespace labelled `charter.dev/permission-map: "true"`
   * is obsolete (left from a map with more shards): delete it (see `obsoleteConfigMaps`).
   */
  keep: string[];
  /**
   * Set when the map's rights are withheld (the ConfigMaps hold a map that answers nothing): the map would need
   * `shardsNeeded` shards, more than `maxShards`.
   */
  withheld?: { reason: 'TooManyShards'; message: string; shardsNeeded: number; maxShards: number };
}

/** The ConfigMaps (names) of `existing` that a write makes obsolete; delete them after the index is written. */
export function obsoleteConfigMaps(existing: Iterable<string>, write: PermissionMapWrite): string[] {
  const keep = new Set(write.keep);
  return [...existing].filter((name) => !keep.has(name)).sort();
}

/** Bytes a ConfigMap's data counts against the limit: keys and values, UTF-8. */
export function dataBytes(data: Record<string, string>): number {
  let total = 0;
  for (const [key, value] of Object.entries(data)) total += Buffer.byteLength(key) + Buffer.byteLength(value);
  return total;
}

export const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * Splits a namespace's map into ConfigMaps under the budget.
 * @example shardMap(buildNamespaceMap(engine, 'acme')).writeOrder // ['charter-permissions']
 */
export function shardMap(map: NamespaceMap, options: ShardOptions = {}): PermissionMapWrite {
  const budget = options.budgetBytes ?? DEFAULT_BUDGET_BYTES;
  const name = options.name ?? DEFAULT_MAP_NAME;
  const maxShards = options.maxShards ?? DEFAULT_MAX_SHARDS;
  // One ConfigMap when everything fits.
  const whole = renderShard(map.namespace, map.rows);
  const single = finish(map, name, [{ configMap: name, key: `${name}.json`, text: whole.text, doc: whole.doc }]);
  if (dataBytes(single.configMaps[0]!.data) <= budget) return single;

  const header = Buffer.byteLength(renderShard(map.namespace, []).text);
  const capacity = budget - header - Buffer.byteLength(`${name}-000000.json`);
  const units = unitsOf(map, Math.floor(capacity / 4));
  const buckets = pack(units, capacity, maxShards);
  if (buckets.length > maxShards) {
    const message = `the map of namespace ${map.namespace} needs ${buckets.length} shard ConfigMaps; the operator may write ${maxShards} (--max-shards): its rights are withheld (every check false) until it fits`;
    const empty = shardMap(withheldMap(map, { reason: 'TooManyShards', message }), { ...options, maxShards });
    return { ...empty, withheld: { reason: 'TooManyShards', message, shardsNeeded: buckets.length, maxShards } };
  }
  const shards = buckets.map((bucket, i) => {
    const { text, doc } = renderShard(map.namespace, bucket.map((u) => u.row));
    return { configMap: `${name}-${i}`, key: `${name}-${i}.json`, text, doc };
  });
  const write = finish(map, name, shards);
  for (const cm of write.configMaps) {
    const bytes = dataBytes(cm.data);
    if (bytes > budget) {
      throw new Error(`Permission map of namespace ${map.namespace}: ConfigMap ${cm.metadata.name} would hold ${bytes} bytes; expected at most the budget of ${budget} (the index grows with administrators and shards)`);
    }
  }
  return write;
}

interface RenderedShard {
  configMap: string;
  key: string;
  text: string;
  doc: PermissionMapShard;
}

function finish(map: NamespaceMap, name: string, shards: RenderedShard[]): PermissionMapWrite {
  const refs: PermissionMapShardRef[] = shards.map((s) => ({ configMap: s.configMap, key: s.key, sha256: sha256(s.text), bytes: Buffer.byteLength(s.text) }));
  const hashed = {
    format: INDEX_FORMAT,
    version: FORMAT_VERSION,
    catalog: map.catalog,
    namespace: map.namespace,
    organization: map.organization ?? null,
    nextExpiry: map.nextExpiry ?? null,
    rights: map.rights,
    kinds: map.kinds,
    admins: map.admins,
    shards: refs,
    ...(map.withheld ? { withheld: map.withheld } : {}),
  };
  const contentHash = `sha256:${sha256(JSON.stringify(hashed))}`;
  const index: PermissionMapIndex = {
    format: INDEX_FORMAT,
    version: FORMAT_VERSION,
    catalog: map.catalog,
    namespace: map.namespace,
    ...(map.organization !== undefined ? { organization: map.organization } : {}),
    evaluatedAt: new Date(map.evaluatedAt).toISOString(),
    ...(map.nextExpiry !== undefined ? { nextExpiry: new Date(map.nextExpiry).toISOString() } : {}),
    contentHash,
    rights: map.rights,
    kinds: map.kinds,
    admins: map.admins,
    shards: refs,
    ...(map.withheld ? { withheld: map.withheld } : {}),
  };
  const configMap = (cmName: string, part: 'index' | 'shard', data: Record<string, string>, annotations: Record<string, string>): ConfigMapObject => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: cmName, namespace: map.namespace, labels: { ...MAP_LABELS, [PART_LABEL]: part }, annotations },
    data,
  });
  const configMaps: ConfigMapObject[] = [];
  const indexData: Record<string, string> = { [INDEX_KEY]: JSON.stringify(index) };
  for (const [i, s] of shards.entries()) {
    if (s.configMap === name) indexData[s.key] = s.text;
    else configMaps.push(configMap(s.configMap, 'shard', { [s.key]: s.text }, { [SHARD_HASH_ANNOTATION]: refs[i]!.sha256 }));
  }
  configMaps.push(configMap(name, 'index', indexData, { [CONTENT_HASH_ANNOTATION]: contentHash }));
  const writeOrder = configMaps.map((cm) => cm.metadata.name);
  return { namespace: map.namespace, contentHash, index, shards: shards.map((s) => s.doc), configMaps, writeOrder, keep: writeOrder };
}

/** A shard document: its own table of the distinct masks its rows use (in numeric order), rows referring to it. */
function renderShard(namespace: string, rows: readonly MapRow[]): { text: string; doc: PermissionMapShard } {
  const masks = new Set<string>();
  for (const row of rows) {
    if (row.organization !== undefined) masks.add(row.organization);
    for (const m of Object.values(row.defaults ?? {})) masks.add(m);
    for (const names of Object.values(row.entities ?? {})) for (const m of Object.values(names)) masks.add(m);
  }
  const sets = [...masks].sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
  const position = new Map(sets.map((m, i) => [m, i]));
  const ref = (m: string): number => position.get(m)!;
  const out: PermissionMapRow[] = rows.map((row) => {
    const r: PermissionMapRow = { users: row.users };
    if (row.organization !== undefined) r.organization = ref(row.organization);
    if (row.defaults) r.defaults = Object.fromEntries(Object.entries(row.defaults).map(([k, m]) => [k, ref(m)]));
    if (row.entities) {
      r.entities = Object.fromEntries(Object.entries(row.entities).map(([k, names]) => [k, Object.fromEntries(Object.entries(names).map(([n, m]) => [n, ref(m)]))]));
    }
    return r;
  });
  const doc: PermissionMapShard = { format: SHARD_FORMAT, version: FORMAT_VERSION, namespace, sets, rows: out };
  return { text: JSON.stringify(doc), doc };
}

interface Unit {
  key: string;
  row: MapRow;
  /** An upper bound of the bytes the unit adds to a shard (its row, a comma, the masks it may add to the table). */
  bytes: number;
}

const jsonBytes = (s: string): number => Buffer.byteLength(JSON.stringify(s));

type Entry = { type: 'organization'; mask: string } | { type: 'default'; kind: string; mask: string } | { type: 'entity'; kind: string; name: string; mask: string };

/** Cuts rows into units of at most `limit` bytes: content parts of at most half of it, then user chunks. */
function unitsOf(map: NamespaceMap, limit: number): Unit[] {
  const distinct = new Set<string>();
  for (const row of map.rows) for (const e of entriesOf(row)) distinct.add(e.mask);
  const refDigits = String(Math.max(0, distinct.size - 1)).length;
  // Bytes of an entry in a row, plus its mask in the table; kind objects are charged to every entity (a bound).
  const entryBytes = (e: Entry): number => {
    const mask = e.mask.length + 3;
    if (e.type === 'organization') return 16 + refDigits + mask;
    if (e.type === 'default') return 14 + jsonBytes(e.kind) + 2 + refDigits + mask;
    return 14 + jsonBytes(e.kind) + 4 + jsonBytes(e.name) + 2 + refDigits + mask;
  };
  const skeleton = 13; // {"users":[]} and the comma after the row
  const units: Unit[] = [];
  for (const row of map.rows) {
    const parts: Array<{ entries: Entry[]; bytes: number }> = [];
    let current = { entries: [] as Entry[], bytes: skeleton };
    for (const e of entriesOf(row)) {
      const b = entryBytes(e);
      if (skeleton + b > limit / 2) throw tooSmall(map, `an entry of ${row.users[0]} takes ${b} bytes`);
      if (current.entries.length > 0 && current.bytes + b > limit / 2) {
        parts.push(current);
        current = { entries: [], bytes: skeleton };
      }
      current.entries.push(e);
      current.bytes += b;
    }
    parts.push(current);
    for (const [p, part] of parts.entries()) {
      let chunk: string[] = [];
      let bytes = part.bytes;
      const flush = (): void => {
        units.push({ key: `${chunk[0]}\u0000${p}`, row: { users: chunk, ...rowOf(part.entries) }, bytes });
        chunk = [];
        bytes = part.bytes;
      };
      for (const user of row.users) {
        const b = jsonBytes(user) + 1;
        if (part.bytes + b > limit) throw tooSmall(map, `user ${user} does not fit`);
        if (chunk.length > 0 && bytes + b > limit) flush();
        chunk.push(user);
        bytes += b;
      }
      flush();
    }
  }
  return units;
}

function tooSmall(map: NamespaceMap, why: string): Error {
  return new Error(`Permission map of namespace ${map.namespace}: the ConfigMap budget is too small to split the map (${why})`);
}

function entriesOf(row: MapRow): Entry[] {
  const out: Entry[] = [];
  if (row.organization !== undefined) out.push({ type: 'organization', mask: row.organization });
  for (const [kind, mask] of Object.entries(row.defaults ?? {})) out.push({ type: 'default', kind, mask });
  for (const [kind, names] of Object.entries(row.entities ?? {})) for (const [name, mask] of Object.entries(names)) out.push({ type: 'entity', kind, name, mask });
  return out;
}

function rowOf(entries: readonly Entry[]): Omit<MapRow, 'users'> {
  const row: Omit<MapRow, 'users'> = {};
  for (const e of entries) {
    if (e.type === 'organization') row.organization = e.mask;
    else if (e.type === 'default') (row.defaults ??= {})[e.kind] = e.mask;
    else ((row.entities ??= {})[e.kind] ??= {})[e.name] = e.mask;
  }
  return row;
}

/** FNV-1a, 32 bits: a stable hash for placing units. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Units → shards, each holding at most `capacity` bytes of units; hashing tries at most `maxShards` shards. */
function pack(units: readonly Unit[], capacity: number, maxShards: number): Unit[][] {
  const sorted = [...units].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const total = sorted.reduce((sum, u) => sum + u.bytes, 0);
  const lower = Math.max(1, Math.ceil(total / capacity));
  for (let n = lower; n <= Math.min(lower * 2 + 4, maxShards); n++) {
    const buckets: Unit[][] = Array.from({ length: n }, () => []);
    const sizes = new Array<number>(n).fill(0);
    let fits = true;
    for (const u of sorted) {
      const i = fnv1a(u.key) % n;
      sizes[i]! += u.bytes;
      if (sizes[i]! > capacity) {
        fits = false;
        break;
      }
      buckets[i]!.push(u);
    }
    if (fits) return buckets;
  }
  // First-fit decreasing: always fits, units being at most a quarter of the capacity.
  const buckets: Unit[][] = [];
  const sizes: number[] = [];
  for (const u of [...sorted].sort((a, b) => b.bytes - a.bytes)) {
    let i = sizes.findIndex((s) => s + u.bytes <= capacity);
    if (i < 0) {
      i = buckets.length;
      buckets.push([]);
      sizes.push(0);
    }
    buckets[i]!.push(u);
    sizes[i]! += u.bytes;
  }
  for (const bucket of buckets) bucket.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return buckets;
}
