/**
 * UserGroup memberships (semantics §4): groupMembers(g) = users(g) ∪ selector(g) ∪ ⋃ groupMembers(h), h in groups(g),
 * closed transitively; groups on a cycle share their members and report MembershipCycle.
 * Kept up to date incrementally: a change recomputes only the changed groups and their ancestors, and only for the
 * users it can concern when the nesting itself did not change.
 */
import type { Model, UserGroupObject, UserObject } from '../model/model.ts';
import { selectorMatcher, selectorMatches } from './label-selector.ts';
import { addOnce, ListSet, removeFromList } from './list-index.ts';
import { addId, NameIds, NameIdSet, removeId } from './name-id-set.ts';
import { addTo } from './set-index.ts';

export interface GroupDiff {
  /** user → groups the user joined or left (transitively). */
  users: Map<string, Set<string>>;
  /** Groups whose member set or cycle warning changed. */
  groups: Set<string>;
}

const NO_IDS: readonly number[] = [];
const NO_NAMES: readonly string[] = [];

export class GroupIndex {
  private readonly model: Model;
  /**
   * Existing group → existing groups listing it in members.groups. This and `listsUser` / `listsGroup` are lists
   * without repeats in the order a `Set` would keep (list-index.ts): most names are listed by one to three groups,
   * where a `Set` cost ~150 bytes before its first entry (`listsUser` was 20 MiB at the large tier).
   */
  private readonly parents = new Map<string, string[]>();
  /** Existing group → users listed by name or matched by the selector (existing users only). */
  private readonly direct = new Map<string, Set<string>>();
  /**
   * Transitive members of each existing group, and user → groups containing it, transitively: the same pairs both
   * ways, as sorted ids (name-id-set.ts) rather than sets of names — a third of the engine's heap at the large tier
   * when they were `Set`s.
   */
  private readonly members = new Map<string, NameIdSet>();
  private readonly userGroups = new Map<string, NameIdSet>();
  /** Users numbered once (never forgotten); memberships.ts numbers its per-organization members with the same table. */
  readonly userIds = new NameIds();
  private readonly groupIds = new NameIds();
  /** Groups on a membership cycle. */
  readonly cyclic = new Set<string>();
  /** user name → groups listing it; group name → groups listing it (whether the listed object exists or not). */
  private readonly listsUser = new Map<string, string[]>();
  private readonly listsGroup = new Map<string, string[]>();
  private readonly selectorGroups = new Set<string>();

  constructor(model: Model) {
    this.model = model;
    // Users and groups numbered in name order (`NameIds.inNameOrder`): a status's first names are a set's first ids.
    this.userIds.numberInNameOrder(model.users.keys());
    this.groupIds.numberInNameOrder(model.groups.keys());
    for (const group of model.groups.values()) this.index(group);
    for (const name of model.groups.keys()) this.direct.set(name, this.directOf(model.groups.get(name)!));
    this.build();
  }

  /**
   * The first build: every group's members (`recompute`'s closure, children's components before their parents') as
   * ids, sorted once per component, and user → groups made from them at the end, a sorted list per user. Before, the
   * build went through `recompute`: a set of names per component, each (user, group) pair looked up by name twice
   * and spliced into the user's sorted list (a fifth of the engine's build at medium).
   */
  private build(): void {
    const { model, userIds } = this;
    for (const component of this.components(new Set(model.groups.keys()))) {
      const inComponent = new Set(component);
      if (component.length > 1 || model.groups.get(component[0]!)!.groups.includes(component[0]!)) for (const g of component) this.cyclic.add(g);
      const ids: number[] = [];
      for (const g of component) {
        for (const user of this.direct.get(g)!) ids.push(userIds.idOf(user));
        for (const child of model.groups.get(g)!.groups) {
          if (inComponent.has(child) || !model.groups.has(child)) continue;
          const members = this.members.get(child)!.idList();
          for (let i = 0; i < members.length; i++) ids.push(members[i]!);
        }
      }
      ids.sort((a, b) => a - b);
      let n = 0;
      for (let i = 0; i < ids.length; i++) if (i === 0 || ids[i] !== ids[i - 1]) ids[n++] = ids[i]!;
      ids.length = n;
      for (const g of component) this.members.set(g, new NameIdSet(userIds, ids.slice())); // a copy each: sets are edited in place
    }
    // User → groups: each group's id under each of its members, groups in id order (so each list comes sorted).
    const byUser = new Array<number[] | undefined>(userIds.names.length).fill(undefined);
    const groupIds = [...this.members.keys()].map((g) => this.groupIds.idOf(g)).sort((a, b) => a - b);
    for (const gid of groupIds) {
      const members = this.members.get(this.groupIds.nameOf(gid))!.idList();
      for (let i = 0; i < members.length; i++) (byUser[members[i]!] ??= []).push(gid);
    }
    for (let user = 0; user < byUser.length; user++) {
      const groups = byUser[user];
      if (groups !== undefined) this.userGroups.set(userIds.nameOf(user), new NameIdSet(this.groupIds, groups.slice()));
    }
  }

