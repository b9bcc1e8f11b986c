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
 * after the maps (at start) do not walk the namespace again.
 */
import type { EngineState } from './engine-state.ts';
import { namespaceClasses, type ClassScratch, type RightsClass } from './namespace-classes.ts';

/** Kind → the distinct users grants on entities of that kind reach (kinds reaching nobody left out). */
export type ReachByKind = ReadonlyMap<string, readonly string[]>;

export class EntityReach {
  private readonly state: EngineState;
  private readonly scratch: ClassScratch;
  private readonly cache = new Map<string, ReachByKind>();

  constructor(state: EngineState, scratch: ClassScratch) {
    this.state = state;
    this.scratch = scratch;
  }

  /** Kind → users reached by the grants on the namespace's entities; computed once, kept until forgotten. */
  of(namespace: string): ReachByKind {
    let reach = this.cache.get(namespace);
    if (reach === undefined) this.cache.set(namespace, (reach = reachOf(namespaceClasses(this.state, namespace, this.scratch))));
    return reach;
  }

  /** Keeps the reach of a namespace from its classes, computed now by the caller. */
  remember(namespace: string, classes: readonly RightsClass[]): void {
    if (!this.cache.has(namespace)) this.cache.set(namespace, reachOf(classes));
  }

  /** Drops what is kept for these namespaces (those a change's Impact names). */
  forget(namespaces: Iterable<string>): void {
    for (const ns of namespaces) this.cache.delete(ns);
  }
}

function reachOf(classes: readonly RightsClass[]): ReachByKind {
  const out = new Map<string, string[]>();
  const kinds = new Set<string>();
  for (const c of classes) {
    kinds.clear();
    for (const key of c.entities.keys()) kinds.add(key.slice(0, key.indexOf('/')));
    for (const kind of kinds) {
      let users = out.get(kind);
      if (!users) out.set(kind, (users = []));
      for (const user of c.users) users.push(user);
    }
  }
  return out;
}
