/**
 * `SmallMap` (small-map.ts, a user's memberships) answers as the `Map` it was made from: size, get and has for keys
 * in it and not in it, and entries, keys, values, forEach and iteration in the same order.
 */
import { expect, test } from '@jest/globals';
import fc from 'fast-check';
import { SmallMap } from '../../../src/engine/small-map.ts';

const KEYS = Array.from({ length: 10 }, (_, i) => `org-${i}`);

test('SmallMap answers as the Map it was made from', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.constantFrom(...KEYS), fc.nat(5)), { maxLength: 12 }), fc.constantFrom(...KEYS, 'other'), (entries, probe) => {
      const map = new Map(entries);
      const small = SmallMap.from(map);
      expect(small.size).toBe(map.size);
      // A key built afresh (not the same string object) is found by its content.
      const fresh = [...probe].join('');
      expect(small.get(fresh)).toBe(map.get(probe));
      expect(small.has(fresh)).toBe(map.has(probe));
      expect([...small]).toEqual([...map]);
      expect([...small.entries()]).toEqual([...map.entries()]);
      expect([...small.keys()]).toEqual([...map.keys()]);
      expect([...small.values()]).toEqual([...map.values()]);
      const seen: Array<[string, number]> = [];
      small.forEach((value, key, self) => {
        expect(self).toBe(small);
        seen.push([key, value]);
      });
      expect(seen).toEqual([...map]);
    }),
    { numRuns: 500 },
  );
});
