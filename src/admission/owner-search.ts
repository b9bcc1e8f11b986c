/**
 * LastOwner's searches for owners (admission.md §3.1): whether an organization has a full member (a user whose M* in
 * it includes every right of kind Organization) and an entity a full collaborator (a user holding every right of its
 * kind on it, admin rights not counted), and whether a change can take the last one away. Each has two searches that
 * give the same answer (property tests hold them equal): the reference (`…Exact`) looks at every member or every user
 * a grant on the entity reaches; the one LastOwner uses looks only at the users who can get the kind's right that the
 * fewest users can get. A third pair finds a member of an organization that ownership alone makes a full collaborator
 * of every entity of a kind in its namespaces (LastOwner then searches none of them). Nothing is kept between requests.
 */
import type { Engine } from '../engine/engine.ts';
import { EMPTY, type RightSetId } from '../engine/right-sets.ts';
import { holdsRights } from '../engine/user-states.ts';
import type { SubjectKind } from '../model/model.ts';

/**
 * Whether something has an owner, and whether the change can take it away: `kept` when an owner the change does not
 * touch remains, `atRisk` when every owner is touched, `none` without one.
 */
export type OwnerState = 'none' | 'kept' | 'atRisk';

/** Users a change can touch: their memberships and rights may move; everyone else's stay as they are. */
export type Touches = (user: string) => boolean;

/** A search for an entity's or an organization's owner (the fast one or the reference). */
export type OwnerSearch = (engine: Engine, name: string, touches: Touches) => OwnerState;

/** A search for a member full on every entity of a kind in an organization's namespaces through ownership alone. */
export type OwnershipSearch = (engine: Engine, org: string, kind: string, touches: Touches) => OwnerState;

/** The searches LastOwner uses; tests pass the references. */
export interface OwnerSearches {
  organization: OwnerSearch;
  entity: OwnerSearch;
  ownership: OwnershipSearch;
}

/**
 * One way rights reach users (semantics §4–5): on an entity, an active grant on it (its subject) or the ownership of
 * its namespace (the owning organization), `gives` being what it gives within the entity's kind — an organization
 * gives each member only `gives` ∩ M*(u, o); in an organization, an active membership of it or of an ancestor (its
 * user or group), `gives` being the Organization rights it adds to M*.
 */
interface Source {
  subject: SubjectKind;
  name: string;
  gives: RightSetId;
}

interface EntityInfo {
  kind: string;
  namespace: string;
  key: string;
  /** The kind's rights: what a full collaborator holds. */
  kindSet: RightSetId;
  sources: Source[];
}

/** The entity and the sources of rights on it; undefined when its kind has no rights (nobody can be full). */
function entityInfo(engine: Engine, key: string): EntityInfo | undefined {
  const parts = key.split('/');
  const kind = parts[0]!;
  const namespace = parts[1]!;
  const sets = engine.sets;
  const kindSet = sets.kindRights(kind);
  if (kindSet === EMPTY) return undefined;
  const sources: Source[] = [];
  for (const k of engine.collaborationsOn(key)) {
    const c = engine.model.collaborations.get(k);
    const verdict = c && engine.verdict(c.namespace, c.name);
    if (!c || !verdict?.active) continue;
    const gives = sets.intersect(verdict.granted, kindSet);
    if (gives !== EMPTY) sources.push({ subject: c.subject.kind, name: c.subject.name, gives });
  }
  // Ownership gives rights on every entity of a namespaced kind in the namespaces the organization owns (OwnershipRights).
  const owner = engine.organizations.owner.get(namespace);
  const ownerObject = owner === undefined ? undefined : engine.model.organizations.get(owner);
  if (ownerObject && engine.catalog.kinds.get(kind)?.scope === 'Namespaced') {
    const own = sets.expand(ownerObject.ownerRights ?? (engine.catalog.allRight ? [engine.catalog.allRight] : []));
    const gives = sets.intersect(own, kindSet);
    if (gives !== EMPTY) sources.push({ subject: 'Organization', name: ownerObject.name, gives });
  }
  return { kind, namespace, key, kindSet, sources };
}

/** How many users a source can reach (an organization: its members, whatever their M*). */
function reach(engine: Engine, s: Source): number {
  return s.subject === 'User' ? 1 : s.subject === 'UserGroup' ? engine.groups.membersOf(s.name).size : engine.organizationMembers(s.name).size;
}

/** The right of `kindSet` that the sources can give to the fewest users; undefined when some right none gives. */
function rarestRight(engine: Engine, kindSet: RightSetId, sources: readonly Source[]): number | undefined {
  const sets = engine.sets;
  let rarest: number | undefined;
  let fewest = Infinity;
  for (const r of sets.indices(kindSet)) {
    let count = 0;
    for (const s of sources) if (sets.has(s.gives, r)) count += reach(engine, s);
    if (count === 0) return undefined;
    if (count < fewest) {
      fewest = count;
      rarest = r;
    }
  }
  return rarest;
}

