/**
 * What a User's status summarises of its rights (api.md `rightsSummary`): how many distinct entities a grant gives it
 * some right on, by kind, and the namespaces where it holds rights — the same entities and namespaces as
 * `Engine.holdings`, computed from lists kept per grant subject instead of visiting every grant for every user.
 *
 * A user reaches entities through its own grants, its groups' grants and its organizations' grants masked by its
 * membership M*(u, o). Users share most of those: a group's members all get the group's entities, and an
 * organization's members mostly share a few masks (at the medium benchmark tier ~10,000 distinct (organization, mask)
 * pairs for 145,000 memberships). So this keeps, per group and per (organization, mask), the entities as an array of
 * dense entity ids (`EntityInfo.id`), and a user's summary is a union of ~30 such arrays, de-duplicated with marks in
 * typed arrays rather than in a set of objects. A user's own grants are read directly (they are few and its own).
 *
 * An organization's grants are read once for all its members' masks (its lists by mask are filtered from that read,
 * and share its array when the mask meets every grant), and a group's list is found by its id in arrays, not through
 * an object per group: at start, when every list is made for the first time, these cost a quarter of the User statuses.
 *
 * Kept until the grants of the subject change: each list remembers the version of its subject's grants
 * (`GrantIndex.subjectVersion`, moved by every grant added, removed or re-judged); an organization's read also the
 * organization structure it was made under (replaced whole when an Organization changes, which is when its
 * owned namespaces and ownerRights can change), its lists by mask dropped with it. The incremental property tests
 * compare the statuses of an engine that absorbed random changes with a fresh engine's.
 */
import { mapNamespaces, type EngineState } from './engine-state.ts';
import type { EntityInfo } from './grant-index.ts';
import type { OrganizationStructure } from './organizations.ts';
import { EMPTY, type RightSetId } from './right-sets.ts';
import { holdsRights } from './user-states.ts';

/** A user's `rightsSummary` without its admin flag. */
export interface HoldingsSummary {
  /** Distinct entities a grant gives the user some right on (`Organization/o` for a membership holding rights of that kind). */
  entities: number;
  /** Kind → those entities, kinds with none left out, in kind order. */
  byKind: Record<string, number>;
  /** Namespaces of those entities, of those organizations, and where ownership gives rights; sorted (the first `limit` of them when `summary` is given one). */
  namespaces: string[];
}

/** The entities of a subject's grants, as entity ids, and when they were last found current. */
interface EntityList {
  /** The grant index's clock when the list was last found current (a fast path: nothing changed since). */
  checked: number;
  /** The subject's grants' version the list was computed from. */
  version: number;
  ids: Int32Array;
}

/** What an organization's grants give a member holding one mask. */
interface OrganizationList {
  ids: Int32Array;
  /** The membership holds rights on `Organization/o` itself. */
  organizationEntity: boolean;
  /** Namespace ids the organization owns, when the membership adds them (rights on the organization, or ownership); else empty. */
  namespaces: Int32Array;
}

/**
 * An organization's grants read once for all the masks its members hold (~10 per organization at the medium tier): the
 * grants giving some right, as their rights and entity ids at the same positions, and the namespaces it owns; each
 * mask's list is filtered from these (the whole `ids` when the mask meets every grant) and kept in `byMask`.
 */
interface OrganizationGrants extends EntityList {
  structure: OrganizationStructure;
  granted: Int32Array;
  /** Namespace ids of the organization's owned namespaces. */
  owned: Int32Array;
  byMask: Map<RightSetId, OrganizationList>;
}

const NO_IDS = new Int32Array(0);

export class UserHoldings {
  private readonly state: EngineState;
  /**
   * Group id (`GroupIndex.groupIdsOf`) → the entities of its grants, and at the same index the grant index's clock
   * when the list was last found current (-1: never computed) and the version of the group's grants it was computed
   * from: arrays by id rather than an object per group, so that a user's ~20 groups (half of them with no grant)
   * cost a read of two arrays each, not of an object each.
   */
  private groupIdLists: Int32Array[] = [];
  private groupChecked = new Float64Array(0);
  private groupVersions = new Float64Array(0);
  /** Organization number (`Memberships.forEachOrganizationIdOf`) → its grants, and its lists by mask. */
  private readonly organizationLists: Array<OrganizationGrants | undefined> = [];

