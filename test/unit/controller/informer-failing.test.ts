/**
 * An informer whose watches keep failing says so, and for how long: `synced` never goes back, so `failingForMs` is what
 * the operator's readiness and its webhook bound a frozen cache by (operator-staleness.test.ts). Against a loopback
 * server whose watches answer 500 (an API server in trouble, an egress policy), then work again.
 */
import { afterEach, expect, test } from '@jest/globals';
import type http from 'node:http';
import { performance } from 'node:perf_hooks';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { Informer } from '../../../src/controller/informer.ts';
import { closeLoopback, loopbackServer } from './loopback-server.ts';
import { capturingLogger } from './support.ts';

let server: http.Server | undefined;
let informer: Informer<V1ConfigMap> | undefined;
afterEach(async () => {
  await informer?.stop();
  informer = undefined;
  await closeLoopback(server);
  server = undefined;
});

const until = async (ok: () => boolean): Promise<void> => {
  while (!ok()) await new Promise((r) => setTimeout(r, 5));
};

test('watches answering 500: failing from the first failure on (not from the last), with the reason; current again once a watch delivers', async () => {
  let failing = true;
  let failed = 0;
  const loopback = await loopbackServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.searchParams.get('watch') !== 'true') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ kind: 'ConfigMapList', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items: [] }));
      return;
    }
    if (failing) {
      failed++;
      res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', code: 500, reason: 'InternalError', message: 'etcd unavailable' }));
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.write(JSON.stringify({ type: 'ADDED', object: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'a', namespace: 'acme', resourceVersion: '2' } } }) + '\n');
  });
  server = loopback.server;
  const { logger } = capturingLogger();
  informer = new Informer<V1ConfigMap>({ kubeConfig: loopback.kubeConfig, path: '/api/v1/namespaces/acme/configmaps', name: 'ConfigMap', logger, wholeListMax: 0, backoff: { initialMs: 10, maxMs: 40 } });
  await informer.start();
  expect(informer.synced).toBe(true);
  await until(() => failed >= 1);
  const firstFailureSeen = performance.now();
  await until(() => failed >= 8 && performance.now() - firstFailureSeen >= 300);
  // Still synced (it never goes back), but failing for about as long as the failures have gone on (≥ 300 ms):
  // restarting the count at each failure would say ≤ 40 ms (the backoff) here. The informer notes the first failure
  // when it reads the response, which may be a few ms after the server counted it (a loaded machine): 50 ms of slack,
  // still far above what a restarted count would say.
  expect(informer.synced).toBe(true);
  const now = performance.now();
  expect(informer.failingForMs(now)).toBeGreaterThanOrEqual(now - firstFailureSeen - 50);
  expect(informer.failure).toContain('500');
  failing = false;
  await until(() => informer!.get('acme', 'a') !== undefined);
  expect(informer.failingForMs()).toBe(0);
  expect(informer.failure).toBeUndefined();
});

test('a watch the server accepted counts as current while it is open, though nothing arrives', async () => {
  const loopback = await loopbackServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    res.writeHead(200, { 'Content-Type': 'application/json' });
    if (url.searchParams.get('watch') !== 'true') res.end(JSON.stringify({ kind: 'ConfigMapList', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items: [] }));
    // a watch: held open, silent (a quiet cluster)
  });
  server = loopback.server;
  const { logger } = capturingLogger();
  informer = new Informer<V1ConfigMap>({ kubeConfig: loopback.kubeConfig, path: '/api/v1/namespaces/acme/configmaps', name: 'ConfigMap', logger, wholeListMax: 0 });
  await informer.start();
  await new Promise((r) => setTimeout(r, 100));
  expect(informer.failingForMs()).toBe(0);
});

test('lists failing before the first one succeeds: failing from the first failure', async () => {
  let lists = 0;
  const loopback = await loopbackServer((_req, res) => {
    lists++;
    res.writeHead(503, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ kind: 'Status', code: 503, reason: 'ServiceUnavailable', message: 'not yet' }));
  });
  server = loopback.server;
  const { logger } = capturingLogger();
  informer = new Informer<V1ConfigMap>({ kubeConfig: loopback.kubeConfig, path: '/api/v1/namespaces/acme/configmaps', name: 'ConfigMap', logger, backoff: { initialMs: 10, maxMs: 20 } });
  void informer.start();
  await until(() => lists >= 3);
  expect(informer.synced).toBe(false);
  expect(informer.failingForMs()).toBeGreaterThan(0);
  expect(informer.failure).toContain('503');
});
