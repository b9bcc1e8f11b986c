/**
 * `UserKeys` (build-maps.ts: a kept namespace's users and their row keys, sorted, in blocks) == a `Map` kept beside
 * it, after random inserts and deletes, with blocks small enough that they split and empty out.
 */
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { UserKeys } from '../../src/permission-map/build-maps.ts';

const NAMES = Array.from({ length: 60 }, (_, i) => `u${String(i).padStart(2, '0')}`);

describe('UserKeys == a Map', () => {
  test('random inserts and deletes, blocks of 2 to 8', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.nat({ max: 59 })), fc.array(fc.tuple(fc.nat({ max: 59 }), fc.nat({ max: 3 })), { maxLength: 200 }), fc.integer({ min: 2, max: 8 }), (start, ops, size) => {
        const reference = new Map<string, string>();
        const users = start.map((i) => NAMES[i]!).sort();
        for (const u of users) reference.set(u, `k${u.length % 3}`);
        const kept = new UserKeys(users, users.map((u) => reference.get(u)!), size);
        for (const [i, k] of ops) {
          const user = NAMES[i]!;
          expect(kept.get(user)).toBe(reference.get(user));
          if (reference.has(user)) {
            kept.delete(user);
            reference.delete(user);
          } else {
            kept.insert(user, `k${k}`);
            reference.set(user, `k${k}`);
          }
        }
        expect(kept.entries()).toEqual([...reference].sort(([a], [b]) => (a < b ? -1 : 1)));
        for (const user of NAMES) expect(kept.get(user)).toBe(reference.get(user));
      }),
      { numRuns: 500 },
    );
  });
});
