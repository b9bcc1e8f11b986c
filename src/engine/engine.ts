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
import { UserIndex } from './user-index.ts';

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
  entities: ReadonlyMap<string, RightSetId>;
  /** Namespace → kind → rights on every entity of that kind there (ownership). */
  defaults: ReadonlyMap<string, ReadonlyMap<string, RightSetId>>;
  /** An Approved admin. */
  admin: boolean;
  /** Organization → M*(u, o), for every organization the user is a member of. */
  organizations: ReadonlyMap<string, Membership>;
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
export interface EntityInfo {
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
  /** `User/alice`, `UserGroup/devs`, `Organization/acme` → grants on entities with that subject. */
  private readonly grantsBySubject = new Map<string, Set<GrantRecord>>();
  /** The same for memberships (Collaborations targeting an Organization). */
  private readonly membershipsBySubject = new Map<string, Set<GrantRecord>>();
  /** Organization → membership grants targeting it. */
  private readonly byTargetOrganization = new Map<string, Set<GrantRecord>>();
  /** Entity key → grants targeting that entity (not organizations). */
  private readonly byTargetEntity = new Map<string, Set<GrantRecord>>();
  private readonly byNamespace = new Map<string, Set<GrantRecord>>();
  private readonly expiring = new Set<GrantRecord>();
  private readonly entityInfos = new Map<string, EntityInfo>();
  /** User → organization → M*(u, o): the only per-user state kept; rights are derived from it on demand. */
  private readonly memberships = new Map<string, Map<string, Membership>>();
  /** Organization → user → M*(u, o), for the users with a membership (the same objects as `memberships`). */
  private readonly orgMembers = new Map<string, Map<string, Membership>>();
  /** Existing users that hold no rights (Requested, Rejected, Suspended: §5.1). */
  private readonly restricted = new Set<string>();
  /** Organization → mask → kind → what ownership gives on every entity of the kind (expand(ownerRights) ∩ mask). */
  private ownershipCache = new Map<string, Map<RightSetId, ReadonlyMap<string, RightSetId>>>();
  readonly admins = new Set<string>();
  /** Identities and owners of Users (admission's requester mapping; AmbiguousIdentity; owned-user counts). */
  readonly userIndex: UserIndex;
  private adminSets = new Map<string, RightSetId>();

  /** Builds the engine over a model (which it then owns and mutates through `apply`). */
  constructor(model: Model, catalog: Catalog, options: EngineOptions = {}, now = 0) {
    this.catalog = catalog;
    this.sets = new RightSets(catalog);
    this.options = { adminRights: options.adminRights ?? 'default' };
    this.model = model;
    this.nowMs = now;
    this.groups = new GroupIndex(model);
    this.userIndex = new UserIndex(model);
    this.organizations = organizationStructure(model);
    for (const c of model.collaborations.values()) this.indexCollaboration(c);
    const direct = this.directMembershipsOfAll();
    for (const user of model.users.values()) {
      const own = direct.get(user.name);
      if (own) {
        const memberships = this.inherited(own);
        this.memberships.set(user.name, memberships);
        for (const [org, m] of memberships) setMember(this.orgMembers, org, user.name, m);
      }
      if (isAdmin(user)) this.admins.add(user.name);
      if (!RIGHTS_STATES.has(user.state)) this.restricted.add(user.name);
    }
  }

  get now(): number {
    return this.nowMs;
  }

  // ---------------------------------------------------------------- queries

  verdict(namespace: string, name: string): CollaborationVerdict | undefined {
    return this.records.get(`${namespace}/${name}`)?.verdict;
  }

  /** Everything a user holds, computed from the grants, groups and memberships (undefined for no such user). */
  profile(user: string): Profile | undefined {
    const object = this.model.users.get(user);
    return object ? this.computeProfile(object) : undefined;
  }

