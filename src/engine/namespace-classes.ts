/**
 * The users of a namespace grouped by what reaches them there (what a permission map's rows are made of): users that
 * the same grant subjects reach — the same subject groups, the same masks M*(u, o) in the organizations involved
 * (the owner, and the organizations granted entities there), no grant naming them directly, the same admin flag —
 * hold the same rights in the namespace, so their rights are computed once per class instead of once per user.
 *
 * The walk visits each subject's members once (a group granted ten entities of the namespace: its members once, not
 * ten times) and gives each user a signature: the subjects that reach it, in a fixed order. Rights are then derived
 * per signature from the subjects' grants (semantics §5.2–§5.4), the same as `Engine.namespaceEntities`,
 * `namespaceDefaults` and `organizationRows` give user by user (the permission-map tests hold the two equal).
 * A signature is a node of a trie of token sequences, and users and each subject's members are numbered (`ClassScratch`,
 * one per engine, its members dropped at every change), so that the walk costs a few array reads per (user, subject),
 * not a list and a string per user; each class's users come sorted, by ranks.
 * One user's class can also be found from the user's side (`userClassIn`, over the namespace's `namespaceSubjects`):
 * what the incremental permission maps use to move only the users a change names.
 */
import type { EngineState } from './engine-state.ts';
import type { GrantRecord } from './grant-index.ts';
import { NameIds } from './name-id-set.ts';
import { EMPTY, type RightSetId } from './right-sets.ts';

/** Users holding the same rights in a namespace. */
export interface RightsClass {
  /** Sorted. */
  users: string[];
  /** Approved administrators (whose admin rights the map takes into account). */
  admin: boolean;
  /** Rights on `Organization/<owner>`: M*(u, owner) ∩ the Organization kind's rights; EMPTY when none. */
  organization: RightSetId;
  /** Kind → rights on every entity of the kind (ownership, §5.4), kinds with none left out. */
  defaults: ReadonlyMap<string, RightSetId>;
  /** Entity key → rights from the grants on it (not ∩ kind rights), entities with none left out. */
  entities: ReadonlyMap<string, RightSetId>;
}

/**
 * A grant as the subjects hold it: the index's own record (its entity `target.key`, its `verdict.granted`), not a
 * copy, so that subjects kept for every namespace (incremental-maps.ts) cost a pointer per grant. Read only while the
 * subjects hold (the namespace's grant version unchanged: no record of theirs moved in `active` or `granted`).
 */
export type Grant = Pick<GrantRecord, 'target' | 'verdict'>;

/** A subject's grants in a namespace: the one grant itself when it has one (most have), else an array of them. */
export type Grants = Grant | readonly Grant[];

/** Calls `f` with each grant of a subject. */
function eachGrant(grants: Grants, f: (grant: Grant) => void): void {
  if (Array.isArray(grants)) for (const g of grants as readonly Grant[]) f(g);
  else f(grants as Grant);
}

const NO_DEFAULTS: ReadonlyMap<string, RightSetId> = new Map();

/** Signature tokens below the group indices (which are ≥ 0). */
const OWNER = -1;
const ADMIN = -2;
const DIRECT = -3;
/** Organization subject j is the token ORGANIZATION - j, followed by the member's mask. */
const ORGANIZATION = -4;

/**
 * What reaches users in a namespace: its active entity grants by subject (a user directly, a group, an organization)
 * and its owner. Computed from the namespace's grants alone (a few look-ups per grant), so it is cheap to recompute
 * after a change; a user's class is then found from the user's own groups and memberships (`userClassIn`). The kept
 * permission maps keep one per namespace from its build on (at large 24–34 MiB of heap for them all: the grants are the
 * index's records, a subject's one grant held without an array), since computing them again at a namespace's first
 * update was the largest cost of group edits over many namespaces.
 */
export interface NamespaceSubjects {
  readonly namespace: string;
  readonly owner: string | undefined;
  /** The namespace's grant version it was computed at (`GrantIndex.namespaceVersion`): equal with the owner, still true. */
  readonly version: number;
  readonly direct: ReadonlyMap<string, Grants>;
  readonly byGroup: ReadonlyMap<string, Grants>;
  readonly byOrganization: ReadonlyMap<string, Grants>;
  /** `byGroup`'s keys in order: a group's token is its position. */
  readonly groupNames: readonly string[];
  readonly groupToken: ReadonlyMap<string, number>;
  /** `byOrganization`'s keys in order: organization j's token is ORGANIZATION - j. */
  readonly organizations: readonly string[];
}

