/**
 * Change propagation: applies a change (or the passing of time) to the model and to the state derived from it, then
 * reports what moved: users whose rights or memberships changed, namespaces whose permission map changed, objects
 * whose status may have changed. Only the derived state a change can affect is recomputed.
 */
import { objectKey, putObject, removeObject, type CollaborationObject, type Model, type ModelObject } from '../model/model.ts';
import { mapNamespaces, type EngineState } from './engine-state.ts';
import { targetKey, type EntityInfo, type GrantRecord } from './grant-index.ts';
import type { GroupDiff } from './groups.ts';
import type { MembershipMoves } from './memberships.ts';
import { organizationStructure } from './organizations.ts';
import type { RightSetId } from './right-sets.ts';
import { holdsRights, isAdmin } from './user-states.ts';
import { grantMoved, judge, verdictMoved, type CollaborationVerdict } from './verdict.ts';

export type Change =
  | { type: 'upsert'; object: ModelObject }
  | { type: 'delete'; kind: ModelObject['kind']; name: string; namespace?: string };

/** What a change (or the passing of time) affected. */
export interface Impact {
  /** Users whose effective rights or memberships changed. */
  users: Set<string>;
  /** Namespaces whose permission map changed. */
  namespaces: Set<string>;
  /** Objects (`Kind/name`, `Collaboration/ns/name`) whose status may have changed. */
  statuses: Set<string>;
}

export function emptyImpact(): Impact {
  return { users: new Set(), namespaces: new Set(), statuses: new Set() };
}

function mergeImpact(into: Impact, from: Impact): void {
  for (const u of from.users) into.users.add(u);
  for (const n of from.namespaces) into.namespaces.add(n);
  for (const s of from.statuses) into.statuses.add(s);
}

/** Judges a collaboration against the engine's current model, organization structure and time. */
export function judgeIn(state: EngineState, c: CollaborationObject): CollaborationVerdict {
  return judge(c, { catalog: state.catalog, model: state.model, organizations: state.organizations, now: state.now }, state.sets, state.checks);
}

export class ChangePropagation {
  private readonly state: EngineState;

  constructor(state: EngineState) {
    this.state = state;
  }

  /** Applies changes in order and reports everything they affected. */
  apply(changes: readonly Change[]): Impact {
    const impact = emptyImpact();
    for (const change of changes) mergeImpact(impact, this.applyOne(change));
    return impact;
  }

  /** Moves the evaluation time (expiring grants, or un-expiring them when time moves back). */
  advanceTime(now: number): Impact {
    const state = this.state;
    const before = state.now;
    state.now = now;
    const impact = emptyImpact();
    const lo = Math.min(before, now);
    const hi = Math.max(before, now);
    const changed: GrantRecord[] = [];
    for (const record of state.grants.withExpiry()) {
      const at = record.collab.expiresAt!;
      if (at > lo && at <= hi) changed.push(record);
    }
    const users = new Set<string>();
    if (state.checkInputs.has('expiry')) for (const record of changed) this.revalidate(record, users, impact);
    this.updateMemberships(users, new Set(), impact);
    this.ownersOfChangedMaps(impact);
    return impact;
  }

  private applyOne(change: Change): Impact {
    const impact = emptyImpact();
    const kind = change.type === 'upsert' ? change.object.kind : change.kind;
    const name = change.type === 'upsert' ? change.object.name : change.name;
    const namespace = change.type === 'upsert' ? (change.object.kind === 'Collaboration' ? change.object.namespace : undefined) : change.namespace;
    impact.statuses.add(objectKey({ kind, name, namespace }));
    /** Users whose memberships must be recomputed; `everything`: users whose rights as a whole may have moved. */
    const users = new Set<string>();
    const everything = new Set<string>();
    switch (kind) {
      case 'User':
        this.userChanged(name, change, users, everything, impact);
        break;
      case 'UserGroup':
        this.userGroupChanged(name, change, users, impact);
        break;
      case 'Organization':
        this.organizationChanged(name, change, users, impact);
        break;
      case 'Collaboration':
        this.collaborationChanged(`${namespace}/${name}`, change, users, impact);
        break;
    }
    this.updateMemberships(users, everything, impact);
    this.ownersOfChangedMaps(impact);
    return impact;
  }

