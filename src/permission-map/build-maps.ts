/**
 * The permission map of a namespace, from the engine: what every user holds on every entity of the namespace (named
 * by a grant or not) and on the Organization owning it. Pure: no I/O, the time is the engine's.
 *
 * Content, per user: defaults per kind (ownership), rights on the entities grants name, rights on the owning
 * Organization. The engine hands the users over in classes (namespace-classes.ts: users the same grant subjects
 * reach hold the same rights), so content is computed once per class; classes with identical content share one row
 * (the members of a big group usually do). Entries a
 * reader would find anyway are dropped: an entity entry within the user's default for its kind (or within what
 * administrators hold), an administrator's default or organization entry within the admin rights.
 * Sets are hexadecimal bitmasks over the map's own right list, so that a reader needs no catalog.
 * `shard.ts` turns this into the ConfigMaps the operator writes.
 */
import type { Engine, RightsClass } from '../engine/engine.ts';
import { EMPTY, type RightSetId } from '../engine/right-sets.ts';

/** Users sharing the same rights; sets are masks over `NamespaceMap.rights`. */
export interface MapRow {
  /** Sorted. */
  users: string[];
  /** Rights on `Organization/<organization>`. */
  organization?: string;
  /** Kind → rights on every entity of that kind in the namespace. */
  defaults?: Record<string, string>;
  /** Kind → entity name → rights on `Kind/<namespace>/<name>` (beyond the default). */
  entities?: Record<string, Record<string, string>>;
}

/** A namespace's permission map before it is split into ConfigMaps. */
export interface NamespaceMap {
  catalog: string;
  namespace: string;
  organization: string | undefined;
  /** Milliseconds since the epoch. */
  evaluatedAt: number;
  /** The earliest expiry of a grant this map depends on; undefined when none expires. */
  nextExpiry: number | undefined;
  /** Bit i of every mask is rights[i]: the concrete rights of the kinds covered, ascending. */
  rights: string[];
  /** The namespaced kinds covered (every entity of these kinds in the namespace). */
  kinds: string[];
  admins: { users: string[]; rights: Record<string, string> };
  /** Sorted by their first user. */
  rows: MapRow[];
  /** Set on a withheld map (no rows, no admins, nothing covered): why the rights are not published. */
  withheld?: { reason: string; message: string };
}

/** Builds the map of every namespace that gets one (`engine.mapNamespaces()`), keyed by namespace. */
export function buildPermissionMaps(engine: Engine): Map<string, NamespaceMap> {
  const masks = new MaskWriter(engine);
  const maps = new Map<string, NamespaceMap>();
  for (const ns of engine.mapNamespaces()) maps.set(ns, buildOne(engine, ns, masks));
  return maps;
}

/**
 * Builds the map of one namespace.
 * @example buildNamespaceMap(engine, 'acme').rows[0] // { users: ['bob'], defaults: { Application: '3fff' } }
 */
export function buildNamespaceMap(engine: Engine, namespace: string): NamespaceMap {
  return buildOne(engine, namespace, new MaskWriter(engine));
}

/**
 * The map a namespace gets when it has no map any more but workloads may still mount its ConfigMaps: it covers
 * nothing and grants nothing (every check false), so that a running reader drops the rights it had.
 * @example emptyNamespaceMap(engine, 'lab').rows // []
 */
export function emptyNamespaceMap(engine: Engine, namespace: string): NamespaceMap {
  return { catalog: engine.catalog.name, namespace, organization: undefined, evaluatedAt: engine.now, nextExpiry: undefined, rights: [], kinds: [], admins: { users: [], rights: {} }, rows: [] };
}

/** `map` with its rights withheld: the empty map, saying why. */
export function withheldMap(map: NamespaceMap, withheld: { reason: string; message: string }): NamespaceMap {
  return { catalog: map.catalog, namespace: map.namespace, organization: undefined, evaluatedAt: map.evaluatedAt, nextExpiry: undefined, rights: [], kinds: [], admins: { users: [], rights: {} }, rows: [], withheld };
}

