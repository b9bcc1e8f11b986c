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
import type { PermissionMapIndex, PermissionMapShard, PermissionMapShardRef } from './permission-map.generated.ts';

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
  /** Rows rendered before (unchanged row objects are not rendered again); the output is the same without it. */
  rendered?: RowRenderCache;
}

/** What to write for one namespace, in order. */
export interface PermissionMapWrite {
  namespace: string;
  contentHash: string;
  index: PermissionMapIndex;
  /** The shard documents, parsed from their text at each access (kept writes hold the text only). */
  readonly shards: PermissionMapShard[];
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
  const whole = renderShard(map.namespace, map.rows, options.rendered);
  // (A shard that alone exceeds the budget cannot fit with the index: not hashed for nothing.) Sizes are counted
  // once per text (`bytes`), as `dataBytes` would count them.
  const key = `${name}.json`;
  if (whole.bytes + Buffer.byteLength(key) <= budget) {
    const single = finish(map, name, [{ configMap: name, key, ...whole }]);
    const index = single.configMaps[0]!.data[INDEX_KEY]!;
    if (Buffer.byteLength(INDEX_KEY) + Buffer.byteLength(index) + Buffer.byteLength(key) + whole.bytes <= budget) return single;
  }

  const header = Buffer.byteLength(renderShard(map.namespace, []).text);
  const capacity = budget - header - Buffer.byteLength(`${name}-000000.json`);
  const units = unitsOf(map, Math.floor(capacity / 4), options.rendered);
  const buckets = pack(units, capacity, maxShards);
  if (buckets.length > maxShards) {
    const message = `the map of namespace ${map.namespace} needs ${buckets.length} shard ConfigMaps; the operator may write ${maxShards} (--max-shards): its rights are withheld (every check false) until it fits`;
    const empty = shardMap(withheldMap(map, { reason: 'TooManyShards', message }), { ...options, maxShards });
    return { ...empty, withheld: { reason: 'TooManyShards', message, shardsNeeded: buckets.length, maxShards } };
  }
  const shards = buckets.map((bucket, i) => {
    return { configMap: `${name}-${i}`, key: `${name}-${i}.json`, ...renderShard(map.namespace, bucket.map((u) => u.row), options.rendered) };
  });
  const write = finish(map, name, shards);
  for (const cm of write.configMaps) {
    const shard = shards.find((s) => s.configMap === cm.metadata.name);
    const bytes = shard && cm.metadata.name !== name ? Buffer.byteLength(shard.key) + shard.bytes : dataBytes(cm.data);
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
  /** `Buffer.byteLength(text)`. */
  bytes: number;
}

function finish(map: NamespaceMap, name: string, shards: RenderedShard[]): PermissionMapWrite {
  const refs: PermissionMapShardRef[] = shards.map((s) => ({ configMap: s.configMap, key: s.key, sha256: sha256(s.text), bytes: s.bytes }));
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
  const texts = shards.map((s) => s.text);
  return {
    namespace: map.namespace,
    contentHash,
    index,
    // Parsed back from the text when asked (tests, tools): a kept write does not hold the documents twice.
    get shards(): PermissionMapShard[] {
      return texts.map((text) => JSON.parse(text) as PermissionMapShard);
    },
    configMaps,
    writeOrder,
    keep: writeOrder,
  };
}

/**
 * Rendered rows kept between renders of the same map (the incremental maps keep one per engine): a row object that
 * did not change (`NamespaceRows` keeps it) is not rendered again while its shard's table of masks is the same.
 * Output is the same with or without it.
 */
export class RowRenderCache {
  private readonly rows = new WeakMap<MapRow, RowRender>();
  /** Tables of masks (joined) → a number, so that rows look their rendering up by a number, not a long string. */
  private readonly tables = new Map<string, number>();

  get(row: MapRow): RowRender {
    let entry = this.rows.get(row);
    if (!entry) this.rows.set(row, (entry = newRender(row)));
    return entry;
  }

  tableId(table: string): number {
    let id = this.tables.get(table);
    if (id === undefined) {
      // Tables come and go with the maps' content: forget them all now and then (renderings then miss once).
      if (this.tables.size >= 100_000) this.tables.clear();
      this.tables.set(table, (id = this.nextId++));
    }
    return id;
  }

