/**
 * Who joins or leaves which groups when a UserGroup or a User changes (admission.md §3.3: no escalation through
 * groups — listed users, nested groups, users a selector newly matches or no longer matches), computed from the
 * state before the change without applying it.
 */
import type { EngineView } from '../engine/engine-view.ts';
import { selectorMatches } from '../engine/label-selector.ts';
import { alignLists } from '../model/list-alignment.ts';
import type { UserGroupObject, UserObject } from '../model/model.ts';

/** The group and every group containing it, transitively (by name: also for a group being created). */
export function ancestorGroups(engine: EngineView, group: string): Set<string> {
  const out = new Set<string>([group]);
  const queue = [group];
  while (queue.length > 0) {
    for (const parent of engine.groups.listing('UserGroup', queue.pop()!)) {
      if (!out.has(parent) && engine.model.groups.has(parent)) {
        out.add(parent);
        queue.push(parent);
      }
    }
  }
  return out;
}

/**
 * The names in `a` and not in `b`, and in `b` and not in `a` (lists without duplicates, as the model keeps them), in
 * list order. The lists are aligned (list-alignment.ts); only the skipped names can be in one list and not the other
 * (a paired name is in both, once), so only they go into sets: an edit of a long list costs one pass of comparisons,
 * not two sets of the whole lists.
 */
export function listDiff(a: readonly string[], b: readonly string[]): { onlyA: string[]; onlyB: string[] } {
  const { skippedA: atA, skippedB: atB } = alignLists(a, b)!;
  const skippedA = atA.map((p) => a[p]!);
  const skippedB = atB.map((p) => b[p]!);
  if (skippedA.length === 0 || skippedB.length === 0) return { onlyA: skippedA, onlyB: skippedB };
  const setA = new Set(skippedA);
  const setB = new Set(skippedB);
  return { onlyA: skippedA.filter((x) => !setB.has(x)), onlyB: skippedB.filter((x) => !setA.has(x)) };
}

const NO_GROUP = { users: [] as string[], groups: [] as string[], selector: undefined } as const;

/**
 * Who joins or leaves the group itself when it goes from `before` to `after` (undefined: created, deleted), judged
 * against the state before (the engine) and `after`, and only as far as a rule asks:
 * - `anyJoined()` / `anyLeft()` stop at the first user found;
 * - `leaves(user)` answers for one user (LastOwner asks it of the owners it looks at).
 * Candidates are the users the edit can move — names added to or removed from the list, members of nested groups put
 * in (they can only join; none when the group holds the nested one already through other groups) or taken out (only
 * leave), users whose match of a changed selector flips; nobody else's membership can change. So an edit of a 5,000-name list costs comparing the two lists, and nesting a group of
 * 10,000 members costs finding one who was not a member already — not a pass over every member.
 */
export class GroupToggles {
  private readonly engine: EngineView;
  private readonly name: string;
  private readonly after: UserGroupObject | undefined;
  /** Listed after and not before / before and not after. */
  private readonly added: Set<string>;
  private readonly removed: Set<string>;
  /** Existing groups nested after and not before / before and not after. */
  private readonly nestedIn: string[];
  private readonly nestedOut: string[];
  private readonly selectorChanged: boolean;
  private readonly beforeSelector: UserGroupObject['selector'];
  /** A create or delete: anyone the engine has as a member may leave. */
  private readonly anyoneMayLeave: boolean;
  /** The users whose selector match flips, computed on first use (a scan of every user). */
  private flips: Set<string> | undefined;
  /** Whether `before` lists a user: the engine's index when its object lists the same names, else a set of `before`'s list. */
  private listedBefore: ((user: string) => boolean) | undefined;
  private readonly beforeUsers: readonly string[];

  constructor(engine: EngineView, name: string, before: UserGroupObject | undefined, after: UserGroupObject | undefined) {
    this.engine = engine;
    this.name = name;
    this.after = after;
    const b = before ?? NO_GROUP;
    const a = after ?? NO_GROUP;
    this.beforeUsers = b.users;
    const listed = listDiff(b.users, a.users);
    this.removed = new Set(listed.onlyA);
    this.added = new Set(listed.onlyB);
    const nested = listDiff(b.groups, a.groups);
    this.nestedOut = nested.onlyA.filter((g) => engine.model.groups.has(g));
    this.nestedIn = nested.onlyB.filter((g) => engine.model.groups.has(g));
    this.beforeSelector = b.selector;
    this.selectorChanged = JSON.stringify(b.selector) !== JSON.stringify(a.selector);
    this.anyoneMayLeave = !before || !after;
  }

