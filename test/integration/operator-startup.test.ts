/**
 * Starting and stopping the operator, on the real API server:
 *
 * - a permanent misconfiguration — the Lease's namespace does not exist, the identity may not list what it watches,
 *   a resource the API server does not serve (CRDs not installed) — is one error in the log and a failing /readyz
 *   that says why, not a warning every retry; fixing the cluster makes it ready without a restart;
 * - SIGINT / SIGTERM of `npm start` (src/controller/main.ts as a process): the operator stops first and releases the
 *   Lease (holder cleared), then the embedded control plane, if it started one, goes.
 */
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { Writable } from 'node:stream';
import { CoreV1Api } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { loadCatalog } from '../../src/catalog/load-catalog.ts';
import type { ApiClient } from '../../src/controller/api-client.ts';
import { Informer } from '../../src/controller/informer.ts';
import { createLogger, type Logger } from '../../src/controller/logger.ts';
import { Operator } from '../../src/controller/operator.ts';
import { kubeConfig, kubeConfigWithToken, newNamespace } from './support/cluster.ts';
import { adminApi, eventually, leaseHolder, randomId, sleep, spawnOperator, stopSpawned, type OperatorProcess } from './support/operator.ts';

jest.setTimeout(120_000);

const P = `startup-${randomId()}`;
let api: ApiClient;
const stops: Array<() => Promise<unknown>> = [];

interface LogEntry {
  level: string;
  message: string;
  [field: string]: unknown;
}

/** A logger whose JSON lines are kept. */
function capture(): { logger: Logger; entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done): void {
      for (const line of chunk.toString('utf8').split('\n')) if (line) entries.push(JSON.parse(line) as LogEntry);
      done();
    },
  });
  return { logger: createLogger('debug', { stream }), entries };
}

async function readyz(port: number): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}/readyz`);
  return { status: res.status, body: (await res.text()).trim() };
}

const LEASE = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 200 };

beforeAll(() => {
  api = adminApi();
});

afterAll(async () => {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
  await stopSpawned();
  api?.close();
});

describe('a permanent misconfiguration at start: one error, /readyz says why, recovers once fixed', () => {
  test('the Lease namespace does not exist', async () => {
    const leaseNs = `${P}-lease`;
    const { logger, entries } = capture();
    const operator = new Operator({
      kubeConfig: kubeConfig(),
      catalog: loadCatalog(),
      logger,
      port: 0,
      registry: new Registry(),
      leaderElection: { namespace: leaseNs, name: P, identity: `${P}-a`, ...LEASE },
    });
    stops.push(() => operator.stop());
    await operator.start();
    const port = operator.port!;
    const notReady = (await eventually(async () => {
      const r = await readyz(port);
      return r.status === 503 && r.body.includes('does not exist') ? r : false;
    }, 'readyz to fail with the reason')) as { body: string };
    expect(notReady.body).toBe(
      `not ready: cannot create the leader Lease ${leaseNs}/${P}: POST /apis/coordination.k8s.io/v1/namespaces/${leaseNs}/leases: 404 NotFound: namespaces "${leaseNs}" not found — ` +
        `the Lease's namespace "${leaseNs}" does not exist: create it (kubectl create namespace ${leaseNs}) or choose another with --lease-namespace`,
    );
    expect(operator.ready).toBe(false);
    // Many retry periods later: still one error, no warning per attempt, not leading.
    await sleep(LEASE.retryPeriodMs * 10);
    const errors = entries.filter((e) => e.level === 'error');
    expect(errors.map((e) => e.message)).toEqual([expect.stringContaining(`namespaces "${leaseNs}" not found`)]);
    expect(entries.filter((e) => e.level === 'warn')).toEqual([]);
    expect(entries.filter((e) => e.level === 'debug' && e.message.startsWith('still: ')).length).toBeGreaterThan(2);
    expect(operator.isLeader).toBe(false);

    // Fixed: the namespace appears; it leads and is ready without a restart.
    await kubeConfig().makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: leaseNs } } });
    await eventually(() => operator.isLeader, 'leadership once the namespace exists');
    expect(await readyz(port)).toEqual({ status: 200, body: 'ok' });
    expect(entries.some((e) => e.level === 'info' && e.message.startsWith('resolved: cannot create the leader Lease'))).toBe(true);
    expect(entries.some((e) => e.message === 'became the leader')).toBe(true);
  });

  test('forbidden: an identity that may not list what the operator watches', async () => {
    // A ServiceAccount with no RBAC at all.
    const ns = await newNamespace(P);
    const core = kubeConfig().makeApiClient(CoreV1Api);
    await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'nobody' } } });
    const token = (await core.createNamespacedServiceAccountToken({ name: 'nobody', namespace: ns, body: { spec: { audiences: [], expirationSeconds: 3600 } } })).status!.token!;
    const { logger, entries } = capture();
    const operator = new Operator({ kubeConfig: kubeConfigWithToken(token), catalog: loadCatalog(), logger, port: 0, registry: new Registry(), leaderElection: false });
    stops.push(() => operator.stop());
    const started = operator.start().then(
      () => 'started',
      () => 'stopped',
    );
    const body = await eventually(async () => {
      if (!operator.port) return false;
      const r = await readyz(operator.port);
      return r.status === 503 && r.body.includes('forbidden') && r.body.includes('/apis/charter.dev/v1alpha1/users') ? r.body : false;
    }, 'readyz to fail with the reason');
    // One reason per informer, joined by "; " in whatever order they failed.
    expect(body).toMatch(/^not ready: cannot list /);
    expect(body).toMatch(/cannot list \/apis\/charter\.dev\/v1alpha1\/users: The list request failed: 403 Forbidden: users\.charter\.dev is forbidden: User "system:serviceaccount:[^"]*:nobody" cannot list/);
    expect(body).toContain("the operator's identity is not allowed to: see its RBAC");
    // Retried with backoff: each watched resource logs its error once, however many retries happened.
    await sleep(2000);
    const errors = entries.filter((e) => e.level === 'error');
    const perResource = new Map<string, number>();
    for (const e of errors) perResource.set(String(e.resource), (perResource.get(String(e.resource)) ?? 0) + 1);
    expect([...perResource.values()].every((n) => n === 1)).toBe(true);
    expect([...perResource.keys()].sort()).toEqual(['Collaboration', 'ConfigMap', 'Namespace', 'Organization', 'User', 'UserGroup']);
    expect(entries.filter((e) => e.level === 'warn')).toEqual([]);
    expect(entries.filter((e) => e.level === 'debug' && e.message.startsWith('still: ')).length).toBeGreaterThan(0);
    await operator.stop();
    expect(await started).toBe('stopped');
  });

  test('a resource the API server does not serve (its CRD is not installed)', async () => {
    const { logger, entries } = capture();
    const reasons: Array<string | undefined> = [];
    const path = '/apis/charter.dev/v1alpha1/notinstalleds';
    const informer = new Informer({ kubeConfig: kubeConfig(), path, name: 'NotInstalled', logger, backoff: { initialMs: 20, maxMs: 100 }, onProblem: (r) => reasons.push(r) });
    stops.push(() => informer.stop());
    void informer.start().catch(() => undefined);
    await eventually(() => entries.filter((e) => e.message.startsWith('still: ')).length >= 5, 'several quiet retries');
    expect(reasons).toEqual([
      `cannot list ${path}: The list request failed: 404 Not Found: 404 page not found — the API server does not serve it: is its CustomResourceDefinition installed? (kubectl apply -f crds/, or the Helm chart)`,
    ]);
    expect(entries.filter((e) => e.level === 'error')).toHaveLength(1);
    expect(entries.filter((e) => e.level === 'warn')).toEqual([]);
    await informer.stop();
  });
});

