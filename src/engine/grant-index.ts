/**
 * The grant index: every Collaboration as a record (the object, its verdict, where its target points), indexed by
 * subject, by target and by namespace, so that the engine's queries and its change propagation find the grants a
 * question concerns with one look-up. Grants on entities and memberships (Collaborations targeting an Organization)
 * are indexed apart: they are used differently (§5.2 vs §5.3).
 */
import type { CollaborationObject } from '../model/model.ts';
import type { Membership } from './memberships.ts';
import { EMPTY, type RightSets, type RightSetId } from './right-sets.ts';
import { pushTo, removeFromList } from './list-index.ts';
import type { CollaborationVerdict } from './verdict.ts';

/** Where an entity key points: its kind and namespace, or the organization for `Organization/o`. */
export interface EntityInfo {
  /** Dense and stable (0, 1, 2, … in the order keys are first seen), so that callers can index arrays by entity. */
  id: number;
  key: string;
  kind: string;
  namespace: string | undefined;
  organization: string | undefined;
}

/** A Collaboration with what the hot paths need of it, so that one look-up gives everything. */
export interface GrantRecord {
  /** `namespace/name` */
  key: string;
  collab: CollaborationObject;
  /** Replaced when the collaboration is re-judged (`GrantIndex.rejudge`). */
  readonly verdict: CollaborationVerdict;
  target: EntityInfo;
}

const NONE: readonly GrantRecord[] = [];

/** The key of a Collaboration, `namespace/name`. */
export const collaborationKey = (c: { namespace: string; name: string }): string => `${c.namespace}/${c.name}`;

/** The key of the entity a Collaboration targets, e.g. `Application/acme/app1` or `Organization/acme`. */
export function targetKey(c: CollaborationObject): string {
  return c.target.kind === 'Organization' ? `Organization/${c.target.name}` : `${c.target.kind}/${c.namespace}/${c.target.name}`;
}

/** Whether `key` is `collaborationKey(c)`, compared in place (no string built). */
function isKeyOf(key: string, c: { namespace: string; name: string }): boolean {
  const n = c.namespace.length;
  return key.length === n + 1 + c.name.length && key.charCodeAt(n) === 47 && key.startsWith(c.namespace) && key.endsWith(c.name);
}

/** `User/alice`, `UserGroup/devs`, `Organization/acme`: how the index names a subject. */
export const subjectKey = (c: CollaborationObject): string => `${c.subject.kind}/${c.subject.name}`;

/**
 * Sets a list collected by `bulk` under its key: alone, as a copy of exactly its length (it grew by `push`), or after
 * the list the key held already.
 */
function appendList<V>(map: Map<string, V[]>, key: string, list: V[]): void {
  const before = map.get(key);
  map.set(key, before !== undefined ? before.concat(list) : list.length > 1 ? list.slice() : list);
}

/** A namespace's grants as `bulk` collects them, and its targets by kind and name. */
class NamespaceScratch {
  readonly name: string;
  readonly records: GrantRecord[] = [];
  expiring: GrantRecord[] | undefined = undefined;
  /** Organization that is the subject of one of the namespace's Collaborations → how many. */
  organizationSubjects: Map<string, number> | undefined = undefined;
  /** Target name → where it points, for each kind targeted by that name (a chain, most often of one). */
  readonly targets = new Map<string, BulkTarget>();

  constructor(name: string) {
    this.name = name;
  }
}

interface BulkTarget {
  kind: string;
  info: EntityInfo;
  /** The same name's target of another kind. */
  next: BulkTarget | undefined;
  /** For a membership (`info.organization` set): its organization's lists. */
  organization: OrganizationScratch | undefined;
}

interface OrganizationScratch {
  name: string;
  memberships: GrantRecord[];
  expiring: GrantRecord[] | undefined;
}

interface SubjectScratch {
  kind: string;
  name: string;
  grants: GrantRecord[] | undefined;
  memberships: GrantRecord[] | undefined;
}

/** What `GrantIndex.bulk` collects; each table's keys (and each subject list) in the order first seen. */
class BulkScratch {
  readonly namespaces = new Map<string, NamespaceScratch>();
  readonly organizations = new Map<string, OrganizationScratch>();
  /** Subjects by name: users, groups, and those of other kinds (organizations) by kind and name. */
  readonly users = new Map<string, SubjectScratch>();
  readonly groups = new Map<string, SubjectScratch>();
  private readonly others = new Map<string, Map<string, SubjectScratch>>();
  readonly subjectsWithGrants: SubjectScratch[] = [];
  readonly subjectsWithMemberships: SubjectScratch[] = [];

