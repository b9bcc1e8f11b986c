/**
 * LastOwner (admission.md §3.1): an organization that has a full member (a user whose M* in it includes every right
 * of kind Organization) keeps one after the change; an entity named by a Collaboration that has a full collaborator
 * (a user holding every right of its kind on it, admin rights not counted) keeps one (the searches: owner-search.ts).
 * A first owner is never required. Only the organizations and entities the change can reach are looked at — an
 * entity also through the organizations whose members hold rights on it (the ownership of its namespace, a grant to
 * the organization) — and the state after the change is computed only when one of them has an owner to lose.
 */
import type { Engine } from '../engine/engine.ts';
import type { ModelObject } from '../model/model.ts';
import type { Denial } from './decide.ts';
import { denial } from './reasons.ts';
import { afterChange, currentObject } from './what-if.ts';
import { ancestorGroups } from './group-members.ts';
import { entityOwner, organizationOwner, ownershipOwner, type OwnerSearches, type Touches } from './owner-search.ts';
import { EMPTY } from '../engine/right-sets.ts';

export interface ChangedObject {
  kind: ModelObject['kind'];
  name: string;
  namespace?: string;
}

/** Organizations, entities and namespaces whose owners the change can remove, in the state before it. */
function reachable(engine: Engine, object: ChangedObject, after: ModelObject | undefined): { organizations: Set<string>; entities: Set<string>; namespaces: Set<string> } {
  const organizations = new Set<string>();
  const entities = new Set<string>();
  const namespaces = new Set<string>();
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
  switch (before?.kind) {
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
  }
  if (object.kind === 'Organization') {
    if (before) withDescendants(before.name);
    // Created, it can close a cycle of parents with the organizations naming it as theirs (they then have no ancestors).
    else for (const o of engine.model.organizations.values()) if (o.parent === object.name) withDescendants(o.name);
    // A namespace claimed that another organization owns is then owned by neither: that one loses its memberships
    // there and the ownership of its entities (reached through it, below). A namespace given up is this one's (reached
    // through it); one claimed by several is owned by none of them, which can only gain it.
    const claims = after?.kind === 'Organization' ? after.namespaces : [];
    for (const ns of claims) {
      const owner = engine.organizations.owner.get(ns);
      if (owner !== undefined) withDescendants(owner);
    }
  }
  // Members of an organization get rights on entities through it (semantics §5.5): the ownership of the namespaces it
  // owns, and its grants. Whatever moves its members or their M* there moves those too.
  for (const o of organizations) {
    for (const ns of engine.organizations.owned.get(o) ?? []) namespaces.add(ns);
    for (const key of engine.collaborationsWithSubject(`Organization/${o}`)) {
      const c = engine.model.collaborations.get(key);
      if (c && c.target.kind !== 'Organization') entities.add(engine.targetKey(c));
    }
  }
  if (object.kind === 'Organization' && !after) organizations.delete(object.name); // LastOwner does not apply to the deleted organization itself
  return { organizations, entities, namespaces };
}

/** Whether there is an owner at all: a search that counts nobody as touched stops at the first owner it finds. */
const NOBODY: Touches = () => false;

/**
 * Entities that ownership alone keeps owned: in a namespace whose owner has a member, holding rights and untouched,
 * whose M* there holds every right of the entity's kind that ownerRights gives too (`ownershipOwner`). One search per
 * organization and kind, whatever the number of its entities.
 */
class OwnershipKeeps {
  private readonly kept = new Map<string, boolean>();
  private readonly engine: Engine;
  private readonly touches: Touches;
  private readonly search: OwnerSearches['ownership'];

  constructor(engine: Engine, touches: Touches, search: OwnerSearches['ownership']) {
    this.engine = engine;
    this.touches = touches;
    this.search = search;
  }

  /** Whether every entity of `kind` in the namespaces `org` owns has an owner the change does not touch. */
  kind(org: string, kind: string): boolean {
    const key = `${org}/${kind}`;
    let kept = this.kept.get(key);
    if (kept === undefined) this.kept.set(key, (kept = this.search(this.engine, org, kind, this.touches) === 'kept'));
    return kept;
  }

  /** Whether the entity (`Kind/namespace/name`) has an owner the change does not touch through ownership. */
  entity(key: string): boolean {
    const [kind, namespace] = key.split('/');
    const owner = this.engine.organizations.owner.get(namespace!);
    return owner !== undefined && this.kind(owner, kind!);
  }
}

/**
 * The entities of a namespace (those its Collaborations name) on which its owner's ownership gives rights, unless
 * ownership keeps every entity of their kind owned: only those the change can leave without an owner through it.
 */
function ownedEntities(engine: Engine, namespace: string, keeps: OwnershipKeeps, into: Set<string>): void {
  const owner = engine.organizations.owner.get(namespace);
  const object = owner === undefined ? undefined : engine.model.organizations.get(owner);
  if (!object) return;
  const own = engine.sets.expand(object.ownerRights ?? (engine.catalog.allRight ? [engine.catalog.allRight] : []));
  const open = new Set<string>();
  for (const kind of engine.catalog.kinds.values()) {
    if (kind.scope !== 'Namespaced' || engine.sets.intersect(own, engine.sets.kindRights(kind.name)) === EMPTY) continue;
    if (!keeps.kind(owner!, kind.name)) open.add(kind.name);
  }
  if (open.size === 0) return;
  for (const key of engine.collaborationsIn(namespace)) {
    const c = engine.model.collaborations.get(key);
    if (c && open.has(c.target.kind)) into.add(engine.targetKey(c));
  }
}

/** The searches LastOwner uses. */
const SEARCHES: OwnerSearches = { organization: organizationOwner, entity: entityOwner, ownership: ownershipOwner };

/**
 * LastOwner denials for replacing (or, `after` undefined, deleting) the object. `touches` says which users the change
 * can move (default: anyone); an owner it does not touch stays an owner, so the state after is computed only when
 * every owner of something reachable is touched. `search`: the searches for owners (tests pass the references).
 */
export function lastOwner(engine: Engine, object: ChangedObject, after: ModelObject | undefined, touches: Touches = () => true, search: OwnerSearches = SEARCHES): Denial[] {
  const { organizations, entities, namespaces } = reachable(engine, object, after);
  const keeps = new OwnershipKeeps(engine, touches, search.ownership);
  for (const ns of namespaces) ownedEntities(engine, ns, keeps, entities);
  const owned = {
    organizations: [...organizations].filter((o) => search.organization(engine, o, touches) === 'atRisk'),
    entities: [...entities].filter((e) => !keeps.entity(e) && search.entity(engine, e, touches) === 'atRisk'),
  };
  if (owned.organizations.length + owned.entities.length === 0) return [];
  const lost = afterChange(engine, object, after, () => {
    const kept = new OwnershipKeeps(engine, NOBODY, search.ownership);
    return {
      organizations: owned.organizations.filter((o) => engine.model.organizations.has(o) && search.organization(engine, o, NOBODY) === 'none'),
      entities: owned.entities.filter((e) => !kept.entity(e) && search.entity(engine, e, NOBODY) === 'none'),
    };
  });
  return [
    ...lost.organizations.sort().map((o) => denial('LastOwner', `Organization/${o} would be left without a member holding every Organization right (an organization keeps at least one)`)),
    ...lost.entities.sort().map((e) => denial('LastOwner', `${e} would be left without a collaborator holding every ${e.split('/')[0]} right (an entity keeps at least one: give it one first with a Collaboration of its own, or delete the Collaborations that name it)`)),
  ];
}
