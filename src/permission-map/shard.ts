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
 * With a `RowRenderCache` (kept maps), each namespace keeps its last write's state (`ShardState`): its rows' renderings
 * paired with the next write's rows by a merge on first users (no look-up per row) — a rendering's JSON is kept as
 * where it lies in the last shard text, not as a copy — how many rows use each mask (the table), and, for a map
 * split into shards only, its units sorted (only the units of rows that changed are taken out and merged in, in
 * place), each with its content's masks (a split shard's table is made from them: no row's entities are read again)
 * and each shard's units and text; rows, chunks and shards that did not change are not cut, rendered, sorted or hashed
 * again (a changed big row is cut again only around the users moved since its previous version, `rowMoves`: its
 * other chunks are taken over without walking their users), and a map last written as one ConfigMap is rendered
 * whole first, without cutting units; a shard whose kept rows are all rendered now (a namespace's first write) is
 * written as bytes (shard-bytes.ts) when its strings are plain ASCII. Without a cache (a fresh build) a map is rendered whole first unless its users'
 * characters alone are over the target (`overTarget`); a fresh row is cut over its users' places in its list
 * (`ListedUsers`), not numbered in a table. The output is the same.
 */
import { createHash } from 'node:crypto';
import { previousRow, rowMoves, withheldMap, type MapRow, type NamespaceMap, type RowMoves } from './build-maps.ts';
import { firstUserOf, flatEntities, forEachEntity, forEachFlatMask, jsonBytes, KeptRow, ListedUsers, readFlat, sameEntities, userCountOf, UserTable, type KeptContent, type UserIds, type UserNumbers } from './kept-users.ts';
import { keptShardText, shardSha256 } from './shard-bytes.ts';
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
   * After the index is written, any other shard name of the map (`<name>-<i>`) the namespace holds labelled
   * `charter.dev/permission-map: "true"` is obsolete (left from a map with more shards): delete it (see
   * `obsoleteConfigMaps`).
   */
  keep: string[];
  /**
   * Set when the map's rights are withheld (the ConfigMaps hold a map that answers nothing): the map would need
   * `shardsNeeded` shards, more than `maxShards`.
   */
  withheld?: { reason: 'TooManyShards'; message: string; shardsNeeded: number; maxShards: number };
}

/**
 * The ConfigMaps (names) of `existing` that a write makes obsolete: the map's shard names (`<name>-<i>`) it does not
 * keep; delete them after the index is written. Another name is never obsolete, labelled or not: it is not the map's
 * (someone copied the labels), and the chart lets the operator replace and delete only the map's names (RBAC
 * resourceNames, charts/charter/templates/rbac.yaml).
 */
export function obsoleteConfigMaps(existing: Iterable<string>, write: PermissionMapWrite, name = DEFAULT_MAP_NAME): string[] {
  const keep = new Set(write.keep);
  return [...existing].filter((cm) => !keep.has(cm) && isShardName(cm, name)).sort();
}