function buildOne(engine: Engine, namespace: string, masks: MaskWriter): NamespaceMap {
  const rows = new NamespaceRows(engine, namespace, masks, false);
  rows.addClasses(engine.namespaceClasses(namespace));
  return rows.toMap();
}

interface RowEntry {
  /** The row's content; its `users` are set when the map is made (`toMap`). */
  content: Omit<MapRow, 'users'>;
  /**
   * Sorted, except while a full build collects them (then `unsorted`); as last published while moves are pending
   * (`added`, `removed`).
   */
  users: string[];
  unsorted: string[][] | undefined;
  /**
   * Users moved in and out since `users` was last made (sorted, disjoint, `removed` ⊆ `users`): applied in one pass
   * when the row is next published (`settle`), so that a row of 26,000 users is copied once per refresh, not twice
   * per move (at large, arrays of more than ~16,000 pointers are allocated apart, and each copy cost milliseconds).
   */
  added?: string[];
  removed?: string[];
  /** Its users once the pending moves are applied. */
  count: number;
  /** The row as last published; undefined once its users changed (a new object, so renderers' caches miss). */
  row: MapRow | undefined;
  /** The row published before its users changed (`previousRow` of the next one). */
  previous?: MapRow;
  /** Removed from the namespace (its last user moved out). */
  gone?: boolean;
  /** Its first user when it was last put in row order (where to find it there); undefined until then. */
  placed?: string;
}

/**
 * A namespace's rows: users grouped by published content. Built from the engine's rights classes (classes whose
 * published content is the same share a row); when kept (`track`), it also knows each user's row, so that a user's
 * new class (`Engine.userClassIn`) moves the user between rows (`move`) without rebuilding the others. A row whose
 * users did not change keeps its `MapRow` object from one `toMap` to the next.
 */
export class NamespaceRows {
  readonly namespace: string;
  /** The owner the rows were computed with (a new owner changes every member's rows: rebuild). */
  readonly owner: string | undefined;
  private readonly engine: Engine;
  private readonly masks: MaskWriter;
  private readonly covered: ReadonlySet<string>;
  private readonly adminSets = new Map<string, RightSetId>();
  private readonly orgKind: RightSetId;
  /** Entities of covered kinds, numbered in the order met (rows sort them by kind and name when written). */
  private readonly entityIndex = new Map<string, number>();
  private readonly entityList: Array<{ kind: string; name: string }> = [];
  private readonly rows = new Map<string, RowEntry>();
  /**
   * Only when tracking: every user in some row, sorted, and its row's key (`UserKeys`: flat arrays in blocks, about
   * 16 bytes per (namespace, user) where a `Map` took about 50: at medium 2 M such pairs). Built from the rows' sorted
   * users when they are first sorted (`sortedRows`); a move splices one block.
   */
  private readonly track: boolean;
  private userKeys: UserKeys | undefined;
  private readonly kept: number[] = [];
  /** The rows as last sorted by `toMap`; dropped whenever a row changes. */
  private sorted: MapRow[] | undefined;
  /** The entries in row order as of the last `toMap` (undefined: sort them all), their rows, and those changed since. */
  private order: RowEntry[] | undefined;
  private orderRows: MapRow[] = [];
  private readonly touched = new Set<RowEntry>();
  private content: { organization: RightSetId; defaults: Map<string, RightSetId> | undefined } = { organization: EMPTY, defaults: undefined };

  constructor(engine: Engine, namespace: string, masks: MaskWriter, track: boolean) {
    this.engine = engine;
    this.namespace = namespace;
    this.owner = engine.organizations.owner.get(namespace);
    this.masks = masks;
    this.covered = new Set(masks.namespacedKinds);
    this.orgKind = engine.sets.kindRights('Organization');
    this.track = track;
  }

  /** Users in some row. */
  userCount = 0;

