/**
 * An organization's authorized-users counts (status.ts `authorizedUsers`, the sizes of `authorizedUserSets`), kept
 * per organization and moved by the users each change names, as the entity reach is (entity-reach.ts).
 *
 * What is kept: the members holding rights, each as one number — its user id (`ClassScratch`) shifted left by five,
 * and five bits (holds rights, through a Collaboration naming it, holds every Organization right, through a global
 * UserGroup, through a team) — in ascending order, and the counts of each bit; with the organization structure and
 * the active memberships naming a UserGroup (in the organization or an ancestor) they were computed under. At
 * medium at most 144,000 members over the 1,000 organizations, 4 bytes each.
 *
 * How it moves: change propagation names every user whose memberships, state or groups moved (the incremental
 * property tests hold it to that); each such user is noted in the kept organizations it is a member of now, and in
 * those the change names where it was kept (a member that leaves an organization moves its memberships, and the
 * organization is named then). When a kept organization is read, the users noted since are looked up — each one's
 * bits now (`bitsOf`) against those kept — and only those move. The structure or the groups' memberships changed,
 * or more users noted than the organization has members: computed whole. Before, every status walked every member,
 * and every member of every group holding a membership (most of an organization's status after a change).
 *
 * A member's `viaGroup` (memberships.ts) says it came through one of those groups; when they are all global groups,
 * or all teams, that is the bit. With both, the side listing fewer users is walked (whole computation), or each of
 * those groups is asked whether it holds the user (one user).
 */
import type { EngineState } from './engine-state.ts';
import type { Membership } from './memberships.ts';
import type { ClassScratch } from './namespace-classes.ts';
import type { OrganizationStructure } from './organizations.ts';
import type { Impact } from './propagation.ts';
import type { RightSetId } from './right-sets.ts';
import { lowerBound } from './sorted-search.ts';
import { holdsRights, isAdmin } from './user-states.ts';

const HOLDS = 1;
const DIRECT = 2;
const ADMIN = 4;
const GROUP = 8;
const TEAM = 16;
const SHIFT = 5;
/** Bits `whole` uses on the way, above the five kept: a member through some group (both kinds held), an administrator's mask would hold every Organization right. */
const VIA = 1 << SHIFT;
const ADMIN_ADDS = 2 << SHIFT;

/** The counts of an organization's members holding rights, by filter (`AuthorizedUsers` without the entity reach). */
export interface MemberCounts {
  holders: number;
  admins: number;
  throughCollaborations: number;
  throughGroups: number;
  throughTeams: number;
}

interface Kept {
  structure: OrganizationStructure;
  /** The groups holding a membership here, global ones then teams (`Groups.key`). */
  groups: string;
  /** (user id << SHIFT) | bits, ascending. */
  members: Int32Array;
  counts: MemberCounts;
  /** The users named since that may have moved here (a user more than once, at times). */
  named: string[];
}

interface Groups {
  global: string[];
  teams: string[];
  key: string;
}

export class OrganizationCounts {
  private readonly state: EngineState;
  private readonly scratch: ClassScratch;
  private readonly adminRights: () => RightSetId;
  private readonly cache = new Map<string, Kept>();
  private seenStructure: OrganizationStructure | undefined;

  constructor(state: EngineState, scratch: ClassScratch, adminRights: () => RightSetId) {
    this.state = state;
    this.scratch = scratch;
    this.adminRights = adminRights;
  }

  /**
   * Takes note of a change: each user it names goes to the organizations it is a member of now, and to those the
   * change names (`statuses`) where it was kept as a member — a member that leaves an organization moves its
   * memberships, and change propagation names the organization then. An organization with more users noted than
   * it has members is let go (computed whole when read).
   */
  note(impact: Impact): void {
    if (this.cache.size === 0) return;
    if (this.seenStructure !== this.state.organizations) {
      // Kept counts hold for one organization structure only (`of` computes them whole after it moves): let go of
      // those of the former one, so an organization deleted, or a name read that never was one, is not kept on.
      this.seenStructure = this.state.organizations;
      for (const [org, kept] of this.cache) if (kept.structure !== this.seenStructure) this.cache.delete(org);
      if (this.cache.size === 0) return;
    }
    const { memberships } = this.state;
    for (const user of impact.users) for (const org of memberships.of(user)?.keys() ?? []) this.noteUser(org, user);
    for (const key of impact.statuses) {
      if (!key.startsWith('Organization/')) continue;
      const org = key.slice('Organization/'.length);
      const kept = this.cache.get(org);
      if (kept === undefined) continue;
      if (impact.users.size > kept.members.length) {
        for (let i = 0; i < kept.members.length; i++) {
          const user = this.scratch.nameOf(kept.members[i]! >> SHIFT);
          if (impact.users.has(user)) this.noteUser(org, user);
        }
      } else {
        for (const user of impact.users) if (search(kept.members, this.scratch.idOf(user)) >= 0) this.noteUser(org, user);
      }
    }
  }

