/** Work keys: the text form is read back to the same key, and text that is not a key is refused (never misread). */
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { KINDS } from '../../../src/api/kinds.ts';
import { EXPIRY, formatWorkKey, isUrgentWorkKey, mapKey, parseWorkKey, statusKey, type WorkKey } from '../../../src/controller/work-key.ts';

describe('work keys', () => {
  test.each<[WorkKey, string]>([
    [statusKey({ kind: 'User', name: 'bob' }), 'status/User/bob'],
    [statusKey({ kind: 'Organization', name: 'acme' }), 'status/Organization/acme'],
    [statusKey({ kind: 'UserGroup', name: 'devs' }), 'status/UserGroup/devs'],
    [statusKey({ kind: 'Collaboration', namespace: 'acme', name: 'c-bob' }), 'status/Collaboration/acme/c-bob'],
    [mapKey('acme'), 'map/acme'],
    [EXPIRY, 'expiry'],
  ])('%j is %s, and back', (key, text) => {
    expect(formatWorkKey(key)).toBe(text);
    expect(parseWorkKey(text)).toEqual(key);
  });

  test.each([
    'status/Widget/x', // not a kind
    'status/User', // no name
    'status/User/a/b', // a namespace on a cluster-scoped kind
    'status/Collaboration/c-bob', // no namespace on a namespaced kind
    'status/Collaboration/acme/c/d',
    'map/', // no namespace
    'map/a/b',
    'map',
    'status',
    'expiry/now',
    '',
    'users/bob',
  ])('%j is not a work key', (text) => {
    expect(parseWorkKey(text)).toBeUndefined();
  });

  const name = fc.stringMatching(/^[a-z0-9]([-a-z0-9.]{0,20}[a-z0-9])?$/);
  const key: fc.Arbitrary<WorkKey> = fc.oneof(
    fc.record({ kind: fc.constantFrom(...KINDS.filter((k) => k !== 'Collaboration')), name }).map((o) => statusKey(o)),
    fc.record({ namespace: name, name }).map((o) => statusKey({ kind: 'Collaboration', ...o })),
    name.map(mapKey),
    fc.constant(EXPIRY),
  );

  test('every key reads back as itself (property)', () => {
    fc.assert(fc.property(key, (k) => expect(parseWorkKey(formatWorkKey(k))).toEqual(k)));
  });

  test('any text reads as nothing, or as the key whose text it is (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), key.map(formatWorkKey).map((t) => t + '/x')), (text) => {
        const parsed = parseWorkKey(text);
        if (parsed !== undefined) expect(formatWorkKey(parsed)).toBe(text);
      }),
    );
  });

  test('maps and the expiry key are urgent (taken before statuses); statuses are not', () => {
    expect(isUrgentWorkKey(formatWorkKey(mapKey('acme')))).toBe(true);
    expect(isUrgentWorkKey(formatWorkKey(EXPIRY))).toBe(true);
    for (const kind of KINDS) {
      const object = kind === 'Collaboration' ? { kind, namespace: 'map', name: 'map' } : { kind, name: 'map' };
      expect(isUrgentWorkKey(formatWorkKey(statusKey(object)))).toBe(false);
    }
  });
});
