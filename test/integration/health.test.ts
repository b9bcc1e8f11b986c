/**
 * Health as Flux and Argo CD read it, on a real API server: the real kstatus library (hack/kstatus, the
 * sigs.k8s.io/cli-utils Flux's health checks use) and Charter's Argo CD checks on gopher-lua (hack/argocd-health)
 * judge objects read back from the server, and `kubectl wait --for=condition=Ready` behaves as docs/deploy.md says:
 *
 *   fresh, before the operator ran   kstatus InProgress (the CRD defaults observedGeneration to -1)  Argo Progressing
 *   reconciled and Ready             Current                                                        Healthy
 *   invalid (an unknown right)       Failed (Stalled)                                               Degraded
 *   waiting for its subject          InProgress                                                     Progressing
 *   spec just changed                InProgress until the operator reconciled the new generation    Progressing
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MERGE_PATCH, type ApiClient } from '../../src/controller/api-client.ts';
import type { Operator } from '../../src/controller/operator.ts';
import { goTool, warnSkipped } from '../go-tools.ts';
import { kubeconfigPath, kubectl, newNamespace } from './support/cluster.ts';
import { KINDS } from '../../src/api/kinds.ts';
import { adminApi, applyAll, apply, deleteAll, eventually, getObject, pathOf, randomId, repoRoot, startOperator, type Obj } from './support/operator.ts';

const kstatusBin = goTool('kstatus');
const argocdBin = goTool('argocd-health');
if (!kstatusBin || !argocdBin) warnSkipped('the kstatus and Argo CD health tests (test/integration/health.test.ts)');
const withTools = kstatusBin && argocdBin ? describe : describe.skip;

interface Verdict {
  status: string;
  message: string;
}

function kstatus(o: Obj): Verdict & { observedGeneration: number | null } {
  const r = spawnSync(kstatusBin!, [], { input: JSON.stringify(o), encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`kstatus failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim()) as Verdict & { observedGeneration: number | null };
}

function argocd(o: Obj): Verdict {
  const r = spawnSync(argocdBin!, ['eval', join(repoRoot, 'argocd/resource_customizations')], { input: JSON.stringify(o), encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`argocd-health failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim()) as Verdict;
}

const resource = (o: Obj): string[] => [`${o.kind.toLowerCase()}s.charter.dev/${o.metadata.name}`, ...(o.metadata.namespace ? ['-n', o.metadata.namespace] : [])];

/**
 * `kubectl wait --for=condition=<condition> --timeout=<seconds>s` on one object. Asynchronous: the operator under test
 * runs in this process, and a synchronous child would stop it for as long as kubectl waits.
 */