  /** How many organizations' counts are kept (for tests). */
  get kept(): number {
    return this.cache.size;
  }

  private noteUser(org: string, user: string): void {
    const kept = this.cache.get(org);
    if (kept === undefined) return;
    kept.named.push(user);
    if (kept.named.length > Math.max(64, kept.members.length)) this.cache.delete(org);
  }

  /** The organization's members holding rights, as ids (`ClassScratch`) shifted left by `SHIFT`, and their counts. */
  of(org: string): { members: Int32Array; shift: number; counts: MemberCounts } {
    const groups = this.groupsOf(org);
    let kept = this.cache.get(org);
    if (kept !== undefined && (kept.structure !== this.state.organizations || kept.groups !== groups.key)) kept = undefined;
    if (kept === undefined) this.cache.set(org, (kept = this.whole(org, groups)));
    else if (kept.named.length > 0) this.update(org, kept, groups);
    return { members: kept.members, shift: SHIFT, counts: kept.counts };
  }

  /** The active memberships naming a UserGroup in the organization or an ancestor, by kind of group. */
  private groupsOf(org: string): Groups {
    const { grants, model, organizations } = this.state;
    const global: string[] = [];
    const teams: string[] = [];
    for (const o of [org, ...(organizations.ancestors.get(org) ?? [])]) {
      for (const record of grants.onOrganization(o)) {
        const c = record.collab;
        if (c.subject.kind !== 'UserGroup' || !record.verdict.active) continue;
        (model.groups.get(c.subject.name)?.organization === undefined ? global : teams).push(c.subject.name);
      }
    }
    return { global, teams, key: `${global.join('\0')}\u0001${teams.join('\0')}` };
  }

  /**
   * A member's bits: 0 when it is no member or holds no rights. With groups of both kinds, the group bits only when
   * `mixed` (`whole` sets them by walking).
   */
  private bitsOf(user: string, m: Membership | undefined, kinds: Groups, mixed: boolean): number {
    if (m === undefined) return 0;
    const object = this.state.model.users.get(user);
    if (!holdsRights(object)) return 0;
    const sets = this.state.sets;
    const orgKind = sets.kindRights('Organization');
    let bits = HOLDS;
    if (m.direct) bits |= DIRECT;
    const held = isAdmin(object) ? sets.union(m.mask, this.adminRights()) : m.mask;
    if (sets.intersect(held, orgKind) === orgKind) bits |= ADMIN;
    if (m.viaGroup) {
      if (kinds.teams.length === 0) bits |= kinds.global.length > 0 ? GROUP : 0;
      else if (kinds.global.length === 0) bits |= TEAM;
      else if (mixed) {
        const groups = this.state.groups;
        if (kinds.global.some((g) => groups.membersOf(g).has(user))) bits |= GROUP;
        if (kinds.teams.some((g) => groups.membersOf(g).has(user))) bits |= TEAM;
      }
    }
    return bits;
  }

