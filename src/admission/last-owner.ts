/**
 * LastOwner (admission.md §3.1): an organization that has a full member (a user whose M* in it includes every right
 * of kind Organization) keeps one after the change; an entity named by a Collaboration that has a full collaborator
 * (a user holding every right of its kind on it, admin rights not counted) keeps one (the searches: owner-search.ts).
 * A first owner is never required. Only the organizations and entities the change can reach are looked at, and the state after the change
 * is computed only when one of them has an owner to lose.
 */
import type { Engine } from '../engine/engine.ts';
import type { ModelObject } from '../model/model.ts';
import type { Denial } from './decide.ts';
import { denial } from './reasons.ts';
import { afterChange, currentObject } from './what-if.ts';
import { ancestorGroups } from './group-members.ts';
import { entityOwner, organizationOwner, type OwnerSearches, type Touches } from './owner-search.ts';

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

/** Whether there is an owner at all: a search that counts nobody as touched stops at the first owner it finds. */
const NOBODY: Touches = () => false;

/**
 * LastOwner denials for replacing (or, `after` undefined, deleting) the object. `touches` says which users the change
 * can move (default: anyone); an owner it does not touch stays an owner, so the state after is computed only when
 * every owner of something reachable is touched. `search`: the searches for owners (tests pass the references).
 */
export function lastOwner(engine: Engine, object: ChangedObject, after: ModelObject | undefined, touches: Touches = () => true, search: OwnerSearches = { organization: organizationOwner, entity: entityOwner }): Denial[] {
  const { organizations, entities } = reachable(engine, object, after);
  const owned = {
    organizations: [...organizations].filter((o) => search.organization(engine, o, touches) === 'atRisk'),
    entities: [...entities].filter((e) => search.entity(engine, e, touches) === 'atRisk'),
  };
  if (owned.organizations.length + owned.entities.length === 0) return [];
  const lost = afterChange(engine, object, after, () => ({
    organizations: owned.organizations.filter((o) => engine.model.organizations.has(o) && search.organization(engine, o, NOBODY) === 'none'),
    entities: owned.entities.filter((e) => search.entity(engine, e, NOBODY) === 'none'),
  }));
  return [
    ...lost.organizations.sort().map((o) => denial('LastOwner', `Organization/${o} would be left without a member holding every Organization right (an organization keeps at least one)`)),
    ...lost.entities.sort().map((e) => denial('LastOwner', `${e} would be left without a collaborator holding every ${e.split('/')[0]} right (an entity keeps at least one)`)),
  ];
}
