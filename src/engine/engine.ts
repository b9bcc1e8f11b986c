/**
 * The rights engine: a pure, incremental computation of semantics.md over a model.
 *
 * State kept between changes: group memberships, the organization structure, each Collaboration's verdict, and for
 * every user a profile (the rights it holds on entities named by grants, per-namespace defaults from ownership, its
 * organization memberships). A change updates the model, then only the derived state it can affect, recomputes the
 * profiles of the users it can affect and reports what moved (users, namespaces' permission maps, statuses).
 * No I/O, no clock: time is an argument.
 */
import type { Catalog } from '../catalog/catalog.ts';
import { objectKey, type CollaborationObject, type Model, type ModelObject, type UserObject } from '../model/model.ts';
import { checkCollaboration, type Failure } from './collaboration-checks.ts';
import { GroupIndex, type GroupDiff } from './groups.ts';
import { organizationStructure, type OrganizationStructure } from './organizations.ts';
import { EMPTY, RightSets, type RightSetId } from './right-sets.ts';
import { addTo, removeFrom } from './set-index.ts';

export interface EngineOptions {
  /** `all`: administrators get every right, nothing withheld (The Things Stack's admin-rights.all). */
  adminRights?: 'default' | 'all';
}

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

export interface CollaborationVerdict {
  active: boolean;
  failures: Failure[];
  /** expand(rights ∪ role) — intersected with the target kind's rights for entity targets; EMPTY when inactive. */
  granted: RightSetId;
  /** Same, computed whether or not the collaboration is active (for status and explain). */
  wouldGrant: RightSetId;
}

export interface Membership {
  /** expand(M*(u, o)) */
  mask: RightSetId;
  /** Through a Collaboration naming the user (in o or an ancestor). */
  direct: boolean;
  /** Through a Collaboration naming a group containing the user. */
  viaGroup: boolean;
}

export interface Profile {
  /** Entity key → rights from grants on that entity (already ∩ kindRights). */
  entities: Map<string, RightSetId>;
  /** Namespace → kind → rights on every entity of that kind there (ownership). */
  defaults: Map<string, Map<string, RightSetId>>;
  /** An Approved admin. */
  admin: boolean;
  /** Organization → M*(u, o), for every organization the user is a member of. */
  organizations: Map<string, Membership>;
}

const RIGHTS_STATES = new Set(['Approved', 'Flagged']);

function emptyImpact(): Impact {
  return { users: new Set(), namespaces: new Set(), statuses: new Set() };
}

function mergeImpact(into: Impact, from: Impact): void {
  for (const u of from.users) into.users.add(u);
  for (const n of from.namespaces) into.namespaces.add(n);
  for (const s of from.statuses) into.statuses.add(s);
}

const collabKey = (c: { namespace: string; name: string }): string => `${c.namespace}/${c.name}`;

/** Where an entity key points: its kind and namespace, or the organization for `Organization/o`. */
interface EntityInfo {
  key: string;
  kind: string;
  namespace: string | undefined;
  organization: string | undefined;
}

/** A Collaboration with what the hot paths need of it, so that one look-up gives everything. */
interface GrantRecord {
  key: string;
  collab: CollaborationObject;
  verdict: CollaborationVerdict;
  target: EntityInfo;
}

export class Engine {
  readonly catalog: Catalog;
  readonly sets: RightSets;
  readonly options: Required<EngineOptions>;
  readonly model: Model;
  private nowMs: number;
  groups: GroupIndex;
  organizations: OrganizationStructure;
  /** `namespace/name` → the collaboration's record. */
  private readonly records = new Map<string, GrantRecord>();
  /** `User/alice`, `UserGroup/devs`, `Organization/acme` → grants with that subject. */
  private readonly bySubject = new Map<string, Set<GrantRecord>>();
  /** Organization → membership grants targeting it. */
  private readonly byTargetOrganization = new Map<string, Set<GrantRecord>>();
  /** Entity key → grants targeting that entity (not organizations). */
  private readonly byTargetEntity = new Map<string, Set<GrantRecord>>();
  private readonly byNamespace = new Map<string, Set<GrantRecord>>();
  private readonly expiring = new Set<GrantRecord>();
  private readonly entityInfos = new Map<string, EntityInfo>();
  private readonly profiles = new Map<string, Profile>();
  /** Organization → users with M*(u, o) ≠ ∅. */
  private readonly orgMembers = new Map<string, Set<string>>();
  /** Entity key → user → rights from grants on it (entities of namespaces). */
  private readonly entityRows = new Map<string, Map<string, RightSetId>>();
  /** Namespace → keys of its entities that have rows. */
  private readonly nsEntityKeys = new Map<string, Set<string>>();
  /** Namespace → kind → user → default rights. */
  private readonly nsDefaults = new Map<string, Map<string, Map<string, RightSetId>>>();
  /** Organization → user → rights on Organization/o. */
  private readonly orgRows = new Map<string, Map<string, RightSetId>>();
  readonly admins = new Set<string>();
  private adminSets = new Map<string, RightSetId>();

