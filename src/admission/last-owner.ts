/**
 * LastOwner (admission.md §3.1): an organization that has a full member (a user whose M* in it includes every right
 * of kind Organization) keeps one after the change; an entity named by a Collaboration that has a full collaborator
 * (a user holding every right of its kind on it, admin rights not counted) keeps one (the searches: owner-search.ts).
 * A first owner is never required. Only the organizations and entities the change can reach are looked at — an
 * entity also through the organizations whose members hold rights on it (the ownership of its namespace, a grant to
 * the organization) — and the state after the change is computed only when one of them has an owner to lose. Of a
 * namespace's entities, a kind that a member untouched by the change owns through ownership alone is settled at once;
 * of the other kinds, when the rule lists the users it touches, only the entities their grants can make them full on
 * are searched (not every Collaboration of the namespace).
 */
import type { Engine } from '../engine/engine.ts';
import type { CollaborationObject, ModelObject } from '../model/model.ts';
import type { EntityInfo } from '../engine/grant-index.ts';
import type { Denial } from './decide.ts';
import { denial } from './reasons.ts';
import { afterChange, currentObject } from './what-if.ts';
import { ancestorGroups } from './group-members.ts';
import { entityOwner, organizationOwner, ownershipOwner, type OwnerSearches, type OwnerState, type Touches } from './owner-search.ts';
import { EMPTY, type RightSetId } from '../engine/right-sets.ts';

export interface ChangedObject {
  kind: ModelObject['kind'];
  name: string;
  namespace?: string;
}

/** Organizations, entities and namespaces whose owners the change can remove, in the state before it (exported for the tests' oracle). */
export function reachable(engine: Engine, object: ChangedObject, after: ModelObject | undefined): { organizations: Set<string>; entities: Set<string>; namespaces: Set<string> } {
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
  private readonly states = new Map<string, OwnerState>();
  private readonly engine: Engine;
  private readonly touches: Touches;
  private readonly search: OwnerSearches['ownership'];

  constructor(engine: Engine, touches: Touches, search: OwnerSearches['ownership']) {
    this.engine = engine;
    this.touches = touches;
    this.search = search;
  }

  /**
   * `kept`: every entity of `kind` in the namespaces `org` owns has an owner the change does not touch (a member full
   * through ownership alone); `atRisk`: such members exist, all touched; `none`: no member is full through ownership alone.
   */
  state(org: string, kind: string): OwnerState {
    const key = `${org}/${kind}`;
    let state = this.states.get(key);
    if (state === undefined) this.states.set(key, (state = this.search(this.engine, org, kind, this.touches)));
    return state;
  }

  /** Whether the entity (`Kind/namespace/name`) has an owner the change does not touch through ownership. */
  entity(key: string): boolean {
    const [kind, namespace] = key.split('/');
    const owner = this.engine.organizations.owner.get(namespace!);
    return owner !== undefined && this.state(owner, kind!) === 'kept';
  }
}

/** How many steps listing the touched users' grants may take per Collaboration of the namespaces it spares listing. */
const STEPS_PER_COLLABORATION = 16;

/** An entity a grant to a touched user's subject names, and the union of what those grants give on it. */
interface Granted {
  entity: EntityInfo;
  rights: RightSetId;
}

/**
 * The entities of the looked-at namespaces on which grants can make a touched user full: a user's rights on an entity
 * come from the grants whose subject is the user, a group containing it or an organization it is a member of (that
 * one's masked by M*), and from the ownership of the namespace (expand(ownerRights) ∩ M*(u, owner); semantics §5). So
 * a user full on it gets from those grants every right of the kind that ownership does not give it — the entities
 * where the grants of all touched users' subjects and the ownership their M* allow together do not give every right
 * are left out. Found once per request, when a kind asks; undefined when the rule cannot list the touched users, or
 * when listing their grants would take more steps than `STEPS_PER_COLLABORATION` per Collaboration of those
 * namespaces (a group of thousands leaving): the namespaces' Collaborations are listed then, as before.
 */
class TouchedTargets {
  private readonly engine: Engine;
  private readonly users: (() => Iterable<string>) | undefined;
  private readonly namespaces: ReadonlySet<string>;
  private computed = false;
  private byNamespace: Map<string, Map<string, Granted>> | undefined;
  /** Owner of a looked-at namespace → the union of the touched users' M* in it. */
  private readonly masks = new Map<string, RightSetId>();

  constructor(engine: Engine, users: (() => Iterable<string>) | undefined, namespaces: ReadonlySet<string>) {
    this.engine = engine;
    this.users = users;
    this.namespaces = namespaces;
  }

  /** The entities of `namespace` the touched users' subjects' grants name, with what they give, or undefined. */
  in(namespace: string): Iterable<Granted> | undefined {
    if (!this.computed) {
      this.computed = true;
      this.byNamespace = this.compute();
    }
    return this.byNamespace === undefined ? undefined : (this.byNamespace.get(namespace)?.values() ?? []);
  }

  /** The union of the touched users' M* in `org` (after `in` gave entities). */
  mask(org: string): RightSetId {
    return this.masks.get(org) ?? EMPTY;
  }

