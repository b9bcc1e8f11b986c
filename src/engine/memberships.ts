/**
 * Organization memberships (semantics §5.3): M(u, o) is the union of the active memberships naming the user or a
 * group containing it; M*(u, o) adds the memberships of o's ancestors (they flow down). Kept per user and per
 * organization, the only per-user state the engine keeps (rights are derived from it on demand); `update`
 * recomputes the users a change can concern and reports where their memberships moved.
 */
import type { Model } from '../model/model.ts';
import type { GrantIndex, GrantRecord } from './grant-index.ts';
import type { GroupIndex } from './groups.ts';
import type { OrganizationStructure } from './organizations.ts';
import type { RightSets, RightSetId } from './right-sets.ts';
import { NameIds } from './name-id-set.ts';
import { type Interned, PackedIdMap } from './packed-id-map.ts';

export interface Membership {
  /** expand(M*(u, o)) */
  mask: RightSetId;
  /** Through a Collaboration naming the user (in o or an ancestor). */
  direct: boolean;
  /** Through a Collaboration naming a group containing the user. */
  viaGroup: boolean;
}

/** Where an update moved memberships. */
export interface MembershipMoves {
  /** Users whose memberships changed. */
  users: Set<string>;
  /** Organizations that gained, lost or changed a member. */
  organizations: Set<string>;
  /** Organizations where what a member holds through them moved (a mask changed, a member came or went). */
  rights: Set<string>;
}

const NO_MEMBERS: ReadonlyMap<string, Membership> = new Map();

export class Memberships {
  private readonly sets: RightSets;
  private readonly model: Model;
  private readonly grants: GrantIndex;
  private readonly groups: GroupIndex;
  /**
   * User → organization → M*(u, o): a `PackedIdMap` (as `byOrganization`, the organization's id in `organizationIds`),
   * iterating in organization id order; a user is in one to fifty organizations with the descendants (medium p50 6,
   * p90 14).
   */
  private readonly byUser = new Map<string, PackedIdMap<Membership>>();
  /** Organizations numbered once (never forgotten: a few dozen bytes a removed organization). */
  private readonly organizationIds = new NameIds();
  /**
   * Organization → user → M*(u, o), for the users with a membership (the same objects as `byUser`): a `PackedIdMap`,
   * one sorted number per member (the user's id in the group index's numbering, the value's index in `distinct`),
   * iterating in id order. `Map`s were 29 MiB at the large tier.
   */
  private readonly byOrganization = new Map<string, PackedIdMap<Membership>>();
  /** Every distinct M*(u, o) value, shared by the users and organizations holding it (`shared`), by key and by index. */
  private readonly distinct = new Map<number, number>();
  private readonly interned: Interned<Membership> & { values: Membership[] } = {
    values: [],
    indexOf: (m) => this.distinct.get(keyOf(m.mask, m.direct, m.viaGroup)) ?? -1,
  };

  /** Computes every user's memberships from the grants and groups (the first build). */
  constructor(sets: RightSets, model: Model, grants: GrantIndex, groups: GroupIndex, organizations: OrganizationStructure) {
    this.sets = sets;
    this.model = model;
    this.grants = grants;
    this.groups = groups;
    this.organizationIds.numberInNameOrder(model.organizations.keys()); // a User status's first organizations are its first ids
    // By the group index's user numbers: each user's M(u, ·), then each organization's members as numbers and values
    // (ascending, as the users are visited), not as names looked up again.
    const direct = this.directOfAll();
    const members = new Map<string, { ids: number[]; values: Membership[] }>();
    for (let id = 0; id < direct.length; id++) {
      const own = direct[id];
      if (!own) continue;
      const memberships = this.inherited(own, organizations);
      this.byUser.set(groups.userIds.nameOf(id), PackedIdMap.from(this.organizationIds, this.interned, memberships));
      for (const [org, m] of memberships) {
        let list = members.get(org);
        if (!list) members.set(org, (list = { ids: [], values: [] }));
        list.ids.push(id);
        list.values.push(m);
      }
    }
    for (const [org, list] of members) this.byOrganization.set(org, PackedIdMap.fromIds(groups.userIds, this.interned, list.ids, list.values));
  }

  /** organization → M*(u, o), for every organization the user is a member of; undefined for none. */
  of(user: string): ReadonlyMap<string, Membership> | undefined {
    return this.byUser.get(user);
  }

  /**
   * Calls `f` with each organization the user is a member of, as its number (`organizationName`; numbers are never
   * reused), and M*(u, o), in number order: `of(user)` without names, for loops over every user that index
   * per-organization data by number (the User statuses at start).
   */
  forEachOrganizationIdOf(user: string, f: (organizationId: number, membership: Membership) => void): void {
    this.byUser.get(user)?.forEachId(f);
  }

  /** The organization numbered `id` by `forEachOrganizationIdOf`. */
  organizationName(id: number): string {
    return this.organizationIds.nameOf(id);
  }

  /** How many distinct M*(u, o) values are numbered (they only grow: a new engine numbers those in use). */
  get sharedValues(): number {
    return this.interned.values.length;
  }

  /** user → M*(u, o), for the members of an organization. */
  membersOf(org: string): ReadonlyMap<string, Membership> {
    return this.byOrganization.get(org) ?? NO_MEMBERS;
  }

  /** Calls `f` with each member of an organization as its number in the group index's `userIds`, and M*(u, o). */
  forEachMemberId(org: string, f: (userId: number, membership: Membership) => void): void {
    this.byOrganization.get(org)?.forEachId(f);
  }