  private memberBefore(user: string): boolean {
    return this.engine.groups.groupsOf(user).has(this.name);
  }

  private isListedBefore(user: string): boolean {
    if (!this.listedBefore) {
      const current = this.engine.model.groups.get(this.name)?.users;
      const same = current !== undefined && current.length === this.beforeUsers.length && current.every((u, i) => u === this.beforeUsers[i]);
      if (same) {
        const name = this.name;
        this.listedBefore = (u) => this.engine.groups.listing('User', u).has(name);
      } else {
        const set = new Set(this.beforeUsers);
        this.listedBefore = (u) => set.has(u);
      }
    }
    return this.listedBefore(user);
  }

  private memberAfter(user: string): boolean {
    const after = this.after;
    if (!after) return false;
    const object = this.engine.model.users.get(user);
    if (!object) return false;
    if (this.added.has(user) || (!this.removed.has(user) && this.isListedBefore(user))) return true;
    if (after.selector && selectorMatches(after.selector, object.labels)) return true;
    const groups = this.engine.groups.groupsOf(user);
    return after.groups.some((h) => groups.has(h));
  }

  /** Whether the user becomes a member. */
  joins(user: string): boolean {
    return this.engine.model.users.has(user) && !this.memberBefore(user) && this.memberAfter(user);
  }

  /** Whether the user stops being a member. */
  leaves(user: string): boolean {
    if (!this.memberBefore(user)) return false;
    const candidate = this.anyoneMayLeave || this.removed.has(user) || this.selectorFlips().has(user) || this.nestedOut.some((h) => this.engine.groups.groupsOf(user).has(h));
    return candidate && !this.memberAfter(user);
  }

  anyJoined(): boolean {
    for (const u of this.joinCandidates()) if (this.joins(u)) return true;
    return false;
  }

  anyLeft(): boolean {
    for (const u of this.leaveCandidates()) if (this.leaves(u)) return true;
    return false;
  }

  /** Every user who joins (a full pass over the candidates). */
  joined(): Set<string> {
    const out = new Set<string>();
    for (const u of this.joinCandidates()) if (this.joins(u)) out.add(u);
    return out;
  }

  /** Every user who leaves (a full pass over the candidates). */
  left(): Set<string> {
    const out = new Set<string>();
    for (const u of this.leaveCandidates()) if (this.leaves(u)) out.add(u);
    return out;
  }

  private *joinCandidates(): Generator<string> {
    yield* this.added;
    // A group this one holds already through nesting brings nobody new: its members are members before the change.
    for (const h of this.nestedIn) if (!ancestorGroups(this.engine, h).has(this.name)) yield* this.engine.groups.membersOf(h);
    yield* this.selectorFlips();
  }

  /** The users who may leave: every user `leaves` holds for, and others (LastOwner lists them). */
  *leaveCandidates(): Generator<string> {
    if (this.anyoneMayLeave) yield* this.engine.groups.membersOf(this.name);
    yield* this.removed;
    for (const h of this.nestedOut) yield* this.engine.groups.membersOf(h);
    yield* this.selectorFlips();
  }

  private selectorFlips(): Set<string> {
    if (!this.flips) {
      this.flips = new Set();
      if (this.selectorChanged) {
        const before = this.beforeSelector;
        const after = this.after?.selector;
        for (const u of this.engine.model.users.values()) {
          const a = before !== undefined && selectorMatches(before, u.labels);
          const b = after !== undefined && selectorMatches(after, u.labels);
          if (a !== b) this.flips.add(u.name);
        }
      }
    }
    return this.flips;
  }
}

/**
 * The groups a user joins or leaves directly (by name or selector) when it goes from `before` to `after`. Its listings
 * come from the engine's index (groups listing the name, existing or not); only selector groups can change on an update.
 */
export function userGroupToggles(engine: EngineView, name: string, before: UserObject | undefined, after: UserObject | undefined): { joined: Set<string>; left: Set<string> } {
  const joined = new Set<string>();
  const left = new Set<string>();
  const listing = engine.groups.listing('User', name);
  const judge = (group: UserGroupObject): void => {
    const listed = listing.has(group.name);
    const was = before !== undefined && (listed || (group.selector !== undefined && selectorMatches(group.selector, before.labels)));
    const is = after !== undefined && (listed || (group.selector !== undefined && selectorMatches(group.selector, after.labels)));
    if (!was && is) joined.add(group.name);
    if (was && !is) left.add(group.name);
  };
  for (const g of listing) {
    const group = engine.model.groups.get(g);
    if (group) judge(group);
  }
  for (const group of engine.model.groups.values()) if (group.selector !== undefined && !listing.has(group.name)) judge(group);
  return { joined, left };
}
