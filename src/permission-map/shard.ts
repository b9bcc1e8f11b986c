/**
 * A namespace's permission map → the ConfigMaps the operator writes, each within a byte budget (ConfigMap data is
 * limited to 1 MiB; the default budget is 900 KiB), and the order to write them in.
 *
 * Layout (docs/permission-map.md):
 * - its shard fits in `shardBytes` (32 KiB): `charter-permissions` with keys `index.json` and
 *   `charter-permissions.json` (the one shard);
 * - otherwise: shards `charter-permissions-<i>` (key `charter-permissions-<i>.json`) of about `shardBytes` each (larger
 *   when more than `maxShards` would be needed) and the index alone in `charter-permissions`. Keys are distinct across
 *   the ConfigMaps, so that one projected volume can mount them all.
 * Writes across ConfigMaps are not atomic: shards are written first, the index last, and the index carries every
 * shard's SHA-256, so a reader that sees shards of another generation than its index knows the update is torn.
 *
 * Splitting is deterministic. A row (users sharing content) is cut into units — content parts × user chunks, chunks
 * ending at boundary users (by hash) so that one user more or less changes one chunk — each at most a quarter of the
 * shard size; units go to shard hash(first user, part) mod n for the smallest n that fits (so a change usually
 * rewrites only the shards it touches), or first-fit when hashing does not fit within a few tries.
 * At most `maxShards` shards (default 8): workloads mount a fixed set of shard names, so a map that would need more
 * is not published — the namespace gets a withheld map instead (it answers nothing: fail closed), and the write says
 * why (`PermissionMapWrite.withheld`), for the operator to report.
 * With a `RowRenderCache` (kept maps), rows, chunks and shards that did not change are not cut, rendered or hashed
 * again; the output is the same.
 */
import { createHash } from 'node:crypto';
import { previousRow, withheldMap, type MapRow, type NamespaceMap } from './build-maps.ts';
import type { PermissionMapIndex, PermissionMapShard, PermissionMapShardRef } from './permission-map.generated.ts';

export const DEFAULT_BUDGET_BYTES = 900 * 1024;
/**
 * A map whose shard would be larger is split into shards of about this size (up to `maxShards`): a change then
 * rewrites and hashes one small shard, not the whole map (docs/performance.md, "Map refresh").
 */
export const DEFAULT_SHARD_BYTES = 32 * 1024;
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
  /** Size a shard is cut to (bytes of its key and text) while `maxShards` such shards hold the map; default 32 KiB. */
  shardBytes?: number;
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
 * Splits a namespace's map into ConfigMaps: one when its shard fits in `shardBytes` (and the index with it in the
 * budget), else shards of about `shardBytes` each — more when the map needs more than `maxShards` of that size, up to
 * the budget each (docs/permission-map.md, "Sharding").
 * @example shardMap(buildNamespaceMap(engine, 'acme')).writeOrder // ['charter-permissions']
 */
