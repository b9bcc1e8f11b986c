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
 * Sets are hexadecimal bitmasks over the map's own right list, so that a reader needs no catalog. A namespace's rows
 * share their `defaults` objects (and, in a fresh build, their per-kind `entities` objects) where these are equal
 * (`SharedParts`); kept rows hold their entities flat (kept-users.ts's `FlatEntities`). Rows are read, never changed
 * in place.
 * `shard.ts` turns this into the ConfigMaps the operator writes.
 */
import type { Engine, RightsClass } from '../engine/engine.ts';
import { EMPTY, type RightSetId } from '../engine/right-sets.ts';
import { isArrayIndex, KeptRow, lengthCode, newIds, UserSlots, UserTable, type FlatEntities, type KeptContent, type PackedIds, type UserIds } from './kept-users.ts';

/** Users sharing the same rights; sets are masks over `NamespaceMap.rights`. Its objects may be other rows' too: read only. */
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
  const { classes, order } = engine.namespaceClassesInOrder(namespace);
  rows.addClasses(classes, order);
  return rows.toMap();
}

/** Not tracking (a fresh build): a row's entry, beside the row it publishes. */
interface RowEntry {
  /** The row's content; its `users` are set when the map is made (`toMap`). */
  content: Omit<MapRow, 'users'>;
  /** Its content's hash (`keyOf`): its key in the namespace's rows. */
  key: number;
  /** Its slot in the namespace's rows. */
  slot: number;
  /** The users' names, sorted once a full build has collected them (`NamespaceRows.unsorted`). */
  names: string[];
  count: number;
  /** The row as last published; undefined once its users changed. */
  row: MapRow | undefined;
}

/**
 * Tracking (kept rows): a row's entry and the row it publishes in one object (where an entry of ~96 bytes and a
 * `KeptRow` of ~72 were two). A published row is never changed: when its users change it stays what it was (the
 * previous version, `previousRow` of the next), and the next `toMap` publishes a new `KeptEntry` in its place (in the
 * rows by key, by slot and in row order), so that renderers' caches, which pair rows by identity, miss. An entry not
 * yet published (no users: nothing has read it) is published in place (`publishFirst`): a namespace's first rows are
 * made once. States: not yet published (no users), published (no moves pending), moves pending (in
 * `NamespaceRows.pending`: its `ids` are still the published users), gone (`count` 0: its last user moved out).
 */
class KeptEntry extends KeptRow {
  /** Its content's hash (`keyOf`): its key in the namespace's rows. */
  readonly key: number;
  /** Its slot in the namespace's rows (what the users' index points at). */
  readonly slot: number;
  /** Its users once the pending moves are applied. */
  count = 0;

  constructor(ids: UserIds | PackedIds, table: UserTable, content: Omit<MapRow, 'users'> | KeptContent, key: number, slot: number) {
    super(ids, table, content);
    this.key = key;
    this.slot = slot;
  }

  /** Publishes a never-published entry's first users in place (`KeptRow.fillUsers`: throws when it has users). */
  publishFirst(ids: UserIds): void {
    this.fillUsers(ids);
  }
}

/**
 * Users (numbers) moved in and out of a row since its `ids` were published (`added`, `removed`: in name order,
 * disjoint, `removed` ⊆ `ids`): applied in one pass when the row is next published (`settle`), so that a row of 26,000
 * users is copied once per refresh, not once per move.
 */
interface PendingMoves {
  added: number[];
  removed: number[];
}

type Entry = RowEntry | KeptEntry;

/**
 * A namespace's rows: users grouped by published content. Built from the engine's rights classes (classes whose
 * published content is the same share a row); when kept (`track`), it also knows each user's row, so that a user's
 * new class (`Engine.userClassIn`) moves the user between rows (`move`) without rebuilding the others, and it holds
 * users as numbers (kept-users.ts): its rows are `KeptRow`s, whose names are decoded only when read or rendered. A
 * row whose users did not change keeps its `MapRow` object from one `toMap` to the next.
 */
export class NamespaceRows {
  readonly namespace: string;
  /** The owner the rows were computed with (a new owner changes every member's rows: rebuild). */
  readonly owner: string | undefined;
  private readonly engine: Engine;
  private readonly masks: MaskWriter;
  /** The covered kinds, each to its one string (`MaskWriter.covered`). */
  private readonly covered: ReadonlyMap<string, string>;
  private readonly adminSets = new Map<string, RightSetId>();
  private readonly orgKind: RightSetId;
  /**
   * Entities of covered kinds, numbered in the order met (rows sort them by kind and name when written): their kinds
   * (the covered kinds' own strings, not a copy per entity) and names, in two arrays (where an object per entity and
   * its kind's copy took ~70 bytes).
   */
  private readonly entityIndex = new Map<string, number>();
  private readonly entityList: EntityList = { kinds: [], names: [] };
  /**
   * The entries by their content's hash (`keyOf`; the content is compared on a hit, `sameContent`): an open-addressing
   * table of slots (`bySlot`), slot + 1 in an `Int32Array` (0: empty), linear probing from the hash, at most half full,
   * deleted without tombstones (the rest of the run moved back). (A `Map` of hash → entry, or entries when hashes
   * collide, took ~38 bytes a row on the heap; this takes 8 to 16 beside it. Before that, a key string per row, ~40.)
   */
  private index = new Int32Array(8);
  private indexed = 0;
  /** Entries given users by `addClasses` (sorted and merged when the rows are next sorted). */
  private readonly unsorted = new Map<Entry, string[][]>();
  /** The rows' defaults (and, not tracking, per-kind entity objects), one per distinct content (`SharedParts`). */
  private readonly shared = new SharedParts();
  /**
   * Only when tracking: the users' numbers (shared by the kept maps of one engine), each user's row slot (`UserSlots`:
   * 8 bytes per (namespace, user) in typed arrays, where a `Map` took about 50 and arrays of names and keys 16; at
   * large 11.6 M such pairs), built when the rows are first sorted (`sortedRows`), and the rows by slot.
   */
  private readonly track: boolean;
  private readonly table: UserTable | undefined;
  private userSlots: UserSlots | undefined;
  /** The entries by slot (what `index` and, tracking, the users' index point at). */
  private readonly bySlot: Array<Entry | undefined> = [];
  private readonly freeSlots: number[] = [];
  private readonly kept: number[] = [];
  /** The rows as last sorted by `toMap`; dropped whenever a row changes. */
  private sorted: MapRow[] | undefined;
  /**
   * The entries in row order as of the last `toMap` (undefined: sort them all), their rows (when tracking, the same
   * array: a `KeptEntry` is its row), and those changed since.
   */
  private order: Entry[] | undefined;
  private orderRows: MapRow[] = [];
  private readonly touched = new Set<KeptEntry>();
  /**
   * The touched rows' pending moves (`PendingMoves`), until they are published (where a field on every row, undefined
   * on most, took 8 bytes a row).
   */
  private readonly pending = new Map<KeptEntry, PendingMoves>();
  /** What `keyOf` left of the last class's content (one object, its fields set again by each `keyOf`). */
  private readonly content: { organization: RightSetId; defaults: Map<string, RightSetId> | undefined; flat: FlatEntities | undefined } = { organization: EMPTY, defaults: undefined, flat: undefined };