  subjectsOfKind(kind: string): Map<string, SubjectScratch> {
    let subjects = this.others.get(kind);
    if (subjects === undefined) this.others.set(kind, (subjects = new Map()));
    return subjects;
  }
}

export class GrantIndex {
  /** `namespace/name` → the collaboration's record. */
  private readonly records = new Map<string, GrantRecord>();
  /** Subject key → grants on entities with that subject. */
  private readonly grantsBySubject = new Map<string, GrantRecord[]>();
  /** The same for memberships (Collaborations targeting an Organization). */
  private readonly membershipsBySubject = new Map<string, GrantRecord[]>();
  /** Organization → membership grants targeting it. */
  private readonly byTargetOrganization = new Map<string, GrantRecord[]>();
  /**
   * Entity key → grants targeting that entity (not organizations); built in one pass over the records on first use
   * (`byTarget`), then kept. A start (build, every map, every status) never reads it — maps go by namespace and
   * statuses by subject — so the build does not pay for it; the first change or admission decision does.
   */
  private byTargetEntity: Map<string, GrantRecord[]> | undefined;
  private readonly byNamespace = new Map<string, GrantRecord[]>();
  private readonly expiring = new Set<GrantRecord>();
  /** Namespace → its grants on entities with an expiresAt; organization → memberships of it with one. */
  private readonly expiringInNamespace = new Map<string, GrantRecord[]>();
  private readonly expiringOnOrganization = new Map<string, GrantRecord[]>();
  /** Namespace → organizations that are the subject of one of its Collaborations → how many. */
  private readonly subjectOrganizations = new Map<string, Map<string, number>>();
  private readonly entityInfos = new Map<string, EntityInfo>();
  /** Kinds, namespaces and organizations of the entity keys, each name once (`name`). */
  private readonly names = new Map<string, string>();
  /**
   * Subject key → a number that changes whenever the subject's grants on entities change (one added or removed, or
   * its verdict replaced): what caches of a subject's entities (user-holdings.ts) compare against.
   */
  private readonly versions = new Map<string, number>();
  private ticks = 0;
  /**
   * Namespace → a number that changes whenever one of its grants on entities is added or removed or its verdict's
   * `active` or `granted` moves: what a namespace's kept `namespaceSubjects` compares against.
   */
  private readonly namespaceVersions = new Map<string, number>();
  /**
   * Changes whenever a Collaboration with an expiresAt or with an Organization as subject is added or removed, or
   * the `active` of one with an expiresAt moves: what a kept `nextExpiryIn` compares against (with the time and the
   * organization structure; it reads nothing else of the index).
   */
  private expiryTicks = 0;

  get(key: string): GrantRecord | undefined {
    return this.records.get(key);
  }

  /** Grants on entities (not organizations) whose subject is `subjectKey`. */
  grantsOf(subjectKey: string): readonly GrantRecord[] {
    return this.grantsBySubject.get(subjectKey) ?? NONE;
  }

  /** Memberships (grants targeting an organization) whose subject is `subjectKey`. */
  membershipsOf(subjectKey: string): readonly GrantRecord[] {
    return this.membershipsBySubject.get(subjectKey) ?? NONE;
  }

  /** Memberships targeting an organization. */
  onOrganization(org: string): readonly GrantRecord[] {
    return this.byTargetOrganization.get(org) ?? NONE;
  }

  /** Every membership grant, organization by organization. */
  allMemberships(): Iterable<readonly GrantRecord[]> {
    return this.byTargetOrganization.values();
  }

  /** Grants targeting an entity (not an organization), by entity key. */
  onEntity(entityKey: string): readonly GrantRecord[] {
    return this.byTarget().get(entityKey) ?? NONE;
  }

  /** The Collaborations of a namespace. */
  inNamespace(namespace: string): readonly GrantRecord[] {
    return this.byNamespace.get(namespace) ?? NONE;
  }

  /** Namespaces holding at least one Collaboration. */
  namespaces(): Iterable<string> {
    return this.byNamespace.keys();
  }

  /** Moves whenever any subject's grants on entities change: a cache that saw this value has nothing to check. */
  get clock(): number {
    return this.ticks;
  }

  /** The version of a subject's grants on entities (see `versions`); 0 for a subject that never had one. */
  subjectVersion(subjectKey: string): number {
    return this.versions.get(subjectKey) ?? 0;
  }