export function shardMap(map: NamespaceMap, options: ShardOptions = {}): PermissionMapWrite {
  const budget = options.budgetBytes ?? DEFAULT_BUDGET_BYTES;
  const name = options.name ?? DEFAULT_MAP_NAME;
  const maxShards = options.maxShards ?? DEFAULT_MAX_SHARDS;
  const target = Math.min(budget, options.shardBytes ?? DEFAULT_SHARD_BYTES);
  const cache = options.rendered;
  const key = `${name}.json`;
  const header = Buffer.byteLength(renderShard(map.namespace, []).text);
  const nameBytes = Buffer.byteLength(`${name}-000000.json`);
  const capacity = budget - header - nameBytes;
  const smallest = target - header - nameBytes;
  // One ConfigMap when everything fits in the target.
  const single = (): PermissionMapWrite | undefined => {
    const whole = renderShard(map.namespace, map.rows, cache);
    // (A shard that alone exceeds the target is not hashed for nothing.) Sizes are counted once per text (`bytes`),
    // as `dataBytes` would count them.
    if (whole.bytes + Buffer.byteLength(key) > target) return undefined;
    const write = finish(map, name, [{ configMap: name, key, ...whole, sha256: sha256(whole.text) }]);
    const index = write.configMaps[0]!.data[INDEX_KEY]!;
    return Buffer.byteLength(INDEX_KEY) + Buffer.byteLength(index) + Buffer.byteLength(key) + whole.bytes <= budget ? write : undefined;
  };
  // Without a cache (a fresh build), the whole shard is rendered first: most maps are one ConfigMap.
  if (!cache) {
    const write = single();
    if (write) return write;
  }
  // Units are cut for the smallest capacity tried (at most a quarter of it), so that they fit every capacity tried.
  let units: Unit[] | undefined;
  let unitError: unknown;
  try {
    units = unitsOf(map, Math.floor(smallest / 4), cache);
  } catch (error) {
    unitError = error;
  }
  // With a cache, the units (kept) say first whether the whole shard can fit: a lower bound of its size is each
  // row's users, once, and its braces; a map above the target is not rendered whole for nothing.
  if (cache) {
    let lower = 0;
    for (const u of units ?? []) if (u.part === 0) lower += u.userBytes + 11;
    if (units === undefined || lower + header + Buffer.byteLength(key) <= target) {
      const write = single();
      if (write) return write;
    }
  }
  if (units === undefined) throw unitError;

  // Shards of the target's size, placed by hashing; when more than `maxShards` would be needed, a quarter larger, and
  // so on up to the budget; at the budget, first-fit when hashing does not fit.
  const sorted = [...units].sort(byKey);
  let total = 0;
  for (const u of units) total += u.bytes;
  let buckets: Unit[][] | undefined;
  for (let size = smallest; buckets === undefined; size = Math.min(capacity, Math.max(size + 1, Math.ceil(size * 1.25)))) {
    buckets = packByHash(sorted, total, size, maxShards);
    if (buckets === undefined && size >= capacity) buckets = packFirstFit(sorted, capacity);
  }
  if (buckets.length > maxShards) {
    const message = `the map of namespace ${map.namespace} needs ${buckets.length} shard ConfigMaps; the operator may write ${maxShards} (--max-shards): its rights are withheld (every check false) until it fits`;
    const empty = shardMap(withheldMap(map, { reason: 'TooManyShards', message }), { ...options, maxShards, rendered: undefined });
    return { ...empty, withheld: { reason: 'TooManyShards', message, shardsNeeded: buckets.length, maxShards } };
  }
  // A shard whose units are the same objects as the same shard's last time (for this namespace and options) is the
  // same text: reused with its hash.
  const last = cache?.lastShards(map.namespace, `${name}/${budget}/${target}`);
  const shards = buckets.map((bucket, i) => {
    const before = last?.[i];
    let rendered = before !== undefined && sameUnits(before.units, bucket) ? before.rendered : undefined;
    if (rendered === undefined) {
      const { text, bytes } = renderShard(map.namespace, bucket.map((u) => u.row), cache);
      rendered = { text, bytes, sha256: sha256(text) };
    }
    return { configMap: `${name}-${i}`, key: `${name}-${i}.json`, ...rendered };
  });
  cache?.keepShards(map.namespace, `${name}/${budget}/${target}`, buckets.map((units, i) => ({ units, rendered: { text: shards[i]!.text, bytes: shards[i]!.bytes, sha256: shards[i]!.sha256 } })));
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

function sameUnits(a: readonly Unit[], b: readonly Unit[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

interface RenderedShard {
  configMap: string;
  key: string;
  text: string;
  /** `Buffer.byteLength(text)`. */
  bytes: number;
  /** `sha256(text)`. */
  sha256: string;
}

function finish(map: NamespaceMap, name: string, shards: RenderedShard[]): PermissionMapWrite {
  const refs: PermissionMapShardRef[] = shards.map((s) => ({ configMap: s.configMap, key: s.key, sha256: s.sha256, bytes: s.bytes }));
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
 * did not change (`NamespaceRows` keeps it) is not rendered again while its shard's table of masks is the same; a
 * row cut into user chunks whose users changed is cut again from its previous version (`previousRow`), so that
 * chunks whose users did not change stay the same objects; a shard whose units are the same objects as last time is
 * not rendered or hashed again. Output is the same with or without it.
 */
export class RowRenderCache {
  private readonly rows = new WeakMap<MapRow, RowRender>();
  /** Tables of masks (joined) → a number, so that rows look their rendering up by a number, not a long string. */
  private readonly tables = new Map<string, number>();
  /** Namespace → options → the shards last written (their units and text). */
  private readonly shards = new Map<string, Map<string, ShardRender[]>>();
  /** Namespace → the rows last counted by `distinctMasks`, and how many of them use each mask. */
  private readonly masks = new Map<string, { rows: readonly MapRow[]; counts: Map<string, number> }>();

  get(row: MapRow): RowRender {
    let entry = this.rows.get(row);
    if (!entry) this.rows.set(row, (entry = newRender(row)));
    return entry;
  }

  /** The rendering of `row` if it has one (no new entry). */
  peek(row: MapRow): RowRender | undefined {
    return this.rows.get(row);
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

  lastShards(namespace: string, options: string): ShardRender[] | undefined {
    return this.shards.get(namespace)?.get(options);
  }

  keepShards(namespace: string, options: string, shards: ShardRender[]): void {
    let byOptions = this.shards.get(namespace);
    if (!byOptions) this.shards.set(namespace, (byOptions = new Map()));
    byOptions.set(options, shards);
  }

  /**
   * How many distinct masks the rows use: counted again only for the rows that are not those of the namespace's last
   * count. Rows are sorted by their first user (which no other row has), so that a merge pairs the rows kept; in any
   * other order the counts are still exact (a row taken out and put back), only slower.
   */
  distinctMasks(namespace: string, rows: readonly MapRow[]): number {
    const last = this.masks.get(namespace);
    const counts = last?.counts ?? new Map<string, number>();
    const count = (row: MapRow, by: number): void => {
      for (const m of this.get(row).masks) {
        const n = (counts.get(m) ?? 0) + by;
        if (n > 0) counts.set(m, n);
        else counts.delete(m);
      }
    };
    const before = last?.rows ?? [];
    let a = 0;
    let b = 0;
    while (a < before.length || b < rows.length) {
      const x = before[a];
      const y = rows[b];
      if (x === y) {
        a++;
        b++;
      } else if (y === undefined || (x !== undefined && x.users[0]! <= y.users[0]!)) {
        count(x!, -1);
        a++;
      } else {
        count(y, 1);
        b++;
      }
    }
    this.masks.set(namespace, { rows, counts });
    return counts.size;
  }

  /** Drops what is kept for a namespace (it gets no map any more). */
  forget(namespace: string): void {
    this.shards.delete(namespace);
    this.masks.delete(namespace);
  }

  private nextId = 0;
}

interface ShardRender {
  units: Unit[];
  rendered: { text: string; bytes: number; sha256: string };
}

interface RowRender {
  /** The distinct masks the row uses. */
  masks: string[];
  /** Table of masks (its id) → the row rendered against it; at most two (a map rendered whole, then split). */
  byTable: Map<number, string>;
  /** The row cut into units (`unitsOf`), for a limit and mask-reference width (`unitsKey`). */
  unitsKey?: string;
  units?: Unit[];
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
  // One string built in one go (a template around a join would be flattened again by byteLength and the hash).
  texts[0] = `${head.slice(0, -1)},"rows":[${texts[0] ?? ''}`;
  if (rows.length === 0) texts[0] += ']}';
  else texts[texts.length - 1] += ']}';
  const text = texts.join(',');
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
  /** The unit's key is (first user, part): units are sorted by it. */
  first: string;
  /** `fnv1a` of the key (`<first user>\0<part>`): where hashing places the unit. */
  hash: number;
  row: MapRow;
  /** An upper bound of the bytes the unit adds to a shard (its row, a comma, the masks it may add to the table). */
  bytes: number;
  /** Which content part of its row the unit holds (0: the first; every user of the row is in a unit of part 0). */
  part: number;
  /** Bytes of the unit's users (JSON, a comma each). */
  userBytes: number;
  /** The whole row (`WHOLE`), or how a chunk of its users ended (`chunkUsers`). */
  end: ChunkEnd;
}

/** A whole row; chunks: ended after a boundary user, before a user that did not fit, at the row's end. */
const WHOLE = 0;
const BOUNDARY = 1;
const FULL = 2;
const LAST = 3;
type ChunkEnd = typeof WHOLE | typeof BOUNDARY | typeof FULL | typeof LAST;

/** JSON bytes of a string: its length and quotes when it needs no escape and is ASCII (user names are). */
function jsonBytes(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return Buffer.byteLength(JSON.stringify(s));
  }
  return s.length + 2;
}

type Entry = { type: 'organization'; mask: string } | { type: 'default'; kind: string; mask: string } | { type: 'entity'; kind: string; name: string; mask: string };

/** Cuts rows into units of at most `limit` bytes: content parts of at most half of it, then user chunks. */
function unitsOf(map: NamespaceMap, limit: number, cache?: RowRenderCache): Unit[] {
  const renders = map.rows.map((row) => (cache ? cache.get(row) : newRender(row)));
  let distinct: number;
  if (cache) distinct = cache.distinctMasks(map.namespace, map.rows);
  else {
    const masks = new Set<string>();
    for (const r of renders) for (const m of r.masks) masks.add(m);
    distinct = masks.size;
  }
  const refDigits = String(Math.max(0, distinct - 1)).length;
  const units: Unit[] = [];
  const key = `${limit}/${refDigits}`;
  map.rows.forEach((row, i) => {
    const render = renders[i]!;
    let rowUnits = render.unitsKey === key ? render.units : undefined;
    if (!rowUnits) {
      // The units of the row's previous version (same content, other users), if cut for the same limit and width.
      const previous = cache ? previousRow(row) : undefined;
      const last = previous === undefined ? undefined : cache!.peek(previous);
      // The previous version's texts are not needed again (its chunks keep theirs).
      last?.byTable.clear();
      const before = last?.unitsKey === key ? last.units : undefined;
      const sameContent = previous !== undefined && previous.organization === row.organization && previous.defaults === row.defaults && previous.entities === row.entities;
      render.units = rowUnits = unitsOfRow(map, row, limit, refDigits, sameContent ? before : undefined);
      render.unitsKey = key;
    }
    for (const u of rowUnits) units.push(u);
  });
  return units;
}

/**
 * One row's units (depends on the row, the limit and the digits of a mask reference only): the row itself when it
 * fits the limit; else its content in parts, each with the row's users in chunks (`chunkUsers`). `before`: the units
 * of the row's previous version, whose chunks are reused where the users did not change (the result is the same).
 */
function unitsOfRow(map: NamespaceMap, row: MapRow, limit: number, refDigits: number, before?: readonly Unit[]): Unit[] {
  // Bytes of an entry in a row, plus its mask in the table; kind objects are charged to every entity (a bound).
  const entryBytes = (e: Entry): number => {
    const mask = e.mask.length + 3;
    if (e.type === 'organization') return 16 + refDigits + mask;
    if (e.type === 'default') return 14 + jsonBytes(e.kind) + 2 + refDigits + mask;
    return 14 + jsonBytes(e.kind) + 4 + jsonBytes(e.name) + 2 + refDigits + mask;
  };
  const skeleton = 13; // {"users":[]} and the comma after the row
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
  // Each user takes at least 4 bytes (`"x",`): a row with more users than a quarter of the limit does not fit.
  if (parts.length === 1 && row.users.length * 4 <= limit) {
    let userBytes = 0;
    for (const user of row.users) userBytes += jsonBytes(user) + 1;
    const whole = parts[0]!.bytes + userBytes;
    // The row is one unit: the row object itself (the same content as rebuilt from its entries), so that a render
    // cache finds it.
    if (whole <= limit) return [{ first: row.users[0]!, hash: keyHash(row.users[0]!, 0), row, bytes: whole, part: 0, userBytes, end: WHOLE }];
  }
  const units: Unit[] = [];
  for (const [p, part] of parts.entries()) {
    const previous = before?.filter((u) => u.part === p && u.end !== WHOLE);
    const content = rowOf(part.entries);
    for (const chunk of chunkUsers(row.users, part.bytes, limit, previous ?? [], (user) => tooSmall(map, `user ${user} does not fit`))) {
      if (chunk.unit) units.push(chunk.unit);
      else units.push({ first: chunk.users[0]!, hash: keyHash(chunk.users[0]!, p), row: { users: chunk.users, ...content }, bytes: part.bytes + chunk.userBytes, part: p, userBytes: chunk.userBytes, end: chunk.end });
    }
  }
  return units;
}

/** Mask of `fnv1a(user)`: a user whose hash has these bits clear ends a chunk (chunks of about 128 users). */
const CHUNK_BOUNDARY_MASK = 127;

/**
 * A row's users (sorted) cut into chunks, left to right: a chunk ends after a user whose hash says so (a boundary
 * user), before a user that would take it past `limit` (with `base`, the bytes of its content), or at the end. So a
 * user added or removed changes the chunk around it only, not every chunk after it (as cutting by size alone would):
 * the other chunks keep their users, their key (first user) and their shard. `previous`: the units of the same part
 * of the row before; a chunk of it is reused (`unit`) where the walk would cut the same users again.
 */
function chunkUsers(
  users: readonly string[],
  base: number,
  limit: number,
  previous: readonly Unit[],
  tooBig: (user: string) => Error,
): Array<{ users: string[]; userBytes: number; end: ChunkEnd; unit?: Unit }> {
  const out: Array<{ users: string[]; userBytes: number; end: ChunkEnd; unit?: Unit }> = [];
  let byFirst: Map<string, number> | undefined;
  if (previous.length > 0) byFirst = new Map(previous.map((u, k) => [u.row.users[0]!, k]));
  const n = users.length;
  let i = 0;
  while (i < n) {
    const k = byFirst?.get(users[i]!);
    if (k !== undefined) {
      // The previous chunk starting here, if the walk would cut it again: the same users, and a reason to end there
      // (its last user is a boundary user; or the next user does not fit; or the row ends).
      const u = previous[k]!;
      const chunk = u.row.users;
      const len = chunk.length;
      let same = i + len <= n && (u.end === BOUNDARY || (i + len === n ? u.end === LAST : u.end === FULL && base + u.userBytes + jsonBytes(users[i + len]!) + 1 > limit));
      for (let j = 0; same && j < len; j++) if (users[i + j] !== chunk[j]) same = false;
      if (same) {
        out.push({ users: chunk as string[], userBytes: u.userBytes, end: u.end, unit: u });
        i += len;
        continue;
      }
    }
    const start = i;
    let bytes = 0;
    let end: ChunkEnd = LAST;
    while (i < n) {
      const user = users[i]!;
      const b = jsonBytes(user) + 1;
      if (base + bytes + b > limit) {
        if (i === start) throw tooBig(user);
        end = FULL;
        break;
      }
      bytes += b;
      i++;
      if ((fnv1a(user) & CHUNK_BOUNDARY_MASK) === 0) {
        end = BOUNDARY;
        break;
      }
    }
    out.push({ users: users.slice(start, i), userBytes: bytes, end });
  }
  return out;
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

/** `fnv1a` of `<first>\0<part>`, without making the string. */
function keyHash(first: string, part: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < first.length; i++) h = Math.imul(h ^ first.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ 0, 0x01000193);
  const digits = String(part);
  for (let i = 0; i < digits.length; i++) h = Math.imul(h ^ digits.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** By key, `<first>\0<part>` as a string: first users, then parts by their digits. */
const byKey = (a: Unit, b: Unit): number => {
  if (a.first !== b.first) return a.first < b.first ? -1 : 1;
  const x = String(a.part);
  const y = String(b.part);
  return x < y ? -1 : x > y ? 1 : 0;
};

/**
 * Units → at most `maxShards` shards of at most `capacity` bytes of units each, by hashing (unit u in shard
 * `u.hash mod n`, for the smallest n from the fewest possible up to twice that and 4 more); undefined when no such n
 * fits. `sorted`: the units by key, so that each shard lists its units in that order.
 */
function packByHash(sorted: readonly Unit[], total: number, capacity: number, maxShards: number): Unit[][] | undefined {
  const lower = Math.max(1, Math.ceil(total / capacity));
  for (let n = lower; n <= Math.min(lower * 2 + 4, maxShards); n++) {
    const buckets: Unit[][] = Array.from({ length: n }, () => []);
    const sizes = new Array<number>(n).fill(0);
    let fits = true;
    for (const u of sorted) {
      const i = u.hash % n;
      sizes[i]! += u.bytes;
      if (sizes[i]! > capacity) {
        fits = false;
        break;
      }
      buckets[i]!.push(u);
    }
    if (fits) return buckets;
  }
  return undefined;
}

/** First-fit decreasing: always fits, units being at most a quarter of the capacity (may need more than allowed). */
function packFirstFit(sorted: readonly Unit[], capacity: number): Unit[][] {
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
  for (const bucket of buckets) bucket.sort(byKey);
  return buckets;
}