  /**
   * What a user's status summarises, without building right sets: every entity a grant gives the user some right on
   * (each once; `Organization/o` for the organizations where its membership holds rights of that kind) and the
   * namespaces where ownership gives it rights on every entity of a kind. The same entities and namespaces as
   * `profile`'s, at a fraction of its cost (126,000 statuses at the medium benchmark tier).
   */
  holdings(user: string): { entities: ReadonlySet<EntityInfo>; defaultNamespaces: ReadonlySet<string> } {
    const entities = new Set<EntityInfo>();
    const defaultNamespaces = new Set<string>();
    const object = this.model.users.get(user);
    if (!object || !RIGHTS_STATES.has(object.state)) return { entities, defaultNamespaces };
    const sets = this.sets;
    const held = (records: ReadonlySet<GrantRecord> | undefined): void => {
      if (records) for (const record of records) if (record.verdict.granted !== EMPTY) entities.add(record.target);
    };
    held(this.grantsBySubject.get(`User/${user}`));
    for (const g of this.groups.groupsOf(user)) held(this.grantsBySubject.get(`UserGroup/${g}`));
    const orgKind = sets.kindRights('Organization');
    for (const [org, m] of this.memberships.get(user) ?? []) {
      if (sets.intersect(m.mask, orgKind) !== EMPTY) entities.add(this.entityInfo(`Organization/${org}`));
      if (this.ownership(org, m.mask).size > 0) for (const ns of this.organizations.owned.get(org) ?? []) defaultNamespaces.add(ns);
      for (const record of this.grantsBySubject.get(`Organization/${org}`) ?? []) {
        if (sets.intersect(m.mask, record.verdict.granted) !== EMPTY) entities.add(record.target);
      }
    }
    return { entities, defaultNamespaces };
  }

  /** organization → M*(u, o), for every organization the user is a member of. */
  membershipsOf(user: string): ReadonlyMap<string, Membership> {
    return this.memberships.get(user) ?? new Map();
  }

  /** M*(u, o), or undefined when the user is no member of the organization. */
  membership(user: string, org: string): Membership | undefined {
    return this.memberships.get(user)?.get(org);
  }

  membersOfOrganization(org: string): ReadonlySet<string> {
    return new Set(this.orgMembers.get(org)?.keys());
  }

  /** user → M*(u, o) for the members of an organization. */
  organizationMembers(org: string): ReadonlyMap<string, Membership> {
    return this.orgMembers.get(org) ?? new Map();
  }

  /** Keys (`namespace/name`) of the collaborations with a subject (`User/alice`, `UserGroup/devs`, ...). */
  collaborationsWithSubject(subjectKey: string): ReadonlySet<string> {
    const keys = new Set<string>();
    for (const record of this.grantsBySubject.get(subjectKey) ?? []) keys.add(record.key);
    for (const record of this.membershipsBySubject.get(subjectKey) ?? []) keys.add(record.key);
    return keys;
  }

