/**
 * A grant's health follows its namespace's permission map, on a real API server with the real kstatus and Argo CD
 * check (docs/deploy.md#health-in-flux-and-argo-cd): while the namespace's map is withheld (it would need more
 * shards than --max-shards) its grants are Ready=False, reason MapWithheld (kstatus InProgress, Argo CD Progressing),
 * not Current / Healthy; once the map fits again they are Ready=True.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { ApiClient } from '../../src/controller/api-client.ts';
import type { Operator } from '../../src/controller/operator.ts';
import { goTool, warnSkipped } from '../go-tools.ts';
import { newNamespace } from './support/cluster.ts';
import { adminApi, applyAll, deleteAll, eventually, getObject, mapConfigMaps, randomId, repoRoot, startOperator, type Obj } from './support/operator.ts';

const kstatusBin = goTool('kstatus');
const argocdBin = goTool('argocd-health');
if (!kstatusBin || !argocdBin) warnSkipped('the withheld-map health test (test/integration/health-map-withheld.test.ts)');
const withTools = kstatusBin && argocdBin ? describe : describe.skip;

const judge = (o: Obj): string => {
  const ks = JSON.parse(spawnSync(kstatusBin!, [], { input: JSON.stringify(o), encoding: 'utf8' }).stdout) as { status: string };
  const argo = JSON.parse(spawnSync(argocdBin!, ['eval', join(repoRoot, 'argocd/resource_customizations')], { input: JSON.stringify(o), encoding: 'utf8' }).stdout) as { status: string };
  return `kstatus=${ks.status} argo=${argo.status}`;
};

const P = `hw${randomId()}`;
let api: ApiClient;
let operator: Operator | undefined;
let ns: string;
let objects: Obj[] = [];

withTools('a withheld permission map', () => {
  beforeAll(async () => {
    api = adminApi();
    ns = await newNamespace('map-health');
    const users = Array.from({ length: 40 }, (_, i) => ({ apiVersion: 'charter.dev/v1alpha1', kind: 'User', metadata: { name: `${P}-u${i}` }, spec: {} }));
    const grants = users.map((u, i) => ({
      apiVersion: 'charter.dev/v1alpha1',
      kind: 'Collaboration',
      metadata: { name: `g${i}`, namespace: ns },
      spec: { subject: { kind: 'User', name: u.metadata.name }, target: { kind: 'Application', name: `app${i}` }, rights: ['RIGHT_APPLICATION_INFO'] },
    }));
    objects = [...users, ...grants];
    await applyAll(api, objects);
    operator = await startOperator({ mapBudgetBytes: 2500, maxShards: 1 });
  }, 120_000);

  afterAll(async () => {
    try {
      if (api) await deleteAll(api, objects);
    } finally {
      await operator?.stop();
      api?.close();
    }
  });

  const ready = (o: Obj): Obj | undefined => o.status?.conditions?.find((c: Obj) => c.type === 'Ready');

  test('its grants are Ready=False (MapWithheld): InProgress / Progressing; Ready=True once the map fits', async () => {
    const grant = objects.find((o) => o.kind === 'Collaboration')!;
    const live = await eventually(async () => {
      const o = (await getObject(api, grant))!;
      if (o.status?.observedGeneration !== o.metadata.generation) throw new Error('not yet');
      return o;
    }, 'grant reconciled', { timeoutMs: 60_000, intervalMs: 200 });
    const index = (await mapConfigMaps(api, ns)).get('charter-permissions')!;
    expect(JSON.parse(index.data!['index.json']!)).toHaveProperty('withheld');
    expect(ready(live)).toMatchObject({ status: 'False', reason: 'MapWithheld', message: expect.stringContaining(`namespace ${ns}'s permission map is withheld`) });
    expect(live.status.conditions.find((c: Obj) => c.type === 'Accepted')).toMatchObject({ status: 'True' });
    expect(judge(live)).toBe('kstatus=InProgress argo=Progressing');

    // Fewer grants: the map fits in one shard, and the grants left are Ready=True (Current / Healthy).
    const removed = objects.filter((o) => o.kind === 'Collaboration').slice(2);
    await deleteAll(api, removed);
    const after = await eventually(async () => {
      const o = (await getObject(api, grant))!;
      if (ready(o)?.status !== 'True') throw new Error(`not yet: ${JSON.stringify(ready(o))}`);
      return o;
    }, 'grant Ready once its map is published', { timeoutMs: 60_000, intervalMs: 200 });
    expect(judge(after)).toBe('kstatus=Current argo=Healthy');
    expect(JSON.parse((await mapConfigMaps(api, ns)).get('charter-permissions')!.data!['index.json']!)).not.toHaveProperty('withheld');
  }, 120_000);
});
