/**
 * The rights engine: a pure, incremental computation of semantics.md over a model. This file is its facade: it
 * builds the state (engine-state.ts) and answers the queries of statuses, permission maps, admission and the CLI;
 * readers that must not change it take its read-only `EngineView` (engine-view.ts).
 *
 * Kept between changes: group memberships (groups.ts), the organization structure (organizations.ts), each
 * Collaboration's verdict in the grant index (grant-index.ts) and each user's organization memberships M*
 * (memberships.ts). A user's rights are not stored: they are derived on demand from its grants, groups and
 * memberships. A change goes through change propagation (propagation.ts), which updates only the derived state it
 * can affect and reports what moved (users, namespaces' permission maps, statuses).
 * No I/O, no clock: time is an argument.
 */
import type { Catalog } from '../catalog/catalog.ts';
import type { CollaborationObject, Model } from '../model/model.ts';
import { CHECKS, inputsRead, type CollaborationCheck } from './collaboration-checks.ts';
import { mapNamespaces, type EngineState } from './engine-state.ts';
import { EntityReach, type ReachByKind, type ReachCounts } from './entity-reach.ts';
import { OrganizationCounts, type MemberCounts } from './organization-counts.ts';
import { ClassScratch, namespaceClasses, namespaceSubjects, userClassIn, type NamespaceSubjects, type RightsClass } from './namespace-classes.ts';
import { GrantIndex, targetKey, type EntityInfo, type GrantRecord } from './grant-index.ts';
import { GroupIndex } from './groups.ts';
import { Memberships, type Membership } from './memberships.ts';
import type { EngineView, GroupsView, ModelView, OrganizationsView, UserIndexView } from './engine-view.ts';
import { organizationStructure } from './organizations.ts';
import { OwnershipRights } from './ownership.ts';
import { ChangePropagation, type Change, type Impact } from './propagation.ts';
import { EMPTY, RightSets, type RightSetId } from './right-sets.ts';
import { holdsRights, isAdmin } from './user-states.ts';
import { UserHoldings, type HoldingsSummary } from './user-holdings.ts';
import { UserIndex } from './user-index.ts';
import { judge, type CollaborationVerdict } from './verdict.ts';

export type { Change, Impact } from './propagation.ts';
export type { CollaborationVerdict } from './verdict.ts';
export type { EntityInfo } from './grant-index.ts';
export type { ReachByKind, ReachCounts } from './entity-reach.ts';
export type { MemberCounts } from './organization-counts.ts';
export type { NamespaceSubjects, RightsClass } from './namespace-classes.ts';
export type { Membership } from './memberships.ts';
export type { HoldingsSummary } from './user-holdings.ts';

export interface EngineOptions {
  /** `all`: administrators get every right, nothing withheld (The Things Stack's admin-rights.all). */
  adminRights?: 'default' | 'all';
  /**
   * The checks Collaborations are judged by; default semantics §3's (collaboration-checks.ts). Tests pass others to
   * hold change propagation to what each check declares it reads.
   */
  checks?: readonly CollaborationCheck[];
}

/** Everything a user holds, computed on demand (`Engine.profile`). */
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

const NO_MEMBERSHIPS: ReadonlyMap<string, Membership> = new Map();
/** `Engine.worn` past this many right sets or M*(u, o) values: half of the 2^21 a packed membership entry numbers. */
export const WORN_AT = 2 ** 20;

export class Engine implements EngineView {
  readonly catalog: Catalog;
  readonly sets: RightSets;
  readonly options: { readonly adminRights: 'default' | 'all' };
  readonly model: ModelView;
  private readonly state: EngineState;
  private readonly propagation: ChangePropagation;
  private readonly reach: EntityReach;
  private readonly orgCounts: OrganizationCounts;
  /** What `namespaceClasses` keeps between namespaces (subjects' members as ids): dropped at every change. */
  private readonly classScratch = new ClassScratch();
  private readonly userHoldings: UserHoldings;
  private readonly adminSets = new Map<string, RightSetId>();
  private readonly impactListeners = new Set<(impact: Impact) => void>();
  /** What the update that broke this engine threw (`broken`). */
  private failure: string | undefined;
  /** `nextExpiryIn` per namespace, and what it held for (see there). */
  /** `nextExpiryIn`'s answers, per namespace, for one expiry clock and organization structure (emptied when either moves). */
  private readonly expiries = new Map<string, { now: number; next: number | undefined }>();
  private expiriesClock = -1;
  private expiriesOrganizations: object | undefined;

