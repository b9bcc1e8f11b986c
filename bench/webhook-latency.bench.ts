/**
 * `npm run bench:webhook`: what Charter's admission webhook adds to a write, end to end, on the local control plane
 * (src/devcluster: kube-apiserver + etcd on loopback) with the operator in this process. Not a test: it prints
 * figures (docs/performance.md, "Admission webhook").
 *
 * Each request is a server-side dry run (`?dryRun=All`: the API server runs admission and stores nothing) as the
 * admin impersonating a user whom RBAC lets write Charter objects, timed N times per setting over one kept-alive
 * HTTPS connection (no kubectl process). The cluster holds: Organization acme owning namespace bench, User alice
 * (identity `alice`) its full member (RIGHT_ALL), User eve (identity `eve`) with no rights, UserGroup big in acme
 * listing 4,999 names that are no User (the request's size is what is measured here, not the engine's).
 *   - create a Collaboration (alice grants bob RIGHT_APPLICATION_INFO on Application/bench/app1), no webhook;
 *   - update UserGroup big (a merge patch): alice added as the 5,000th name (a review carrying a 4,999- and a
 *     5,000-name list), no webhook;
 * then with the webhook registered (the API server calls the operator over TLS):
 *   - the create as `mallory`, no User: denied UnknownRequester (the request never reaches the rules);
 *   - the create as `ci-bot`, a bypass identity: allowed as platform;
 *   - the create as alice: allowed by the rules (NotPermitted, NoEscalation, LastOwner, SubjectNotAvailable judged);
 *   - the create as eve: denied NotPermitted and NoEscalation;
 *   - the group update as alice: allowed by the rules (the lists diffed, alice joins, the group's grants judged).
 * The operator's own time per answer is charter_admission_duration_seconds (mean per setting).
 *
 * Flags: --requests N (default 300), --group-requests N (default 40), --json <file>.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { loadCatalog } from '../src/catalog/load-catalog.ts';
import { createLogger } from '../src/controller/logger.ts';
import { Operator } from '../src/controller/operator.ts';
import { letAuthenticatedWriteCharter, registerWebhook, webhookConfiguration, writeServingCertificate } from '../src/devcluster/admission.ts';
import { startControlPlane } from '../src/devcluster/controlplane.ts';
import { summarize } from './stats.ts';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const N = Number(flag('requests') ?? 300);
/** The group update takes the API server most of a second (a 5,000-item set list): fewer of them. */
const GROUP_N = Number(flag('group-requests') ?? 40);
const jsonOut = flag('json');

