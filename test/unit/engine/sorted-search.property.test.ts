/** `lowerBound` equals a linear scan: the first index (within `end`) holding the value or more, for numbers and strings. */
import { expect, test } from '@jest/globals';
import fc from 'fast-check';
import { lowerBound } from '../../../src/engine/sorted-search.ts';

const linear = <T extends number | string>(values: ArrayLike<T>, value: T, end: number): number => {
  for (let i = 0; i < end; i++) if (!(values[i]! < value)) return i;
  return end;
};

test('lowerBound over ascending numbers (arrays and Int32Arrays, repeats included) equals a linear scan', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: -50, max: 50 })), fc.integer({ min: -60, max: 60 }), fc.nat(), (raw, value, cut) => {
      const values = raw.sort((a, b) => a - b);
      const end = values.length === 0 ? 0 : cut % (values.length + 1);
      expect(lowerBound(values, value)).toBe(linear(values, value, values.length));
      expect(lowerBound(Int32Array.from(values), value, end)).toBe(linear(values, value, end));
    }),
    { numRuns: 500 },
  );
});

test('lowerBound over ascending strings equals a linear scan', () => {
  fc.assert(
    fc.property(fc.array(fc.string({ maxLength: 3 })), fc.string({ maxLength: 3 }), (raw, value) => {
      const values = raw.sort();
      expect(lowerBound(values, value)).toBe(linear(values, value, values.length));
    }),
    { numRuns: 500 },
  );
});