  /** `users`: the table numbering users when tracking (one per kept maps; a new one by default). */
  constructor(engine: Engine, namespace: string, masks: MaskWriter, track: boolean, users?: UserTable) {
    this.engine = engine;
    this.namespace = namespace;
    this.owner = engine.organizations.owner.get(namespace);
    this.masks = masks;
    this.covered = masks.covered;
    this.orgKind = engine.sets.kindRights('Organization');
    this.track = track;
    this.table = track ? (users ?? new UserTable()) : undefined;
  }

  /** Users in some row. */
  userCount = 0;

  /**
   * Adds classes (of users in no row yet): what a full build does. `order`, when given: the class of each of their
   * users in name order (`Engine.namespaceClassesInOrder`), by which the users of a row given several of these
   * classes are put in name order here, in one pass, instead of merged by comparing names when the rows are sorted.
   */
  addClasses(classes: readonly RightsClass[], order?: Int32Array): void {
    // Entries first given users by this call, when `order` is given, and each class's entry.
    const firstHere: Entry[] = [];
    const entryOf = order !== undefined ? new Array<Entry | undefined>(classes.length) : undefined;
    for (let i = 0; i < classes.length; i++) {
      const c = classes[i]!;
      const key = this.keyOf(c);
      if (key === undefined) continue;
      const entry = this.entry(key);
      const lists = this.unsorted.get(entry);
      if (lists) lists.push(c.users);
      else {
        this.unsorted.set(entry, [c.users]);
        if (entryOf !== undefined) firstHere.push(entry);
      }
      if (entryOf !== undefined) entryOf[i] = entry;
      entry.count += c.users.length;
      if (!(entry instanceof KeptEntry)) entry.row = undefined;
      this.sorted = undefined;
      this.order = undefined;
      this.userCount += c.users.length;
    }
    if (entryOf !== undefined) this.fillInOrder(classes, order!, entryOf, firstHere);
  }

  /**
   * Adds a namespace's classes to kept rows that hold none yet (what `IncrementalMaps` does at a namespace's first
   * map): as `addClasses` with `order`, but each row's users are numbered and placed in name order in one pass over
   * the walk (`walkIds[i]`: the engine's number of the i-th user, `UserTable.idOfWalked`), and the users' index
   * (`UserSlots`) is made from that pass, without sorting when the numbers ascend (a table numbered in name order).
   */
  addKeptClasses(classes: readonly RightsClass[], order: Int32Array, walkIds: Int32Array): void {
    if (!this.track || this.bySlot.length > 0) {
      this.addClasses(classes, order);
      return;
    }
    const table = this.table!;
    const entryOf = new Array<KeptEntry | undefined>(classes.length);
    let users = 0;
    // Each row's (entity, set) pairs as made, for the classes that find it after (`sameContent`).
    // Dropped when the pass ends, also by a throw: a later call starts with none.
    this.made = { pairs: new Int32Array(64), from: new Int32Array(64), rows: 0 };
    try {
      for (let i = 0; i < classes.length; i++) {
        const c = classes[i]!;
        const key = this.keyOf(c);
        if (key === undefined) continue;
        const entry = this.entry(key) as KeptEntry;
        entryOf[i] = entry;
        entry.count += c.users.length;
        users += c.users.length;
      }
    } finally {
      this.made = undefined;
    }
    // Each class's row's users (by class: no look-up per user), filled up to `filledTo[slot]`.
    const filled = new Map<KeptEntry, UserIds>();
    const idsOf = new Array<UserIds | undefined>(classes.length);
    for (let i = 0; i < classes.length; i++) {
      const entry = entryOf[i];
      if (entry === undefined) continue;
      let entryIds = filled.get(entry);
      if (entryIds === undefined) filled.set(entry, (entryIds = newIds(entry.count)));
      idsOf[i] = entryIds;
    }
    // Walk numbers met before are read here, without the name (a table takes walk numbers from one engine only).
    let fromWalk = table.walkNumbers();
    const filledTo = new Int32Array(this.bySlot.length);
    const next = new Int32Array(classes.length);
    const ids = new Int32Array(users);
    const slots = new Int32Array(users);
    // The rows in the order their first users come in the walk: by first user's name, what `sortedRows` sorts by.
    const inOrder: KeptEntry[] = [];
    let k = 0;
    let ascending = true;
    let last = -1;
    for (let i = 0; i < order.length; i++) {
      const c = order[i]!;
      const at = next[c]!++;
      const entryIds = idsOf[c];
      if (entryIds === undefined) continue;
      const slot = entryOf[c]!.slot;
      const w = walkIds[i]!;
      let id = w < fromWalk.length ? fromWalk[w]! : -1;
      if (id < 0) {
        id = table.idOfWalked(w, classes[c]!.users[at]!);
        fromWalk = table.walkNumbers(); // (grown)
      }
      const f = filledTo[slot]!++;
      if (f === 0) inOrder.push(entryOf[c]!);
      entryIds[f] = id;
      if (!(id > last)) ascending = false;
      last = ids[k] = id;
      slots[k++] = slot;
    }
    if (k !== users) throw new Error(`NamespaceRows of ${this.namespace}: the order given does not hold the classes' users`);
    for (const [entry, entryIds] of filled) {
      if (filledTo[entry.slot] !== entry.count) throw new Error(`NamespaceRows of ${this.namespace}: the order given does not hold the classes' users`);
      this.walked.set(entry, entryIds);
    }
    this.walkedSlots = ascending ? new UserSlots(ids, slots) : UserSlots.of(ids, slots);
    this.walkedOrder = inOrder;
    this.userCount += users;
    this.sorted = undefined;
    this.order = undefined;
  }

  /** Rows' users numbered by `addKeptClasses` (published at the next sort), and its users' index. */
  private readonly walked = new Map<KeptEntry, UserIds>();
  private walkedSlots: UserSlots | undefined;
  /** The rows `addKeptClasses` made, by first user's name (the walk's order): `sortedRows` then needs no sort. */
  private walkedOrder: KeptEntry[] | undefined;
  /**
   * While `addKeptClasses` makes a namespace's first rows: each row's (entity, set) pairs (`keyOf`'s `kept`), row
   * `slot`'s at `pairs[from[slot], from[slot + 1])`, so that a class finding a row made before is compared by numbers,
   * not by making its flat entities (`sameContent`); dropped once the rows are made.
   */
  private made: { pairs: Int32Array; from: Int32Array; rows: number } | undefined;

