/**
 * Entity reach: per namespace and entity kind, the distinct users that the active grants on the namespace's entities
 * give some right (what an organization's status counts as `authorizedUsers.throughEntities`, Aspera's Through
 * Shares / Through Projects): the users of the namespace's rights classes (namespace-classes.ts) that hold rights on
 * an entity of the kind — the same users `Engine.forEachEntityGrant` visits, without visiting each (grant, user).
 *
 * Kept per namespace, and brought up to date from the Impacts since (`note`): whatever changes who a namespace's
 * grants reach changes its entity rows, and change propagation names every namespace whose rows move and every user
 * whose rights moved (the incremental property tests hold it to that) — so the users an Impact names are moved, each
 * by its own class now (`userClassIn`, as the kept permission maps move them), and the others keep their place (a
 * kind's ids are kept ascending: a named user costs a binary search per kind, and a kind's ids are copied again only
 * when one comes or goes, in place when they only go). A namespace whose owner changed, or for which more users were
 * named than its reach holds, is computed whole again. Before, an Impact dropped the namespace's reach, and an
 * organization's status after a group edit computed every class of each namespace the edit named (half of the
 * operator's reconcile time in the end-to-end benchmark). Building a namespace's permission map computes its
 * classes, and the engine remembers the reach from them, so that the statuses computed after the maps (at start) do
 * not walk the namespace again. It keeps only the users' ids (`ClassScratch`), so that
 * an organization's counts over several namespaces and kinds (`counts`) mark ids in a typed array instead of adding
 * names to sets (at medium 2 M reached users over the 1,000 organizations' namespaces); the names, which only
 * `of` (an organization's detailed sets) reads, are looked up from the ids when asked for: kept beside the ids they
 * were two thirds of the reach's heap (8 bytes a reference against 4 an id).
 */
import type { EngineState } from './engine-state.ts';
import { namespaceClasses, userClassIn, type ClassScratch, type NamespaceSubjects, type RightsClass } from './namespace-classes.ts';
import type { Impact } from './propagation.ts';
import { lowerBound } from './sorted-search.ts';

/** Kind → the distinct users grants on entities of that kind reach (kinds reaching nobody left out). */
export type ReachByKind = ReadonlyMap<string, readonly string[]>;

/** What a namespace's grants reach: kind → the users' ids (`ClassScratch`), each user once per kind, ascending. */
type Reach = ReadonlyMap<string, Int32Array>;

/** Distinct users of an organization's entity reach: by kind, and with its members (`all`). */
export interface ReachCounts {
  all: number;
  /** Kind → distinct users, kinds in name order. */
  byKind: Record<string, number>;
}

/** A namespace's reach as kept: for its owner then, and the users named by the Impacts since. */
interface Kept {
  reach: Reach;
  owner: string | undefined;
  /** Ids held over all kinds (a user reaching two kinds counts twice): past this many users named, compute whole. */
  size: number;
  named: Array<ReadonlySet<string>>;
  namedCount: number;
  /** The subjects the last update used (`subjectsOf` returns them again while they hold). */
  subjects: NamespaceSubjects | undefined;
}

/** What the namespace's grants reach a user through now (`Engine.namespaceSubjects`, kept while they hold). */
export type SubjectsOf = (namespace: string, last?: NamespaceSubjects) => NamespaceSubjects;

export class EntityReach {
  private readonly state: EngineState;
  private readonly scratch: ClassScratch;
  private readonly subjectsOf: SubjectsOf;
  private readonly cache = new Map<string, Kept>();
  /** User id → the count or update (`epoch`) that last saw it: distinct users are counted without a set of names. */
  private marks = new Int32Array(0);
  private epoch = 0;

  constructor(state: EngineState, scratch: ClassScratch, subjectsOf: SubjectsOf) {
    this.state = state;
    this.scratch = scratch;
    this.subjectsOf = subjectsOf;
  }

  /** Kind → users reached by the grants on the namespace's entities (kept, and moved by the Impacts since). */
  of(namespace: string): ReachByKind {
    const names = new Map<string, string[]>();
    for (const [kind, ids] of this.reach(namespace)) names.set(kind, Array.from(ids, (id) => this.scratch.nameOf(id)));
    return names;
  }

  /** Keeps the reach of a namespace from its classes, computed now by the caller. */
  remember(namespace: string, classes: readonly RightsClass[]): void {
    if (!this.cache.has(namespace)) this.cache.set(namespace, this.kept(namespace, reachOf(classes, this.scratch)));
  }