/** Whether `cm` is a shard name of the map `name`: `<name>-<i>`, `i` a non-negative integer in decimal (no leading 0). */
export function isShardName(cm: string, name = DEFAULT_MAP_NAME): boolean {
  return cm.startsWith(`${name}-`) && /^(0|[1-9][0-9]*)$/.test(cm.slice(name.length + 1));
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
  // What is kept of this namespace's last write with these options (a fresh build keeps nothing: a throwaway state).
  const state = cache ? cache.state(map.namespace, `${name}/${budget}/${target}/${maxShards}`) : new ShardState();
  const renders = state.update(map.rows);
  const key = `${name}.json`;
  const header = Buffer.byteLength(renderShard(map.namespace, [], [], []).text);
  const nameBytes = Buffer.byteLength(`${name}-000000.json`);
  const capacity = budget - header - nameBytes;
  const smallest = target - header - nameBytes;
  // One ConfigMap when everything fits in the target.
  const single = (): PermissionMapWrite | undefined => {
    const whole = renderShard(map.namespace, map.rows, renders, state.sets(), cache);
    state.lastSingle = false;
    // (A shard that alone exceeds the target is not hashed for nothing.) Sizes are counted once per text (`bytes`),
    // as `dataBytes` would count them.
    if (whole.bytes + Buffer.byteLength(key) > target) {
      if (cache) cache.wholeMisses++;
      return undefined;
    }
    const write = finish(map, name, [{ configMap: name, key, ...whole, sha256: shardSha256(whole.text) }]);
    const index = write.configMaps[0]!.data[INDEX_KEY]!;
    if (Buffer.byteLength(INDEX_KEY) + Buffer.byteLength(index) + Buffer.byteLength(key) + whole.bytes > budget) return undefined;
    state.lastSingle = true;
    // Units and split shards serve split maps only: a map written as one ConfigMap keeps neither.
    state.dropUnits();
    return write;
  };
  // Without a cache (a fresh build), the whole shard is rendered first (most maps are one ConfigMap) unless a lower
  // bound of its size, its users' characters alone, is above the target (`overTarget`: a split map is not rendered
  // whole for nothing, a third of a fresh build's texts at medium). With one, when the last write was one ConfigMap
  // (rendering it again is cheaper than cutting units). The output is the same either way.
  const singleFirst = cache ? state.lastSingle : !overTarget(map.rows, target - header - Buffer.byteLength(key));
  if (singleFirst) {
    const write = single();
    if (write) return write;
  }
  // With a cache, a lower bound of the whole shard's size says first whether it can fit: each row's text against the
  // whole map's table when a rendering holds it (the last whole render, which did not fit, left it: exact), else its
  // users, once, and its braces (counted once per rendering); a map above the target is not rendered whole for
  // nothing (a split map was, at each change that moved a row: 265 texts of ~38 kB over 300 changes at medium).
  let triedSingle = singleFirst;
  if (!singleFirst && cache !== undefined) {
    const table = cache.tableId(state.sets().join(','));
    let lower = 0;
    for (let i = 0; i < map.rows.length; i++) {
      const render = renders[i]!;
      const known = render.a !== undefined && render.a.table === table ? render.lenA : render.b !== undefined && render.b.src.table === table ? render.b.len : -1;
      lower += known >= 0 ? known : userBytesOf(render, map.rows[i]!) + 11;
    }
    if (lower + header + Buffer.byteLength(key) <= target) {
      triedSingle = true;
      const write = single();
      if (write) return write;
    }
  }
  // Units are cut for the smallest capacity tried (at most a quarter of it), so that they fit every capacity tried.
  let sorted: readonly Unit[];
  try {
    sorted = state.sortedUnits(map, Math.floor(smallest / 4));
  } catch (error) {
    const write = triedSingle ? undefined : single();
    if (write) return write;
    throw error;
  }

  // Shards of the target's size, placed by hashing; when more than `maxShards` would be needed, a quarter larger, and
  // so on up to the budget; at the budget, first-fit when hashing does not fit.
  let total = 0;
  for (let k = 0; k < sorted.length; k++) total += sorted[k]!.bytes;
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
  // A shard kept is kept as it was (its units, its `RenderedShard`): no object is made for it.
  const last = state.shards;
  const kept = new Array<ShardRender>(buckets.length);
  const shards = buckets.map((bucket, i): RenderedShard => {
    const before = last?.[i];
    if (before !== undefined && sameUnits(before.units, bucket)) {
      kept[i] = before;
      return before.rendered;
    }
    const { text, bytes } = renderShard(map.namespace, bucket.map((u) => u.row), bucket.map(unitRender), shardTable(bucket), cache);
    const rendered = { configMap: `${name}-${i}`, key: `${name}-${i}.json`, text, bytes, sha256: shardSha256(text) };
    kept[i] = { units: bucket, rendered };
    return rendered;
  });
  if (cache) state.shards = kept;
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

/**
 * Whether rows' JSON, commas between them left out, is surely more than `room` bytes: each row at least
 * `{"users":[…]}` and each user at least its characters, its quotes and a comma (a name's JSON has at least as many
 * bytes as UTF-16 code units, escapes only adding). Stops as soon as it is.
 */
export function overTarget(rows: readonly MapRow[], room: number): boolean {
  let lower = 0;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    lower += 11;
    if (row instanceof KeptRow) {
      const { ids, table } = row;
      for (let j = 0; j < ids.length; j++) lower += table.jsonBytesOf(ids[j]!) + 1;
    } else {
      const users = row.users;
      for (let j = 0; j < users.length; j++) lower += users[j]!.length + 3;
    }
    if (lower > room) return true;
  }
  return false;
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

/** A list's JSON, kept for lists seen before (a map's rights and kinds are lists shared by every map of an engine). */
const listTexts = new WeakMap<readonly string[], string>();
function listJson(list: readonly string[]): string {
  let text = listTexts.get(list);
  if (text === undefined) listTexts.set(list, (text = JSON.stringify(list)));
  return text;
}

/**
 * A map's administrators' JSON, kept per object (the kept maps' share one while the administrators and their rights
 * are the same: `MaskWriter.adminsOf`). Objects are not changed once made.
 */
const adminTexts = new WeakMap<NamespaceMap['admins'], string>();
function adminsJson(admins: NamespaceMap['admins']): string {
  let text = adminTexts.get(admins);
  if (text === undefined) adminTexts.set(admins, (text = JSON.stringify(admins)));
  return text;
}

/**
 * For the tests: the index text a write carries, and its contentHash, against `JSON.stringify` of the index and of
 * the hashed object as they were written before the texts were assembled from parts.
 */
export function indexTexts(write: PermissionMapWrite, map: NamespaceMap): { text: string; expected: string; hash: string; expectedHash: string } {
  const index = write.index;
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
    shards: index.shards,
    ...(map.withheld ? { withheld: map.withheld } : {}),
  };
  return { text: write.configMaps.at(-1)!.data[INDEX_KEY]!, expected: JSON.stringify(index), hash: write.contentHash, expectedHash: `sha256:${sha256(JSON.stringify(hashed))}` };
}

/**
 * A write's shards (their ConfigMap names, keys, sizes, hashes and texts): what the write is made again from while its
 * map is the same (incremental-maps.ts keeps these, not the write: its ConfigMap objects and index text are made again
 * by `writeFromParts` in microseconds, and the texts are the ones the kept renderings point into anyway).
 */
export type WriteParts = readonly RenderedShard[];

/** The parts `writeFromParts` makes `write` again from (a withheld write's are its empty map's). */
export function writeParts(write: PermissionMapWrite): WriteParts {
  return write.index.shards.map((ref) => {
    const data = write.configMaps.find((cm) => cm.metadata.name === ref.configMap)!.data;
    return { configMap: ref.configMap, key: ref.key, text: data[ref.key]!, bytes: ref.bytes, sha256: ref.sha256 };
  });
}

/** The write `shardMap` gave for a map with the same rows and header, from its parts (`writeParts`); not a withheld one. */
export function writeFromParts(map: NamespaceMap, name: string, parts: WriteParts): PermissionMapWrite {
  return finish(map, name, parts);
}

function finish(map: NamespaceMap, name: string, shards: readonly RenderedShard[]): PermissionMapWrite {
  const refs: PermissionMapShardRef[] = shards.map((s) => ({ configMap: s.configMap, key: s.key, sha256: s.sha256, bytes: s.bytes }));
  // The index's JSON is written from parts (`JSON.stringify` of each, the same keys in the same order as the objects
  // below): the rights list, the same for every map of an engine, is written once (test/unit/permission-map.test.ts
  // holds the texts to `JSON.stringify` of the objects).
  const common = `"rights":${listJson(map.rights)},"kinds":${listJson(map.kinds)},"admins":${adminsJson(map.admins)},"shards":${JSON.stringify(refs)}${map.withheld ? `,"withheld":${JSON.stringify(map.withheld)}` : ''}}`;
  const head = `{"format":${JSON.stringify(INDEX_FORMAT)},"version":${FORMAT_VERSION},"catalog":${JSON.stringify(map.catalog)},"namespace":${JSON.stringify(map.namespace)},`;
  const hashedText = `${head}"organization":${JSON.stringify(map.organization ?? null)},"nextExpiry":${JSON.stringify(map.nextExpiry ?? null)},${common}`;
  const contentHash = `sha256:${sha256(hashedText)}`;
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
  const indexText = `${head}${index.organization !== undefined ? `"organization":${JSON.stringify(index.organization)},` : ''}"evaluatedAt":${JSON.stringify(index.evaluatedAt)},${index.nextExpiry !== undefined ? `"nextExpiry":${JSON.stringify(index.nextExpiry)},` : ''}"contentHash":${JSON.stringify(contentHash)},${common}`;
  const indexData: Record<string, string> = { [INDEX_KEY]: indexText };
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
 * What the kept maps keep of each namespace's last write, so that a change costs what it moved, not the namespace's
 * size (one per engine, in `IncrementalMaps`; per namespace and shard options, a `ShardState`): each row's rendering
 * (its masks, its JSON against the last tables of masks, its units), how many rows use each mask, the units sorted,
 * and each shard's units and text. Output is the same with or without it (the incremental and shard-cache property
 * tests hold kept writes equal to fresh ones, byte for byte).
 */