  /** Builds the engine over a model (which it then owns and mutates through `apply`). */
  constructor(model: Model, catalog: Catalog, options: EngineOptions, now: number) {
    this.catalog = catalog;
    this.sets = new RightSets(catalog);
    this.options = { adminRights: options.adminRights ?? 'default' };
    this.model = model;
    const groups = new GroupIndex(model);
    const grants = new GrantIndex();
    const organizations = organizationStructure(model);
    const checks = options.checks ?? CHECKS;
    const context = { catalog, model, organizations, now };
    grants.bulk(() => {
      for (const [key, c] of model.collaborations) grants.add(c, judge(c, context, this.sets, checks), key);
    });
    const state: EngineState = {
      catalog,
      sets: this.sets,
      model,
      checks,
      checkInputs: inputsRead(checks),
      now,
      organizations,
      groups,
      userIndex: new UserIndex(model),
      grants,
      memberships: new Memberships(this.sets, model, grants, groups, organizations),
      ownership: new OwnershipRights(catalog, this.sets, model),
      admins: new Set(),
      restricted: new Set(),
    };
    for (const user of model.users.values()) {
      if (isAdmin(user)) state.admins.add(user.name);
      if (!holdsRights(user)) state.restricted.add(user.name);
    }
    this.state = state;
    this.classScratch.numberInNameOrder(groups.userIds.names); // every user, numbered in name order already (sorted again in one pass)
    this.propagation = new ChangePropagation(state);
    this.reach = new EntityReach(state, this.classScratch, (namespace, last) => this.namespaceSubjects(namespace, last));
    this.orgCounts = new OrganizationCounts(state, this.classScratch, () => this.adminRightsOf('Organization'));
    this.userHoldings = new UserHoldings(state);
  }

  get now(): number {
    return this.state.now;
  }

  /** Group memberships (semantics §4). */
  get groups(): GroupsView {
    return this.state.groups;
  }

  /** The organization hierarchy and namespace ownership (semantics §4). */
  get organizations(): OrganizationsView {
    return this.state.organizations;
  }

  /** Approved administrators. */
  get admins(): ReadonlySet<string> {
    return this.state.admins;
  }

  /** Identities and owners of Users (admission's requester mapping; AmbiguousIdentity; owned-user counts). */
  get userIndex(): UserIndexView {
    return this.state.userIndex;
  }

  // ---------------------------------------------------------------- changes

  /** Applies changes in order and reports everything they affected. Throws when the engine is `broken`. */
  apply(changes: readonly Change[]): Impact {
    return this.absorb(() => this.propagation.apply(changes));
  }

  /** Moves the evaluation time (expiring grants, or un-expiring them when time moves back). Throws when `broken`. */
  advanceTime(now: number): Impact {
    return this.absorb(() => this.propagation.advanceTime(now));
  }

  /**
   * Whether an `apply` or `advanceTime` threw part way (a limit reached, a fault): the indexes may be half updated,
   * so answers could allow what the model does not. A broken engine takes no further update (each throws) and must
   * not be asked again: its owner builds a new one from the objects (the operator's Reconciler does, before its next
   * use; an admission decision that was under way is denied).
   */
  get broken(): boolean {
    return this.failure !== undefined;
  }

  /**
   * Whether a table of shared values that only grows is past `WORN_AT`: the right sets (room for 2^26: `MAX_SETS`,
   * the memo keys of their pairs) or the distinct M*(u, o) values (room for 2^21, what a membership's packed entry
   * numbers) — a long run of distinct rights edits, each leaving values no longer in use. A new engine numbers only
   * those in use; the operator builds one before an update could reach a room and break this one.
   */
  get worn(): boolean {
    return this.state.sets.size >= WORN_AT || this.state.memberships.sharedValues >= WORN_AT;
  }

  private absorb(update: () => Impact): Impact {
    if (this.failure !== undefined) throw new Error(`this engine is broken (an update failed part way: ${this.failure}); build a new one from the objects`);
    try {
      const impact = update();
      this.classScratch.forget();
      this.reach.note(impact);
      this.orgCounts.note(impact);
      for (const listener of this.impactListeners) listener(impact);
      return impact;
    } catch (error) {
      this.failure = error instanceof Error ? error.message : String(error);
      throw error;
    }
  }