  /** Builds the engine over a model (which it then owns and mutates through `apply`). */
  constructor(model: Model, catalog: Catalog, options: EngineOptions = {}, now = 0) {
    this.catalog = catalog;
    this.sets = new RightSets(catalog);
    this.options = { adminRights: options.adminRights ?? 'default' };
    this.model = model;
    this.nowMs = now;
    this.groups = new GroupIndex(model);
    this.organizations = organizationStructure(model);
    for (const c of model.collaborations.values()) this.indexCollaboration(c);
    const impact = emptyImpact();
    for (const user of model.users.keys()) this.updateProfile(user, impact);
  }

  get now(): number {
    return this.nowMs;
  }

  // ---------------------------------------------------------------- queries

  verdict(namespace: string, name: string): CollaborationVerdict | undefined {
    return this.records.get(`${namespace}/${name}`)?.verdict;
  }

  profile(user: string): Profile | undefined {
    return this.profiles.get(user);
  }

  membersOfOrganization(org: string): ReadonlySet<string> {
    return this.orgMembers.get(org) ?? new Set();
  }

  /** Keys (`namespace/name`) of the collaborations with a subject (`User/alice`, `UserGroup/devs`, ...). */
  collaborationsWithSubject(subjectKey: string): ReadonlySet<string> {
    return new Set([...(this.bySubject.get(subjectKey) ?? [])].map((r) => r.key));
  }

  /** Keys of the membership collaborations targeting an organization. */
  membershipCollaborations(org: string): ReadonlySet<string> {
    return new Set([...(this.byTargetOrganization.get(org) ?? [])].map((r) => r.key));
  }

  /** Keys of the collaborations of a namespace. */
  collaborationsIn(namespace: string): ReadonlySet<string> {
    return new Set([...(this.byNamespace.get(namespace) ?? [])].map((r) => r.key));
  }

  /** What admins get on an entity of kind K (§5.6). */
  adminRightsOf(kind: string): RightSetId {
    let set = this.adminSets.get(kind);
    if (set === undefined) {
      const all = this.sets.kindRights(kind);
      set = this.options.adminRights === 'all' ? all : this.sets.subtract(all, this.sets.fromIndices(this.catalog.adminWithheld));
      this.adminSets.set(kind, set);
    }
    return set;
  }

  /** Namespaces that get a permission map: those holding Collaborations or claimed by an Organization. */
  mapNamespaces(): string[] {
    const set = new Set<string>(this.byNamespace.keys());
    for (const org of this.model.organizations.values()) for (const ns of org.namespaces) set.add(ns);
    return [...set].sort();
  }

  /** Entity rows of a namespace: entity key → user → rights from grants on it (not the defaults). */
  namespaceEntities(namespace: string): ReadonlyMap<string, ReadonlyMap<string, RightSetId>> {
    const out = new Map<string, ReadonlyMap<string, RightSetId>>();
    for (const key of this.nsEntityKeys.get(namespace) ?? []) out.set(key, this.entityRows.get(key)!);
    return out;
  }

  namespaceDefaults(namespace: string): ReadonlyMap<string, ReadonlyMap<string, RightSetId>> {
    return this.nsDefaults.get(namespace) ?? new Map();
  }

  /** user → rights on Organization/o. */
  organizationRows(org: string): ReadonlyMap<string, RightSetId> {
    return this.orgRows.get(org) ?? new Map();
  }