  /** Keys (`namespace/name`) of the collaborations targeting an entity (not an organization), e.g. `Application/acme/app1`. */
  collaborationsOn(entityKey: string): ReadonlySet<string> {
    return new Set([...(this.byTargetEntity.get(entityKey) ?? [])].map((r) => r.key));
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

  /**
   * Entity rows of a namespace: entity key → user → rights from grants on it (not the defaults), for users that hold
   * rights (Approved or Flagged). Computed from the namespace's grants and their subjects' members.
   */
  namespaceEntities(namespace: string): ReadonlyMap<string, ReadonlyMap<string, RightSetId>> {
    const out = new Map<string, Map<string, RightSetId>>();
    this.forEachEntityGrant(namespace, (key, user, set) => {
      let rows = out.get(key);
      if (!rows) out.set(key, (rows = new Map()));
      const current = rows.get(user);
      rows.set(user, current === undefined ? set : this.sets.union(current, set));
    });
    return out;
  }

  /**
   * Every (entity, user, rights) that an active grant of the namespace gives a user holding rights, one call per
   * grant and user (a user may get the same entity from several grants: the union is the caller's).
   */
  forEachEntityGrant(namespace: string, visit: (entityKey: string, user: string, set: RightSetId) => void): void {
    const sets = this.sets;
    const restricted = this.restricted;
    for (const record of this.byNamespace.get(namespace) ?? []) {
      const verdict = record.verdict;
      if (!verdict.active || verdict.granted === EMPTY || record.target.organization !== undefined) continue;
      const key = record.target.key;
      const granted = verdict.granted;
      const subject = record.collab.subject;
      if (subject.kind === 'User') {
        if (this.model.users.has(subject.name) && !restricted.has(subject.name)) visit(key, subject.name, granted);
      } else if (subject.kind === 'UserGroup') {
        for (const user of this.groups.membersOf(subject.name)) if (!restricted.has(user)) visit(key, user, granted);
      } else {
        for (const [user, m] of this.orgMembers.get(subject.name) ?? []) {
          if (restricted.has(user)) continue;
          const set = sets.intersect(m.mask, granted);
          if (set !== EMPTY) visit(key, user, set);
        }
      }
    }
  }

  /** Kind → user → rights on every entity of that kind in the namespace, from its owner's memberships (§5.4). */
  namespaceDefaults(namespace: string): ReadonlyMap<string, ReadonlyMap<string, RightSetId>> {
    const out = new Map<string, Map<string, RightSetId>>();
    const owner = this.organizations.owner.get(namespace);
    if (owner === undefined) return out;
    for (const [user, m] of this.orgMembers.get(owner) ?? []) {
      if (this.restricted.has(user)) continue;
      for (const [kind, set] of this.ownership(owner, m.mask)) {
        let rows = out.get(kind);
        if (!rows) out.set(kind, (rows = new Map()));
        rows.set(user, set);
      }
    }
    return out;
  }

  /** user → rights on Organization/o (M*(u, o) ∩ the Organization kind's rights). */
  organizationRows(org: string): ReadonlyMap<string, RightSetId> {
    const out = new Map<string, RightSetId>();
    const orgKind = this.sets.kindRights('Organization');
    for (const [user, m] of this.orgMembers.get(org) ?? []) {
      if (this.restricted.has(user)) continue;
      const set = this.sets.intersect(m.mask, orgKind);
      if (set !== EMPTY) out.set(user, set);
    }
    return out;
  }

  /**
   * Effective rights of a user on a non-User entity (what the permission maps publish), from the grants on that
   * entity, the owner's memberships and admin rights. The reference implementation with provenance is `evaluate`
   * (evaluate.ts); tests hold the two equal.
   */
  rightsFromProfile(user: string, entity: { kind: string; namespace: string | undefined; key: string }, withAdminRights = true): RightSetId {
    const object = this.model.users.get(user);
    if (!object) return EMPTY;
    const sets = this.sets;
    let set = EMPTY;
    if (RIGHTS_STATES.has(object.state)) {
      if (entity.namespace === undefined) {
        if (entity.kind === 'Organization') {
          const m = this.memberships.get(user)?.get(entity.key.slice('Organization/'.length));
          if (m) set = m.mask;
        }
      } else {
        set = this.grantRightsOn(user, entity.key);
        const owner = this.organizations.owner.get(entity.namespace);
        const m = owner === undefined ? undefined : this.memberships.get(user)?.get(owner);
        if (m) set = sets.union(set, this.ownership(owner!, m.mask).get(entity.kind) ?? EMPTY);
      }
    }
    if (withAdminRights && isAdmin(object)) set = sets.union(set, this.adminRightsOf(entity.kind));
    return sets.intersect(set, sets.kindRights(entity.kind));
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

  /**
   * The earliest `expiresAt` after now among the active grants a namespace's permission map depends on, undefined
   * when none expires: grants on the namespace's entities; memberships of its owner or of the owner's ancestors
   * (memberships are inherited downward); memberships of an organization that is the subject of one of the
   * namespace's Collaborations, or of that organization's ancestors. Costs the namespace's own Collaborations and
   * those organizations' memberships, not a scan of every expiring grant.
   */
  nextExpiryIn(namespace: string): number | undefined {
    let next: number | undefined;
    const consider = (record: GrantRecord): void => {
      const at = record.collab.expiresAt;
      if (at !== undefined && at > this.nowMs && record.verdict.active && (next === undefined || at < next)) next = at;
    };
    const organizations = new Set<string>();
    const withAncestors = (org: string): void => {
      organizations.add(org);
      for (const a of this.organizations.ancestors.get(org) ?? []) organizations.add(a);
    };
    for (const record of this.byNamespace.get(namespace) ?? []) {
      if (record.target.organization === undefined) consider(record);
      if (record.collab.subject.kind === 'Organization') withAncestors(record.collab.subject.name);
    }
    const owner = this.organizations.owner.get(namespace);
    if (owner !== undefined) withAncestors(owner);
    for (const org of organizations) for (const record of this.byTargetOrganization.get(org) ?? []) consider(record);
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

  /** Kind → expand(ownerRights) ∩ mask ∩ kind rights, for the namespaced kinds where it is not empty; cached. */
  private ownership(org: string, mask: RightSetId): ReadonlyMap<string, RightSetId> {
    let byMask = this.ownershipCache.get(org);
    if (!byMask) this.ownershipCache.set(org, (byMask = new Map()));
    let byKind = byMask.get(mask);
    if (!byKind) {
      const sets = this.sets;
      const object = this.model.organizations.get(org);
      const kinds = new Map<string, RightSetId>();
      if (object) {
        const own = sets.intersect(mask, sets.expand(object.ownerRights ?? (this.catalog.allRight ? [this.catalog.allRight] : [])));
        if (own !== EMPTY) {
          for (const kind of this.catalog.kinds.values()) {
            if (kind.scope !== 'Namespaced') continue;
            const set = sets.intersect(own, sets.kindRights(kind.name));
            if (set !== EMPTY) kinds.set(kind.name, set);
          }
        }
      }
      byMask.set(mask, (byKind = kinds));
    }
    return byKind;
  }

  /** A user's rights from the grants on one entity (not an organization): the user's, its groups', its organizations'. */
  private grantRightsOn(user: string, key: string): RightSetId {
    const records = this.byTargetEntity.get(key);
    if (!records) return EMPTY;
    const sets = this.sets;
    const groups = this.groups.groupsOf(user);
    const memberships = this.memberships.get(user);
    let set = EMPTY;
    for (const record of records) {
      if (!record.verdict.active) continue;
      const subject = record.collab.subject;
      if (subject.kind === 'User') {
        if (subject.name === user) set = sets.union(set, record.verdict.granted);
      } else if (subject.kind === 'UserGroup') {
        if (groups.has(subject.name)) set = sets.union(set, record.verdict.granted);
      } else {
        const m = memberships?.get(subject.name);
        if (m) set = sets.union(set, sets.intersect(m.mask, record.verdict.granted));
      }
    }
    return set;
  }

  /** Namespaces whose map shows what members of `org` hold through it: those it owns and those of its grants' entities. */
  private organizationNamespaces(org: string, into: Set<string>): void {
    for (const ns of this.organizations.owned.get(org) ?? []) into.add(ns);
    for (const record of this.grantsBySubject.get(`Organization/${org}`) ?? []) into.add(record.target.namespace!);
  }

  /** Namespaces of the entities the grants of a subject (`User/x`, `UserGroup/g`) name. */
  private subjectNamespaces(subjectKey: string, into: Set<string>): void {
    for (const record of this.grantsBySubject.get(subjectKey) ?? []) into.add(record.target.namespace!);
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
    this.recomputeMemberships(users, new Set(), impact);
    this.ownersOfChangedMaps(impact);
    return impact;
  }

  /**
   * An organization's status counts the users its namespaces' grants give rights (authorizedUsers.throughEntities):
   * whatever changed those changed the namespace's map, so the owners of changed maps get their status recomputed.
   */
  private ownersOfChangedMaps(impact: Impact): void {
    for (const ns of impact.namespaces) {
      const owner = this.organizations.owner.get(ns);
      if (owner !== undefined) impact.statuses.add(`Organization/${owner}`);
    }
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
      case 'User': {
        const before = this.model.users.get(name);
        if (change.type === 'upsert') this.model.users.set(name, change.object as UserObject);
        else this.model.users.delete(name);
        const after = this.model.users.get(name);
        for (const key of this.userIndex.userChanged(before, after)) impact.statuses.add(key);
        this.absorbGroupDiff(this.groups.userChanged(name, before), users, impact);
        users.add(name);
        impact.users.add(name);
        // The organizations' authorized-user counts depend on the member's state and admin flag.
        for (const org of this.memberships.get(name)?.keys() ?? []) impact.statuses.add(`Organization/${org}`);
        if (!before !== !after) {
          for (const g of this.groups.listing('User', name)) impact.statuses.add(`UserGroup/${g}`);
          for (const record of this.membershipsBySubject.get(`User/${name}`) ?? []) this.revalidate(record, users, impact);
          for (const record of this.grantsBySubject.get(`User/${name}`) ?? []) this.revalidate(record, users, impact);
        }
        if (holdsRights(before) !== holdsRights(after)) {
          // Everything the user holds appears or disappears: its grants, its groups' (before and after), its organizations'.
          everything.add(name);
          this.subjectNamespaces(`User/${name}`, impact.namespaces);
          for (const g of this.groups.groupsOf(name)) this.subjectNamespaces(`UserGroup/${g}`, impact.namespaces);
        }
        if (holdsRights(after) || !after) this.restricted.delete(name);
        else this.restricted.add(name);
        if (isAdmin(before) !== isAdmin(after)) {
          if (isAdmin(after)) this.admins.add(name);
          else this.admins.delete(name);
          for (const ns of this.mapNamespaces()) impact.namespaces.add(ns); // admin rights appear in every map
        }
        break;
      }
      case 'UserGroup': {
        const before = this.model.groups.get(name);
        const subjectKey = `UserGroup/${name}`;
        if (change.type === 'upsert') this.model.groups.set(name, change.object as never);
        else this.model.groups.delete(name);
        this.absorbGroupDiff(this.groups.groupChanged(name, before), users, impact);
        if (!before !== !this.model.groups.has(name)) {
          for (const g of this.groups.listing('UserGroup', name)) impact.statuses.add(`UserGroup/${g}`);
          for (const record of this.membershipsBySubject.get(subjectKey) ?? []) this.revalidate(record, users, impact);
          for (const record of this.grantsBySubject.get(subjectKey) ?? []) this.revalidate(record, users, impact);
        }
        for (const g of this.groups.cyclic) impact.statuses.add(`UserGroup/${g}`);
        break;
      }
      case 'Organization':
        this.organizationChanged(name, change, users, impact);
        break;
      case 'Collaboration':
        this.collaborationChanged(`${namespace}/${name}`, change, users, impact);
        break;
    }
    this.recomputeMemberships(users, everything, impact);
    this.ownersOfChangedMaps(impact);
    return impact;
  }

  private collaborationChanged(key: string, change: Change, users: Set<string>, impact: Impact): void {
    const before = this.model.collaborations.get(key);
    const beforeTarget = before ? this.records.get(key)!.target : undefined;
    const after = change.type === 'upsert' ? (change.object as CollaborationObject) : undefined;
    if (!before && !after) return;
    const fanned = new Set<string>();
    if (before) this.fanOut(before, fanned);
    if (after) this.fanOut(after, fanned);
    const membership = before?.target.kind === 'Organization' || after?.target.kind === 'Organization';
    // Grants on entities: only the subject's users' rights on those entities can change; compare them.
    const entities = membership
      ? []
      : [beforeTarget, after ? this.entityInfo(this.targetKey(after)) : undefined].filter((t, i, all): t is EntityInfo => t !== undefined && all.indexOf(t) === i);
    const rightsBefore = entities.map((entity) => new Map([...fanned].map((u) => [u, this.grantRightsOn(u, entity.key)])));
    if (before) this.unindexCollaboration(before);
    if (after) {
      this.model.collaborations.set(key, after);
      this.indexCollaboration(after);
    } else {
      this.model.collaborations.delete(key);
    }
    const afterTarget = after ? this.records.get(key)!.target : undefined;
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
        this.touchUsers(fanned, impact);
      }
      return;
    }
    entities.forEach((entity, i) => {
      for (const u of fanned) {
        if (rightsBefore[i]!.get(u) === this.grantRightsOn(u, entity.key)) continue;
        this.touchUsers([u], impact);
        impact.namespaces.add(entity.namespace!);
      }
    });
  }

