/**
 * Who joins or leaves which groups when a UserGroup or a User changes (admission.md §3.3: no escalation through
 * groups — listed users, nested groups, users a selector newly matches or no longer matches), computed from the
 * state before the change without applying it.
 */
import type { Engine } from '../engine/engine.ts';
import { selectorMatches } from '../engine/label-selector.ts';
import type { UserGroupObject, UserObject } from '../model/model.ts';

/** The group and every group containing it, transitively (by name: also for a group being created). */
export function ancestorGroups(engine: Engine, group: string): Set<string> {
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

export interface Toggles {
  /** Users who become members of the group. */
  joined: Set<string>;
  /** Users who stop being members. */
  left: Set<string>;
}

/** The users whose membership of the group itself changes when it goes from `before` to `after`. */
export function groupToggles(engine: Engine, name: string, before: UserGroupObject | undefined, after: UserGroupObject | undefined): Toggles {
  const joined = new Set<string>();
  const left = new Set<string>();
  const users = engine.model.users;
  const memberBefore = (u: string): boolean => engine.groups.groupsOf(u).has(name);
  const memberAfter = (u: string): boolean => {
    if (!after) return false;
    const object = users.get(u);
    if (!object) return false;
    if (after.users.includes(u)) return true;
    if (after.selector && selectorMatches(after.selector, object.labels)) return true;
    return after.groups.some((h) => h === name ? memberBefore(u) : engine.groups.groupsOf(u).has(h));
  };
  const candidates = new Set<string>();
  if (!before || !after) {
    for (const u of engine.groups.membersOf(name)) candidates.add(u);
    if (after) {
      for (const u of after.users) candidates.add(u);
      for (const h of after.groups) for (const u of engine.groups.membersOf(h)) candidates.add(u);
      if (after.selector) for (const u of users.values()) if (selectorMatches(after.selector, u.labels)) candidates.add(u.name);
    }
  } else {
    const listedBefore = new Set(before.users);
    const listedAfter = new Set(after.users);
    for (const u of listedBefore) if (!listedAfter.has(u)) candidates.add(u);
    for (const u of listedAfter) if (!listedBefore.has(u)) candidates.add(u);
    const nestedBefore = new Set(before.groups);
    const nestedAfter = new Set(after.groups);
    for (const h of new Set([...nestedBefore, ...nestedAfter])) {
      if (nestedBefore.has(h) !== nestedAfter.has(h)) for (const u of engine.groups.membersOf(h)) candidates.add(u);
    }
    if (JSON.stringify(before.selector) !== JSON.stringify(after.selector)) {
      for (const u of users.values()) {
        const a = before.selector !== undefined && selectorMatches(before.selector, u.labels);
        const b = after.selector !== undefined && selectorMatches(after.selector, u.labels);
        if (a !== b) candidates.add(u.name);
      }
    }
  }
  for (const u of candidates) {
    if (!users.has(u)) continue;
    const was = memberBefore(u);
    const is = memberAfter(u);
    if (!was && is) joined.add(u);
    if (was && !is) left.add(u);
  }
  return { joined, left };
}

/** The groups a user joins or leaves directly (by name or selector) when it goes from `before` to `after`. */
export function userGroupToggles(engine: Engine, name: string, before: UserObject | undefined, after: UserObject | undefined): { joined: Set<string>; left: Set<string> } {
  const joined = new Set<string>();
  const left = new Set<string>();
  for (const group of engine.model.groups.values()) {
    const listed = group.users.includes(name);
    const was = before !== undefined && (listed || (group.selector !== undefined && selectorMatches(group.selector, before.labels)));
    const is = after !== undefined && (listed || (group.selector !== undefined && selectorMatches(group.selector, after.labels)));
    if (!was && is) joined.add(group.name);
    if (was && !is) left.add(group.name);
  }
  return { joined, left };
}
