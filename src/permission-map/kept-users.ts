/**
 * Users as numbers in the kept permission maps (incremental-maps.ts keeps every namespace's rows between changes):
 * a table numbering each user once per kept maps (`UserTable`, which also holds each name's JSON bytes and hash, what
 * cutting a row into chunks reads per user), a kept row's users as an `Int32Array` of those numbers in the map's
 * users order (by name: `KeptRow`, names decoded only when a row is rendered or read as a `MapRow`), and a kept
 * namespace's users' index, user number → its row's slot, as two sorted `Int32Array`s (`UserSlots`).
 *
 * Why: at large the kept rows hold 11.6 M (namespace, user) pairs, each was a pointer in a row's users array and a
 * user and a key pointer in the index (24 bytes a pair, all pointers the collector marks at every major collection);
 * as numbers a pair is 4 bytes in a big row (8 in a small one) and 8 in the index, in arrays the collector does not
 * trace. Names are never forgotten by a table (a deleted user keeps its number: a few dozen bytes): a `UserTable` is
 * the engine's `NameIds` with the two per-user figures beside it.
 */
import { NameIds } from '../engine/name-id-set.ts';
import type { MapRow } from './build-maps.ts';

/**
 * A row's users as numbers: an `Int32Array` from `TYPED_FROM` users on, below that an array of small integers (V8
 * keeps them unboxed, nothing to mark either): a typed array is ~200 bytes of objects before its first element (the
 * view, its buffer and the buffer's bookkeeping), and at medium most of the 136,000 rows hold a handful of users.
 */
export type UserIds = Int32Array | number[];
const TYPED_FROM = 48;

/** Room for `n` user numbers (`UserIds`), to be filled in. */
export function newIds(n: number): UserIds {
  return n >= TYPED_FROM ? new Int32Array(n) : new Array<number>(n).fill(0);
}

/** Users numbered 0, 1, 2, … in the order first seen (the engine's `NameIds`); with each name's JSON bytes and `fnv1a` hash. */
export class UserTable extends NameIds {
  private bytes = new Int32Array(256);
  private hashes = new Uint32Array(256);

  /** The user's number, numbering it when new. */
  override idOf(name: string): number {
    const numbered = this.names.length;
    const id = super.idOf(name);
    if (id === numbered) {
      if (id >= this.bytes.length) {
        const bytes = new Int32Array(this.bytes.length * 2);
        bytes.set(this.bytes);
        this.bytes = bytes;
        const hashes = new Uint32Array(this.hashes.length * 2);
        hashes.set(this.hashes);
        this.hashes = hashes;
      }
      this.bytes[id] = jsonBytes(name);
      this.hashes[id] = fnv1a(name);
    }
    return id;
  }

  /** Sorted names → their numbers, in the same order. */
  encode(names: readonly string[]): UserIds {
    const ids = newIds(names.length);
    for (let i = 0; i < names.length; i++) ids[i] = this.idOf(names[i]!);
    return ids;
  }

  decode(ids: UserIds): string[] {
    const names = this.names;
    const out = new Array<string>(ids.length);
    for (let i = 0; i < ids.length; i++) out[i] = names[ids[i]!]!;
    return out;
  }

  /** JSON bytes of the user's name (`"name"`). */
  jsonBytesOf(id: number): number {
    return this.bytes[id]!;
  }

  /** `fnv1a` of the user's name. */
  hashOf(id: number): number {
    return this.hashes[id]!;
  }
}

/**
 * A kept row: its users as numbers into a `UserTable`, sorted by name (the map's order); its content as a `MapRow`'s.
 * Read as a `MapRow` (`users`, `JSON.stringify`), the names are decoded each time: shard.ts reads the numbers.
 */
export class KeptRow implements MapRow {
  readonly ids: UserIds;
  readonly table: UserTable;
  /** The first user's name (rows are ordered and paired by it). */
  readonly first: string;
  organization?: string;
  defaults?: Record<string, string>;
  entities?: Record<string, Record<string, string>>;

  constructor(ids: UserIds, table: UserTable, content: Omit<MapRow, 'users'>) {
    this.ids = ids;
    this.table = table;
    this.first = table.names[ids[0]!]!;
    if (content.organization !== undefined) this.organization = content.organization;
    if (content.defaults !== undefined) this.defaults = content.defaults;
    if (content.entities !== undefined) this.entities = content.entities;
  }

  get users(): string[] {
    return this.table.decode(this.ids);
  }