  /**
   * Entity id → three slots at `3 * id`: the epoch of the summary that last counted it, its kind index (-1: not
   * described yet) and its namespace id (-1: none). One array, not three: a visit reads all three, and at 40,000
   * entities (medium) three arrays meant three cache misses a visit.
   */
  private entityInfo = new Int32Array(0);
  private readonly kinds = new Map<string, number>();
  private readonly kindNames: string[] = [];
  /** Kind indices in the order of their names. */
  private kindOrder: number[] = [];
  private readonly namespaces = new Map<string, number>();
  private readonly namespaceNames: string[] = [];
  private namespaceMark = new Int32Array(0);
  /** Namespace id → its rank among all names (sorted), for the first `rankedCount` ids; `sortedNames[rank]`. */
  private namespaceRank = new Int32Array(0);
  private sortedNames: string[] = [];
  /** One bit per rank: the namespaces one summary found (all clear between summaries). */
  private rankBits = new Int32Array(0);
  private rankedCount = 0;
  private epoch = 0;
  /** Reused by every summary: the lists it reads, the owned namespaces it adds, the namespaces found, counts per kind. */
  private readonly scratchLists: Int32Array[] = [];
  private readonly scratchOwned: Int32Array[] = [];
  private scratchFound = new Int32Array(0);
  /** The entity ids of the user's own grants. */
  private scratchOwn = new Int32Array(64);
  private counts = new Int32Array(16);

  constructor(state: EngineState) {
    this.state = state;
  }

