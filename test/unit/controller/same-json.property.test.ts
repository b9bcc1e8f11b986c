/**
 * sameJson (canonical.ts) walks two values instead of comparing their canonical texts; on any pair of values it
 * answers what `canonical(a) === canonical(b)` answers: pairs that differ somewhere, pairs equal up to key order and
 * keys whose value is undefined, and values whose JSON is not their structure (undefined or holes in arrays,
 * non-finite numbers, -0, functions, Dates, objects with toJSON, null-prototype objects).
 */
import { expect, test } from '@jest/globals';
import fc from 'fast-check';
import { canonical, sameJson } from '../../../src/model/canonical-json.ts';

const odd = fc.constantFrom<unknown>(undefined, Number.NaN, Number.POSITIVE_INFINITY, -0, 0, null, () => 1, new Date(0), { toJSON: () => null }, Object.create(null) as object, '', 'null');

/** Values built from few keys and scalars (so that pairs drawn apart often collide), with odd values mixed in. */
const { value: valueArb } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom<unknown>('a', 'b', 1, 2, true, false, null),
    odd,
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom('a', 'b', 'c', '10', '9'), tie('value'), { maxKeys: 4 }),
  ),
}));

/** The same value with every object's keys in another order, and keys holding undefined added or dropped. */
function reordered(value: unknown, random: () => number): unknown {
  if (Array.isArray(value)) return value.map((v) => reordered(v, random));
  if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype || 'toJSON' in value) return value;
  const entries = Object.entries(value)
    .filter(([, v]) => v !== undefined || random() < 0.5)
    .map(([k, v]): [string, unknown] => [k, reordered(v, random)]);
  if (random() < 0.3) entries.push(['undefinedKey', undefined]);
  entries.sort(() => random() - 0.5);
  return Object.fromEntries(entries);
}

test('sameJson answers as the canonical texts do, for values drawn apart', () => {
  fc.assert(
    fc.property(valueArb, valueArb, (a, b) => {
      expect(sameJson(a, b)).toBe(canonical(a) === canonical(b));
    }),
    { numRuns: 3000 },
  );
});

test('sameJson answers as the canonical texts do, for a value against itself reordered (equal unless odd values)', () => {
  fc.assert(
    fc.property(valueArb, fc.integer(), (a, seed) => {
      let state = seed;
      const random = (): number => ((state = (state * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
      const b = reordered(a, random);
      expect(sameJson(a, b)).toBe(canonical(a) === canonical(b));
    }),
    { numRuns: 3000 },
  );
});

test('sameJson: the cases the walk decides itself', () => {
  expect(sameJson({ a: 1, b: [1, { c: 'x' }] }, { b: [1, { c: 'x' }], a: 1, d: undefined })).toBe(true);
  expect(sameJson({ a: 1 }, { a: 1, b: null })).toBe(false);
  expect(sameJson([1, 2], [1, 2, 3])).toBe(false);
  expect(sameJson({ a: [] }, { a: {} })).toBe(false);
  expect(sameJson({ a: 0 }, { a: -0 })).toBe(true);
  // JSON writes these alike though they differ: the texts decide.
  expect(sameJson([undefined], [null])).toBe(true);
  expect(sameJson({ a: Number.NaN }, { a: null })).toBe(true);
  expect(sameJson({ a: () => 1 }, {})).toBe(true);
  expect(sameJson({}, { a: () => 1 })).toBe(true);
  expect(sameJson([, 1], [null, 1])).toBe(true); // eslint-disable-line no-sparse-arrays
});