  /**
   * Takes note of a change: the users it names are moved in each namespace it names, when that namespace's reach is
   * next read; one named with more users than its reach holds is let go (computed whole when read).
   */
  note(impact: Impact): void {
    for (const ns of impact.namespaces) {
      const kept = this.cache.get(ns);
      if (kept === undefined) continue;
      kept.namedCount += impact.users.size;
      if (kept.namedCount > Math.max(64, kept.size)) this.cache.delete(ns);
      else kept.named.push(impact.users);
    }
  }

  /**
   * The distinct users the grants on these namespaces' entities reach, by kind, and together with `members` (an
   * organization's members holding rights, as ids shifted left by `shift`: organization-counts.ts): what its status
   * counts (`authorizedUsers`), without sets of names.
   */
  counts(namespaces: Iterable<string>, members: Int32Array, shift: number): ReachCounts {
    const byKind = new Map<string, Int32Array[]>();
    for (const ns of namespaces) {
      for (const [kind, ids] of this.reach(ns)) {
        const lists = byKind.get(kind);
        if (lists) lists.push(ids);
        else byKind.set(kind, [ids]);
      }
    }
    this.reserveEpochs(byKind.size + 1);
    const marks = this.marks;
    const distinct = (lists: readonly Int32Array[], epoch: number): number => {
      let n = 0;
      for (const ids of lists) {
        for (let i = 0; i < ids.length; i++) {
          const id = ids[i]!;
          if (marks[id] === epoch) continue;
          marks[id] = epoch;
          n++;
        }
      }
      return n;
    };
    const counts: ReachCounts = { all: 0, byKind: {} };
    const kinds = [...byKind.keys()].sort();
    for (const kind of kinds) {
      const lists = byKind.get(kind)!;
      // One namespace's list holds each user once.
      counts.byKind[kind] = lists.length === 1 ? lists[0]!.length : distinct(lists, ++this.epoch);
    }
    const epoch = ++this.epoch;
    for (let i = 0; i < members.length; i++) marks[members[i]! >> shift] = epoch;
    counts.all = members.length;
    for (const lists of byKind.values()) counts.all += distinct(lists, epoch);
    return counts;
  }

  private reach(namespace: string): Reach {
    let kept = this.cache.get(namespace);
    if (kept !== undefined && kept.owner !== this.state.organizations.owner.get(namespace)) kept = undefined;
    if (kept === undefined) this.cache.set(namespace, (kept = this.kept(namespace, reachOf(namespaceClasses(this.state, namespace, this.scratch), this.scratch))));
    else if (kept.named.length > 0) this.update(namespace, kept);
    return kept.reach;
  }

  private kept(namespace: string, reach: Reach): Kept {
    let size = 0;
    for (const ids of reach.values()) size += ids.length;
    return { reach, owner: this.state.organizations.owner.get(namespace), size, named: [], namedCount: 0, subjects: undefined };
  }

  /**
   * Moves the users named since: each one's class now says which kinds it reaches; a kind's ids (ascending) are
   * copied again only when one of them comes or goes, so that a change naming a few users costs a binary search each
   * per kind, not a pass over every id kept.
   */
  private update(namespace: string, kept: Kept): void {
    const subjects = (kept.subjects = this.subjectsOf(namespace, kept.subjects));
    const named: number[] = [];
    const reaches: Array<ReadonlySet<string>> = [];
    const kinds = new Set<string>(kept.reach.keys());
    this.reserveEpochs(1);
    const epoch = ++this.epoch;
    for (const users of kept.named) {
      for (const user of users) {
        const id = this.scratch.idOf(user);
        if (this.marks.length <= id) this.growMarks();
        if (this.marks[id] === epoch) continue;
        this.marks[id] = epoch;
        const c = userClassIn(this.state, subjects, user);
        const reached = new Set<string>();
        if (c !== undefined) for (const key of c.entities.keys()) reached.add(key.slice(0, key.indexOf('/')));
        for (const kind of reached) kinds.add(kind);
        named.push(id);
        reaches.push(reached);
      }
    }
    const reach = new Map<string, Int32Array>();
    let size = 0;
    for (const kind of kinds) {
      const before = kept.reach.get(kind) ?? EMPTY_IDS;
      // (position in `before`, id): an id to insert before that position, or -1: the id there goes.
      const moves: Array<[number, number]> = [];
      for (let i = 0; i < named.length; i++) {
        const id = named[i]!;
        const at = lowerBound(before, id);
        const held = at < before.length && before[at] === id;
        const reached = reaches[i]!.has(kind);
        if (held && !reached) moves.push([at, -1]);
        else if (!held && reached) moves.push([at, id]);
      }
      let ids = before;
      if (moves.length > 0) {
        // Inserts at a position before the removal there; inserts at one position in ascending order.
        moves.sort(([p, x], [q, y]) => p - q || (x === -1 ? 1 : y === -1 ? -1 : x - y));
        let grown = 0;
        for (const [, id] of moves) grown += id === -1 ? -1 : 1;
        // Only removals: in place (the kept array is this namespace's own), else into a new array.
        ids = grown === -moves.length ? before : new Int32Array(before.length + grown);
        const into = ids;
        const copy = (at: number, from: number, to: number): void => {
          if (into === before) before.copyWithin(at, from, to);
          else into.set(before.subarray(from, to), at);
        };
        let at = 0;
        let from = 0;
        for (const [position, id] of moves) {
          copy(at, from, position);
          at += position - from;
          from = position;
          if (id === -1) from++;
          else into[at++] = id;
        }
        copy(at, from, before.length);
        at += before.length - from;
        ids = into.subarray(0, at);
      }
      if (ids.length === 0) continue;
      reach.set(kind, ids);
      size += ids.length;
    }
    kept.reach = reach;
    kept.size = size;
    kept.named = [];
    kept.namedCount = 0;
  }