export class RowRenderCache {
  /** Namespace → options → its state. */
  private readonly states = new Map<string, Map<string, ShardState>>();
  /** Tables of masks (joined) → a number, so that rows look their rendering up by a number, not a long string. */
  private readonly tables = new Map<string, number>();
  private nextId = 1;
  /** Maps rendered whole that then did not fit their target (for the tests: a split map is not rendered whole for nothing). */
  wholeMisses = 0;

  state(namespace: string, options: string): ShardState {
    let byOptions = this.states.get(namespace);
    if (!byOptions) this.states.set(namespace, (byOptions = new Map()));
    let state = byOptions.get(options);
    if (!state) byOptions.set(options, (state = new ShardState()));
    return state;
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

  /**
   * How many distinct masks the namespace's rows used at its last write (with the only options it was written with),
   * counted from the rows kept (for the tests: a fresh count of the same rows gives the same).
   */
  distinctMasks(namespace: string): number | undefined {
    const byOptions = this.states.get(namespace);
    if (byOptions === undefined || byOptions.size !== 1) return undefined;
    return [...byOptions.values()][0]!.distinct;
  }

  /** Drops what is kept for a namespace (it gets no map any more). */
  forget(namespace: string): void {
    this.states.delete(namespace);
  }

  /** The namespace's state when it was written with one set of options only. */
  onlyState(namespace: string): ShardState | undefined {
    const byOptions = this.states.get(namespace);
    return byOptions === undefined || byOptions.size !== 1 ? undefined : [...byOptions.values()][0];
  }
}

/**
 * For the tests: where the kept renderings of a namespace's last write (with the only options it was written with)
 * say their rows' JSON lies — each row's or chunk's users, and the range of each of its two slots (the text it is
 * taken from, the range's text and the character after it).
 */
export function keptRowRanges(cache: RowRenderCache, namespace: string): Array<{ users: readonly string[]; slots: Array<{ text: string; after: string; source: string }> }> | undefined {
  const state = cache.onlyState(namespace);
  if (state === undefined) return undefined;
  return state.ranges();
}

/**
 * One namespace's kept state for one set of shard options: the rows of the last write (sorted by first user, as a
 * map's rows are) with their renderings, how many of them use each mask, the units sorted by key and the rows they
 * were cut from, the shards last written, and the size of the last text.
 */
class ShardState {
  private rows: readonly MapRow[] = [];
  private renders: RowRender[] = [];
  /** Mask → how many rows of `rows` use it. */
  private readonly counts = new Map<string, number>();
  private table: string[] | undefined;
  /** The units of `unitRows` (cut for `unitsKey`), sorted by key. */
  private units: Unit[] | undefined;
  private unitRows: readonly MapRow[] = [];
  private unitRenders: RowRender[] = [];
  private unitsKey = '';
  /** Marks units dropped by one update of `units` (a number per update). */
  private generation = 0;
  /** The shards last written (their units and text). */
  shards: ShardRender[] | undefined;
  /** The last write was one ConfigMap. */
  lastSingle = false;

  /**
   * Forgets the units and the split shards (the map was written as one ConfigMap): cut again, as a fresh build would,
   * when it is split next.
   */
  dropUnits(): void {
    this.shards = undefined;
    if (this.units === undefined) return;
    for (const r of this.unitRenders) r.units = undefined;
    for (const r of this.renders) r.units = undefined;
    this.units = undefined;
    this.unitRows = [];
    this.unitRenders = [];
    this.unitsKey = '';
  }

  /**
   * The last write's rows (one ConfigMap) or units (split), each with the ranges its rendering points at (for the
   * tests: `keptRowRanges`).
   */
  ranges(): Array<{ users: readonly string[]; slots: Array<{ text: string; after: string; source: string }> }> {
    const out: Array<{ users: readonly string[]; slots: Array<{ text: string; after: string; source: string }> }> = [];
    const add = (row: MapRow, r: RowRender): void => {
      const slots = [];
      if (r.a !== undefined) slots.push({ text: r.a.text.slice(r.atA, r.atA + r.lenA), after: r.a.text.charAt(r.atA + r.lenA), source: r.a.text });
      const b = r.b;
      if (b !== undefined) slots.push({ text: b.src.text.slice(b.at, b.at + b.len), after: b.src.text.charAt(b.at + b.len), source: b.src.text });
      out.push({ users: row.users, slots });
    };
    if (this.lastSingle) this.rows.forEach((row, i) => add(row, this.renders[i]!));
    else for (const shard of this.shards ?? []) for (const u of shard.units) add(u.row, u.render!);
    return out;
  }

  /** Distinct masks the rows use. */
  get distinct(): number {
    return this.counts.size;
  }

  /**
   * The renderings of `rows` (sorted by first user): those of rows kept from the last call, new ones for the others;
   * the counts of masks follow. Rows are paired by a merge on their first users (which no other row has); in any
   * other order the counts are still exact (a row taken out and put back), only slower.
   */
  update(rows: readonly MapRow[]): RowRender[] {
    if (rows === this.rows) return this.renders;
    const before = this.rows;
    const renders = this.renders;
    const out = new Array<RowRender>(rows.length);
    const counts = this.counts;
    const count = (row: MapRow, by: number): void => {
      for (const m of masksOf(row)) {
        const n = (counts.get(m) ?? 0) + by;
        if (n > 0) counts.set(m, n);
        else counts.delete(m);
      }
    };
    let moved = false;
    pairRows(before, rows, {
      same: (a, b) => void (out[b] = renders[a]!),
      gone: (a) => {
        count(before[a]!, -1);
        moved = true;
      },
      added: (b) => {
        const render = newRender();
        count(rows[b]!, 1);
        moved = true;
        out[b] = render;
      },
    });
    if (moved) this.table = undefined;
    this.rows = rows;
    this.renders = out;
    return out;
  }