  private organizationChanged(name: string, change: Change, users: Set<string>, impact: Impact): void {
    const before = this.model.organizations.get(name);
    const oldStructure = this.organizations;
    const touched = new Set<string>([name, ...(oldStructure.descendants.get(name) ?? [])]);
    if (change.type === 'upsert') this.model.organizations.set(name, change.object as never);
    else this.model.organizations.delete(name);
    const after = this.model.organizations.get(name);
    this.organizations = organizationStructure(this.model);
    this.ownershipCache = new Map(); // ownerRights and ownership may have changed
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
      if (oldStructure.cyclic.has(org) !== structure.cyclic.has(org) || oldStructure.tooDeep.has(org) !== structure.tooDeep.has(org)) touched.add(org);
    }
    if (!before !== !after) {
      for (const record of this.membershipsBySubject.get(`Organization/${name}`) ?? []) this.revalidate(record, users, impact);
      for (const record of this.grantsBySubject.get(`Organization/${name}`) ?? []) this.revalidate(record, users, impact);
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
    const members = new Set<string>();
    for (const o of closure) {
      impact.statuses.add(`Organization/${o}`);
      // What ownership gives (ownerRights, owned namespaces) may have changed for every member.
      for (const ns of oldStructure.owned.get(o) ?? []) impact.namespaces.add(ns);
      for (const ns of structure.owned.get(o) ?? []) impact.namespaces.add(ns);
      for (const u of this.orgMembers.get(o)?.keys() ?? []) members.add(u);
      for (const record of this.byTargetOrganization.get(o) ?? []) this.fanOut(record.collab, members);
    }
    for (const record of this.membershipsBySubject.get(`Organization/${name}`) ?? []) this.fanOut(record.collab, members);
    for (const u of members) users.add(u);
    this.touchUsers(members, impact);
  }

