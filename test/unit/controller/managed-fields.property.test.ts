/**
 * withoutManagedFields: on any JSON, the text it returns parses to the same value with every `managedFields` member
 * whose value is an array replaced by []; on any text, it parses exactly when the original does (a malformed review
 * stays malformed). endOfValue agrees with JSON.parse on where a value ends.
 */
import { expect, test } from '@jest/globals';
import fc from 'fast-check';
import { endOfValue, withoutManagedFields } from '../../../src/controller/managed-fields.ts';

const parses = (text: string): boolean => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

/** The value with every managedFields member holding an array emptied. */
function emptied(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(emptied);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, k === 'managedFields' && Array.isArray(v) ? [] : emptied(v)]));
}

/** JSON values where managedFields members (arrays and other values) and look-alike strings are common. */
const { value: valueArb } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('managedFields', '"managedFields":[1]', 'a\\"b', '\u0001', ']', '}', 'x'),
    fc.string(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.constant('managedFields'), fc.string({ maxLength: 4 })), tie('value'), { maxKeys: 4 }),
  ),
}));

const spaced = (text: string, gaps: number[]): string => text.replace(/[:,[\]{}]/g, (c, i: number) => (gaps[i % gaps.length]! % 3 === 0 ? ` ${c}\n` : c));

test('on JSON: the same value, managedFields arrays emptied (pretty-printed or not)', () => {
  fc.assert(
    fc.property(valueArb, fc.array(fc.nat(), { minLength: 1, maxLength: 5 }), fc.boolean(), (value, gaps, pretty) => {
      const text = pretty ? JSON.stringify(value, null, 2) : JSON.stringify(value);
      expect(JSON.parse(withoutManagedFields(text))).toEqual(emptied(JSON.parse(text)));
      // Whitespace around the punctuation (outside strings only when it does not break the text).
      const loose = spaced(text, gaps);
      if (parses(loose)) expect(JSON.parse(withoutManagedFields(loose))).toEqual(emptied(JSON.parse(loose)));
    }),
    { numRuns: 3000 },
  );
});

test('on any text: it parses exactly when the original does', () => {
  const pieces = fc.constantFrom('"managedFields"', ':', '[', ']', '{', '}', ',', '"', '\\', '1', '-', 'e', 'true', 'nul', ' ', '"a"', '\u0001', '0.5');
  fc.assert(
    fc.property(fc.array(fc.oneof(pieces, fc.string({ maxLength: 3 })), { maxLength: 30 }), (parts) => {
      const text = parts.join('');
      expect(parses(withoutManagedFields(text))).toBe(parses(text));
      // The same pieces as the array's content, where a wrong cut would turn a broken text into a review.
      const inside = `{"metadata":{"managedFields":[${text}],"name":"x"}}`;
      expect(parses(withoutManagedFields(inside))).toBe(parses(inside));
    }),
    { numRuns: 20000 },
  );
});

test('a broken array after managedFields is left as it is, and the review stays unreadable', () => {
  for (const text of ['{"managedFields":[1,,2]}', '{"managedFields":[01]}', '{"managedFields":["\u0001"]}', '{"managedFields":[{"a" 1}]}', '{"managedFields":[1', '{"managedFields":[tru]}']) {
    expect(withoutManagedFields(text)).toBe(text);
    expect(parses(withoutManagedFields(text))).toBe(false);
  }
  expect(withoutManagedFields('{"metadata":{"managedFields" : [ {"f:spec":{"v:\\"a\\"":{}}} ] ,"name":"x"}}')).toBe('{"metadata":{"managedFields" : [] ,"name":"x"}}');
});

test('endOfValue: where JSON.parse says a value ends', () => {
  fc.assert(
    fc.property(valueArb, fc.string({ maxLength: 3 }), (value, rest) => {
      const text = JSON.stringify(value);
      expect(endOfValue(`${text} ${rest}`, 0)).toBe(text.length);
      expect(endOfValue(JSON.stringify(value, null, 1), 0)).toBe(JSON.stringify(value, null, 1).length);
    }),
    { numRuns: 1000 },
  );
  expect(endOfValue('[1, [2, {"a": "b\\"]"}], 3] tail', 0)).toBe('[1, [2, {"a": "b\\"]"}], 3]'.length);
  expect(endOfValue('"unterminated', 0)).toBe(-1);
  expect(endOfValue(`${'['.repeat(300)}${']'.repeat(300)}`, 0)).toBe(-1);
});
