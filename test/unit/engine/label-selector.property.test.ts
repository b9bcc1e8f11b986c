/**
 * A group's selector is matched against every user with `selectorMatcher` (the selector read once); admission and
 * single users with `selectorMatches`. On random selectors and labels — keys from a small pool, so that they meet,
 * including `constructor`, which must not find Object.prototype's — both give Kubernetes' answer, written out here
 * apart from the code (the labels as a Map, so no key finds a prototype's). Requirements Kubernetes refuses (In or NotIn
 * without values, Exists or DoesNotExist with some) are drawn too: they select nobody.
 */
import { expect, test } from '@jest/globals';
import fc from 'fast-check';
import type { LabelSelector } from '../../../src/api/types.generated.ts';
import { selectorMatcher, selectorMatches } from '../../../src/engine/label-selector.ts';

const keyArb = fc.constantFrom('region', 'team', 'contractor', 'constructor', 'toString');
const valueArb = fc.constantFrom('eu', 'us', 't1', 't2', 'true', '');
const labelsArb = fc.dictionary(keyArb, valueArb, { maxKeys: 4 });
const selectorArb: fc.Arbitrary<LabelSelector> = fc.record(
  {
    matchLabels: fc.dictionary(keyArb, valueArb, { maxKeys: 3 }),
    matchExpressions: fc.array(
      fc.record({ key: keyArb, operator: fc.constantFrom('In', 'NotIn', 'Exists', 'DoesNotExist'), values: fc.option(fc.array(valueArb, { maxLength: 3 }), { nil: undefined }) }, { requiredKeys: ['key', 'operator'] }),
      { maxLength: 3 },
    ),
  },
  { requiredKeys: [] },
) as fc.Arbitrary<LabelSelector>;

function kubernetesAnswer(selector: LabelSelector, labels: Record<string, string>): boolean {
  const own = new Map(Object.entries(labels));
  const labelsHold = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => own.get(key) === value);
  const expressionsHold = (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    // A requirement Kubernetes refuses (In/NotIn without values, Exists/DoesNotExist with some) selects nobody.
    if ((operator === 'In' || operator === 'NotIn') !== values.length > 0) return false;
    const value = own.get(key);
    if (operator === 'In') return value !== undefined && values.includes(value);
    if (operator === 'NotIn') return value === undefined || !values.includes(value);
    if (operator === 'Exists') return value !== undefined;
    return value === undefined; // DoesNotExist
  });
  return labelsHold && expressionsHold;
}

test('selectorMatcher(selector)(labels) == selectorMatches(selector, labels) == Kubernetes\' answer', () => {
  let matched = 0;
  let unmatched = 0;
  fc.assert(
    fc.property(selectorArb, fc.array(labelsArb, { minLength: 1, maxLength: 8 }), (selector, labelSets) => {
      const matches = selectorMatcher(selector);
      for (const labels of labelSets) {
        const expected = kubernetesAnswer(selector, labels);
        expect(selectorMatches(selector, labels)).toBe(expected);
        expect(matches(labels)).toBe(expected);
        if (expected) matched++;
        else unmatched++;
      }
    }),
    { numRuns: 2000 },
  );
  expect(Math.min(matched, unmatched)).toBeGreaterThan(1000); // both answers, often
});
