/**
 * Indexes of the form key → list of values, in the order they were added, with empty lists removed: for keys that
 * hold a few values each (a subject's grants, an entity's, a namespace's), where a `Set` per key cost ~150 bytes
 * before its first entry and ~30 per entry, an array of exactly its length 16 and 8. Removing is a linear search, fine for short lists.
 * A value is in a key's list at most once (the caller adds it once and removes it once, or adds with `addOnce`,
 * which looks first: the group index's who-lists-whom, groups.ts).
 */

/**
 * A list this short is replaced by a copy one longer on each add, so that it holds no spare room: `push` (and a
 * spread copy) gives a 2-element array room for 17, 210 bytes instead of 74, and most keys keep one to five values.
 * Longer lists grow by `push`.
 */
const EXACT_UP_TO = 16;

/** Appends a value under a key. */
export function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (!list) map.set(key, [value]);
  else if (list.length < EXACT_UP_TO) map.set(key, list.concat([value])); // concat allocates exactly; spread and push pad
  else list.push(value);
}

/** Removes a value, keeping the others' order; drops the key when its list becomes empty. */
export function removeFromList<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (!list) return;
  const at = list.lastIndexOf(value);
  if (at < 0) return;
  if (list.length === 1) map.delete(key);
  else list.splice(at, 1);
}

/** Appends a value under a key unless its list holds it already: a key → set index kept as lists (same order as a `Set`). */
export function addOnce<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  if (!map.get(key)?.includes(value)) pushTo(map, key, value);
}

/**
 * A list without repeats seen as a `ReadonlySet` (`has` a linear search), for indexes kept by `addOnce` and
 * `removeFromList` that answer with sets: the view is made per question, the list is the index's own.
 */
export class ListSet<V> implements ReadonlySet<V> {
  private readonly list: readonly V[];

  constructor(list: readonly V[]) {
    this.list = list;
  }

  get size(): number {
    return this.list.length;
  }

  has(value: V): boolean {
    return this.list.includes(value);
  }

  values(): SetIterator<V> {
    return this.list.values();
  }

  keys(): SetIterator<V> {
    return this.list.values();
  }

  *entries(): SetIterator<[V, V]> {
    for (const value of this.list) yield [value, value];
  }

  [Symbol.iterator](): SetIterator<V> {
    return this.list.values();
  }

  forEach(callback: (value: V, value2: V, set: ReadonlySet<V>) => void, thisArg?: unknown): void {
    for (const value of this.list) callback.call(thisArg, value, value, this);
  }
}