export function namespaceSubjects(state: EngineState, namespace: string): NamespaceSubjects {
  const direct = new Map<string, Grants>();
  const byGroup = new Map<string, Grants>();
  const byOrganization = new Map<string, Grants>();
  const add = (into: Map<string, Grants>, subject: string, grant: Grant): void => {
    const list = into.get(subject);
    if (list === undefined) into.set(subject, grant);
    else if (Array.isArray(list)) (list as Grant[]).push(grant);
    else into.set(subject, [list as Grant, grant]);
  };
  for (const record of state.grants.inNamespace(namespace)) {
    const verdict = record.verdict;
    if (!verdict.active || verdict.granted === EMPTY || record.target.organization !== undefined) continue;
    const subject = record.collab.subject;
    if (subject.kind === 'User') add(direct, subject.name, record);
    else if (subject.kind === 'UserGroup') add(byGroup, subject.name, record);
    else add(byOrganization, subject.name, record);
  }
  const groupNames = [...byGroup.keys()];
  return {
    namespace,
    owner: state.organizations.owner.get(namespace),
    version: state.grants.namespaceVersion(namespace),
    direct,
    byGroup,
    byOrganization,
    groupNames,
    groupToken: new Map(groupNames.map((g, k) => [g, k])),
    organizations: [...byOrganization.keys()],
  };
}

/**
 * The classes of users holding some right in a namespace through its grants or its owner's memberships (users that
 * hold rights: Approved or Flagged). Users reached by nothing (administrators only through admin rights) are in none.
 * `subjects`: the namespace's `namespaceSubjects` now (computed when not given; a caller keeping them passes them).
 */
export function namespaceClasses(state: EngineState, namespace: string, scratch: ClassScratch, subjects: NamespaceSubjects = namespaceSubjects(state, namespace)): RightsClass[] {
  const { restricted, model } = state;
  const { owner, direct, groupNames, organizations } = subjects;
  const walk = scratch.begin(state);

  // Signatures: each user's tokens, subject by subject in a fixed order, so equal signatures mean equal rights. A
  // signature is a node of a trie of token sequences (one step per token), so that users with the same tokens end on
  // the same node without a list or a string per user.
  if (owner !== undefined) walk.pushMembers(walk.organizationMembers(owner), OWNER);
  organizations.forEach((org, j) => walk.pushMembers(walk.organizationMembers(org), ORGANIZATION - j));
  groupNames.forEach((group, k) => walk.pushGroup(walk.groupMembers(group), k));
  for (const user of direct.keys()) if (model.users.has(user) && !restricted.has(user)) walk.markDirect(walk.push(walk.idOf(user), DIRECT));
  for (const admin of state.admins) walk.pushIfSeen(admin, ADMIN);

  // Users grouped by node (a user named directly by a grant has rights of its own: its class is itself), classes in
  // the order of their first user reached; each class's users sorted (a permission map's rows sort them: merging
  // sorted runs is cheap), by ranks numbered once, not by comparing names.
  const pending: Array<{ node: number; ids: number[] }> = [];
  const byNode = new Map<number, number[]>();
  for (const id of walk.seen) {
    const node = walk.nodeOf(id);
    if (walk.isDirect(id)) {
      pending.push({ node, ids: [id] });
      continue;
    }
    const ids = byNode.get(node);
    if (ids) ids.push(id);
    else {
      const list = [id];
      byNode.set(node, list);
      pending.push({ node, ids: list });
    }
  }
  const classes: RightsClass[] = [];
  for (const { node, ids } of pending) {
    const users = walk.sortedUsers(ids);
    classes.push(classOf(state, subjects, walk.tokens(node), users[0]!, users));
  }
  return classes;
}

/** An organization's members holding rights, as user ids, and their masks M*(u, o), in `membersOf` order. */
interface OrganizationMembers {
  ids: Int32Array;
  masks: Int32Array;
}

/**
 * The scratch space of `namespaceClasses`, one per engine: users numbered once (ids never reused); each user's trie
 * node and the walk it was last reached in (so nothing is cleared between namespaces); the trie of the current walk;
 * and each subject's members holding rights, as ids, kept until the engine's state changes (`forget`: the engine
 * calls it on every change and time step), so that a full build reads an organization owning ten namespaces, or a
 * group granted in a hundred, as an array of numbers, not a Map of strings, each time.
 */
export class ClassScratch {
  /** Every user seen, numbered once (ids are never reused); the side arrays below are indexed by these ids. */
  private readonly numbered = new NameIds();
  private walkOf = new Int32Array(1024);
  private nodeOfUser = new Int32Array(1024);
  private directOf = new Uint8Array(1024);
  private walkId = 0;
  /** Every numbered user by name, and each id's position in that order (recomputed when users were numbered). */
  private byRank: string[] = [];
  private rank = new Int32Array(0);
  private idByRank = new Int32Array(0);
  /** The ids of the users lists of the classes made (a user's id never changes, so these never go stale). */
  private readonly idsByUsers = new WeakMap<readonly string[], Int32Array>();
  private state: EngineState | undefined;
  private readonly organizations = new Map<string, OrganizationMembers>();
  private readonly groups = new Map<string, Int32Array>();
  /** Trie: node → its parent and the token leading to it; children by token. Node 0 is the empty sequence. */
  private parent: number[] = [-1];
  private token: number[] = [0];
  private children: Array<Map<number, number> | undefined> = [undefined];
  /** Users reached in this walk, in the order first reached. */
  seen: number[] = [];

