/**
 * Steady state and drift, against the real API server:
 *
 * - after convergence, 30 s without a change cause no write at all (charter_api_writes_total of every kind stays
 *   put: no status, no ConfigMap, no Event);
 * - a published map ConfigMap edited or deleted by hand is restored (data, labels, annotations), the others are
 *   left alone; so is a status edited by hand.
 *
 * The operator runs with a small map budget (8 KiB) so that one namespace's map is sharded over several ConfigMaps
 * (the index alone in `charter-permissions`, shards in `charter-permissions-<i>`): drift of a shard and of the index
 * are both covered. Objects are named `<prefix>-…`; the namespaces are fresh.
 */
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { MERGE_PATCH, type ApiClient } from '../../src/controller/api-client.ts';
import type { Operator } from '../../src/controller/operator.ts';
import { newNamespace } from './support/cluster.ts';
import {
  adminApi,
  applyAll,
  clusterMap,
  deleteAll,
  eventually,
  mapConfigMaps,
  randomId,
  failedKeys,
  sleep,
  startOperator,
  writeCount,
  writesByLabel,
  type Obj,
} from './support/operator.ts';

jest.setTimeout(90_000);

const P = `std-${randomId()}`;
const QUIET_MS = 30_000;
const USERS = 200;

let api: ApiClient;
let operator: Operator;
let ns: string;
let small: string;
const objects: Obj[] = [];

/** What the cluster holds of a namespace's maps, comparable across writes (the index's evaluatedAt aside). */
async function snapshot(namespace: string): Promise<Map<string, { data: Obj; labels: Obj; annotations: Obj }>> {
  const out = new Map<string, { data: Obj; labels: Obj; annotations: Obj }>();
  for (const [name, cm] of await mapConfigMaps(api, namespace)) {
    const data: Obj = { ...cm.data };
    if (data['index.json']) {
      const { evaluatedAt: _e, ...index } = JSON.parse(data['index.json'] as string) as Obj;
      data['index.json'] = index;
    }
    out.set(name, { data, labels: cm.metadata.labels ?? {}, annotations: cm.metadata.annotations ?? {} });
  }
  return out;
}

const configMapPath = (name: string): string => `/api/v1/namespaces/${ns}/configmaps/${name}`;

/** Waits until the operator has written nothing for `quietMs` and its queue is empty. */
async function settled(quietMs = 2000): Promise<void> {
  let last = -1;
  let since = Date.now();
  await eventually(
    async () => {
      const now = await writeCount(operator);
      const depth = (await operator.metrics.workqueueDepth.get()).values.reduce((s, v) => s + v.value, 0);
      if (now !== last || depth > 0) {
        last = now;
        since = Date.now();
      }
      return Date.now() - since >= quietMs;
    },
    'the operator to stop writing',
    { timeoutMs: 60_000, intervalMs: 100 },
  );
}

beforeAll(async () => {
  api = adminApi();
  ns = await newNamespace(`${P}-big`);
  small = await newNamespace(`${P}-small`);
  operator = await startOperator({ mapBudgetBytes: 8 * 1024 });
  const user = (i: number): Obj => ({ apiVersion: 'charter.dev/v1alpha1', kind: 'User', metadata: { name: `${P}-u${i}`, labels: { [`${P}-team`]: i % 2 ? 'odd' : 'even' } }, spec: {} });
  objects.push(
    ...Array.from({ length: USERS }, (_, i) => user(i)),
    { apiVersion: 'charter.dev/v1alpha1', kind: 'Organization', metadata: { name: `${P}-org` }, spec: { namespaces: [ns] } },
    { apiVersion: 'charter.dev/v1alpha1', kind: 'UserGroup', metadata: { name: `${P}-odd` }, spec: { members: { selector: { matchLabels: { [`${P}-team`]: 'odd' } } } } },
    { apiVersion: 'charter.dev/v1alpha1', kind: 'Collaboration', metadata: { name: 'm-odd', namespace: ns }, spec: { subject: { kind: 'UserGroup', name: `${P}-odd` }, target: { kind: 'Organization', name: `${P}-org` }, rights: ['RIGHT_APPLICATION_INFO'] } },
    // Every user a grant of its own on an application of its own: rows that differ, so the map needs several shards.
    ...Array.from({ length: USERS }, (_, i) => ({
      apiVersion: 'charter.dev/v1alpha1',
      kind: 'Collaboration',
      metadata: { name: `c-u${i}`, namespace: ns },
      spec: { subject: { kind: 'User', name: `${P}-u${i}` }, target: { kind: 'Application', name: `application-number-${i}` }, rights: ['RIGHT_APPLICATION_DEVICES_READ', 'RIGHT_APPLICATION_TRAFFIC_READ'] },
    })),
    { apiVersion: 'charter.dev/v1alpha1', kind: 'Collaboration', metadata: { name: 'c-small', namespace: small }, spec: { subject: { kind: 'User', name: `${P}-u0` }, target: { kind: 'Gateway', name: 'gw1' }, rights: ['RIGHT_GATEWAY_INFO'], expiresAt: '2099-01-01T00:00:00Z' } },
  );
  await applyAll(api, objects);
  await eventually(async () => {
    const map = await clusterMap(api, ns);
    return map?.can(`${P}-u${USERS - 1}`, 'RIGHT_APPLICATION_TRAFFIC_READ', `Application/${ns}/application-number-${USERS - 1}`) ?? false;
  }, 'the last grant in the map');
  await eventually(async () => (await clusterMap(api, small))?.can(`${P}-u0`, 'RIGHT_GATEWAY_INFO', `Gateway/${small}/gw1`) ?? false, 'the small map');
  await settled();
});