  /**
   * Room for `n` more epochs, and a mark for every user numbered. The marks are 32-bit: before the epoch would pass
   * what they hold (2³¹ − 1; a busy operator's counts take a few epochs each, for weeks), they start again from 0.
   */
  private reserveEpochs(n: number): void {
    if (this.marks.length < this.scratch.userCount) this.growMarks();
    if (this.epoch + n > 0x7fffffff) {
      this.marks.fill(0);
      this.epoch = 0;
    }
  }

  private growMarks(): void {
    const grown = new Int32Array(Math.max(this.scratch.userCount, 2 * this.marks.length, 1024));
    grown.set(this.marks);
    this.marks = grown;
  }
}

/**
 * Kind → the ids of the classes' users holding rights on an entity of the kind, ascending. From the walk that made the
 * classes (`ClassScratch.lastWalk`: its users' ids in name order, each with its class) when they are its, so that each
 * kind's ids are written in one pass in name order, already ascending while ids ascend with the names (`idsInNameOrder`,
 * as from a fresh engine's start; else each kind's ids are sorted); from the classes' users otherwise.
 */
function reachOf(classes: readonly RightsClass[], scratch: ClassScratch): Reach {
  // The kinds each class reaches (indices into `kinds`) and how many ids each kind gets.
  const kindIndex = new Map<string, number>();
  const kinds: string[] = [];
  const counts: number[] = [];
  const kindsOf = new Array<number[] | undefined>(classes.length);
  for (let c = 0; c < classes.length; c++) {
    const cls = classes[c]!;
    let list: number[] | undefined;
    for (const key of cls.entities.keys()) {
      const kind = key.slice(0, key.indexOf('/'));
      let k = kindIndex.get(kind);
      if (k === undefined) {
        kindIndex.set(kind, (k = kinds.push(kind) - 1));
        counts.push(0);
      }
      if (list === undefined) list = [k];
      else if (!list.includes(k)) list.push(k);
      else continue;
      counts[k]! += cls.users.length;
    }
    kindsOf[c] = list;
  }
  const lists = counts.map((n) => new Int32Array(n));
  const filled = new Array<number>(kinds.length).fill(0);
  const walk = scratch.lastWalk(classes);
  if (walk !== undefined) {
    const { ids, classes: classOf } = walk;
    for (let p = 0; p < ids.length; p++) {
      const list = kindsOf[classOf[p]!];
      if (list === undefined) continue;
      for (const k of list) lists[k]![filled[k]!++] = ids[p]!;
    }
  } else {
    classes.forEach((cls, c) => {
      const list = kindsOf[c];
      if (list === undefined) return;
      const ids = scratch.idsOf(cls.users);
      for (const k of list) {
        lists[k]!.set(ids, filled[k]!);
        filled[k]! += ids.length;
      }
    });
  }
  const sorted = walk !== undefined && scratch.idsInNameOrder;
  const reach = new Map<string, Int32Array>();
  kinds.forEach((kind, k) => reach.set(kind, sorted ? lists[k]! : lists[k]!.sort()));
  return reach;
}

const EMPTY_IDS = new Int32Array(0);