  /**
   * The users of each entry given several of these classes (and none before them), in name order: the classes'
   * users read in `order`, each class's from where it was left (its users are in name order too).
   */
  private fillInOrder(classes: readonly RightsClass[], order: Int32Array, entryOf: ReadonlyArray<Entry | undefined>, firstHere: readonly Entry[]): void {
    const filled = new Map<Entry, { names: string[]; at: number }>();
    for (const entry of firstHere) {
      const lists = this.unsorted.get(entry)!;
      if (lists.length < 2) continue;
      let n = 0;
      for (const list of lists) n += list.length;
      filled.set(entry, { names: new Array<string>(n), at: 0 });
    }
    if (filled.size === 0) return;
    const into = entryOf.map((entry) => (entry === undefined ? undefined : filled.get(entry)));
    const next = new Int32Array(classes.length);
    for (let i = 0; i < order.length; i++) {
      const c = order[i]!;
      const target = into[c];
      if (target !== undefined) target.names[target.at++] = classes[c]!.users[next[c]!++]!;
    }
    for (const [entry, { names, at }] of filled) {
      if (at !== names.length) throw new Error(`NamespaceRows of ${this.namespace}: the order given does not hold the classes' users`);
      this.unsorted.set(entry, [names]);
    }
  }

  /** Puts a user in the row of its class now (none: in no row); true when it moved. Needs tracking. */
  move(user: string, c: RightsClass | undefined): boolean {
    if (!this.track) throw new Error('NamespaceRows.move needs tracking');
    if (this.userSlots === undefined) this.sortedRows();
    const userSlots = this.userSlots!;
    const names = this.table!.names;
    const id = this.table!.idOf(user);
    const key = c === undefined ? undefined : this.keyOf(c);
    const slot = userSlots.get(id);
    const before = slot < 0 ? undefined : (this.bySlot[slot] as KeptEntry);
    if (before === undefined ? key === undefined : key !== undefined && this.find(key) === before) return false;
    this.sorted = undefined;
    if (before !== undefined) {
      this.touched.add(before);
      if (--before.count === 0) {
        this.unlink(before);
        this.bySlot[before.slot] = undefined;
        this.freeSlots.push(before.slot);
        this.shared.release(before);
      } else {
        // Moved in since it was made: taken back out of `added`; else noted as removed. (A published row's users
        // stay as they are: a new row is published in its place.)
        const pending = this.pendingOf(before);
        if (!takeOut(pending.added, id, names)) putIn(pending.removed, id, names);
      }
      userSlots.delete(id);
      this.userCount--;
    }
    if (key !== undefined) {
      const entry = this.entry(key) as KeptEntry;
      this.touched.add(entry);
      entry.count++;
      const pending = this.pendingOf(entry);
      if (!takeOut(pending.removed, id, names)) putIn(pending.added, id, names);
      userSlots.set(id, entry.slot);
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
      kinds,
      admins: masks.adminsOf(adminKinds, adminKinds.map((k) => this.adminSet(k))),
      rows: (this.sorted ??= this.sortedRows()),
    };
  }

