/**
 * The stall timer is held to setTimeout's longest delay: Node fires a delay over 2^31 − 1 ms after 1 ms, which would
 * end every watch as "stalled" before its first event, and the informer would never watch (config.ts caps
 * --stall-timeout at an hour as well). Against a loopback server that sends an event 100 ms into the watch.
 */
import { expect, test } from '@jest/globals';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { Informer } from '../../../src/controller/informer.ts';
import { closeLoopback, loopbackServer } from './loopback-server.ts';
import { capturingLogger } from './support.ts';

test('stallTimeoutMs 2.5e9 (29 days): a watch event sent 100 ms into the watch is delivered', async () => {
  const { logger, lines } = capturingLogger();
  const loopback = await loopbackServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    res.writeHead(200, { 'Content-Type': 'application/json' });
    if (url.searchParams.get('watch') !== 'true') {
      res.end(JSON.stringify({ kind: 'ConfigMapList', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items: [] }));
      return;
    }
    setTimeout(() => res.write(JSON.stringify({ type: 'ADDED', object: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'a', namespace: 'acme', resourceVersion: '2' } } }) + '\n'), 100);
  });
  const informer = new Informer<V1ConfigMap>({ kubeConfig: loopback.kubeConfig, path: '/api/v1/namespaces/acme/configmaps', name: 'ConfigMap', logger, stallTimeoutMs: 2_500_000_000, watchTimeoutSeconds: 300, wholeListMax: 0 });
  try {
    await informer.start();
    while (informer.get('acme', 'a') === undefined && !lines.some((l) => String(l.message).startsWith('watch stalled'))) await new Promise((r) => setTimeout(r, 10));
    expect(lines.filter((l) => String(l.message).startsWith('watch stalled'))).toEqual([]);
    expect(informer.get('acme', 'a')).toBeDefined();
  } finally {
    await informer.stop();
    await closeLoopback(loopback.server);
  }
});