  /**
   * Effective rights of a user on a non-User entity from the profile (what the permission maps publish).
   * The reference implementation with provenance is `evaluate` (evaluate.ts); tests hold the two equal.
   */
  rightsFromProfile(user: string, entity: { kind: string; namespace: string | undefined; key: string }): RightSetId {
    const profile = this.profiles.get(user);
    if (!profile) return EMPTY;
    let set = profile.entities.get(entity.key) ?? EMPTY;
    if (entity.namespace !== undefined) set = this.sets.union(set, profile.defaults.get(entity.namespace)?.get(entity.kind) ?? EMPTY);
    if (profile.admin) set = this.sets.union(set, this.adminRightsOf(entity.kind));
    return this.sets.intersect(set, this.sets.kindRights(entity.kind));
  }

  /** The collaborations that have an `expiresAt` (expired or not). */
  *expiringCollaborations(): Iterable<CollaborationObject> {
    for (const record of this.expiring) yield record.collab;
  }

  /** The earliest `expiresAt` after now, for scheduling; undefined when nothing expires. */
  nextExpiry(): number | undefined {
    let next: number | undefined;
    for (const record of this.expiring) {
      const at = record.collab.expiresAt!;
      if (at > this.nowMs && (next === undefined || at < next)) next = at;
    }
    return next;
  }

  /** The namespace-scoped key of an entity targeted by a Collaboration, e.g. `Application/acme/app1`. */
  targetKey(c: CollaborationObject): string {
    return c.target.kind === 'Organization' ? `Organization/${c.target.name}` : `${c.target.kind}/${c.namespace}/${c.target.name}`;
  }

  /** The interned description of an entity key. */
  private entityInfo(key: string): EntityInfo {
    let info = this.entityInfos.get(key);
    if (!info) {
      const parts = key.split('/');
      info =
        parts.length === 2
          ? { key, kind: parts[0]!, namespace: undefined, organization: parts[0] === 'Organization' ? parts[1] : undefined }
          : { key, kind: parts[0]!, namespace: parts[1], organization: undefined };
      this.entityInfos.set(key, info);
    }
    return info;
  }

  // ---------------------------------------------------------------- changes

  /** Applies changes in order and reports everything they affected. */
  apply(changes: readonly Change[]): Impact {
    const impact = emptyImpact();
    for (const change of changes) mergeImpact(impact, this.applyOne(change));
    return impact;
  }

  /** Moves the evaluation time (expiring grants, or un-expiring them when time moves back). */
  advanceTime(now: number): Impact {
    const before = this.nowMs;
    this.nowMs = now;
    const impact = emptyImpact();
    const lo = Math.min(before, now);
    const hi = Math.max(before, now);
    const changed: GrantRecord[] = [];
    for (const record of this.expiring) {
      const at = record.collab.expiresAt!;
      if (at > lo && at <= hi) changed.push(record);
    }
    const users = new Set<string>();
    for (const record of changed) this.revalidate(record, users, impact);
    this.recomputeUsers(users, impact);
    return impact;
  }

