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

function addTo<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(value);
}

function removeFrom<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key);
  if (set && set.delete(value) && set.size === 0) map.delete(key);
}

const collabKey = (c: { namespace: string; name: string }): string => `${c.namespace}/${c.name}`;

export class Engine {
  readonly catalog: Catalog;
  readonly sets: RightSets;
  readonly options: Required<EngineOptions>;
  readonly model: Model;
  private nowMs: number;
  groups: GroupIndex;
  organizations: OrganizationStructure;
  private readonly verdicts = new Map<string, CollaborationVerdict>();
  /** `User/alice`, `UserGroup/devs`, `Organization/acme` → collaboration keys with that subject. */
  private readonly bySubject = new Map<string, Set<string>>();
  /** Organization → membership collaborations targeting it. */
  private readonly byTargetOrganization = new Map<string, Set<string>>();
  private readonly byNamespace = new Map<string, Set<string>>();
  private readonly expiring = new Set<string>();
  private readonly profiles = new Map<string, Profile>();
  /** Organization → users with M*(u, o) ≠ ∅. */
  private readonly orgMembers = new Map<string, Set<string>>();
  /** Namespace → entity key → user → rights (entities of that namespace). */
  private readonly nsEntities = new Map<string, Map<string, Map<string, RightSetId>>>();
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
    for (const key of model.collaborations.keys()) this.verdicts.set(key, this.judge(model.collaborations.get(key)!));
    for (const user of model.users.keys()) this.updateProfile(user, emptyImpact());
  }

  get now(): number {
    return this.nowMs;
  }

  // ---------------------------------------------------------------- queries

  verdict(namespace: string, name: string): CollaborationVerdict | undefined {
    return this.verdicts.get(`${namespace}/${name}`);
  }

  profile(user: string): Profile | undefined {
    return this.profiles.get(user);
  }

  membersOfOrganization(org: string): ReadonlySet<string> {
    return this.orgMembers.get(org) ?? new Set();
  }

  collaborationsWithSubject(subjectKey: string): ReadonlySet<string> {
    return this.bySubject.get(subjectKey) ?? new Set();
  }

  membershipCollaborations(org: string): ReadonlySet<string> {
    return this.byTargetOrganization.get(org) ?? new Set();
  }

  collaborationsIn(namespace: string): ReadonlySet<string> {
    return this.byNamespace.get(namespace) ?? new Set();
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
    return this.nsEntities.get(namespace) ?? new Map();
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

  /** The earliest `expiresAt` after now, for scheduling; undefined when nothing expires. */
  nextExpiry(): number | undefined {
    let next: number | undefined;
    for (const key of this.expiring) {
      const at = this.model.collaborations.get(key)!.expiresAt!;
      if (at > this.nowMs && (next === undefined || at < next)) next = at;
    }
    return next;
  }

  /** The namespace-scoped key of an entity targeted by a Collaboration, e.g. `Application/acme/app1`. */
  targetKey(c: CollaborationObject): string {
    return c.target.kind === 'Organization' ? `Organization/${c.target.name}` : `${c.target.kind}/${c.namespace}/${c.target.name}`;
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
    const changed: string[] = [];
    for (const key of this.expiring) {
      const at = this.model.collaborations.get(key)!.expiresAt!;
      if (at > lo && at <= hi) changed.push(key);
    }
    const users = new Set<string>();
    for (const key of changed) this.revalidate(key, users, impact);
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
          for (const key of this.bySubject.get(`User/${name}`) ?? []) this.revalidate(key, users, impact);
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
          for (const key of this.bySubject.get(subjectKey) ?? []) this.revalidate(key, users, impact);
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
        if (before) {
          this.fanOut(before, users);
          this.unindexCollaboration(before);
        }
        if (change.type === 'upsert') {
          const after = change.object as CollaborationObject;
          this.model.collaborations.set(key, after);
          this.indexCollaboration(after);
          this.verdicts.set(key, this.judge(after));
          this.fanOut(after, users);
        } else {
          this.model.collaborations.delete(key);
          this.verdicts.delete(key);
        }
        if (before?.target.kind === 'Organization') impact.statuses.add(`Organization/${before.target.name}`);
        const after = this.model.collaborations.get(key);
        if (after?.target.kind === 'Organization') impact.statuses.add(`Organization/${after.target.name}`);
        if (!before !== !after) {
          // A namespace appears in or disappears from the set of namespaces with a map.
          impact.namespaces.add(namespace!);
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
      for (const key of this.byNamespace.get(ns) ?? []) this.revalidate(key, users, impact);
      for (const o of [...(oldStructure.conflicts.get(ns) ?? []), ...(structure.conflicts.get(ns) ?? [])]) touched.add(o);
    }
    for (const org of this.model.organizations.keys()) {
      if (oldStructure.cyclic.has(org) !== structure.cyclic.has(org)) touched.add(org);
    }
    if (!before !== !after) {
      for (const key of this.bySubject.get(`Organization/${name}`) ?? []) this.revalidate(key, users, impact);
      // Groups naming the organization as owner warn while it does not exist (rare: a scan is fine).
      for (const g of this.model.groups.values()) if (g.organization === name) impact.statuses.add(`UserGroup/${g.name}`);
    }
    for (const key of this.byTargetOrganization.get(name) ?? []) {
      this.revalidate(key, users, impact);
      impact.statuses.add(`Collaboration/${key}`); // ResolvedRefs names a missing target organization
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
      for (const key of this.byTargetOrganization.get(o) ?? []) this.fanOut(this.model.collaborations.get(key)!, users);
    }
    for (const key of this.bySubject.get(`Organization/${name}`) ?? []) this.fanOut(this.model.collaborations.get(key)!, users);
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
  private revalidate(key: string, users: Set<string>, impact: Impact): void {
    const collab = this.model.collaborations.get(key)!;
    const before = this.verdicts.get(key)!;
    const after = this.judge(collab);
    this.verdicts.set(key, after);
    if (before.active !== after.active || before.granted !== after.granted || JSON.stringify(before.failures) !== JSON.stringify(after.failures)) {
      impact.statuses.add(`Collaboration/${key}`);
      if (collab.target.kind === 'Organization') impact.statuses.add(`Organization/${collab.target.name}`);
    }
    if (before.active !== after.active || before.granted !== after.granted) this.fanOut(collab, users);
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
    addTo(this.bySubject, `${c.subject.kind}/${c.subject.name}`, key);
    addTo(this.byNamespace, c.namespace, key);
    if (c.target.kind === 'Organization') addTo(this.byTargetOrganization, c.target.name, key);
    if (c.expiresAt !== undefined) this.expiring.add(key);
  }

  private unindexCollaboration(c: CollaborationObject): void {
    const key = collabKey(c);
    removeFrom(this.bySubject, `${c.subject.kind}/${c.subject.name}`, key);
    removeFrom(this.byNamespace, c.namespace, key);
    if (c.target.kind === 'Organization') removeFrom(this.byTargetOrganization, c.target.name, key);
    this.expiring.delete(key);
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
    // Entities.
    const entityKeys = new Set<string>([...(before?.entities.keys() ?? []), ...(after?.entities.keys() ?? [])]);
    for (const key of entityKeys) {
      const a = before?.entities.get(key) ?? EMPTY;
      const b = after?.entities.get(key) ?? EMPTY;
      if (a === b) continue;
      changed = true;
      const parts = key.split('/');
      if (parts.length === 2) {
        // Organization/o: published in the maps of the namespaces o owns.
        const org = parts[1]!;
        setRow(this.orgRows, org, user, b);
        impact.statuses.add(`Organization/${org}`);
        for (const ns of this.organizations.owned.get(org) ?? []) impact.namespaces.add(ns);
      } else {
        const ns = parts[1]!;
        let entities = this.nsEntities.get(ns);
        if (!entities) this.nsEntities.set(ns, (entities = new Map()));
        setRow(entities, key, user, b);
        if (entities.size === 0) this.nsEntities.delete(ns);
        impact.namespaces.add(ns);
      }
    }
    // Defaults.
    const namespaces = new Set<string>([...(before?.defaults.keys() ?? []), ...(after?.defaults.keys() ?? [])]);
    for (const ns of namespaces) {
      const da = before?.defaults.get(ns);
      const db = after?.defaults.get(ns);
      const kinds = new Set<string>([...(da?.keys() ?? []), ...(db?.keys() ?? [])]);
      for (const kind of kinds) {
        const a = da?.get(kind) ?? EMPTY;
        const b = db?.get(kind) ?? EMPTY;
        if (a === b) continue;
        changed = true;
        let defaults = this.nsDefaults.get(ns);
        if (!defaults) this.nsDefaults.set(ns, (defaults = new Map()));
        setRow(defaults, kind, user, b);
        if (defaults.size === 0) this.nsDefaults.delete(ns);
        impact.namespaces.add(ns);
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
    const orgs = new Set<string>([...(before?.organizations.keys() ?? []), ...(after?.organizations.keys() ?? [])]);
    for (const org of orgs) {
      const a = before?.organizations.get(org);
      const b = after?.organizations.get(org);
      if (a && b && a.mask === b.mask && a.direct === b.direct && a.viaGroup === b.viaGroup) continue;
      changed = true;
      impact.statuses.add(`Organization/${org}`);
      if (b) addTo(this.orgMembers, org, user);
      else removeFrom(this.orgMembers, org, user);
    }
    if (changed || !before !== !after) {
      impact.users.add(user);
      impact.statuses.add(`User/${user}`);
    }
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
      for (const key of this.bySubject.get(subject) ?? []) {
        const verdict = this.verdicts.get(key)!;
        if (!verdict.active) continue;
        const c = this.model.collaborations.get(key)!;
        if (c.target.kind === 'Organization') {
          const m = direct.get(c.target.name) ?? { mask: EMPTY, direct: false, viaGroup: false };
          direct.set(c.target.name, { mask: sets.union(m.mask, verdict.granted), direct: m.direct || !viaGroup, viaGroup: m.viaGroup || viaGroup });
        } else {
          grantEntity(this.targetKey(c), verdict.granted);
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
      for (const key of this.bySubject.get(`Organization/${org}`) ?? []) {
        const verdict = this.verdicts.get(key)!;
        if (!verdict.active) continue;
        grantEntity(this.targetKey(this.model.collaborations.get(key)!), sets.intersect(m.mask, verdict.granted));
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