  /** Adds classes (of users in no row yet): what a full build does. */
  addClasses(classes: Iterable<RightsClass>): void {
    for (const c of classes) {
      const key = this.keyOf(c);
      if (key === undefined) continue;
      const entry = this.entry(key);
      (entry.unsorted ??= []).push(c.users);
      entry.count += c.users.length;
      entry.row = undefined;
      this.sorted = undefined;
      this.order = undefined;
      this.userCount += c.users.length;
    }
  }

  /** Puts a user in the row of its class now (none: in no row); true when it moved. Needs tracking. */
  move(user: string, c: RightsClass | undefined): boolean {
    if (!this.track) throw new Error('NamespaceRows.move needs tracking');
    if (this.userKeys === undefined) this.sortedRows();
    const userKeys = this.userKeys!;
    const key = c === undefined ? undefined : this.keyOf(c);
    const before = userKeys.get(user);
    if (before === key) return false;
    this.sorted = undefined;
    if (before !== undefined) {
      const entry = this.rows.get(before)!;
      this.touched.add(entry);
      if (--entry.count === 0) {
        this.rows.delete(before);
        entry.gone = true;
      } else {
        // Moved in since it was made: taken back out of `added`; else noted as removed.
        if (!takeOut(entry.added, user)) putIn((entry.removed ??= []), user);
        if (entry.row) entry.previous = entry.row;
        entry.row = undefined;
      }
      userKeys.delete(user);
      this.userCount--;
    }
    if (key !== undefined) {
      const entry = this.entry(key);
      this.touched.add(entry);
      entry.count++;
      if (!takeOut(entry.removed, user)) putIn((entry.added ??= []), user);
      if (entry.row) entry.previous = entry.row;
      entry.row = undefined;
      userKeys.insert(user, key);
      this.userCount++;
    }
    return true;
  }

  /**
   * The namespace's map now: rows sorted by their first user, the header from the engine. While no row changed, the
   * same `rows` array (a caller may compare it by identity).
   */
  toMap(nextExpiry: number | undefined = this.engine.nextExpiryIn(this.namespace)): NamespaceMap {
    const engine = this.engine;
    const masks = this.masks;
    const kinds = masks.namespacedKinds;
    const adminKinds = this.owner === undefined ? kinds : [...kinds, 'Organization'].sort();
    return {
      catalog: engine.catalog.name,
      namespace: this.namespace,
      organization: this.owner,
      evaluatedAt: engine.now,
      nextExpiry,
      rights: masks.rights,
      kinds: [...kinds],
      admins: { users: [...engine.admins].sort(), rights: Object.fromEntries(adminKinds.map((k) => [k, masks.mask(this.adminSet(k))])) },
      rows: (this.sorted ??= this.sortedRows()),
    };
  }

