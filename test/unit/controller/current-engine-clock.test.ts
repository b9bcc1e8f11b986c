/**
 * The webhook judges with Reconciler.currentEngine(), whose clock is moved to now first: on a follower (no expiry key
 * runs there) and on a leader whose expiry key waits behind queued map keys, a grant that has expired since the last
 * event must no longer count. Without the move, it still grants (a NoEscalation or NotPermitted check passes).
 */
import { expect, test } from '@jest/globals';
import type { KindName } from '../../../src/api/kinds.ts';
import { loadCatalog } from '../../../src/catalog/load-catalog.ts';
import type { Caches, ObjectCache } from '../../../src/controller/caches.ts';
import type { RawObject } from '../../../src/controller/cluster-model.ts';
import { Reconciler } from '../../../src/controller/reconciler.ts';
import { rawCollaboration, rawUser } from './builders.ts';

const NOW = Date.parse('2026-06-01T00:00:00Z');
const HOUR = 3_600_000;

function cacheOf<T extends { metadata?: { name?: string; namespace?: string } }>(items: T[]): ObjectCache<T> {
  return { get: (namespace, name) => items.find((i) => i.metadata?.name === name && i.metadata?.namespace === namespace), list: () => items };
}

test('currentEngine(): a grant that expired since the last event, with no event and no expiry key since, no longer counts', () => {
  let now = NOW;
  const raw = rawCollaboration('acme/c-bob', 'User/bob', 'Application/app1', ['RIGHT_APPLICATION_ALL']);
  const expiring = { ...raw, spec: { ...(raw.spec as Record<string, unknown>), expiresAt: '2026-06-01T01:00:00Z' } };
  const objects: RawObject[] = [rawUser('bob'), expiring];
  const caches: Caches = {
    objects: (kind: KindName) => cacheOf(objects.filter((o) => o.kind === kind)),
    configMaps: cacheOf([]),
    namespaces: cacheOf([{ metadata: { name: 'acme' } }]),
  };
  const reconciler = new Reconciler({
    catalog: loadCatalog(),
    engineOptions: {},
    caches,
    statusWriter: { ownEcho: () => false, sync: async () => 'written' },
    configMapWriter: { ownEcho: () => false, relisted: () => undefined, sync: async () => ({ written: [], deleted: [], bytes: 0, published: 'map' }) } as never,
    enqueue: () => undefined,
    enqueueAfter: () => undefined,
    now: () => now,
  });
  reconciler.rebuild();
  const entitiesOfBob = (): number => reconciler.currentEngine()!.profile('bob')!.entities.size;
  expect(entitiesOfBob()).toBe(1);
  now = NOW + 2 * HOUR;
  expect(entitiesOfBob()).toBe(0);
});