  /** Rows by first user: all sorted after a build; after moves, only the rows that changed are put in place. */
  private sortedRows(): MapRow[] {
    let order = this.order;
    if (order === undefined) {
      order = [];
      const table = this.table;
      // Rows all made by `addKeptClasses` (none added since): in the walk's order, already by first user.
      const walkedOrder = this.walkedOrder;
      const inWalk = walkedOrder !== undefined && this.unsorted.size === 0 && this.freeSlots.length === 0 && walkedOrder.length === this.bySlot.length ? walkedOrder : undefined;
      this.walkedOrder = undefined;
      for (const entry of inWalk ?? this.entries()) {
        const lists = this.unsorted.get(entry);
        if (entry instanceof KeptEntry) {
          let ids: UserIds | undefined = this.walked.get(entry);
          if (ids !== undefined && lists) throw new Error(`NamespaceRows of ${this.namespace}: users added to a row both walked and not`);
          if (lists) ids = table!.encode(sortedUnion(entry.size === 0 ? lists : [table!.decode(entry.ids), ...lists], true));
          // Published and placed in row order, its users unchanged since: kept as it is.
          const current = entry.size > 0 && !this.pending.has(entry);
          order.push(current && ids === undefined ? entry : this.publish(entry, ids));
        } else {
          if (lists) {
            entry.names = sortedUnion(entry.names.length === 0 ? lists : [entry.names, ...lists], true);
            entry.row = undefined;
          }
          entry.row ??= { users: entry.names, ...entry.content };
          order.push(entry);
        }
      }
      // The walk's users' index holds every row's users when no other users were added since.
      const walkedSlots = this.unsorted.size === 0 ? this.walkedSlots : undefined;
      this.walked.clear();
      this.walkedSlots = undefined;
      this.unsorted.clear();
      const first = (entry: Entry): string => (entry instanceof KeptEntry ? entry.first : entry.names[0]!);
      if (inWalk === undefined) order.sort((a, b) => (first(a) < first(b) ? -1 : 1));
      if (table !== undefined && walkedSlots !== undefined) this.userSlots = walkedSlots;
      else if (table !== undefined) {
        let pairs = 0;
        for (const entry of order as KeptEntry[]) pairs += entry.size;
        const ids = new Int32Array(pairs);
        const slots = new Int32Array(pairs);
        let k = 0;
        for (const entry of order as KeptEntry[]) {
          const users = entry.ids;
          ids.set(users, k);
          slots.fill(entry.slot, k, k + users.length);
          k += users.length;
        }
        this.userSlots = UserSlots.of(ids, slots);
      }
      this.orderRows = table !== undefined ? (order as KeptEntry[]) : order.map((entry) => (entry instanceof KeptEntry ? entry : entry.row!));
    } else if (this.touched.size > 0) {
      // Only the entries that changed are taken out (found by the first user they were placed by) and put back (by
      // their first user now), in a copy (the entries are the rows: tracking): a caller compares the rows array by
      // identity.
      order = order.slice();
      // A published entry is placed by its first user (its users do not change: a new entry replaces it).
      const where = (first: string): number => {
        let lo = 0;
        let hi = order!.length;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if ((order![mid] as KeptEntry).first < first) lo = mid + 1;
          else hi = mid;
        }
        return lo;
      };
      for (const entry of this.touched) {
        if (entry.size === 0) continue;
        const at = where(entry.first);
        if (order[at] !== entry) throw new Error(`NamespaceRows of ${this.namespace}: a row is not where it was placed`);
        order.splice(at, 1);
      }
      for (const entry of this.touched) {
        if (entry.count === 0) continue;
        const row = this.publish(entry, undefined);
        const at = where(row.first);
        order.splice(at, 0, row);
      }
      this.orderRows = order as KeptEntry[];
    }
    this.touched.clear();
    this.pending.clear();
    this.order = order;
    return this.orderRows;
  }

  private entry(key: number): Entry {
    let entry = this.find(key);
    if (!entry) {
      const { organization, defaults } = this.content;
      const content = rowOf(organization, defaults, this.kept, this.entityList, this.masks, this.shared, this.track);
      const slot = this.freeSlots.pop() ?? this.bySlot.length;
      if (this.track) entry = new KeptEntry(NO_IDS, this.table!, content, key, slot);
      else entry = { content: content as Omit<MapRow, 'users'>, key, slot, names: NO_NAMES, count: 0, row: undefined };
      this.bySlot[slot] = entry;
      this.link(key, slot);
      if (this.made !== undefined) this.noteMade(slot);
    }
    return entry;
  }

  /** Notes the pairs of the row just made in `slot` (`made`; rows made out of slot order: no longer noted). */
  private noteMade(slot: number): void {
    let made = this.made!;
    if (slot !== made.rows) {
      this.made = undefined;
      return;
    }
    const kept = this.kept;
    let at = made.from[slot]!;
    if (slot + 2 > made.from.length) {
      const from = new Int32Array(2 * made.from.length);
      from.set(made.from);
      made.from = from;
    }
    if (at + kept.length > made.pairs.length) {
      const pairs = new Int32Array(Math.max(2 * made.pairs.length, at + kept.length));
      pairs.set(made.pairs.subarray(0, at));
      made.pairs = pairs;
    }
    for (let j = 0; j < kept.length; j++) made.pairs[at++] = kept[j]!;
    made.from[slot + 1] = at;
    made.rows = slot + 1;
  }

  /** The entry of this hash whose content is the one `keyOf` left in `content` and `kept`. */
  private find(key: number): Entry | undefined {
    const index = this.index;
    const mask = index.length - 1;
    for (let i = key & mask; index[i] !== 0; i = (i + 1) & mask) {
      const entry = this.bySlot[index[i]! - 1]!;
      if (entry.key === key && this.sameContent(entry)) return entry;
    }
    return undefined;
  }

  /** Puts a slot in the index under its entry's hash (the index grown to twice its size when it would be more than half full). */
  private link(key: number, slot: number): void {
    if (2 * (this.indexed + 1) > this.index.length) {
      const old = this.index;
      this.index = new Int32Array(old.length * 2);
      this.indexed = 0;
      for (const at of old) if (at !== 0) this.link(this.bySlot[at - 1]!.key, at - 1);
    }
    const index = this.index;
    const mask = index.length - 1;
    let i = key & mask;
    while (index[i] !== 0) i = (i + 1) & mask;
    index[i] = slot + 1;
    this.indexed++;
  }

  /** Puts `next` where `entry` is in the rows (same hash, same slot: the index is unchanged). */
  private replace(entry: Entry, next: Entry): void {
    this.bySlot[entry.slot] = next;
  }

  /**
   * Takes `entry` out of the index (its slot is still its own: the caller frees it): each later slot of the run that
   * its home allows is moved back into the hole, so that no run is left open.
   */
  private unlink(entry: Entry): void {
    const index = this.index;
    const mask = index.length - 1;
    let i = entry.key & mask;
    while (index[i] !== entry.slot + 1) {
      if (index[i] === 0) throw new Error(`NamespaceRows of ${this.namespace}: a row is not in the index`);
      i = (i + 1) & mask;
    }
    for (let j = (i + 1) & mask; index[j] !== 0; j = (j + 1) & mask) {
      const home = this.bySlot[index[j]! - 1]!.key & mask;
      if (i <= j ? i < home && home <= j : i < home || home <= j) continue;
      index[i] = index[j]!;
      i = j;
    }
    index[i] = 0;
    this.indexed--;
  }

  private *entries(): Iterable<Entry> {
    for (const entry of this.bySlot) if (entry !== undefined) yield entry;
  }

  /**
   * Whether an entry's content is the one `keyOf` left in `content` and `kept` (masks of the same sets: a set, cut to
   * a kind's rights, has one mask).
   */
  private sameContent(entry: Entry): boolean {
    const row: Omit<MapRow, 'users'> = entry instanceof KeptEntry ? entry : entry.content;
    const content = this.content;
    const { organization, defaults } = content;
    const masks = this.masks;
    if (row.organization !== (organization === EMPTY ? undefined : masks.mask(organization))) return false;
    if (defaults === undefined ? row.defaults !== undefined : row.defaults === undefined) return false;
    if (defaults !== undefined) {
      let n = 0;
      for (const kind in row.defaults) n++;
      if (n !== defaults.size) return false;
      for (const [kind, set] of defaults) if (!Object.hasOwn(row.defaults!, kind) || row.defaults![kind] !== masks.mask(set)) return false;
    }
    const kept = this.kept;
    if (entry instanceof KeptEntry) {
      // Flat entities: compared with this content's (strings), made flat once per `keyOf`.
      const flat = entry.flat;
      if (kept.length === 0 || flat === undefined) return kept.length === 0 && flat === undefined;
      // A row made by this `addKeptClasses`: the same (entity, set) pairs are the same flat entities (equal pairs
      // only: pairs that differ may still write the same, and are compared as strings).
      const made = this.made;
      if (made !== undefined && entry.slot < made.rows) {
        const from = made.from[entry.slot]!;
        if (made.from[entry.slot + 1]! - from === kept.length) {
          const pairs = made.pairs;
          let j = 0;
          while (j < kept.length && pairs[from + j] === kept[j]) j++;
          if (j === kept.length) return true;
        }
      }
      return (content.flat ??= flatOf(kept, this.entityList, masks)) === flat;
    }
    if (kept.length === 0) return row.entities === undefined;
    if (row.entities === undefined) return false;
    let n = 0;
    for (const kind in row.entities) for (const _ in row.entities[kind]) n++;
    if (n !== kept.length / 2) return false;
    const { kinds, names: entityNames } = this.entityList;
    for (let j = 0; j < kept.length; j += 2) {
      const kind = kinds[kept[j]!]!;
      const name = entityNames[kept[j]!]!;
      const names = Object.hasOwn(row.entities, kind) ? row.entities[kind]! : undefined;
      if (names === undefined || !Object.hasOwn(names, name) || names[name] !== masks.mask(kept[j + 1]!)) return false;
    }
    return true;
  }

  /**
   * Publishes a tracked entry's users now (`ids`, or its pending moves applied: `settle`): an entry never published
   * gets them in place; a published one is replaced by a new entry (by key and by slot), whose previous version
   * (`previousRow`) it is, with the moves between them when known. The caller puts the result in row order.
   */
  private publish(entry: KeptEntry, ids: UserIds | undefined): KeptEntry {
    const table = this.table!;
    const settled = ids === undefined ? settle(entry, this.pending.get(entry), table) : undefined;
    if (ids !== undefined && this.pending.has(entry)) throw new Error(`NamespaceRows of ${this.namespace}: users added to a row with moves pending`);
    if (entry.size === 0) {
      // Never published (made without users, read by nothing yet): its users given in place, not a second entry
      // made (every row of a namespace's first write was made twice).
      entry.publishFirst(ids ?? settled?.ids ?? NO_IDS);
      return entry;
    }
    const row = new KeptEntry(ids ?? settled?.ids ?? entry.packed, table, entry, entry.key, entry.slot);
    row.count = entry.count;
    this.replace(entry, row);
    this.bySlot[entry.slot] = row;
    let moves: RowMoves | undefined;
    if (settled !== undefined) moves = { added: settled.added, removed: settled.removed };
    else if (ids === undefined) moves = NO_MOVES;
    previousRows.delete(entry);
    previousRows.set(row, { row: entry, moves });
    return row;
  }

  /** The row's pending moves (none yet: made). */
  private pendingOf(entry: KeptEntry): PendingMoves {
    let pending = this.pending.get(entry);
    if (pending === undefined) this.pending.set(entry, (pending = { added: [], removed: [] }));
    return pending;
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
      const own = this.covered.get(kind);
      i = own !== undefined ? this.entityList.names.push(name) - 1 : -1;
      if (own !== undefined) this.entityList.kinds.push(own);
      this.entityIndex.set(key, i);
    }
    return i;
  }

  /**
   * The published content of a class, as a hash (of its right-set ids, entities in index order), leaving its parts in
   * `content` and `kept` for `entry` and `sameContent`; undefined when it publishes nothing. Entries a reader finds anyway are dropped.
   */
  private keyOf(c: RightsClass): number | undefined {
    const sets = this.engine.sets;
    const part = this.defaultsPart(c.defaults, c.admin);
    const content = this.content;
    content.organization = EMPTY;
    content.defaults = part.defaults;
    content.flat = undefined;
    const set = sets.intersect(c.organization, this.orgKind);
    if (set !== EMPTY && !(c.admin && sets.isSubset(set, this.adminSet('Organization')))) content.organization = set;
    const kept = this.kept;
    kept.length = 0;
    for (const [key, rights] of c.entities) {
      const i = this.indexOf(key);
      if (i < 0) continue;
      const kind = this.entityList.kinds[i]!;
      const masked = sets.intersect(rights, sets.kindRights(kind));
      if (masked === EMPTY || sets.isSubset(masked, part.known.get(kind) ?? EMPTY)) continue;
      kept.push(i, masked);
    }
    if (content.organization === EMPTY && content.defaults === undefined && kept.length === 0) return undefined;
    if (kept.length > 2) sortPairs(kept);
    // FNV-1a over the defaults' kinds (sorted) and sets (`defaultsPart`), the organization's set id and the (entity,
    // set) pairs: the same content hashes the same (not kept as a string; a hit is compared, `sameContent`).
    let h = mix(mix(part.hash, content.organization), -2);
    for (const v of kept) h = mix(h, v);
    return (h >>> 2) & hashMask;
  }

  /**
   * What a class with these ownership defaults (the engine's one object per owner and mask) publishes of them: the
   * kinds covered, less what administrators hold (`admin`); the start of its hash; and per kind what a reader finds
   * anyway (defaults, and admin rights for an administrator), which its entity entries must exceed. Made once per
   * (defaults, admin) and kept by the `MaskWriter` (shared by the rows of every namespace), not made once per class.
   */
  private defaultsPart(defaults: ReadonlyMap<string, RightSetId>, admin: boolean): DefaultsPart {
    const all = this.masks.defaultsParts;
    let parts = all.get(defaults);
    if (parts === undefined) all.set(defaults, (parts = [undefined, undefined]));
    let part = parts[admin ? 1 : 0];
    if (part === undefined) {
      const sets = this.engine.sets;
      let kept: Map<string, RightSetId> | undefined;
      for (const [kind, rights] of defaults) {
        if (!this.covered.has(kind)) continue;
        const masked = sets.intersect(rights, sets.kindRights(kind));
        if (masked === EMPTY || (admin && sets.isSubset(masked, this.adminSet(kind)))) continue;
        (kept ??= new Map()).set(kind, masked);
      }
      let hash = 0x811c9dc5;
      if (kept) {
        for (const kind of [...kept.keys()].sort()) {
          for (let i = 0; i < kind.length; i++) hash = mix(hash, kind.charCodeAt(i));
          hash = mix(mix(hash, -1), kept.get(kind)!);
        }
      }
      const known = new Map<string, RightSetId>();
      for (const kind of this.covered.keys()) {
        let set = kept?.get(kind) ?? EMPTY;
        if (admin) set = sets.union(set, this.adminSet(kind));
        if (set !== EMPTY) known.set(kind, set);
      }
      part = parts[admin ? 1 : 0] = { defaults: kept, hash, known };
    }
    return part;
  }
}

