/**
 * An engine whose update threw part way is `broken`: it says so and takes no further update, so that what the update
 * left half done is never answered from (its owner builds a new engine: test/unit/controller/reconciler.test.ts). An
 * engine whose tables of shared values near their room is `worn`, before an update can reach the room and break it.
 */
import { expect, test } from '@jest/globals';
import { loadCatalog } from '../../../src/catalog/load-catalog.ts';
import { WORN_AT, type Engine } from '../../../src/engine/engine.ts';
import { EMPTY, MAX_SETS, pairKey, RightSets } from '../../../src/engine/right-sets.ts';
import { collab, engineOf, modelOf, org, user } from './support.ts';

const NOW = Date.parse('2026-06-01T00:00:00Z');

/** The memberships' table of distinct M*(u, o) values (it only grows; a long run of distinct rights edits fills it). */
const sharedValues = (e: Engine): unknown[] => (e as unknown as { state: { memberships: { interned: { values: unknown[] } } } }).state.memberships.interned.values;

const member = (rights: string[]) => collab('acme/m-alice', 'User/alice', 'Organization/acme', rights);

function engine(): Engine {
  return engineOf(modelOf(user('alice'), user('bob'), org('acme', { namespaces: ['acme'] }), member(['RIGHT_ORGANIZATION_ALL'])), { now: NOW });
}

test('an update that reaches the memberships\' room throws part way: the engine is broken and takes no further update', () => {
  const e = engine();
  expect(e.broken).toBe(false);
  // As if 2^21 distinct values had been numbered (holes: only the table's length matters to the next number).
  sharedValues(e).length = 2 ** 21;
  // A narrowed membership is a value not seen before: its number is past the room.
  expect(() => e.apply([{ type: 'upsert', object: member(['RIGHT_ORGANIZATION_INFO']) }])).toThrow(/not interned/);
  expect(e.broken).toBe(true);
  expect(() => e.apply([{ type: 'upsert', object: user('carol') }])).toThrow(/broken/);
  expect(() => e.advanceTime(NOW + 1)).toThrow(/broken/);
});

test('a listener that throws on an impact breaks the engine too (what is kept beside it missed the impact)', () => {
  const e = engine();
  e.onImpact(() => {
    throw new Error('the kept maps failed');
  });
  expect(() => e.apply([{ type: 'upsert', object: user('carol') }])).toThrow(/kept maps failed/);
  expect(e.broken).toBe(true);
});

test('worn once a table of shared values is half full, before an update can reach its room', () => {
  const e = engine();
  expect(e.worn).toBe(false);
  sharedValues(e).length = WORN_AT - 1;
  expect(e.worn).toBe(false);
  sharedValues(e).length = WORN_AT;
  expect(e.worn).toBe(true);
  expect(WORN_AT * 2).toBe(2 ** 21);
  // Worn is not broken: the engine still answers and takes updates until its owner replaces it.
  e.apply([{ type: 'upsert', object: user('carol') }]);
  expect(e.broken).toBe(false);
});

test('right sets past 2^20: the memo of unions and intersections keeps every pair apart (its keys aliased there)', () => {
  const sets = new RightSets(loadCatalog());
  const [a, b, c] = [0, 1, 2].map((i) => sets.fromIndices([i]));
  const bc = sets.union(b!, c!);
  const bcAnd = sets.intersect(sets.union(b!, a!), sets.union(c!, a!));
  // As if 2^20 sets had been numbered (holes: the next set's id is the table's length).
  (sets as unknown as { bits: unknown[] }).bits.length = 2 ** 20 + c! + 1;
  const far = sets.fromIndices([5]);
  expect(far).toBe(2 ** 20 + c! + 1);
  // (a, 2^20 + c + 1) was keyed as (a + 1, c + 1)... every pair below MAX_SETS has a key of its own.
  expect(sets.rightNames(sets.union(a!, far))).toEqual([...sets.rightNames(a!), ...sets.rightNames(far)].sort());
  expect(sets.union(a!, far)).not.toBe(bc);
  expect(sets.intersect(a!, far)).toBe(EMPTY);
  expect(sets.union(b!, c!)).toBe(bc);
  expect(sets.rightNames(bcAnd)).toEqual(sets.rightNames(a!));
  expect(pairKey(1, 2 ** 20 + 3)).not.toBe(pairKey(2, 3));
  expect(pairKey(MAX_SETS - 2, MAX_SETS - 1)).toBeLessThan(2 ** 53);
});

test('worn once the right sets pass WORN_AT too', () => {
  const e = engine();
  const bits = (e as unknown as { state: { sets: { bits: unknown[] } } }).state.sets.bits;
  bits.length = WORN_AT - 1;
  expect(e.worn).toBe(false);
  bits.length = WORN_AT;
  expect(e.worn).toBe(true);
});