  /** Drops the members kept per subject: the state they were read from changed. */
  forget(): void {
    this.organizations.clear();
    this.groups.clear();
  }

  begin(state: EngineState): this {
    if (this.state !== state) {
      this.forget();
      this.state = state;
    }
    this.walkId++;
    this.seen = [];
    this.parent = [-1];
    this.token = [0];
    this.children = [undefined];
    return this;
  }

  idOf(user: string): number {
    const id = this.numbered.idOf(user);
    if (id >= this.walkOf.length) {
      const grow = <T extends Int32Array | Uint8Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2);
        b.set(a);
        return b;
      };
      this.walkOf = grow(this.walkOf);
      this.nodeOfUser = grow(this.nodeOfUser);
      this.directOf = grow(this.directOf);
    }
    return id;
  }

  organizationMembers(org: string): OrganizationMembers {
    let members = this.organizations.get(org);
    if (!members) {
      const { restricted, memberships } = this.state!;
      const ids: number[] = [];
      const masks: number[] = [];
      for (const [user, m] of memberships.membersOf(org)) {
        if (restricted.has(user)) continue;
        ids.push(this.idOf(user));
        masks.push(m.mask);
      }
      this.organizations.set(org, (members = { ids: Int32Array.from(ids), masks: Int32Array.from(masks) }));
    }
    return members;
  }

  groupMembers(group: string): Int32Array {
    let members = this.groups.get(group);
    if (!members) {
      const { restricted, groups } = this.state!;
      const ids: number[] = [];
      for (const user of groups.membersOf(group)) if (!restricted.has(user)) ids.push(this.idOf(user));
      this.groups.set(group, (members = Int32Array.from(ids)));
    }
    return members;
  }

  private step(node: number, token: number): number {
    let children = this.children[node];
    if (!children) this.children[node] = children = new Map();
    let child = children.get(token);
    if (child === undefined) {
      child = this.parent.push(node) - 1;
      this.token.push(token);
      this.children.push(undefined);
      children.set(token, child);
    }
    return child;
  }

  /** The user's node so far in this walk (the root when first reached, then remembered as reached). */
  private nodeSoFar(id: number): number {
    if (this.walkOf[id] === this.walkId) return this.nodeOfUser[id]!;
    this.walkOf[id] = this.walkId;
    this.directOf[id] = 0;
    this.seen.push(id);
    return 0;
  }

  /** Appends a token to a user's signature; returns the id. */
  push(id: number, token: number): number {
    this.nodeOfUser[id] = this.step(this.nodeSoFar(id), token);
    return id;
  }

  /** Appends the token and then each member's mask to the members' signatures. */
  pushMembers(members: OrganizationMembers, token: number): void {
    const { ids, masks } = members;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      this.nodeOfUser[id] = this.step(this.step(this.nodeSoFar(id), token), masks[i]!);
    }
  }

  pushGroup(members: Int32Array, token: number): void {
    for (let i = 0; i < members.length; i++) {
      const id = members[i]!;
      this.nodeOfUser[id] = this.step(this.nodeSoFar(id), token);
    }
  }

  /** Appends a token to the signature of a user already reached in this walk. */
  pushIfSeen(user: string, token: number): void {
    const id = this.numbered.find(user);
    if (id !== undefined && this.walkOf[id] === this.walkId) this.nodeOfUser[id] = this.step(this.nodeOfUser[id]!, token);
  }

  markDirect(id: number): void {
    this.directOf[id] = 1;
  }

  isDirect(id: number): boolean {
    return this.directOf[id] === 1;
  }

  /** The names of these users, sorted (by their ranks among every user numbered so far). */
  sortedUsers(ids: readonly number[]): string[] {
    if (ids.length === 1) {
      const users = [this.numbered.nameOf(ids[0]!)];
      this.idsByUsers.set(users, Int32Array.of(ids[0]!));
      return users;
    }
    const numbered = this.numbered.names;
    if (this.byRank.length !== numbered.length) {
      // Every user of the model numbered at once, so that ranks are sorted again only when a new user appears.
      for (const user of this.state!.model.users.keys()) this.idOf(user);
      this.byRank = numbered.slice().sort();
      this.rank = new Int32Array(numbered.length);
      this.idByRank = new Int32Array(numbered.length);
      for (let r = 0; r < this.byRank.length; r++) {
        const id = this.numbered.find(this.byRank[r]!)!;
        this.rank[id] = r;
        this.idByRank[r] = id;
      }
    }
    const ranks = new Int32Array(ids.length);
    for (let i = 0; i < ids.length; i++) ranks[i] = this.rank[ids[i]!]!;
    ranks.sort();
    const users = new Array<string>(ranks.length);
    const sortedIds = new Int32Array(ranks.length);
    for (let i = 0; i < ranks.length; i++) {
      users[i] = this.byRank[ranks[i]!]!;
      sortedIds[i] = this.idByRank[ranks[i]!]!;
    }
    this.idsByUsers.set(users, sortedIds);
    return users;
  }

  /** The ids of a list of users (known for the lists `namespaceClasses` made, else looked up). */
  idsOf(users: readonly string[]): Int32Array {
    const known = this.idsByUsers.get(users);
    if (known) return known;
    const ids = new Int32Array(users.length);
    for (let i = 0; i < users.length; i++) ids[i] = this.idOf(users[i]!);
    return ids;
  }

  /** The user numbered `id`. */
  nameOf(id: number): string {
    return this.numbered.nameOf(id);
  }

  /** Users numbered so far: every id is below it. */
  get userCount(): number {
    return this.numbered.names.length;
  }

  nodeOf(id: number): number {
    return this.nodeOfUser[id]!;
  }

  /** The token sequence of a node. */
  tokens(node: number): number[] {
    const list: number[] = [];
    for (let n = node; n > 0; n = this.parent[n]!) list.push(this.token[n]!);
    return list.reverse();
  }
}