  /** Users whose closure of groups changed: their memberships are recomputed, their groups' grants' maps refreshed. */
  private absorbGroupDiff(diff: GroupDiff, users: Set<string>, impact: Impact): void {
    const groups = new Set<string>();
    for (const [u, toggled] of diff.users) {
      users.add(u);
      for (const g of toggled) groups.add(g);
    }
    this.touchUsers(diff.users.keys(), impact);
    for (const g of groups) this.subjectNamespaces(`UserGroup/${g}`, impact.namespaces);
    for (const g of diff.groups) impact.statuses.add(`UserGroup/${g}`);
  }

  private touchUsers(users: Iterable<string>, impact: Impact): void {
    for (const u of users) {
      impact.users.add(u);
      impact.statuses.add(`User/${u}`);
    }
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
    if (before.active === after.active && before.granted === after.granted) return;
    if (record.target.organization !== undefined) {
      this.fanOut(record.collab, users); // a membership: M* of the subject's users
      return;
    }
    const fanned = new Set<string>();
    this.fanOut(record.collab, fanned);
    this.touchUsers(fanned, impact);
    impact.namespaces.add(record.target.namespace!);
  }

  /** Adds the users a collaboration's subject stands for (whatever its verdict). */
  private fanOut(c: CollaborationObject, users: Set<string>): void {
    const { kind, name } = c.subject;
    if (kind === 'User') users.add(name);
    else if (kind === 'UserGroup') for (const u of this.groups.membersOf(name)) users.add(u);
    else for (const u of this.orgMembers.get(name)?.keys() ?? []) users.add(u);
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
    const subject = `${c.subject.kind}/${c.subject.name}`;
    addTo(this.byNamespace, c.namespace, record);
    if (target.organization !== undefined) {
      addTo(this.membershipsBySubject, subject, record);
      addTo(this.byTargetOrganization, target.organization, record);
    } else {
      addTo(this.grantsBySubject, subject, record);
      addTo(this.byTargetEntity, target.key, record);
    }
    if (c.expiresAt !== undefined) this.expiring.add(record);
  }

