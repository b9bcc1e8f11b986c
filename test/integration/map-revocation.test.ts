/**
 * A revocation reaches a running workload: the real operator against the real API server publishes a namespace's
 * map; a "kubelet" copies the ConfigMaps of the documented mount layout (docs/permission-map.md#mounting-it: the
 * index `charter-permissions` and the shards `charter-permissions-0` … `-<max-1>`, all optional) into a projected
 * volume the way the kubelet does (atomic `..data` swap); a MountedPermissionMap reads it.
 *
 * - The last Collaboration of a namespace no organization owns is deleted: the map is published empty (the index
 *   ConfigMap stays, same object), and the running reader answers false.
 * - A Collaboration held Terminating by a finalizer stops granting when its deletion is asked for, not when the
 *   finalizer goes: the map no longer lists its right while the object is still there.
 * - A map that would need more shards than the operator may write is withheld: it grants nothing, a Warning Event
 *   TooManyShards names the index ConfigMap, and charter_permission_map_withheld{namespace} is 1.
 */
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiClient } from '../../src/controller/api-client.ts';
import { isNotFound, MERGE_PATCH } from '../../src/controller/api-client.ts';
import type { Operator } from '../../src/controller/operator.ts';
import { MountedPermissionMap } from '../../src/reader/mounted-map.ts';
import { KubeletVolume } from '../support/kubelet-volume.ts';
import { newNamespace } from './support/cluster.ts';
import { adminApi, applyAll, deleteAll, eventually, failedKeys, randomId, startOperator, type Obj } from './support/operator.ts';

jest.setTimeout(90_000);

const P = `rev-${randomId()}`;
const n = (name: string): string => `${P}-${name}`;
/** Small, so that a few dozen grants need more shards than allowed. */
const MAX_SHARDS = 2;
const BUDGET = 3000;

const user = (name: string): Obj => ({ apiVersion: 'charter.dev/v1alpha1', kind: 'User', metadata: { name: n(name) }, spec: { displayName: name } });
const grant = (namespace: string, name: string, who: string, app: string, rights: string[]): Obj => ({
  apiVersion: 'charter.dev/v1alpha1',
  kind: 'Collaboration',
  metadata: { name, namespace },
  spec: { subject: { kind: 'User', name: n(who) }, target: { kind: 'Application', name: app }, rights },
});

let api: ApiClient;
let operator: Operator;
let root: string;
const objects: Obj[] = [];

