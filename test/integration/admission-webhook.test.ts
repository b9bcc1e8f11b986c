/**
 * Charter's admission webhook against the real kube-apiserver, which calls it over TLS: two operator replicas (a
 * leader and a follower, leader election on a Lease) serve it behind a loopback TCP proxy standing in for the
 * Service; a ValidatingWebhookConfiguration sends the four kinds to the proxy (URL-style), leaving out
 * system:masters at the API server as the chart and the local control plane do.
 *
 * Impersonated requesters (`kubectl --as`, with RBAC that lets them write Charter objects) are answered by Charter:
 * a denial carries its reason in kubectl's message, `--dry-run=server` agrees, bypass identities pass, a denial on an
 * existing object leaves an Event. Both replicas answer, the follower from an engine as current as the leader's. Two
 * removals of owners sent at once to one replica are judged one after the other (the second denied LastOwner). A
 * replaced serving certificate is served without a restart (the API server, given only the new CA, still gets
 * answers). With no operator answering, writes fail closed; with failurePolicy Ignore they go through.
 */
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { Registry } from 'prom-client';
import { stringify } from 'yaml';
import type { Operator } from '../../src/controller/operator.ts';
import { webhookConfiguration, WEBHOOK_NAME } from '../../src/devcluster/admission.ts';
import { issueCert, type IssuedCert } from '../../src/devcluster/x509.ts';
import { spawn } from 'node:child_process';
import { charterWriterRbac, kubeconfigPath, newNamespace } from './support/cluster.ts';
import { KubeConfig } from '@kubernetes/client-node';
import { adminApi, eventually, randomId, startOperator, type Obj } from './support/operator.ts';

jest.setTimeout(120_000);

const id = randomId();
const VWC = `charter-webhook-test-${id}`;
const ROLE = `charter-webhook-test-writers-${id}`;
const BYPASS_USER = 'ci-bot';
const api = adminApi();
let ns: string;
/** The namespaces this file made: their Collaborations are deleted at the end, so no later file's operator reports them. */
const madeIn: string[] = [];
let certDir: string;
let ca: IssuedCert;
let replace: (pair: IssuedCert) => void;
let a: Operator;
let b: Operator;
let proxy: SwitchProxy;

/** A loopback TCP proxy to one of several backends, like a Service: TLS passes through it. */
class SwitchProxy {
  readonly sockets = new Set<Socket>();
  target = 0;
  private readonly server: Server;
  readonly port: number;
  private constructor(server: Server, port: number) {
    this.server = server;
    this.port = port;
  }