  private unindexCollaboration(c: CollaborationObject): void {
    const key = collabKey(c);
    const record = this.records.get(key);
    if (!record) return;
    this.records.delete(key);
    const subject = `${c.subject.kind}/${c.subject.name}`;
    removeFrom(this.byNamespace, c.namespace, record);
    if (record.target.organization !== undefined) {
      removeFrom(this.membershipsBySubject, subject, record);
      removeFrom(this.byTargetOrganization, record.target.organization, record);
    } else {
      removeFrom(this.grantsBySubject, subject, record);
      removeFrom(this.byTargetEntity, record.target.key, record);
    }
    this.expiring.delete(record);
  }

  // ---------------------------------------------------------------- memberships and profiles

  /**
   * Recomputes the memberships of users and reports where they moved: the organization's status, and the maps of the
   * namespaces where the organization's members hold rights through it. For `everything` users (whose state or
   * existence changed) every organization they belong to, before or after, counts as moved.
   */
  private recomputeMemberships(users: Set<string>, everything: Set<string>, impact: Impact): void {
    const none = new Map<string, Membership>();
    for (const user of users) {
      const before = this.memberships.get(user) ?? none;
      const after = this.model.users.has(user) ? this.computeMemberships(user) : none;
      if (after.size > 0) this.memberships.set(user, after);
      else this.memberships.delete(user);
      const all = everything.has(user);
      let changed = false;
      for (const [org, b] of after) {
        const a = before.get(org);
        if (!all && a && a.mask === b.mask && a.direct === b.direct && a.viaGroup === b.viaGroup) continue;
        changed = true;
        impact.statuses.add(`Organization/${org}`);
        setMember(this.orgMembers, org, user, b);
        if (all || !a || a.mask !== b.mask) this.organizationNamespaces(org, impact.namespaces);
      }
      for (const org of before.keys()) {
        if (after.has(org)) continue;
        changed = true;
        impact.statuses.add(`Organization/${org}`);
        const members = this.orgMembers.get(org)!;
        members.delete(user);
        if (members.size === 0) this.orgMembers.delete(org);
        this.organizationNamespaces(org, impact.namespaces);
      }
      if (changed) this.touchUsers([user], impact);
    }
  }