  /** The masks of the rows, in table order (shorter first, then by text). */
  sets(): string[] {
    return (this.table ??= [...this.counts.keys()].sort(byMask));
  }

  /**
   * The rows' units for a limit, sorted by key: kept from the last call where the rows are the same objects (and
   * the limit and reference width the same); the units of rows that changed are taken out and those of the new rows
   * (cut again from their previous version's, `previousRow`) merged in. The same list as cutting every row and
   * sorting, keys being unique (a user is in one row, a chunk's first user in one chunk per part).
   */
  sortedUnits(map: NamespaceMap, limit: number): readonly Unit[] {
    const refDigits = String(Math.max(0, this.counts.size - 1)).length;
    const key = `${limit}/${refDigits}`;
    const rows = this.rows;
    const renders = this.renders;
    if (this.units !== undefined && this.unitsKey === key) {
      if (this.unitRows === rows) return this.units;
      // Rows gone since (their units marked) and rows new (their units cut), by a merge on first users.
      const mark = ++this.generation;
      const before = this.unitRows;
      const beforeRenders = this.unitRenders;
      const gone = new Map<MapRow, RowRender>();
      const added: RowRender[] = [];
      const newRows: MapRow[] = [];
      pairRows(before, rows, {
        same: () => undefined,
        gone: (a) => {
          const render = beforeRenders[a]!;
          gone.set(before[a]!, render);
          for (const u of unitsOf(render)) u.dropped = mark;
        },
        added: (b) => {
          added.push(renders[b]!);
          newRows.push(rows[b]!);
        },
      });
      const fresh: Unit[] = [];
      added.forEach((render, i) => {
        for (const u of this.cut(map, newRows[i]!, render, limit, refDigits, key, gone)) {
          // A chunk kept from the row's previous version is still in the list: not dropped, not added again.
          if (u.dropped === mark) u.dropped = 0;
          else fresh.push(u);
        }
      });
      fresh.sort(byKey);
      mergeUnits(this.units, mark, fresh);
    } else {
      // Every row cut again for this key: no rendering keeps units cut for another (a rendering's units are for
      // `unitsKey`). A cut that throws half way leaves units on the renderings cut before it, and `this.units`
      // undefined: the next `sortedUnits` clears them all first.
      this.units = undefined;
      for (const r of this.unitRenders) r.units = undefined;
      for (const r of renders) r.units = undefined;
      const all: Unit[] = [];
      rows.forEach((row, i) => {
        for (const u of this.cut(map, row, renders[i]!, limit, refDigits, key, undefined)) all.push(u);
      });
      this.units = all.sort(byKey);
      this.unitsKey = key;
    }
    this.unitRows = rows;
    this.unitRenders = renders;
    return this.units;
  }

  /**
   * A row's units for `key` (the state's `unitsKey`: a rendering's units are cut for it), cut now unless its rendering
   * has them (a row's previous version's chunks reused).
   */
  private cut(map: NamespaceMap, row: MapRow, render: RowRender, limit: number, refDigits: number, key: string, gone: Map<MapRow, RowRender> | undefined): readonly Unit[] {
    if (render.units !== undefined) return unitsOf(render);
    const previous = gone === undefined ? undefined : previousRow(row);
    const last = previous === undefined ? undefined : gone!.get(previous);
    const before = last?.units !== undefined ? unitsOf(last) : undefined;
    const sameContent = previous !== undefined && previous.organization === row.organization && previous.defaults === row.defaults && sameEntities(previous, row);
    const units = unitsOfRow(map, row, render, limit, refDigits, sameContent ? before : undefined, sameContent && before !== undefined ? rowMoves(row) : undefined);
    render.units = units.length === 1 ? units[0]! : units;
    return units;
  }
}

/**
 * Two lists sorted by key → one, in `a` (in place: a namespace's units are thousands, copied at each change they were
 * much of its garbage), without the units of `a` dropped by update `mark`.
 */
function mergeUnits(a: Unit[], mark: number, b: readonly Unit[]): void {
  let k = 0;
  for (let i = 0; i < a.length; i++) if (a[i]!.dropped !== mark) a[k++] = a[i]!;
  const n = k + b.length;
  if (a.length > n) a.length = n;
  while (a.length < n) a.push(b[0]!);
  // From the back: each unit lands at or after where it is read from.
  let i = k - 1;
  let j = b.length - 1;
  for (let w = n - 1; j >= 0; w--) a[w] = i >= 0 && byKey(b[j]!, a[i]!) < 0 ? a[i--]! : b[j--]!;
}

const byMask = (a: string, b: string): number => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);

interface ShardRender {
  units: readonly Unit[];
  /** Its ConfigMap's name, key, text, bytes and hash (for its place in the shards: states are per map name). */
  rendered: RenderedShard;
}

/**
 * A row's rendering. Its JSON against the last two tables of masks (their ids: a map rendered whole, then split) is
 * not kept as a string of its own but as where it lies in the last shard text rendered with that table (`a`, the
 * text and its table, from `atA`, `lenA` characters; the table before in `b`, an object of its own made only when a
 * row is rendered against a second table): the shard texts are kept anyway (the last write's ConfigMaps), so a row's
 * bytes are held once, not twice. Each render of a shard points its rows at the new text, so an older text is not
 * kept alive by them. The row's masks are not kept: read from its content when counted (`masksOf`), a few entries per
 * row.
 */
interface RowRender {
  /** The text (and its table) the row was last rendered into: one object per text, shared by its rows (where a table id and a text per rendering took 16 bytes). */
  a: RenderSource | undefined;
  atA: number;
  lenA: number;
  b: RenderSlot | undefined;
  /**
   * The row cut into units, for the limit and mask-reference width of its state's units (`ShardState.unitsKey`: when
   * that changes every rendering's units are dropped; a key per rendering took 8 bytes): one unit as itself (most rows
   * are one unit, and an array of one took ~56 bytes), several as an array (`unitsOf`).
   */
  units: Unit[] | Unit | undefined;
}

/** A rendering's units (`RowRender.units`, kept for its state's `unitsKey`) as a list. */
function unitsOf(render: RowRender): readonly Unit[] {
  const units = render.units!;
  return Array.isArray(units) ? units : [units];
}

