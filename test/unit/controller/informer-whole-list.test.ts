/**
 * How the informer chooses between a whole list and pages, against a loopback server that answers as the API server
 * does (`remainingItemCount` on a page with a `continue`; a watch held open): a whole list that fails is listed again
 * in pages, and one whose estimated size (the count times the one object's answer) is past the cap is never asked
 * for. The real API server's side (counts, selectors): test/integration/informer.test.ts.
 */
import { afterEach, expect, jest, test } from '@jest/globals';
import type http from 'node:http';
import type { KubeConfig, V1ConfigMap } from '@kubernetes/client-node';
import { Informer, type InformerOptions } from '../../../src/controller/informer.ts';
import { createLogger } from '../../../src/controller/logger.ts';
import { closeLoopback, loopbackServer } from './loopback-server.ts';

const OBJECTS: V1ConfigMap[] = Array.from({ length: 5 }, (_, i) => ({ metadata: { name: `cm-${i}`, namespace: 'acme', resourceVersion: String(i + 1) }, data: { i: String(i) } }));
const list = (items: V1ConfigMap[], cont?: string, remaining?: number) => ({
  kind: 'ConfigMapList',
  apiVersion: 'v1',
  metadata: { resourceVersion: '10', ...(cont ? { continue: cont, remainingItemCount: remaining } : {}) },
  items,
});

let server: http.Server | undefined;
let informer: Informer<V1ConfigMap> | undefined;
afterEach(async () => {
  await informer?.stop();
  informer = undefined;
  await closeLoopback(server);
  server = undefined;
});

/** A loopback API server of OBJECTS; `whole` answers a list without a limit. Returns the queries it was asked. */
async function serve(whole: (res: http.ServerResponse) => void): Promise<{ kubeConfig: KubeConfig; asked: string[] }> {
  const asked: string[] = [];
  const loopback = await loopbackServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    const q = url.searchParams;
    if (q.get('watch') === 'true') {
      res.writeHead(200, { 'Content-Type': 'application/json' }); // held open until the informer stops
      return;
    }
    const limit = q.get('limit');
    asked.push(limit ? `limit=${limit}${q.get('continue') ? `&continue=${q.get('continue')}` : ''}` : 'whole');
    if (!limit) return whole(res);
    const from = Number(q.get('continue') ?? 0);
    const to = from + Number(limit);
    const body = to < OBJECTS.length ? list(OBJECTS.slice(from, to), String(to), OBJECTS.length - to) : list(OBJECTS.slice(from));
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  server = loopback.server;
  const kubeConfig = loopback.kubeConfig;
  return { kubeConfig, asked };
}

async function listed(kubeConfig: KubeConfig, options: Partial<InformerOptions>): Promise<{ names: string[]; warnings: string[] }> {
  const logger = createLogger('silent');
  const warn = jest.spyOn(logger, 'warn');
  informer = new Informer<V1ConfigMap>({ kubeConfig, path: '/api/v1/namespaces/acme/configmaps', name: 'ConfigMap', logger, pageSize: 2, ...options });
  await informer.start();
  const warnings = (warn.mock.calls as unknown as Array<[string]>).map(([m]) => m);
  return { names: informer.list().map((o) => o.metadata!.name!).sort(), warnings };
}

const names = OBJECTS.map((o) => o.metadata!.name!);

test('a resource within the caps is listed whole, after one request for one object', async () => {
  const { kubeConfig, asked } = await serve((res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(list(OBJECTS)));
  });
  expect((await listed(kubeConfig, {})).names).toEqual(names);
  expect(asked).toEqual(['limit=1', 'whole']);
});

test('a whole list that fails (here a 504, as an API server past its request timeout) is listed again in pages', async () => {
  const { kubeConfig, asked } = await serve((res) => {
    res.writeHead(504, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ kind: 'Status', status: 'Failure', reason: 'Timeout', code: 504, message: 'the request timed out' }));
  });
  const { names: got, warnings } = await listed(kubeConfig, {});
  expect(got).toEqual(names);
  expect(asked).toEqual(['limit=1', 'whole', 'limit=2', 'limit=2&continue=2', 'limit=2&continue=4']);
  expect(warnings).toEqual(['a whole list failed; listing in pages']);
});

test('a whole list whose estimate (count × the one object\'s answer) passes the characters cap is never asked for', async () => {
  const { kubeConfig, asked } = await serve(() => {
    throw new Error('not asked');
  });
  expect((await listed(kubeConfig, { wholeListMaxChars: 1_000 })).names).toEqual(names);
  expect(asked).toEqual(['limit=1', 'limit=2', 'limit=2&continue=2', 'limit=2&continue=4']);
});

test('more objects than wholeListMax: pages', async () => {
  const { kubeConfig, asked } = await serve(() => {
    throw new Error('not asked');
  });
  expect((await listed(kubeConfig, { wholeListMax: 4 })).names).toEqual(names);
  expect(asked).toEqual(['limit=1', 'limit=2', 'limit=2&continue=2', 'limit=2&continue=4']);
});