function kubectlWait(o: Obj, condition: string, seconds: number): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('kubectl', ['--kubeconfig', kubeconfigPath(), 'wait', `--for=condition=${condition}`, `--timeout=${seconds}s`, ...resource(o)]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

withTools('health that Flux (kstatus) and Argo CD read', () => {
  const P = `h${randomId()}`;
  let api: ApiClient;
  let ns: string;
  let operator: Operator | undefined;
  let user: Obj, org: Obj, group: Obj, grant: Obj, badGrant: Obj, ghostGrant: Obj;
  const live = async (o: Obj): Promise<Obj> => (await getObject(api, o))!;
  const reconciled = (o: Obj): Promise<Obj> =>
    eventually(async () => {
      const current = await live(o);
      if (current.status?.observedGeneration !== current.metadata.generation) throw new Error(`status of generation ${current.status?.observedGeneration}, object of ${current.metadata.generation}`);
      return current;
    }, `${o.kind}/${o.metadata.name} reconciled`, { timeoutMs: 60_000, intervalMs: 100 });

  beforeAll(async () => {
    api = adminApi();
    ns = await newNamespace('health');
    org = { apiVersion: 'charter.dev/v1alpha1', kind: 'Organization', metadata: { name: `${P}-org` }, spec: { namespaces: [ns] } };
    user = { apiVersion: 'charter.dev/v1alpha1', kind: 'User', metadata: { name: `${P}-alice` }, spec: { state: 'Approved' } };
    group = { apiVersion: 'charter.dev/v1alpha1', kind: 'UserGroup', metadata: { name: `${P}-devs` }, spec: { members: { users: [`${P}-alice`] } } };
    const collab = (name: string, subject: string, rights: string[]): Obj => ({
      apiVersion: 'charter.dev/v1alpha1',
      kind: 'Collaboration',
      metadata: { name, namespace: ns },
      spec: { subject: { kind: 'User', name: subject }, target: { kind: 'Application', name: 'app1' }, rights },
    });
    grant = collab('ok', `${P}-alice`, ['RIGHT_APPLICATION_INFO']);
    badGrant = collab('bad', `${P}-alice`, ['RIGHT_NOPE']);
    ghostGrant = collab('ghost', `${P}-ghost`, ['RIGHT_APPLICATION_INFO']);
    await applyAll(api, [org, user, group, grant, badGrant, ghostGrant]);
  }, 120_000);

  afterAll(async () => {
    try {
      // The bad and ghost grants would otherwise be reported, as Warning Events, by every later file's operator.
      if (api) await deleteAll(api, [grant, badGrant, ghostGrant, group, user, org].filter(Boolean));
    } finally {
      await operator?.stop();
      api?.close();
    }
  });

  test('a fresh object, before the operator ran: the API server defaults observedGeneration to -1, so kstatus says InProgress', async () => {
    for (const o of [org, user, group, grant, badGrant, ghostGrant]) {
      const fresh = await live(o);
      expect(fresh.status).toEqual({ observedGeneration: -1 }); // CRD defaulting applies to the status of a new object
      expect(kstatus(fresh)).toMatchObject({ status: 'InProgress', message: `${o.kind} generation is 1, but latest observed generation is -1` });
      expect(argocd(fresh)).toEqual({ status: 'Progressing', message: 'Waiting for the Charter operator to reconcile it' });
      // The trap the default avoids: without any status, kstatus would call the object Current.
      const { status: _status, ...withoutStatus } = fresh;
      expect(kstatus(withoutStatus).status).toBe('Current');
    }
    const wait = await kubectlWait(user, 'Ready', 1);
    expect(wait.status).not.toBe(0);
    expect(wait.stderr).toMatch(/timed out/);
  }, 60_000);

  test('reconciled: Ready objects are Current and Healthy, and `kubectl wait --for=condition=Ready` returns', async () => {
    operator = await startOperator();
    for (const o of [org, user, group, grant]) {
      const wait = await kubectlWait(o, 'Ready', 60);
      expect(`${wait.stdout}${wait.stderr}`).toMatch(/condition met/);
      expect(wait.status).toBe(0);
      const current = await reconciled(o);
      expect(kstatus(current)).toMatchObject({ status: 'Current', observedGeneration: 1 });
      expect(argocd(current).status).toBe('Healthy');
    }
  }, 180_000);

  test('invalid (a right the catalog lacks): Stalled, so kstatus says Failed and Argo CD Degraded; Ready never comes', async () => {
    const bad = await reconciled(badGrant);
    expect(bad.status.conditions).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'Stalled', status: 'True', reason: 'UnknownRight' })]));
    expect(kstatus(bad)).toMatchObject({ status: 'Failed', message: expect.stringContaining('RIGHT_NOPE') });
    expect(argocd(bad)).toEqual({ status: 'Degraded', message: expect.stringMatching(/^UnknownRight: spec\.rights: RIGHT_NOPE/) });
    expect((await kubectlWait(badGrant, 'Stalled', 30)).status).toBe(0);
    const ready = await kubectlWait(badGrant, 'Ready', 2);
    expect(ready.status).not.toBe(0);
    expect(ready.stderr).toMatch(/timed out/);
  }, 60_000);

  test('waiting for its subject: Ready=False without Stalled is InProgress and Progressing, not a failure', async () => {
    const ghost = await reconciled(ghostGrant);
    expect(ghost.status.conditions.map((c: Obj) => c.type)).not.toContain('Stalled');
    expect(kstatus(ghost)).toMatchObject({ status: 'InProgress', message: expect.stringContaining('does not exist') });
    expect(argocd(ghost)).toMatchObject({ status: 'Progressing', message: expect.stringMatching(/^SubjectNotFound: /) });
  }, 60_000);

  test('a spec that just changed is InProgress until the operator reconciled that generation; then Current again', async () => {
    await operator!.stop();
    operator = undefined;
    await apply(api, { ...user, spec: { state: 'Suspended' } });
    await apply(api, { ...badGrant, spec: { ...badGrant.spec, rights: ['RIGHT_APPLICATION_INFO'] } });
    for (const o of [user, badGrant]) {
      const changed = await live(o);
      expect(changed.metadata.generation).toBe(2);
      expect(kstatus(changed)).toMatchObject({ status: 'InProgress', message: `${o.kind} generation is 2, but latest observed generation is 1`, observedGeneration: 1 });
      expect(argocd(changed)).toEqual({ status: 'Progressing', message: 'Waiting for the Charter operator to reconcile generation 2 (the status is of generation 1)' });
    }
    // The user's Ready=True is of generation 1: kubectl wait does not take it for the new spec's.
    expect((await live(user)).status.conditions.find((c: Obj) => c.type === 'Ready').status).toBe('True');
    expect((await kubectlWait(user, 'Ready', 2)).status).not.toBe(0);

    operator = await startOperator();
    expect((await kubectlWait(user, 'Ready', 60)).status).toBe(0);
    for (const o of [user, badGrant]) {
      const current = await reconciled(o);
      expect(current.status.observedGeneration).toBe(2);
      expect(current.status.conditions.map((c: Obj) => c.type)).not.toContain('Stalled');
      expect(kstatus(current)).toMatchObject({ status: 'Current', observedGeneration: 2 });
      expect(argocd(current).status).toBe('Healthy');
    }
  }, 180_000);

  test("a condition another field manager added to the status is removed: Stalled=True by someone else does not leave a grant Failed / Degraded", async () => {
    const before = await reconciled(grant);
    const types = (o: Obj): string[] => o.status.conditions.map((c: Obj) => `${c.type}=${c.status}`);
    const conditions = [...before.status.conditions, { type: 'Stalled', status: 'True', reason: 'Foreign', message: 'written by someone else', lastTransitionTime: '2026-01-01T00:00:00Z' }];
    await api.request('PATCH', `${pathOf(grant)}/status`, { contentType: MERGE_PATCH, query: { fieldManager: 'someone-else' }, body: { status: { conditions } } });
    const after = await eventually(async () => {
      const o = await live(grant);
      if (types(o).includes('Stalled=True')) throw new Error(`still there: ${types(o).join(', ')}`);
      return o;
    }, 'the foreign condition removed', { timeoutMs: 30_000, intervalMs: 200 });
    expect(types(after)).toEqual(types(before));
    expect(kstatus(after).status).toBe('Current');
    expect(argocd(after).status).toBe('Healthy');
  }, 60_000);

  test('the argocd-cm patch in docs/deploy.md installs the four checks and keeps the other settings', () => {
    const doc = readFileSync(join(repoRoot, 'docs/deploy.md'), 'utf8');
    const command = [...doc.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!).find((block) => block.includes('argocd-cm --type merge'));
    expect(command).toBeDefined();
    kubectl(['create', 'namespace', 'argocd']); // AlreadyExists on a second run of a reused cluster: fine
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'argocd-cm', namespace: 'argocd' }, data: { url: 'https://argocd.example.com' } };
    expect(kubectl(['apply', '-f', '-'], { input: JSON.stringify(cm) }).status).toBe(0);
    // stdin from /dev/null: on a socket (Node's default pipe) with SHLVL unset, Debian's bash reads /etc/bash.bashrc
    // as if started by sshd, and under -u that file's $PS1 test prints an error.
    const run = spawnSync('bash', ['-euo', 'pipefail', '-c', command!], { cwd: repoRoot, env: { ...process.env, KUBECONFIG: kubeconfigPath() }, encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const data = JSON.parse(kubectl(['-n', 'argocd', 'get', 'configmap', 'argocd-cm', '-o', 'json']).stdout).data as Record<string, string>;
    expect(data.url).toBe('https://argocd.example.com');
    for (const kind of KINDS) {
      expect(data[`resource.customizations.health.charter.dev_${kind}`]).toBe(readFileSync(join(repoRoot, `argocd/resource_customizations/charter.dev/${kind}/health.lua`), 'utf8'));
    }
  }, 60_000);
});
