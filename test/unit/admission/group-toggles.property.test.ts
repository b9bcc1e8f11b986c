/**
 * Who joins or leaves a group (group-members.ts) is what the engine computes after the change: on random models, a
 * random edit of a group (a random replacement, or names added, removed, replaced, reordered in its list, nested
 * groups put in or taken out) or of a user (labels, created, deleted) gives exactly the users (groups) whose membership
 * differs between an engine built before and one built after. listDiff is the set difference of its two lists.
 */
import { expect, test } from '@jest/globals';
import fc from 'fast-check';
import { GroupToggles, listDiff, userGroupToggles } from '../../../src/admission/group-members.ts';
import { selectorMatches } from '../../../src/engine/label-selector.ts';
import type { Model, UserGroupObject, UserObject } from '../../../src/model/model.ts';
import { applyToModel, cloneModel, groupArb, modelArb, userArb } from '../engine/arbitraries.ts';
import { engineOf } from './support.ts';

const NAMES = ['u0', 'u1', 'u2', 'u3', 'u4', 'u5', 'ghost', 'g0', 'g1', 'g2', 'g3', 'g4'];

test('listDiff: the names of each list missing from the other', () => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.constantFrom(...NAMES)), fc.uniqueArray(fc.constantFrom(...NAMES)), (a, b) => {
      const { onlyA, onlyB } = listDiff(a, b);
      expect(onlyA).toEqual(a.filter((x) => !b.includes(x)));
      expect(onlyB).toEqual(b.filter((x) => !a.includes(x)));
    }),
    { numRuns: 2000 },
  );
});

test('listDiff: long lists with a few names added, removed, replaced or moved anywhere', () => {
  const editArb = fc.record({ op: fc.constantFrom('insert', 'remove', 'move', 'swap'), at: fc.nat(), to: fc.nat(), name: fc.integer({ min: 0, max: 400 }) });
  fc.assert(
    fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 400 }), { minLength: 0, maxLength: 120 }), fc.array(editArb, { maxLength: 12 }), (base, edits) => {
      const a = base.map((n) => `u${n}`);
      const b = [...a];
      for (const e of edits) {
        const at = b.length === 0 ? 0 : e.at % b.length;
        const to = b.length === 0 ? 0 : e.to % b.length;
        if (e.op === 'insert' && !b.includes(`u${e.name}`)) b.splice(at, 0, `u${e.name}`);
        if (e.op === 'remove') b.splice(at, 1);
        if (e.op === 'move' && b.length > 0) b.splice(to, 0, ...b.splice(at, 1));
        if (e.op === 'swap' && b.length > 0) [b[at], b[to]] = [b[to]!, b[at]!];
      }
      // Equal names from different strings, as from two parsed manifests.
      const fresh = b.map((x) => JSON.parse(JSON.stringify(x)) as string);
      const { onlyA, onlyB } = listDiff(a, fresh);
      expect(onlyA).toEqual(a.filter((x) => !b.includes(x)));
      expect(onlyB).toEqual(b.filter((x) => !a.includes(x)));
    }),
    { numRuns: 2000 },
  );
});

/** An edit of an existing group's lists: the kinds of change a long list gets (one name in, out or swapped; reordered). */
const listEditArb = fc.record({
  op: fc.constantFrom('add', 'remove', 'replace', 'shuffle', 'nest', 'unnest'),
  pick: fc.nat(),
  name: fc.constantFrom('u0', 'u1', 'u2', 'u3', 'u4', 'u5', 'ghost'),
  group: fc.constantFrom('g0', 'g1', 'g2', 'g3', 'g4', 'nogroup'),
  seed: fc.nat(),
});

type ListEdit = { op: string; pick: number; name: string; group: string; seed: number };

function edited(g: UserGroupObject, e: ListEdit): UserGroupObject {
  const users = [...g.users];
  const groups = [...g.groups];
  const at = (list: string[]): number => (list.length === 0 ? 0 : e.pick % list.length);
  switch (e.op) {
    case 'add':
      if (!users.includes(e.name)) users.splice(at(users), 0, e.name);
      break;
    case 'remove':
      if (users.length > 0) users.splice(at(users), 1);
      break;
    case 'replace':
      if (users.length > 0) users.splice(at(users), 1);
      if (!users.includes(e.name)) users.push(e.name);
      break;
    case 'shuffle':
      users.sort((x, y) => ((x.charCodeAt(1) * 31 + e.seed) % 7) - ((y.charCodeAt(1) * 31 + e.seed) % 7) || x.localeCompare(y));
      break;
    case 'nest':
      if (!groups.includes(e.group)) groups.push(e.group);
      break;
    case 'unnest':
      if (groups.length > 0) groups.splice(at(groups), 1);
      break;
  }
  return { ...g, users, groups };
}

