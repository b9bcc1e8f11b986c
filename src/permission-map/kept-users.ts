/**
 * Users as numbers in the kept permission maps (incremental-maps.ts keeps every namespace's rows between changes):
 * a table numbering each user once per kept maps (`UserTable`, which also holds each name's JSON bytes and hash, what
 * cutting a row into chunks reads per user, and the names' bytes one after the other, what a first write's rendering
 * copies: shard-bytes.ts), a kept row's users as an `Int32Array` of those numbers in the map's
 * users order (by name: `KeptRow`, names decoded only when a row is rendered or read as a `MapRow`), and a kept
 * namespace's users' index, user number → its row's slot, sorted in blocks of `Int32Array`s (`UserSlots`).
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
 * view, its buffer and the buffer's bookkeeping), and at medium most of the 136,000 rows hold a handful of users. A
 * kept row holds the array as a string (`PackedIds`).
 */
export type UserIds = Int32Array | number[];
const TYPED_FROM = 48;

/**
 * How a kept row holds its users' numbers (`KeptRow.packed`): an `Int32Array` as is; fewer (an array of small
 * integers) as a string of two UTF-16 code units per number (high, low 16 bits): 16 bytes and 4 a user, where the
 * array took 48 and 8 a user (at medium most of the 136,000 rows hold a handful of users; ~56 bytes a row less).
 * Read back as `UserIds` (`KeptRow.ids`: the string decoded into a new array at each read).
 */
export type PackedIds = Int32Array | string;

/** `ids` as a kept row holds them (`PackedIds`). */
export function packIds(ids: UserIds | string): PackedIds {
  if (typeof ids === 'string' || ids instanceof Int32Array) return ids;
  if (2 * ids.length > packScratch.length) packScratch = new Uint16Array(Math.max(2 * ids.length, 2 * packScratch.length));
  const codes = packScratch;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (!(id >= 0 && id <= 0x7fffffff)) throw new Error(`packIds: ${id} is not a user number`);
    codes[2 * i] = id >>> 16;
    codes[2 * i + 1] = id & 0xffff;
  }
  // The codes written into a scratch reused from row to row (an array of them and its slices per row were a first
  // write's garbage), made one string.
  let out = '';
  for (let i = 0; i < 2 * ids.length; i += 4096) out += String.fromCharCode.apply(null, codes.subarray(i, Math.min(i + 4096, 2 * ids.length)) as unknown as number[]);
  return out;
}

/** `packIds`' codes, reused. */
let packScratch = new Uint16Array(128);

/** The `i`th number of packed ids; -1 (no user's) past either end, where a string's halves would read as user 0. */
export function packedAt(packed: PackedIds, i: number): number {
  if (!(i >= 0 && i < packedSize(packed))) return -1;
  return typeof packed === 'string' ? (packed.charCodeAt(2 * i) << 16) | packed.charCodeAt(2 * i + 1) : packed[i]!;
}

/** How many numbers packed ids hold. */
export function packedSize(packed: PackedIds): number {
  return typeof packed === 'string' ? packed.length >>> 1 : packed.length;
}

/** Packed ids as `UserIds` (a string decoded into a new array of small integers). */
export function unpackIds(packed: PackedIds): UserIds {
  if (typeof packed !== 'string') return packed;
  const n = packed.length >>> 1;
  const ids = new Array<number>(n);
  for (let i = 0; i < n; i++) ids[i] = (packed.charCodeAt(2 * i) << 16) | packed.charCodeAt(2 * i + 1);
  return ids;
}

/** Room for `n` user numbers (`UserIds`), to be filled in. */
export function newIds(n: number): UserIds {
  return n >= TYPED_FROM ? new Int32Array(n) : new Array<number>(n).fill(0);
}

/** What cutting a row's users into chunks reads of their numbers (shard.ts): a `UserTable`, or a plain row's `ListedUsers`. */
export interface UserNumbers {
  readonly names: readonly string[];
  jsonBytesOf(id: number): number;
  hashOf(id: number): number;
  decode(ids: UserIds): string[];
}

/**
 * A plain row's users numbered by their place in its list (0, 1, 2, …: `ids`), each with its JSON bytes and `fnv1a`
 * hash: what a fresh row's cut reads, without numbering its users in a `UserTable` of its own (a `Map` entry per
 * user, most of the cut's time in a fresh build's split maps).
 */