  private applyOne(change: Change): Impact {
    const impact = emptyImpact();
    const kind = change.type === 'upsert' ? change.object.kind : change.kind;
    const name = change.type === 'upsert' ? change.object.name : change.name;
    const namespace = change.type === 'upsert' ? (change.object.kind === 'Collaboration' ? change.object.namespace : undefined) : change.namespace;
    impact.statuses.add(objectKey({ kind, name, namespace }));
    const users = new Set<string>();
    switch (kind) {
      case 'User': {
        const before = this.model.users.get(name);
        if (change.type === 'upsert') this.model.users.set(name, change.object as UserObject);
        else this.model.users.delete(name);
        this.absorbGroupDiff(this.groups.userChanged(name, before), users, impact);
        users.add(name);
        // The organizations' authorized-user counts depend on the member's state and admin flag.
        for (const org of this.profiles.get(name)?.organizations.keys() ?? []) impact.statuses.add(`Organization/${org}`);
        if (!before !== !this.model.users.has(name)) {
          for (const g of this.groups.listing('User', name)) impact.statuses.add(`UserGroup/${g}`);
          for (const record of this.bySubject.get(`User/${name}`) ?? []) this.revalidate(record, users, impact);
        }
        break;
      }
      case 'UserGroup': {
        const before = this.model.groups.get(name);
        const subjectKey = `UserGroup/${name}`;
        if (change.type === 'upsert') this.model.groups.set(name, change.object as never);
        else this.model.groups.delete(name);
        // Members before, for collaborations that heal or break with the group's existence.
        this.absorbGroupDiff(this.groups.groupChanged(name, before), users, impact);
        if (!before !== !this.model.groups.has(name)) {
          for (const g of this.groups.listing('UserGroup', name)) impact.statuses.add(`UserGroup/${g}`);
          for (const record of this.bySubject.get(subjectKey) ?? []) this.revalidate(record, users, impact);
        }
        for (const g of this.groups.cyclic) impact.statuses.add(`UserGroup/${g}`);
        break;
      }
      case 'Organization':
        this.organizationChanged(name, change, users, impact);
        break;
      case 'Collaboration': {
        const key = `${namespace}/${name}`;
        const before = this.model.collaborations.get(key);
        const beforeTarget = before ? this.records.get(key)!.target : undefined;
        const fanned = new Set<string>();
        if (before) {
          this.fanOut(before, fanned);
          this.unindexCollaboration(before);
        }
        let after: CollaborationObject | undefined;
        if (change.type === 'upsert') {
          after = change.object as CollaborationObject;
          this.model.collaborations.set(key, after);
          this.indexCollaboration(after);
          this.fanOut(after, fanned);
        } else {
          this.model.collaborations.delete(key);
        }
        const afterTarget = after ? this.records.get(key)!.target : undefined;
        if (beforeTarget?.organization !== undefined) impact.statuses.add(`Organization/${beforeTarget.organization}`);
        if (afterTarget?.organization !== undefined) impact.statuses.add(`Organization/${afterTarget.organization}`);
        // A namespace appears in or disappears from the set of namespaces with a map.
        if (!before !== !after) impact.namespaces.add(namespace!);
        if (before?.target.kind === 'Organization' || after?.target.kind === 'Organization') {
          for (const u of fanned) users.add(u); // a membership: M* of these users changes, so their whole profile
        } else {
          // A grant on one entity: only that entity's row of the subject's users can change.
          const entities = [beforeTarget, afterTarget].filter((t, i, all): t is EntityInfo => t !== undefined && all.indexOf(t) === i);
          for (const u of fanned) for (const entity of entities) this.refreshEntity(u, entity, impact);
        }
        break;
      }
    }
    this.recomputeUsers(users, impact);
    return impact;
  }

  private organizationChanged(name: string, change: Change, users: Set<string>, impact: Impact): void {
    const before = this.model.organizations.get(name);
    const oldStructure = this.organizations;
    const touched = new Set<string>([name, ...(oldStructure.descendants.get(name) ?? [])]);
    if (change.type === 'upsert') this.model.organizations.set(name, change.object as never);
    else this.model.organizations.delete(name);
    const after = this.model.organizations.get(name);
    this.organizations = organizationStructure(this.model);
    const structure = this.organizations;
    for (const d of structure.descendants.get(name) ?? []) touched.add(d);
    // Organizations whose ancestors or owned namespaces changed, and namespaces whose owner changed.
    const namespaces = new Set<string>([...(before?.namespaces ?? []), ...(after?.namespaces ?? [])]);
    for (const ns of namespaces) {
      const o1 = oldStructure.owner.get(ns);
      const o2 = structure.owner.get(ns);
      if (o1 !== o2) {
        if (o1) touched.add(o1);
        if (o2) touched.add(o2);
        impact.namespaces.add(ns);
      }
      // Memberships in this namespace depend on who owns it (and their messages on who claims it).
      for (const record of this.byNamespace.get(ns) ?? []) this.revalidate(record, users, impact);
      for (const o of [...(oldStructure.conflicts.get(ns) ?? []), ...(structure.conflicts.get(ns) ?? [])]) touched.add(o);
    }
    for (const org of this.model.organizations.keys()) {
      if (oldStructure.cyclic.has(org) !== structure.cyclic.has(org)) touched.add(org);
    }
    if (!before !== !after) {
      for (const record of this.bySubject.get(`Organization/${name}`) ?? []) this.revalidate(record, users, impact);
      // Groups naming the organization as owner warn while it does not exist (rare: a scan is fine).
      for (const g of this.model.groups.values()) if (g.organization === name) impact.statuses.add(`UserGroup/${g.name}`);
    }
    for (const record of this.byTargetOrganization.get(name) ?? []) {
      this.revalidate(record, users, impact);
      impact.statuses.add(`Collaboration/${record.key}`); // ResolvedRefs names a missing target organization
    }
    // Every user whose M* may change is a member, before or after, of a touched organization.
    const closure = new Set<string>(touched);
    for (const o of touched) {
      for (const a of structure.ancestors.get(o) ?? []) closure.add(a);
      for (const a of oldStructure.ancestors.get(o) ?? []) closure.add(a);
      for (const d of structure.descendants.get(o) ?? []) closure.add(d);
    }
    for (const o of closure) {
      impact.statuses.add(`Organization/${o}`);
      for (const u of this.orgMembers.get(o) ?? []) users.add(u);
      for (const record of this.byTargetOrganization.get(o) ?? []) this.fanOut(record.collab, users);
    }
    for (const record of this.bySubject.get(`Organization/${name}`) ?? []) this.fanOut(record.collab, users);
  }