describe('stopping `npm start` (src/controller/main.ts, a process)', () => {
  const leaderLine = (p: OperatorProcess): boolean => p.lines.some((l) => l.includes('"message":"became the leader"'));

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    test(`${signal}: the operator stops and releases its Lease (holder cleared), exit 0`, async () => {
      const leaseNs = await newNamespace(`${P}-${signal.toLowerCase()}`);
      const proc = spawnOperator(`${P}-${signal}`, ['--lease-namespace', leaseNs, '--lease-name', P]);
      await eventually(() => leaderLine(proc), `${proc.identity} to lead`, { timeoutMs: 60_000 });
      expect(await leaseHolder(api, leaseNs, P)).toBe(proc.identity);
      proc.child.kill(signal);
      expect(await proc.exited).toBe(0);
      expect(proc.lines.filter((l) => l.includes('released the leader lease'))).toHaveLength(1);
      // (Other test files' objects in the shared cluster may warn; the Lease's lines may not.)
      expect(proc.lines.filter((l) => /could not release|leader lease request failed|lease attempt timed out|stopped leading: (?!released)/.test(l))).toEqual([]);
      expect(await leaseHolder(api, leaseNs, P)).toBeUndefined();
    });
  }

  test('SIGINT with the embedded control plane (--kubeconfig none): the Lease is released before the control plane stops', async () => {
    const proc = spawnOperator(`${P}-embedded`, ['--kubeconfig', 'none']);
    await eventually(() => leaderLine(proc), 'the embedded operator to lead', { timeoutMs: 110_000, intervalMs: 200 });
    proc.child.kill('SIGINT');
    expect(await proc.exited).toBe(0);
    expect(proc.lines.filter((l) => l.includes('released the leader lease'))).toHaveLength(1);
    expect(proc.lines.filter((l) => /could not release|leader lease request failed|lease attempt timed out|stopped leading: (?!released)/.test(l))).toEqual([]);
  }, 180_000);
});