  private userChanged(name: string, change: Change, users: Set<string>, everything: Set<string>, impact: Impact): void {
    const { model, groups, grants } = this.state;
    const before = model.users.get(name);
    write(model, change);
    const after = model.users.get(name);
    for (const key of this.state.userIndex.userChanged(before, after)) impact.statuses.add(key);
    this.absorbGroupDiff(groups.userChanged(name, before), users, impact);
    users.add(name);
    impact.users.add(name);
    // The organizations' authorized-user counts depend on the member's state and admin flag.
    for (const org of this.state.memberships.of(name)?.keys() ?? []) impact.statuses.add(`Organization/${org}`);
    if (!before !== !after) for (const g of groups.listing('User', name)) impact.statuses.add(`UserGroup/${g}`);
    this.subjectChanged(`User/${name}`, !before !== !after, users, impact);
    if (holdsRights(before) !== holdsRights(after)) {
      // Everything the user holds appears or disappears: its grants, its groups' (before and after), its organizations'.
      everything.add(name);
      grants.subjectNamespaces(`User/${name}`, impact.namespaces);
      for (const g of groups.groupsOf(name)) grants.subjectNamespaces(`UserGroup/${g}`, impact.namespaces);
    }
    if (holdsRights(after) || !after) this.state.restricted.delete(name);
    else this.state.restricted.add(name);
    if (isAdmin(before) !== isAdmin(after)) {
      if (isAdmin(after)) this.state.admins.add(name);
      else this.state.admins.delete(name);
      for (const ns of mapNamespaces(this.state)) impact.namespaces.add(ns); // admin rights appear in every map
    }
  }

  private userGroupChanged(name: string, change: Change, users: Set<string>, impact: Impact): void {
    const { model, groups, grants } = this.state;
    const before = model.groups.get(name);
    const subjectKey = `UserGroup/${name}`;
    write(model, change);
    this.absorbGroupDiff(groups.groupChanged(name, before), users, impact);
    const existenceChanged = !before !== !model.groups.has(name);
    if (existenceChanged) for (const g of groups.listing('UserGroup', name)) impact.statuses.add(`UserGroup/${g}`);
    this.subjectChanged(subjectKey, existenceChanged, users, impact);
    for (const g of groups.cyclic) impact.statuses.add(`UserGroup/${g}`);
  }

  private collaborationChanged(key: string, change: Change, users: Set<string>, impact: Impact): void {
    const state = this.state;
    const { model, grants } = state;
    const before = model.collaborations.get(key);
    const beforeTarget = before ? grants.get(key)!.target : undefined;
    const after = change.type === 'upsert' ? (change.object as CollaborationObject) : undefined;
    if (!before && !after) return;
    const fanned = new Set<string>();
    if (before) this.fanOut(before, fanned);
    if (after) this.fanOut(after, fanned);
    const membership = before?.target.kind === 'Organization' || after?.target.kind === 'Organization';
    // Grants on entities: only the subject's users' rights on those entities can change; compare them.
    const entities = membership
      ? []
      : [beforeTarget, after ? grants.entityInfo(targetKey(after)) : undefined].filter((t, i, all): t is EntityInfo => t !== undefined && all.indexOf(t) === i);
    const rightsBefore = entities.map((entity) => new Map([...fanned].map((u) => [u, this.grantRightsOn(u, entity.key)])));
    if (before) grants.remove(before);
    write(model, change);
    if (after) grants.add(after, judgeIn(state, after));
    const afterTarget = after ? grants.get(key)!.target : undefined;
    if (beforeTarget?.organization !== undefined) impact.statuses.add(`Organization/${beforeTarget.organization}`);
    if (afterTarget?.organization !== undefined) impact.statuses.add(`Organization/${afterTarget.organization}`);
    const namespace = (after ?? before)!.namespace;
    // A namespace appears in or disappears from the set of namespaces with a map.
    if (!before !== !after) impact.namespaces.add(namespace);
    if (membership) {
      // M* of these users changes; a grant that was or becomes an entity grant shows in its namespace.
      for (const u of fanned) users.add(u);
      for (const target of [beforeTarget, afterTarget]) {
        if (target?.namespace === undefined) continue;
        impact.namespaces.add(target.namespace);
        touchUsers(fanned, impact);
      }
      return;
    }
    entities.forEach((entity, i) => {
      for (const u of fanned) {
        if (rightsBefore[i]!.get(u) === this.grantRightsOn(u, entity.key)) continue;
        touchUsers([u], impact);
        impact.namespaces.add(entity.namespace!);
      }
    });
  }