  private touch(subjectKey: string): void {
    this.versions.set(subjectKey, ++this.ticks);
  }

  /** The version of a namespace's grants on entities (see `namespaceVersions`); 0 for one that never had one. */
  namespaceVersion(namespace: string): number {
    return this.namespaceVersions.get(namespace) ?? 0;
  }

  /** See `expiryTicks`. */
  get expiryClock(): number {
    return this.expiryTicks;
  }

  private touchNamespace(namespace: string): void {
    this.namespaceVersions.set(namespace, ++this.ticks);
  }

  /** Replaces a record's verdict (the collaboration was re-judged). */
  rejudge(record: GrantRecord, verdict: CollaborationVerdict): void {
    const before = record.verdict;
    (record as { verdict: CollaborationVerdict }).verdict = verdict;
    if (record.target.organization === undefined) {
      this.touch(subjectKey(record.collab));
      if (before.active !== verdict.active || before.granted !== verdict.granted) this.touchNamespace(record.collab.namespace);
    }
    if (before.active !== verdict.active && record.collab.expiresAt !== undefined) this.expiryTicks++;
  }

  /** Collaborations with an expiresAt. */
  withExpiry(): ReadonlySet<GrantRecord> {
    return this.expiring;
  }

  /** A namespace's grants on entities (not memberships) with an expiresAt. */
  expiringIn(namespace: string): readonly GrantRecord[] {
    return this.expiringInNamespace.get(namespace) ?? NONE;
  }

  /** Memberships of an organization with an expiresAt. */
  expiringMembershipsOf(org: string): readonly GrantRecord[] {
    return this.expiringOnOrganization.get(org) ?? NONE;
  }

  /** Organizations that are the subject of a Collaboration of the namespace. */
  organizationSubjectsIn(namespace: string): Iterable<string> {
    return this.subjectOrganizations.get(namespace)?.keys() ?? [];
  }

  private indexExpiry(record: GrantRecord, add: boolean): void {
    const c = record.collab;
    if (c.subject.kind === 'Organization') {
      let counts = this.subjectOrganizations.get(c.namespace);
      if (!counts) this.subjectOrganizations.set(c.namespace, (counts = new Map()));
      const n = (counts.get(c.subject.name) ?? 0) + (add ? 1 : -1);
      if (n > 0) counts.set(c.subject.name, n);
      else counts.delete(c.subject.name);
      if (counts.size === 0) this.subjectOrganizations.delete(c.namespace);
    }
    if (c.expiresAt === undefined) return;
    const [index, key] = record.target.organization !== undefined ? [this.expiringOnOrganization, record.target.organization] : [this.expiringInNamespace, c.namespace];
    if (add) {
      this.expiring.add(record);
      pushTo(index, key, record);
    } else {
      this.expiring.delete(record);
      removeFromList(index, key, record);
    }
  }

  /** Set while `bulk` runs: what `add` collects instead of indexing each grant (see there). */
  private loading: BulkScratch | undefined;

  /**
   * Runs `fill` (which `add`s collaborations: the engine's build) with `add` taking the bulk route (`addLoading`):
   * each grant is filed under its namespace's, subject's and organization's list in scratch tables looked up by the
   * parts the Collaboration holds (namespace, then kind and name; subject kind, then name), without building a key
   * string per grant; each list is set into the index once at the end (`flush`), trimmed to its length; and each
   * subject's and namespace's version is moved once at the end (`touchAll`). The index's lists, their order and the
   * order of their keys are those the adds would have given one by one (grant-index-bulk.property.test.ts).
   * A fresh index has no reader of versions yet, so only which subjects and namespaces hold a version matters, and
   * that they are moved past anything seen before `bulk`.
   */
  bulk(fill: () => void): void {
    if (this.loading) throw new Error('GrantIndex.bulk: already filling in bulk');
    const scratch = new BulkScratch();
    this.loading = scratch;
    try {
      fill();
    } finally {
      this.loading = undefined;
      this.flush(scratch);
      this.touchAll();
    }
  }

  /**
   * After `bulk`: a new version for every subject and every namespace with a grant on an entity (not a membership), as
   * the adds would have given one by one.
   */
  private touchAll(): void {
    for (const subject of this.grantsBySubject.keys()) this.touch(subject);
    for (const [namespace, records] of this.byNamespace) if (records.some((r) => r.target.organization === undefined)) this.touchNamespace(namespace);
  }

