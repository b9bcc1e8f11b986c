/**
 * Entity reach: per namespace and entity kind, the distinct users that the active grants on the namespace's entities
 * give some right (what an organization's status counts as `authorizedUsers.throughEntities`, Aspera's Through
 * Shares / Through Projects): the users of the namespace's rights classes (namespace-classes.ts) that hold rights on
 * an entity of the kind — the same users `Engine.forEachEntityGrant` visits, without visiting each (grant, user).
 *
 * Kept per namespace until a change's Impact names the namespace (the engine calls `forget`): whatever changes who
 * a namespace's grants reach changes its entity rows (`Engine.namespaceEntities`), and change propagation reports
 * every namespace whose rows move (the incremental property tests hold it to that). Building a namespace's
 * permission map computes its classes, and the engine remembers the reach from them, so that the statuses computed
 * after the maps (at start) do not walk the namespace again. It keeps only the users' ids (`ClassScratch`), so that
 * an organization's counts over several namespaces and kinds (`counts`) mark ids in a typed array instead of adding
 * names to sets (at medium 2 M reached users over the 1,000 organizations' namespaces); the names, which only
 * `of` (an organization's detailed sets) reads, are looked up from the ids when asked for: kept beside the ids they
 * were two thirds of the reach's heap (8 bytes a reference against 4 an id).
 */
import type { EngineState } from './engine-state.ts';
import { namespaceClasses, type ClassScratch, type RightsClass } from './namespace-classes.ts';

/** Kind → the distinct users grants on entities of that kind reach (kinds reaching nobody left out). */
export type ReachByKind = ReadonlyMap<string, readonly string[]>;

/** What a namespace's grants reach: kind → the users' ids (`ClassScratch`), each user once per kind. */
type Reach = ReadonlyMap<string, Int32Array>;

/** Distinct users of an organization's entity reach: by kind, and with its members (`all`). */
export interface ReachCounts {
  all: number;
  /** Kind → distinct users, kinds in name order. */
  byKind: Record<string, number>;
}

export class EntityReach {
  private readonly state: EngineState;
  private readonly scratch: ClassScratch;
  private readonly cache = new Map<string, Reach>();
  /** User id → the count (`epoch`) that last saw it: distinct users are counted without a set of names. */
  private marks = new Int32Array(0);
  private epoch = 0;

  constructor(state: EngineState, scratch: ClassScratch) {
    this.state = state;
    this.scratch = scratch;
  }

  /** Kind → users reached by the grants on the namespace's entities; computed once, kept until forgotten. */
  of(namespace: string): ReachByKind {
    const names = new Map<string, string[]>();
    for (const [kind, ids] of this.reach(namespace)) names.set(kind, Array.from(ids, (id) => this.scratch.nameOf(id)));
    return names;
  }

  /** Keeps the reach of a namespace from its classes, computed now by the caller. */
  remember(namespace: string, classes: readonly RightsClass[]): void {
    if (!this.cache.has(namespace)) this.cache.set(namespace, reachOf(classes, this.scratch));
  }

  /** Drops what is kept for these namespaces (those a change's Impact names). */
  forget(namespaces: Iterable<string>): void {
    for (const ns of namespaces) this.cache.delete(ns);
  }

  /**
   * The distinct users the grants on these namespaces' entities reach, by kind, and together with `users` (an
   * organization's members holding rights): what its status counts (`authorizedUsers`), without sets of names.
   */
  counts(namespaces: Iterable<string>, users: Iterable<string>): ReachCounts {
    const byKind = new Map<string, Int32Array[]>();
    for (const ns of namespaces) {
      for (const [kind, ids] of this.reach(ns)) {
        const lists = byKind.get(kind);
        if (lists) lists.push(ids);
        else byKind.set(kind, [ids]);
      }
    }
    const members: number[] = [];
    for (const user of users) members.push(this.scratch.idOf(user));
    if (this.marks.length < this.scratch.userCount) this.marks = new Int32Array(Math.max(this.scratch.userCount, 2 * this.marks.length));
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
    for (const kind of [...byKind.keys()].sort()) counts.byKind[kind] = distinct(byKind.get(kind)!, ++this.epoch);
    const epoch = ++this.epoch;
    counts.all = distinct([Int32Array.from(members)], epoch);
    for (const lists of byKind.values()) counts.all += distinct(lists, epoch);
    return counts;
  }

  private reach(namespace: string): Reach {
    let reach = this.cache.get(namespace);
    if (reach === undefined) this.cache.set(namespace, (reach = reachOf(namespaceClasses(this.state, namespace, this.scratch), this.scratch)));
    return reach;
  }
}

function reachOf(classes: readonly RightsClass[], scratch: ClassScratch): Reach {
  const idLists = new Map<string, Int32Array[]>();
  const kinds = new Set<string>();
  for (const c of classes) {
    kinds.clear();
    for (const key of c.entities.keys()) kinds.add(key.slice(0, key.indexOf('/')));
    if (kinds.size === 0) continue;
    const ids = scratch.idsOf(c.users);
    for (const kind of kinds) {
      const lists = idLists.get(kind);
      if (lists) lists.push(ids);
      else idLists.set(kind, [ids]);
    }
  }
  const reach = new Map<string, Int32Array>();
  for (const [kind, lists] of idLists) {
    const all = new Int32Array(lists.reduce((n, l) => n + l.length, 0));
    let at = 0;
    for (const l of lists) {
      all.set(l, at);
      at += l.length;
    }
    reach.set(kind, all);
  }
  return reach;
}