  /**
   * Calls `listener` with the Impact of every later `apply` and `advanceTime`, after the engine has absorbed it: what
   * state kept beside the engine (the incremental permission maps) invalidates by. Returns the way to stop.
   */
  onImpact(listener: (impact: Impact) => void): () => void {
    this.impactListeners.add(listener);
    return () => void this.impactListeners.delete(listener);
  }

  // ---------------------------------------------------------------- queries

  verdict(namespace: string, name: string): CollaborationVerdict | undefined {
    return this.state.grants.get(`${namespace}/${name}`)?.verdict;
  }

  collaboration(key: string): { collab: CollaborationObject; verdict: CollaborationVerdict } | undefined {
    return this.state.grants.get(key);
  }

  /** Everything a user holds, computed from the grants, groups and memberships (undefined for no such user). */
  profile(user: string): Profile | undefined {
    const object = this.model.users.get(user);
    if (!object) return undefined;
    const { sets, grants, groups, ownership, organizations: structure } = this.state;
    const organizations = this.state.memberships.of(user) ?? NO_MEMBERSHIPS;
    const profile: Profile = { entities: new Map(), defaults: new Map(), admin: isAdmin(object), organizations };
    if (!holdsRights(object)) return profile;
    const entities = profile.entities as Map<string, RightSetId>;
    const defaults = profile.defaults as Map<string, ReadonlyMap<string, RightSetId>>;
    const grantEntity = (key: string, set: RightSetId): void => {
      if (set === EMPTY) return;
      const current = entities.get(key);
      entities.set(key, current === undefined ? set : sets.union(current, set));
    };
    const visit = (subject: string): void => {
      for (const record of grants.grantsOf(subject)) if (record.verdict.active) grantEntity(record.target.key, record.verdict.granted);
    };
    visit(`User/${user}`);
    for (const g of groups.groupsOf(user)) visit(`UserGroup/${g}`);
    const orgKind = sets.kindRights('Organization');
    for (const [org, m] of organizations) {
      grantEntity(`Organization/${org}`, sets.intersect(m.mask, orgKind));
      const byKind = ownership.of(org, m.mask);
      if (byKind.size > 0) for (const ns of structure.owned.get(org) ?? []) defaults.set(ns, byKind);
      for (const record of grants.grantsOf(`Organization/${org}`)) {
        if (record.verdict.active) grantEntity(record.target.key, sets.intersect(m.mask, record.verdict.granted));
      }
    }
    return profile;
  }

  /**
   * Every entity a grant gives the user some right on, without building right sets (each once; `Organization/o` for
   * the organizations where its membership holds rights of that kind) and the namespaces where ownership gives it
   * rights on every entity of a kind: the same entities and namespaces as `profile`'s. Statuses count them through
   * `holdingsSummary`, which tests hold equal to this.
   */
  holdings(user: string): { entities: ReadonlySet<EntityInfo>; defaultNamespaces: ReadonlySet<string> } {
    const entities = new Set<EntityInfo>();
    const defaultNamespaces = new Set<string>();
    if (!holdsRights(this.model.users.get(user))) return { entities, defaultNamespaces };
    const { sets, grants, groups, ownership, organizations } = this.state;
    const held = (records: readonly GrantRecord[]): void => {
      for (const record of records) if (record.verdict.granted !== EMPTY) entities.add(record.target);
    };
    held(grants.grantsOf(`User/${user}`));
    for (const g of groups.groupsOf(user)) held(grants.grantsOf(`UserGroup/${g}`));
    const orgKind = sets.kindRights('Organization');
    for (const [org, m] of this.state.memberships.of(user) ?? NO_MEMBERSHIPS) {
      if (sets.intersect(m.mask, orgKind) !== EMPTY) entities.add(grants.entityInfo(`Organization/${org}`));
      if (ownership.of(org, m.mask).size > 0) for (const ns of organizations.owned.get(org) ?? []) defaultNamespaces.add(ns);
      for (const record of grants.grantsOf(`Organization/${org}`)) {
        if (sets.intersect(m.mask, record.verdict.granted) !== EMPTY) entities.add(record.target);
      }
    }
    return { entities, defaultNamespaces };
  }

  /**
   * What a User's status summarises (`rightsSummary` without the admin flag): the distinct entities of `holdings`
   * counted by kind, and the namespaces of `holdings` (its entities', its organizations' and `defaultNamespaces`),
   * sorted. Computed from entity lists kept per grant subject (user-holdings.ts): the statuses of every user at start
   * share them.
   */
  holdingsSummary(user: string, namespaceLimit?: number): HoldingsSummary {
    return this.userHoldings.summary(user, namespaceLimit);
  }

