/**
 * A kept row's next version is cut into user chunks from its previous version's chunks (shard.ts, `chunkUsers` with
 * `previous`): a chunk is reused only where cutting afresh would cut the same users. So, for random sorted user
 * lists of names of many lengths, random edits (users added and removed) and small limits (chunks of a few users,
 * many ending because the next user did not fit), the cut from the previous chunks equals the fresh cut. It fails
 * when a chunk that ended full is reused without checking that the user now after it still does not fit.
 */
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { chunkCuts } from '../../src/permission-map/shard.ts';

// Names of several lengths: a chunk's end by size moves when a short name follows a long one.
const NAMES = Array.from({ length: 300 }, (_, i) => `${'x'.repeat((i * 7) % 23)}u${String(i).padStart(3, '0')}`).sort();
const pick = (max: number) => fc.uniqueArray(fc.nat({ max: NAMES.length - 1 }), { maxLength: max });

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
        kept += cut.kept;
      }),
      { numRuns: 1000 },
    );
    // Chunks were reused (the comparison was not only of fresh cuts).
    expect(kept).toBeGreaterThan(300);
  });
});