export class ListedUsers implements UserNumbers {
  readonly names: readonly string[];
  /** 0 … n-1. */
  readonly ids: UserIds;
  private readonly bytes: Int32Array;
  private readonly hashes: Uint32Array;

  constructor(names: readonly string[]) {
    const n = names.length;
    this.names = names;
    this.ids = newIds(n);
    this.bytes = new Int32Array(n);
    this.hashes = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      const name = names[i]!;
      this.ids[i] = i;
      this.bytes[i] = jsonBytes(name);
      this.hashes[i] = fnv1a(name);
    }
  }

  jsonBytesOf(id: number): number {
    return this.bytes[id]!;
  }

  hashOf(id: number): number {
    return this.hashes[id]!;
  }

  decode(ids: UserIds): string[] {
    const names = this.names;
    const out = new Array<string>(ids.length);
    for (let i = 0; i < ids.length; i++) out[i] = names[ids[i]!]!;
    return out;
  }
}

/** Users numbered 0, 1, 2, … in the order first seen (the engine's `NameIds`); with each name's JSON bytes and `fnv1a` hash. */
export class UserTable extends NameIds implements UserNumbers {
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
      this.pool(id, name);
    }
    return id;
  }

  /**
   * Every user's name as bytes (ASCII names needing no JSON escape; others -1 in `poolAt`), one after the other in
   * the order numbered (in name order at a start: a row's users read it forwards): what shard-bytes.ts copies a row's
   * users from, without reading the names' strings, scattered over the heap.
   */
  private poolBytes = new Uint8Array(4096);
  private poolAt = new Int32Array(256);
  private poolEnd = 0;

  private pool(id: number, name: string): void {
    if (id >= this.poolAt.length) {
      const at = new Int32Array(this.poolAt.length * 2);
      at.set(this.poolAt);
      this.poolAt = at;
    }
    if (this.bytes[id] !== name.length + 2) {
      this.poolAt[id] = -1;
      return;
    }
    if (this.poolEnd + name.length > this.poolBytes.length) {
      const grown = new Uint8Array(Math.max(2 * this.poolBytes.length, this.poolEnd + name.length));
      grown.set(this.poolBytes.subarray(0, this.poolEnd));
      this.poolBytes = grown;
    }
    this.poolAt[id] = this.poolEnd;
    for (let i = 0; i < name.length; i++) this.poolBytes[this.poolEnd++] = name.charCodeAt(i);
  }

  /** The names' bytes (`nameBytes`) and where each user's start (-1: not plain ASCII), for shard-bytes.ts; read only. */
  namePool(): { bytes: Uint8Array; at: Int32Array } {
    return { bytes: this.poolBytes, at: this.poolAt };
  }

  /**
   * Engine walk number → this table's number (-1: not met yet): the users of a namespace's walk
   * (`Engine.namespaceClassesInOrder`'s `walkIds`) numbered by an array read, not a look-up of the name. Walk numbers
   * are one engine's: a table takes them from the engine of its kept maps only.
   */
  private fromWalk = new Int32Array(0);

  /** Walk number → this table's number, -1 when not met yet (read only: `idOfWalked` numbers and grows it). */
  walkNumbers(): Int32Array {
    return this.fromWalk;
  }

  /** The number of the user the engine's walk numbered `walkId` (its name: `name`), numbering it when new. */
  idOfWalked(walkId: number, name: string): number {
    if (walkId >= this.fromWalk.length) {
      const grown = new Int32Array(Math.max(walkId + 1, 2 * this.fromWalk.length, 256)).fill(-1);
      grown.set(this.fromWalk);
      this.fromWalk = grown;
    }
    let id = this.fromWalk[walkId]!;
    if (id < 0) this.fromWalk[walkId] = id = this.idOf(name);
    else if (this.names[id] !== name) throw new Error(`UserTable: walk number ${walkId} is ${name}, numbered ${this.names[id]} before (walk numbers of another engine?)`);
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
 * A kept row's entities as one string (`KeptRow.flat`): for each kind, in the order of the row's `entities` object,
 * the kind, its number of entities n, then n (name, mask) pairs in the order an object of them lists its keys
 * (`Object.keys`, `JSON.stringify`: names that read as array indices first, ascending, then the others as inserted);
 * each string written as its length (one UTF-16 code unit; `0xffff` and two more from 65,535 on) and its characters,
 * each count as a length. ~50 bytes for an entity (one-byte characters: kinds, names and masks are ASCII; one code of 256
 * or more — a name, mask or count past 255 — makes V8 keep the whole string two bytes a character), where the
 * `entities` object of a row (~56 bytes) and a dictionary-mode object per kind (~185, shared by ~1.3 rows at medium)
 * took ~200, and an array of the same pieces ~80. Read with `readFlat`.
 */
export type FlatEntities = string;

/** A kept row's content: its entities flat (`FlatEntities`), not as objects. */
export interface KeptContent {
  organization?: string;
  defaults?: Record<string, string>;
  flat?: FlatEntities;
}

/** Writes a length or count as `FlatEntities` do. */
export function lengthCode(n: number): string {
  return n < 0xffff ? String.fromCharCode(n) : String.fromCharCode(0xffff, n >>> 16, n & 0xffff);
}

/** Kinds (in order) with their (name, mask) pairs (in key order) as `FlatEntities`. */
export function writeFlat(kinds: ReadonlyArray<readonly [string, ReadonlyArray<readonly [string, string]>]>): FlatEntities {
  const pieces: string[] = [];
  for (const [kind, pairs] of kinds) {
    pieces.push(lengthCode(kind.length), kind, lengthCode(pairs.length));
    for (const [name, mask] of pairs) pieces.push(lengthCode(name.length), name, lengthCode(mask.length), mask);
  }
  // One flat string (a join, not a rope of concatenations).
  return pieces.join('');
}

/**
 * Calls `each` for every (kind, name, mask) of `FlatEntities`, in order; `index` is the entity's place within its
 * kind, `count` its kind's entities (a kind of none is called once with index -1).
 */
export function readFlat(flat: FlatEntities, each: (kind: string, name: string, mask: string, index: number, count: number) => void): void {
  const read = new FlatReader(flat);
  while (read.at < flat.length) {
    const kind = read.piece();
    const n = read.length();
    if (n === 0) each(kind, '', '', -1, 0);
    for (let j = 0; j < n; j++) {
      const name = read.piece();
      each(kind, name, read.piece(), j, n);
    }
  }
}

/**
 * Calls `each` with the masks of `FlatEntities`, in order, but not again for a mask equal to the one before it (a
 * row's entities mostly share a few masks): what a shard's table of masks needs. Kinds and names are skipped, not
 * read, and a repeated mask is compared in place: no string is made but for a mask that differs from the last.
 */
export function forEachFlatMask(flat: FlatEntities, each: (mask: string) => void): void {
  const read = new FlatReader(flat);
  let last: string | undefined;
  while (read.at < flat.length) {
    read.skip();
    const n = read.length();
    for (let j = 0; j < n; j++) {
      read.skip();
      const m = read.length();
      const at = read.at;
      if (last === undefined || m !== last.length || !flat.startsWith(last, at)) each((last = flat.slice(at, at + m)));
      read.at = at + m;
    }
  }
}

/** A place in `FlatEntities` and the reads that move it past a length, a string or a skipped string. */
class FlatReader {
  at = 0;
  private readonly flat: FlatEntities;
  constructor(flat: FlatEntities) {
    this.flat = flat;
  }

  /** The length or count at `at` (one code unit, or `0xffff` and two more), moving past it. */
  length(): number {
    const c = this.flat.charCodeAt(this.at++);
    if (c !== 0xffff) return c;
    const n = this.flat.charCodeAt(this.at) * 0x10000 + this.flat.charCodeAt(this.at + 1);
    this.at += 2;
    return n;
  }

  /** The string at `at` (its length, then its characters), moving past it. */
  piece(): string {
    const n = this.length();
    const from = this.at;
    this.at = from + n;
    return this.flat.slice(from, this.at);
  }

  /** Moves past the string at `at` without making it. */
  skip(): void {
    const n = this.length();
    this.at += n;
  }
}

/** `entities` (kind → name → mask) as `FlatEntities`, in the objects' own key order. */
export function flatEntities(entities: Readonly<Record<string, Readonly<Record<string, string>>>> | undefined): FlatEntities | undefined {
  if (entities === undefined) return undefined;
  return writeFlat(Object.keys(entities).map((kind) => [kind, Object.keys(entities[kind]!).map((name) => [name, entities[kind]![name]!] as const)] as const));
}

/** `FlatEntities` as the objects they stand for (prototype-less per kind, as a fresh build's). */
export function entitiesOfFlat(flat: FlatEntities | undefined): Record<string, Record<string, string>> | undefined {
  if (flat === undefined) return undefined;
  const kinds: Array<[string, Record<string, string>]> = [];
  readFlat(flat, (kind, name, mask, j) => {
    if (j <= 0) kinds.push([kind, Object.create(null) as Record<string, string>]);
    if (j >= 0) kinds[kinds.length - 1]![1][name] = mask;
  });
  return Object.fromEntries(kinds);
}

/** Whether a property name reads as an array index (an object lists those first, in numeric order). */
export function isArrayIndex(name: string): boolean {
  if (name.length === 0 || name.length > 10) return false;
  const c = name.charCodeAt(0);
  if (c === 0x30) return name.length === 1;
  for (let i = 0; i < name.length; i++) {
    const d = name.charCodeAt(i);
    if (d < 0x30 || d > 0x39) return false;
  }
  return Number(name) < 4294967295;
}

/**
 * A kept row: its users as numbers into a `UserTable`, sorted by name (the map's order); its content as a `MapRow`'s,
 * but for its entities, kept flat (`flat`) and made into objects only when read (`entities`).
 * Read as a `MapRow` (`users`, `entities`, `JSON.stringify`), the names and entities are made each time: shard.ts
 * reads the numbers and the flat entities.
 */
export class KeptRow implements MapRow {
  /**
   * Its users' numbers (`PackedIds`; read them as `ids`, one by one as `idAt`, their count as `size`). Set once: at
   * construction, or by `fillUsers` for a row made without users and never read since.
   */
  readonly packed: PackedIds;
  readonly table: UserTable;
  organization?: string;
  defaults?: Record<string, string>;
  /** The row's entities (`FlatEntities`); undefined when it has none. */
  readonly flat: FlatEntities | undefined;

  /** `ids`: as numbers or packed (`PackedIds`); `content`: a row's (its entities made flat here), a kept row's or a `KeptContent`. */
  constructor(ids: UserIds | string, table: UserTable, content: Omit<MapRow, 'users'> | KeptContent) {
    this.packed = packIds(ids);
    this.table = table;
    if (content.organization !== undefined) this.organization = content.organization;
    if (content.defaults !== undefined) this.defaults = content.defaults;
    this.flat = content instanceof KeptRow || 'flat' in content ? (content as KeptContent).flat : flatEntities((content as Omit<MapRow, 'users'>).entities);
  }

  /**
   * Gives a row made without users (never published: no renderer or previous version has seen it) its users, in
   * place of making a second row with them (a namespace's first write, `NamespaceRows.publish`). Throws for a row that
   * has users: a published row is never changed (renderers pair rows by identity).
   */
  protected fillUsers(ids: UserIds): void {
    if (packedSize(this.packed) !== 0) throw new Error('KeptRow: a row with users is never changed (a new row is published in its place)');
    (this as { packed: PackedIds }).packed = packIds(ids);
  }

  /** The first user's name (rows are ordered and paired by it; undefined for none): read from the table, not kept. */
  get first(): string {
    return this.table.names[packedAt(this.packed, 0)]!;
  }

  /** Its users' numbers, in name order (decoded at each read when packed as a string: read once, keep the array). */
  get ids(): UserIds {
    return unpackIds(this.packed);
  }

  /** How many users it has. */
  get size(): number {
    return packedSize(this.packed);
  }

  /** Its `i`th user's number. */
  idAt(i: number): number {
    return packedAt(this.packed, i);
  }

  get users(): string[] {
    return this.table.decode(this.ids);
  }

  /** The entities as objects (made from `flat` at each read: shard.ts reads `flat`). */
  get entities(): Record<string, Record<string, string>> | undefined {
    return entitiesOfFlat(this.flat);
  }

  /** The `MapRow` it stands for (same keys, same order). */
  toJSON(): MapRow {
    const entities = this.entities;
    return { users: this.users, ...(this.organization !== undefined ? { organization: this.organization } : {}), ...(this.defaults ? { defaults: this.defaults } : {}), ...(entities ? { entities } : {}) };
  }
}

/** Whether two rows' entities are the same object (kept rows: the same flat entities). */
export function sameEntities(a: MapRow, b: MapRow): boolean {
  if (a instanceof KeptRow && b instanceof KeptRow) return a.flat === b.flat; // (equal strings: the same content)
  if (a instanceof KeptRow || b instanceof KeptRow) return false;
  return a.entities === b.entities;
}

/**
 * Calls `each` for every entity of a row, kind by kind in the row's order, names in their object's key order (a kept
 * row's read from its flat entities, no object made); `index` is the entity's place within its kind.
 */
export function forEachEntity(row: MapRow, each: (kind: string, name: string, mask: string, index: number) => void): void {
  if (row instanceof KeptRow) {
    if (row.flat !== undefined) readFlat(row.flat, (kind, name, mask, j) => j >= 0 && each(kind, name, mask, j));
    return;
  }
  const entities = row.entities;
  if (entities === undefined) return;
  for (const kind of Object.keys(entities)) {
    const names = entities[kind]!;
    let j = 0;
    for (const name of Object.keys(names)) each(kind, name, names[name]!, j++);
  }
}

/** A row's first user, without decoding a kept row's users. */
export function firstUserOf(row: MapRow): string {
  return row instanceof KeptRow ? row.first : row.users[0]!;
}

/** How many users a row has, without decoding a kept row's users. */
export function userCountOf(row: MapRow): number {
  return row instanceof KeptRow ? row.size : row.users.length;
}

/**
 * User number → slot (a kept namespace's users' index: each user's row), sorted by user number in blocks of at most
 * `blockSize` (id, slot) pairs, each block one `Int32Array` of interleaved pairs (id at 2i, slot at 2i + 1) with room
 * to grow, found by a binary search over the blocks' first ids. An insert or delete shifts the rest of its block
 * only, and a full block splits in two: no change copies or reallocates the whole index. (It was two arrays of the
 * whole namespace's users: each insert into a full one reallocated both, ~1 ms for the ~45,000 users of a large
 * namespace on this machine — an `ArrayBuffer` of 200 kB costs most of that to allocate and first touch — and a
 * change adding a user to a group granted in 13 such namespaces paid it 13 times.) Nothing for the collector to mark.
 */
export class UserSlots {
  /** Blocks in id order, none empty; `firsts[b]` the first id of `blocks[b]`, `sizes[b]` its pairs. */
  private readonly blocks: Int32Array[] = [];
  private readonly firsts: number[] = [];
  private readonly sizes: number[] = [];
  private size = 0;
  private readonly blockSize: number;

  /** `ids` ascending (no repeats), `slots[i]` the slot of `ids[i]`; `blockSize`: pairs per block at most (≥ 2). */
  constructor(ids: Int32Array, slots: Int32Array, blockSize = USER_SLOTS_BLOCK) {
    if (ids.length !== slots.length) throw new Error('UserSlots: ids and slots differ in length');
    if (!(blockSize >= 2)) throw new Error('UserSlots: blocks hold 2 pairs or more');
    this.blockSize = blockSize;
    // Full blocks (as little room as the two whole arrays had), the last one as long as what is left.
    for (let from = 0; from < ids.length; from += blockSize) {
      const n = Math.min(blockSize, ids.length - from);
      const block = new Int32Array(2 * n);
      for (let i = 0; i < n; i++) {
        block[2 * i] = ids[from + i]!;
        block[2 * i + 1] = slots[from + i]!;
      }
      this.blocks.push(block);
      this.firsts.push(ids[from]!);
      this.sizes.push(n);
    }
    this.size = ids.length;
  }

  /** From unsorted (id, slot) pairs, ids distinct. */
  static of(ids: Int32Array, slots: Int32Array, blockSize = USER_SLOTS_BLOCK): UserSlots {
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
    return new UserSlots(sortedIds, sortedSlots, blockSize);
  }

  get count(): number {
    return this.size;
  }

  /** Every (id, slot), by id (for the tests). */
  entries(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    this.blocks.forEach((block, b) => {
      for (let i = 0; i < this.sizes[b]!; i++) out.push([block[2 * i]!, block[2 * i + 1]!]);
    });
    return out;
  }

  /** The blocks' pair counts and capacities, in order (for the tests). */
  shape(): Array<{ size: number; capacity: number; first: number }> {
    return this.blocks.map((block, b) => ({ size: this.sizes[b]!, capacity: block.length >>> 1, first: this.firsts[b]! }));
  }

  /** The user's slot, or -1. */
  get(id: number): number {
    const b = this.blockOf(id);
    if (b < 0) return -1;
    const at = this.searchIn(b, id);
    const block = this.blocks[b]!;
    return at < this.sizes[b]! && block[2 * at] === id ? block[2 * at + 1]! : -1;
  }

  /** Sets the user's slot (inserting the user when it has none). */
  set(id: number, slot: number): void {
    if (this.blocks.length === 0) {
      this.blocks.push(new Int32Array(2 * Math.min(4, this.blockSize)));
      this.firsts.push(id);
      this.sizes.push(0);
    }
    // Before every block: into the first.
    let b = Math.max(0, this.blockOf(id));
    let at = this.searchIn(b, id);
    if (at < this.sizes[b]! && this.blocks[b]![2 * at] === id) {
      this.blocks[b]![2 * at + 1] = slot;
      return;
    }
    let size = this.sizes[b]!;
    if (2 * size === this.blocks[b]!.length) {
      if (size < this.blockSize) {
        // Room for more, up to a full block: a copy of this block only.
        const grown = new Int32Array(2 * Math.min(this.blockSize, Math.max(4, size + (size >>> 1))));
        grown.set(this.blocks[b]!);
        this.blocks[b] = grown;
      } else {
        // Full: its upper half moves to a new block after it.
        const half = size >>> 1;
        const block = this.blocks[b]!;
        const upper = new Int32Array(2 * this.blockSize);
        upper.set(block.subarray(2 * half, 2 * size));
        this.blocks.splice(b + 1, 0, upper);
        this.firsts.splice(b + 1, 0, upper[0]!);
        this.sizes.splice(b + 1, 0, size - half);
        this.sizes[b] = half;
        // At `half` exactly, the id is below the upper half's first (it is not there): it ends the lower half.
        if (at > half) {
          b++;
          at -= half;
        }
        size = this.sizes[b]!;
      }
    }
    const block = this.blocks[b]!;
    block.copyWithin(2 * at + 2, 2 * at, 2 * size);
    block[2 * at] = id;
    block[2 * at + 1] = slot;
    this.sizes[b] = size + 1;
    if (at === 0) this.firsts[b] = id;
    this.size++;
  }

  /** Removes the user (nothing when it has no slot). */
  delete(id: number): void {
    const b = this.blockOf(id);
    if (b < 0) return;
    const at = this.searchIn(b, id);
    const block = this.blocks[b]!;
    const size = this.sizes[b]!;
    if (at >= size || block[2 * at] !== id) return;
    this.size--;
    if (size === 1) {
      this.blocks.splice(b, 1);
      this.firsts.splice(b, 1);
      this.sizes.splice(b, 1);
      return;
    }
    block.copyWithin(2 * at, 2 * at + 2, 2 * size);
    this.sizes[b] = size - 1;
    if (at === 0) this.firsts[b] = block[0]!;
  }

  /** The last block whose first id is ≤ `id` (-1: before every block, or none). */
  private blockOf(id: number): number {
    const firsts = this.firsts;
    let lo = 0;
    let hi = firsts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (firsts[mid]! <= id) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  /** Where `id` is or would go in block `b`. */
  private searchIn(b: number, id: number): number {
    const block = this.blocks[b]!;
    let lo = 0;
    let hi = this.sizes[b]!;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (block[2 * mid]! < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** Pairs per `UserSlots` block at most: 8 kB, a few microseconds to shift or copy. */
export const USER_SLOTS_BLOCK = 1024;

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