  static async start(backends: () => number[]): Promise<SwitchProxy> {
    let self!: SwitchProxy;
    const server = createServer((client) => {
      const upstream = createConnection({ host: '127.0.0.1', port: backends()[self.target]! });
      for (const s of [client, upstream]) {
        self.sockets.add(s);
        s.on('close', () => self.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    self = new SwitchProxy(server, (server.address() as { port: number }).port);
    return self;
  }

  /** Sends new connections to backend `i` and drops the open ones (the API server reconnects). */
  route(i: number): void {
    this.target = i;
    for (const s of this.sockets) s.destroy();
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.server.close(r));
  }
}

/** A folder as the kubelet writes a Secret volume: tls.crt → ..data/tls.crt, and ..data swapped atomically. */
function secretVolume(first: IssuedCert): { dir: string; replace: (pair: IssuedCert) => void } {
  const dir = mkdtempSync(join(tmpdir(), 'charter-webhook-'));
  let version = 0;
  const write = (pair: IssuedCert): void => {
    const folder = `..v${++version}`;
    mkdirSync(join(dir, folder));
    writeFileSync(join(dir, folder, 'tls.crt'), pair.certPem);
    writeFileSync(join(dir, folder, 'tls.key'), pair.keyPem);
    symlinkSync(folder, join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
  };
  write(first);
  symlinkSync('..data/tls.crt', join(dir, 'tls.crt'));
  symlinkSync('..data/tls.key', join(dir, 'tls.key'));
  return { dir, replace: write };
}

/** The admin's kubeconfig (client certificate), for requests that impersonate. */
function kubeConfigOf(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath());
  return kc;
}

const servingCert = (issuer: IssuedCert): IssuedCert => issueCert({ commonName: 'charter-admission', usage: 'server', hosts: ['127.0.0.1'] }, issuer);

async function replica(identity: string): Promise<Operator> {
  return startOperator({
    registry: new Registry(),
    leaderElection: { namespace: ns, name: `webhook-${id}`, identity, leaseDurationMs: 4000, renewDeadlineMs: 3000, retryPeriodMs: 500 },
    admission: {
      port: 0,
      host: '127.0.0.1',
      certFile: join(certDir, 'tls.crt'),
      keyFile: join(certDir, 'tls.key'),
      options: { bypassUsers: [BYPASS_USER], bypassGroups: ['system:masters'], selfRegistration: true },
      certificatePollMs: 500,
    },
  });
}

async function registerWebhook(caPem: string, failurePolicy: 'Fail' | 'Ignore' = 'Fail', port = proxy.port): Promise<void> {
  const configuration = webhookConfiguration({ name: VWC, url: `https://127.0.0.1:${port}/validate`, caBundle: caPem, failurePolicy, skipGroups: ['system:masters'], timeoutSeconds: 5 });
  await api.request('PATCH', `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${VWC}`, {
    contentType: 'application/apply-patch+yaml',
    query: { fieldManager: 'charter-webhook-test', force: true },
    body: configuration,
  });
}

const collaboration = (name: string, rights = ['RIGHT_APPLICATION_INFO']): Obj => ({
  apiVersion: 'charter.dev/v1alpha1',
  kind: 'Collaboration',
  metadata: { name, namespace: ns },
  spec: { subject: { kind: 'User', name: `bob-${id}` }, target: { kind: 'Application', name: 'app1' }, rights },
});

const yaml = (o: Obj): string => stringify(o);

/**
 * kubectl as a child process, awaited: the operators run in this process, so a synchronous spawn would keep them
 * from answering the API server's calls while kubectl waits for them.
 */
function kubectl(args: string[], opts: { input?: string } = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('kubectl', ['--kubeconfig', kubeconfigPath(), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** Sums charter_admission_requests_total of a replica whose labels include `labels`. */
async function answered(op: Operator, labels: Record<string, string> = {}): Promise<number> {
  return (await op.metrics.admissionRequests.get()).values
    .filter((v) => Object.entries(labels).every(([k, x]) => (v.labels as Record<string, unknown>)[k] === x))
    .reduce((sum, v) => sum + v.value, 0);
}

/** kubectl's denial: `Error from server (<Reason>): … admission webhook "validate.charter.dev" denied the request: <Reason>: …`. */
const DENIAL = new RegExp(`Error from server \\((\\w+)\\):[\\s\\S]*admission webhook "${WEBHOOK_NAME.replace(/\./g, '\\.')}" denied the request: (\\w+): `);

function expectDenied(r: { status: number | null; stderr: string }): string {
  expect(r.status).not.toBe(0);
  const m = DENIAL.exec(r.stderr);
  if (!m) throw new Error(`expected a denial by Charter's webhook, kubectl said: ${r.stderr}`);
  expect(m[1]).toBe(m[2]); // the reason in parentheses is the first failed rule's
  return m[1]!;
}

async function exists(o: Obj): Promise<boolean> {
  const r = await kubectl(['get', 'collaboration', o.metadata.name, '-n', ns, '-o', 'name']);
  return r.status === 0;
}

beforeAll(async () => {
  ns = await newNamespace('webhook');
  madeIn.push(ns);
  ca = issueCert({ commonName: 'charter-webhook-test-ca', usage: 'ca' });
  const volume = secretVolume(servingCert(ca));
  certDir = volume.dir;
  replace = volume.replace;
  // RBAC lets these identities write Charter objects: what they may change is then Charter's to decide.
  const rbac = charterWriterRbac(ROLE, ['alice', 'bob', 'carol', BYPASS_USER]);
  const applied = await kubectl(['apply', '-f', '-'], { input: rbac.map(yaml).join('---\n') });
  expect(applied.stderr).toBe('');
  a = await replica(`a-${id}`);
  await eventually(() => a.isLeader, 'replica a to lead', { timeoutMs: 20_000 });
  b = await replica(`b-${id}`);
  proxy = await SwitchProxy.start(() => [a.admissionPort!, b.admissionPort!]);
  await registerWebhook(ca.certPem);
  // The API server picks up a new webhook configuration within a moment: wait until Charter answers.
  await eventually(async () => {
    const r = await kubectl(['--as', 'alice', 'apply', '--dry-run=server', '-f', '-'], { input: yaml(collaboration('probe')) });
    if (!DENIAL.test(r.stderr)) throw new Error(`kubectl: ${r.status} ${r.stdout} ${r.stderr}`);
  }, 'the webhook to be called', {
    timeoutMs: 30_000,
    intervalMs: 300,
  });
});

afterAll(async () => {
  await api.request('DELETE', `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${VWC}`).catch(() => undefined);
  await kubectl(['delete', 'clusterrolebinding,clusterrole', ROLE, '--ignore-not-found']);
  // What this file made (grants to users that never existed among them) would otherwise be reported, as Warning
  // Events, by every later file's operator.
  for (const namespace of madeIn) await kubectl(['delete', 'collaborations.charter.dev', '--all', '-n', namespace, '--ignore-not-found', '--wait=false']);
  const cluster = await kubectl(['get', 'users.charter.dev,organizations.charter.dev,usergroups.charter.dev', '-o', 'name']);
  const mine = cluster.stdout.split('\n').filter((name) => name.endsWith(`-${id}`));
  if (mine.length > 0) await kubectl(['delete', ...mine, '--ignore-not-found', '--wait=false']);
  await Promise.all([a?.stop(), b?.stop()]);
  await proxy?.close();
  api.close();
  if (certDir) rmSync(certDir, { recursive: true, force: true });
});

describe('the admission webhook, called by kube-apiserver', () => {
  test('an impersonated requester is denied with the reason in kubectl\'s message; nothing is created', async () => {
    const before = await answered(a, { verdict: 'denied' });
    const c = collaboration(`alice-${id}`);
    const reason = expectDenied(await kubectl(['--as', 'alice', 'apply', '-f', '-'], { input: yaml(c) }));
    expect(reason).toMatch(/^[A-Z][A-Za-z]+$/);
    expect(await exists(c)).toBe(false);
    expect(await answered(a, { verdict: 'denied', kind: 'Collaboration', operation: 'CREATE', reason })).toBeGreaterThan(0);
    expect(await answered(a, { verdict: 'denied' })).toBeGreaterThan(before);
  });

  test('--dry-run=server gets the same answer, and persists nothing', async () => {
    const c = collaboration(`dry-${id}`);
    const real = expectDenied(await kubectl(['--as', 'alice', 'apply', '-f', '-'], { input: yaml(c) }));
    const dry = expectDenied(await kubectl(['--as', 'alice', 'apply', '--dry-run=server', '-f', '-'], { input: yaml(c) }));
    expect(dry).toBe(real);
    const allowed = await kubectl(['--as', BYPASS_USER, 'apply', '--dry-run=server', '-f', '-'], { input: yaml(c) });
    expect(allowed.stderr).toBe('');
    expect(allowed.stdout).toContain('(server dry run)');
  });

  test('bypass identities pass: a bypass user through the webhook (Platform), the admin without it (system:masters is left out at the API server)', async () => {
    const before = await answered(a, { verdict: 'allowed', reason: 'Platform' });
    const byBot = collaboration(`bot-${id}`);
    const r = await kubectl(['--as', BYPASS_USER, 'apply', '-f', '-'], { input: yaml(byBot) });
    expect(r.stderr).toBe('');
    expect(await exists(byBot)).toBe(true);
    expect(await answered(a, { verdict: 'allowed', reason: 'Platform' })).toBe(before + 1);
    const byAdmin = collaboration(`admin-${id}`);
    const total = await answered(a);
    expect((await kubectl(['apply', '-f', '-'], { input: yaml(byAdmin) })).stderr).toBe('');
    expect(await exists(byAdmin)).toBe(true);
    expect(await answered(a)).toBe(total);
  });

  test('a denied change of an existing object leaves it unchanged and records a Warning Event on it', async () => {
    const c = collaboration(`evented-${id}`);
    expect((await kubectl(['apply', '-f', '-'], { input: yaml(c) })).stderr).toBe('');
    const reason = expectDenied(await kubectl(['--as', 'alice', 'delete', 'collaboration', c.metadata.name, '-n', ns]));
    const changed = expectDenied(await kubectl(['--as', 'bob', 'apply', '-f', '-'], { input: yaml(collaboration(c.metadata.name, ['RIGHT_APPLICATION_ALL'])) }));
    expect(await exists(c)).toBe(true);
    expect((await kubectl(['get', 'collaboration', c.metadata.name, '-n', ns, '-o', 'jsonpath={.spec.rights}'])).stdout).toBe('["RIGHT_APPLICATION_INFO"]');
    const events = await eventually(async () => {
      const list = await api.request<{ items: Obj[] }>('GET', `/apis/events.k8s.io/v1/namespaces/${ns}/events`);
      const mine = list.items.filter((e) => e.regarding?.name === c.metadata.name && e.action === 'Admit');
      if (mine.length < 2) throw new Error(`Events so far: ${JSON.stringify(list.items.map((e) => [e.regarding?.name, e.reason, e.note]))}`);
      return mine;
    }, 'the denial Events');
    expect(events.map((e) => e.type)).toEqual(['Warning', 'Warning']);
    expect(events.map((e) => e.reason).sort()).toEqual([reason, changed].sort());
    expect(events.map((e) => e.note).join('\n')).toMatch(/DELETE by alice denied: /);
    expect(events.map((e) => e.note).join('\n')).toMatch(/UPDATE by bob denied: /);
  });

  test('both replicas answer — the follower from an engine as current as the leader\'s', async () => {
    expect(a.isLeader).toBe(true);
    expect(b.isLeader).toBe(false);
    const user = `follower-${id}`;
    expect((await kubectl(['apply', '-f', '-'], { input: yaml({ apiVersion: 'charter.dev/v1alpha1', kind: 'User', metadata: { name: user }, spec: {} }) })).stderr).toBe('');
    await eventually(() => b.reconciler.engine?.model.users.has(user) === true, 'the follower to apply the new User to its engine');
    const reasons: string[] = [];
    for (const [i, replica] of [a, b].entries()) {
      proxy.route(i);
      const before = await answered(replica);
      reasons.push(expectDenied(await kubectl(['--as', 'alice', 'apply', '--dry-run=server', '-f', '-'], { input: yaml(collaboration(`either-${id}`)) })));
      expect(await answered(replica)).toBe(before + 1);
    }
    expect(reasons[1]).toBe(reasons[0]);
    proxy.route(0);
  });

  test('malformed bodies sent straight to a replica are denied and do not stop it', async () => {
    const post = (body: string): Promise<{ status: number; body: Obj }> =>
      new Promise((resolve, reject) => {
        const req = httpsRequest({ host: '127.0.0.1', port: b.admissionPort, path: '/validate', method: 'POST', ca: ca.certPem, headers: { 'Content-Type': 'application/json' } }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Obj }));
        });
        req.on('error', reject);
        req.end(body);
      });
    for (const body of ['{', '[]', JSON.stringify({ apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: { uid: 'x' } })]) {
      const r = await post(body);
      expect(r.body.response).toMatchObject({ allowed: false, status: { code: 403, reason: 'Malformed' } });
    }
    expect(await answered(b, { reason: 'Malformed' })).toBeGreaterThanOrEqual(3);
    proxy.route(1);
    expectDenied(await kubectl(['--as', 'alice', 'apply', '--dry-run=server', '-f', '-'], { input: yaml(collaboration(`after-${id}`)) }));
    proxy.route(0);
  });

  test('two removals of owners sent at once to one replica: one passes, the other is judged after it and denied LastOwner', async () => {
    // Organization with two full members, carol (identity `carol`) and owner2: carol removes owner2's membership and
    // her own in two requests sent together. Judged on the same state both would pass (each leaves an owner); the
    // replica judges the second after the first has come back through its watch, when it would leave none.
    const owned = await newNamespace('owners');
    madeIn.push(owned);
    const org = `owners-${id}`;
    const carol = `carol-${id}`;
    const owner2 = `owner2-${id}`;
    const membership = (name: string, user: string): Obj => ({
      apiVersion: 'charter.dev/v1alpha1',
      kind: 'Collaboration',
      metadata: { name, namespace: owned },
      spec: { subject: { kind: 'User', name: user }, target: { kind: 'Organization', name: org }, rights: ['RIGHT_ALL'] },
    });
    const objects: Obj[] = [
      { apiVersion: 'charter.dev/v1alpha1', kind: 'Organization', metadata: { name: org }, spec: { namespaces: [owned] } },
      { apiVersion: 'charter.dev/v1alpha1', kind: 'User', metadata: { name: carol }, spec: { identities: ['carol'] } },
      { apiVersion: 'charter.dev/v1alpha1', kind: 'User', metadata: { name: owner2 }, spec: {} },
      membership('m-carol', carol),
      membership('m-owner2', owner2),
    ];
    expect((await kubectl(['apply', '-f', '-'], { input: objects.map(yaml).join('---\n') })).stderr).toBe('');
    await eventually(() => a.reconciler.engine?.organizationMembers(org).size === 2, 'replica a to see both owners');
    proxy.route(0);
    // Straight to the API server, both at once (two kubectl processes would start tens of milliseconds apart).
    const kc = kubeConfigOf();
    const user = kc.getCurrentUser()!;
    const server = new URL(kc.getCurrentCluster()!.server);
    const remove = (name: string): Promise<{ status: number; message: string }> =>
      new Promise((resolve, reject) => {
        const req = httpsRequest(
          {
            host: server.hostname,
            port: server.port,
            path: `/apis/charter.dev/v1alpha1/namespaces/${owned}/collaborations/${name}`,
            method: 'DELETE',
            ca: Buffer.from(kc.getCurrentCluster()!.caData!, 'base64'),
            cert: Buffer.from(user.certData!, 'base64'),
            key: Buffer.from(user.keyData!, 'base64'),
            headers: { 'Impersonate-User': 'carol', Accept: 'application/json' },
          },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (d: string) => (text += d));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, message: (JSON.parse(text) as { message?: string }).message ?? '' }));
          },
        );
        req.on('error', reject);
        req.end();
      });
    const results = await Promise.all([remove('m-owner2'), remove('m-carol')]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 403]);
    const denied = results.find((r) => r.status === 403)!;
    expect(denied.message).toMatch(new RegExp(`LastOwner: Organization/${org} would be left without a member holding every Organization right`));
    const left = await api.request<{ items: Obj[] }>('GET', `/apis/charter.dev/v1alpha1/namespaces/${owned}/collaborations`);
    expect(left.items).toHaveLength(1);
  });

  test('a replaced serving certificate is served without a restart; the API server, trusting only the new CA, gets answers', async () => {
    const serial = (pem: string): string => new X509Certificate(pem).serialNumber;
    const served = (port: number): Promise<string> =>
      new Promise((resolve, reject) => {
        const req = httpsRequest({ host: '127.0.0.1', port, path: '/validate', method: 'GET', ca: ca.certPem, agent: false, rejectUnauthorized: false }, (res) => {
          resolve((res.socket as TLSSocket).getPeerCertificate().serialNumber);
          res.resume();
        });
        req.on('error', reject);
        req.end();
      });
    const sameCa = servingCert(ca);
    replace(sameCa);
    await eventually(async () => (await served(a.admissionPort!)) === serial(sameCa.certPem) && (await served(b.admissionPort!)) === serial(sameCa.certPem), 'both replicas to serve the new certificate');
    const newCa = issueCert({ commonName: 'charter-webhook-test-ca-2', usage: 'ca' });
    const renewed = servingCert(newCa);
    replace(renewed);
    await eventually(() => a.admissionCertificate?.serialNumber === serial(renewed.certPem) && b.admissionCertificate?.serialNumber === serial(renewed.certPem), 'the certificate of the new CA to load');
    await registerWebhook(newCa.certPem);
    await eventually(async () => DENIAL.test((await kubectl(['--as', 'alice', 'apply', '--dry-run=server', '-f', '-'], { input: yaml(collaboration(`renewed-${id}`)) })).stderr), 'Charter to answer with the new certificate', { timeoutMs: 30_000, intervalMs: 300 });
    ca = newCa;
  });

  test('no operator answering: writes fail closed (failurePolicy Fail), the admin still writes; with Ignore they go through', async () => {
    await Promise.all([a.stop(), b.stop()]);
    const c = collaboration(`down-${id}`);
    const refused = await kubectl(['--as', BYPASS_USER, 'apply', '-f', '-'], { input: yaml(c) });
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(new RegExp(`failed calling webhook "${WEBHOOK_NAME.replace(/\./g, '\\.')}"`));
    expect(await exists(c)).toBe(false);
    expect((await kubectl(['apply', '-f', '-'], { input: yaml(collaboration(`down-admin-${id}`)) })).stderr).toBe('');
    await registerWebhook(ca.certPem, 'Ignore');
    await eventually(async () => (await kubectl(['--as', 'alice', 'apply', '-f', '-'], { input: yaml(c) })).status === 0, 'an unjudged write with failurePolicy Ignore', { timeoutMs: 30_000, intervalMs: 300 });
    expect(await exists(c)).toBe(true);
  });
});
