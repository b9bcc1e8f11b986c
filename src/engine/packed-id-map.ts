/**
 * A `ReadonlyMap<string, V>` from names to values drawn from a small table of shared values, held as one sorted array
 * of numbers: each entry is `nameId * SCALE + valueIndex`, the name's id in a `NameIds` table (name-id-set.ts) and
 * the value's index in an `Interned` table (at most 2^21 values: `Engine.worn` says when half are numbered). What
 * memberships keep per organization (user → M*(u, o)) and per user (organization → M*(u, o)), memberships.ts:
 * ~1 M (user, organization) pairs at the large tier, where a `Map` entry cost ~28 bytes and a number in an array of
 * doubles costs 8. `get` is the name's id and a binary search; `set` and `delete` shift the entries above (an
 * organization's members are a few thousand). Iterates in id order (the order the table first numbered the names),
 * not in insertion order.
 */
import type { NameIds } from './name-id-set.ts';
import { lowerBound } from './sorted-search.ts';

/** Values numbered once each: `values[indexOf(v)] === v` for every value the map is given. */
export interface Interned<V> {
  readonly values: readonly V[];
  indexOf(value: V): number;
}

/** Room for this many distinct values; ids up to 2^53 / SCALE (4 × 10^9) stay exact in a double. */
const SCALE = 2 ** 21;

export class PackedIdMap<V> implements ReadonlyMap<string, V> {
  private readonly names: NameIds;
  private readonly interned: Interned<V>;
  /** Ascending; one entry per name. */
  private readonly codes: number[];

  private constructor(names: NameIds, interned: Interned<V>, codes: number[]) {
    this.names = names;
    this.interned = interned;
    this.codes = codes;
  }

  /** An empty map over these tables. */
  static empty<V>(names: NameIds, interned: Interned<V>): PackedIdMap<V> {
    return new PackedIdMap(names, interned, []);
  }

  /** The entries given (distinct names), numbering new names in `names`. */
  static from<V>(names: NameIds, interned: Interned<V>, entries: Iterable<readonly [string, V]>): PackedIdMap<V> {
    const codes: number[] = [];
    for (const [name, value] of entries) codes.push(encode(names.idOf(name), interned, value));
    codes.sort((a, b) => a - b);
    return new PackedIdMap(names, interned, codes.slice()); // a copy of the exact length: the pushes left room to grow
  }

  /** The entries given as names' ids in `names` (distinct) and their values, at the same positions. */
  static fromIds<V>(names: NameIds, interned: Interned<V>, ids: readonly number[], values: readonly V[]): PackedIdMap<V> {
    const codes: number[] = [];
    for (let i = 0; i < ids.length; i++) codes.push(encode(ids[i]!, interned, values[i]!));
    codes.sort((a, b) => a - b); // one pass when the ids ascend, as the engine's build gives them
    return new PackedIdMap(names, interned, codes.slice()); // a copy of the exact length (and packed, not holey)
  }

  get size(): number {
    return this.codes.length;
  }

  /** The position of the name numbered `id`, or `~position` where it would be inserted. */
  private find(id: number): number {
    const codes = this.codes;
    const lowest = id * SCALE;
    const low = lowerBound(codes, lowest);
    return low < codes.length && codes[low]! < lowest + SCALE ? low : ~low;
  }

  /**
   * The first `limit` names in name order (`[...map.keys()].sort().slice(0, limit)`), read from the first entries when
   * the table numbers in name order (`NameIds.inNameOrder`); undefined when it does not.
   */
  firstInNameOrder(limit: number): string[] | undefined {
    if (!this.names.inNameOrder) return undefined;
    const out = new Array<string>(Math.min(limit, this.codes.length));
    for (let i = 0; i < out.length; i++) out[i] = this.names.nameOf(Math.floor(this.codes[i]! / SCALE));
    return out;
  }

  get(name: string): V | undefined {
    const id = this.names.find(name);
    if (id === undefined) return undefined;
    const at = this.find(id);
    return at < 0 ? undefined : this.interned.values[this.codes[at]! % SCALE];
  }

  has(name: string): boolean {
    const id = this.names.find(name);
    return id !== undefined && this.find(id) >= 0;
  }

  /** Sets a name's value (the value must be `interned`'s). */
  set(name: string, value: V): void {
    const id = this.names.idOf(name);
    const code = encode(id, this.interned, value);
    const at = this.find(id);
    if (at >= 0) this.codes[at] = code;
    else this.codes.splice(~at, 0, code);
  }

  /** Removes a name; false when it was not there. */
  delete(name: string): boolean {
    const id = this.names.find(name);
    if (id === undefined) return false;
    const at = this.find(id);
    if (at < 0) return false;
    this.codes.splice(at, 1);
    return true;
  }

  *entries(): MapIterator<[string, V]> {
    for (const code of this.codes) yield [this.names.nameOf(Math.floor(code / SCALE)), this.interned.values[code % SCALE]!];
  }

  *keys(): MapIterator<string> {
    for (const code of this.codes) yield this.names.nameOf(Math.floor(code / SCALE));
  }

  *values(): MapIterator<V> {
    for (const code of this.codes) yield this.interned.values[code % SCALE]!;
  }

  /** Calls `f` with each entry's name id (in the `NameIds` table) and value, in id order: `entries` without names. */
  forEachId(f: (id: number, value: V) => void): void {
    for (const code of this.codes) f(Math.floor(code / SCALE), this.interned.values[code % SCALE]!);
  }

  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries();
  }

  forEach(callback: (value: V, key: string, map: ReadonlyMap<string, V>) => void, thisArg?: unknown): void {
    for (const [key, value] of this.entries()) callback.call(thisArg, value, key, this);
  }
}

function encode<V>(id: number, interned: Interned<V>, value: V): number {
  const index = interned.indexOf(value);
  if (!(index >= 0 && index < SCALE && interned.values[index] === value)) throw new Error(`PackedIdMap: value not interned (index ${index})`);
  return id * SCALE + index;
}