  /** Rows by first user: all sorted after a build; after moves, only the rows that changed are put in place. */
  private sortedRows(): MapRow[] {
    let order = this.order;
    if (order === undefined) {
      order = [];
      for (const entry of this.rows.values()) {
        if (entry.unsorted) {
          entry.users = sortedUnion(entry.users.length === 0 ? entry.unsorted : [entry.users, ...entry.unsorted]);
          entry.unsorted = undefined;
        }
        settle(entry);
        order.push(entry);
      }
      order.sort((a, b) => (a.users[0]! < b.users[0]! ? -1 : 1));
      if (this.track) {
        const keyOf = new Map<RowEntry, string>();
        for (const [key, entry] of this.rows) keyOf.set(entry, key);
        const index = mergeWithKeys(order.map((entry) => ({ users: entry.users, key: keyOf.get(entry)! })));
        this.userKeys = new UserKeys(index.users, index.keys);
      }
      if (this.track) for (const entry of order) entry.placed = entry.users[0];
      this.orderRows = order.map((entry) => (entry.row ??= newRow(entry)));
    } else if (this.touched.size > 0) {
      // Only the entries that changed are taken out (found by the first user they were placed by) and put back (by
      // their first user now), in copies: a caller compares the rows array by identity.
      order = order.slice();
      const rows = this.orderRows.slice();
      const where = (first: string): number => {
        let lo = 0;
        let hi = order!.length;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (order![mid]!.placed! < first) lo = mid + 1;
          else hi = mid;
        }
        return lo;
      };
      for (const entry of this.touched) {
        if (entry.placed === undefined) continue;
        const at = where(entry.placed);
        if (order[at] !== entry) throw new Error(`NamespaceRows of ${this.namespace}: a row is not where it was placed`);
        order.splice(at, 1);
        rows.splice(at, 1);
        entry.placed = undefined;
      }
      for (const entry of this.touched) {
        if (entry.gone) continue;
        settle(entry);
        const first = entry.users[0]!;
        const at = where(first);
        entry.placed = first;
        order.splice(at, 0, entry);
        rows.splice(at, 0, (entry.row ??= newRow(entry)));
      }
      this.orderRows = rows;
    }
    this.touched.clear();
    this.order = order;
    return this.orderRows;
  }

  private entry(key: string): RowEntry {
    let entry = this.rows.get(key);
    if (!entry) {
      const { organization, defaults } = this.content;
      this.rows.set(key, (entry = { content: rowOf(organization, defaults, this.kept, this.entityList, this.masks), users: [], unsorted: undefined, count: 0, row: undefined, placed: undefined }));
    }
    return entry;
  }

  private adminSet(kind: string): RightSetId {
    let set = this.adminSets.get(kind);
    if (set === undefined) this.adminSets.set(kind, (set = kind === 'Organization' || this.covered.has(kind) ? this.engine.adminRightsOf(kind) : EMPTY));
    return set;
  }

  private indexOf(key: string): number {
    let i = this.entityIndex.get(key);
    if (i === undefined) {
      const [kind, , name] = key.split('/') as [string, string, string];
      i = this.covered.has(kind) ? this.entityList.push({ kind, name }) - 1 : -1;
      this.entityIndex.set(key, i);
    }
    return i;
  }

  /**
   * The published content of a class, as a key (right-set ids, entities in index order), leaving its parts in
   * `content` and `kept` for `entry`; undefined when it publishes nothing. Entries a reader finds anyway are dropped.
   */
  private keyOf(c: RightsClass): string | undefined {
    const sets = this.engine.sets;
    const content = (this.content = { organization: EMPTY, defaults: undefined as Map<string, RightSetId> | undefined });
    const set = sets.intersect(c.organization, this.orgKind);
    if (set !== EMPTY && !(c.admin && sets.isSubset(set, this.adminSet('Organization')))) content.organization = set;
    for (const [kind, rights] of c.defaults) {
      if (!this.covered.has(kind)) continue;
      const masked = sets.intersect(rights, sets.kindRights(kind));
      if (masked === EMPTY || (c.admin && sets.isSubset(masked, this.adminSet(kind)))) continue;
      (content.defaults ??= new Map()).set(kind, masked);
    }
    const kept = this.kept;
    kept.length = 0;
    for (const [key, rights] of c.entities) {
      const i = this.indexOf(key);
      if (i < 0) continue;
      const kind = this.entityList[i]!.kind;
      const masked = sets.intersect(rights, sets.kindRights(kind));
      let known = content.defaults?.get(kind) ?? EMPTY;
      if (c.admin) known = sets.union(known, this.adminSet(kind));
      if (masked === EMPTY || sets.isSubset(masked, known)) continue;
      kept.push(i, masked);
    }
    if (content.organization === EMPTY && content.defaults === undefined && kept.length === 0) return undefined;
    let key = `${content.organization}|`;
    if (content.defaults) for (const kind of [...content.defaults.keys()].sort()) key += `${kind}=${content.defaults.get(kind)},`;
    key += '|';
    if (kept.length > 2) sortPairs(kept);
    return key + kept.join(',');
  }
}