  /** organization → M*(u, o), for every organization the user is a member of. */
  membershipsOf(user: string): ReadonlyMap<string, Membership> {
    return this.state.memberships.of(user) ?? NO_MEMBERSHIPS;
  }

  /** M*(u, o), or undefined when the user is no member of the organization. */
  membership(user: string, org: string): Membership | undefined {
    return this.state.memberships.of(user)?.get(org);
  }

  /** user → M*(u, o) for the members of an organization. */
  organizationMembers(org: string): ReadonlyMap<string, Membership> {
    return this.state.memberships.membersOf(org);
  }

  /** Keys (`namespace/name`) of the collaborations with a subject (`User/alice`, `UserGroup/devs`, ...). */
  collaborationsWithSubject(subjectKey: string): ReadonlySet<string> {
    const keys = new Set<string>();
    for (const record of this.state.grants.grantsOf(subjectKey)) keys.add(record.key);
    for (const record of this.state.grants.membershipsOf(subjectKey)) keys.add(record.key);
    return keys;
  }

  /** Keys (`namespace/name`) of the collaborations targeting an entity (not an organization), e.g. `Application/acme/app1`. */
  collaborationsOn(entityKey: string): ReadonlySet<string> {
    return new Set([...this.state.grants.onEntity(entityKey)].map((r) => r.key));
  }

  /** Keys of the membership collaborations targeting an organization. */
  membershipCollaborations(org: string): ReadonlySet<string> {
    return new Set([...this.state.grants.onOrganization(org)].map((r) => r.key));
  }

  /** Keys of the collaborations of a namespace. */
  collaborationsIn(namespace: string): ReadonlySet<string> {
    return new Set([...this.state.grants.inNamespace(namespace)].map((r) => r.key));
  }

  /** How many collaborations a namespace holds (`collaborationsIn(namespace).size`, without listing them). */
  collaborationCountIn(namespace: string): number {
    return this.state.grants.inNamespace(namespace).length;
  }

  /** The collaborations with a subject (`User/alice`, …) on entities (never organizations): the entity and what each grants (EMPTY when inactive). */
  entityGrantsOf(subjectKey: string): readonly { readonly target: EntityInfo; readonly verdict: CollaborationVerdict }[] {
    return this.state.grants.grantsOf(subjectKey);
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
    return mapNamespaces(this.state);
  }

  /** Whether a namespace gets a permission map (is among `mapNamespaces()`), without listing them all. */
  hasMap(namespace: string): boolean {
    const { grants, organizations } = this.state;
    return grants.inNamespace(namespace).length > 0 || organizations.owner.has(namespace) || organizations.conflicts.has(namespace);
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
    const { sets, restricted, groups, memberships } = this.state;
    const users = this.model.users;
    for (const record of this.state.grants.inNamespace(namespace)) {
      const verdict = record.verdict;
      if (!verdict.active || verdict.granted === EMPTY || record.target.organization !== undefined) continue;
      const key = record.target.key;
      const granted = verdict.granted;
      const subject = record.collab.subject;
      if (subject.kind === 'User') {
        if (users.has(subject.name) && !restricted.has(subject.name)) visit(key, subject.name, granted);
      } else if (subject.kind === 'UserGroup') {
        for (const user of groups.membersOf(subject.name)) if (!restricted.has(user)) visit(key, user, granted);
      } else {
        for (const [user, m] of memberships.membersOf(subject.name)) {
          if (restricted.has(user)) continue;
          const set = sets.intersect(m.mask, granted);
          if (set !== EMPTY) visit(key, user, set);
        }
      }
    }
  }

  /**
   * The users holding rights in a namespace through its grants or its owner's memberships, grouped by what reaches
   * them (namespace-classes.ts): what a permission map's rows are made of. Also keeps the namespace's entity reach.
   */
  namespaceClasses(namespace: string): RightsClass[] {
    return this.namespaceClassesAndSubjects(namespace).classes;
  }

