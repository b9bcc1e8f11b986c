/**
 * What statuses, evaluations, views and admission rules read of the engine: its queries and read-only views of its
 * model and indexes, nothing they could change. `Engine` implements it; code that only reads takes an `EngineView`.
 */
import type { Catalog } from '../catalog/catalog.ts';
import type { CollaborationObject, OrganizationObject, UserGroupObject, UserObject } from '../model/model.ts';
import type { HoldingsSummary, Profile } from './engine.ts';
import type { ReachByKind, ReachCounts } from './entity-reach.ts';
import type { EntityInfo } from './grant-index.ts';
import type { Membership } from './memberships.ts';
import type { MemberCounts } from './organization-counts.ts';
import type { RightSets, RightSetId } from './right-sets.ts';
import type { CollaborationVerdict } from './verdict.ts';

/** The model, read-only. */
export interface ModelView {
  readonly users: ReadonlyMap<string, UserObject>;
  readonly organizations: ReadonlyMap<string, OrganizationObject>;
  readonly groups: ReadonlyMap<string, UserGroupObject>;
  /** Keyed by `namespace/name`. */
  readonly collaborations: ReadonlyMap<string, CollaborationObject>;
}

/** Group memberships (groups.ts), read-only. */
export interface GroupsView {
  readonly cyclic: ReadonlySet<string>;
  membersOf(group: string): ReadonlySet<string>;
  groupsOf(user: string): ReadonlySet<string>;
  parentsOf(group: string): ReadonlySet<string>;
  chainTo(group: string, user: string): string[];
  missingOf(group: UserGroupObject): { users: string[]; groups: string[] };
  listing(kind: 'User' | 'UserGroup', name: string): ReadonlySet<string>;
}

/** The organization hierarchy and namespace ownership (organizations.ts), read-only. */
export interface OrganizationsView {
  readonly ancestors: ReadonlyMap<string, readonly string[]>;
  readonly descendants: ReadonlyMap<string, ReadonlySet<string>>;
  readonly cyclic: ReadonlySet<string>;
  readonly tooDeep: ReadonlySet<string>;
  readonly owner: ReadonlyMap<string, string>;
  readonly conflicts: ReadonlyMap<string, readonly string[]>;
  readonly owned: ReadonlyMap<string, readonly string[]>;
}

/** Identities and owners of Users (user-index.ts), read-only. */
export interface UserIndexView {
  usersWithIdentity(identity: string): ReadonlySet<string>;
  ownedUsers(org: string): ReadonlySet<string>;
  ambiguities(user: UserObject): Map<string, string[]>;
}

export interface EngineView {
  readonly catalog: Catalog;
  /** The interning table of right sets (interning a new set changes no answer). */
  readonly sets: RightSets;
  readonly options: { readonly adminRights: 'default' | 'all' };
  readonly model: ModelView;
  readonly now: number;
  readonly groups: GroupsView;
  readonly organizations: OrganizationsView;
  readonly admins: ReadonlySet<string>;
  readonly userIndex: UserIndexView;
  verdict(namespace: string, name: string): CollaborationVerdict | undefined;
  /** A Collaboration and its verdict by its key, `namespace/name` (one look-up: statuses ask for 100,000 at start). */
  collaboration(key: string): { readonly collab: CollaborationObject; readonly verdict: CollaborationVerdict } | undefined;
  profile(user: string): Profile | undefined;
  holdings(user: string): { entities: ReadonlySet<EntityInfo>; defaultNamespaces: ReadonlySet<string> };
  /** Kept per grant subject by the engine (a cache: reading it changes no answer); the first `namespaceLimit` namespaces. */
  holdingsSummary(user: string, namespaceLimit?: number): HoldingsSummary;
  membershipsOf(user: string): ReadonlyMap<string, Membership>;
  membership(user: string, org: string): Membership | undefined;
  organizationMembers(org: string): ReadonlyMap<string, Membership>;
  collaborationsWithSubject(subjectKey: string): ReadonlySet<string>;
  collaborationsOn(entityKey: string): ReadonlySet<string>;
  membershipCollaborations(org: string): ReadonlySet<string>;
  collaborationsIn(namespace: string): ReadonlySet<string>;
  adminRightsOf(kind: string): RightSetId;
  mapNamespaces(): string[];
  namespaceEntities(namespace: string): ReadonlyMap<string, ReadonlyMap<string, RightSetId>>;
  /** Kept per namespace by the engine (a cache: reading it changes no answer). */
  entityReach(namespace: string): ReachByKind;
  /** An organization's authorized-users counts: kept, and with what `entityReach` keeps (caches: reading them changes no answer). */
  organizationCounts(org: string): { members: MemberCounts; reach: ReachCounts };
  forEachEntityGrant(namespace: string, visit: (entityKey: string, user: string, set: RightSetId) => void): void;
  namespaceDefaults(namespace: string): ReadonlyMap<string, ReadonlyMap<string, RightSetId>>;
  organizationRows(org: string): ReadonlyMap<string, RightSetId>;
  rightsOn(user: string, entity: { kind: string; namespace: string | undefined; key: string }, withAdminRights?: boolean): RightSetId;
  nextExpiry(): number | undefined;
  nextExpiryIn(namespace: string): number | undefined;
  targetKey(c: CollaborationObject): string;
}