  /**
   * The summary of one user (nothing for a user that holds no rights or does not exist), with the first `limit` of its
   * namespaces in sorted order (a status lists 100; half the users at the medium tier have more).
   */
  summary(user: string, limit = Infinity): HoldingsSummary {
    const { model, grants, groups, memberships } = this.state;
    if (!holdsRights(model.users.get(user))) return { entities: 0, byKind: {}, namespaces: [] };
    const epoch = this.nextEpoch();
    // Every list is built (entities described, arrays grown) before the marks are read.
    let own = this.scratchOwn;
    let ownCount = 0;
    for (const record of grants.grantsOf(`User/${user}`)) {
      if (record.verdict.granted === EMPTY) continue;
      if (ownCount === own.length) (own = new Int32Array(2 * own.length)).set(this.scratchOwn), (this.scratchOwn = own);
      own[ownCount++] = this.describe(record.target);
    }
    const lists = this.scratchLists;
    const owned = this.scratchOwned;
    lists.length = 0;
    owned.length = 0;
    if (ownCount > 0) lists.push(own.subarray(0, ownCount));
    const clock = grants.clock;
    for (const g of groups.groupIdsOf(user)) {
      const ids = g < this.groupChecked.length && this.groupChecked[g] === clock ? this.groupIdLists[g]! : this.groupList(g);
      if (ids.length > 0) lists.push(ids);
    }
    let organizationEntities = 0;
    // By number: a user's memberships are iterated without an entry array or a name per organization.
    memberships.forEachOrganizationIdOf(user, (org, m) => {
      const list = this.organizationList(org, m.mask);
      if (list.ids.length > 0) lists.push(list.ids);
      if (list.organizationEntity) organizationEntities++;
      if (list.namespaces.length > 0) owned.push(list.namespaces);
    });
    const organizationKind = this.kindIndex('Organization');
    const { entityInfo: info, namespaceMark } = this;
    const count = this.kindCount(this.kindNames.length);
    const found = this.scratchFound;
    let n = 0;
    // The visits inlined (a user's summary reads ~120 entity ids at the medium tier, 20,000 users at start): the
    // user's own grants' entities first, then its groups' and organizations' lists.
    for (let l = 0; l < lists.length; l++) {
      const ids = lists[l]!;
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i]!;
        const at = 3 * id;
        if (info[at] === epoch) continue;
        info[at] = epoch;
        count[info[at + 1]!]!++;
        const ns = info[at + 2]!;
        if (ns >= 0 && namespaceMark[ns] !== epoch) (namespaceMark[ns] = epoch), (found[n++] = ns);
      }
    }
    for (let l = 0; l < owned.length; l++) {
      const ids = owned[l]!;
      for (let i = 0; i < ids.length; i++) {
        const ns = ids[i]!;
        if (namespaceMark[ns] === epoch) continue;
        namespaceMark[ns] = epoch;
        found[n++] = ns;
      }
    }
    count[organizationKind]! += organizationEntities;
    const byKind: Record<string, number> = {};
    let entities = 0;
    for (const k of this.kindOrder) {
      const c = count[k]!;
      if (c === 0) continue;
      byKind[this.kindNames[k]!] = c;
      entities += c;
    }
    return { entities, byKind, namespaces: this.sortedNamespaces(found, n, limit) };
  }

  /** A zeroed count per kind, reused from one summary to the next. */
  private kindCount(kinds: number): Int32Array {
    if (this.counts.length < kinds) this.counts = new Int32Array(Math.max(kinds, 16));
    else this.counts.fill(0);
    return this.counts;
  }

  /** The entities of a group's grants (those granting some right), by the group's id (`GroupIndex.groupIdsOf`). */
  private groupList(groupId: number): Int32Array {
    const grants = this.state.grants;
    if (groupId >= this.groupChecked.length) {
      const size = Math.max(groupId + 1, 2 * this.groupChecked.length, 256);
      const checked = new Float64Array(size).fill(-1);
      checked.set(this.groupChecked);
      const versions = new Float64Array(size);
      versions.set(this.groupVersions);
      this.groupChecked = checked;
      this.groupVersions = versions;
      while (this.groupIdLists.length < size) this.groupIdLists.push(NO_IDS);
    }
    if (this.groupChecked[groupId] === grants.clock) return this.groupIdLists[groupId]!;
    const key = `UserGroup/${this.state.groups.groupName(groupId)}`;
    const version = grants.subjectVersion(key);
    if (this.groupChecked[groupId] === -1 || this.groupVersions[groupId] !== version) {
      const ids: number[] = [];
      for (const record of grants.grantsOf(key)) if (record.verdict.granted !== EMPTY) ids.push(this.describe(record.target));
      this.groupIdLists[groupId] = ids.length === 0 ? NO_IDS : Int32Array.from(ids);
      this.groupVersions[groupId] = version;
    }
    this.groupChecked[groupId] = grants.clock;
    return this.groupIdLists[groupId]!;
  }

  /** What an organization's grants and ownership give a member whose M*(u, o) is `mask`. */
  private organizationList(organizationId: number, mask: RightSetId): OrganizationList {
    const { grants, organizations: structure } = this.state;
    const lists = this.organizationLists;
    while (lists.length <= organizationId) lists.push(undefined); // packed, not holey: numbers come in any order
    let org = lists[organizationId];
    if (org === undefined || org.checked !== grants.clock || org.structure !== structure) org = this.organizationGrants(organizationId, org);
    let list = org.byMask.get(mask);
    if (list === undefined) {
      const { sets, ownership } = this.state;
      const { granted, ids: all } = org;
      let ids = all;
      for (let i = 0; i < granted.length; i++) {
        if (sets.intersect(mask, granted[i]!) !== EMPTY) continue;
        // Not every grant: the ones the mask meets, in order.
        const some: number[] = [];
        for (let j = 0; j < granted.length; j++) if (sets.intersect(mask, granted[j]!) !== EMPTY) some.push(all[j]!);
        ids = some.length === 0 ? NO_IDS : Int32Array.from(some);
        break;
      }
      const organizationEntity = sets.intersect(mask, sets.kindRights('Organization')) !== EMPTY;
      const addsNamespaces = organizationEntity || ownership.of(this.state.memberships.organizationName(organizationId), mask).size > 0;
      org.byMask.set(mask, (list = { ids, organizationEntity, namespaces: addsNamespaces ? org.owned : NO_IDS }));
    }
    return list;
  }

  /**
   * An organization's grants and owned namespaces, current: `kept` marked current when its subject's grants and the
   * organization structure are those it was read under, else read again (its lists by mask dropped).
   */
  private organizationGrants(organizationId: number, kept: OrganizationGrants | undefined): OrganizationGrants {
    const { grants, organizations: structure } = this.state;
    const name = this.state.memberships.organizationName(organizationId);
    const key = `Organization/${name}`;
    const version = grants.subjectVersion(key);
    if (kept !== undefined && kept.version === version && kept.structure === structure) {
      kept.checked = grants.clock;
      return kept;
    }
    const granted: number[] = [];
    const ids: number[] = [];
    for (const record of grants.grantsOf(key)) {
      if (record.verdict.granted === EMPTY) continue;
      granted.push(record.verdict.granted);
      ids.push(this.describe(record.target));
    }
    const owned = structure.owned.get(name) ?? [];
    const org: OrganizationGrants = {
      checked: grants.clock,
      version,
      structure,
      granted: Int32Array.from(granted),
      ids: ids.length === 0 ? NO_IDS : Int32Array.from(ids),
      owned: owned.length === 0 ? NO_IDS : Int32Array.from(owned, (ns) => this.namespaceIndex(ns)),
      byMask: new Map(),
    };
    this.organizationLists[organizationId] = org;
    return org;
  }

  /**
   * Records an entity's kind and namespace under its id; returns the id. Grants name entities of namespaced kinds
   * (memberships, on `Organization/o`, are not in these lists); an entity without a namespace adds none.
   */
  private describe(info: EntityInfo): number {
    const id = info.id;
    if (3 * id >= this.entityInfo.length) this.grow(id + 1);
    const at = 3 * id;
    if (this.entityInfo[at + 1] === -1) {
      this.entityInfo[at + 1] = this.kindIndex(info.kind);
      this.entityInfo[at + 2] = info.namespace === undefined ? -1 : this.namespaceIndex(info.namespace);
    }
    return id;
  }

  private grow(size: number): void {
    const capacity = Math.max(size, (this.entityInfo.length / 3) * 2, 1024);
    const entityInfo = new Int32Array(3 * capacity);
    for (let at = this.entityInfo.length + 1; at < entityInfo.length; at += 3) entityInfo[at] = -1;
    entityInfo.set(this.entityInfo);
    this.entityInfo = entityInfo;
  }

  private kindIndex(kind: string): number {
    let k = this.kinds.get(kind);
    if (k === undefined) {
      k = this.kindNames.length;
      this.kinds.set(kind, k);
      this.kindNames.push(kind);
      this.kindOrder = this.kindNames.map((_, i) => i).sort((a, b) => (this.kindNames[a]! < this.kindNames[b]! ? -1 : 1));
    }
    return k;
  }

  private namespaceIndex(namespace: string): number {
    let n = this.namespaces.get(namespace);
    if (n === undefined) {
      n = this.namespaceNames.length;
      this.namespaces.set(namespace, n);
      this.namespaceNames.push(namespace);
      if (n >= this.namespaceMark.length) {
        const mark = new Int32Array(Math.max(n + 1, this.namespaceMark.length * 2, 256));
        mark.set(this.namespaceMark);
        this.namespaceMark = mark;
        this.scratchFound = new Int32Array(mark.length); // a summary finds each namespace at most once
      }
    }
    return n;
  }

  /**
   * The first `limit` names, in sorted order, of the namespaces of the first `n` ids (marked with the current epoch):
   * by rank among every known name (ranked again when a name was added since). A few are sorted by insertion in the
   * scratch array (for a handful a typed array's `sort` costs more than the sorting); more set one bit per rank, read
   * back in rank order until `limit` or all `n` are found: one pass over the ids and at most one over 1/32 of the
   * namespaces, no sort.
   */
  private sortedNamespaces(ids: Int32Array, n: number, limit: number): string[] {
    if (n === 0 || limit <= 0) return [];
    if (this.rankedCount !== this.namespaceNames.length) {
      // Every namespace a summary can name (entities live in their grants' namespaces; organizations own namespaces
      // they claim) is named now, so that users met later do not each rank the names again.
      for (const ns of mapNamespaces(this.state)) this.namespaceIndex(ns);
      const order = this.namespaceNames.map((_, i) => i).sort((a, b) => (this.namespaceNames[a]! < this.namespaceNames[b]! ? -1 : 1));
      this.namespaceRank = new Int32Array(order.length);
      order.forEach((id, rank) => (this.namespaceRank[id] = rank));
      this.rankBits = new Int32Array((order.length + 31) >>> 5);
      this.sortedNames = order.map((id) => this.namespaceNames[id]!);
      this.rankedCount = this.namespaceNames.length;
    }
    const names = this.sortedNames;
    const wanted = Math.min(n, limit);
    const out: string[] = new Array<string>(wanted);
    if (n <= 32) {
      const rankOf = this.namespaceRank;
      const ranks = ids; // in place: the ids are not read again
      for (let i = 0; i < n; i++) {
        const r = rankOf[ids[i]!]!;
        let j = i - 1;
        while (j >= 0 && ranks[j]! > r) (ranks[j + 1] = ranks[j]!), j--;
        ranks[j + 1] = r;
      }
      for (let i = 0; i < wanted; i++) out[i] = names[ranks[i]!]!;
      return out;
    }
    // More: one bit per rank, set for each id, read word by word in rank order (lowest bit first), cleared after.
    const rankOf = this.namespaceRank;
    const bits = this.rankBits;
    for (let i = 0; i < n; i++) {
      const r = rankOf[ids[i]!]!;
      bits[r >>> 5]! |= 1 << (r & 31);
    }
    for (let w = 0, i = 0; i < wanted; w++) {
      let word = bits[w]!;
      while (word !== 0 && i < wanted) {
        const low = word & -word;
        out[i++] = names[(w << 5) + 31 - Math.clz32(low)]!;
        word ^= low;
      }
    }
    for (let i = 0; i < n; i++) bits[rankOf[ids[i]!]! >>> 5] = 0;
    return out;
  }

  private nextEpoch(): number {
    if (this.epoch === 0x7fffffff) {
      this.epoch = 0;
      for (let at = 0; at < this.entityInfo.length; at += 3) this.entityInfo[at] = 0;
      this.namespaceMark.fill(0);
    }
    return ++this.epoch;
  }
}