afterAll(async () => {
  await deleteAll(api, objects);
  await operator?.stop();
  api?.close();
});

describe('steady state', () => {
  test('the map of the big namespace is sharded', async () => {
    const names = [...(await mapConfigMaps(api, ns)).keys()].sort();
    expect(names[0]).toBe('charter-permissions');
    expect(names.length).toBeGreaterThanOrEqual(3);
  });

  test(`${QUIET_MS / 1000} s with no change cause zero writes`, async () => {
    const before = await writesByLabel(operator);
    const reconcilesBefore = (await operator.metrics.reconcileTotal.get()).values.reduce((s, v) => s + v.value, 0);
    await sleep(QUIET_MS);
    expect(await writesByLabel(operator)).toEqual(before);
    expect(failedKeys(operator, [P])).toEqual([]);
    // Not even a reconcile that found nothing to do: nothing woke the operator up.
    const reconcilesAfter = (await operator.metrics.reconcileTotal.get()).values.reduce((s, v) => s + v.value, 0);
    expect(reconcilesAfter).toBe(reconcilesBefore);
  }, QUIET_MS + 30_000);
});

describe("the watch's echo of the operator's own map and status writes", () => {
  const reconciles = async (kind: string): Promise<number> => (await operator.metrics.reconcileTotal.get()).values.filter((v) => v.labels.kind === kind).reduce((s, v) => s + v.value, 0);
  const mapReconciles = (): Promise<number> => reconciles('map');
  const statusReconciles = (): Promise<number> => reconciles('status');

  test('queues no map key (nor status key): one map reconcile per change, not one more per ConfigMap written', async () => {
    const grant = objects.find((o) => (o.metadata as Obj).name === 'c-small')!;
    const spec = grant.spec as Obj;
    const CHANGES = 6;
    const before = await mapReconciles();
    const statusBefore = await statusReconciles();
    const statusWritesBefore = (await writesByLabel(operator))['status/apply/success'] ?? 0;
    const writesBefore = (await writesByLabel(operator))['configmap/update/success'] ?? 0;
    for (let i = 1; i <= CHANGES; i++) {
      const rights = i % 2 ? ['RIGHT_GATEWAY_INFO', 'RIGHT_GATEWAY_LINK'] : ['RIGHT_GATEWAY_INFO'];
      await applyAll(api, [{ ...grant, spec: { ...spec, rights } }]);
      await eventually(async () => (await clusterMap(api, small))?.can(`${P}-u0`, 'RIGHT_GATEWAY_LINK', `Gateway/${small}/gw1`) === (i % 2 === 1), `change ${i} in the map`);
      await settled(500);
    }
    // Each change wrote the small namespace's one ConfigMap; the echo of that write came back through the watch.
    expect(((await writesByLabel(operator))['configmap/update/success'] ?? 0) - writesBefore).toBe(CHANGES);
    // One map key per change (six in the runs seen); were echoes queued, two per change — half of them arrive before
    // the write's answer and are judged then. One spare for a key queued twice by timing (it writes nothing).
    expect((await mapReconciles()) - before).toBeLessThanOrEqual(CHANGES + 1);
    // Each change queues two statuses (the grant's and its user's) and writes the grant's; its echo queues nothing
    // (StatusWriter.ownEcho): 12 status reconciles in the runs seen, 18 with the echoes queued. One spare for timing.
    expect(((await writesByLabel(operator))['status/apply/success'] ?? 0) - statusWritesBefore).toBe(CHANGES);
    expect((await statusReconciles()) - statusBefore).toBeLessThanOrEqual(2 * CHANGES + 1);
    expect(failedKeys(operator, [P])).toEqual([]);
  });
});