  /**
   * Indexes a collaboration with its verdict; returns its record. `modelKey`, the model's key of it (the build passes it),
   * is kept when it is the `namespace/name` (as it always is), so that the record and the model share one string (a string per Collaboration, 24 MiB at large).
   */
  add(c: CollaborationObject, verdict: CollaborationVerdict, modelKey?: string): GrantRecord {
    if (this.loading) return this.addLoading(this.loading, c, verdict, modelKey);
    const target = this.entityInfo(targetKey(c));
    const record: GrantRecord = { key: modelKey !== undefined && isKeyOf(modelKey, c) ? modelKey : collaborationKey(c), collab: c, verdict, target };
    this.records.set(record.key, record);
    const subject = subjectKey(c);
    pushTo(this.byNamespace, c.namespace, record);
    if (target.organization !== undefined) {
      pushTo(this.membershipsBySubject, subject, record);
      pushTo(this.byTargetOrganization, target.organization, record);
    } else {
      pushTo(this.grantsBySubject, subject, record);
      if (this.byTargetEntity) pushTo(this.byTargetEntity, target.key, record);
      this.touch(subject);
      this.touchNamespace(c.namespace);
    }
    if (c.expiresAt !== undefined || c.subject.kind === 'Organization') this.expiryTicks++;
    this.indexExpiry(record, true);
    return record;
  }

  /**
   * `add` during `bulk`: the record kept by key (and by entity, when that index is built), everything else collected in
   * `scratch` for `flush`. A target is found by namespace, name and kind (first time: by its key, `entityInfo`, so the
   * same `EntityInfo` as `add`'s, numbered in the same order); a subject by kind and name, its key built at `flush`.
   */
  private addLoading(scratch: BulkScratch, c: CollaborationObject, verdict: CollaborationVerdict, modelKey: string | undefined): GrantRecord {
    let namespace = scratch.namespaces.get(c.namespace);
    if (namespace === undefined) scratch.namespaces.set(c.namespace, (namespace = new NamespaceScratch(c.namespace)));
    const { kind: targetKind, name: targetName } = c.target;
    const named = namespace.targets.get(targetName);
    let target = named;
    while (target !== undefined && target.kind !== targetKind) target = target.next;
    if (target === undefined) {
      const info = this.entityInfo(targetKey(c));
      let organization: OrganizationScratch | undefined;
      if (info.organization !== undefined) {
        organization = scratch.organizations.get(info.organization);
        if (organization === undefined) scratch.organizations.set(info.organization, (organization = { name: info.organization, memberships: [], expiring: undefined }));
      }
      target = { kind: targetKind, info, organization, next: named };
      namespace.targets.set(targetName, target);
    }
    const info = target.info;
    const record: GrantRecord = { key: modelKey !== undefined && isKeyOf(modelKey, c) ? modelKey : collaborationKey(c), collab: c, verdict, target: info };
    this.records.set(record.key, record);
    const { kind: subjectKind, name: subjectName } = c.subject;
    const subjectsOfKind = subjectKind === 'User' ? scratch.users : subjectKind === 'UserGroup' ? scratch.groups : scratch.subjectsOfKind(subjectKind);
    let subject = subjectsOfKind.get(subjectName);
    if (subject === undefined) subjectsOfKind.set(subjectName, (subject = { kind: subjectKind, name: subjectName, grants: undefined, memberships: undefined }));
    namespace.records.push(record);
    const organization = target.organization;
    if (organization !== undefined) {
      if (subject.memberships === undefined) scratch.subjectsWithMemberships.push(subject), (subject.memberships = [record]);
      else subject.memberships.push(record);
      organization.memberships.push(record);
    } else {
      if (subject.grants === undefined) scratch.subjectsWithGrants.push(subject), (subject.grants = [record]);
      else subject.grants.push(record);
      if (this.byTargetEntity) pushTo(this.byTargetEntity, info.key, record);
    }
    if (subjectKind === 'Organization') {
      const counts = (namespace.organizationSubjects ??= new Map());
      counts.set(subjectName, (counts.get(subjectName) ?? 0) + 1);
      this.expiryTicks++;
    }
    if (c.expiresAt !== undefined) {
      if (subjectKind !== 'Organization') this.expiryTicks++;
      this.expiring.add(record);
      if (organization !== undefined) (organization.expiring ??= []).push(record);
      else (namespace.expiring ??= []).push(record);
    }
    return record;
  }

