/**
 * Entity reach: per namespace and entity kind, the distinct users that the active grants on the namespace's entities
 * give some right (what an organization's status counts as `authorizedUsers.throughEntities`, Aspera's Through
 * Shares / Through Projects). The same users as `Engine.forEachEntityGrant` visits, found subject by subject: each
 * grant's subject is expanded once per kind (a group granted several entities of a kind counts its members once),
 * and an organization subject's members once against the union of what its grants give there.
 *
 * Kept per namespace until a change's Impact names the namespace (the engine calls `forget`): whatever changes who
 * a namespace's grants reach changes its entity rows (`Engine.namespaceEntities`), and change propagation reports
 * every namespace whose rows move (the incremental property tests hold it to that).
 */
import type { EngineState } from './engine-state.ts';
import { EMPTY, type RightSetId } from './right-sets.ts';

/** Kind → the distinct users grants on entities of that kind reach (kinds reaching nobody left out). */
export type ReachByKind = ReadonlyMap<string, readonly string[]>;

interface Subjects {
  users: Set<string>;
  groups: Set<string>;
  /** Organization → the union of what its grants on entities of the kind give. */
  organizations: Map<string, RightSetId>;
}

export class EntityReach {
  private readonly state: EngineState;
  private readonly cache = new Map<string, ReachByKind>();

  constructor(state: EngineState) {
    this.state = state;
  }

  /** Kind → users reached by the grants on the namespace's entities; computed once, kept until forgotten. */
  of(namespace: string): ReachByKind {
    let reach = this.cache.get(namespace);
    if (reach === undefined) this.cache.set(namespace, (reach = this.compute(namespace)));
    return reach;
  }

  /** Drops what is kept for these namespaces (those a change's Impact names). */
  forget(namespaces: Iterable<string>): void {
    for (const ns of namespaces) this.cache.delete(ns);
  }

  private compute(namespace: string): ReachByKind {
    const { sets, restricted, groups, memberships, model } = this.state;
    const byKind = new Map<string, Subjects>();
    for (const record of this.state.grants.inNamespace(namespace)) {
      const verdict = record.verdict;
      if (!verdict.active || verdict.granted === EMPTY || record.target.organization !== undefined) continue;
      let subjects = byKind.get(record.target.kind);
      if (!subjects) byKind.set(record.target.kind, (subjects = { users: new Set(), groups: new Set(), organizations: new Map() }));
      const subject = record.collab.subject;
      if (subject.kind === 'User') subjects.users.add(subject.name);
      else if (subject.kind === 'UserGroup') subjects.groups.add(subject.name);
      else subjects.organizations.set(subject.name, sets.union(subjects.organizations.get(subject.name) ?? EMPTY, verdict.granted));
    }
    const out = new Map<string, readonly string[]>();
    for (const [kind, subjects] of byKind) {
      const reached = new Set<string>();
      for (const user of subjects.users) if (model.users.has(user) && !restricted.has(user)) reached.add(user);
      for (const group of subjects.groups) for (const user of groups.membersOf(group)) if (!restricted.has(user)) reached.add(user);
      for (const [org, granted] of subjects.organizations) {
        for (const [user, m] of memberships.membersOf(org)) if (!restricted.has(user) && sets.intersect(m.mask, granted) !== EMPTY) reached.add(user);
      }
      if (reached.size > 0) out.set(kind, [...reached]);
    }
    return out;
  }
}