/** The users a source reaches, with their M* for an organization. */
function* usersOf(engine: Engine, s: Source): Generator<[string, RightSetId | undefined]> {
  if (s.subject === 'User') yield [s.name, undefined];
  else if (s.subject === 'UserGroup') for (const u of engine.groups.membersOf(s.name)) yield [u, undefined];
  else for (const [u, m] of engine.organizationMembers(s.name)) yield [u, m.mask];
}

/**
 * The reference search (LastOwner's until the one below): every user a grant on the entity or the ownership of its
 * namespace reaches, in turn, its rights on the entity computed (`rightsOn`, without admin rights) until an owner the
 * change does not touch is found.
 */
export function entityOwnerExact(engine: Engine, key: string, touches: Touches): OwnerState {
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
  let atRisk = false;
  const visit = (users: Iterable<string>): boolean => {
    for (const user of users) {
      if (seen.has(user)) continue;
      seen.add(user);
      if (!sets.isSubset(kindSet, engine.rightsOn(user, entity, false))) continue;
      if (!touches(user)) return true;
      atRisk = true;
    }
    return false;
  };
  for (const c of grants) {
    const { kind: sk, name } = c.subject;
    if (visit(sk === 'User' ? [name] : sk === 'UserGroup' ? engine.groups.membersOf(name) : engine.organizationMembers(name).keys())) return 'kept';
  }
  if (owner !== undefined && visit(engine.organizationMembers(owner).keys())) return 'kept';
  return atRisk ? 'atRisk' : 'none';
}

/**
 * The search LastOwner uses. A full collaborator holds every right r of the kind, and only a source giving r can give
 * it r (to a member of an organization, only when r is in its M* there). So the full collaborators are among the
 * users that the sources giving one right reach — and the right is chosen that the fewest users can get (a right the
 * big groups' partial grants do not give: the entity's few direct collaborators and its owner's members). Those users
 * are judged exactly: a source that alone gives every right of the kind makes a user full from its own rights (a
 * member of an organization: when its M* holds them too), any other user's rights on the entity are computed
 * (`rightsOn`, without admin rights). Sources that alone give every right are visited first, where the first member
 * the change does not touch settles it. The same state as `entityOwnerExact`'s: the same full users are found, and
 * the state depends only on which users are full and which of them the change touches.
 */
export function entityOwner(engine: Engine, key: string, touches: Touches): OwnerState {
  const info = entityInfo(engine, key);
  if (!info) return 'none';
  const { kindSet, sources } = info;
  const sets = engine.sets;
  const rarest = rarestRight(engine, kindSet, sources);
  if (rarest === undefined) return 'none';
  const giving = sources.filter((s) => sets.has(s.gives, rarest));
  const alone = (s: Source): boolean => sets.isSubset(kindSet, s.gives);
  giving.sort((a, b) => Number(alone(b)) - Number(alone(a)));
  const seen = new Set<string>();
  let atRisk = false;
  for (const s of giving) {
    const covers = alone(s);
    for (const [user, mask] of usersOf(engine, s)) {
      // A member of an organization that does not get the rarest right through it: another source may give it.
      if (mask !== undefined && !sets.has(mask, rarest)) continue;
      if (seen.has(user)) continue;
      seen.add(user);
      if (!holdsRights(engine.model.users.get(user))) continue;
      const full = (covers && (mask === undefined || sets.isSubset(kindSet, mask))) || sets.isSubset(kindSet, engine.rightsOn(user, info, false));
      if (!full) continue;
      if (!touches(user)) return 'kept';
      atRisk = true;
    }
  }
  return atRisk ? 'atRisk' : 'none';
}

/** Who counts as an owner among an organization's members: any user for a full member, one holding rights for a collaborator. */
type Counts = (engine: Engine, user: string) => boolean;
const EXISTS: Counts = (engine, user) => engine.model.users.has(user);
const HOLDS_RIGHTS: Counts = (engine, user) => holdsRights(engine.model.users.get(user));

/** The reference search for a member whose M* in the organization includes `rights`: every member in turn. */
function memberHoldingExact(engine: Engine, org: string, rights: RightSetId, counts: Counts, touches: Touches): OwnerState {
  let atRisk = false;
  for (const [user, m] of engine.organizationMembers(org)) {
    if (!counts(engine, user) || !engine.sets.isSubset(rights, m.mask)) continue;
    if (!touches(user)) return 'kept';
    atRisk = true;
  }
  return atRisk ? 'atRisk' : 'none';
}

/** The reference search for a full member: every member of the organization in turn. */
export function organizationOwnerExact(engine: Engine, org: string, touches: Touches): OwnerState {
  const orgKind = engine.sets.kindRights('Organization');
  if (orgKind === EMPTY) return 'none';
  return memberHoldingExact(engine, org, orgKind, EXISTS, touches);
}

