/**
 * `NameIdSet` (name-id-set.ts, what the group closures keep) behaves as a `Set` of names: after any sequence of adds
 * and deletes over sets sharing one `NameIds` table, each answers `has`, `size`, `add` and `delete` as a `Set` does,
 * holds the same names, and iterates them in id order (the order the table first saw them); `from` drops repeats.
 */
import { expect, test } from '@jest/globals';
import fc from 'fast-check';
import { NameIds, NameIdSet, addId, removeId } from '../../../src/engine/name-id-set.ts';

const NAMES = Array.from({ length: 12 }, (_, i) => `user-${i}`);
const nameArb = fc.constantFrom(...NAMES);
const opArb = fc.record({ set: fc.nat(3), add: fc.boolean(), name: nameArb });

test('NameIdSet answers as a Set of names after random adds and deletes (several sets, one table)', () => {
  fc.assert(
    fc.property(fc.array(nameArb), fc.array(opArb, { maxLength: 80 }), (initial, ops) => {
      const table = new NameIds();
      const sets = [NameIdSet.from(table, initial), new NameIdSet(table), new NameIdSet(table), new NameIdSet(table)];
      const models = [new Set(initial), new Set<string>(), new Set<string>(), new Set<string>()];
      for (const op of ops) {
        const set = sets[op.set]!;
        const model = models[op.set]!;
        const had = model.has(op.name);
        if (op.add) {
          expect(set.add(op.name)).toBe(!had);
          model.add(op.name);
        } else {
          expect(set.delete(op.name)).toBe(had);
          model.delete(op.name);
        }
        for (let i = 0; i < sets.length; i++) {
          expect(sets[i]!.size).toBe(models[i]!.size);
          for (const name of NAMES) expect(sets[i]!.has(name)).toBe(models[i]!.has(name));
          const ids = [...sets[i]!].map((name) => table.find(name)!);
          expect(ids).toEqual([...ids].sort((a, b) => a - b));
          expect(new Set(sets[i])).toEqual(models[i]);
        }
      }
    }),
  );
});

test('a name never numbered is in no set and deleting it changes nothing', () => {
  const table = new NameIds();
  const set = NameIdSet.from(table, ['a', 'b', 'a']);
  expect(set.size).toBe(2);
  expect(set.has('c')).toBe(false);
  expect(set.delete('c')).toBe(false);
  expect(table.find('c')).toBeUndefined();
  expect([...set.entries()]).toEqual([
    ['a', 'a'],
    ['b', 'b'],
  ]);
  const seen: string[] = [];
  set.forEach((name) => seen.push(name));
  expect(seen).toEqual(['a', 'b']);
});

test('addId and removeId keep an index of NameIdSets without empty sets', () => {
  const table = new NameIds();
  const index = new Map<string, NameIdSet>();
  addId(index, table, 'u', 'g1');
  addId(index, table, 'u', 'g2');
  removeId(index, 'u', 'g1');
  expect([...index.get('u')!]).toEqual(['g2']);
  removeId(index, 'u', 'g2');
  expect(index.has('u')).toBe(false);
  removeId(index, 'v', 'g1');
  expect(index.size).toBe(0);
});

test('firstInNameOrder: the first names in name order while the table numbered in name order, else nothing', () => {
  const nameArb = fc.string({ maxLength: 4, unit: 'binary' }); // any code points (surrogate pairs too) and empty names: `<` orders them as `sort` does
  fc.assert(
    fc.property(fc.array(nameArb, { maxLength: 30 }), fc.array(nameArb, { maxLength: 30 }), fc.nat(12), (numbered, members, limit) => {
      const table = new NameIds();
      table.numberInNameOrder(numbered.slice(0, numbered.length >> 1)); // as the engine's build does
      for (const name of numbered.slice(numbered.length >> 1)) table.idOf(name); // then names met later, in any order
      const set = NameIdSet.from(table, members); // numbers the members not numbered yet
      const ordered = table.names.every((name, i) => i === 0 || table.names[i - 1]! < name);
      expect(table.inNameOrder).toBe(ordered);
      const first = set.firstInNameOrder(limit);
      if (!ordered) expect(first).toBeUndefined();
      else expect(first).toEqual([...new Set(members)].sort().slice(0, limit));
    }),
  );
});