/** The kubelet's part: the layout's ConfigMaps as they are now (absent ones skipped: optional), into the volume. */
async function sync(volume: KubeletVolume, namespace: string): Promise<void> {
  const files = new Map<string, string>();
  for (const name of ['charter-permissions', ...Array.from({ length: MAX_SHARDS }, (_, i) => `charter-permissions-${i}`)]) {
    try {
      const cm = await api.request<Obj>('GET', `/api/v1/namespaces/${namespace}/configmaps/${name}`);
      for (const [key, value] of Object.entries((cm.data ?? {}) as Record<string, string>)) files.set(key, value);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
  volume.write(files);
}

const index = (namespace: string): Promise<Obj> => api.request<Obj>('GET', `/api/v1/namespaces/${namespace}/configmaps/charter-permissions`);

beforeAll(async () => {
  api = adminApi();
  root = mkdtempSync(join(tmpdir(), 'charter-revocation-'));
  operator = await startOperator({ maxShards: MAX_SHARDS, mapBudgetBytes: BUDGET });
});

afterAll(async () => {
  await deleteAll(api, objects);
  await operator?.stop();
  api?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('a revoked right does not stay allowed', () => {
  test('a Collaboration a finalizer keeps Terminating grants nothing from its deletion on', async () => {
    const ns = await newNamespace(n('held'));
    const keeper = grant(ns, 'c-carol', 'carol', 'app1', ['RIGHT_APPLICATION_INFO']);
    const held = { ...grant(ns, 'c-dave', 'dave', 'app1', ['RIGHT_APPLICATION_DELETE']), metadata: { name: 'c-dave', namespace: ns, finalizers: ['example.com/hold'] } };
    objects.push(user('carol'), user('dave'), keeper, held);
    await applyAll(api, [user('carol'), user('dave'), keeper, held]);
    const rowsOf = async (): Promise<Obj[]> => JSON.parse((await index(ns)).data['charter-permissions.json']).rows as Obj[];
    const listed = async (who: string): Promise<boolean> => (await rowsOf()).some((row) => (row.users as string[]).includes(n(who)));
    await eventually(async () => (await listed('dave')) && (await listed('carol')), 'both grants in the map');
    await api.request('DELETE', `/apis/charter.dev/v1alpha1/namespaces/${ns}/collaborations/c-dave`);
    await eventually(async () => !(await listed('dave')), "dave's right revoked while his Collaboration is Terminating");
    const still = await api.request<Obj>('GET', `/apis/charter.dev/v1alpha1/namespaces/${ns}/collaborations/c-dave`);
    expect(still.metadata.deletionTimestamp).toEqual(expect.any(String)); // the finalizer holds it
    expect(await listed('carol')).toBe(true);
    await api.request('PATCH', `/apis/charter.dev/v1alpha1/namespaces/${ns}/collaborations/c-dave`, { body: { metadata: { finalizers: null } }, contentType: MERGE_PATCH });
  });

  test('the last Collaboration of an unowned namespace deleted: the map is published empty, not deleted; the running reader answers false', async () => {
    const ns = await newNamespace(n('lab'));
    const only = grant(ns, 'c-alice', 'alice', 'app1', ['RIGHT_APPLICATION_INFO']);
    objects.push(user('alice'), only);
    await applyAll(api, [user('alice'), only]);
    const volume = new KubeletVolume(join(root, 'lab'));
    const mounted = MountedPermissionMap.open(volume.dir, { pollIntervalMs: 25 });
    try {
      const check = [n('alice'), 'RIGHT_APPLICATION_INFO', `Application/${ns}/app1`] as const;
      await eventually(async () => {
        await sync(volume, ns);
        mounted.refresh();
        return mounted.can(...check);
      }, 'the grant in the running reader');
      const published = await index(ns);

      await deleteAll(api, [only]);
      await eventually(async () => {
        const cm = await index(ns);
        return JSON.parse(cm.data['charter-permissions.json']).rows.length === 0;
      }, 'the empty map published');
      const empty = await index(ns);
      expect(empty.metadata.uid).toBe(published.metadata.uid); // updated in place, never deleted
      const doc = JSON.parse(empty.data['index.json']) as Obj;
      expect(doc).toMatchObject({ namespace: ns, rights: [], kinds: [], admins: { users: [], rights: {} } });
      expect(doc.organization).toBeUndefined();

      await sync(volume, ns);
      await eventually(() => mounted.state === 'empty', 'the reader on the empty map');
      expect(mounted.can(...check)).toBe(false);
      expect(mounted.staleSince).toBeUndefined();

      // A grant again: the same ConfigMap carries it.
      const again = grant(ns, 'c-alice-2', 'alice', 'app1', ['RIGHT_APPLICATION_INFO']);
      objects.push(again);
      await applyAll(api, [again]);
      await eventually(async () => {
        await sync(volume, ns);
        mounted.refresh();
        return mounted.can(...check);
      }, 'the grant back in the running reader');
      expect((await index(ns)).metadata.uid).toBe(published.metadata.uid);
    } finally {
      mounted.close();
    }
    expect(failedKeys(operator, [P])).toEqual([]);
  });

  test('a map that needs more shards than --max-shards is withheld: nothing granted, an Event and a metric say so', async () => {
    const ns = await newNamespace(n('big'));
    const users = Array.from({ length: 60 }, (_, i) => user(`u${String(i).padStart(2, '0')}`));
    const grants = users.map((u, i) => grant(ns, `c-${i}`, u.metadata.name.slice(P.length + 1), `application-with-a-long-name-${i}`, ['RIGHT_APPLICATION_LINK']));
    objects.push(...users, ...grants);
    await applyAll(api, [...users, ...grants]);
    await eventually(async () => JSON.parse((await index(ns)).data['index.json']).withheld?.reason === 'TooManyShards', 'the withheld map', { timeoutMs: 30_000 });
    const cm = await index(ns);
    expect(JSON.parse(cm.data['index.json']).shards).toHaveLength(1);

    const volume = new KubeletVolume(join(root, 'big'));
    await sync(volume, ns);
    const mounted = MountedPermissionMap.open(volume.dir, { pollIntervalMs: 0, watch: false });
    try {
      expect(mounted.state).toBe('withheld');
      expect(mounted.staleSince).toBeDefined();
      expect(mounted.can(n('u00'), 'RIGHT_APPLICATION_LINK', `Application/${ns}/application-with-a-long-name-0`)).toBe(false);
    } finally {
      mounted.close();
    }

    await eventually(async () => {
      const events = await api.request<{ items: Obj[] }>('GET', `/apis/events.k8s.io/v1/namespaces/${ns}/events`);
      return events.items.some((e) => e.reason === 'TooManyShards' && e.type === 'Warning' && e.regarding?.kind === 'ConfigMap' && e.regarding?.name === 'charter-permissions');
    }, 'the TooManyShards Event on the index ConfigMap');
    // The gauge is set when the map's sync returns, which may be a moment after its Event was written.
    await eventually(async () => (await operator.metrics.permissionMapWithheld.get()).values.find((v) => v.labels.namespace === ns)?.value === 1, 'the withheld gauge', { timeoutMs: 10_000 });
    expect(failedKeys(operator, [P])).toEqual([]);
  });
});