/** How many members `organizationOwner` looks at in turn before it turns to the rarest right (tests pass fewer). */
const FIRST_LOOK = 32;

/**
 * The search LastOwner uses for a full member. M*(u, o) is the union of what the active memberships of o and of its
 * ancestors give the users they name (semantics §4; a membership naming an organization is never active), so a full
 * member is named, itself or through a group, by a membership giving the Organization right that the fewest users
 * are named for — not the viewer membership of a group of 50,000, but the few memberships that give everything. Only
 * those users are judged, by their M* in the organization (after a look at the first few members, where an owner the
 * change does not touch usually is). The same state as `organizationOwnerExact`'s.
 */
export function organizationOwner(engine: Engine, org: string, touches: Touches, firstLook = FIRST_LOOK): OwnerState {
  const orgKind = engine.sets.kindRights('Organization');
  if (orgKind === EMPTY) return 'none';
  return memberHolding(engine, org, orgKind, EXISTS, touches, firstLook);
}

/** `organizationOwner` for any set of rights in M*: a member holding them that `counts`, found among few. */
function memberHolding(engine: Engine, org: string, rights: RightSetId, counts: Counts, touches: Touches, firstLook: number): OwnerState {
  const sets = engine.sets;
  const members = engine.organizationMembers(org);
  if (members.size <= firstLook) return memberHoldingExact(engine, org, rights, counts, touches);
  // Most organizations have an owner among their first members; looking for the rarest right costs reading every
  // membership of the organization and its ancestors, which a popular organization has thousands of.
  let looked = 0;
  for (const [user, m] of members) {
    if (++looked > firstLook) break;
    if (counts(engine, user) && sets.isSubset(rights, m.mask) && !touches(user)) return 'kept';
  }
  const memberships: Source[] = [];
  for (const o of [org, ...(engine.organizations.ancestors.get(org) ?? [])]) {
    for (const k of engine.membershipCollaborations(o)) {
      const c = engine.model.collaborations.get(k);
      const verdict = c && engine.verdict(c.namespace, c.name);
      if (!c || !verdict?.active || c.subject.kind === 'Organization') continue;
      const gives = sets.intersect(verdict.granted, rights);
      if (gives !== EMPTY) memberships.push({ subject: c.subject.kind, name: c.subject.name, gives });
    }
  }
  const rarest = rarestRight(engine, rights, memberships);
  if (rarest === undefined) return 'none';
  const seen = new Set<string>();
  let atRisk = false;
  for (const s of memberships) {
    if (!sets.has(s.gives, rarest)) continue;
    for (const [user] of usersOf(engine, s)) {
      if (seen.has(user)) continue;
      seen.add(user);
      const m = members.get(user);
      if (!m || !counts(engine, user) || !sets.isSubset(rights, m.mask)) continue;
      if (!touches(user)) return 'kept';
      atRisk = true;
    }
  }
  return atRisk ? 'atRisk' : 'none';
}

/**
 * The kind's rights when ownership can make a member of `org` a full collaborator of every entity of `kind` in the
 * namespaces it owns by itself (semantics §5.5: a member gets expand(ownerRights(o)) ∩ M*(u, o)): a namespaced kind
 * whose every right ownerRights gives. Undefined otherwise.
 */
function ownedKind(engine: Engine, org: string, kind: string): RightSetId | undefined {
  const object = engine.model.organizations.get(org);
  const kindSet = engine.sets.kindRights(kind);
  if (!object || kindSet === EMPTY || engine.catalog.kinds.get(kind)?.scope !== 'Namespaced') return undefined;
  const own = engine.sets.expand(object.ownerRights ?? (engine.catalog.allRight ? [engine.catalog.allRight] : []));
  return engine.sets.isSubset(kindSet, own) ? kindSet : undefined;
}

/**
 * Whether a member of `org` holding rights is, through ownership alone, a full collaborator of every entity of `kind`
 * in the namespaces `org` owns (its M* there holds every right of the kind, and ownerRights gives them), and whether
 * the change can take the last such member away. `kept` settles every such entity at once (that member is full on
 * each: `entityOwner` would find it); `atRisk` and `none` settle nothing (other users may be full through grants).
 * Found like `organizationOwner`'s full member: among the users the memberships giving the rarest right name.
 */
export function ownershipOwner(engine: Engine, org: string, kind: string, touches: Touches, firstLook = FIRST_LOOK): OwnerState {
  const kindSet = ownedKind(engine, org, kind);
  return kindSet === undefined ? 'none' : memberHolding(engine, org, kindSet, HOLDS_RIGHTS, touches, firstLook);
}

/** The reference for `ownershipOwner`: every member of the organization in turn. */
export function ownershipOwnerExact(engine: Engine, org: string, kind: string, touches: Touches): OwnerState {
  const kindSet = ownedKind(engine, org, kind);
  return kindSet === undefined ? 'none' : memberHoldingExact(engine, org, kindSet, HOLDS_RIGHTS, touches);
}
