/**
 * A kept row's next version is cut into user chunks from its previous version's chunks (shard.ts, `chunkUsers` with
 * `previous`): a chunk is reused only where cutting afresh would cut the same users. So, for random sorted user
 * lists of names of many lengths, random edits (users added and removed) and small limits (chunks of a few users,
 * many ending because the next user did not fit), the cut from the previous chunks equals the fresh cut. It fails
 * when a chunk that ended full is reused without checking that the user now after it still does not fit.
 *
 * The same when the cut is told which users moved (`moves`, what a kept row's `rowMoves` gives): chunks no move
 * touches are reused without comparing their users, so here rows are long enough for chunks that end at boundary
 * users too, and edits fall anywhere (before the first user, after the last, on a chunk's first user). It fails when
 * a moved user's chunk is not cut again (an added or a removed user not marking its chunk, or a removed first user
 * not marking the chunk before it, which may have ended full).
 */
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { chunkCuts } from '../../src/permission-map/shard.ts';

// Names of several lengths: a chunk's end by size moves when a short name follows a long one.
const NAMES = Array.from({ length: 300 }, (_, i) => `${'x'.repeat((i * 7) % 23)}u${String(i).padStart(3, '0')}`).sort();
const pick = (max: number) => fc.uniqueArray(fc.nat({ max: NAMES.length - 1 }), { maxLength: max });

// Enough names for chunks that end at boundary users (about one user in 128), of lengths that differ from each user
// to the next in name order (a chunk ended full may no longer be once the user after it is another).
const MANY = Array.from({ length: 3000 }, (_, i) => `m${String(i).padStart(4, '0')}${'y'.repeat((i * 5) % 11)}`);

describe('chunks cut from a row previous cut == cut afresh', () => {
  test('random rows, random edits, small limits', () => {
    let kept = 0;
    fc.assert(
      fc.property(pick(200), pick(12), fc.integer({ min: 0, max: 300 }), fc.integer({ min: 13, max: 30 }), (start, toggled, extra, base) => {
        // At least the longest name (28 bytes and a comma) beyond the content.
        const limit = base + 29 + extra;
        const before = new Set(start.map((i) => NAMES[i]!));
        const after = new Set(before);
        for (const i of toggled) if (!after.delete(NAMES[i]!)) after.add(NAMES[i]!);
        const cut = chunkCuts([...before].sort(), [...after].sort(), base, limit);
        expect(cut.reused).toEqual(cut.fresh);
        expect(cut.moved).toEqual(cut.fresh);
        kept += cut.kept;
      }),
      { numRuns: 1000 },
    );
    // Chunks were reused (the comparison was not only of fresh cuts).
    expect(kept).toBeGreaterThan(300);
  });

  test('told the users moved: only the chunks around them cut again, the same cut', () => {
    let kept = 0;
    let touched = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: MANY.length }),
        fc.integer({ min: 0, max: 2 ** 30 }),
        fc.array(fc.oneof(fc.nat({ max: MANY.length - 1 }), fc.constantFrom(0, 1, MANY.length - 1)), { maxLength: 8 }),
        fc.array(fc.nat({ max: 4000 }), { maxLength: 4 }),
        fc.constantFrom(40, 200, 1200, 4000, 100_000),
        (size, seed, toggled, firsts, limit) => {
          // A row of `size` users picked by a simple generator (most of MANY or a sparse part of it).
          const before = new Set<string>();
          let x = seed;
          for (const name of MANY) {
            x = (Math.imul(x, 1103515245) + 12345) >>> 0;
            if (x % MANY.length < size) before.add(name);
          }
          const sorted = [...before].sort();
          const after = new Set(before);
          for (const i of toggled) if (!after.delete(MANY[i]!)) after.add(MANY[i]!);
          // Some users that start a chunk of the previous cut moved out (the chunk before may have ended full).
          const chunks = chunkCuts(sorted, sorted, 14, limit).fresh;
          for (const f of firsts) if (chunks.length > 0) after.delete(chunks[f % chunks.length]![0]!);
          const cut = chunkCuts(sorted, [...after].sort(), 14, limit);
          expect(cut.moved).toEqual(cut.fresh);
          kept += cut.keptMoved;
          touched += cut.fresh.length - cut.keptMoved;
        },
      ),
      { numRuns: 400 },
    );
    // Chunks were reused and chunks were cut again.
    expect(kept).toBeGreaterThan(1000);
    expect(touched).toBeGreaterThan(100);
  });
});
