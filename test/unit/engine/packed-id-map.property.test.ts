/**
 * `PackedIdMap` (packed-id-map.ts, an organization's members in memberships.ts) answers as a `Map` given the same
 * sets and deletes: size, get and has for names in it and not in it (and never numbered), and entries, keys, values,
 * forEach and iteration with the same pairs, in the order of the names' ids. Ids past 2^31 (a double, not a small
 * integer) and value indexes past 0 are exercised; a value not in the table is refused.
 */
import { expect, test } from '@jest/globals';
import fc from 'fast-check';
import { NameIds } from '../../../src/engine/name-id-set.ts';
import { type Interned, PackedIdMap } from '../../../src/engine/packed-id-map.ts';

const NAMES = Array.from({ length: 40 }, (_, i) => `user-${i}`);
const VALUES = Array.from({ length: 6 }, (_, i) => ({ v: i }));
const interned: Interned<{ v: number }> = { values: VALUES, indexOf: (x) => VALUES.indexOf(x) };

const opArb = fc.record({ name: fc.constantFrom(...NAMES), set: fc.boolean(), value: fc.nat(VALUES.length - 1) });

function expectSame(packed: PackedIdMap<{ v: number }>, map: Map<string, { v: number }>, ids: NameIds): void {
  const byId = [...map].sort(([a], [b]) => ids.find(a)! - ids.find(b)!);
  expect(packed.size).toBe(map.size);
  expect([...packed]).toEqual(byId);
  expect([...packed.entries()]).toEqual(byId);
  expect([...packed.keys()]).toEqual(byId.map(([k]) => k));
  expect([...packed.values()]).toEqual(byId.map(([, v]) => v));
  const seen: Array<[string, { v: number }]> = [];
  packed.forEach((value, key, self) => {
    expect(self).toBe(packed);
    seen.push([key, value]);
  });
  expect(seen).toEqual(byId);
  for (const name of [...NAMES, 'never-numbered']) {
    const fresh = [...name].join(''); // found by content, not by the string object
    expect(packed.get(fresh)).toBe(map.get(name));
    expect(packed.has(fresh)).toBe(map.has(name));
  }
}

test('PackedIdMap answers as a Map after any sets and deletes', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.constantFrom(...NAMES), fc.nat(VALUES.length - 1)), { maxLength: 30 }),
      fc.array(opArb, { maxLength: 80 }),
      fc.boolean(),
      (initial, ops, farIds) => {
        const ids = new NameIds();
        // Numbered in an order unrelated to the names', and, with `farIds`, past 2^31 (the table as a long-running
        // operator's could be: ids never reused).
        if (farIds) (ids.names as string[]).length = 2 ** 31 + 5;
        for (const name of [...NAMES].reverse()) ids.idOf(name);
        const map = new Map<string, { v: number }>();
        for (const [name, value] of initial) map.set(name, VALUES[value]!);
        const packed = PackedIdMap.from(ids, interned, map);
        expectSame(packed, map, ids);
        for (const op of ops) {
          if (op.set) {
            packed.set(op.name, VALUES[op.value]!);
            map.set(op.name, VALUES[op.value]!);
          } else {
            expect(packed.delete(op.name)).toBe(map.delete(op.name));
          }
          expectSame(packed, map, ids);
        }
      },
    ),
    { numRuns: 200 },
  );
});

test('a value not in the table is refused', () => {
  const ids = new NameIds();
  const packed = PackedIdMap.empty(ids, interned);
  expect(() => packed.set('alice', { v: 0 })).toThrow(/not interned/);
  expect(packed.size).toBe(0);
});