  membersOf(group: string): ReadonlySet<string> {
    return this.members.get(group) ?? new Set();
  }

  /** `membersOf` as the members' numbers in `userIds`, ascending (read-only: the set's own array). */
  memberIdsOf(group: string): readonly number[] {
    return this.members.get(group)?.idList() ?? NO_IDS;
  }

  groupsOf(user: string): ReadonlySet<string> {
    return this.userGroups.get(user) ?? new Set();
  }

  /**
   * The ids (in `groupName`'s numbering) of the groups containing the user, transitively, ascending: `groupsOf` for
   * loops over every user that index per-group data by id instead of hashing names (the statuses at start).
   */
  groupIdsOf(user: string): readonly number[] {
    return this.userGroups.get(user)?.idList() ?? NO_IDS;
  }

  /** The group numbered `id` by `groupIdsOf` (ids are never reused: a group removed and added again keeps its id). */
  groupName(id: number): string {
    return this.groupIds.nameOf(id);
  }

  /** Groups listing this group as nested member (existing ones). */
  parentsOf(group: string): ReadonlySet<string> {
    return new ListSet(this.parents.get(group) ?? NO_NAMES);
  }

  /** The path of groups from `group` down to one that holds `user` directly, e.g. [all-staff, devs]. */
  chainTo(group: string, user: string): string[] {
    const previous = new Map<string, string | undefined>([[group, undefined]]);
    const queue = [group];
    while (queue.length > 0) {
      const current = queue.shift()!;
      if (this.direct.get(current)?.has(user)) {
        const chain: string[] = [];
        for (let g: string | undefined = current; g !== undefined; g = previous.get(g)) chain.unshift(g);
        return chain;
      }
      for (const child of this.model.groups.get(current)?.groups ?? []) {
        if (this.model.groups.has(child) && !previous.has(child) && this.members.get(child)?.has(user)) {
          previous.set(child, current);
          queue.push(child);
        }
      }
    }
    return [group];
  }

  /** Listed users and groups that do not exist. */
  missingOf(group: UserGroupObject): { users: string[]; groups: string[] } {
    return {
      users: group.users.filter((u) => !this.model.users.has(u)),
      groups: group.groups.filter((g) => !this.model.groups.has(g)),
    };
  }

  /** Groups whose missing-member warnings depend on this user or group existing. */
  listing(kind: 'User' | 'UserGroup', name: string): ReadonlySet<string> {
    return new ListSet((kind === 'User' ? this.listsUser : this.listsGroup).get(name) ?? NO_NAMES);
  }

  private index(group: UserGroupObject): void {
    for (const user of group.users) addOnce(this.listsUser, user, group.name);
    for (const child of group.groups) {
      addOnce(this.listsGroup, child, group.name);
      if (this.model.groups.has(child)) addOnce(this.parents, child, group.name);
    }
    if (group.selector) this.selectorGroups.add(group.name);
  }

  private unindex(group: UserGroupObject): void {
    for (const user of group.users) removeFromList(this.listsUser, user, group.name);
    for (const child of group.groups) {
      removeFromList(this.listsGroup, child, group.name);
      removeFromList(this.parents, child, group.name);
    }
    this.selectorGroups.delete(group.name);
  }

  private directOf(group: UserGroupObject): Set<string> {
    const users = new Set<string>();
    for (const user of group.users) if (this.model.users.has(user)) users.add(user);
    if (group.selector) {
      const matches = selectorMatcher(group.selector);
      for (const user of this.model.users.values()) if (matches(user.labels)) users.add(user.name);
    }
    return users;
  }

  /** Listed or matched by the selector; `listed` when the caller already knows whether the list names the user. */
  private selects(group: UserGroupObject, user: UserObject | undefined, listed?: boolean): boolean {
    if (!user) return false;
    return (listed ?? group.users.includes(user.name)) || (group.selector !== undefined && selectorMatches(group.selector, user.labels));
  }