  private organizationChanged(name: string, change: Change, users: Set<string>, impact: Impact): void {
    const state = this.state;
    const { model, grants, checkInputs } = state;
    const before = model.organizations.get(name);
    const oldStructure = state.organizations;
    const touched = new Set<string>([name, ...(oldStructure.descendants.get(name) ?? [])]);
    write(model, change);
    const after = model.organizations.get(name);
    state.organizations = organizationStructure(model);
    state.ownership.forget(); // ownerRights and ownership may have changed
    const structure = state.organizations;
    for (const d of structure.descendants.get(name) ?? []) touched.add(d);
    // Organizations whose ancestors or owned namespaces changed, and namespaces whose owner changed.
    const namespaces = new Set<string>([...(before?.namespaces ?? []), ...(after?.namespaces ?? [])]);
    const claimsMoved = checkInputs.has('namespaceClaims') ? claimsChanged(before?.namespaces ?? [], after?.namespaces ?? []) : new Set<string>();
    for (const ns of namespaces) {
      const o1 = oldStructure.owner.get(ns);
      const o2 = structure.owner.get(ns);
      if (o1 !== o2) {
        if (o1) touched.add(o1);
        if (o2) touched.add(o2);
        impact.namespaces.add(ns);
      }
      if (claimsMoved.has(ns)) for (const record of grants.inNamespace(ns)) this.revalidate(record, users, impact);
      for (const o of [...(oldStructure.conflicts.get(ns) ?? []), ...(structure.conflicts.get(ns) ?? [])]) touched.add(o);
    }
    for (const org of model.organizations.keys()) {
      if (oldStructure.cyclic.has(org) !== structure.cyclic.has(org) || oldStructure.tooDeep.has(org) !== structure.tooDeep.has(org)) touched.add(org);
    }
    this.subjectChanged(`Organization/${name}`, !before !== !after, users, impact);
    // Groups naming the organization as owner warn while it does not exist (rare: a scan is fine).
    if (!before !== !after) for (const g of model.groups.values()) if (g.organization === name) impact.statuses.add(`UserGroup/${g.name}`);
    for (const record of grants.onOrganization(name)) {
      if (checkInputs.has('targetOrganization')) this.revalidate(record, users, impact);
      impact.statuses.add(`Collaboration/${record.key}`); // ResolvedRefs names a missing target organization
    }
    // Every user whose M* may change is a member, before or after, of a touched organization.
    const closure = new Set<string>(touched);
    for (const o of touched) {
      for (const a of structure.ancestors.get(o) ?? []) closure.add(a);
      for (const a of oldStructure.ancestors.get(o) ?? []) closure.add(a);
      for (const d of structure.descendants.get(o) ?? []) closure.add(d);
    }
    const members = new Set<string>();
    for (const o of closure) {
      impact.statuses.add(`Organization/${o}`);
      // What ownership gives (ownerRights, owned namespaces) may have changed for every member.
      for (const ns of oldStructure.owned.get(o) ?? []) impact.namespaces.add(ns);
      for (const ns of structure.owned.get(o) ?? []) impact.namespaces.add(ns);
      for (const u of state.memberships.membersOf(o).keys()) members.add(u);
      for (const record of grants.onOrganization(o)) this.fanOut(record.collab, members);
    }
    for (const record of grants.membershipsOf(`Organization/${name}`)) this.fanOut(record.collab, members);
    for (const u of members) users.add(u);
    touchUsers(members, impact);
  }

  /** Users whose closure of groups changed: their memberships are recomputed, their groups' grants' maps refreshed. */
  private absorbGroupDiff(diff: GroupDiff, users: Set<string>, impact: Impact): void {
    const groups = new Set<string>();
    for (const [u, toggled] of diff.users) {
      users.add(u);
      for (const g of toggled) groups.add(g);
    }
    touchUsers(diff.users.keys(), impact);
    for (const g of groups) this.state.grants.subjectNamespaces(`UserGroup/${g}`, impact.namespaces);
    for (const g of diff.groups) impact.statuses.add(`UserGroup/${g}`);
  }

