/**
 * The reconciler with the real status writer: the echo of a status write queues nothing, and what comes while that
 * write is in flight is not lost — in particular an edit of an object Charter cannot read (its spec changes with no
 * change to the engine, so no Impact queues its status), and a deletion and re-creation under the same name.
 */
import { describe, expect, test } from '@jest/globals';
import type { KindName } from '../../../src/api/kinds.ts';
import { loadCatalog } from '../../../src/catalog/load-catalog.ts';
import type { Caches, ObjectCache } from '../../../src/controller/caches.ts';
import type { RawObject } from '../../../src/controller/cluster-model.ts';
import type { ConfigMapWriter } from '../../../src/controller/configmap-writer.ts';
import { Reconciler } from '../../../src/controller/reconciler.ts';
import { StatusWriter } from '../../../src/controller/status-writer.ts';
import { formatWorkKey } from '../../../src/controller/work-key.ts';
import { rawUser } from './builders.ts';
import { FakeApi, fails, type Reactor } from './fake-api.ts';

const NOW = Date.parse('2026-06-01T00:00:00Z');
const EVE_STATUS = '/apis/charter.dev/v1alpha1/users/eve/status';
/** eve's spec is invalid (an unknown state): her status says so, and no change of hers reaches the engine. */
const eve = (resourceVersion: string, generation: number, state = 'Sleepy', uid = 'uid-eve'): RawObject => rawUser('eve', { state }, { resourceVersion, generation, uid });

function setup(objects: RawObject[], api: FakeApi) {
  const cacheOf = <T extends { metadata?: { name?: string; namespace?: string } }>(items: () => T[]): ObjectCache<T> => ({
    get: (namespace, name) => items().find((i) => i.metadata?.name === name && i.metadata?.namespace === namespace),
    list: () => items(),
  });
  const caches: Caches = {
    objects: (kind: KindName) => cacheOf(() => objects.filter((o) => o.kind === kind)),
    configMaps: cacheOf(() => []),
    namespaces: cacheOf(() => [{ metadata: { name: 'acme' } }]),
  };
  const queued: string[] = [];
  const configMapWriter: Pick<ConfigMapWriter, 'sync' | 'ownEcho' | 'relisted'> = {
    ownEcho: () => false,
    relisted: () => undefined,
    sync: async () => ({ written: [], deleted: [], bytes: 0, published: 'none' }),
  };
  const reconciler = new Reconciler({
    catalog: loadCatalog(),
    engineOptions: {},
    caches,
    statusWriter: new StatusWriter({ api, now: () => NOW }),
    configMapWriter,
    enqueue: (key) => queued.push(formatWorkKey(key)),
    enqueueAfter: (key) => queued.push(formatWorkKey(key)),
    now: () => NOW,
  });
  reconciler.rebuild();
  queued.length = 0;
  return { reconciler, queued };
}

/** eve's status written once, the reactor's events delivered while the write is in flight; what was queued after. */
async function writeWhile(objects: RawObject[], during: (r: ReturnType<typeof setup>) => Reactor): Promise<string[]> {
  const api = new FakeApi();
  const r = setup(objects, api);
  api.on('PATCH', EVE_STATUS, during(r));
  await r.reconciler.process('status/User/eve');
  return r.queued;
}

describe('status writes and the events that come meanwhile', () => {
  test('its echo, in flight or after the answer: nothing queued', async () => {
    const objects = [eve('5', 1)];
    const queued = await writeWhile(objects, (r) => () => {
      r.reconciler.onObjectEvent('User', 'MODIFIED', (objects[0] = eve('10', 1)));
      return { metadata: { resourceVersion: '10' } };
    });
    expect(queued).toEqual([]);
  });

  test('the spec edited (still invalid) while the write is in flight: compared again', async () => {
    const objects = [eve('5', 1)];
    const queued = await writeWhile(objects, (r) => () => {
      r.reconciler.onObjectEvent('User', 'MODIFIED', (objects[0] = eve('8', 2, 'Drowsy')));
      return { metadata: { resourceVersion: '10' } };
    });
    expect(queued).toContain('status/User/eve');
  });

  test('the spec edited, then the echo, both while in flight: compared again', async () => {
    const objects = [eve('5', 1)];
    const queued = await writeWhile(objects, (r) => () => {
      r.reconciler.onObjectEvent('User', 'MODIFIED', (objects[0] = eve('8', 2, 'Drowsy')));
      r.reconciler.onObjectEvent('User', 'MODIFIED', (objects[0] = eve('10', 2, 'Drowsy')));
      return { metadata: { resourceVersion: '10' } };
    });
    expect(queued).toContain('status/User/eve');
  });

  test('deleted and made again under the same name while in flight, the write answered 404: the new one is queued', async () => {
    const objects = [eve('5', 1)];
    const queued = await writeWhile(objects, (r) => (action) => {
      r.reconciler.onObjectEvent('User', 'DELETED', objects[0]!);
      r.reconciler.onObjectEvent('User', 'ADDED', (objects[0] = eve('9', 1, 'Drowsy', 'uid-eve-2')));
      return fails(404, 'NotFound')(action);
    });
    expect(queued).toContain('status/User/eve');
  });

  test('the same edit after the answer: queued', async () => {
    const objects = [eve('5', 1)];
    const api = new FakeApi().on('PATCH', EVE_STATUS, () => ({ metadata: { resourceVersion: '10' } }));
    const r = setup(objects, api);
    await r.reconciler.process('status/User/eve');
    r.reconciler.onObjectEvent('User', 'MODIFIED', (objects[0] = eve('11', 2, 'Drowsy')));
    expect(r.queued).toContain('status/User/eve');
  });
});
