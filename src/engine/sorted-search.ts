/**
 * Binary search over ascending numbers (or strings, by `<`), shared by the engine's sorted id lists (name-id-set.ts, packed-id-map.ts,
 * entity-reach.ts, organization-counts.ts) and the statuses' bounded lists (status.ts).
 */

/** The first index of the ascending `values` (within `[0, end)`) holding `value` or more; `end` when none does. */
export function lowerBound<T extends number | string>(values: ArrayLike<T>, value: T, end = values.length): number {
  let low = 0;
  let high = end;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (values[middle]! < value) low = middle + 1;
    else high = middle;
  }
  return low;
}