function membersDiffer(before: Model, after: Model, name: string): { joined: string[]; left: string[] } {
  const a = engineOf(before);
  const b = engineOf(after);
  const joined: string[] = [];
  const left: string[] = [];
  for (const u of new Set([...before.users.keys(), ...after.users.keys()])) {
    const was = a.groups.groupsOf(u).has(name);
    const is = b.groups.groupsOf(u).has(name);
    if (!was && is) joined.push(u);
    if (was && !is) left.push(u);
  }
  return { joined: joined.sort(), left: left.sort() };
}

/** Whether group nesting forms a cycle through `name` (membership is then a fixed point the toggles do not model). */
function inCycle(model: Model, name: string): boolean {
  const seen = new Set<string>();
  const queue = [...(model.groups.get(name)?.groups ?? [])];
  while (queue.length > 0) {
    const g = queue.pop()!;
    if (g === name) return true;
    if (seen.has(g)) continue;
    seen.add(g);
    queue.push(...(model.groups.get(g)?.groups ?? []));
  }
  return false;
}

test('GroupToggles: the users whose membership of the group differs between the engine before and after', () => {
  const editArb = fc.oneof(
    groupArb.map((g) => ({ type: 'replace' as const, g })),
    fc.constantFrom('g0', 'g1', 'g2', 'g3', 'g4').map((name) => ({ type: 'delete' as const, name })),
    fc.tuple(fc.constantFrom('g0', 'g1', 'g2', 'g3', 'g4'), fc.array(listEditArb, { minLength: 1, maxLength: 3 })).map(([name, edits]) => ({ type: 'lists' as const, name, edits })),
  );
  let checked = 0;
  fc.assert(
    fc.property(modelArb, editArb, (model, edit) => {
      const name = edit.type === 'replace' ? edit.g.name : edit.name;
      const before = model.groups.get(name);
      let after: UserGroupObject | undefined;
      if (edit.type === 'replace') after = edit.g;
      else if (edit.type === 'lists') {
        if (!before) return;
        after = edit.edits.reduce(edited, before);
      }
      const next = cloneModel(model);
      applyToModel(next, after ? { type: 'upsert', object: after } : { type: 'delete', kind: 'UserGroup', name });
      // Cycles through the group: membership is the engine's fixed point; the toggles judge nested groups as before.
      if (inCycle(model, name) || inCycle(next, name)) return;
      checked++;
      const toggles = new GroupToggles(engineOf(cloneModel(model)), name, before, after);
      const joined = toggles.joined();
      const left = toggles.left();
      expect({ joined: [...joined].sort(), left: [...left].sort() }).toEqual(membersDiffer(model, next, name));
      // The questions the rules ask agree with the full sets.
      expect([toggles.anyJoined(), toggles.anyLeft()]).toEqual([joined.size > 0, left.size > 0]);
      for (const u of [...model.users.keys(), 'ghost']) expect([u, toggles.joins(u), toggles.leaves(u)]).toEqual([u, joined.has(u), left.has(u)]);
      // LastOwner lists the users who may leave: every one who leaves is among them.
      const candidates = new Set(toggles.leaveCandidates());
      for (const u of left) expect([u, candidates.has(u)]).toEqual([u, true]);
    }),
    { numRuns: 1500 },
  );
  expect(checked).toBeGreaterThan(500);
});

test('userGroupToggles: the groups a user is directly in (listed or matched) before and not after, and the reverse', () => {
  const direct = (model: Model, u: UserObject | undefined): Set<string> => {
    const out = new Set<string>();
    if (!u) return out;
    for (const g of model.groups.values()) if (g.users.includes(u.name) || (g.selector !== undefined && selectorMatches(g.selector, u.labels))) out.add(g.name);
    return out;
  };
  fc.assert(
    fc.property(modelArb, fc.option(userArb, { nil: undefined }), fc.constantFrom('u0', 'u1', 'u2', 'u3', 'u4', 'u5'), (model, after, deleted) => {
      const name = after?.name ?? deleted;
      const before = model.users.get(name);
      const toggles = userGroupToggles(engineOf(cloneModel(model)), name, before, after);
      const was = direct(model, before);
      const is = direct(model, after);
      expect([...toggles.joined].sort()).toEqual([...is].filter((g) => !was.has(g)).sort());
      expect([...toggles.left].sort()).toEqual([...was].filter((g) => !is.has(g)).sort());
    }),
    { numRuns: 1500 },
  );
});