  /** M*(u, o) for every organization o (semantics §5.3): memberships of the user and its groups, flowing down. */
  private computeMemberships(user: string): Map<string, Membership> {
    const direct = new Map<string, Membership>();
    const visit = (subject: string, viaGroup: boolean): void => {
      for (const record of this.membershipsBySubject.get(subject) ?? []) this.addMembership(direct, record, viaGroup);
    };
    visit(`User/${user}`, false);
    for (const g of this.groups.groupsOf(user)) visit(`UserGroup/${g}`, true);
    return this.inherited(direct);
  }

  /**
   * M(u, o) of every user, before inheritance, from one pass over the membership grants (the first build): cheaper
   * than asking, for each user, each of its groups for memberships, since most groups have none.
   */
  private directMembershipsOfAll(): Map<string, Map<string, Membership>> {
    const out = new Map<string, Map<string, Membership>>();
    const add = (user: string, record: GrantRecord, viaGroup: boolean): void => {
      let direct = out.get(user);
      if (!direct) out.set(user, (direct = new Map()));
      this.addMembership(direct, record, viaGroup);
    };
    for (const records of this.byTargetOrganization.values()) {
      for (const record of records) {
        if (!record.verdict.active) continue;
        const subject = record.collab.subject;
        if (subject.kind === 'User') {
          if (this.model.users.has(subject.name)) add(subject.name, record, false);
        } else if (subject.kind === 'UserGroup') {
          for (const user of this.groups.membersOf(subject.name)) add(user, record, true);
        }
      }
    }
    return out;
  }

