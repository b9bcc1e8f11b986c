/**
 * `sortedUnion` (build-maps.ts) merges a row's classes' user lists instead of sorting their concatenation: it must
 * give what `sort()` gives, whether the lists come sorted (as the engine hands them) or not.
 */
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { sortedUnion } from '../../src/permission-map/build-maps.ts';

const name = fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('u1', 'u10', 'u2', 'U1', 'é', 'z', ''));

describe('sortedUnion', () => {
  test('== the lists concatenated and sorted, for sorted and unsorted lists', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.array(name, { maxLength: 12 }), fc.boolean()), { minLength: 1, maxLength: 7 }), (parts) => {
        const lists = parts.map(([list, sorted]) => (sorted ? [...list].sort() : list));
        const before = JSON.stringify(lists);
        expect(sortedUnion(lists)).toEqual(lists.flat().sort());
        expect(JSON.stringify(lists)).toBe(before); // the lists are not modified
      }),
      { numRuns: 2000 },
    );
  });

  test('a single list is copied, not shared', () => {
    const list = ['a', 'b'];
    expect(sortedUnion([list])).not.toBe(list);
  });
});