  /**
   * Every member's bits (`bitsOf`), by number: the members as the group index numbers them (`forEachMemberId`,
   * ascending), translated to ids here (`ClassScratch.idOfUserNumber`, -1 for a restricted user, which holds no
   * rights), their bits made once per distinct M*(u, o) value (an administrator's name looked up only when its mask
   * does not hold every Organization right already), and with groups of both kinds the side listing fewer users
   * walked as the group index's numbers (`memberIdsOf`), each found by a binary search among the members. Before,
   * each member was a name (an entry array, look-ups of its user object, its id, and its membership by name): most of
   * an organization's status at start.
   */
  private whole(org: string, groups: Groups): Kept {
    const { sets, admins, memberships, groups: index } = this.state;
    const orgKind = sets.kindRights('Organization');
    const mixed = groups.global.length > 0 && groups.teams.length > 0;
    // Through a group: with one kind of group, that kind's bit; with both, VIA until the groups are walked.
    const groupBit = mixed ? VIA : groups.teams.length === 0 ? (groups.global.length > 0 ? GROUP : 0) : TEAM;
    /** Membership → its bits for a member that is no administrator, ADMIN_ADDS when an administrator's would add ADMIN. */
    const byValue = new Map<Membership, number>();
    const numbers: number[] = [];
    const ids: number[] = [];
    const bits: number[] = [];
    memberships.forEachMemberId(org, (userId, m) => {
      const id = this.scratch.idOfUserNumber(this.state, userId);
      if (id < 0) return;
      let b = byValue.get(m);
      if (b === undefined) {
        b = HOLDS | (m.direct ? DIRECT : 0) | (m.viaGroup ? groupBit : 0);
        if (sets.intersect(m.mask, orgKind) === orgKind) b |= ADMIN;
        else if (sets.intersect(sets.union(m.mask, this.adminRights()), orgKind) === orgKind) b |= ADMIN_ADDS;
        byValue.set(m, b);
      }
      if (b & ADMIN_ADDS) b = admins.has(this.scratch.nameOf(id)) ? (b & ~ADMIN_ADDS) | ADMIN : b & ~ADMIN_ADDS;
      numbers.push(userId);
      ids.push(id);
      bits.push(b);
    });
    if (mixed) {
      // Both kinds: the side listing fewer users is walked; its members found are asked about the other side, and
      // every other member with `viaGroup` came through the other side.
      const listed = (gs: readonly string[]): number => gs.reduce((n, g) => n + index.memberIdsOf(g).length, 0);
      const teamsFewer = listed(groups.teams) <= listed(groups.global);
      const [walked, other, walkedBit, otherBit] = teamsFewer ? [groups.teams, groups.global, TEAM, GROUP] : [groups.global, groups.teams, GROUP, TEAM];
      const found = new Uint8Array(numbers.length);
      for (const g of walked) {
        const list = index.memberIdsOf(g);
        for (let i = 0; i < list.length; i++) {
          const userId = list[i]!;
          const at = lowerBound(numbers, userId);
          if (at === numbers.length || numbers[at] !== userId || found[at] === 1 || (bits[at]! & VIA) === 0) continue;
          found[at] = 1;
          const inOther = other.some((o) => {
            const members = index.memberIdsOf(o);
            const j = lowerBound(members, userId);
            return j < members.length && members[j] === userId;
          });
          bits[at]! |= walkedBit | (inOther ? otherBit : 0);
        }
      }
      for (let at = 0; at < bits.length; at++) if ((bits[at]! & VIA) !== 0 && found[at] === 0) bits[at]! |= otherBit;
    }
    const packed = new Int32Array(ids.length);
    for (let i = 0; i < ids.length; i++) packed[i] = (ids[i]! << SHIFT) | (bits[i]! & ((1 << SHIFT) - 1));
    packed.sort();
    return { structure: this.state.organizations, groups: groups.key, members: packed, counts: countsOf(packed), named: [] };
  }

  /** Moves the users noted since: each one's bits now against those kept. */
  private update(org: string, kept: Kept, groups: Groups): void {
    const mixed = groups.global.length > 0 && groups.teams.length > 0;
    const moved = new Map<number, number>();
    for (const user of kept.named) {
      const id = this.scratch.idOf(user);
      if (moved.has(id)) continue;
      const at = search(kept.members, id);
      const before = at >= 0 ? kept.members[at]! & ((1 << SHIFT) - 1) : 0;
      const after = this.bitsOf(user, this.state.memberships.of(user)?.get(org), groups, mixed);
      moved.set(id, after === before ? -1 : after);
    }
    kept.named = [];
    if (moved.size === 0) return;
    const out: number[] = [];
    for (const [id, bits] of moved) if (bits === -1) moved.delete(id);
    if (moved.size === 0) return;
    for (let i = 0; i < kept.members.length; i++) if (!moved.has(kept.members[i]! >> SHIFT)) out.push(kept.members[i]!);
    for (const [id, bits] of moved) if (bits !== 0) out.push((id << SHIFT) | bits);
    kept.members = Int32Array.from(out).sort();
    kept.counts = countsOf(kept.members);
  }
}

function countsOf(members: Int32Array): MemberCounts {
  const counts: MemberCounts = { holders: members.length, admins: 0, throughCollaborations: 0, throughGroups: 0, throughTeams: 0 };
  for (let i = 0; i < members.length; i++) {
    const bits = members[i]!;
    if (bits & DIRECT) counts.throughCollaborations++;
    if (bits & ADMIN) counts.admins++;
    if (bits & GROUP) counts.throughGroups++;
    if (bits & TEAM) counts.throughTeams++;
  }
  return counts;
}

/** The index of the member numbered `id` in the ascending packed `members`, or -1. */
function search(members: Int32Array, id: number): number {
  const at = lowerBound(members, id << SHIFT);
  return at < members.length && members[at]! >> SHIFT === id ? at : -1;
}