  /**
   * Recomputes the memberships of `users` and reports where they moved. For `everything` users (whose state or
   * existence changed) every organization they belong to, before or after, counts as moved.
   */
  update(users: ReadonlySet<string>, everything: ReadonlySet<string>, organizations: OrganizationStructure): MembershipMoves {
    const moves: MembershipMoves = { users: new Set(), organizations: new Set(), rights: new Set() };
    for (const user of users) {
      const before = this.byUser.get(user) ?? NO_MEMBERS;
      const after = this.model.users.has(user) ? this.compute(user, organizations) : new Map<string, Membership>();
      if (after.size > 0) this.byUser.set(user, PackedIdMap.from(this.organizationIds, this.interned, after));
      else this.byUser.delete(user);
      const all = everything.has(user);
      let changed = false;
      for (const [org, b] of after) {
        const a = before.get(org);
        if (!all && a && a.mask === b.mask && a.direct === b.direct && a.viaGroup === b.viaGroup) continue;
        changed = true;
        moves.organizations.add(org);
        this.setMember(org, user, b);
        if (all || !a || a.mask !== b.mask) moves.rights.add(org);
      }
      for (const org of before.keys()) {
        if (after.has(org)) continue;
        changed = true;
        moves.organizations.add(org);
        const members = this.byOrganization.get(org)!;
        members.delete(user);
        if (members.size === 0) this.byOrganization.delete(org);
        moves.rights.add(org);
      }
      if (changed) moves.users.add(user);
    }
    return moves;
  }

  /** M*(u, o) for every organization o: memberships of the user and its groups, flowing down. */
  private compute(user: string, organizations: OrganizationStructure): Map<string, Membership> {
    const direct = new Map<string, Membership>();
    for (const record of this.grants.membershipsOf(`User/${user}`)) this.add(direct, record, false);
    for (const g of this.groups.groupsOf(user)) for (const record of this.grants.membershipsOf(`UserGroup/${g}`)) this.add(direct, record, true);
    return this.inherited(direct, organizations);
  }

  /**
   * M(u, o) of every user, before inheritance, from one pass over the membership grants (the first build): cheaper
   * than asking, for each user, each of its groups for memberships, since most groups have none.
   */
  private directOfAll(): Array<Map<string, Membership> | undefined> {
    const userIds = this.groups.userIds;
    /** By the group index's user number (every user is numbered at its build). */
    const out = new Array<Map<string, Membership> | undefined>(userIds.names.length).fill(undefined);
    const add = (user: number, record: GrantRecord, viaGroup: boolean): void => {
      let direct = out[user];
      if (!direct) out[user] = direct = new Map();
      this.add(direct, record, viaGroup);
    };
    for (const records of this.grants.allMemberships()) {
      for (const record of records) {
        if (!record.verdict.active) continue;
        const subject = record.collab.subject;
        if (subject.kind === 'User') {
          if (this.model.users.has(subject.name)) add(userIds.idOf(subject.name), record, false);
        } else if (subject.kind === 'UserGroup') {
          const ids = this.groups.memberIdsOf(subject.name);
          for (let i = 0; i < ids.length; i++) add(ids[i]!, record, true);
        }
      }
    }
    return out;
  }

  /** Adds an active membership grant to a user's M(u, ·). */
  private add(direct: Map<string, Membership>, record: GrantRecord, viaGroup: boolean): void {
    const verdict = record.verdict;
    if (!verdict.active) return;
    const org = record.target.organization!;
    const m = direct.get(org);
    if (m) {
      m.mask = this.sets.union(m.mask, verdict.granted);
      if (viaGroup) m.viaGroup = true;
      else m.direct = true;
    } else {
      direct.set(org, { mask: verdict.granted, direct: !viaGroup, viaGroup });
    }
  }

  /** M*(u, ·) from M(u, ·): memberships flow down to descendants. */
  private inherited(direct: ReadonlyMap<string, Membership>, organizations: OrganizationStructure): Map<string, Membership> {
    const sets = this.sets;
    const out = new Map<string, Membership>();
    const flow = (o: string, m: Membership): void => {
      const current = out.get(o);
      out.set(
        o,
        current
          ? this.shared(sets.union(current.mask, m.mask), current.direct || m.direct, current.viaGroup || m.viaGroup)
          : this.shared(m.mask, m.direct, m.viaGroup),
      );
    };
    for (const [org, m] of direct) {
      flow(org, m);
      const descendants = organizations.descendants.get(org);
      if (descendants !== undefined) for (const o of descendants) flow(o, m);
    }
    return out;
  }

  /**
   * The one kept `Membership` with these values (frozen): M*(u, o) takes few distinct values (a few hundred masks,
   * two flags), and an object per (user, organization) was a third of the memberships' heap.
   */
  private shared(mask: RightSetId, direct: boolean, viaGroup: boolean): Membership {
    const key = keyOf(mask, direct, viaGroup);
    const index = this.distinct.get(key);
    if (index !== undefined) return this.interned.values[index]!;
    const m = Object.freeze({ mask, direct, viaGroup }) as Membership;
    this.distinct.set(key, this.interned.values.push(m) - 1);
    return m;
  }

  private setMember(org: string, user: string, m: Membership): void {
    let members = this.byOrganization.get(org);
    if (!members) this.byOrganization.set(org, (members = PackedIdMap.empty(this.groups.userIds, this.interned)));
    members.set(user, m);
  }
}

const keyOf = (mask: RightSetId, direct: boolean, viaGroup: boolean): number => mask * 4 + (direct ? 2 : 0) + (viaGroup ? 1 : 0);