/**
 * A kept row → the row its entry published before (one step back only: a row's link is dropped when a newer version
 * links to it, so that a chain of versions is never kept alive).
 */
const previousRows = new WeakMap<MapRow, MapRow>();

/**
 * The row this row replaces (same content, other users), if both were published by the same kept rows: shard.ts
 * cuts a big row again from the previous version's cut. Undefined for rows of a fresh build.
 */
export function previousRow(row: MapRow): MapRow | undefined {
  return previousRows.get(row);
}

function newRow(entry: RowEntry): MapRow {
  const row = { users: entry.users, ...entry.content };
  if (entry.previous !== undefined) {
    previousRows.delete(entry.previous);
    previousRows.set(row, entry.previous);
    entry.previous = undefined;
  }
  return row;
}

/** Applies a row's pending moves to its users: one new array, in one pass over the old one. */
function settle(entry: RowEntry): void {
  const added = entry.added ?? NONE;
  const removed = entry.removed ?? NONE;
  if (added.length === 0 && removed.length === 0) return;
  const users = entry.users;
  const out = new Array<string>(users.length + added.length - removed.length);
  let i = 0;
  let a = 0;
  let r = 0;
  let k = 0;
  for (; i < users.length; i++) {
    const user = users[i]!;
    if (r < removed.length && removed[r] === user) {
      r++;
      continue;
    }
    while (a < added.length && added[a]! < user) out[k++] = added[a++]!;
    out[k++] = user;
  }
  while (a < added.length) out[k++] = added[a++]!;
  if (k !== out.length || r !== removed.length) throw new Error('NamespaceRows: a row\'s pending moves do not match its users');
  entry.users = out;
  entry.added = undefined;
  entry.removed = undefined;
}

const NONE: readonly string[] = [];

/** Removes `user` from a sorted list if it is there; true when it was. */
function takeOut(list: string[] | undefined, user: string): boolean {
  if (list === undefined) return false;
  const at = sortedIndex(list, user);
  if (list[at] !== user) return false;
  list.splice(at, 1);
  return true;
}

/** Inserts `user` in a sorted list. */
function putIn(list: string[], user: string): void {
  list.splice(sortedIndex(list, user), 0, user);
}

/**
 * Users (sorted) and each one's row key, in blocks of at most `USER_BLOCK` pairs (two flat arrays each): a move
 * shifts one block, not arrays of the namespace's size (at large, 26,000 users: shifting old-generation arrays of
 * pointers while the collector marks cost milliseconds per move).
 */
const USER_BLOCK = 512;
export class UserKeys {
  private readonly blocks: Array<{ users: string[]; keys: string[] }> = [];
  private readonly size: number;

  /** `users` sorted, `keys[i]` the key of `users[i]`; `size`: the most pairs a block holds (a test sets it small). */
  constructor(users: readonly string[], keys: readonly string[], size = USER_BLOCK) {
    this.size = size;
    const half = Math.max(1, size >>> 1);
    for (let i = 0; i < users.length; i += half) this.blocks.push({ users: users.slice(i, i + half), keys: keys.slice(i, i + half) });
  }

  /** Every (user, key), in order (for the tests). */
  entries(): Array<[string, string]> {
    return this.blocks.flatMap((b) => b.users.map((u, i): [string, string] => [u, b.keys[i]!]));
  }