/** A shard text rendered against a table of masks (its id: `RowRenderCache.tableId`); `text` set once it is made. */
interface RenderSource {
  readonly table: number;
  text: string;
}

/** Where a row's JSON against a table lies in a text rendered with it. */
interface RenderSlot {
  src: RenderSource;
  at: number;
  len: number;
}

function newRender(): RowRender {
  return { a: undefined, atA: 0, lenA: 0, b: undefined, units: undefined };
}

/** `masksOf`'s set, reused from row to row. */
const rowMasks = new Set<string>();
const addRowMask = (mask: string): void => void rowMasks.add(mask);

/**
 * The distinct masks a row uses (a kept row's read from its flat entities without reading kinds and names), in a set
 * reused by the next call (read it before): not a `Set` made per row (a first write counts every row's).
 */
function masksOf(row: MapRow): ReadonlySet<string> {
  rowMasks.clear();
  if (row.organization !== undefined) rowMasks.add(row.organization);
  for (const kind in row.defaults) rowMasks.add(row.defaults[kind]!);
  if (row instanceof KeptRow) {
    if (row.flat !== undefined) forEachFlatMask(row.flat, addRowMask);
  } else forEachEntity(row, (_kind, _name, mask) => addRowMask(mask));
  return rowMasks;
}

/**
 * A split shard's table: the distinct masks of its units (each unit's, `Unit.masks`, made when it was cut: the rows'
 * entities are not read again at each render), in table order.
 */
function shardTable(units: readonly Unit[]): string[] {
  const masks = new Set<string>();
  let last: string | readonly string[] | undefined;
  for (const u of units) {
    // Chunks of one part share their masks (and rows of one mask the string): consecutive ones added once.
    if (u.masks === last) continue;
    last = u.masks;
    if (typeof last === 'string') masks.add(last);
    else for (const mask of last) masks.add(mask);
  }
  return [...masks].sort(byMask);
}

/**
 * Bytes of a row's users (JSON, a comma each): from its units when it has some (its first part's units hold every
 * user once, each unit its users' bytes), else counted (not kept per rendering: 8 bytes each; a row is counted when
 * it is new, then cut into units).
 */
function userBytesOf(render: RowRender, row: MapRow): number {
  const units = render.units;
  if (units !== undefined) {
    if (!Array.isArray(units)) return units.userBytes;
    let bytes = 0;
    for (const u of units) if (u.part === 0) bytes += u.userBytes;
    return bytes;
  }
  let bytes = 0;
  if (row instanceof KeptRow) {
    const { ids, table } = row;
    for (let i = 0; i < ids.length; i++) bytes += table.jsonBytesOf(ids[i]!) + 1;
  } else for (const user of row.users) bytes += jsonBytes(user) + 1;
  return bytes;
}

/** A unit's rendering (a whole row's is the row's). */
function unitRender(u: Unit): RowRender {
  return (u.render ??= newRender());
}

/**
 * A shard document: its own table of the distinct masks its rows use (in numeric order), rows referring to it. The
 * text is `JSON.stringify` of the document, put together from each row's text (so that a kept row is not rendered
 * again). `sets`: the table, when known; `cache`: where table ids come from (none: rows rendered afresh).
 */
function renderShard(namespace: string, rows: readonly MapRow[], renders: readonly RowRender[], sets?: readonly string[], cache?: RowRenderCache): { text: string; bytes: number } {
  if (sets === undefined) {
    const masks = new Set<string>();
    for (const row of rows) for (const m of masksOf(row)) masks.add(m);
    sets = [...masks].sort(byMask);
  }
  const head = JSON.stringify({ format: SHARD_FORMAT, version: FORMAT_VERSION, namespace, sets });
  if (rows.length === 0) return text1(`${head.slice(0, -1)},"rows":[]}`);
  const prefix = `${head.slice(0, -1)},"rows":[`;
  const table = cache ? cache.tableId(sets.join(',')) : -1;
  let position: Map<string, number> | undefined;
  // This text, for the rows rendered now (its text set once made).
  const source: RenderSource = { table, text: '' };
  // Kept rows all rendered now (none from a text kept before: a namespace's first write): written as bytes
  // (shard-bytes.ts), when they can be.
  const bytes = table >= 0 && noneKept(renders, table) ? keptShardText(prefix, rows, (position = new Map(sets.map((m, j) => [m, j])))) : undefined;
  if (bytes !== undefined) {
    for (const render of renders) rendersNow(render, source);
    pointAt(source, bytes.text, prefix.length, renders, bytes.lengths, table);
    return { text: bytes.text, bytes: bytes.text.length };
  }
  // Each row's JSON: kept rows' from the text they were last rendered into (runs of rows adjacent there taken as one
  // piece, commas included), the others rendered now. `lengths`: each row's, to point the rows at the new text.
  const pieces: string[] = [];
  const lengths = table >= 0 ? new Array<number>(rows.length) : undefined;
  let runSrc: string | undefined;
  let runStart = 0;
  let runEnd = 0;
  for (let i = 0; i < rows.length; i++) {
    const render = renders[i]!;
    let src: string | undefined;
    let at = 0;
    let len = 0;
    if (table >= 0 && render.a !== undefined && render.a.table === table) {
      src = render.a.text;
      at = render.atA;
      len = render.lenA;
    } else if (table >= 0 && render.b !== undefined && render.b.src.table === table) {
      src = render.b.src.text;
      at = render.b.at;
      len = render.b.len;
    }
    if (src !== undefined) {
      if (lengths) lengths[i] = len;
      if (runSrc === src && runEnd + 1 === at) {
        runEnd = at + len;
        continue;
      }
      if (runSrc !== undefined) pieces.push(runSrc.slice(runStart, runEnd));
      runSrc = src;
      runStart = at;
      runEnd = at + len;
      continue;
    }
    if (runSrc !== undefined) pieces.push(runSrc.slice(runStart, runEnd));
    runSrc = undefined;
    position ??= new Map(sets.map((m, j) => [m, j]));
    const where = position;
    const done = rowText(rows[i]!, (m) => where.get(m)!);
    if (lengths) {
      lengths[i] = done.length;
      rendersNow(render, source);
    }
    pieces.push(done);
  }
  if (runSrc !== undefined) pieces.push(runSrc.slice(runStart, runEnd));
  // One string built in one go (a template around a join would be flattened again by byteLength and the hash).
  pieces[0] = prefix + pieces[0]!;
  pieces[pieces.length - 1] += ']}';
  const text = pieces.length === 1 ? flat(pieces[0]!) : pieces.join(',');
  if (lengths) pointAt(source, text, prefix.length, renders, lengths, table);
  return text1(text);
}

