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

function organizationHasOwner(engine: Engine, org: string): boolean {
  const orgKind = engine.sets.kindRights('Organization');
  if (orgKind === EMPTY) return false;
  for (const [user, m] of engine.organizationMembers(org)) if (engine.model.users.has(user) && engine.sets.isSubset(orgKind, m.mask)) return true;
  return false;
}

function entityHasOwner(engine: Engine, key: string): boolean {
  const parts = key.split('/');
  const kind = parts[0]!;
  const namespace = parts[1]!;
  const sets = engine.sets;
  const kindSet = sets.kindRights(kind);
  if (kindSet === EMPTY) return false;
  const owner = engine.organizations.owner.get(namespace);
  const ownerObject = owner === undefined ? undefined : engine.model.organizations.get(owner);
  // An upper bound first: when the grants on it and ownership together cannot cover the kind, nobody is full.
  let bound = ownerObject ? sets.expand(ownerObject.ownerRights ?? (engine.catalog.allRight ? [engine.catalog.allRight] : [])) : EMPTY;
  const grants = [...engine.collaborationsOn(key)].map((k) => engine.model.collaborations.get(k)!).filter((c) => c && engine.verdict(c.namespace, c.name)?.active);
  for (const c of grants) bound = sets.union(bound, engine.verdict(c.namespace, c.name)!.granted);
  if (!sets.isSubset(kindSet, bound)) return false;
  const entity = { kind, namespace, key };
  const seen = new Set<string>();
  const full = (user: string): boolean => {
    if (seen.has(user)) return false;
    seen.add(user);
    return sets.isSubset(kindSet, engine.rightsFromProfile(user, entity, false));
  };
  for (const c of grants) {
    const { kind: sk, name } = c.subject;
    if (sk === 'User') {
      if (full(name)) return true;
    } else if (sk === 'UserGroup') {
      for (const u of engine.groups.membersOf(name)) if (full(u)) return true;
    } else {
      for (const u of engine.organizationMembers(name).keys()) if (full(u)) return true;
    }
  }
  if (owner !== undefined) for (const u of engine.organizationMembers(owner).keys()) if (full(u)) return true;
  return false;
}

/** LastOwner denials for replacing (or, `after` undefined, deleting) the object. */
export function lastOwner(engine: Engine, object: ChangedObject, after: ModelObject | undefined): Denial[] {
  const { organizations, entities } = reachable(engine, object, after);
  const owned = {
    organizations: [...organizations].filter((o) => organizationHasOwner(engine, o)),
    entities: [...entities].filter((e) => entityHasOwner(engine, e)),
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
