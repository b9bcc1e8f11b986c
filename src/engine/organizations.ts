/**
 * The organization hierarchy and namespace ownership (semantics §4): ancestors through `parent` (none for an
 * organization on a cycle of parents; at most MAX_ANCESTORS), and which organization owns each namespace (none when
 * two claim it). Recomputed whole when an Organization changes (linear: organizations are few and change rarely).
 */
import type { Model } from '../model/model.ts';

export interface OrganizationStructure {
  /** Organization → its ancestors, nearest first. */
  ancestors: Map<string, string[]>;
  /** Organization → its descendants (organizations that have it as an ancestor). */
  descendants: Map<string, Set<string>>;
  /** Organizations on a cycle of parents. */
  cyclic: Set<string>;
  /** Organizations with more than MAX_ANCESTORS ancestors (their ancestors are cut there). */
  tooDeep: Set<string>;
  /** Namespace → the organization owning it (claimed by exactly one). */
  owner: Map<string, string>;
  /** Namespace → the organizations claiming it, for namespaces claimed by two or more. */
  conflicts: Map<string, string[]>;
  /** Organization → namespaces it actually owns, sorted. */
  owned: Map<string, string[]>;
}

/**
 * How many ancestors an organization can have. A deeper chain of parents is cut here: the organization's
 * ancestors are its nearest MAX_ANCESTORS and it reports `ParentChainTooDeep` (members of the farther ancestors do
 * not become its members: fewer rights, never more). The bound keeps the hierarchy linear in the number of
 * organizations (a chain of 5,000 made it quadratic) and is the size of `status.ancestors` (maxItems 64 in the CRD).
 */
export const MAX_ANCESTORS = 64;

/** Computes the hierarchy and ownership of the model's organizations, in time linear in their number. */
export function organizationStructure(model: Model): OrganizationStructure {
  const parentOf = (o: string): string | undefined => {
    const p = model.organizations.get(o)?.parent;
    return p !== undefined && model.organizations.has(p) ? p : undefined;
  };
  // Cycles: each organization is walked once; a walk that meets its own path has found a cycle.
  const cyclic = new Set<string>();
  const done = new Set<string>();
  for (const start of model.organizations.keys()) {
    if (done.has(start)) continue;
    const path: string[] = [];
    const onPath = new Map<string, number>();
    let o: string | undefined = start;
    while (o !== undefined && !done.has(o) && !onPath.has(o)) {
      onPath.set(o, path.length);
      path.push(o);
      o = parentOf(o);
    }
    if (o !== undefined && onPath.has(o)) for (const member of path.slice(onPath.get(o)!)) cyclic.add(member);
    for (const member of path) done.add(member);
  }
  const ancestors = new Map<string, string[]>();
  const descendants = new Map<string, Set<string>>();
  const tooDeep = new Set<string>();
  for (const name of model.organizations.keys()) {
    const chain: string[] = [];
    if (!cyclic.has(name)) {
      for (let p = parentOf(name); p !== undefined; p = parentOf(p)) {
        if (chain.length === MAX_ANCESTORS) {
          tooDeep.add(name);
          break;
        }
        chain.push(p);
        if (cyclic.has(p)) break; // an organization on a cycle has no ancestors of its own
      }
    }
    ancestors.set(name, chain);
    for (const a of chain) {
      let set = descendants.get(a);
      if (!set) descendants.set(a, (set = new Set()));
      set.add(name);
    }
  }
  const claims = new Map<string, string[]>();
  for (const org of model.organizations.values()) {
    for (const ns of org.namespaces) {
      const list = claims.get(ns);
      if (list) list.push(org.name);
      else claims.set(ns, [org.name]);
    }
  }
  const owner = new Map<string, string>();
  const conflicts = new Map<string, string[]>();
  const owned = new Map<string, string[]>();
  for (const [ns, orgs] of claims) {
    if (orgs.length === 1) {
      owner.set(ns, orgs[0]!);
      const list = owned.get(orgs[0]!);
      if (list) list.push(ns);
      else owned.set(orgs[0]!, [ns]);
    } else {
      conflicts.set(ns, [...orgs].sort());
    }
  }
  for (const list of owned.values()) list.sort();
  return { ancestors, descendants, cyclic, tooDeep, owner, conflicts, owned };
}
