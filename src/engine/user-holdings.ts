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
 * Kept until the grants of the subject change: each list remembers the version of its subject's grants
 * (`GrantIndex.subjectVersion`, moved by every grant added, removed or re-judged); an organization's lists also the
 * organization structure they were computed under (replaced whole when an Organization changes, which is when its
 * owned namespaces and ownerRights can change). The incremental property tests compare the statuses of an engine that
 * absorbed random changes with a fresh engine's.
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
  /** Namespaces of those entities, of those organizations, and where ownership gives rights; sorted. */
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
interface OrganizationList extends EntityList {
  structure: OrganizationStructure;
  /** The membership holds rights on `Organization/o` itself. */
  organizationEntity: boolean;
  /** Namespace ids the organization owns, when the membership adds them (rights on the organization, or ownership); else empty. */
  namespaces: Int32Array;
}

const NO_IDS = new Int32Array(0);

export class UserHoldings {
  private readonly state: EngineState;
  private readonly groupLists = new Map<string, EntityList>();
  /** Organization → mask → list. */
  private readonly organizationLists = new Map<string, Map<RightSetId, OrganizationList>>();

  /** Entity id → kind index (-1: not described yet) and namespace id (-1: none). */
  private kindOf = new Int32Array(0);
  private namespaceOf = new Int32Array(0);
  /** Entity id → the epoch of the summary that last counted it. */
  private entityMark = new Int32Array(0);
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
  private rankedCount = 0;
  private epoch = 0;

  constructor(state: EngineState) {
    this.state = state;
  }

  /** The summary of one user (nothing for a user that holds no rights or does not exist). */
  summary(user: string): HoldingsSummary {
    const { model, grants, groups, memberships } = this.state;
    if (!holdsRights(model.users.get(user))) return { entities: 0, byKind: {}, namespaces: [] };
    const epoch = this.nextEpoch();
    const found: number[] = [];
    // Every list is built (entities described, arrays grown) before the marks are read.
    const own: number[] = [];
    for (const record of grants.grantsOf(`User/${user}`)) if (record.verdict.granted !== EMPTY) own.push(this.describe(record.target));
    const lists: Int32Array[] = [];
    for (const g of groups.groupsOf(user)) lists.push(this.groupList(g));
    const owned: Int32Array[] = [];
    let organizationEntities = 0;
    for (const [org, m] of memberships.of(user) ?? []) {
      const list = this.organizationList(org, m.mask);
      lists.push(list.ids);
      if (list.organizationEntity) organizationEntities++;
      if (list.namespaces.length > 0) owned.push(list.namespaces);
    }
    const organizationKind = this.kindIndex('Organization');
    const { kindOf, namespaceOf, entityMark, namespaceMark } = this;
    const count = new Int32Array(this.kindNames.length);
    const visit = (id: number): void => {
      if (entityMark[id] === epoch) return;
      entityMark[id] = epoch;
      count[kindOf[id]!]!++;
      const ns = namespaceOf[id]!;
      if (ns >= 0 && namespaceMark[ns] !== epoch) {
        namespaceMark[ns] = epoch;
        found.push(ns);
      }
    };
    for (const id of own) visit(id);
    for (const ids of lists) for (let i = 0; i < ids.length; i++) visit(ids[i]!);
    for (const ids of owned) {
      for (let i = 0; i < ids.length; i++) {
        const ns = ids[i]!;
        if (namespaceMark[ns] === epoch) continue;
        namespaceMark[ns] = epoch;
        found.push(ns);
      }
    }
    count[organizationKind]! += organizationEntities;
    const byKind: Record<string, number> = {};
    let entities = 0;
    for (const k of this.kindOrder) {
      const n = count[k]!;
      if (n === 0) continue;
      byKind[this.kindNames[k]!] = n;
      entities += n;
    }
    return { entities, byKind, namespaces: this.sortedNamespaces(found) };
  }

  /** The entities of a group's grants (those granting some right). */
  private groupList(group: string): Int32Array {
    const grants = this.state.grants;
    let list = this.groupLists.get(group);
    if (list !== undefined && list.checked === grants.clock) return list.ids;
    const key = `UserGroup/${group}`;
    const version = grants.subjectVersion(key);
    if (list === undefined || list.version !== version) {
      const ids: number[] = [];
      for (const record of grants.grantsOf(key)) if (record.verdict.granted !== EMPTY) ids.push(this.describe(record.target));
      this.groupLists.set(group, (list = { checked: grants.clock, version, ids: ids.length === 0 ? NO_IDS : Int32Array.from(ids) }));
    }
    list.checked = grants.clock;
    return list.ids;
  }