  private absorbGroupDiff(diff: GroupDiff, users: Set<string>, impact: Impact): void {
    for (const u of diff.users.keys()) {
      users.add(u);
      impact.users.add(u);
      impact.statuses.add(`User/${u}`);
    }
    for (const g of diff.groups) impact.statuses.add(`UserGroup/${g}`);
  }

  /** Re-judges a collaboration; when its verdict changed, its subject's users are affected. */
  private revalidate(record: GrantRecord, users: Set<string>, impact: Impact): void {
    const before = record.verdict;
    const after = this.judge(record.collab);
    record.verdict = after;
    if (before.active !== after.active || before.granted !== after.granted || JSON.stringify(before.failures) !== JSON.stringify(after.failures)) {
      impact.statuses.add(`Collaboration/${record.key}`);
      if (record.target.organization !== undefined) impact.statuses.add(`Organization/${record.target.organization}`);
    }
    if (before.active !== after.active || before.granted !== after.granted) this.fanOut(record.collab, users);
  }

  /** Adds the users a collaboration's subject stands for (whatever its verdict). */
  private fanOut(c: CollaborationObject, users: Set<string>): void {
    const { kind, name } = c.subject;
    if (kind === 'User') users.add(name);
    else if (kind === 'UserGroup') for (const u of this.groups.membersOf(name)) users.add(u);
    else for (const u of this.orgMembers.get(name) ?? []) users.add(u);
  }

  private judge(c: CollaborationObject): CollaborationVerdict {
    const failures = checkCollaboration(c, { catalog: this.catalog, model: this.model, organizations: this.organizations, now: this.nowMs });
    const names = c.role !== undefined && this.catalog.roles.has(c.role) ? [...c.rights, ...this.catalog.roles.get(c.role)!] : [...c.rights];
    let wouldGrant = this.sets.expand(names);
    if (c.target.kind !== 'Organization') wouldGrant = this.sets.intersect(wouldGrant, this.sets.kindRights(c.target.kind));
    const active = failures.length === 0;
    return { active, failures, granted: active ? wouldGrant : EMPTY, wouldGrant };
  }

  private indexCollaboration(c: CollaborationObject): void {
    const key = collabKey(c);
    const target = this.entityInfo(this.targetKey(c));
    const record: GrantRecord = { key, collab: c, verdict: this.judge(c), target };
    this.records.set(key, record);
    addTo(this.bySubject, `${c.subject.kind}/${c.subject.name}`, record);
    addTo(this.byNamespace, c.namespace, record);
    if (target.organization !== undefined && c.target.kind === 'Organization') addTo(this.byTargetOrganization, c.target.name, record);
    else addTo(this.byTargetEntity, target.key, record);
    if (c.expiresAt !== undefined) this.expiring.add(record);
  }

  private unindexCollaboration(c: CollaborationObject): void {
    const key = collabKey(c);
    const record = this.records.get(key);
    if (!record) return;
    this.records.delete(key);
    removeFrom(this.bySubject, `${c.subject.kind}/${c.subject.name}`, record);
    removeFrom(this.byNamespace, c.namespace, record);
    removeFrom(this.byTargetOrganization, c.target.name, record);
    removeFrom(this.byTargetEntity, record.target.key, record);
    this.expiring.delete(record);
  }

  // ---------------------------------------------------------------- profiles

  private recomputeUsers(users: Set<string>, impact: Impact): void {
    // A profile depends only on the user's own grants and memberships, so users are independent of each other.
    for (const user of users) this.updateProfile(user, impact);
  }