  /**
   * `namespaceClasses` and the `namespaceSubjects` they were computed from (the walk computes them anyway): what a
   * caller keeping the namespace's subjects for later `userClassIn` takes, so that it need not compute them again.
   */
  namespaceClassesAndSubjects(namespace: string): { classes: RightsClass[]; subjects: NamespaceSubjects } {
    const subjects = namespaceSubjects(this.state, namespace);
    const classes = namespaceClasses(this.state, namespace, this.classScratch, subjects);
    this.reach.remember(namespace, classes);
    return { classes, subjects };
  }

  /**
   * `namespaceClasses`, with the class of each of their users in name order (`order[i]`: the index in `classes` of
   * the class holding the namespace's i-th user by name): what a fresh map build fills a row of several classes from,
   * in name order, without merging their users by comparing names. With the subjects (`namespaceClassesAndSubjects`)
   * and the walk's number of each of those users (`walkIds[i]`, the i-th user's: numbers of this engine, a user's the
   * same from walk to walk), by which kept maps number the users without looking their names up (incremental-maps.ts).
   */
  namespaceClassesInOrder(namespace: string): { classes: RightsClass[]; order: Int32Array; walkIds: Int32Array; subjects: NamespaceSubjects } {
    const { classes, subjects } = this.namespaceClassesAndSubjects(namespace);
    const walk = this.classScratch.lastWalk(classes)!;
    return { classes, order: walk.classes.slice(), walkIds: walk.ids.slice(), subjects };
  }

  /** Every user the engine numbered, in the order numbered (the model's users in name order at the build). */
  numberedUsers(): readonly string[] {
    return this.state.groups.userIds.names;
  }

  /**
   * What reaches users in a namespace (its grants by subject, its owner): the input of `userClassIn`. `last`: the
   * namespace's subjects computed before, returned as they are when they still hold (none of the namespace's grants
   * on entities was added, removed or moved in `active` or `granted`, and the owner is the same), so that a caller
   * keeping them recomputes them only after a change that can move them.
   */
  namespaceSubjects(namespace: string, last?: NamespaceSubjects): NamespaceSubjects {
    const state = this.state;
    if (last !== undefined && last.namespace === namespace && last.version === state.grants.namespaceVersion(namespace) && last.owner === state.organizations.owner.get(namespace)) return last;
    return namespaceSubjects(state, namespace);
  }

  /**
   * What `nextExpiryIn` reads besides the namespace's own records: the same stamp (each part ===) and the same
   * namespace, the same answer. Moves with the time, the organization structure, and `GrantIndex.expiryClock`.
   */
  expiryStamp(): readonly [number, number, object] {
    return [this.state.now, this.state.grants.expiryClock, this.state.organizations];
  }

  /** The rights class of one user in a namespace (`users`: just that user); undefined when nothing reaches it there. */
  userClassIn(subjects: NamespaceSubjects, user: string): RightsClass | undefined {
    return userClassIn(this.state, subjects, user);
  }

  /**
   * Kind → the distinct users that active grants on the namespace's entities of that kind give some right (the users
   * `forEachEntityGrant` visits, each once per kind). Kept per namespace, moved by the users each change names (entity-reach.ts).
   */
  entityReach(namespace: string): ReachByKind {
    return this.reach.of(namespace);
  }

  /**
   * What an organization's status counts (`authorizedUsers`): its members holding rights by filter (kept, and moved
   * by the users each change names: organization-counts.ts), and the distinct users its namespaces' entity grants
   * reach, by kind and together with those members (entity-reach.ts).
   */
  organizationCounts(org: string): { members: MemberCounts; reach: ReachCounts } {
    const { members, shift, counts } = this.orgCounts.of(org);
    return { members: counts, reach: this.reach.counts(this.state.organizations.owned.get(org) ?? [], members, shift) };
  }

