/**
 * `UserSlots` (kept-users.ts: a kept namespace's users' index, user number → row slot, two sorted `Int32Array`s that
 * grow) == a `Map` kept beside it, after random sets, moves and deletes, from a start built of unsorted pairs.
 */
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { UserSlots } from '../../src/permission-map/kept-users.ts';

describe('UserSlots == a Map', () => {
  test('random sets and deletes from an unsorted start', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.nat({ max: 99 })),
        fc.array(fc.tuple(fc.nat({ max: 99 }), fc.integer({ min: -1, max: 5 })), { maxLength: 300 }),
        fc.boolean(),
        (start, ops, bigSlots) => {
          const reference = new Map<number, number>();
          // Slots past 2^22 take the other way of sorting the start.
          const slotOf = (id: number): number => (id % 7) + (bigSlots ? 2 ** 22 : 0);
          for (const id of start) reference.set(id, slotOf(id));
          const kept = UserSlots.of(Int32Array.from(start), Int32Array.from(start, slotOf));
          for (const [id, slot] of ops) {
            expect(kept.get(id)).toBe(reference.get(id) ?? -1);
            if (slot < 0) {
              kept.delete(id);
              reference.delete(id);
            } else {
              kept.set(id, slot);
              reference.set(id, slot);
            }
            expect(kept.count).toBe(reference.size);
          }
          expect(kept.entries()).toEqual([...reference].sort(([a], [b]) => a - b));
          for (let id = 0; id < 100; id++) expect(kept.get(id)).toBe(reference.get(id) ?? -1);
        },
      ),
      { numRuns: 500 },
    );
  });
});