  /** The block where `user` is or would go: the last whose first user is ≤ it (the first block if none). */
  private blockOf(user: string): number {
    const blocks = this.blocks;
    let lo = 0;
    let hi = blocks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (blocks[mid]!.users[0]! <= user) lo = mid + 1;
      else hi = mid;
    }
    return Math.max(0, lo - 1);
  }

  get(user: string): string | undefined {
    const block = this.blocks[this.blockOf(user)];
    if (block === undefined) return undefined;
    const at = sortedIndex(block.users, user);
    return block.users[at] === user ? block.keys[at] : undefined;
  }

  delete(user: string): void {
    const b = this.blockOf(user);
    const block = this.blocks[b]!;
    const at = sortedIndex(block.users, user);
    block.users.splice(at, 1);
    block.keys.splice(at, 1);
    if (block.users.length === 0) this.blocks.splice(b, 1);
  }

  /** Adds a user that is in no row. */
  insert(user: string, key: string): void {
    if (this.blocks.length === 0) {
      this.blocks.push({ users: [user], keys: [key] });
      return;
    }
    const b = this.blockOf(user);
    const block = this.blocks[b]!;
    const at = sortedIndex(block.users, user);
    block.users.splice(at, 0, user);
    block.keys.splice(at, 0, key);
    if (block.users.length > this.size) {
      const half = block.users.length >>> 1;
      this.blocks.splice(b + 1, 0, { users: block.users.splice(half), keys: block.keys.splice(half) });
    }
  }
}

/**
 * Sorted lists of users, each with one key → all the users, sorted, and each one's key (lists merged in pairs; no
 * user is in two lists).
 */
function mergeWithKeys(lists: ReadonlyArray<{ users: readonly string[]; key: string }>): { users: string[]; keys: string[] } {
  let runs = lists.map(({ users, key }) => ({ users: users as string[], keys: new Array<string>(users.length).fill(key) }));
  if (runs.length === 0) return { users: [], keys: [] };
  while (runs.length > 1) {
    const next: typeof runs = [];
    for (let r = 0; r + 1 < runs.length; r += 2) {
      const a = runs[r]!;
      const b = runs[r + 1]!;
      const users = new Array<string>(a.users.length + b.users.length);
      const keys = new Array<string>(users.length);
      let i = 0;
      let j = 0;
      let k = 0;
      while (i < a.users.length && j < b.users.length) {
        if (b.users[j]! < a.users[i]!) (keys[k] = b.keys[j]!), (users[k++] = b.users[j++]!);
        else (keys[k] = a.keys[i]!), (users[k++] = a.users[i++]!);
      }
      while (i < a.users.length) (keys[k] = a.keys[i]!), (users[k++] = a.users[i++]!);
      while (j < b.users.length) (keys[k] = b.keys[j]!), (users[k++] = b.users[j++]!);
      next.push({ users, keys });
    }
    if (runs.length % 2 === 1) next.push(runs[runs.length - 1]!);
    runs = next;
  }
  const only = runs[0]!;
  return { users: only.users.slice(), keys: only.keys };
}

