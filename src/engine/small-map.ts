/**
 * A `ReadonlyMap<string, V>` of a few entries held as one array of alternating keys and values, made once and never
 * changed: what memberships keep per user (organization → M*(u, o); most users are members of one to five
 * organizations). A `Map` of up to four entries costs ~194 bytes, this ~80 for two entries (measured with V8's
 * heap figures); `get` is a linear search, fine for a handful of keys. Iterates in the order of the entries given.
 */
export class SmallMap<V> implements ReadonlyMap<string, V> {
  private readonly pairs: ReadonlyArray<string | V>;

  private constructor(pairs: ReadonlyArray<string | V>) {
    this.pairs = pairs;
  }

  /** The entries of `map`, in its order (or of any iterable of entries with distinct keys). */
  static from<V>(map: Iterable<readonly [string, V]>): SmallMap<V> {
    const pairs: Array<string | V> = [];
    for (const [key, value] of map) pairs.push(key, value);
    return new SmallMap(pairs.slice()); // a copy of the exact length: the pushes left room to grow
  }

  get size(): number {
    return this.pairs.length >> 1;
  }

  get(key: string): V | undefined {
    const pairs = this.pairs;
    for (let i = 0; i < pairs.length; i += 2) if (pairs[i] === key) return pairs[i + 1] as V;
    return undefined;
  }

  has(key: string): boolean {
    const pairs = this.pairs;
    for (let i = 0; i < pairs.length; i += 2) if (pairs[i] === key) return true;
    return false;
  }

  *entries(): MapIterator<[string, V]> {
    const pairs = this.pairs;
    for (let i = 0; i < pairs.length; i += 2) yield [pairs[i] as string, pairs[i + 1] as V];
  }

  *keys(): MapIterator<string> {
    const pairs = this.pairs;
    for (let i = 0; i < pairs.length; i += 2) yield pairs[i] as string;
  }

  *values(): MapIterator<V> {
    const pairs = this.pairs;
    for (let i = 1; i < pairs.length; i += 2) yield pairs[i] as V;
  }

  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries();
  }

  forEach(callback: (value: V, key: string, map: ReadonlyMap<string, V>) => void, thisArg?: unknown): void {
    const pairs = this.pairs;
    for (let i = 0; i < pairs.length; i += 2) callback.call(thisArg, pairs[i + 1] as V, pairs[i] as string, this);
  }
}
