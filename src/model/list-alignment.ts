/**
 * Two lists walked side by side, equal names paired: at a mismatch the smallest skip (in one list, the other or both,
 * up to RESYNC_WINDOW names) after which they agree again is taken. What is skipped is where the lists differ; a paired
 * name stands at its position in both. An edit of a long list (names added, removed or replaced anywhere) costs one
 * pass of comparisons. Lists that do not agree again nearby (reordered, rewritten) leave the rest skipped.
 *
 * Used where a long list is compared with its previous version: admission's `listDiff` (who joins or leaves a group)
 * and the model's `uniqueNames` (de-duplicating against the list before the change).
 */

/** How far past a mismatch the walk looks for the two lists to agree again. */
export const RESYNC_WINDOW = 8;

export interface Alignment {
  /** Positions of `a` skipped (in no pair), in order. */
  skippedA: number[];
  /** Positions of `b` skipped, in order. */
  skippedB: number[];
}

/**
 * The positions each list skips to stay in step with the other. With `limit`, undefined as soon as more than `limit`
 * positions of `b` are skipped (the caller then has a cheaper way).
 */
export function alignLists(a: readonly string[], b: readonly string[], limit = Infinity): Alignment | undefined {
  const skippedA: number[] = [];
  const skippedB: number[] = [];
  let i = 0;
  let j = 0;
  walk: while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      i++;
      j++;
      continue;
    }
    for (let d = 1; d <= RESYNC_WINDOW; d++) {
      for (let da = 0; da <= d; da++) {
        const db = d - da;
        if (i + da < a.length && j + db < b.length && a[i + da] === b[j + db]) {
          for (let k = 0; k < da; k++) skippedA.push(i + k);
          for (let k = 0; k < db; k++) skippedB.push(j + k);
          i += da;
          j += db;
          if (skippedB.length > limit) return undefined;
          continue walk;
        }
      }
    }
    break;
  }
  if (b.length - j + skippedB.length > limit) return undefined;
  for (; i < a.length; i++) skippedA.push(i);
  for (; j < b.length; j++) skippedB.push(j);
  return { skippedA, skippedB };
}
