/**
 * The list index (list-index.ts, what the grant index keeps per subject, entity, organization and namespace) holds
 * what a key → `Set` index would, in the same order: after any sequence of adds of values not yet under their key and
 * removes (of present or absent values, from 24 so that lists pass 16 and removes hit), every key lists exactly its set's values in insertion order, and a key
 * whose list became empty is gone. Lists longer than the exact-copy threshold (16) are exercised too. `addOnce` (what
 * the group index's `listsUser`, `listsGroup` and `parents` use, groups.ts) may be asked to add a value already there
 * (a group listing a user twice) and must keep it once, and `ListSet` answers as the `Set` would.
 */
import { expect, test } from '@jest/globals';
import fc from 'fast-check';
import { addOnce, ListSet, pushTo, removeFromList } from '../../../src/engine/list-index.ts';
import { addTo, removeFrom } from '../../../src/engine/set-index.ts';

const opArb = fc.record({ key: fc.nat(2), add: fc.boolean(), value: fc.nat(23) });
type Op = { key: number; add: boolean; value: number };

/**
 * Applies `ops` to lists (adding with `add`, removing with `removeFromList`) and to a key → `Set` index side by side,
 * and after each step checks that every key's list is its Set in insertion order; `more` checks more of each key.
 */
function replayAgainstSets(
  ops: readonly Op[],
  add: (lists: Map<number, number[]>, key: number, value: number) => void,
  { repeats, more }: { repeats: boolean; more?: (list: number[], set: Set<number>) => void },
): void {
  const lists = new Map<number, number[]>();
  const sets = new Map<number, Set<number>>();
  for (const op of ops) {
    if (op.add) {
      if (!repeats && sets.get(op.key)?.has(op.value)) continue; // pushTo's callers add a value once
      add(lists, op.key, op.value);
      addTo(sets, op.key, op.value);
    } else {
      removeFromList(lists, op.key, op.value);
      removeFrom(sets, op.key, op.value);
    }
    expect([...lists.keys()].sort()).toEqual([...sets.keys()].sort());
    for (const [key, set] of sets) {
      expect(lists.get(key)).toEqual([...set]);
      more?.(lists.get(key)!, set);
    }
  }
}

test('pushTo / removeFromList keep each key as its Set would, in insertion order', () => {
  fc.assert(
    fc.property(fc.array(opArb, { minLength: 40, maxLength: 300 }), (ops) => replayAgainstSets(ops, pushTo, { repeats: false })),
    { numRuns: 300 },
  );
});

test('a list past the exact-copy threshold still adds in order and drops its key when emptied', () => {
  const lists = new Map<string, number[]>();
  for (let i = 0; i < 40; i++) pushTo(lists, 'k', i);
  expect(lists.get('k')).toEqual(Array.from({ length: 40 }, (_, i) => i));
  for (let i = 0; i < 40; i += 2) removeFromList(lists, 'k', i);
  expect(lists.get('k')).toEqual(Array.from({ length: 20 }, (_, i) => 2 * i + 1));
  for (let i = 1; i < 40; i += 2) removeFromList(lists, 'k', i);
  expect(lists.has('k')).toBe(false);
});

test('addOnce / removeFromList keep each key as its Set would, repeated adds included, and ListSet answers as the Set', () => {
  fc.assert(
    fc.property(fc.array(opArb, { minLength: 40, maxLength: 300 }), (ops) =>
      replayAgainstSets(ops, addOnce, {
        repeats: true,
        more: (list, set) => {
          const view = new ListSet(list);
          expect(view.size).toBe(set.size);
          expect([...view]).toEqual([...set]);
          expect([...view.entries()]).toEqual([...set.entries()]);
          for (let v = 0; v < 24; v++) expect(view.has(v)).toBe(set.has(v));
        },
      }),
    ),
    { numRuns: 100 },
  );
});