  /**
   * The object `subjectKey` names changed: re-judges the Collaborations naming it as subject when a check reads the
   * subject (any change), or its existence and that changed.
   */
  private subjectChanged(subjectKey: string, existenceChanged: boolean, users: Set<string>, impact: Impact): void {
    const inputs = this.state.checkInputs;
    if (!inputs.has('subject') && !(existenceChanged && inputs.has('subjectExistence'))) return;
    for (const record of this.state.grants.membershipsOf(subjectKey)) this.revalidate(record, users, impact);
    for (const record of this.state.grants.grantsOf(subjectKey)) this.revalidate(record, users, impact);
  }

  /** Re-judges a collaboration; when its verdict changed, its subject's users are affected. */
  private revalidate(record: GrantRecord, users: Set<string>, impact: Impact): void {
    const before = record.verdict;
    const after = judgeIn(this.state, record.collab);
    this.state.grants.rejudge(record, after);
    if (verdictMoved(before, after)) {
      impact.statuses.add(`Collaboration/${record.key}`);
      if (record.target.organization !== undefined) impact.statuses.add(`Organization/${record.target.organization}`);
    }
    if (!grantMoved(before, after)) return;
    if (record.target.organization !== undefined) {
      this.fanOut(record.collab, users); // a membership: M* of the subject's users
      return;
    }
    const fanned = new Set<string>();
    this.fanOut(record.collab, fanned);
    touchUsers(fanned, impact);
    impact.namespaces.add(record.target.namespace!);
  }

  /** Adds the users a collaboration's subject stands for (whatever its verdict). */
  private fanOut(c: CollaborationObject, users: Set<string>): void {
    const { kind, name } = c.subject;
    if (kind === 'User') users.add(name);
    else if (kind === 'UserGroup') for (const u of this.state.groups.membersOf(name)) users.add(u);
    else for (const u of this.state.memberships.membersOf(name).keys()) users.add(u);
  }

  private grantRightsOn(user: string, key: string): RightSetId {
    const state = this.state;
    return state.grants.rightsOn(state.sets, key, user, state.groups.groupsOf(user), state.memberships.of(user));
  }

  /**
   * Recomputes the memberships of users and reports where they moved: the organization's status, and the maps of the
   * namespaces where the organization's members hold rights through it.
   */
  private updateMemberships(users: Set<string>, everything: Set<string>, impact: Impact): void {
    if (users.size === 0) return;
    const moves: MembershipMoves = this.state.memberships.update(users, everything, this.state.organizations);
    for (const org of moves.organizations) impact.statuses.add(`Organization/${org}`);
    for (const org of moves.rights) {
      // Namespaces whose map shows what members of `org` hold through it: those it owns and those of its grants' entities.
      for (const ns of this.state.organizations.owned.get(org) ?? []) impact.namespaces.add(ns);
      this.state.grants.subjectNamespaces(`Organization/${org}`, impact.namespaces);
    }
    touchUsers(moves.users, impact);
  }

  /**
   * An organization's status counts the users its namespaces' grants give rights (authorizedUsers.throughEntities):
   * whatever changed those changed the namespace's map, so the owners of changed maps get their status recomputed.
   */
  private ownersOfChangedMaps(impact: Impact): void {
    for (const ns of impact.namespaces) {
      const owner = this.state.organizations.owner.get(ns);
      if (owner !== undefined) impact.statuses.add(`Organization/${owner}`);
    }
  }
}

/**
 * Namespaces whose claimants changed when an Organization's spec.namespaces went from `before` to `after` (a
 * namespace listed twice claims it twice, so the lists are compared as multisets).
 */
function claimsChanged(before: readonly string[], after: readonly string[]): Set<string> {
  const count = new Map<string, number>();
  for (const ns of before) count.set(ns, (count.get(ns) ?? 0) + 1);
  for (const ns of after) count.set(ns, (count.get(ns) ?? 0) - 1);
  return new Set([...count].filter(([, n]) => n !== 0).map(([ns]) => ns));
}

/** Applies a change to the model's tables. */
function write(model: Model, change: Change): void {
  if (change.type === 'upsert') putObject(model, change.object);
  else removeObject(model, change.kind, change.name, change.namespace);
}

function touchUsers(users: Iterable<string>, impact: Impact): void {
  for (const u of users) {
    impact.users.add(u);
    impact.statuses.add(`User/${u}`);
  }
}
