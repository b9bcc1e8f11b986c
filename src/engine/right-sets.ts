/**
 * Interned sets of concrete rights. Each distinct set gets a small integer id (0 is the empty set), so that rights
 * are stored as numbers and union / intersection are memoised table look-ups: the engine performs millions of them
 * on a few hundred distinct sets.
 */
import type { Catalog } from '../catalog/catalog.ts';

export type RightSetId = number;
export const EMPTY: RightSetId = 0;

/** The most distinct sets: ids below it keep the memo keys of pairs exact (`pairKey`, under 2^52). */
export const MAX_SETS = 2 ** 26;

/** One number per unordered pair of set ids, distinct for every pair of ids below `MAX_SETS`. */
export const pairKey = (a: RightSetId, b: RightSetId): number => (a < b ? a * MAX_SETS + b : b * MAX_SETS + a);

export class RightSets {
  readonly catalog: Catalog;
  private readonly words: number;
  private readonly bits: Uint32Array[] = [];
  private readonly byKey = new Map<string, RightSetId>();
  private readonly unions = new Map<number, RightSetId>();
  private readonly intersections = new Map<number, RightSetId>();
  private readonly names: Array<readonly string[] | undefined> = [];
  private readonly expanded = new Map<string, RightSetId>();
  private readonly kindSets = new Map<string, RightSetId>();

  constructor(catalog: Catalog) {
    this.catalog = catalog;
    this.words = Math.max(1, Math.ceil(catalog.rights.length / 32));
    this.intern(new Uint32Array(this.words));
  }

  /** How many distinct sets exist (ids are 0 .. size-1). */
  get size(): number {
    return this.bits.length;
  }

  private intern(bits: Uint32Array): RightSetId {
    const key = bits.join(',');
    let id = this.byKey.get(key);
    if (id === undefined) {
      id = this.bits.length;
      // Past this the memo keys of unions and intersections would alias (the engine is worn long before: WORN_AT).
      if (id >= MAX_SETS) throw new Error(`RightSets: more than ${MAX_SETS} distinct right sets`);
      this.bits.push(bits);
      this.byKey.set(key, id);
    }
    return id;
  }

  /** The set of the given right indices. */
  fromIndices(indices: Iterable<number>): RightSetId {
    const bits = new Uint32Array(this.words);
    for (const i of indices) bits[i >>> 5]! |= 1 << (i & 31);
    return this.intern(bits);
  }

  union(a: RightSetId, b: RightSetId): RightSetId {
    if (a === b || b === EMPTY) return a;
    if (a === EMPTY) return b;
    const key = pairKey(a, b);
    let id = this.unions.get(key);
    if (id === undefined) {
      const x = this.bits[a]!;
      const y = this.bits[b]!;
      const out = new Uint32Array(this.words);
      for (let w = 0; w < this.words; w++) out[w] = x[w]! | y[w]!;
      id = this.intern(out);
      this.unions.set(key, id);
    }
    return id;
  }

  intersect(a: RightSetId, b: RightSetId): RightSetId {
    if (a === b) return a;
    if (a === EMPTY || b === EMPTY) return EMPTY;
    const key = pairKey(a, b);
    let id = this.intersections.get(key);
    if (id === undefined) {
      const x = this.bits[a]!;
      const y = this.bits[b]!;
      const out = new Uint32Array(this.words);
      for (let w = 0; w < this.words; w++) out[w] = x[w]! & y[w]!;
      id = this.intern(out);
      this.intersections.set(key, id);
    }
    return id;
  }

  /** a without the rights of b. */
  subtract(a: RightSetId, b: RightSetId): RightSetId {
    const x = this.bits[a]!;
    const y = this.bits[b]!;
    const out = new Uint32Array(this.words);
    for (let w = 0; w < this.words; w++) out[w] = x[w]! & ~y[w]!;
    return this.intern(out);
  }

  has(set: RightSetId, index: number): boolean {
    return (this.bits[set]![index >>> 5]! & (1 << (index & 31))) !== 0;
  }

  /** a ⊆ b */
  isSubset(a: RightSetId, b: RightSetId): boolean {
    return this.union(a, b) === b;
  }

  /** Right indices of the set, ascending. */
  indices(set: RightSetId): number[] {
    const out: number[] = [];
    const bits = this.bits[set]!;
    for (let w = 0; w < this.words; w++) {
      let word = bits[w]!;
      while (word !== 0) {
        const low = word & -word;
        out.push(w * 32 + 31 - Math.clz32(low));
        word ^= low;
      }
    }
    return out;
  }

  /** Right names of the set, ascending. */
  rightNames(set: RightSetId): readonly string[] {
    let names = this.names[set];
    if (!names) {
      names = this.indices(set).map((i) => this.catalog.rights[i]!);
      this.names[set] = names;
    }
    return names;
  }

  /** The set as it is stored: 32-bit words, right index i at bit i. */
  words32(set: RightSetId): Uint32Array {
    return this.bits[set]!;
  }

  /**
   * expand(S) of semantics §1: pseudo-rights replaced by what they stand for, implications closed.
   * Unknown names are ignored (validation reports them); memoised per list of names.
   */
  expand(rights: readonly string[]): RightSetId {
    const key = rights.join(' ');
    let id = this.expanded.get(key);
    if (id === undefined) {
      const indices = new Set<number>();
      for (const right of rights) {
        const direct = this.catalog.pseudoRights.get(right) ?? [this.catalog.rightIndex.get(right)];
        for (const i of direct) {
          if (i === undefined) continue;
          indices.add(i);
          for (const implied of this.catalog.implied[i]!) indices.add(implied);
        }
      }
      id = this.fromIndices(indices);
      this.expanded.set(key, id);
    }
    return id;
  }

  /** kindRights(K); the empty set for a kind the catalog does not know. */
  kindRights(kind: string): RightSetId {
    let id = this.kindSets.get(kind);
    if (id === undefined) {
      id = this.fromIndices(this.catalog.kinds.get(kind)?.rights ?? []);
      this.kindSets.set(kind, id);
    }
    return id;
  }
}
