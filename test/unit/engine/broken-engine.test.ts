/**
 * An engine whose update threw part way is `broken`: it says so and takes no further update, so that what the update
 * left half done is never answered from (its owner builds a new engine: test/unit/controller/reconciler.test.ts). An
 * engine whose tables of shared values near their room is `worn`, before an update can reach the room and break it.
 */
import { expect, test } from '@jest/globals';
import { WORN_AT, type Engine } from '../../../src/engine/engine.ts';
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