  /** Call after the model's group `name` was added, changed or removed; `before` is its previous version. */
  groupChanged(name: string, before: UserGroupObject | undefined): GroupDiff {
    const after = this.model.groups.get(name);
    if (!before && !after) return { users: new Map(), groups: new Set() };
    if (before && after && sameList(before.groups, after.groups) && JSON.stringify(before.selector) === JSON.stringify(after.selector)) {
      return this.usersEdited(name, before, after);
    }
    if (before) this.unindex(before);
    if (after) this.index(after);
    const existenceChanged = !before !== !after;
    if (existenceChanged) {
      // Groups listing this one gain or lose an existing child.
      for (const parent of this.listsGroup.get(name) ?? []) {
        if (!this.model.groups.has(parent)) continue;
        if (after) addOnce(this.parents, name, parent);
        else removeFromList(this.parents, name, parent);
      }
    }
    const nestingChanged = existenceChanged || !sameList(before?.groups ?? [], after?.groups ?? []);
    const oldDirect = this.direct.get(name) ?? new Set<string>();
    const newDirect = after ? this.directOf(after) : new Set<string>();
    if (after) this.direct.set(name, newDirect);
    else this.direct.delete(name);
    if (nestingChanged) {
      const seeds = new Set<string>([name, ...(this.listsGroup.get(name) ?? [])].filter((g) => this.model.groups.has(g) || g === name));
      return this.recompute(seeds, undefined, name);
    }
    const users = new Set<string>();
    for (const u of oldDirect) if (!newDirect.has(u)) users.add(u);
    for (const u of newDirect) if (!oldDirect.has(u)) users.add(u);
    return this.recompute(new Set([name]), users);
  }

  /**
   * Only the `users` list changed: touches the names added or removed, not the whole list (a one-user edit of a group
   * listing 50,000 users re-read the list three times).
   */
  private usersEdited(name: string, before: UserGroupObject, after: UserGroupObject): GroupDiff {
    const direct = this.direct.get(name)!;
    const changed = listDifference(before.users, after.users);
    const inAfter = listLookup(after.users, changed.size);
    const users = new Set<string>();
    for (const user of changed) {
      const listed = inAfter(user); // a name may also stand outside the edited stretch: the whole list decides
      if (listed) addOnce(this.listsUser, user, name);
      else removeFromList(this.listsUser, user, name);
      const selected = this.selects(after, this.model.users.get(user), listed);
      if (selected === direct.has(user)) continue;
      if (selected) direct.add(user);
      else direct.delete(user);
      users.add(user);
    }
    return this.recompute(new Set([name]), users);
  }

  /** Call after a user was added, changed (labels) or removed. */
  userChanged(name: string, before: UserObject | undefined): GroupDiff {
    const after = this.model.users.get(name);
    const touched = new Set<string>();
    for (const group of [...(this.listsUser.get(name) ?? []), ...this.selectorGroups]) {
      const object = this.model.groups.get(group);
      if (!object) continue;
      const was = this.direct.get(group)!.has(name);
      const is = this.selects(object, after);
      if (was === is) continue;
      if (is) this.direct.get(group)!.add(name);
      else this.direct.get(group)!.delete(name);
      touched.add(group);
    }
    void before;
    if (touched.size === 0) return { users: new Map(), groups: new Set() };
    return this.recompute(touched, new Set([name]));
  }