  private compute(): Map<string, Map<string, Granted>> | undefined {
    if (this.users === undefined) return undefined;
    const engine = this.engine;
    const sets = engine.sets;
    let budget = 0;
    for (const ns of this.namespaces) budget += engine.collaborationCountIn(ns);
    budget *= STEPS_PER_COLLABORATION;
    const out = new Map<string, Map<string, Granted>>();
    const owners = new Set<string>();
    for (const ns of this.namespaces) {
      const owner = engine.organizations.owner.get(ns);
      if (owner !== undefined) owners.add(owner);
    }
    const subjects = new Set<string>();
    let steps = 0;
    const subject = (key: string): boolean => {
      if (subjects.has(key)) return true;
      subjects.add(key);
      const grants = engine.entityGrantsOf(key);
      if ((steps += 1 + grants.length) > budget) return false;
      for (const { target, verdict } of grants) {
        if (verdict.granted === EMPTY || !this.namespaces.has(target.namespace!)) continue;
        let entities = out.get(target.namespace!);
        if (!entities) out.set(target.namespace!, (entities = new Map()));
        const granted = entities.get(target.key);
        if (granted) granted.rights = sets.union(granted.rights, verdict.granted);
        else entities.set(target.key, { entity: target, rights: verdict.granted });
      }
      return true;
    };
    for (const user of this.users()) {
      if ((steps += 1 + owners.size) > budget || !subject(`User/${user}`)) return undefined;
      for (const o of owners) {
        const m = engine.membership(user, o);
        if (m) this.masks.set(o, sets.union(this.masks.get(o) ?? EMPTY, m.mask));
      }
      for (const g of engine.groups.groupsOf(user)) if (!subject(`UserGroup/${g}`)) return undefined;
      for (const o of engine.membershipsOf(user).keys()) if (!subject(`Organization/${o}`)) return undefined;
    }
    return out;
  }
}

/**
 * The entities of a namespace (those its Collaborations name) on which its owner's ownership gives rights, unless
 * ownership keeps every entity of their kind owned: only those the change can leave without an owner through it.
 * A kind no member is full on through ownership alone (`none`: ownerRights cover it only in part, or no member's M*
 * holds it all) has at risk only the entities a touched user is full on through grants too: with the touched users
 * listed, only those their grants and ownership can make them full on (`TouchedTargets`) are taken, not every
 * Collaboration of the namespace.
 */
function ownedEntities(engine: Engine, namespace: string, keeps: OwnershipKeeps, touched: TouchedTargets, into: Set<string>): void {
  const owner = engine.organizations.owner.get(namespace);
  const object = owner === undefined ? undefined : engine.model.organizations.get(owner);
  if (!object) return;
  const sets = engine.sets;
  const own = sets.expand(object.ownerRights ?? (engine.catalog.allRight ? [engine.catalog.allRight] : []));
  const scanned = new Set<string>();
  const bounded = new Set<string>();
  for (const kind of engine.catalog.kinds.values()) {
    if (kind.scope !== 'Namespaced' || sets.intersect(own, sets.kindRights(kind.name)) === EMPTY) continue;
    const state = keeps.state(owner!, kind.name);
    if (state === 'kept') continue;
    if (state === 'none' && touched.in(namespace) !== undefined) bounded.add(kind.name);
    else scanned.add(kind.name);
  }
  if (bounded.size > 0) {
    // What ownership can give a touched user here (expand(ownerRights) ∩ M*), at most.
    const owned = sets.intersect(own, touched.mask(owner!));
    for (const { entity, rights } of touched.in(namespace)!) {
      if (bounded.has(entity.kind) && sets.isSubset(sets.kindRights(entity.kind), sets.union(owned, rights))) into.add(entity.key);
    }
  }
  if (scanned.size === 0) return;
  for (const key of engine.collaborationsIn(namespace)) {
    const c = engine.model.collaborations.get(key);
    if (c && scanned.has(c.target.kind)) into.add(engine.targetKey(c));
  }
}

/** The searches LastOwner uses. */
const SEARCHES: OwnerSearches = { organization: organizationOwner, entity: entityOwner, ownership: ownershipOwner };

/**
 * The users a change can touch: `touches` answers for one (an owner it does not touch stays an owner); `users`, when
 * the rule can list them, gives every user `touches` holds for (it may give more).
 */
export interface Touched {
  touches: Touches;
  users?: () => Iterable<string>;
}

/** The users the subjects of a Collaboration stand for (its old and new subject): a user, a group's members, an organization's members. */
export function standingFor(engine: Engine, subjects: readonly (CollaborationObject['subject'] | undefined)[]): Touched {
  const list = subjects.filter((s) => s !== undefined);
  const stands = (s: CollaborationObject['subject'], u: string): boolean =>
    s.kind === 'User' ? s.name === u : s.kind === 'UserGroup' ? engine.groups.groupsOf(u).has(s.name) : engine.membership(u, s.name) !== undefined;
  return {
    touches: (u) => list.some((s) => stands(s, u)),
    users: function* () {
      for (const s of list) {
        if (s.kind === 'User') yield s.name;
        else if (s.kind === 'UserGroup') yield* engine.groups.membersOf(s.name);
        else yield* engine.organizationMembers(s.name).keys();
      }
    },
  };
}

/**
 * LastOwner denials for replacing (or, `after` undefined, deleting) the object. `touched` says which users the change
 * can move (default: anyone; a `Touched` can also list them, which bounds the entities looked at through ownership);
 * an owner it does not touch stays an owner, so the state after is computed only when every owner of something
 * reachable is touched. `search`: the searches for owners (tests pass the references).
 */
export function lastOwner(engine: Engine, object: ChangedObject, after: ModelObject | undefined, touched: Touches | Touched = () => true, search: OwnerSearches = SEARCHES): Denial[] {
  const touches = typeof touched === 'function' ? touched : touched.touches;
  const { organizations, entities, namespaces } = reachable(engine, object, after);
  const keeps = new OwnershipKeeps(engine, touches, search.ownership);
  const targets = new TouchedTargets(engine, typeof touched === 'function' ? undefined : touched.users, namespaces);
  for (const ns of namespaces) ownedEntities(engine, ns, keeps, targets, entities);
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