/** A class's ownership defaults as its row publishes them (`NamespaceRows.defaultsPart`). */
interface DefaultsPart {
  /** Kind → the set published (covered kinds, not within the admin rights of an administrator); undefined: none. */
  readonly defaults: Map<string, RightSetId> | undefined;
  /** FNV-1a over the kinds (sorted) and sets of `defaults`. */
  readonly hash: number;
  /** Kind → what a reader of the row finds anyway on every entity of the kind. */
  readonly known: ReadonlyMap<string, RightSetId>;
}

/** One step of FNV-1a over 32-bit values. */
function mix(h: number, v: number): number {
  return Math.imul(h ^ v, 0x01000193);
}

/** The bits kept of a row's hash and of a shared part's (fewer for tests: hashes then collide). */
let hashMask = 0x3fffffff;

/** For tests: keeps only `bits` bits of the rows' and shared parts' hashes (so that most collide); 30 by default. */
export function setHashBits(bits: number): void {
  hashMask = bits >= 30 ? 0x3fffffff : (1 << bits) - 1;
}

/**
 * A kept row → the row its entry published before (one step back only: a row's link is dropped when a newer version
 * links to it, so that a chain of versions is never kept alive), and, when known, the users (numbers, in name order)
 * added to and removed from that row's users to make this row's (`RowMoves`).
 */
const previousRows = new WeakMap<MapRow, { row: MapRow; moves: RowMoves | undefined }>();

/** The users moved between a kept row's previous version and itself: numbers in their `UserTable`, in name order. */
export interface RowMoves {
  readonly added: readonly number[];
  readonly removed: readonly number[];
}

const NO_MOVES: RowMoves = { added: [], removed: [] };