/** Whether no rendering holds a row's text against this table (every row is rendered now). */
function noneKept(renders: readonly RowRender[], table: number): boolean {
  for (const render of renders) if ((render.a !== undefined && render.a.table === table) || (render.b !== undefined && render.b.src.table === table)) return false;
  return true;
}

/** A row rendered now into `source`: its slot `a`, the other one (`b`) keeping its rendering against the table before. */
function rendersNow(render: RowRender, source: RenderSource): void {
  if (render.a === undefined) render.b = undefined;
  else if (render.b === undefined) render.b = { src: render.a, at: render.atA, len: render.lenA };
  else {
    render.b.src = render.a;
    render.b.at = render.atA;
    render.b.len = render.lenA;
  }
  render.a = source;
}

/**
 * Every row now points at `text` (for this table; its rows from `at` on, `lengths[i]` characters each and a comma
 * between), so that the texts it was taken from can go.
 */
function pointAt(source: RenderSource, text: string, at: number, renders: readonly RowRender[], lengths: readonly number[], table: number): void {
  source.text = text;
  for (let i = 0; i < renders.length; i++) {
    const render = renders[i]!;
    const len = lengths[i]!;
    if (render.a!.table === table) {
      render.a = source;
      render.atA = at;
      render.lenA = len;
    } else {
      render.b!.src = source;
      render.b!.at = at;
      render.b!.len = len;
    }
    at += len + 1;
  }
}

/**
 * A string flattened in place (V8 makes a string built piece by piece a rope; turning it into a number flattens it),
 * so that it holds its bytes once and every later slice, join and hash reads it in one go.
 */
function flat(text: string): string {
  Number(text);
  return text;
}

function text1(text: string): { text: string; bytes: number } {
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
  if (row instanceof KeptRow) {
    // Its entities flat (kept-users.ts's `readFlat`: kind by kind, names in key order).
    const flat = row.flat;
    if (flat !== undefined) {
      text += ',"entities":{';
      let firstKind = true;
      readFlat(flat, (kind, name, mask, j, n) => {
        if (j <= 0) {
          text += `${firstKind ? '' : ','}${JSON.stringify(kind)}:{`;
          firstKind = false;
        }
        if (j >= 0) text += `${j === 0 ? '' : ','}${JSON.stringify(name)}:${ref(mask)}`;
        if (j === n - 1 || j < 0) text += '}';
      });
      text += '}';
    }
  } else if (row.entities) {
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
  /** `fnv1a` of the key (`<first user>\0<part>`), as a signed 32-bit integer: where hashing places the unit (`>>> 0`). */
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
  /** The unit's rendering: its row's for a whole row, made when first rendered for a chunk. */
  render: RowRender | undefined;
  /** The update of a kept list of units that took it out (`ShardState.sortedUnits`). */
  dropped: number;
  /**
   * The distinct masks of its content (a part of its row's entries), in no order: what it adds to its shard's table
   * (`shardTable`). Made from the entries the cut reads anyway, once per content part (shared by the part's chunks);
   * one mask as itself, several as an array (most rows use one: an array each was 14 MiB at large).
   */
  masks: string | readonly string[];
}

/** A whole row; chunks: ended after a boundary user, before a user that did not fit, at the row's end. */
const WHOLE = 0;
const BOUNDARY = 1;
const FULL = 2;
const LAST = 3;
type ChunkEnd = typeof WHOLE | typeof BOUNDARY | typeof FULL | typeof LAST;

type Entry = { type: 'organization'; mask: string } | { type: 'default'; kind: string; mask: string } | { type: 'entity'; kind: string; name: string; mask: string };

/**
 * One row's units (depends on the row, the limit and the digits of a mask reference only): the row itself when it
 * fits the limit; else its content in parts, each with the row's users in chunks (`chunkUsers`). `before`: the units
 * of the row's previous version, whose chunks are reused where the users did not change (the result is the same);
 * `moves`: the users moved since that version, when known (only the chunks around them are cut again).
 */
function unitsOfRow(map: NamespaceMap, row: MapRow, render: RowRender, limit: number, refDigits: number, before?: readonly Unit[], moves?: RowMoves): Unit[] {
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
    if (skeleton + b > limit / 2) throw tooSmall(map, `an entry of ${firstUserOf(row)} takes ${b} bytes`);
    if (current.entries.length > 0 && current.bytes + b > limit / 2) {
      parts.push(current);
      current = { entries: [], bytes: skeleton };
    }
    current.entries.push(e);
    current.bytes += b;
  }
  parts.push(current);
  // Each user takes at least 4 bytes (`"x",`): a row with more users than a quarter of the limit does not fit.
  if (parts.length === 1 && userCountOf(row) * 4 <= limit) {
    const userBytes = userBytesOf(render, row);
    const whole = parts[0]!.bytes + userBytes;
    // The row is one unit: the row object itself (the same content as rebuilt from its entries), so that a render
    // cache finds it.
    const first = firstUserOf(row);
    if (whole <= limit) return [{ first, hash: keyHash(first, 0), row, bytes: whole, part: 0, userBytes, end: WHOLE, render, dropped: 0, masks: distinctMasks(parts[0]!.entries) }];
  }
  // Chunks are cut over user numbers: a kept row's own, or a fresh row's places in its list (`ListedUsers`).
  const kept = row instanceof KeptRow;
  const listed = kept ? undefined : new ListedUsers(row.users);
  const table: UserNumbers = kept ? row.table : listed!;
  const ids = kept ? row.ids : listed!.ids;
  const units: Unit[] = [];
  for (const [p, part] of parts.entries()) {
    const previous = before?.filter((u) => u.part === p && u.end !== WHOLE);
    const content = rowOf(part.entries);
    const masks = distinctMasks(part.entries);
    // A kept row's chunks share their part's flat entities.
    const keptContent: KeptContent | undefined = kept ? { ...(content.organization !== undefined ? { organization: content.organization } : {}), ...(content.defaults ? { defaults: content.defaults } : {}), flat: flatEntities(content.entities) } : undefined;
    for (const chunk of chunkUsers(ids, table, part.bytes, limit, previous ?? [], (user) => tooSmall(map, `user ${user} does not fit`), kept ? moves : undefined)) {
      if (chunk.unit) units.push(chunk.unit);
      else {
        const first = table.names[chunk.ids[0]!]!;
        const chunkRow = kept ? new KeptRow(chunk.ids, row.table, keptContent!) : { users: table.decode(chunk.ids), ...content };
        units.push({ first, hash: keyHash(first, p), row: chunkRow, bytes: part.bytes + chunk.userBytes, part: p, userBytes: chunk.userBytes, end: chunk.end, render: undefined, dropped: 0, masks });
      }
    }
  }
  return units;
}

