/**
 * `npm run bench:webhook`: what Charter's admission webhook adds to a write, end to end, on the local control plane
 * (src/devcluster: kube-apiserver + etcd on loopback) with the operator in this process. Not a test: it prints
 * figures (docs/performance.md, "Admission webhook").
 *
 * The same request is timed N times in each of three settings: a server-side dry-run create of a Collaboration
 * (`POST …/collaborations?dryRun=All`, the API server runs admission and stores nothing) as the admin impersonating
 * `alice`, whom RBAC lets write Charter objects —
 *   1. no webhook registered;
 *   2. the webhook registered: the API server calls the operator over TLS, Charter answers (a denial, today: alice is
 *      no User), and the API server returns a 403;
 *   3. the webhook registered, the request from a bypass identity (`ci-bot`): called, allowed as Platform.
 * Each figure is the client's round trip (HTTP keep-alive, no kubectl process). The operator's own time per answer
 * is charter_admission_duration_seconds.
 *
 * Flags: --requests N (default 300), --json <file>.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

  const kc = kubeConfig.getCurrentUser()!;
  const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: cp.caPem, cert: Buffer.from(kc.certData!, 'base64').toString(), key: Buffer.from(kc.keyData!, 'base64').toString() });
  const body = (i: number): string =>
    JSON.stringify({
      apiVersion: 'charter.dev/v1alpha1',
      kind: 'Collaboration',
      metadata: { name: `c${i}`, namespace: 'bench' },
      spec: { subject: { kind: 'User', name: 'bob' }, target: { kind: 'Application', name: 'app1' }, rights: ['RIGHT_APPLICATION_INFO'] },
    });
  const url = new URL('/apis/charter.dev/v1alpha1/namespaces/bench/collaborations?dryRun=All', cp.server);
  const once = (i: number, as: string): Promise<{ ms: number; status: number }> =>
    new Promise((resolve, reject) => {
      const payload = body(i);
      const start = performance.now();
      const req = request(url, { method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload), 'Impersonate-User': as } }, (res) => {
        res.resume();
        res.on('end', () => resolve({ ms: performance.now() - start, status: res.statusCode ?? 0 }));
      });
      req.on('error', reject);
      req.end(payload);
    });
  const series = async (as: string, expect: number): Promise<number[]> => {
    for (let i = 0; i < 20; i++) await once(i, as); // warm-up: connections, caches
    const out: number[] = [];
    for (let i = 0; i < N; i++) {
      const r = await once(i, as);
      if (r.status !== expect) throw new Error(`expected ${expect} as ${as}, got ${r.status}`);
      out.push(r.ms);
    }
    return out;
  };

  const without = await series('alice', 201);
  await registerWebhook(
    cp.request,
    webhookConfiguration({ url: `https://127.0.0.1:${operator.admissionPort}/validate`, caBundle: cp.caPem, skipGroups: ['system:masters'] }),
  );
  // The API server picks up the configuration within a moment.
  for (let tries = 0; (await once(0, 'alice')).status !== 403; tries++) {
    if (tries > 100) throw new Error('the webhook was never called');
    await new Promise((r) => setTimeout(r, 100));
  }
  const denied = await series('alice', 403);
  const platform = await series('ci-bot', 201);
  const histogram = (await operator.metrics.admissionDuration.get()).values;
  const sum = histogram.filter((v) => v.metricName === 'charter_admission_duration_seconds_sum').reduce((a, v) => a + v.value, 0);
  const count = histogram.filter((v) => v.metricName === 'charter_admission_duration_seconds_count').reduce((a, v) => a + v.value, 0);
  const report = {
    requests: N,
    noWebhookMs: summarize(without),
    webhookDeniedMs: summarize(denied),
    webhookPlatformMs: summarize(platform),
    operatorMeanMs: count ? (sum / count) * 1000 : undefined,
    load: (await import('node:os')).loadavg(),
  };
  console.log(JSON.stringify(report, null, 2));
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify(report, null, 2));
  agent.destroy();
} finally {
  await operator?.stop();
  await cp.stop();
  rmSync(certDir, { recursive: true, force: true });
}