  /** The `MapRow` it stands for (same keys, same order). */
  toJSON(): MapRow {
    return { users: this.users, ...(this.organization !== undefined ? { organization: this.organization } : {}), ...(this.defaults ? { defaults: this.defaults } : {}), ...(this.entities ? { entities: this.entities } : {}) };
  }
}

/** A row's first user, without decoding a kept row's users. */
export function firstUserOf(row: MapRow): string {
  return row instanceof KeptRow ? row.first : row.users[0]!;
}

/** How many users a row has, without decoding a kept row's users. */
export function userCountOf(row: MapRow): number {
  return row instanceof KeptRow ? row.ids.length : row.users.length;
}

/**
 * User number → slot (a kept namespace's users' index: each user's row), as two parallel `Int32Array`s sorted by
 * user number with room to grow; an insert or delete shifts the arrays' tail (a `copyWithin`: microseconds for the
 * ~26,000 users of a large namespace, and nothing for the collector to mark).
 */
export class UserSlots {
  private ids: Int32Array;
  private slots: Int32Array;
  private size: number;

  /** `ids` ascending (no repeats), `slots[i]` the slot of `ids[i]`; the arrays are taken over, not copied. */
  constructor(ids: Int32Array, slots: Int32Array) {
    if (ids.length !== slots.length) throw new Error('UserSlots: ids and slots differ in length');
    this.ids = ids;
    this.slots = slots;
    this.size = ids.length;
  }

  /** From unsorted (id, slot) pairs, ids distinct. */
  static of(ids: Int32Array, slots: Int32Array): UserSlots {
    const n = ids.length;
    const sortedIds = new Int32Array(n);
    const sortedSlots = new Int32Array(n);
    let small = true;
    for (let i = 0; i < n; i++) if (slots[i]! >= SLOT_SPAN) small = false;
    if (small) {
      // Sorted as one number per pair, id above and slot below (ids < 2^31, slots < 2^22: exact in a double), which a
      // `Float64Array` sorts without calling back.
      const packed = new Float64Array(n);
      for (let i = 0; i < n; i++) packed[i] = ids[i]! * SLOT_SPAN + slots[i]!;
      packed.sort();
      for (let i = 0; i < n; i++) {
        const id = Math.floor(packed[i]! / SLOT_SPAN);
        sortedIds[i] = id;
        sortedSlots[i] = packed[i]! - id * SLOT_SPAN;
      }
    } else {
      const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => ids[a]! - ids[b]!);
      order.forEach((from, i) => ((sortedIds[i] = ids[from]!), (sortedSlots[i] = slots[from]!)));
    }
    return new UserSlots(sortedIds, sortedSlots);
  }

  get count(): number {
    return this.size;
  }

  /** Every (id, slot), by id (for the tests). */
  entries(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let i = 0; i < this.size; i++) out.push([this.ids[i]!, this.slots[i]!]);
    return out;
  }

  /** The user's slot, or -1. */
  get(id: number): number {
    const at = this.search(id);
    return at < this.size && this.ids[at] === id ? this.slots[at]! : -1;
  }

  /** Sets the user's slot (inserting the user when it has none). */
  set(id: number, slot: number): void {
    const at = this.search(id);
    if (at < this.size && this.ids[at] === id) {
      this.slots[at] = slot;
      return;
    }
    if (this.size === this.ids.length) {
      const capacity = this.size + (this.size >>> 3) + 8;
      const ids = new Int32Array(capacity);
      ids.set(this.ids.subarray(0, this.size));
      const slots = new Int32Array(capacity);
      slots.set(this.slots.subarray(0, this.size));
      this.ids = ids;
      this.slots = slots;
    }
    this.ids.copyWithin(at + 1, at, this.size);
    this.slots.copyWithin(at + 1, at, this.size);
    this.ids[at] = id;
    this.slots[at] = slot;
    this.size++;
  }

  /** Removes the user (nothing when it has no slot). */
  delete(id: number): void {
    const at = this.search(id);
    if (at >= this.size || this.ids[at] !== id) return;
    this.ids.copyWithin(at, at + 1, this.size);
    this.slots.copyWithin(at, at + 1, this.size);
    this.size--;
  }

  /** Where `id` is or would go. */
  private search(id: number): number {
    const ids = this.ids;
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ids[mid]! < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

const SLOT_SPAN = 2 ** 22;

/** JSON bytes of a string: its length and quotes when it needs no escape and is ASCII (user names are). */
export function jsonBytes(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return Buffer.byteLength(JSON.stringify(s));
  }
  return s.length + 2;
}

/** FNV-1a, 32 bits: a stable hash for placing units and ending chunks (shard.ts). */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