/** Mask of `fnv1a(user)`: a user whose hash has these bits clear ends a chunk (chunks of about 128 users). */
const CHUNK_BOUNDARY_MASK = 127;

/**
 * A row's users (numbers in a table, in name order) cut into chunks, left to right: a chunk ends after a user whose
 * hash says so (a boundary user), before a user that would take it past `limit` (with `base`, the bytes of its
 * content), or at the end. So a user added or removed changes the chunk around it only, not every chunk after it (as
 * cutting by size alone would): the other chunks keep their users, their key (first user) and their shard.
 * `previous`: the units of the same part of the row before (kept rows of the same table); a chunk of it is reused
 * (`unit`) where the walk would cut the same users again. `moves`: the users added to and removed from the row
 * `previous` was cut from: then the chunks no move touches (`untouchedChunks`) are reused where the walk reaches
 * their start, without comparing their users, and the walk goes user by user only from a touched chunk to the next
 * untouched one it lands on — the work is the moves' and the chunks', not the row's users'. Without them, a
 * previous chunk starting at the same user is compared user by user.
 */
function chunkUsers(
  ids: UserIds,
  table: UserNumbers,
  base: number,
  limit: number,
  previous: readonly Unit[],
  tooBig: (user: string) => Error,
  moves?: RowMoves,
): Array<{ ids: UserIds; userBytes: number; end: ChunkEnd; unit?: Unit }> {
  const out: Array<{ ids: UserIds; userBytes: number; end: ChunkEnd; unit?: Unit }> = [];
  const n = ids.length;
  const starts = moves === undefined || previous.length === 0 ? undefined : untouchedChunks(n, table, previous, moves);
  let byFirst: Map<number, number> | undefined;
  if (starts === undefined) {
    previous.forEach((u, k) => {
      if (u.row instanceof KeptRow && u.row.table === table) (byFirst ??= new Map()).set(u.row.idAt(0), k);
    });
  }
  let next = 0;
  let i = 0;
  while (i < n) {
    if (starts !== undefined) {
      // The next untouched chunk not behind the walk: reused when the walk starts a chunk where it now starts (its
      // users are the same users there), and the reason it ended still holds.
      while (next < starts.length && starts[next]! < i) next++;
      if (next < starts.length && starts[next] === i) {
        const u = previous[next]!;
        const len = (u.row as KeptRow).size;
        if (endsThere(u, ids, i, len, base, limit, table)) {
          out.push({ ids: (u.row as KeptRow).ids, userBytes: u.userBytes, end: u.end, unit: u });
          i += len;
          next++;
          continue;
        }
      }
    }
    const k = byFirst?.get(ids[i]!);
    if (k !== undefined) {
      // The previous chunk starting here, if the walk would cut it again: the same users, and a reason to end there
      // (its last user is a boundary user; or the next user does not fit; or the row ends).
      const u = previous[k]!;
      const chunk = (u.row as KeptRow).ids;
      const len = chunk.length;
      let same = endsThere(u, ids, i, len, base, limit, table);
      for (let j = 0; same && j < len; j++) if (ids[i + j] !== chunk[j]) same = false;
      if (same) {
        out.push({ ids: chunk, userBytes: u.userBytes, end: u.end, unit: u });
        i += len;
        continue;
      }
    }
    const start = i;
    let bytes = 0;
    let end: ChunkEnd = LAST;
    while (i < n) {
      const id = ids[i]!;
      const b = table.jsonBytesOf(id) + 1;
      if (base + bytes + b > limit) {
        if (i === start) throw tooBig(table.names[id]!);
        end = FULL;
        break;
      }
      bytes += b;
      i++;
      if ((table.hashOf(id) & CHUNK_BOUNDARY_MASK) === 0) {
        end = BOUNDARY;
        break;
      }
    }
    out.push({ ids: ids.slice(start, i) as UserIds, userBytes: bytes, end });
  }
  return out;
}

/**
 * Whether a previous chunk `u` of `len` users, its users found at `i` of `ids`, ends where the walk would end it:
 * after a boundary user; or the next user does not fit; or the row ends there.
 */
function endsThere(u: Unit, ids: UserIds, i: number, len: number, base: number, limit: number, table: UserNumbers): boolean {
  const n = ids.length;
  if (i + len > n) return false;
  if (u.end === BOUNDARY) return true;
  if (i + len === n) return u.end === LAST;
  return u.end === FULL && base + u.userBytes + table.jsonBytesOf(ids[i + len]!) + 1 > limit;
}

/**
 * The previous chunks of a row (in order, together its users before `moves`) that no move touched, each as where it
 * starts in the row's users now (`ids`, `n` of them), -1 for a touched one; undefined when the chunks are not the
 * users before the moves (not kept chunks of this table, or not as many users). A chunk is touched when a user moved
 * in or out from its first user on up to the next chunk's first user (the last chunk: to the row's end; the first
 * chunk also by a user added before it): an untouched chunk has the same users now, from where it starts. (The user
 * after it may be another — the next chunk's first moved out, or a user added after it — which a chunk that ended
 * full depends on: `endsThere` checks that.) One merge of the moves (in name order) with the chunks' first users.
 */
