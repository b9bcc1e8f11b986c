/**
 * The organization hierarchy and namespace ownership (semantics §4): ancestors through `parent` (none for an
 * organization on a cycle of parents), and which organization owns each namespace (none when two claim it).
 * Recomputed whole when an Organization changes: organizations are few and change rarely.
 */
import type { Model } from '../model/model.ts';

export interface OrganizationStructure {
  /** Organization → its ancestors, nearest first. */
  ancestors: Map<string, string[]>;
  /** Organization → its descendants (organizations that have it as an ancestor). */
  descendants: Map<string, Set<string>>;
  /** Organizations on a cycle of parents. */
  cyclic: Set<string>;
  /** Namespace → the organization owning it (claimed by exactly one). */
  owner: Map<string, string>;
  /** Namespace → the organizations claiming it, for namespaces claimed by two or more. */
  conflicts: Map<string, string[]>;
  /** Organization → namespaces it actually owns, sorted. */
  owned: Map<string, string[]>;
}

/** Computes the hierarchy and ownership of the model's organizations. */
export function organizationStructure(model: Model): OrganizationStructure {
  const cyclic = new Set<string>();
  for (const start of model.organizations.keys()) {
    const seen = new Set<string>();
    for (let o: string | undefined = start; o !== undefined && model.organizations.has(o); o = model.organizations.get(o)!.parent) {
      if (seen.has(o)) {
        if (o === start) cyclic.add(start);
        break;
      }
      seen.add(o);
    }
  }
  const ancestors = new Map<string, string[]>();
  const descendants = new Map<string, Set<string>>();
  for (const name of model.organizations.keys()) {
    const chain: string[] = [];
    if (!cyclic.has(name)) {
      for (let p = model.organizations.get(name)!.parent; p !== undefined && model.organizations.has(p); p = model.organizations.get(p)!.parent) {
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
  return { ancestors, descendants, cyclic, owner, conflicts, owned };
}