  /**
   * The end of `bulk`: each list collected in `scratch` set once under its key (after what the index held under it,
   * if anything), in the order the keys were first seen, as adds one by one would have left them.
   */
  private flush(scratch: BulkScratch): void {
    for (const namespace of scratch.namespaces.values()) {
      appendList(this.byNamespace, namespace.name, namespace.records);
      if (namespace.expiring !== undefined) appendList(this.expiringInNamespace, namespace.name, namespace.expiring);
      if (namespace.organizationSubjects !== undefined) {
        const counts = this.subjectOrganizations.get(namespace.name);
        if (counts === undefined) this.subjectOrganizations.set(namespace.name, namespace.organizationSubjects);
        else for (const [org, n] of namespace.organizationSubjects) counts.set(org, (counts.get(org) ?? 0) + n);
      }
    }
    for (const organization of scratch.organizations.values()) {
      if (organization.memberships.length > 0) appendList(this.byTargetOrganization, organization.name, organization.memberships);
      if (organization.expiring !== undefined) appendList(this.expiringOnOrganization, organization.name, organization.expiring);
    }
    for (const subject of scratch.subjectsWithGrants) appendList(this.grantsBySubject, `${subject.kind}/${subject.name}`, subject.grants!);
    for (const subject of scratch.subjectsWithMemberships) appendList(this.membershipsBySubject, `${subject.kind}/${subject.name}`, subject.memberships!);
  }

  /** Removes a collaboration (by its key); returns the record it had, if any. */
  remove(c: CollaborationObject): GrantRecord | undefined {
    if (this.loading) throw new Error('GrantIndex.remove during bulk: its lists are not filled yet'); // nothing calls it there
    const record = this.records.get(collaborationKey(c));
    if (!record) return undefined;
    this.records.delete(record.key);
    const subject = subjectKey(record.collab);
    removeFromList(this.byNamespace, record.collab.namespace, record);
    if (record.target.organization !== undefined) {
      removeFromList(this.membershipsBySubject, subject, record);
      removeFromList(this.byTargetOrganization, record.target.organization, record);
    } else {
      removeFromList(this.grantsBySubject, subject, record);
      if (this.byTargetEntity) removeFromList(this.byTargetEntity, record.target.key, record);
      this.touch(subject);
      this.touchNamespace(record.collab.namespace);
    }
    if (record.collab.expiresAt !== undefined || record.collab.subject.kind === 'Organization') this.expiryTicks++;
    this.indexExpiry(record, false);
    return record;
  }

  /**
   * The by-target index, built now if it is not yet: the records in their order, so each entity's grants are in the
   * order they were added, as when the index is kept from the first add.
   */
  private byTarget(): Map<string, GrantRecord[]> {
    if (this.byTargetEntity) return this.byTargetEntity;
    const index = new Map<string, GrantRecord[]>();
    for (const record of this.records.values()) if (record.target.organization === undefined) pushTo(index, record.target.key, record);
    return (this.byTargetEntity = index);
  }

  /**
   * One string per distinct kind, namespace and organization name of the entity keys (their parts, split from each
   * key, were strings of their own: ~60 bytes per entity, 9 MiB at the large tier).
   */
  private name(part: string): string {
    let name = this.names.get(part);
    if (name === undefined) this.names.set(part, (name = part));
    return name;
  }

  /** The interned description of an entity key. */
  entityInfo(key: string): EntityInfo {
    let info = this.entityInfos.get(key);
    if (!info) {
      const parts = key.split('/');
      const id = this.entityInfos.size;
      const kind = this.name(parts[0]!);
      info =
        parts.length === 2
          ? { id, key, kind, namespace: undefined, organization: kind === 'Organization' ? this.name(parts[1]!) : undefined }
          : { id, key, kind, namespace: this.name(parts[1]!), organization: undefined };
      this.entityInfos.set(key, info);
    }
    return info;
  }

  /**
   * A user's rights from the active grants on one entity (not an organization): the user's own, its groups' and its
   * organizations' (masked by M*(u, o)), given the user's groups and memberships.
   */
  rightsOn(sets: RightSets, key: string, user: string, groups: ReadonlySet<string>, memberships: ReadonlyMap<string, Membership> | undefined): RightSetId {
    const records = this.byTarget().get(key);
    if (!records) return EMPTY;
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

  /** Namespaces of the entities the grants of a subject (`User/x`, `UserGroup/g`, `Organization/o`) name. */
  subjectNamespaces(subjectKey: string, into: Set<string>): void {
    for (const record of this.grantsBySubject.get(subjectKey) ?? NONE) into.add(record.target.namespace!);
  }
}
