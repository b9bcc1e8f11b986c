/**
 * The state the engine's parts share: the model (which the engine owns and mutates through `apply`), the evaluation
 * time, and the indexes derived from them. The facade (engine.ts) reads it to answer queries; change propagation
 * (propagation.ts) updates it.
 */
import type { Catalog } from '../catalog/catalog.ts';
import type { Model } from '../model/model.ts';
import type { CheckInput, CollaborationCheck } from './collaboration-checks.ts';
import type { GrantIndex } from './grant-index.ts';
import type { GroupIndex } from './groups.ts';
import type { Memberships } from './memberships.ts';
import type { OrganizationStructure } from './organizations.ts';
import type { OwnershipRights } from './ownership.ts';
import type { RightSets } from './right-sets.ts';
import type { UserIndex } from './user-index.ts';

export interface EngineState {
  readonly catalog: Catalog;
  readonly sets: RightSets;
  readonly model: Model;
  /** The checks Collaborations are judged by, and every input they read (what re-judges them). */
  readonly checks: readonly CollaborationCheck[];
  readonly checkInputs: ReadonlySet<CheckInput>;
  /** The evaluation time (ms since the epoch): grants expire against it. */
  now: number;
  /** Replaced whole when an Organization changes. */
  organizations: OrganizationStructure;
  readonly groups: GroupIndex;
  /** Identities and owners of Users (admission's requester mapping; AmbiguousIdentity; owned-user counts). */
  readonly userIndex: UserIndex;
  readonly grants: GrantIndex;
  readonly memberships: Memberships;
  readonly ownership: OwnershipRights;
  /** Approved administrators. */
  readonly admins: Set<string>;
  /** Existing users that hold no rights (Requested, Rejected, Suspended: §5.1). */
  readonly restricted: Set<string>;
}

/** Namespaces that get a permission map: those holding Collaborations or claimed by an Organization. */
export function mapNamespaces(state: EngineState): string[] {
  const set = new Set<string>(state.grants.namespaces());
  for (const org of state.model.organizations.values()) for (const ns of org.namespaces) set.add(ns);
  return [...set].sort();
}