function untouchedChunks(n: number, table: UserNumbers, previous: readonly Unit[], moves: RowMoves): Int32Array | undefined {
  const { added, removed } = moves;
  let total = 0;
  for (const u of previous) {
    if (!(u.row instanceof KeptRow) || u.row.table !== table) return undefined;
    total += u.row.size;
  }
  if (total + added.length - removed.length !== n) return undefined;
  const names = table.names;
  const m = previous.length;
  const touched = new Uint8Array(m);
  const starts = new Int32Array(m);
  let a = 0;
  let r = 0;
  let at = 0;
  for (let k = 0; k < m; k++) {
    const u = previous[k]!;
    const first = u.first;
    // Moves named before this chunk's first user fall in the chunk before (or, added before every user, the first).
    for (; a < added.length && names[added[a]!]! < first; a++) touched[Math.max(0, k - 1)] = 1;
    for (; r < removed.length && names[removed[r]!]! < first; r++) touched[Math.max(0, k - 1)] = 1;
    // Where it starts now: after the users before it, those moved in and out before it counted.
    starts[k] = at + a - r;
    at += (u.row as KeptRow).size;
  }
  // Moves after the last chunk's first user fall in it.
  if (a < added.length || r < removed.length) touched[m - 1] = 1;
  for (let k = 0; k < m; k++) if (touched[k]) starts[k] = -1;
  return starts;
}

function tooSmall(map: NamespaceMap, why: string): Error {
  return new Error(`Permission map of namespace ${map.namespace}: the ConfigMap budget is too small to split the map (${why})`);
}

function entriesOf(row: MapRow): Entry[] {
  const out: Entry[] = [];
  if (row.organization !== undefined) out.push({ type: 'organization', mask: row.organization });
  for (const [kind, mask] of Object.entries(row.defaults ?? {})) out.push({ type: 'default', kind, mask });
  forEachEntity(row, (kind, name, mask) => out.push({ type: 'entity', kind, name, mask }));
  return out;
}

/** The distinct masks of entries (`Unit.masks`: one as itself). */
function distinctMasks(entries: readonly Entry[]): string | readonly string[] {
  const first = entries[0]?.mask;
  if (first !== undefined && entries.every((e) => e.mask === first)) return first;
  return [...new Set(entries.map((e) => e.mask))];
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

/** `fnv1a` of `<first>\0<part>`, without making the string, as a signed 32-bit integer. */
function keyHash(first: string, part: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < first.length; i++) h = Math.imul(h ^ first.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ 0, 0x01000193);
  const digits = String(part);
  for (let i = 0; i < digits.length; i++) h = Math.imul(h ^ digits.charCodeAt(i), 0x01000193);
  // Signed (a small integer, kept in the unit; unsigned, half of them took a heap number each): read as `>>> 0`.
  return h | 0;
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
  const most = Math.min(lower * 2 + 4, maxShards);
  if (most < lower) return undefined;
  // Each n is tried on the sizes alone; the buckets are filled for the n that fits only (each try filled its own
  // buckets, made for nothing when it did not fit: most of a change's garbage in the largest namespaces).
  const sizes = new Float64Array(most);
  const counts = new Int32Array(most);
  for (let n = lower; n <= most; n++) {
    sizes.fill(0);
    counts.fill(0);
    let fits = true;
    for (let k = 0; k < sorted.length; k++) {
      const u = sorted[k]!;
      const i = (u.hash >>> 0) % n;
      if ((sizes[i]! += u.bytes) > capacity) {
        fits = false;
        break;
      }
      counts[i]!++;
    }
    if (!fits) continue;
    const buckets: Unit[][] = [];
    for (let i = 0; i < n; i++) buckets.push(new Array<Unit>(counts[i]!));
    counts.fill(0);
    for (let k = 0; k < sorted.length; k++) {
      const u = sorted[k]!;
      const i = (u.hash >>> 0) % n;
      buckets[i]![counts[i]!++] = u;
    }
    return buckets;
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

/**
 * For the tests of the chunk reuse: `after` (sorted users) cut into chunks for a row of `base` bytes of content and
 * a `limit`, once afresh, once from the chunks of `before` cut the same way (as a kept row's next version is cut
 * from its previous one's), and once from those chunks told the users moved between `before` and `after` (as a
 * kept row's next version is cut when its moves are known, `rowMoves`); the three cuts, and how many chunks the
 * second and the third took from the first cut of `before`.
 */
export function chunkCuts(before: readonly string[], after: readonly string[], base: number, limit: number): { fresh: string[][]; reused: string[][]; kept: number; moved: string[][]; keptMoved: number } {
  const tooBig = (user: string): Error => new Error(`user ${user} does not fit`);
  const table = new UserTable();
  const asUnits = (users: readonly string[]): Unit[] =>
    chunkUsers(table.encode(users), table, base, limit, [], tooBig).map((c) => ({ first: table.names[c.ids[0]!]!, hash: 0, row: new KeptRow(c.ids, table, {}), bytes: base + c.userBytes, part: 0, userBytes: c.userBytes, end: c.end, render: undefined, dropped: 0, masks: [] }));
  const previous = asUnits(before);
  const fresh = chunkUsers(table.encode(after), table, base, limit, [], tooBig);
  const reused = chunkUsers(table.encode(after), table, base, limit, previous, tooBig);
  const was = new Set(before);
  const is = new Set(after);
  const moves = { added: [...table.encode(after.filter((user) => !was.has(user)))], removed: [...table.encode(before.filter((user) => !is.has(user)))] };
  const moved = chunkUsers(table.encode(after), table, base, limit, previous, tooBig, moves);
  const names = (cut: ReturnType<typeof chunkUsers>): string[][] => cut.map((c) => table.decode(c.ids));
  return { fresh: names(fresh), reused: names(reused), kept: reused.filter((c) => c.unit !== undefined).length, moved: names(moved), keptMoved: moved.filter((c) => c.unit !== undefined).length };
}

/**
 * Walks two row lists sorted by first user (which no other row of a list has) in one merge: a row in both (the same
 * object) is `same`, one only in `before` is `gone`, one only in `rows` is `added`, each with its index.
 */
function pairRows(
  before: readonly MapRow[],
  rows: readonly MapRow[],
  on: { same(a: number, b: number): void; gone(a: number): void; added(b: number): void },
): void {
  let a = 0;
  let b = 0;
  while (a < before.length || b < rows.length) {
    const x = before[a];
    const y = rows[b];
    if (x === y) on.same(a++, b++);
    else if (y === undefined || (x !== undefined && firstUserOf(x) <= firstUserOf(y))) on.gone(a++);
    else on.added(b++);
  }
}
