/** Key-order-independent JSON equality, for comparing what is in the cluster with what should be there, and two manifests (admission, `charter admit`). */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/**
 * `canonical(a) === canonical(b)`, compared by walking both values instead of writing and sorting two texts: the
 * status writer compares every object's status with the informer's at start (126,000 at the medium benchmark tier),
 * where the two texts cost more than computing the statuses. Values whose JSON is not their plain structure (a
 * non-finite number, `undefined` in an array, a function, an object that is not a plain object or array, such as a
 * Date) make it compare the texts, so the answer is always the texts' answer.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  return equalJson(a, b) ?? canonical(a) === canonical(b);
}

/** Whether two values have the same canonical JSON; undefined when the walk cannot tell (see `sameJson`). */
function equalJson(a: unknown, b: unknown): boolean | undefined {
  const ta = typeof a;
  const tb = typeof b;
  if (ta === 'bigint' || tb === 'bigint') return undefined;
  if ((ta === 'number' && !Number.isFinite(a as number)) || (tb === 'number' && !Number.isFinite(b as number))) return undefined;
  const objectA = ta === 'object' && a !== null;
  const objectB = tb === 'object' && b !== null;
  if ((objectA && !plain(a as object)) || (objectB && !plain(b as object))) return undefined;
  if (a === b) return true;
  // Two different plain values (strings, finite numbers, booleans, null, a plain object or array against any of
  // those) have different JSON; undefined, functions and symbols are left to the texts.
  if (!objectA || !objectB) return written(ta) && written(tb) ? false : undefined;
  const arrayA = Array.isArray(a);
  if (arrayA !== Array.isArray(b)) return false;
  if (arrayA) {
    const x = a as unknown[];
    const y = b as unknown[];
    // Every entry of an array is written (undefined and holes as null, which the texts decide), so lengths that
    // differ are texts that differ.
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) {
      const same = equalJson(x[i], y[i]);
      if (same !== true) return same;
    }
    return true;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  // Keys whose value is undefined are not written; the others must be the same set, with the same values.
  let defined = 0;
  for (const key of Object.keys(x)) {
    const value = x[key];
    if (value === undefined) continue;
    defined++;
    const other = Object.hasOwn(y, key) ? y[key] : undefined;
    const same = other === undefined ? (written(typeof value) ? false : undefined) : equalJson(value, other);
    if (same !== true) return same;
  }
  for (const key of Object.keys(y)) {
    const value = y[key];
    if (value === undefined) continue;
    if (!written(typeof value)) return undefined;
    defined--;
  }
  return defined === 0;
}

/** Types whose values JSON writes as themselves (`object`: null, or a plain object or array, checked apart). */
const written = (type: string): boolean => type === 'string' || type === 'number' || type === 'boolean' || type === 'object';

/** A plain object or an array without its own JSON form (`toJSON`): written as its structure. */
function plain(value: object): boolean {
  const prototype = Object.getPrototypeOf(value);
  const structural = Array.isArray(value) ? prototype === Array.prototype : prototype === Object.prototype || prototype === null;
  return structural && typeof (value as { toJSON?: unknown }).toJSON !== 'function';
}
