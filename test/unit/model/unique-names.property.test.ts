/**
 * uniqueNames (src/model/unique-names.ts) is `[...new Set(list)]` whatever the reference: on random edits of long
 * lists — names inserted (new ones, or repeats of names already listed), removed, moved, swapped, the list reversed or
 * rewritten — the walk against the list before gives exactly the set's answer, repeats included. The conversion of a
 * group with and without its previous object is the same object.
 */
import { expect, test } from '@jest/globals';
import fc from 'fast-check';
import { userGroupFrom } from '../../../src/model/model.ts';
import { uniqueNames } from '../../../src/model/unique-names.ts';

const NAMES = Array.from({ length: 400 }, (_, i) => `u${i}`);

/** A list without repeats (a model object's), long enough for the walk (≥ 64 names) or not. */
const referenceArb = fc.uniqueArray(fc.constantFrom(...NAMES), { minLength: 0, maxLength: 300 });

const editArb = fc.oneof(
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), name: fc.constantFrom(...NAMES, 'new-a', 'new-b') }),
  fc.record({ op: fc.constant('repeat' as const), at: fc.nat(), from: fc.nat() }),
  fc.record({ op: fc.constant('remove' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('move' as const), at: fc.nat(), to: fc.nat() }),
  fc.record({ op: fc.constant('swap' as const), at: fc.nat(), to: fc.nat() }),
);
type Edit = typeof editArb extends fc.Arbitrary<infer T> ? T : never;

function edited(reference: readonly string[], edits: readonly Edit[], whole: 'none' | 'reverse' | 'shuffle'): string[] {
  let list = [...reference];
  for (const e of edits) {
    const at = list.length === 0 ? 0 : e.at % (list.length + 1);
    if (e.op === 'insert') list.splice(at, 0, e.name);
    else if (e.op === 'repeat' && list.length > 0) list.splice(at, 0, list[e.from % list.length]!);
    else if (e.op === 'remove' && list.length > 0) list.splice(at % list.length, 1);
    else if ((e.op === 'move' || e.op === 'swap') && list.length > 1) {
      const i = at % list.length;
      const j = e.to % list.length;
      if (e.op === 'move') list.splice(j, 0, ...list.splice(i, 1));
      else [list[i], list[j]] = [list[j]!, list[i]!];
    }
  }
  if (whole === 'reverse') list = list.reverse();
  if (whole === 'shuffle') list = list.map((x, i) => [x, (i * 7919) % 101] as const).sort((a, b) => a[1] - b[1]).map(([x]) => x);
  return list;
}

test('uniqueNames(list, reference) is [...new Set(list)] for edits of the reference', () => {
  fc.assert(
    fc.property(referenceArb, fc.array(editArb, { maxLength: 12 }), fc.constantFrom('none', 'none', 'none', 'reverse', 'shuffle'), (reference, edits, whole) => {
      const list = edited(reference, edits, whole as 'none');
      expect(uniqueNames(list, reference)).toEqual([...new Set(list)]);
      expect(uniqueNames(list)).toEqual([...new Set(list)]);
    }),
    { numRuns: 3000 },
  );
});

test('uniqueNames: a repeat anywhere in a long list, the reference unchanged otherwise, is removed', () => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.constantFrom(...NAMES), { minLength: 64, maxLength: 300 }), fc.nat(), fc.nat(), (reference, from, at) => {
      const list = [...reference];
      list.splice(at % (list.length + 1), 0, reference[from % reference.length]!);
      const result = uniqueNames(list, reference);
      expect(result).toEqual([...new Set(list)]);
      expect(result).toHaveLength(reference.length);
    }),
    { numRuns: 2000 },
  );
});

test('uniqueNames: a new name inserted twice in a long list is kept once', () => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.constantFrom(...NAMES), { minLength: 64, maxLength: 300 }), fc.nat(), fc.nat(), (reference, first, second) => {
      const list = [...reference];
      list.splice(first % (list.length + 1), 0, 'new-a');
      list.splice(second % (list.length + 1), 0, 'new-a');
      const result = uniqueNames(list, reference);
      expect(result).toEqual([...new Set(list)]);
      expect(result).toHaveLength(reference.length + 1);
    }),
    { numRuns: 1000 },
  );
});

test('a group converted with its previous object is the group converted without it', () => {
  fc.assert(
    fc.property(referenceArb, fc.array(editArb, { maxLength: 8 }), (reference, edits) => {
      const raw = (users: string[]) => ({ apiVersion: 'charter.dev/v1alpha1' as const, kind: 'UserGroup' as const, metadata: { name: 'g' }, spec: { members: { users, groups: ['a', 'b', 'a'] } } });
      const previous = userGroupFrom(raw(reference));
      const next = raw(edited(reference, edits, 'none'));
      expect(userGroupFrom(next, previous)).toEqual(userGroupFrom(next));
    }),
    { numRuns: 500 },
  );
});