/**
 * The class one user is in within a namespace (with `users` just that user), found from the user's side: its
 * memberships, its groups, the grants naming it. Undefined when nothing reaches it there (as `namespaceClasses`
 * leaves it out). Same rights as the class `namespaceClasses` puts it in (the incremental map tests hold them equal).
 */
export function userClassIn(state: EngineState, subjects: NamespaceSubjects, user: string): RightsClass | undefined {
  if (state.restricted.has(user)) return undefined;
  const list: number[] = [];
  const memberships = state.memberships.of(user);
  if (memberships !== undefined) {
    if (subjects.owner !== undefined) {
      const m = memberships.get(subjects.owner);
      if (m) list.push(OWNER, m.mask);
    }
    subjects.organizations.forEach((org, j) => {
      const m = memberships.get(org);
      if (m) list.push(ORGANIZATION - j, m.mask);
    });
  }
  if (subjects.groupNames.length > 0) {
    const userGroups = state.groups.groupsOf(user);
    if (userGroups.size <= subjects.groupNames.length) {
      for (const group of userGroups) {
        const k = subjects.groupToken.get(group);
        if (k !== undefined) list.push(k);
      }
    } else {
      subjects.groupNames.forEach((group, k) => {
        if (userGroups.has(group)) list.push(k);
      });
    }
  }
  if (subjects.direct.has(user) && state.model.users.has(user)) list.push(DIRECT);
  if (list.length === 0) return undefined;
  if (state.admins.has(user)) list.push(ADMIN);
  return classOf(state, subjects, list, user, [user]);
}

/** The rights of the users with these tokens (`user`: whose direct grants count, when DIRECT is among them). */
function classOf(state: EngineState, subjects: NamespaceSubjects, list: readonly number[], user: string, users: string[]): RightsClass {
  const { sets, ownership } = state;
  const { byGroup, byOrganization, direct, groupNames, organizations, owner } = subjects;
  const entities = new Map<string, RightSetId>();
  const grant = (key: string, set: RightSetId): void => {
    if (set === EMPTY) return;
    const current = entities.get(key);
    entities.set(key, current === undefined ? set : sets.union(current, set));
  };
  let organization = EMPTY;
  let defaults = NO_DEFAULTS;
  for (let t = 0; t < list.length; t++) {
    const token = list[t]!;
    if (token >= 0) {
      eachGrant(byGroup.get(groupNames[token]!)!, (g) => grant(g.target.key, g.verdict.granted));
    } else if (token === OWNER) {
      const mask = list[++t]!;
      organization = sets.intersect(mask, sets.kindRights('Organization'));
      defaults = ownership.of(owner!, mask);
    } else if (token === DIRECT) {
      eachGrant(direct.get(user)!, (g) => grant(g.target.key, g.verdict.granted));
    } else if (token <= ORGANIZATION) {
      const mask = list[++t]!;
      eachGrant(byOrganization.get(organizations[ORGANIZATION - token]!)!, (g) => grant(g.target.key, sets.intersect(mask, g.verdict.granted)));
    }
  }
  return { users, admin: list.at(-1) === ADMIN, organization, defaults, entities };
}
