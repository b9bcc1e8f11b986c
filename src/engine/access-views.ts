/**
 * Two views over the engine that users of the seeds' products ask for first:
 * - what one user holds everywhere ("log in as user", SpiceDB's "all permissions of a subject"): `userAccess`;
 * - who holds rights on one entity, and by which kind of path (Aspera's authorized users, OpenFGA's ListUsers):
 *   `entityAccess`.
 * Both are derived from `evaluate` (semantics §5–§6) and the engine's indexes; pure, no I/O.
 */
import type { EngineView } from './engine-view.ts';
import { entityKey, type EntityRef } from './entities.ts';
import { evaluate, type Provenance } from './evaluate.ts';
import { EMPTY, type RightSetId } from './right-sets.ts';

/** What a user holds in one namespace. */
export interface NamespaceAccess {
  namespace: string;
  /** The organization owning the namespace, if any. */
  organization: string | undefined;
  /** Kind → rights on every entity of that kind in the namespace (ownership), sorted. */
  every: Record<string, string[]>;
  /**
   * Entity key → every right on it, for the entities named by grants where the user holds more than `every` and
   * `admin` already say.
   */
  entities: Record<string, string[]>;
}

export interface UserAccess {
  user: string;
  /** undefined when the user does not exist (it holds nothing). */
  state: string | undefined;
  /** An Approved administrator: kind → rights on every entity of that kind, anywhere. */
  admin: Record<string, string[]> | undefined;
  /** Sorted by namespace. */
  namespaces: NamespaceAccess[];
  /** Cluster-scoped entities (`Organization/o`, `User/u`) → rights, beyond `admin`. */
  cluster: Record<string, string[]>;
}

/** Every entity and right a user holds: explicit entities, namespace-wide rights by ownership, admin rights. */
export function userAccess(engine: EngineView, user: string): UserAccess {
  const object = engine.model.users.get(user);
  const access: UserAccess = { user, state: object?.state, admin: undefined, namespaces: [], cluster: {} };
  const profile = engine.profile(user);
  if (!object || !profile) return access;
  const sets = engine.sets;
  const names = (set: RightSetId): string[] => [...sets.rightNames(set)];
  const adminOf = (kind: string): RightSetId => (profile.admin ? engine.adminRightsOf(kind) : EMPTY);
  if (profile.admin) {
    access.admin = {};
    for (const kind of [...engine.catalog.kinds.keys()].sort()) {
      const set = engine.adminRightsOf(kind);
      if (set !== EMPTY) access.admin[kind] = names(set);
    }
  }
  const byNamespace = new Map<string, NamespaceAccess>();
  const namespace = (ns: string): NamespaceAccess => {
    let entry = byNamespace.get(ns);
    if (!entry) byNamespace.set(ns, (entry = { namespace: ns, organization: engine.organizations.owner.get(ns), every: {}, entities: {} }));
    return entry;
  };
  for (const [ns, byKind] of profile.defaults) {
    const entry = namespace(ns);
    for (const [kind, set] of [...byKind].sort(([a], [b]) => (a < b ? -1 : 1))) entry.every[kind] = names(set);
  }
  const cluster: Array<[string, RightSetId]> = [];
  for (const key of [...profile.entities.keys()].sort()) {
    const parts = key.split('/');
    const kind = parts[0]!;
    const ns = parts.length === 3 ? parts[1] : undefined;
    const rights = engine.rightsOn(user, { kind, namespace: ns, key });
    const fallback = sets.union(adminOf(kind), ns === undefined ? EMPTY : (profile.defaults.get(ns)?.get(kind) ?? EMPTY));
    if (sets.subtract(rights, fallback) === EMPTY) continue;
    if (ns === undefined) cluster.push([key, rights]);
    else namespace(ns).entities[key] = names(rights);
  }
  const self = evaluate(engine, user, { kind: 'User', namespace: undefined, name: user }).rights;
  if (sets.subtract(self, adminOf('User')) !== EMPTY) cluster.push([`User/${user}`, self]);
  for (const [key, set] of cluster.sort(([a], [b]) => (a < b ? -1 : 1))) access.cluster[key] = names(set);
  access.namespaces = [...byNamespace.values()].sort((a, b) => (a.namespace < b.namespace ? -1 : 1));
  return access;
}

/** The kinds of path `charter who` reports (Provenance types; `state`, a restricted user's rights on itself, is `self`). */
export type PathCategory = 'admin' | 'direct' | 'group' | 'organization' | 'self';
const CATEGORY_ORDER: readonly PathCategory[] = ['admin', 'direct', 'group', 'organization', 'self'];

export interface Holder {
  user: string;
  /** The user's rights on the entity (all of them, also with a right filter), sorted. */
  rights: string[];
  /** How the user holds them (with a right filter: how it holds that right), in CATEGORY_ORDER. */
  via: PathCategory[];
}

const categoryOf = (path: Provenance): PathCategory => (path.type === 'state' ? 'self' : path.type);

/**
 * Every user holding a right on an entity (or the given right), sorted by name. Candidates come from the engine's
 * indexes — the subjects of the Collaborations naming the entity, the owning organization's members, the
 * organization's members for `Organization/o`, the user itself for `User/u`, the administrators — and each is
 * evaluated (semantics §5), so the answer is exactly the users whose rights there are not empty.
 */
export function entityAccess(engine: EngineView, entity: EntityRef, right?: string): Holder[] {
  const key = entityKey(entity);
  const candidates = new Set<string>(engine.admins);
  const addSubject = (kind: string, name: string): void => {
    if (kind === 'User') candidates.add(name);
    else if (kind === 'UserGroup') for (const u of engine.groups.membersOf(name)) candidates.add(u);
    else for (const u of engine.organizationMembers(name).keys()) candidates.add(u);
  };
  if (entity.kind === 'User') candidates.add(entity.name);
  else if (entity.kind === 'Organization') addSubject('Organization', entity.name);
  else {
    const owner = engine.organizations.owner.get(entity.namespace!);
    if (owner !== undefined) addSubject('Organization', owner);
    for (const ck of engine.collaborationsIn(entity.namespace!)) {
      const c = engine.model.collaborations.get(ck)!;
      if (engine.targetKey(c) === key) addSubject(c.subject.kind, c.subject.name);
    }
  }
  const holders: Holder[] = [];
  for (const user of [...candidates].sort()) {
    const evaluation = evaluate(engine, user, entity);
    if (evaluation.rights === EMPTY) continue;
    const rights = [...engine.sets.rightNames(evaluation.rights)];
    const paths = right === undefined ? [...evaluation.paths.values()].flat() : (evaluation.paths.get(right) ?? []);
    if (paths.length === 0) continue;
    const via = new Set(paths.map(categoryOf));
    holders.push({ user, rights, via: CATEGORY_ORDER.filter((c) => via.has(c)) });
  }
  return holders;
}
