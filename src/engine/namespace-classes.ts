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
 * one per engine, its members dropped at every change; read from the group index's numbers, each translated once), so
 * that the walk costs a few array reads per (user, subject), not a list and a string per user; the administrators' ids,
 * and whether a user named by a grant holds rights, are kept per state too, not looked up by name in every namespace.
 * The users named directly at one node (each its own class) share the rights the node's other tokens give, made once.
 * The users reached are then put in name order once per namespace (by ranks, which are the ids themselves while ids
 * ascend with the names: a bitset over the ranks' span when it is small against them, else sorted), so that each
 * class's users come sorted and the classes come in the order of their first user, a permission map's row order,
 * without a sort per class (a hot group's thousands of members were sorted again in every namespace it reaches).
 * One user's class can also be found from the user's side (`userClassIn`, over the namespace's `namespaceSubjects`):
 * what the incremental permission maps use to move only the users a change names.
 */
import type { EngineState } from './engine-state.ts';
import type { GrantRecord } from './grant-index.ts';
import { NameIds } from './name-id-set.ts';
import { EMPTY, type RightSetId } from './right-sets.ts';

/** Users holding the same rights in a namespace. */
export interface RightsClass {
  /** Sorted (build-maps.ts merges them without checking). */
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

const NO_DEFAULTS: ReadonlyMap<string, RightSetId> = new Map();

/** Signature tokens below the group indices (which are ≥ 0). */
const OWNER = -1;
const ADMIN = -2;
const DIRECT = -3;
/** Organization subject j is the token ORGANIZATION - j, followed by the member's mask. */
const ORGANIZATION = -4;

/**
 * `groupByName` reads a walk's ranks back from the bitset when it spans fewer words than this many per user reached
 * (a word read, mostly zero, against a user's share of a sort), else sorts them.
 */
const BITSET_WORDS_PER_USER = 16;

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
 * hold rights: Approved or Flagged), in the order of their first user. Users reached by nothing (administrators only
 * through admin rights) are in none.
 * `subjects`: the namespace's `namespaceSubjects` now (computed when not given; a caller keeping them passes them).
 */
export function namespaceClasses(state: EngineState, namespace: string, scratch: ClassScratch, subjects: NamespaceSubjects = namespaceSubjects(state, namespace)): RightsClass[] {
  const { owner, direct, groupNames, organizations } = subjects;
  const walk = scratch.begin(state);

  // Signatures: each user's tokens, subject by subject in a fixed order, so equal signatures mean equal rights. A
  // signature is a node of a trie of token sequences (one step per token), so that users with the same tokens end on
  // the same node without a list or a string per user.
  if (owner !== undefined) walk.pushMembers(walk.organizationMembers(owner), OWNER);
  organizations.forEach((org, j) => walk.pushMembers(walk.organizationMembers(org), ORGANIZATION - j));
  groupNames.forEach((group, k) => walk.pushGroup(walk.groupMembers(group), k));
  walk.pushDirect(direct.keys());
  walk.pushAdmins();

  // Users grouped by node (a user named directly by a grant has rights of its own: its class is itself), in name
  // order: the users reached sorted once (by ranks numbered once, not by comparing names), so that each class's users
  // come sorted and the classes come in the order of their first user (a permission map's row order), without a sort
  // per class. A class's rights come from its node's tokens; the users named directly at one node (each its own class)
  // share what the other tokens give, made once per node, each adding its own grants to a copy.
  const groups = walk.groupByName();
  const classes: RightsClass[] = new Array<RightsClass>(groups.nodes.length);
  const shared = new Map<number, RightsClass>();
  for (let c = 0; c < classes.length; c++) {
    const users = groups.users[c]!;
    const node = groups.nodes[c]!;
    if (walk.namedDirectly(node)) {
      let base = shared.get(node);
      if (base === undefined) shared.set(node, (base = classOf(state, subjects, walk.tokens(node), undefined, users)));
      classes[c] = withDirectGrants(state, base, direct.get(users[0]!)!, users);
    } else classes[c] = classOf(state, subjects, walk.tokens(node), users[0]!, users);
  }
  walk.keep(classes);
  return classes;
}

/** An organization's members holding rights, as user ids, and their masks M*(u, o), in `membersOf` order. */
interface OrganizationMembers {
  ids: Int32Array;
  masks: Int32Array;
}

/**
 * The scratch space of `namespaceClasses`, one per engine: users numbered once (ids never reused); each user's trie
 * node and the walk it was last reached in, side by side (so nothing is cleared between namespaces, and a user's reads
 * fall in one cache line); the trie of the current walk; and each subject's members holding rights, as ids, the
 * administrators' ids and whether each user named by a grant holds rights, kept until the engine's state changes
 * (`forget`: the engine calls it on every change and time step), so that a full build reads an organization owning ten
 * namespaces, or a group granted in a hundred, as an array of numbers, not a Map of strings, each time.
 */
export class ClassScratch {
  /** Every user seen, numbered once (ids are never reused); the side arrays below are indexed by these ids. */
  private readonly numbered = new NameIds();
  /**
   * Per id, side by side (one cache line for both, where a user's reads in a walk land at random in a table of every
   * user): at 2·id the walk the user was last reached in, at 2·id + 1 its trie node in that walk.
   */
  private reached = new Int32Array(2048);
  /** Per id, the walk in which the user was last named directly by a grant (`pushDirect`): nothing cleared per walk. */
  private directWalk = new Int32Array(1024);
  private walkId = 0;
  /** Every numbered user by name, and each id's position in that order (recomputed when users were numbered). */
  private byRank: string[] = [];
  private rank = new Int32Array(0);
  private idByRank = new Int32Array(0);
  /** A bit per rank, all clear between walks (`groupByName` sorts many users' ranks by marking them). */
  private rankBits = new Int32Array(0);
  /**
   * Whether every id is its user's rank (ids ascend with the names: `numberInNameOrder`), as of the last
   * `ensureRanks`: lists of ids made in name order are then ascending.
   */
  idsInNameOrder = false;
  /** The last walk's users in name order (`groupByName`): their ids and classes, and the classes once made. */
  private walkIds = new Int32Array(1024);
  private walkClass = new Int32Array(1024);
  private walkSize = 0;
  private walkClasses: readonly RightsClass[] | undefined;
  /** Trie node → its class in `groupByName` (-1: none yet). */
  private classOfNode = new Int32Array(1024);
  private state: EngineState | undefined;
  private readonly organizations = new Map<string, OrganizationMembers>();
  private readonly groups = new Map<string, Int32Array>();
  /** The restricted users' ids marked (`isRestricted`), until the state changes. */
  private restrictedIds: Uint8Array | undefined;
  /** The administrators' ids (`pushAdmins`), until the state changes. */
  private adminIds: Int32Array | undefined;
  /**
   * Per id, whether the user holds rights in the state as `pushDirect` found it: `stamp` yes, `-stamp` no, anything
   * else not looked up since the state changed (`forget` moves `stamp`: nothing is cleared).
   */
  private standing = new Int32Array(1024);
  private stamp = 1;
  /** The group index's user numbers (`fromUserId`) → ids here + 1 (0: not yet translated); for `state` only. */
  private fromUserIds = new Int32Array(0);
  /**
   * Trie of the current walk: node → its parent and the token leading to it (node 0 is the empty sequence; `nodes`
   * made so far), and its edges (node, token) → child in an open-addressing table (linear probing, at most half
   * full), a slot being this walk's when its `edgeWalk` is the walk's id: nothing is cleared between walks.
   */
  private parent = new Int32Array(1024).fill(-1, 0, 1);
  private token = new Int32Array(1024);
  private nodes = 1;
  private edgeWalk = new Int32Array(2048);
  private edgeNode = new Int32Array(2048);
  private edgeToken = new Int32Array(2048);
  private edgeChild = new Int32Array(2048);
  /** Users reached in this walk, in the order first reached. */
  private seen = new Int32Array(1024);
  private seenCount = 0;

  /** Drops what is kept per state (subjects' members, administrators, named users' standing): the state changed. */
  forget(): void {
    this.restrictedIds = undefined;
    this.adminIds = undefined;
    this.stamp++;
    this.organizations.clear();
    this.groups.clear();
  }

  /**
   * Numbers these users in name order when nothing is numbered yet (the engine does at its build, before any status or
   * map numbers users as it meets them), so that ids ascend with the names (`idsInNameOrder`) until a user comes
   * whose name sorts before one numbered already.
   */
  numberInNameOrder(users: Iterable<string>): void {
    if (this.numbered.names.length > 0) return;
    for (const user of [...users].sort()) this.idOf(user);
    const n = this.numbered.names.length;
    this.byRank = this.numbered.names.slice();
    this.rank = Int32Array.from({ length: n }, (_, i) => i);
    this.idByRank = this.rank.slice();
    this.rankBits = new Int32Array((n + 31) >>> 5);
    this.idsInNameOrder = true;
  }

  begin(state: EngineState): this {
    this.bind(state);
    this.walkId++;
    this.walkClasses = undefined;
    this.seenCount = 0;
    this.nodes = 1;
    return this;
  }

  /** Reads `state` from now on (what is kept of another state is dropped). */
  private bind(state: EngineState): void {
    if (this.state === state) return;
    this.forget();
    this.state = state;
    this.fromUserIds = new Int32Array(0);
  }

  /**
   * The id here of the user the group index numbers `userId` (`GroupIndex.userIds`, which memberships number by too),
   * or -1 when the user is restricted in `state`: what the organization counts read an organization's members by
   * (`Memberships.forEachMemberId`), with no name looked up once the number was translated (the maps phase, before
   * them at start, translated nearly every member's).
   */
  idOfUserNumber(state: EngineState, userId: number): number {
    this.bind(state);
    return this.fromUserId(userId);
  }

  idOf(user: string): number {
    const id = this.numbered.idOf(user);
    if (id >= this.directWalk.length) {
      const grow = (a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> => {
        const b = new Int32Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.reached = grow(this.reached);
      this.directWalk = grow(this.directWalk);
      this.standing = grow(this.standing);
    }
    return id;
  }

  organizationMembers(org: string): OrganizationMembers {
    let members = this.organizations.get(org);
    if (!members) {
      const ids: number[] = [];
      const masks: number[] = [];
      this.state!.memberships.forEachMemberId(org, (userId, m) => {
        const id = this.fromUserId(userId);
        if (id < 0) return;
        ids.push(id);
        masks.push(m.mask);
      });
      this.organizations.set(org, (members = { ids: Int32Array.from(ids), masks: Int32Array.from(masks) }));
    }
    return members;
  }

  groupMembers(group: string): Int32Array {
    let members = this.groups.get(group);
    if (!members) {
      const userIds = this.state!.groups.memberIdsOf(group);
      const ids = new Int32Array(userIds.length);
      let n = 0;
      for (let i = 0; i < userIds.length; i++) {
        const id = this.fromUserId(userIds[i]!);
        if (id >= 0) ids[n++] = id;
      }
      this.groups.set(group, (members = n === ids.length ? ids : ids.slice(0, n)));
    }
    return members;
  }

  /**
   * A user numbered by the group index (`GroupIndex.userIds`, which memberships number by too) → its id here, or -1
   * when the user is restricted: each such number translated once (by name) and then read from an array, not looked up
   * by name for every group and organization listing the user.
   */
  private fromUserId(userId: number): number {
    let id = userId < this.fromUserIds.length ? this.fromUserIds[userId]! - 1 : -1;
    if (id < 0) {
      if (userId >= this.fromUserIds.length) {
        const grown = new Int32Array(Math.max(userId + 1, 2 * this.fromUserIds.length, 1024));
        grown.set(this.fromUserIds);
        this.fromUserIds = grown;
      }
      id = this.idOf(this.state!.groups.userIds.nameOf(userId));
      this.fromUserIds[userId] = id + 1;
    }
    return this.isRestricted(id) ? -1 : id;
  }

  /** Whether the user numbered `id` is restricted (holds no rights) in the state: marks by id, made once per state. */
  private isRestricted(id: number): boolean {
    let marks = this.restrictedIds;
    if (marks === undefined) {
      const restricted = this.state!.restricted;
      const ids = Array.from(restricted, (user) => this.idOf(user));
      marks = this.restrictedIds = new Uint8Array(this.numbered.names.length);
      for (const i of ids) marks[i] = 1;
    }
    // A user numbered since was not in the state's restricted users (all numbered then).
    return id < marks.length && marks[id] === 1;
  }

  /** The child of `node` by `token`, made when new. */
  private step(node: number, token: number): number {
    const mask = this.edgeChild.length - 1;
    let i = (Math.imul(node, 0x9e3779b1) ^ Math.imul(token, 0x85ebca6b)) & mask;
    for (; this.edgeWalk[i] === this.walkId; i = (i + 1) & mask) if (this.edgeNode[i] === node && this.edgeToken[i] === token) return this.edgeChild[i]!;
    const child = this.nodes;
    if (child === this.parent.length) {
      const grow = (a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> => {
        const b = new Int32Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.parent = grow(this.parent);
      this.token = grow(this.token);
    }
    this.parent[child] = node;
    this.token[child] = token;
    this.nodes++;
    this.edgeWalk[i] = this.walkId;
    this.edgeNode[i] = node;
    this.edgeToken[i] = token;
    this.edgeChild[i] = child;
    // At most half full: twice the room, every edge of this walk put in again.
    if (2 * this.nodes > this.edgeChild.length) this.growEdges();
    return child;
  }

  private growEdges(): void {
    const { edgeWalk, edgeNode, edgeToken, edgeChild } = this;
    const size = edgeChild.length * 2;
    this.edgeWalk = new Int32Array(size);
    this.edgeNode = new Int32Array(size);
    this.edgeToken = new Int32Array(size);
    this.edgeChild = new Int32Array(size);
    const mask = size - 1;
    for (let j = 0; j < edgeChild.length; j++) {
      if (edgeWalk[j] !== this.walkId) continue;
      const node = edgeNode[j]!;
      const token = edgeToken[j]!;
      let i = (Math.imul(node, 0x9e3779b1) ^ Math.imul(token, 0x85ebca6b)) & mask;
      while (this.edgeWalk[i] === this.walkId) i = (i + 1) & mask;
      this.edgeWalk[i] = this.walkId;
      this.edgeNode[i] = node;
      this.edgeToken[i] = token;
      this.edgeChild[i] = edgeChild[j]!;
    }
  }

  /** The user's node so far in this walk (the root when first reached, then remembered as reached). */
  private nodeSoFar(id: number): number {
    const reached = this.reached;
    if (reached[2 * id] === this.walkId) return reached[2 * id + 1]!;
    reached[2 * id] = this.walkId;
    if (this.seenCount === this.seen.length) {
      const grown = new Int32Array(2 * this.seen.length);
      grown.set(this.seen);
      this.seen = grown;
    }
    this.seen[this.seenCount++] = id;
    return 0;
  }

  /** Appends the token and then each member's mask to the members' signatures. */
  pushMembers(members: OrganizationMembers, token: number): void {
    const { ids, masks } = members;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const node = this.step(this.step(this.nodeSoFar(id), token), masks[i]!);
      this.reached[2 * id + 1] = node;
    }
  }

  pushGroup(members: Int32Array, token: number): void {
    for (let i = 0; i < members.length; i++) {
      const id = members[i]!;
      const node = this.step(this.nodeSoFar(id), token);
      this.reached[2 * id + 1] = node;
    }
  }

  /**
   * Appends DIRECT to the signatures of the users named directly by the namespace's grants that hold rights (users of
   * the model, not restricted), and marks them direct (each its own class). A user's name is looked up once here (not
   * numbered when it is not a user of the model), whether it holds rights read by id after the first namespace naming
   * it, until the state changes.
   */
  pushDirect(users: Iterable<string>): void {
    const { model, restricted } = this.state!;
    const stamp = this.stamp;
    for (const user of users) {
      let id = this.numbered.find(user);
      if (id === undefined) {
        if (!model.users.has(user) || restricted.has(user)) continue;
        id = this.idOf(user);
      }
      let standing = this.standing[id]!;
      if (standing !== stamp && standing !== -stamp) this.standing[id] = standing = model.users.has(user) && !this.isRestricted(id) ? stamp : -stamp;
      if (standing !== stamp) continue;
      const node = this.step(this.nodeSoFar(id), DIRECT);
      this.reached[2 * id + 1] = node;
      this.directWalk[id] = this.walkId;
    }
  }

  /**
   * Appends ADMIN to the signatures of the administrators reached in this walk: their ids made once per state
   * (numbered when new, as `ensureRanks` numbers every user of the model), not a look-up of each name per namespace.
   */
  pushAdmins(): void {
    let ids = this.adminIds;
    if (ids === undefined) ids = this.adminIds = Int32Array.from(this.state!.admins, (admin) => this.idOf(admin));
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (this.reached[2 * id] === this.walkId) this.reached[2 * id + 1] = this.step(this.reached[2 * id + 1]!, ADMIN);
    }
  }

  /**
   * Ranks (each numbered user's position in name order) brought up to date when users were numbered since: every user
   * of the model numbered at once, so that ranks are sorted again only when a new user appears.
   */
  private ensureRanks(): void {
    const numbered = this.numbered.names;
    if (this.byRank.length === numbered.length) return;
    for (const user of this.state!.model.users.keys()) this.idOf(user);
    this.byRank = numbered.slice().sort();
    this.rank = new Int32Array(numbered.length);
    this.idByRank = new Int32Array(numbered.length);
    this.rankBits = new Int32Array((numbered.length + 31) >>> 5);
    let inOrder = true;
    for (let r = 0; r < this.byRank.length; r++) {
      const id = this.numbered.find(this.byRank[r]!)!;
      this.rank[id] = r;
      this.idByRank[r] = id;
      if (id !== r) inOrder = false;
    }
    this.idsInNameOrder = inOrder;
  }

  /**
   * The users reached in this walk grouped by node (a user marked direct alone), in name order: the users sorted once
   * by rank, each class's users in name order, the classes in the order of their first user; with each user's id and
   * class in that order kept for `lastWalk` (in buffers reused from walk to walk).
   */
  groupByName(): { nodes: number[]; users: string[][] } {
    this.ensureRanks();
    const seen = this.seen;
    const n = this.seenCount;
    if (this.walkIds.length < n) {
      const size = Math.max(n, 2 * this.walkIds.length);
      this.walkIds = new Int32Array(size);
      this.walkClass = new Int32Array(size);
    }
    const nodes = this.nodes;
    if (this.classOfNode.length < nodes) this.classOfNode = new Int32Array(Math.max(nodes, 2 * this.classOfNode.length));
    const classOfNode = this.classOfNode;
    classOfNode.fill(-1, 0, nodes);
    // Their ranks, ascending: marked in a bitset over every rank and read back in order from the lowest word marked
    // to the highest when those words are few against the users (a zero word read costs far less than a user sorted),
    // else sorted. A rank is the id itself while ids ascend with the names (`idsInNameOrder`): no read of `rank` per
    // user, a random read in a table of every user (at large, 100,000: a cache miss, not a read of the last line).
    const ranks = this.walkIds.subarray(0, n);
    const identity = this.idsInNameOrder;
    const rank = this.rank;
    let low = 0x7fffffff;
    let high = -1;
    for (let i = 0; i < n; i++) {
      const r = identity ? seen[i]! : rank[seen[i]!]!;
      ranks[i] = r;
      if (r < low) low = r;
      if (r > high) high = r;
    }
    const first = low >>> 5;
    const last = high >>> 5;
    if (n > 0 && last - first < BITSET_WORDS_PER_USER * n) {
      const bits = this.rankBits;
      for (let i = 0; i < n; i++) {
        const r = ranks[i]!;
        bits[r >>> 5]! |= 1 << (r & 31);
      }
      let p = 0;
      for (let w = first; w <= last; w++) {
        let word = bits[w]!;
        if (word === 0) continue;
        bits[w] = 0;
        while (word !== 0) {
          const lowest = word & -word;
          ranks[p++] = (w << 5) | (31 - Math.clz32(lowest));
          word ^= lowest;
        }
      }
    } else ranks.sort();
    // Each user's class (counted), then each class's users in arrays of their size.
    const { idByRank, reached, directWalk, walkId, walkIds, walkClass } = this;
    const classNodes: number[] = [];
    const sizes: number[] = [];
    for (let p = 0; p < n; p++) {
      const id = identity ? walkIds[p]! : idByRank[walkIds[p]!]!;
      const node = reached[2 * id + 1]!;
      const direct = directWalk[id] === walkId;
      let c: number;
      if (direct || (c = classOfNode[node]!) < 0) {
        c = classNodes.push(node) - 1;
        sizes.push(1);
        if (!direct) classOfNode[node] = c;
      } else sizes[c]!++;
      walkIds[p] = id;
      walkClass[p] = c;
    }
    const names = this.numbered.names;
    const users = sizes.map((size) => new Array<string>(size));
    const filled = new Int32Array(sizes.length);
    for (let p = 0; p < n; p++) {
      const c = walkClass[p]!;
      users[c]![filled[c]!++] = names[walkIds[p]!]!;
    }
    this.walkSize = n;
    this.walkClasses = undefined;
    return { nodes: classNodes, users };
  }

  /** Notes the classes made from the last `groupByName` (what `lastWalk` answers for). */
  keep(classes: readonly RightsClass[]): void {
    this.walkClasses = classes;
  }

  /**
   * When `classes` are the ones the last walk made (`keep`), and no walk began since: its users' ids in name order and
   * each one's class (an index into `classes`). Views of buffers the next walk overwrites: read at once.
   */
  lastWalk(classes: readonly RightsClass[]): { ids: Int32Array; classes: Int32Array } | undefined {
    if (this.walkClasses !== classes) return undefined;
    return { ids: this.walkIds.subarray(0, this.walkSize), classes: this.walkClass.subarray(0, this.walkSize) };
  }

  /** The ids of a list of users (numbered when new). */
  idsOf(users: readonly string[]): Int32Array {
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

  /** Whether a node's tokens name its users directly (DIRECT, last or before ADMIN): a class per user there. */
  namedDirectly(node: number): boolean {
    const token = this.token[node];
    return token === DIRECT || (token === ADMIN && this.token[this.parent[node]!] === DIRECT);
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

/**
 * The rights of the users with these tokens (`user`: whose direct grants count, when DIRECT is among them; undefined:
 * none counts, what `withDirectGrants` adds to).
 */
function classOf(state: EngineState, subjects: NamespaceSubjects, list: readonly number[], user: string | undefined, users: string[]): RightsClass {
  const { sets, ownership } = state;
  const { byGroup, byOrganization, direct, groupNames, organizations, owner } = subjects;
  const entities = new Map<string, RightSetId>();
  let organization = EMPTY;
  let defaults = NO_DEFAULTS;
  for (let t = 0; t < list.length; t++) {
    const token = list[t]!;
    if (token >= 0) {
      addGrants(entities, sets, byGroup.get(groupNames[token]!)!, undefined);
    } else if (token === OWNER) {
      const mask = list[++t]!;
      organization = sets.intersect(mask, sets.kindRights('Organization'));
      defaults = ownership.of(owner!, mask);
    } else if (token === DIRECT) {
      if (user !== undefined) addGrants(entities, sets, direct.get(user)!, undefined);
    } else if (token <= ORGANIZATION) {
      addGrants(entities, sets, byOrganization.get(organizations[ORGANIZATION - token]!)!, list[++t]!);
    }
  }
  return { users, admin: list.at(-1) === ADMIN, organization, defaults, entities };
}

/**
 * The class of a user named directly (`users`, that user alone) whose other tokens give `base` (`classOf` without its
 * direct grants): the same rights as `classOf` with the user, DIRECT being the last token that adds entity rights.
 */
function withDirectGrants(state: EngineState, base: RightsClass, grants: Grants, users: string[]): RightsClass {
  const entities = base.entities.size === 0 ? new Map<string, RightSetId>() : new Map(base.entities);
  addGrants(entities, state.sets, grants, undefined);
  return { users, admin: base.admin, organization: base.organization, defaults: base.defaults, entities };
}

/** Adds a subject's grants to a class's entity rights (each ∩ `mask`, a member's M*(u, o), when given). */
function addGrants(entities: Map<string, RightSetId>, sets: EngineState['sets'], grants: Grants, mask: RightSetId | undefined): void {
  if (Array.isArray(grants)) for (const g of grants as readonly Grant[]) addGrant(entities, sets, g, mask);
  else addGrant(entities, sets, grants as Grant, mask);
}

function addGrant(entities: Map<string, RightSetId>, sets: EngineState['sets'], grant: Grant, mask: RightSetId | undefined): void {
  const set = mask === undefined ? grant.verdict.granted : sets.intersect(mask, grant.verdict.granted);
  if (set === EMPTY) return;
  const key = grant.target.key;
  const current = entities.get(key);
  entities.set(key, current === undefined ? set : sets.union(current, set));
}
