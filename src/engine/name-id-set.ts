/**
 * Sets of names held as sorted arrays of small integers: a `NameIds` table numbers each name once (ids are never
 * reused), and a `NameIdSet` keeps the ids of its names in ascending order. What the group closures (groups.ts)
 * keep: every (user, group) pair twice, group → users and user → groups, ~2 M pairs each at the large tier, where a
 * `Set` of names cost ~32 bytes a pair (its hash table) and a sorted array of ids costs 8. `has` is a look-up of the
 * name's id and a binary search; adding or removing shifts the ids above it (a few hundred kB for the largest group).
 * A set iterates in id order (the order names were first numbered), not in insertion order.
 */
import { lowerBound } from './sorted-search.ts';

/** Names numbered 0, 1, 2, … in the order first seen; a name keeps its number (the table only grows). */
export class NameIds {
  private readonly ids = new Map<string, number>();
  /** Every name numbered, at its number (read-only for users of the table). */
  readonly names: readonly string[] = [];
  /**
   * Whether each name was numbered after every name that sorts before it (by `<`, as `Array.prototype.sort` orders
   * strings): ids then ascend with the names, so that a set's first ids are its first names (`firstInNameOrder`). The
   * engine numbers every user, group and organization of the model in name order at its build; a name numbered later
   * that sorts before the last one turns this off for good.
   */
  inNameOrder = true;

  /** The name's id, numbering it when new. */
  idOf(name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      const names = this.names as string[];
      if (names.length > 0 && !(names[names.length - 1]! < name)) this.inNameOrder = false;
      this.ids.set(name, (id = names.push(name) - 1));
    }
    return id;
  }

  /** Numbers these names (those not numbered yet) in name order. */
  numberInNameOrder(names: Iterable<string>): void {
    for (const name of [...names].sort()) this.idOf(name);
  }

  /** The name's id, or undefined when it was never numbered (no set can hold it). */
  find(name: string): number | undefined {
    return this.ids.get(name);
  }

  nameOf(id: number): string {
    return this.names[id]!;
  }
}

/** The position of `id` in the ascending `ids`, or where it would be inserted (`~position`, negative). */
function search(ids: readonly number[], id: number): number {
  const at = lowerBound(ids, id);
  return at < ids.length && ids[at] === id ? at : ~at;
}

export class NameIdSet implements ReadonlySet<string> {
  private readonly table: NameIds;
  private ids: number[];

  /** A set of the names in `table`; `ids` ascending, without repeats (as `from` makes them), or empty. */
  constructor(table: NameIds, ids: number[] = []) {
    this.table = table;
    this.ids = ids;
  }

  static from(table: NameIds, names: Iterable<string>): NameIdSet {
    const ids: number[] = [];
    for (const name of names) ids.push(table.idOf(name));
    ids.sort((a, b) => a - b);
    let n = 0;
    for (let i = 0; i < ids.length; i++) if (i === 0 || ids[i] !== ids[i - 1]) ids[n++] = ids[i]!;
    ids.length = n;
    return new NameIdSet(table, ids.slice()); // a copy of the exact length: the pushes left room to grow
  }

  get size(): number {
    return this.ids.length;
  }

  /**
   * The first `limit` names in name order (`[...set].sort().slice(0, limit)`), read from the first ids when the table
   * numbers in name order (`NameIds.inNameOrder`); undefined when it does not.
   */
  firstInNameOrder(limit: number): string[] | undefined {
    if (!this.table.inNameOrder) return undefined;
    const out = new Array<string>(Math.min(limit, this.ids.length));
    for (let i = 0; i < out.length; i++) out[i] = this.table.nameOf(this.ids[i]!);
    return out;
  }

  /** The ids of the names, ascending (read-only: the set's own array), for loops that index by id without a generator. */
  idList(): readonly number[] {
    return this.ids;
  }

  has(name: string): boolean {
    const id = this.table.find(name);
    return id !== undefined && search(this.ids, id) >= 0;
  }

  /** Adds a name; false when it was there already. */
  add(name: string): boolean {
    const id = this.table.idOf(name);
    const at = search(this.ids, id);
    if (at >= 0) return false;
    this.ids.splice(~at, 0, id);
    return true;
  }

  /** Gives back the room left by adds (an array grows by half again when full). */
  compact(): void {
    this.ids = this.ids.slice();
  }

  /** Removes a name; false when it was not there. */
  delete(name: string): boolean {
    const id = this.table.find(name);
    if (id === undefined) return false;
    const at = search(this.ids, id);
    if (at < 0) return false;
    this.ids.splice(at, 1);
    return true;
  }

  *values(): SetIterator<string> {
    for (const id of this.ids) yield this.table.nameOf(id);
  }

  keys(): SetIterator<string> {
    return this.values();
  }

  *entries(): SetIterator<[string, string]> {
    for (const name of this.values()) yield [name, name];
  }

  [Symbol.iterator](): SetIterator<string> {
    return this.values();
  }

  forEach(callback: (value: string, value2: string, set: ReadonlySet<string>) => void, thisArg?: unknown): void {
    for (const name of this.values()) callback.call(thisArg, name, name, this);
  }
}

/** Adds a name under a key of an index of `NameIdSet`s. */
export function addId(index: Map<string, NameIdSet>, table: NameIds, key: string, name: string): void {
  let set = index.get(key);
  if (!set) index.set(key, (set = new NameIdSet(table)));
  set.add(name);
}

/** Removes a name; drops the key when its set becomes empty. */
export function removeId(index: Map<string, NameIdSet>, key: string, name: string): void {
  const set = index.get(key);
  if (set && set.delete(name) && set.size === 0) index.delete(key);
}