  /** Kind → user → rights on every entity of that kind in the namespace, from its owner's memberships (§5.4). */
  namespaceDefaults(namespace: string): ReadonlyMap<string, ReadonlyMap<string, RightSetId>> {
    const out = new Map<string, Map<string, RightSetId>>();
    const owner = this.state.organizations.owner.get(namespace);
    if (owner === undefined) return out;
    const { restricted, ownership } = this.state;
    for (const [user, m] of this.state.memberships.membersOf(owner)) {
      if (restricted.has(user)) continue;
      for (const [kind, set] of ownership.of(owner, m.mask)) {
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
    for (const [user, m] of this.state.memberships.membersOf(org)) {
      if (this.state.restricted.has(user)) continue;
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
  rightsOn(user: string, entity: { kind: string; namespace: string | undefined; key: string }, withAdminRights = true): RightSetId {
    const object = this.model.users.get(user);
    if (!object) return EMPTY;
    const { sets, memberships } = this.state;
    let set = EMPTY;
    if (holdsRights(object)) {
      if (entity.namespace === undefined) {
        if (entity.kind === 'Organization') {
          const m = memberships.of(user)?.get(entity.key.slice('Organization/'.length));
          if (m) set = m.mask;
        }
      } else {
        set = this.state.grants.rightsOn(sets, entity.key, user, this.state.groups.groupsOf(user), memberships.of(user));
        const owner = this.state.organizations.owner.get(entity.namespace);
        const m = owner === undefined ? undefined : memberships.of(user)?.get(owner);
        if (m) set = sets.union(set, this.state.ownership.of(owner!, m.mask).get(entity.kind) ?? EMPTY);
      }
    }
    if (withAdminRights && isAdmin(object)) set = sets.union(set, this.adminRightsOf(entity.kind));
    return sets.intersect(set, sets.kindRights(entity.kind));
  }

  /** The earliest `expiresAt` after now, for scheduling; undefined when nothing expires. */
  nextExpiry(): number | undefined {
    let next: number | undefined;
    const now = this.state.now;
    for (const record of this.state.grants.withExpiry()) {
      const at = record.collab.expiresAt!;
      if (at > now && (next === undefined || at < next)) next = at;
    }
    return next;
  }

  /**
   * The earliest `expiresAt` after now among the active grants a namespace's permission map depends on, undefined
   * when none expires: grants on the namespace's entities; memberships of its owner or of the owner's ancestors
   * (memberships are inherited downward); memberships of an organization that is the subject of one of the
   * namespace's Collaborations, or of that organization's ancestors. Costs the namespace's expiring grants and those
   * organizations' expiring memberships (the grant index keeps both apart), not a scan of its Collaborations.
   *
   * Kept per namespace: the answer holds while the grant index's `expiryClock` and the organization structure are
   * the same and the time has not passed it nor gone back (a time in [then, next) sees the same grants after it).
   * The operator moves the time at every event (`advanceTime` before `apply`), so the kept maps, which compare
   * `expiryStamp`, ask again for each namespace a change names.
   */
  nextExpiryIn(namespace: string): number | undefined {
    const { now, grants, organizations } = this.state;
    if (this.expiriesClock !== grants.expiryClock || this.expiriesOrganizations !== organizations) {
      // Every answer kept was for the former clock or structure: let all go (a namespace gone is not kept on).
      this.expiries.clear();
      this.expiriesClock = grants.expiryClock;
      this.expiriesOrganizations = organizations;
    }
    const kept = this.expiries.get(namespace);
    if (kept !== undefined && now >= kept.now && (kept.next === undefined || now < kept.next)) return kept.next;
    const next = this.expiryIn(namespace);
    if (kept !== undefined) {
      kept.now = now;
      kept.next = next;
    } else this.expiries.set(namespace, { now, next });
    return next;
  }

  /** How many organizations' counts are kept (for tests: those of a former organization structure go at the next change). */
  get keptOrganizationCounts(): number {
    return this.orgCounts.kept;
  }

  /** How many namespaces' `nextExpiryIn` answers are kept (for tests: they go when the clock or structure moves). */
  get keptExpiries(): number {
    return this.expiries.size;
  }

  /** `nextExpiryIn`, computed. */
  private expiryIn(namespace: string): number | undefined {
    let next: number | undefined;
    const { now, grants, organizations: structure } = this.state;
    const consider = (record: GrantRecord): void => {
      const at = record.collab.expiresAt;
      if (at !== undefined && at > now && record.verdict.active && (next === undefined || at < next)) next = at;
    };
    const organizations = new Set<string>();
    const withAncestors = (org: string): void => {
      organizations.add(org);
      for (const a of structure.ancestors.get(org) ?? []) organizations.add(a);
    };
    for (const record of grants.expiringIn(namespace)) consider(record);
    for (const org of grants.organizationSubjectsIn(namespace)) withAncestors(org);
    const owner = structure.owner.get(namespace);
    if (owner !== undefined) withAncestors(owner);
    for (const org of organizations) for (const record of grants.expiringMembershipsOf(org)) consider(record);
    return next;
  }

  /** The namespace-scoped key of an entity targeted by a Collaboration, e.g. `Application/acme/app1`. */
  targetKey(c: CollaborationObject): string {
    return targetKey(c);
  }
}