describe('drift is restored', () => {
  let published: Awaited<ReturnType<typeof snapshot>>;
  beforeAll(async () => {
    published = await snapshot(ns);
  });

  /** Waits for the namespace's maps to be back to what was published; checks the other ConfigMaps were not written. */
  async function restored(what: string, touched: string): Promise<void> {
    const versions = new Map([...(await mapConfigMaps(api, ns))].map(([name, cm]) => [name, cm.metadata.resourceVersion as string]));
    await eventually(async () => expect(await snapshot(ns)).toEqual(published), `${what} restored`, { timeoutMs: 15_000 });
    await settled(1000);
    for (const [name, cm] of await mapConfigMaps(api, ns)) {
      if (name !== touched) expect({ name, resourceVersion: cm.metadata.resourceVersion }).toEqual({ name, resourceVersion: versions.get(name) });
    }
  }

  test('a shard whose data is edited', async () => {
    const cm = await api.request<Obj>('GET', configMapPath('charter-permissions-1'));
    const key = Object.keys(cm.data)[0]!;
    cm.data[key] = cm.data[key].replace(/"users":\["[^"]+"/, '"users":["mallory"');
    await api.request('PUT', configMapPath('charter-permissions-1'), { body: cm });
    await restored('the edited shard', 'charter-permissions-1');
  });

  test('the index whose data is edited (a shard hash changed, a key added)', async () => {
    const cm = await api.request<Obj>('GET', configMapPath('charter-permissions'));
    const index = JSON.parse(cm.data['index.json']) as Obj;
    index.shards[0].sha256 = '0'.repeat(64);
    cm.data['index.json'] = JSON.stringify(index);
    cm.data['extra.json'] = '{}';
    await api.request('PUT', configMapPath('charter-permissions'), { body: cm });
    await restored('the edited index', 'charter-permissions');
  });

  test('a shard whose annotation is edited', async () => {
    const cm = await api.request<Obj>('GET', configMapPath('charter-permissions-0'));
    cm.metadata.annotations['charter.dev/shard-sha256'] = 'f'.repeat(64);
    await api.request('PUT', configMapPath('charter-permissions-0'), { body: cm });
    await restored('the edited annotation', 'charter-permissions-0');
  });

  test('a shard deleted', async () => {
    await api.request('DELETE', configMapPath('charter-permissions-1'));
    await restored('the deleted shard', 'charter-permissions-1');
  });

  test('the index deleted', async () => {
    await api.request('DELETE', configMapPath('charter-permissions'));
    await restored('the deleted index', 'charter-permissions');
  });

  test('a shard whose labels are removed (it drops out of the operator’s label-selected watch)', async () => {
    const cm = await api.request<Obj>('GET', configMapPath('charter-permissions-0'));
    cm.metadata.labels = {};
    await api.request('PUT', configMapPath('charter-permissions-0'), { body: cm });
    await restored('the unlabelled shard', 'charter-permissions-0');
  });

  test('a status edited by hand', async () => {
    const path = `/apis/charter.dev/v1alpha1/users/${P}-u1`;
    const before = (await api.request<Obj>('GET', path)).status;
    expect(before.groups).toEqual([`${P}-odd`]);
    await api.request('PATCH', `${path}/status`, { contentType: MERGE_PATCH, body: { status: { groups: ['forged'], groupCount: 7 } } });
    await eventually(async () => expect((await api.request<Obj>('GET', path)).status).toEqual(before), 'the status restored', { timeoutMs: 15_000 });
  });

  test('a map ConfigMap the operator did not write, with its labels, is deleted', async () => {
    await api.request('POST', `/api/v1/namespaces/${ns}/configmaps`, {
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'charter-permissions-99', labels: { 'app.kubernetes.io/managed-by': 'charter', 'charter.dev/permission-map': 'true' } }, data: { x: 'y' } },
    });
    await restored('the stray shard', 'charter-permissions-99');
    expect(failedKeys(operator, [P])).toEqual([]);
  });
});