  private nextId = 0;
}

interface RowRender {
  /** The distinct masks the row uses. */
  masks: string[];
  /** Table of masks (its id) → the row rendered against it; at most two (a map rendered whole, then split). */
  byTable: Map<number, string>;
  /** The row cut into units (`unitsOf`), for a limit and mask-reference width (the key). */
  units?: { key: string; units: Unit[] };
}

function newRender(row: MapRow): RowRender {
  const masks = new Set<string>();
  if (row.organization !== undefined) masks.add(row.organization);
  for (const m of Object.values(row.defaults ?? {})) masks.add(m);
  for (const names of Object.values(row.entities ?? {})) for (const m of Object.values(names)) masks.add(m);
  return { masks: [...masks], byTable: new Map() };
}

/**
 * A shard document: its own table of the distinct masks its rows use (in numeric order), rows referring to it. The
 * text is `JSON.stringify` of the document, put together from each row's text (so that a cached row is not
 * rendered again).
 */
function renderShard(namespace: string, rows: readonly MapRow[], cache?: RowRenderCache): { text: string; bytes: number } {
  const renders = rows.map((row) => (cache ? cache.get(row) : newRender(row)));
  const masks = new Set<string>();
  for (const r of renders) for (const m of r.masks) masks.add(m);
  const sets = [...masks].sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
  const table = cache ? cache.tableId(sets.join(',')) : 0;
  let position: Map<string, number> | undefined;
  const texts: string[] = [];
  rows.forEach((row, i) => {
    const render = renders[i]!;
    let done = render.byTable.get(table);
    if (!done) {
      position ??= new Map(sets.map((m, j) => [m, j]));
      const at = position;
      done = rowText(row, (m) => at.get(m)!);
      if (render.byTable.size >= 2) render.byTable.clear();
      render.byTable.set(table, done);
    }
    texts.push(done);
  });
  const head = JSON.stringify({ format: SHARD_FORMAT, version: FORMAT_VERSION, namespace, sets });
  const text = `${head.slice(0, -1)},"rows":[${texts.join(',')}]}`;
  return { text, bytes: Buffer.byteLength(text) };
}

/**
 * A row as the shard holds it (`PermissionMapRow`: masks as references into the shard's table), as JSON: the text
 * `JSON.stringify` gives for that object (same keys, same order), written directly, since the object would key by
 * entity names — a new hidden class per name, which cost most of the rendering at medium.
 */
export function rowText(row: MapRow, ref: (mask: string) => number): string {
  let text = `{"users":${JSON.stringify(row.users)}`;
  if (row.organization !== undefined) text += `,"organization":${ref(row.organization)}`;
  if (row.defaults) text += `,"defaults":${refsText(row.defaults, ref)}`;
  if (row.entities) {
    let first = true;
    text += ',"entities":{';
    for (const kind of Object.keys(row.entities)) {
      if (!first) text += ',';
      first = false;
      text += `${JSON.stringify(kind)}:${refsText(row.entities[kind]!, ref)}`;
    }
    text += '}';
  }
  return `${text}}`;
}

/** `{"key":ref,…}` in the object's own key order (what `JSON.stringify` follows). */
function refsText(masks: Readonly<Record<string, string>>, ref: (mask: string) => number): string {
  let text = '{';
  let first = true;
  for (const key of Object.keys(masks)) {
    if (!first) text += ',';
    first = false;
    text += `${JSON.stringify(key)}:${ref(masks[key]!)}`;
  }
  return `${text}}`;
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
function unitsOf(map: NamespaceMap, limit: number, cache?: RowRenderCache): Unit[] {
  const renders = map.rows.map((row) => (cache ? cache.get(row) : newRender(row)));
  const distinct = new Set<string>();
  for (const r of renders) for (const m of r.masks) distinct.add(m);
  const refDigits = String(Math.max(0, distinct.size - 1)).length;
  const units: Unit[] = [];
  const key = `${limit}/${refDigits}`;
  map.rows.forEach((row, i) => {
    const render = renders[i]!;
    let rowUnits = render.units?.key === key ? render.units.units : undefined;
    if (!rowUnits) render.units = { key, units: (rowUnits = unitsOfRow(map, row, limit, refDigits)) };
    for (const u of rowUnits) units.push(u);
  });
  return units;
}

/** One row's units (depends on the row, the limit and the digits of a mask reference only). */
function unitsOfRow(map: NamespaceMap, row: MapRow, limit: number, refDigits: number): Unit[] {
  // Bytes of an entry in a row, plus its mask in the table; kind objects are charged to every entity (a bound).
  const entryBytes = (e: Entry): number => {
    const mask = e.mask.length + 3;
    if (e.type === 'organization') return 16 + refDigits + mask;
    if (e.type === 'default') return 14 + jsonBytes(e.kind) + 2 + refDigits + mask;
    return 14 + jsonBytes(e.kind) + 4 + jsonBytes(e.name) + 2 + refDigits + mask;
  };
  const skeleton = 13; // {"users":[]} and the comma after the row
  const units: Unit[] = [];
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
  const whole = parts.length === 1 ? row.users.reduce((sum, user) => sum + jsonBytes(user) + 1, parts[0]!.bytes) : Infinity;
  if (whole <= limit) {
    // The row is one unit: the row object itself (the same content as rebuilt from its entries), so that a render
    // cache finds it.
    units.push({ key: `${row.users[0]}\u00000`, row, bytes: whole });
    return units;
  }
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
