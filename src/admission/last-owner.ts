/**
 * LastOwner (admission.md §3.1): an organization that has a full member (a user whose M* in it includes every right
 * of kind Organization) keeps one after the change; an entity named by a Collaboration that has a full collaborator
 * (a user holding every right of its kind on it, admin rights not counted) keeps one. A first owner is never
 * required. Only the organizations and entities the change can reach are looked at, and the state after the change
 * is computed only when one of them has an owner to lose.
 */
import type { Engine } from '../engine/engine.ts';
import { EMPTY } from '../engine/right-sets.ts';
import type { ModelObject } from '../model/model.ts';
import type { Denial } from './decide.ts';
import { denial } from './reasons.ts';
import { afterChange, currentObject } from './what-if.ts';
import { ancestorGroups } from './group-members.ts';

export interface ChangedObject {
  kind: ModelObject['kind'];
  name: string;
  namespace?: string;
}

/** Organizations and entities whose owners the change can remove, in the state before it. */
function reachable(engine: Engine, object: ChangedObject, after: ModelObject | undefined): { organizations: Set<string>; entities: Set<string> } {
  const organizations = new Set<string>();
  const entities = new Set<string>();
  const withDescendants = (o: string): void => {
    organizations.add(o);
    for (const d of engine.organizations.descendants.get(o) ?? []) organizations.add(d);
  };
  const grantsOf = (subjectKey: string): void => {
    for (const key of engine.collaborationsWithSubject(subjectKey)) {
      const c = engine.model.collaborations.get(key);
      if (!c) continue;
      if (c.target.kind === 'Organization') withDescendants(c.target.name);
      else entities.add(engine.targetKey(c));
    }
  };
  const before = currentObject(engine, object.kind, object.name, object.namespace);
  if (!before) return { organizations, entities };
  switch (before.kind) {
    case 'Collaboration':
      if (before.target.kind === 'Organization') withDescendants(before.target.name);
      else entities.add(engine.targetKey(before));
      break;
    case 'UserGroup':
      for (const g of ancestorGroups(engine, before.name)) grantsOf(`UserGroup/${g}`);
      break;
    case 'User': {
      for (const o of engine.membershipsOf(before.name).keys()) organizations.add(o);
      for (const entity of engine.holdings(before.name).entities) if (entity.organization === undefined) entities.add(entity.key);
      break;
    }
    case 'Organization':
      withDescendants(before.name);
      if (!after) organizations.delete(before.name); // LastOwner does not apply to the deleted organization itself
      break;
  }
  return { organizations, entities };
}

/**
 * Whether an organization or entity has an owner, and whether the change can take it away: `kept` when an owner the
 * change does not touch remains (nothing more to look at), `atRisk` when every owner is touched, `none` without one.
 */
type OwnerState = 'none' | 'kept' | 'atRisk';

/** Users a change can touch: their memberships and rights may move; everyone else's stay as they are. */
export type Touches = (user: string) => boolean;

function scan(users: Iterable<string>, full: (user: string) => boolean, touches: Touches): OwnerState {
  let atRisk = false;
  for (const user of users) {
    if (!full(user)) continue;
    if (!touches(user)) return 'kept';
    atRisk = true;
  }
  return atRisk ? 'atRisk' : 'none';
}

function organizationOwner(engine: Engine, org: string, touches: Touches): OwnerState {
  const orgKind = engine.sets.kindRights('Organization');
  if (orgKind === EMPTY) return 'none';
  const members = engine.organizationMembers(org);
  return scan(members.keys(), (u) => engine.model.users.has(u) && engine.sets.isSubset(orgKind, members.get(u)!.mask), touches);
}

function organizationHasOwner(engine: Engine, org: string): boolean {
  return organizationOwner(engine, org, () => true) !== 'none';
}

function entityHasOwner(engine: Engine, key: string): boolean {
  return entityOwner(engine, key, () => true) !== 'none';
}

function entityOwner(engine: Engine, key: string, touches: Touches): OwnerState {
  const parts = key.split('/');
  const kind = parts[0]!;
  const namespace = parts[1]!;
  const sets = engine.sets;
  const kindSet = sets.kindRights(kind);
  if (kindSet === EMPTY) return 'none';
  const owner = engine.organizations.owner.get(namespace);
  const ownerObject = owner === undefined ? undefined : engine.model.organizations.get(owner);
  // An upper bound first: when the grants on it and ownership together cannot cover the kind, nobody is full.
  let bound = ownerObject ? sets.expand(ownerObject.ownerRights ?? (engine.catalog.allRight ? [engine.catalog.allRight] : [])) : EMPTY;
  const grants = [...engine.collaborationsOn(key)].map((k) => engine.model.collaborations.get(k)!).filter((c) => c && engine.verdict(c.namespace, c.name)?.active);
  for (const c of grants) bound = sets.union(bound, engine.verdict(c.namespace, c.name)!.granted);
  if (!sets.isSubset(kindSet, bound)) return 'none';
  const entity = { kind, namespace, key };
  const seen = new Set<string>();
  const full = (user: string): boolean => {
    if (seen.has(user)) return false;
    seen.add(user);
    return sets.isSubset(kindSet, engine.rightsOn(user, entity, false));
  };
  let atRisk = false;
  const visit = (users: Iterable<string>): boolean => {
    const state = scan(users, full, touches);
    if (state === 'atRisk') atRisk = true;
    return state === 'kept';
  };
  for (const c of grants) {
    const { kind: sk, name } = c.subject;
    if (visit(sk === 'User' ? [name] : sk === 'UserGroup' ? engine.groups.membersOf(name) : engine.organizationMembers(name).keys())) return 'kept';
  }
  if (owner !== undefined && visit(engine.organizationMembers(owner).keys())) return 'kept';
  return atRisk ? 'atRisk' : 'none';
}

/**
 * LastOwner denials for replacing (or, `after` undefined, deleting) the object. `touches` says which users the change
 * can move (default: anyone); an owner it does not touch stays an owner, so the state after is computed only when
 * every owner of something reachable is touched.
 */
export function lastOwner(engine: Engine, object: ChangedObject, after: ModelObject | undefined, touches: Touches = () => true): Denial[] {
  const { organizations, entities } = reachable(engine, object, after);
  const owned = {
    organizations: [...organizations].filter((o) => organizationOwner(engine, o, touches) === 'atRisk'),
    entities: [...entities].filter((e) => entityOwner(engine, e, touches) === 'atRisk'),
  };
  if (owned.organizations.length + owned.entities.length === 0) return [];
  const lost = afterChange(engine, object, after, () => ({
    organizations: owned.organizations.filter((o) => engine.model.organizations.has(o) && !organizationHasOwner(engine, o)),
    entities: owned.entities.filter((e) => !entityHasOwner(engine, e)),
  }));
  return [
    ...lost.organizations.sort().map((o) => denial('LastOwner', `Organization/${o} would be left without a member holding every Organization right (an organization keeps at least one)`)),
    ...lost.entities.sort().map((e) => denial('LastOwner', `${e} would be left without a collaborator holding every ${e.split('/')[0]} right (an entity keeps at least one)`)),
  ];
}