/** Where `user` is or would go in a sorted list. */
function sortedIndex(users: readonly string[], user: string): number {
  let lo = 0;
  let hi = users.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (users[mid]! < user) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The users of these lists, sorted: the engine hands classes over with their users sorted (`RightsClass.users`), so
 * the lists are merged, which costs a comparison per user; a list that is not sorted is sorted first. (The default
 * `sort()` of strings costs several times a merge even on sorted input.)
 */
export function sortedUnion(lists: readonly (readonly string[])[]): string[] {
  let runs = lists.map((list) => (isSorted(list) ? list : [...list].sort()));
  if (runs.length === 1) return runs[0]!.slice();
  while (runs.length > 1) {
    const next: Array<readonly string[]> = [];
    for (let i = 0; i < runs.length; i += 2) next.push(i + 1 < runs.length ? merge(runs[i]!, runs[i + 1]!) : runs[i]!);
    runs = next;
  }
  return runs[0] as string[];
}

function isSorted(list: readonly string[]): boolean {
  for (let i = 1; i < list.length; i++) if (list[i]! < list[i - 1]!) return false;
  return true;
}

function merge(a: readonly string[], b: readonly string[]): string[] {
  const out = new Array<string>(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) out[k++] = b[j]! < a[i]! ? b[j++]! : a[i++]!;
  while (i < a.length) out[k++] = a[i++]!;
  while (j < b.length) out[k++] = b[j++]!;
  return out;
}

/** Sorts a flat array of (index, set) pairs by index. */
function sortPairs(pairs: number[]): void {
  const order: Array<[number, number]> = [];
  for (let j = 0; j < pairs.length; j += 2) order.push([pairs[j]!, pairs[j + 1]!]);
  order.sort((a, b) => a[0] - b[0]);
  order.forEach(([i, set], j) => ((pairs[2 * j] = i), (pairs[2 * j + 1] = set)));
}

/** A row's content: kinds and names sorted, sets as masks. */
function rowOf(organization: RightSetId, defaults: ReadonlyMap<string, RightSetId> | undefined, kept: readonly number[], entityList: ReadonlyArray<{ kind: string; name: string }>, masks: MaskWriter): Omit<MapRow, 'users'> {
  const row: Omit<MapRow, 'users'> = {};
  if (organization !== EMPTY) row.organization = masks.mask(organization);
  if (defaults) row.defaults = Object.fromEntries([...defaults.keys()].sort().map((k) => [k, masks.mask(defaults.get(k)!)]));
  if (kept.length > 0) {
    const byKind = new Map<string, Array<[string, string]>>();
    for (let j = 0; j < kept.length; j += 2) {
      const { kind, name } = entityList[kept[j]!]!;
      let names = byKind.get(kind);
      if (!names) byKind.set(kind, (names = []));
      names.push([name, masks.mask(kept[j + 1]!)]);
    }
    row.entities = Object.fromEntries(
      [...byKind.keys()].sort().map((kind) => {
        const names = dictionary();
        for (const [name, mask] of byKind.get(kind)!.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) names[name] = mask;
        return [kind, names];
      }),
    );
  }
  return row;
}

/**
 * An empty object in dictionary mode (V8 turns an object into one when a property other than its last is deleted).
 * Rows key objects by entity names, which differ from row to row: as ordinary objects each new name is a new hidden
 * class, a transition from the empty object's, and at medium the 180,000 entries of 120,000 rows took a third of the
 * maps' build in those transitions. Same keys, same order, same JSON.
 */
function dictionary(): Record<string, string> {
  const o: Record<string, string> = { a: '', b: '' };
  delete o.a;
  delete o.b;
  return o;
}

/** Right sets → hexadecimal masks over the rights of the covered kinds (namespaced kinds and Organization). */
export class MaskWriter {
  readonly rights: string[];
  readonly namespacedKinds: string[];
  private readonly local: Int32Array;
  private readonly memo = new Map<RightSetId, string>();
  private readonly engine: Engine;

  constructor(engine: Engine) {
    this.engine = engine;
    const catalog = engine.catalog;
    this.namespacedKinds = [...catalog.kinds.values()].filter((k) => k.scope === 'Namespaced').map((k) => k.name).sort();
    const covered = new Set<number>();
    for (const kind of [...this.namespacedKinds, 'Organization']) for (const i of catalog.kinds.get(kind)?.rights ?? []) covered.add(i);
    const indices = [...covered].sort((a, b) => a - b); // catalog indices ascend with the names
    this.rights = indices.map((i) => catalog.rights[i]!);
    this.local = new Int32Array(catalog.rights.length).fill(-1);
    indices.forEach((catalogIndex, localIndex) => (this.local[catalogIndex] = localIndex));
  }

  mask(set: RightSetId): string {
    let hex = this.memo.get(set);
    if (hex === undefined) {
      const nibbles = new Uint8Array(Math.ceil(this.rights.length / 4) || 1);
      for (const i of this.engine.sets.indices(set)) {
        const bit = this.local[i]!;
        if (bit < 0) continue; // a right of no covered kind (sets are already ∩ kindRights: defensive)
        nibbles[bit >>> 2]! |= 1 << (bit & 3);
      }
      let top = nibbles.length - 1;
      while (top > 0 && nibbles[top] === 0) top--;
      hex = '';
      for (let n = top; n >= 0; n--) hex += nibbles[n]!.toString(16);
      this.memo.set(set, hex);
    }
    return hex;
  }
}