  /**
   * Recomputes the members of `seeds` and all their ancestors. With `onlyUsers`, only those users' memberships can
   * have changed (the nesting did not change), so only they are re-evaluated; otherwise whole member sets are rebuilt.
   * `removed` names a group that no longer exists (its members are dropped).
   */
  private recompute(seeds: Set<string>, onlyUsers: Set<string> | undefined, removed?: string): GroupDiff {
    const affected = new Set<string>();
    const stack = [...seeds];
    while (stack.length > 0) {
      const g = stack.pop()!;
      if (affected.has(g)) continue;
      affected.add(g);
      for (const parent of this.parents.get(g) ?? []) stack.push(parent);
    }
    const diff: GroupDiff = { users: new Map(), groups: new Set() };
    const record = (group: string, user: string): void => {
      addTo(diff.users, user, group);
      diff.groups.add(group);
    };
    if (removed !== undefined && !this.model.groups.has(removed)) {
      affected.delete(removed);
      for (const user of this.members.get(removed) ?? []) {
        record(removed, user);
        removeId(this.userGroups, user, removed);
      }
      this.members.delete(removed);
      this.cyclic.delete(removed);
    }
    const components = this.components(affected);
    for (const component of components) {
      const inComponent = new Set(component);
      const cyclic = component.length > 1 || this.model.groups.get(component[0]!)!.groups.includes(component[0]!);
      for (const g of component) {
        if (this.cyclic.has(g) !== cyclic) diff.groups.add(g);
        if (cyclic) this.cyclic.add(g);
        else this.cyclic.delete(g);
      }
      const children: string[] = [];
      for (const g of component) {
        for (const child of this.model.groups.get(g)!.groups) if (!inComponent.has(child) && this.model.groups.has(child)) children.push(child);
      }
      if (onlyUsers) {
        for (const user of onlyUsers) {
          const isMember =
            component.some((g) => this.direct.get(g)!.has(user)) || children.some((c) => this.members.get(c)?.has(user) ?? false);
          for (const g of component) {
            let set = this.members.get(g);
            if (!set) this.members.set(g, (set = new NameIdSet(this.userIds)));
            if (set.has(user) === isMember) continue;
            if (isMember) (set.add(user), addId(this.userGroups, this.groupIds, user, g));
            else (set.delete(user), removeId(this.userGroups, user, g));
            record(g, user);
          }
        }
        continue;
      }
      const next = new Set<string>();
      for (const g of component) for (const u of this.direct.get(g)!) next.add(u);
      for (const c of children) for (const u of this.members.get(c)!) next.add(u);
      for (const g of component) {
        const previous: ReadonlySet<string> = this.members.get(g) ?? new Set<string>();
        for (const u of previous) if (!next.has(u)) (record(g, u), removeId(this.userGroups, u, g));
        for (const u of next) if (!previous.has(u)) (record(g, u), addId(this.userGroups, this.groupIds, u, g));
        this.members.set(g, NameIdSet.from(this.userIds, next));
      }
    }
    return diff;
  }

  /** Strongly connected components of the nesting graph restricted to `groups`, children before parents. */
  private components(groups: Set<string>): string[][] {
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const onStack = new Set<string>();
    const stack: string[] = [];
    const out: string[][] = [];
    let counter = 0;
    const childrenOf = (g: string): string[] => this.model.groups.get(g)!.groups.filter((c) => groups.has(c));
    for (const root of groups) {
      if (index.has(root)) continue;
      // Iterative Tarjan: frames of (node, next child position).
      const frames: Array<[string, number]> = [[root, 0]];
      index.set(root, counter);
      low.set(root, counter++);
      stack.push(root);
      onStack.add(root);
      while (frames.length > 0) {
        const frame = frames[frames.length - 1]!;
        const [node, position] = frame;
        const children = childrenOf(node);
        if (position < children.length) {
          frame[1]++;
          const child = children[position]!;
          if (!index.has(child)) {
            index.set(child, counter);
            low.set(child, counter++);
            stack.push(child);
            onStack.add(child);
            frames.push([child, 0]);
          } else if (onStack.has(child)) {
            low.set(node, Math.min(low.get(node)!, index.get(child)!));
          }
          continue;
        }
        frames.pop();
        if (frames.length > 0) {
          const parent = frames[frames.length - 1]![0];
          low.set(parent, Math.min(low.get(parent)!, low.get(node)!));
        }
        if (low.get(node) === index.get(node)) {
          const component: string[] = [];
          let member: string;
          do {
            member = stack.pop()!;
            onStack.delete(member);
            component.push(member);
          } while (member !== node);
          out.push(component.sort());
        }
      }
    }
    return out;
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Whether a list names a user, for `queries` questions: a scan of the list per question when they are few (a
 * one-name edit of a long list), an index built once when they are many (a list replaced wholesale: 20,000 changed
 * names against a 10,000-name list took 5 s scanning). Linear in the list either way.
 */
function listLookup(list: readonly string[], queries: number): (name: string) => boolean {
  if (queries <= 8) return (name) => list.includes(name);
  const names = new Set(list);
  return (name) => names.has(name);
}

/**
 * Names that occur in one list and maybe not in the other: the two lists without their common beginning and end
 * (an edit of a long list usually touches a few names in one place), compared as sets.
 */
function listDifference(a: readonly string[], b: readonly string[]): Set<string> {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) (endA--, endB--);
  const inA = new Set(a.slice(start, endA));
  const inB = new Set(b.slice(start, endB));
  const out = new Set<string>();
  for (const x of inA) if (!inB.has(x)) out.add(x);
  for (const x of inB) if (!inA.has(x)) out.add(x);
  return out;
}