/**
 * The row this row replaces (same content, other users), if both were published by the same kept rows: shard.ts
 * cuts a big row again from the previous version's cut. Undefined for rows of a fresh build.
 */
export function previousRow(row: MapRow): MapRow | undefined {
  return previousRows.get(row)?.row;
}

/**
 * The users moved between `previousRow(row)` and `row` (both `KeptRow`s of one table): shard.ts recuts only the
 * chunks around them. Undefined when not known (no previous row, or the row's users were made otherwise).
 */
export function rowMoves(row: MapRow): RowMoves | undefined {
  return previousRows.get(row)?.moves;
}

/**
 * Applies a row's pending moves to its users: one new array, the runs of users between moves copied whole (a
 * typed array's `set`), each move's place found by a binary search by name, so that the work beyond the copy is
 * the moves', not the row's (a row of 26,000 users was walked name by name). Returns the users then and the moves
 * applied (the users added and removed, in name order), or undefined when none was pending; the entry is not changed
 * (its users are a published row's: `NamespaceRows.publish` makes the row that has these).
 */
function settle(entry: KeptEntry, pending: PendingMoves | undefined, table: UserTable): Settled | undefined {
  const added = pending?.added ?? NONE;
  const removed = pending?.removed ?? NONE;
  if (added.length === 0 && removed.length === 0) return undefined;
  const names = table.names;
  const ids = entry.ids;
  const out = newIds(ids.length + added.length - removed.length);
  let from = 0;
  let k = 0;
  let a = 0;
  let r = 0;
  while (a < added.length || r < removed.length) {
    // Where the next added user goes (before the first user named after it) and where the next removed user is.
    const at = a < added.length ? placeByName(ids, names[added[a]!]!, names, from) : Infinity;
    const gone = r < removed.length ? placeByName(ids, names[removed[r]!]!, names, from) : Infinity;
    if (at <= gone) {
      k = copyRun(ids, from, at, out, k);
      out[k++] = added[a++]!;
      from = at;
    } else {
      if (ids[gone] !== removed[r]) break;
      k = copyRun(ids, from, gone, out, k);
      from = gone + 1;
      r++;
    }
  }
  k = copyRun(ids, from, ids.length, out, k);
  if (k !== out.length || r !== removed.length || a !== added.length) throw new Error('NamespaceRows: a row\'s pending moves do not match its users');
  return { ids: out, added, removed };
}

/** A row's pending moves as `settle` applied them to its users: the users then (`ids`). */
interface Settled extends RowMoves {
  ids: UserIds;
}

/** Copies `ids[start, end)` to `out` at `k`; returns where the copy ends in `out`. */
function copyRun(ids: UserIds, start: number, end: number, out: UserIds, k: number): number {
  if (end <= start) return k;
  if (ids instanceof Int32Array && out instanceof Int32Array) out.set(ids.subarray(start, end), k);
  else for (let i = start; i < end; i++) out[k + i - start] = ids[i]!;
  return k + end - start;
}

