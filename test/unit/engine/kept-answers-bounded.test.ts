/**
 * What the engine keeps between changes for statuses and expiries stays bounded by what exists: the organization
 * counts of a deleted organization (or of a name that never was one) go at the next change after the organization
 * structure moved, and `nextExpiryIn`'s answers for namespaces no longer asked go when the expiry clock moves.
 */
import { expect, test } from '@jest/globals';
import { collab, engineOf, modelOf, org, user } from './support.ts';

const NOW = Date.parse('2026-06-01T00:00:00Z');

function engine() {
  return engineOf(
    modelOf(
      user('alice'),
      user('bob'),
      org('o0', { namespaces: ['n0'] }),
      org('o1', { namespaces: ['n1'] }),
      collab('n0/m-alice', 'User/alice', 'Organization/o0', ['RIGHT_ORGANIZATION_ALL']),
      collab('n1/m-bob', 'User/bob', 'Organization/o1', ['RIGHT_ORGANIZATION_ALL']),
      collab('n0/app', 'User/bob', 'Application/app0', ['RIGHT_APPLICATION_INFO'], { expiresAt: NOW + 60_000 }),
    ),
    { now: NOW },
  );
}

test('a deleted organization\'s counts, and those of a name that never was one, are not kept on', () => {
  const e = engine();
  for (const name of ['o0', 'o1', 'never']) e.organizationCounts(name);
  expect(e.keptOrganizationCounts).toBe(3);
  e.apply([{ type: 'delete', kind: 'Organization', name: 'o1' }]);
  expect(e.keptOrganizationCounts).toBe(0);
  expect(e.organizationCounts('o0').members.holders).toBe(1);
  expect(e.keptOrganizationCounts).toBe(1);
  // A change that leaves the structure as it is keeps what is kept.
  e.apply([{ type: 'upsert', object: user('carol') }]);
  expect(e.keptOrganizationCounts).toBe(1);
});

test('nextExpiryIn keeps answers for one expiry clock: namespaces asked before it moved are let go', () => {
  const e = engine();
  expect(e.nextExpiryIn('n0')).toBe(NOW + 60_000);
  for (const ns of ['gone-1', 'gone-2', 'gone-3']) expect(e.nextExpiryIn(ns)).toBeUndefined();
  expect(e.keptExpiries).toBe(4);
  e.apply([{ type: 'upsert', object: collab('n1/soon', 'User/alice', 'Application/app1', ['RIGHT_APPLICATION_INFO'], { expiresAt: NOW + 30_000 }) }]);
  expect(e.nextExpiryIn('n1')).toBe(NOW + 30_000);
  expect(e.keptExpiries).toBe(1);
  expect(e.nextExpiryIn('n0')).toBe(NOW + 60_000);
  expect(e.keptExpiries).toBe(2);
});