  /** Adds an active membership grant to a user's M(u, ·). */
  private addMembership(direct: Map<string, Membership>, record: GrantRecord, viaGroup: boolean): void {
    const verdict = record.verdict;
    if (!verdict.active) return;
    const org = record.target.organization!;
    const m = direct.get(org);
    if (m) {
      m.mask = this.sets.union(m.mask, verdict.granted);
      if (viaGroup) m.viaGroup = true;
      else m.direct = true;
    } else {
      direct.set(org, { mask: verdict.granted, direct: !viaGroup, viaGroup });
    }
  }

  /** M*(u, ·) from M(u, ·): memberships flow down to descendants. */
  private inherited(direct: ReadonlyMap<string, Membership>): Map<string, Membership> {
    const sets = this.sets;
    const out = new Map<string, Membership>();
    for (const [org, m] of direct) {
      for (const o of [org, ...(this.organizations.descendants.get(org) ?? [])]) {
        const current = out.get(o);
        out.set(
          o,
          current
            ? { mask: sets.union(current.mask, m.mask), direct: current.direct || m.direct, viaGroup: current.viaGroup || m.viaGroup }
            : { ...m },
        );
      }
    }
    return out;
  }

  /** semantics §5 for every entity a grant names, as one pass over the user's grants. */
  private computeProfile(user: UserObject): Profile {
    const sets = this.sets;
    const organizations = this.memberships.get(user.name) ?? new Map<string, Membership>();
    const profile: Profile = { entities: new Map(), defaults: new Map(), admin: isAdmin(user), organizations };
    if (!RIGHTS_STATES.has(user.state)) return profile;
    const entities = profile.entities as Map<string, RightSetId>;
    const defaults = profile.defaults as Map<string, ReadonlyMap<string, RightSetId>>;
    const grantEntity = (key: string, set: RightSetId): void => {
      if (set === EMPTY) return;
      const current = entities.get(key);
      entities.set(key, current === undefined ? set : sets.union(current, set));
    };
    const visit = (subject: string): void => {
      for (const record of this.grantsBySubject.get(subject) ?? []) if (record.verdict.active) grantEntity(record.target.key, record.verdict.granted);
    };
    visit(`User/${user.name}`);
    for (const g of this.groups.groupsOf(user.name)) visit(`UserGroup/${g}`);
    const orgKind = sets.kindRights('Organization');
    for (const [org, m] of organizations) {
      grantEntity(`Organization/${org}`, sets.intersect(m.mask, orgKind));
      const byKind = this.ownership(org, m.mask);
      if (byKind.size > 0) for (const ns of this.organizations.owned.get(org) ?? []) defaults.set(ns, byKind);
      for (const record of this.grantsBySubject.get(`Organization/${org}`) ?? []) {
        if (record.verdict.active) grantEntity(record.target.key, sets.intersect(m.mask, record.verdict.granted));
      }
    }
    return profile;
  }
}

/** Approved or Flagged: the states in which a user holds rights (§5.1). */
function holdsRights(user: UserObject | undefined): boolean {
  return user !== undefined && RIGHTS_STATES.has(user.state);
}

/** An Approved administrator (a Flagged one gets no admin rights). */
function isAdmin(user: UserObject | undefined): boolean {
  return user !== undefined && user.admin && user.state === 'Approved';
}

function setMember(table: Map<string, Map<string, Membership>>, org: string, user: string, m: Membership): void {
  let members = table.get(org);
  if (!members) table.set(org, (members = new Map()));
  members.set(user, m);
}