/** The first index from `from` on whose user is not named before `name` (users in name order): where it is or would go. */
function placeByName(ids: ArrayLike<number>, name: string, names: readonly string[], from = 0): number {
  let lo = from;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (names[ids[mid]!]! < name) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const NONE: readonly number[] = [];
const NO_NAMES: string[] = [];
const NO_IDS: UserIds = [];

/** Removes user `id` from a list in name order if it is there; true when it was. */
function takeOut(list: number[] | undefined, id: number, names: readonly string[]): boolean {
  if (list === undefined) return false;
  const at = placeByName(list, names[id]!, names);
  if (list[at] !== id) return false;
  list.splice(at, 1);
  return true;
}

/** Inserts user `id` in a list in name order. */
function putIn(list: number[], id: number, names: readonly string[]): void {
  list.splice(placeByName(list, names[id]!, names), 0, id);
}

/**
 * The users of these lists, sorted: the engine hands classes over with their users sorted (`RightsClass.users`), so
 * the lists are merged, which costs a comparison per user; a list that is not sorted is sorted first. (The default
 * `sort()` of strings costs several times a merge even on sorted input.) `sorted`: the lists are known sorted and
 * are never changed (rights classes' users, rows' users): not checked, and one list is returned as it is, not copied.
 */
export function sortedUnion(lists: readonly (readonly string[])[], sorted = false): string[] {
  if (sorted && lists.length === 1) return lists[0] as string[];
  let runs = sorted ? lists : lists.map((list) => (isSorted(list) ? list : [...list].sort()));
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

/** Sorts a flat array of (index, set) pairs by index (distinct): in place when they are few, which most are. */
function sortPairs(pairs: number[]): void {
  if (pairs.length <= 32) {
    for (let j = 2; j < pairs.length; j += 2) {
      const i = pairs[j]!;
      const set = pairs[j + 1]!;
      let k = j - 2;
      for (; k >= 0 && pairs[k]! > i; k -= 2) {
        pairs[k + 2] = pairs[k]!;
        pairs[k + 3] = pairs[k + 1]!;
      }
      pairs[k + 2] = i;
      pairs[k + 3] = set;
    }
    return;
  }
  const order: Array<[number, number]> = [];
  for (let j = 0; j < pairs.length; j += 2) order.push([pairs[j]!, pairs[j + 1]!]);
  order.sort((a, b) => a[0] - b[0]);
  order.forEach(([i, set], j) => ((pairs[2 * j] = i), (pairs[2 * j + 1] = set)));
}

/**
 * A namespace's rows' `defaults` and per-kind `entities` objects, one per distinct content (rows of a namespace
 * differ as a whole but share most of these: at small 35,388 per-kind entity objects hold 15,575 distinct contents,
 * 4,025 defaults 135; rows are never changed in place), counted so that the last row to let go of one drops it
 * (`release`). Not frozen: V8 gives a frozen dictionary-mode object a hidden class of its own (~80 bytes each).
 * The entity objects key by entity names, which differ from row to row: as ordinary objects each new name would be a
 * new hidden class (a transition from the empty object's; at medium that took a third of the maps' build), so they
 * are prototype-less (`Object.create(null)`), which V8 keeps in dictionary mode from the start: ~180 bytes with one
 * name, where a dictionary made by deleting two properties took ~280. Same keys, same order, same JSON. Kept rows
 * (tracking) share only their defaults here: their entities are flat strings of their own (~50 bytes for one entity).
 */
export class SharedParts {
  /**
   * An open-addressing table (linear probing, at most half full): slot i holds its object in `values[i]` and, in
   * `slots`, its hash + 1 at 2i (0: empty) and its count at 2i + 1. (A `Map` of hash → `{ value, refs, next }` took
   * ~90 bytes a part; this takes 8 on the heap and 8 beside it per slot.) Found by the FNV-1a hash of their key
   * (`partHash`: the keys are not kept), the content compared on a hit.
   */
  private values: Array<Readonly<Record<string, string>> | undefined> = new Array<undefined>(8).fill(undefined);
  private slots = new Int32Array(16);
  private count = 0;

  /**
   * The shared object holding these pairs (name → mask, sorted by name; `kind`: of an entities object, none:
   * defaults), made by `make` when none is held; counted once more.
   */
  get(kind: string | undefined, pairs: Pairs, make: () => Record<string, string>): Readonly<Record<string, string>> {
    const stored = partHash(kind, pairs) + 1;
    const mask = this.values.length - 1;
    const slots = this.slots;
    let i = (stored - 1) & mask;
    for (let h = slots[2 * i]!; h !== 0; i = (i + 1) & mask, h = slots[2 * i]!) {
      if (h === stored && holdsExactly(this.values[i]!, pairs)) {
        slots[2 * i + 1]!++;
        return this.values[i]!;
      }
    }
    const value = make();
    this.put(stored, value, 1);
    return value;
  }

  /** Lets go of one use of the row content's shared objects (its last user gone). */
  release(content: Omit<MapRow, 'users'>): void {
    if (content.defaults) this.drop(undefined, content.defaults);
    // A kept row's entities are its own (flat), not shared.
    if (content instanceof KeptRow) return;
    for (const kind in content.entities) this.drop(kind, content.entities[kind]!);
  }

  /** Distinct objects held (for the tests). */
  get size(): number {
    return this.count;
  }

  /** Puts a new object in the table (grown to twice its slots when it would be more than half full). */
  private put(stored: number, value: Readonly<Record<string, string>>, refs: number): void {
    if (2 * (this.count + 1) > this.values.length) {
      const values = this.values;
      const slots = this.slots;
      this.values = new Array<undefined>(values.length * 2).fill(undefined);
      this.slots = new Int32Array(slots.length * 2);
      this.count = 0;
      for (let i = 0; i < values.length; i++) if (slots[2 * i] !== 0) this.put(slots[2 * i]!, values[i]!, slots[2 * i + 1]!);
    }
    const mask = this.values.length - 1;
    let i = (stored - 1) & mask;
    while (this.slots[2 * i] !== 0) i = (i + 1) & mask;
    this.slots[2 * i] = stored;
    this.slots[2 * i + 1] = refs;
    this.values[i] = value;
    this.count++;
  }

  private drop(kind: string | undefined, value: Readonly<Record<string, string>>): void {
    // Sorted by name, as `rowOf` gives them: not the object's own order, which puts names that read as array indices
    // ("2", "10") first.
    const stored = partHash(kind, Object.keys(value).sort().map((name) => [name, value[name]!] as const)) + 1;
    const mask = this.values.length - 1;
    const slots = this.slots;
    let i = (stored - 1) & mask;
    while (slots[2 * i] !== 0 && this.values[i] !== value) i = (i + 1) & mask;
    if (slots[2 * i] === 0 || --slots[2 * i + 1]! > 0) return;
    this.count--;
    // Deleted without a tombstone: each later slot of the run that its home allows is moved back into the hole.
    for (let j = (i + 1) & mask; slots[2 * j] !== 0; j = (j + 1) & mask) {
      const home = (slots[2 * j]! - 1) & mask;
      if (i <= j ? i < home && home <= j : i < home || home <= j) continue;
      slots[2 * i] = slots[2 * j]!;
      slots[2 * i + 1] = slots[2 * j + 1]!;
      this.values[i] = this.values[j];
      i = j;
    }
    slots[2 * i] = 0;
    slots[2 * i + 1] = 0;
    this.values[i] = undefined;
  }
}

/** A shared object's content: (name, mask) pairs sorted by name. */
type Pairs = ReadonlyArray<readonly [string, string]>;

/**
 * The hash a part is found by: FNV-1a over the characters of `kind:name=mask,…`, read from the pairs without making
 * that string (a small integer: no number object for the map's key).
 */
function partHash(kind: string | undefined, pairs: Pairs): number {
  let h = 0x811c9dc5;
  if (kind !== undefined) h = Math.imul(mixText(h, kind) ^ 0x3a, 0x01000193); // ':'
  for (let j = 0; j < pairs.length; j++) {
    const [name, mask] = pairs[j]!;
    h = Math.imul(mixText(Math.imul(mixText(h, name) ^ 0x3d, 0x01000193), mask) ^ 0x2c, 0x01000193); // '=', ','
  }
  return ((h >>> 0) >>> 2) & hashMask;
}

/** FNV-1a steps over a string's characters. */
function mixText(h: number, text: string): number {
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h;
}

/** Whether the object holds these pairs and nothing else (own properties only). */
function holdsExactly(value: Readonly<Record<string, string>>, pairs: Pairs): boolean {
  if (Object.keys(value).length !== pairs.length) return false;
  for (const [name, mask] of pairs) if (!Object.hasOwn(value, name) || value[name] !== mask) return false;
  return true;
}

/**
 * A row's content: kinds and names sorted, sets as masks; its defaults (and, not tracking, its per-kind entity
 * objects) from `shared`; tracking, its entities flat (`KeptContent.flat`, `flatOf`).
 */
function rowOf(organization: RightSetId, defaults: ReadonlyMap<string, RightSetId> | undefined, kept: readonly number[], entityList: EntityList, masks: MaskWriter, shared: SharedParts, track: boolean): Omit<MapRow, 'users'> | KeptContent {
  const row: Omit<MapRow, 'users'> & KeptContent = {};
  if (organization !== EMPTY) row.organization = masks.mask(organization);
  if (defaults) {
    const pairs = [...defaults.keys()].sort().map((k) => [k, masks.mask(defaults.get(k)!)] as const);
    row.defaults = shared.get(undefined, pairs, () => Object.fromEntries(pairs)) as Record<string, string>;
  }
  if (kept.length > 0 && track) row.flat = flatOf(kept, entityList, masks);
  else if (kept.length > 0) {
    const byKind = entitiesByKind(kept, entityList, masks);
    row.entities = Object.fromEntries(
      [...byKind.keys()].sort().map((kind) => {
        const sorted = byKind.get(kind)!.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        return [
          kind,
          shared.get(kind, sorted, () => {
            const names: Record<string, string> = Object.create(null);
            for (const [name, mask] of sorted) names[name] = mask;
            return names;
          }),
        ];
      }),
    );
  }
  return row;
}

/** (entity index, set) pairs → kind → (name, mask) pairs, in the order met. */
function entitiesByKind(kept: readonly number[], entityList: EntityList, masks: MaskWriter): Map<string, Array<[string, string]>> {
  const byKind = new Map<string, Array<[string, string]>>();
  for (let j = 0; j < kept.length; j += 2) {
    const kind = entityList.kinds[kept[j]!]!;
    const name = entityList.names[kept[j]!]!;
    let names = byKind.get(kind);
    if (!names) byKind.set(kind, (names = []));
    names.push([name, masks.mask(kept[j + 1]!)]);
  }
  return byKind;
}

/**
 * (entity index, set) pairs as a kept row's flat entities (`FlatEntities`): kinds sorted, each kind's names in the
 * order the object of them a fresh build makes lists them (sorted, array indices first: `byFlatOrder`), so that both
 * write the same JSON.
 */
function flatOf(kept: readonly number[], entityList: EntityList, masks: MaskWriter): FlatEntities {
  return flatOfPairs(kept, entityList, (set) => masks.mask(set));
}

/** `flatOf`'s order of a row's entities, reused from row to row (places in the row's pairs). */
let flatOrder = new Int32Array(64);
/** `flatOf`'s pieces, reused from row to row. */
const flatPieces: string[] = [];

/**
 * `flatOf` with masks from `mask`: what `writeFlat` of the pairs grouped by kind (kinds sorted), each kind's names
 * sorted then put in an object's key order, gives — written from the pairs in that order (`byFlatOrder`), without
 * a `Map` of kinds, a pair array per entity or copies to sort (most of a first write's garbage in its rows).
 */
export function flatOfPairs(kept: readonly number[], entityList: EntityList, mask: (set: RightSetId) => string): FlatEntities {
  const n = kept.length >>> 1;
  const { kinds, names } = entityList;
  if (n > flatOrder.length) flatOrder = new Int32Array(Math.max(n, 2 * flatOrder.length));
  const order = flatOrder;
  // Pairs come in entity order: sorted here by kind, then names in key order; equal ones keep entity order (a stable
  // sort, as the grouping and `Array.prototype.sort` were).
  const before = (a: number, b: number): boolean => byFlatOrder(kinds[kept[2 * a]!]!, names[kept[2 * a]!]!, kinds[kept[2 * b]!]!, names[kept[2 * b]!]!) < 0;
  for (let i = 0; i < n; i++) {
    let j = i;
    if (n <= 32) for (; j > 0 && before(i, order[j - 1]!); j--) order[j] = order[j - 1]!;
    order[j] = i;
  }
  if (n > 32) {
    const sorted = Array.from(order.subarray(0, n)).sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
    order.set(sorted);
  }
  const pieces = flatPieces;
  pieces.length = 0;
  for (let i = 0; i < n; ) {
    const kind = kinds[kept[2 * order[i]!]!]!;
    let end = i + 1;
    while (end < n && kinds[kept[2 * order[end]!]!] === kind) end++;
    pieces.push(lengthCode(kind.length), kind, lengthCode(end - i));
    for (; i < end; i++) {
      const at = 2 * order[i]!;
      const name = names[kept[at]!]!;
      const m = mask(kept[at + 1]!);
      pieces.push(lengthCode(name.length), name, lengthCode(m.length), m);
    }
  }
  const flat = pieces.join('');
  pieces.length = 0;
  return flat;
}

/**
 * Kinds by text, then names in an object's key order: names that read as array indices first, by value, then the
 * others by text.
 */
function byFlatOrder(kindA: string, nameA: string, kindB: string, nameB: string): number {
  if (kindA !== kindB) return kindA < kindB ? -1 : 1;
  const indexA = isArrayIndex(nameA);
  const indexB = isArrayIndex(nameB);
  if (indexA !== indexB) return indexA ? -1 : 1;
  if (indexA) return Number(nameA) - Number(nameB);
  return nameA < nameB ? -1 : nameA > nameB ? 1 : 0;
}

/** A namespace's entities by number: entity i is `kinds[i]`/`names[i]`. */
export interface EntityList {
  readonly kinds: string[];
  readonly names: string[];
}

/** Right sets → hexadecimal masks over the rights of the covered kinds (namespaced kinds and Organization). */
export class MaskWriter {
  readonly rights: string[];
  readonly namespacedKinds: string[];
  /** The namespaced kinds, each to itself (one string per kind, and one map for every namespace's rows). */
  readonly covered: ReadonlyMap<string, string>;
  private readonly local: Int32Array;
  private readonly memo = new Map<RightSetId, string>();
  /**
   * Per ownership defaults (`RightsClass.defaults`, the engine's one object per owner and mask, let go when it lets
   * them go): their `NamespaceRows.defaultsPart` for a user, then for an administrator.
   */
  readonly defaultsParts = new WeakMap<ReadonlyMap<string, RightSetId>, Array<DefaultsPart | undefined>>();
  private readonly engine: Engine;
  private admins: string[] = [];

  constructor(engine: Engine) {
    this.engine = engine;
    const catalog = engine.catalog;
    this.namespacedKinds = [...catalog.kinds.values()].filter((k) => k.scope === 'Namespaced').map((k) => k.name).sort();
    this.covered = new Map(this.namespacedKinds.map((kind) => [kind, kind]));
    const covered = new Set<number>();
    for (const kind of [...this.namespacedKinds, 'Organization']) for (const i of catalog.kinds.get(kind)?.rights ?? []) covered.add(i);
    const indices = [...covered].sort((a, b) => a - b); // catalog indices ascend with the names
    this.rights = indices.map((i) => catalog.rights[i]!);
    this.local = new Int32Array(catalog.rights.length).fill(-1);
    indices.forEach((catalogIndex, localIndex) => (this.local[catalogIndex] = localIndex));
  }

  /**
   * The engine's administrators, sorted: the same array while they are the same users (every map lists them, and the
   * kept maps hold each namespace's last map: at large 100 names in each of 10,032 maps, 8 MiB as copies). Read only.
   */
  sortedAdmins(): string[] {
    const now = this.engine.admins;
    const last = this.admins;
    if (last.length !== now.size || !last.every((user) => now.has(user))) this.admins = [...now].sort();
    return this.admins;
  }

  /**
   * The administrators and their rights per kind (`kinds`, each with its set in `sets`), as a map lists them: the same
   * object for every map whose kinds and sets are the same while the administrators are the same users (every map
   * holds one, and the kept maps hold each namespace's last map; shard.ts writes its JSON once per object). Read only.
   */
  adminsOf(kinds: readonly string[], sets: readonly RightSetId[]): NamespaceMap['admins'] {
    const users = this.sortedAdmins();
    const key = `${kinds.join(',')}/${sets.join(',')}`;
    let admins = this.adminsByKey.get(key);
    if (admins === undefined || admins.users !== users) {
      admins = { users, rights: Object.fromEntries(kinds.map((k, i) => [k, this.mask(sets[i]!)])) };
      this.adminsByKey.set(key, admins);
    }
    return admins;
  }

  private readonly adminsByKey = new Map<string, NamespaceMap['admins']>();

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
