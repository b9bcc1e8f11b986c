/**
 * `UserSlots` (kept-users.ts: a kept namespace's users' index, user number → row slot, sorted in blocks that grow,
 * split when full and go when emptied) == a `Map` kept beside it, after random sets, moves and deletes, from a start
 * built of unsorted pairs; with blocks of 2 to 8 pairs (so that splits, growth and emptied blocks happen within a
 * hundred ids) as well as the default size, and the blocks' shape checked after every step.
 */
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { USER_SLOTS_BLOCK, UserSlots } from '../../src/permission-map/kept-users.ts';

/** No empty block, none over its capacity or the block size, each block's first id its recorded first, in order. */
function expectShape(kept: UserSlots, blockSize: number): void {
  const shape = kept.shape();
  let total = 0;
  for (const { size, capacity } of shape) {
    expect(size).toBeGreaterThan(0);
    expect(size).toBeLessThanOrEqual(capacity);
    expect(capacity).toBeLessThanOrEqual(blockSize);
    total += size;
  }
  expect(total).toBe(kept.count);
  const entries = kept.entries();
  let k = 0;
  for (const { size, first } of shape) {
    expect(entries[k]![0]).toBe(first);
    k += size;
  }
}

describe('UserSlots == a Map', () => {
  test('random sets and deletes from an unsorted start', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.nat({ max: 99 })),
        fc.array(fc.tuple(fc.nat({ max: 99 }), fc.integer({ min: -1, max: 5 })), { maxLength: 300 }),
        fc.boolean(),
        fc.oneof(fc.integer({ min: 2, max: 8 }), fc.constant(USER_SLOTS_BLOCK)),
        (start, ops, bigSlots, blockSize) => {
          const reference = new Map<number, number>();
          // Slots past 2^22 take the other way of sorting the start.
          const slotOf = (id: number): number => (id % 7) + (bigSlots ? 2 ** 22 : 0);
          for (const id of start) reference.set(id, slotOf(id));
          const kept = UserSlots.of(Int32Array.from(start), Int32Array.from(start, slotOf), blockSize);
          expectShape(kept, blockSize);
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
            expectShape(kept, blockSize);
          }
          expect(kept.entries()).toEqual([...reference].sort(([a], [b]) => a - b));
          for (let id = 0; id < 100; id++) expect(kept.get(id)).toBe(reference.get(id) ?? -1);
        },
      ),
      { numRuns: 500 },
    );
  });

  test('ids inserted in ascending and descending runs split blocks at either end', () => {
    for (const blockSize of [2, 3, 4]) {
      const kept = new UserSlots(new Int32Array(0), new Int32Array(0), blockSize);
      const reference = new Map<number, number>();
      for (let id = 50; id < 100; id++) (kept.set(id, id % 5), reference.set(id, id % 5));
      for (let id = 49; id >= 0; id--) (kept.set(id, id % 3), reference.set(id, id % 3));
      expectShape(kept, blockSize);
      expect(kept.entries()).toEqual([...reference].sort(([a], [b]) => a - b));
      for (let id = 0; id < 100; id += 2) (kept.delete(id), reference.delete(id));
      expectShape(kept, blockSize);
      expect(kept.entries()).toEqual([...reference].sort(([a], [b]) => a - b));
    }
  });
});