  /** Recomputes one user's profile and folds the difference into the namespace views. */
  private updateProfile(user: string, impact: Impact): void {
    const before = this.profiles.get(user);
    const after = this.model.users.has(user) ? this.computeProfile(this.model.users.get(user)!) : undefined;
    if (after) this.profiles.set(user, after);
    else this.profiles.delete(user);
    let changed = false;
    // Entities: what changed, without building sets of keys (this runs for every user on a full build).
    if (after) {
      for (const [key, b] of after.entities) {
        if ((before?.entities.get(key) ?? EMPTY) === b) continue;
        changed = true;
        this.setEntityRow(key, user, b, impact);
      }
    }
    if (before) {
      for (const key of before.entities.keys()) {
        if (after?.entities.has(key)) continue;
        changed = true;
        this.setEntityRow(key, user, EMPTY, impact);
      }
    }
    // Defaults.
    if (after) {
      for (const [ns, db] of after.defaults) {
        const da = before?.defaults.get(ns);
        for (const [kind, b] of db) {
          if ((da?.get(kind) ?? EMPTY) === b) continue;
          changed = true;
          this.setDefaultRow(ns, kind, user, b, impact);
        }
        if (da) for (const kind of da.keys()) if (!db.has(kind)) (changed = true), this.setDefaultRow(ns, kind, user, EMPTY, impact);
      }
    }
    if (before) {
      for (const [ns, da] of before.defaults) {
        if (after?.defaults.has(ns)) continue;
        for (const kind of da.keys()) (changed = true), this.setDefaultRow(ns, kind, user, EMPTY, impact);
      }
    }
    // Admin rights appear in every map.
    if ((before?.admin ?? false) !== (after?.admin ?? false)) {
      changed = true;
      if (after?.admin) this.admins.add(user);
      else this.admins.delete(user);
      for (const ns of this.mapNamespaces()) impact.namespaces.add(ns);
    }
    // Memberships.
    const membershipChanged = (org: string): void => {
      changed = true;
      impact.statuses.add(`Organization/${org}`);
    };
    if (after) {
      for (const [org, b] of after.organizations) {
        const a = before?.organizations.get(org);
        if (a && a.mask === b.mask && a.direct === b.direct && a.viaGroup === b.viaGroup) continue;
        membershipChanged(org);
        addTo(this.orgMembers, org, user);
      }
    }
    if (before) {
      for (const org of before.organizations.keys()) {
        if (after?.organizations.has(org)) continue;
        membershipChanged(org);
        removeFrom(this.orgMembers, org, user);
      }
    }
    if (changed || !before !== !after) {
      impact.users.add(user);
      impact.statuses.add(`User/${user}`);
    }
  }

  /** Publishes a user's rights on an entity (EMPTY removes them) and records which map changed. */
  private setEntityRow(key: string, user: string, set: RightSetId, impact: Impact): void {
    const info = this.entityInfo(key);
    if (info.organization !== undefined) {
      // Organization/o: published in the maps of the namespaces o owns.
      setRow(this.orgRows, info.organization, user, set);
      impact.statuses.add(`Organization/${info.organization}`);
      for (const ns of this.organizations.owned.get(info.organization) ?? []) impact.namespaces.add(ns);
      return;
    }
    const ns = info.namespace!;
    let rows = this.entityRows.get(key);
    if (set === EMPTY) {
      if (rows && rows.delete(user) && rows.size === 0) {
        this.entityRows.delete(key);
        removeFrom(this.nsEntityKeys, ns, key);
      }
    } else {
      if (!rows) {
        this.entityRows.set(key, (rows = new Map()));
        addTo(this.nsEntityKeys, ns, key);
      }
      rows.set(user, set);
    }
    impact.namespaces.add(ns);
  }

  private setDefaultRow(ns: string, kind: string, user: string, set: RightSetId, impact: Impact): void {
    let defaults = this.nsDefaults.get(ns);
    if (!defaults) this.nsDefaults.set(ns, (defaults = new Map()));
    setRow(defaults, kind, user, set);
    if (defaults.size === 0) this.nsDefaults.delete(ns);
    impact.namespaces.add(ns);
  }