  /** What an organization's grants and ownership give a member whose M*(u, o) is `mask`. */
  private organizationList(org: string, mask: RightSetId): OrganizationList {
    const { grants, organizations: structure } = this.state;
    let byMask = this.organizationLists.get(org);
    if (byMask === undefined) this.organizationLists.set(org, (byMask = new Map()));
    let list = byMask.get(mask);
    if (list !== undefined && list.checked === grants.clock && list.structure === structure) return list;
    const key = `Organization/${org}`;
    const version = grants.subjectVersion(key);
    if (list === undefined || list.version !== version || list.structure !== structure) {
      const { sets, ownership } = this.state;
      const ids: number[] = [];
      for (const record of grants.grantsOf(key)) if (sets.intersect(mask, record.verdict.granted) !== EMPTY) ids.push(this.describe(record.target));
      const organizationEntity = sets.intersect(mask, sets.kindRights('Organization')) !== EMPTY;
      const addsNamespaces = organizationEntity || ownership.of(org, mask).size > 0;
      const namespaces = addsNamespaces ? Int32Array.from(structure.owned.get(org) ?? [], (ns) => this.namespaceIndex(ns)) : NO_IDS;
      byMask.set(mask, (list = { checked: grants.clock, version, ids: ids.length === 0 ? NO_IDS : Int32Array.from(ids), structure, organizationEntity, namespaces }));
    }
    list.checked = grants.clock;
    return list;
  }

  /**
   * Records an entity's kind and namespace under its id; returns the id. Grants name entities of namespaced kinds
   * (memberships, on `Organization/o`, are not in these lists); an entity without a namespace adds none.
   */
  private describe(info: EntityInfo): number {
    const id = info.id;
    if (id >= this.kindOf.length) this.grow(id + 1);
    if (this.kindOf[id] === -1) {
      this.kindOf[id] = this.kindIndex(info.kind);
      this.namespaceOf[id] = info.namespace === undefined ? -1 : this.namespaceIndex(info.namespace);
    }
    return id;
  }

  private grow(size: number): void {
    const capacity = Math.max(size, this.kindOf.length * 2, 1024);
    const kindOf = new Int32Array(capacity).fill(-1);
    kindOf.set(this.kindOf);
    const namespaceOf = new Int32Array(capacity);
    namespaceOf.set(this.namespaceOf);
    const entityMark = new Int32Array(capacity);
    entityMark.set(this.entityMark);
    this.kindOf = kindOf;
    this.namespaceOf = namespaceOf;
    this.entityMark = entityMark;
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
      }
    }
    return n;
  }

  /** Namespace names of ids, sorted: by rank among every known name (ranked again when a name was added since). */
  private sortedNamespaces(ids: readonly number[]): string[] {
    if (ids.length === 0) return [];
    if (this.rankedCount !== this.namespaceNames.length) {
      // Every namespace a summary can name (entities live in their grants' namespaces; organizations own namespaces
      // they claim) is named now, so that users met later do not each rank the names again.
      for (const ns of mapNamespaces(this.state)) this.namespaceIndex(ns);
      const order = this.namespaceNames.map((_, i) => i).sort((a, b) => (this.namespaceNames[a]! < this.namespaceNames[b]! ? -1 : 1));
      this.namespaceRank = new Int32Array(order.length);
      order.forEach((id, rank) => (this.namespaceRank[id] = rank));
      this.sortedNames = order.map((id) => this.namespaceNames[id]!);
      this.rankedCount = this.namespaceNames.length;
    }
    const rankOf = this.namespaceRank;
    const ranks = new Int32Array(ids.length);
    for (let i = 0; i < ids.length; i++) ranks[i] = rankOf[ids[i]!]!;
    ranks.sort();
    const names = this.sortedNames;
    const out: string[] = new Array<string>(ranks.length);
    for (let i = 0; i < ranks.length; i++) out[i] = names[ranks[i]!]!;
    return out;
  }

  private nextEpoch(): number {
    if (this.epoch === 0x7fffffff) {
      this.epoch = 0;
      this.entityMark.fill(0);
      this.namespaceMark.fill(0);
    }
    return ++this.epoch;
  }
}
