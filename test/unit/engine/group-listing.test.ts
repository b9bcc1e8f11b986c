/**
 * What the group index keeps about who lists whom (groups.ts: `listsUser`, `listsGroup`, `parents`, kept as lists
 * without repeats): a group naming a user or a group twice is listed once, in the order groups came, and is gone from
 * the listing once its last mention is dropped; `parentsOf` names only existing groups that nest the group.
 */
import { expect, test } from '@jest/globals';
import { engineOf, group, modelOf, user } from './support.ts';

test('a group naming a user or a group twice lists it once, and lets go when edited away or deleted', () => {
  const engine = engineOf(
    modelOf(
      user('alice'),
      group('devs', { users: ['alice', 'alice', 'ghost'] }),
      group('ops', { users: ['alice'], groups: ['devs', 'devs', 'missing'] }),
      group('all', { groups: ['devs'] }),
    ),
  );
  const listing = (kind: 'User' | 'UserGroup', name: string): string[] => [...engine.groups.listing(kind, name)];
  expect(listing('User', 'alice')).toEqual(['devs', 'ops']);
  expect(engine.groups.listing('User', 'alice').size).toBe(2);
  expect(listing('User', 'ghost')).toEqual(['devs']);
  expect(listing('UserGroup', 'devs')).toEqual(['ops', 'all']);
  expect(listing('UserGroup', 'missing')).toEqual(['ops']);
  expect([...engine.groups.parentsOf('devs')]).toEqual(['ops', 'all']);

  // devs drops one of its two mentions of alice, then both; ops is edited so it re-lists last.
  engine.apply([{ type: 'upsert', object: group('devs', { users: ['alice', 'ghost'] }) }]);
  expect(listing('User', 'alice')).toEqual(['devs', 'ops']);
  engine.apply([{ type: 'upsert', object: group('devs', { users: ['ghost'] }) }]);
  expect(listing('User', 'alice')).toEqual(['ops']);
  engine.apply([{ type: 'upsert', object: group('ops', { users: ['alice'], groups: ['devs'] }) }]);
  expect(listing('UserGroup', 'devs')).toEqual(['all', 'ops']);
  expect(listing('UserGroup', 'missing')).toEqual([]);
  expect(engine.groups.listing('UserGroup', 'missing').has('ops')).toBe(false);

  // Deleting devs: its parents go with it (it is no longer an existing group), but who lists it stays.
  engine.apply([{ type: 'delete', kind: 'UserGroup', name: 'devs' }]);
  expect(listing('User', 'ghost')).toEqual([]);
  expect(listing('UserGroup', 'devs')).toEqual(['all', 'ops']);
  expect([...engine.groups.parentsOf('devs')]).toEqual([]);
  engine.apply([{ type: 'upsert', object: group('devs', { users: ['alice', 'alice'] }) }]);
  expect([...engine.groups.parentsOf('devs')]).toEqual(['all', 'ops']);
  expect(listing('User', 'alice')).toEqual(['ops', 'devs']);
});