  /**
   * Recomputes one user's rights on one entity (not an organization) when only grants on that entity changed:
   * the same sum as computeProfile's, over the grants targeting the entity.
   */
  private refreshEntity(user: string, entity: EntityInfo, impact: Impact): void {
    const profile = this.profiles.get(user);
    const object = this.model.users.get(user);
    if (!profile || !object || !RIGHTS_STATES.has(object.state)) return;
    const sets = this.sets;
    let set = EMPTY;
    const groups = this.groups.groupsOf(user);
    for (const record of this.byTargetEntity.get(entity.key) ?? []) {
      if (!record.verdict.active) continue;
      const subject = record.collab.subject;
      if (subject.kind === 'User') {
        if (subject.name === user) set = sets.union(set, record.verdict.granted);
      } else if (subject.kind === 'UserGroup') {
        if (groups.has(subject.name)) set = sets.union(set, record.verdict.granted);
      } else {
        const membership = profile.organizations.get(subject.name);
        if (membership) set = sets.union(set, sets.intersect(membership.mask, record.verdict.granted));
      }
    }
    if ((profile.entities.get(entity.key) ?? EMPTY) === set) return;
    if (set === EMPTY) profile.entities.delete(entity.key);
    else profile.entities.set(entity.key, set);
    this.setEntityRow(entity.key, user, set, impact);
    impact.users.add(user);
    impact.statuses.add(`User/${user}`);
  }

  /** semantics §5 for every entity a grant names, as one pass over the user's grants. */
  private computeProfile(user: UserObject): Profile {
    const sets = this.sets;
    const profile: Profile = { entities: new Map(), defaults: new Map(), admin: user.admin && user.state === 'Approved', organizations: new Map() };
    const grantEntity = (key: string, set: RightSetId): void => {
      if (set === EMPTY) return;
      profile.entities.set(key, sets.union(profile.entities.get(key) ?? EMPTY, set));
    };
    const direct = new Map<string, Membership>();
    const visit = (subject: string, viaGroup: boolean): void => {
      for (const record of this.bySubject.get(subject) ?? []) {
        const verdict = record.verdict;
        if (!verdict.active) continue;
        if (record.collab.target.kind === 'Organization') {
          const org = record.collab.target.name;
          const m = direct.get(org);
          if (m) {
            m.mask = sets.union(m.mask, verdict.granted);
            if (viaGroup) m.viaGroup = true;
            else m.direct = true;
          } else {
            direct.set(org, { mask: verdict.granted, direct: !viaGroup, viaGroup });
          }
        } else {
          grantEntity(record.target.key, verdict.granted);
        }
      }
    };
    visit(`User/${user.name}`, false);
    for (const g of this.groups.groupsOf(user.name)) visit(`UserGroup/${g}`, true);
    // M*(u, o): memberships flow down to descendants.
    for (const [org, m] of direct) {
      for (const o of [org, ...(this.organizations.descendants.get(org) ?? [])]) {
        const current = profile.organizations.get(o);
        profile.organizations.set(
          o,
          current
            ? { mask: sets.union(current.mask, m.mask), direct: current.direct || m.direct, viaGroup: current.viaGroup || m.viaGroup }
            : { ...m },
        );
      }
    }
    if (!RIGHTS_STATES.has(user.state)) {
      profile.entities.clear();
      return profile;
    }
    const orgKind = sets.kindRights('Organization');
    for (const [org, m] of profile.organizations) {
      grantEntity(`Organization/${org}`, sets.intersect(m.mask, orgKind));
      const object = this.model.organizations.get(org);
      if (!object) continue;
      const own = sets.expand(object.ownerRights ?? (this.catalog.allRight ? [this.catalog.allRight] : []));
      const ownMasked = sets.intersect(m.mask, own);
      if (ownMasked !== EMPTY) {
        for (const ns of this.organizations.owned.get(org) ?? []) {
          const byKind = new Map<string, RightSetId>();
          for (const kind of this.catalog.kinds.values()) {
            if (kind.scope !== 'Namespaced') continue;
            const set = sets.intersect(ownMasked, sets.kindRights(kind.name));
            if (set !== EMPTY) byKind.set(kind.name, set);
          }
          if (byKind.size > 0) profile.defaults.set(ns, byKind);
        }
      }
      for (const record of this.bySubject.get(`Organization/${org}`) ?? []) {
        if (!record.verdict.active) continue;
        grantEntity(record.target.key, sets.intersect(m.mask, record.verdict.granted));
      }
    }
    return profile;
  }
}

function setRow<K>(table: Map<K, Map<string, RightSetId>>, key: K, user: string, set: RightSetId): void {
  let rows = table.get(key);
  if (set === EMPTY) {
    if (rows && rows.delete(user) && rows.size === 0) table.delete(key);
    return;
  }
  if (!rows) table.set(key, (rows = new Map()));
  rows.set(user, set);
}