const cp = await startControlPlane({ log: (m) => process.stderr.write(`control plane: ${m}\n`) });
const certDir = mkdtempSync(join(tmpdir(), 'charter-webhook-bench-'));
let operator: Operator | undefined;
try {
  await letAuthenticatedWriteCharter(cp.request);
  await cp.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });
  writeServingCertificate(cp.issueCert, certDir);
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(cp.kubeconfigPath);
  operator = new Operator({
    kubeConfig,
    catalog: loadCatalog(undefined),
    logger: createLogger('warn'),
    registry: new Registry(),
    leaderElection: false,
    admission: {
      port: 0,
      host: '127.0.0.1',
      certFile: join(certDir, 'tls.crt'),
      keyFile: join(certDir, 'tls.key'),
      options: { bypassUsers: ['ci-bot'], bypassGroups: ['system:masters'], selfRegistration: true },
    },
  });
  await operator.start();

  // The cluster the rules judge against (as the admin, before the webhook is registered).
  const apply = async (path: string, object: unknown): Promise<void> => {
    const r = await cp.request('POST', path, object);
    if (r.status >= 300) throw new Error(`creating ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  };
  const charter = '/apis/charter.dev/v1alpha1';
  await apply(`${charter}/organizations`, { apiVersion: 'charter.dev/v1alpha1', kind: 'Organization', metadata: { name: 'acme' }, spec: { namespaces: ['bench'] } });
  await apply(`${charter}/users`, { apiVersion: 'charter.dev/v1alpha1', kind: 'User', metadata: { name: 'alice' }, spec: { identities: ['alice'] } });
  await apply(`${charter}/users`, { apiVersion: 'charter.dev/v1alpha1', kind: 'User', metadata: { name: 'eve' }, spec: { identities: ['eve'] } });
  await apply(`${charter}/namespaces/bench/collaborations`, {
    apiVersion: 'charter.dev/v1alpha1', kind: 'Collaboration', metadata: { name: 'm-alice', namespace: 'bench' },
    spec: { subject: { kind: 'User', name: 'alice' }, target: { kind: 'Organization', name: 'acme' }, rights: ['RIGHT_ALL'] },
  });
  const listed = [...Array.from({ length: 4_999 }, (_, i) => `listed-${i}`), 'alice'];
  await apply(`${charter}/usergroups`, { apiVersion: 'charter.dev/v1alpha1', kind: 'UserGroup', metadata: { name: 'big' }, spec: { organization: 'acme', members: { users: listed.slice(0, 4_999) } } });

  const kc = kubeConfig.getCurrentUser()!;
  const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: cp.caPem, cert: Buffer.from(kc.certData!, 'base64').toString(), key: Buffer.from(kc.keyData!, 'base64').toString() });
  const createBody = (i: number): string =>
    JSON.stringify({
      apiVersion: 'charter.dev/v1alpha1',
      kind: 'Collaboration',
      metadata: { name: `c${i}`, namespace: 'bench' },
      spec: { subject: { kind: 'User', name: 'bob' }, target: { kind: 'Application', name: 'app1' }, rights: ['RIGHT_APPLICATION_INFO'] },
    });
  // The group's list with one more name (the 5,000th), as a merge patch (no resourceVersion to conflict with the
  // operator's status writes); the review still carries the whole object before and after. A dry run stores nothing.
  const groupBody = JSON.stringify({ spec: { members: { users: listed } } });
  const createUrl = new URL(`${charter}/namespaces/bench/collaborations?dryRun=All`, cp.server);
  const groupUrl = new URL(`${charter}/usergroups/big?dryRun=All`, cp.server);
  type Kind = 'create' | 'group';
  const once = (i: number, as: string, kind: Kind = 'create'): Promise<{ ms: number; status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const payload = kind === 'create' ? createBody(i) : groupBody;
      const start = performance.now();
      const req = request(kind === 'create' ? createUrl : groupUrl, { method: kind === 'create' ? 'POST' : 'PATCH', agent, headers: { 'Content-Type': kind === 'create' ? 'application/json' : 'application/merge-patch+json', 'Content-Length': Buffer.byteLength(payload), 'Impersonate-User': as } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ ms: performance.now() - start, status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.end(payload);
    });
  const operatorTotals = async (): Promise<{ sum: number; count: number }> => {
    const values = (await operator!.metrics.admissionDuration.get()).values;
    const total = (name: string): number => values.filter((v) => v.metricName === name).reduce((a, v) => a + v.value, 0);
    return { sum: total('charter_admission_duration_seconds_sum'), count: total('charter_admission_duration_seconds_count') };
  };
  const series = async (as: string, expect: number, kind: Kind = 'create'): Promise<{ client: ReturnType<typeof summarize>; operatorMeanMs: number | undefined }> => {
    const count = kind === 'group' ? GROUP_N : N;
    for (let i = 0; i < (kind === 'group' ? 3 : 20); i++) await once(i, as, kind); // warm-up: connections, caches
    const before = await operatorTotals();
    const out: number[] = [];
    for (let i = 0; i < count; i++) {
      const r = await once(i, as, kind);
      if (r.status !== expect) throw new Error(`expected ${expect} for ${kind} as ${as}, got ${r.status}: ${r.body.slice(0, 500)}`);
      out.push(r.ms);
    }
    const after = await operatorTotals();
    const answered = after.count - before.count;
    return { client: summarize(out), operatorMeanMs: answered > 0 ? ((after.sum - before.sum) / answered) * 1000 : undefined };
  };
  const loadBefore = loadavg();
  const withoutCreate = await series('alice', 201);
  const withoutGroup = await series('alice', 200, 'group');
  await registerWebhook(
    cp.request,
    webhookConfiguration({ url: `https://127.0.0.1:${operator.admissionPort}/validate`, caBundle: cp.caPem, skipGroups: ['system:masters'] }),
  );
  // The API server picks up the configuration within a moment; the operator's informers have the objects above.
  for (let tries = 0; (await once(0, 'mallory')).status !== 403 || (await once(0, 'alice')).status !== 201; tries++) {
    if (tries > 200) throw new Error('the webhook was never called, or alice was never allowed');
    await new Promise((r) => setTimeout(r, 100));
  }
  const unknown = await series('mallory', 403);
  const platform = await series('ci-bot', 201);
  const allowed = await series('alice', 201);
  const denied = await series('eve', 403);
  const group = await series('alice', 200, 'group');
  const report = {
    requests: N,
    groupRequests: GROUP_N,
    noWebhook: { create: withoutCreate.client, groupUpdate: withoutGroup.client },
    webhook: {
      unknownRequesterDenied: unknown,
      platformAllowed: platform,
      rulesAllowed: allowed,
      rulesDenied: denied,
      groupUpdateAllowed: group,
    },
    loadAverage: { before: loadBefore, after: loadavg() },
  };
  console.log(JSON.stringify(report, null, 2));
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify(report, null, 2));
  agent.destroy();
} finally {
  await operator?.stop();
  await cp.stop();
  rmSync(certDir, { recursive: true, force: true });
}
