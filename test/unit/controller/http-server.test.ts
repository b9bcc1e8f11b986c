import { afterEach, describe, expect, test } from '@jest/globals';
import { Registry } from 'prom-client';
import { startHttpServer } from '../../../src/controller/http-server.ts';
import type { RunningHttpServer } from '../../../src/controller/http-server.ts';
import { createMetrics } from '../../../src/controller/metrics.ts';

let server: RunningHttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(state: { ready: boolean; healthy: boolean | (() => boolean); reason?: string }) {
  const registry = new Registry();
  const metrics = createMetrics(registry);
  server = await startHttpServer({
    port: 0,
    host: '127.0.0.1',
    registry,
    ready: () => state.ready,
    notReadyReason: () => state.reason,
    healthy: () => (typeof state.healthy === 'function' ? state.healthy() : state.healthy),
  });
  const get = async (path: string, method = 'GET') => {
    const res = await fetch(`http://127.0.0.1:${server!.port}${path}`, { method });
    return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
  };
  return { metrics, get };
}

describe('startHttpServer', () => {
  test('serves the registry on /metrics in Prometheus text format', async () => {
    const { metrics, get } = await start({ ready: true, healthy: true });
    metrics.reconcileTotal.inc({ kind: 'User', result: 'success' });
    const r = await get('/metrics');
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(r.body).toContain('charter_reconcile_total{kind="User",result="success"} 1');
    expect(r.body).toContain('charter_leader 0');
  });

  test('/readyz and /healthz follow their checks', async () => {
    const state = { ready: false, healthy: true as boolean | (() => boolean) };
    const { get } = await start(state);
    expect(await get('/readyz')).toMatchObject({ status: 503, body: 'not ready\n' });
    expect(await get('/healthz')).toMatchObject({ status: 200, body: 'ok\n' });
    state.ready = true;
    state.healthy = false;
    expect(await get('/readyz')).toMatchObject({ status: 200, body: 'ok\n' });
    expect(await get('/healthz')).toMatchObject({ status: 503, body: 'unhealthy\n' });
    state.healthy = () => {
      throw new Error('informer Users stalled');
    };
    expect(await get('/healthz')).toMatchObject({ status: 503, body: 'unhealthy: informer Users stalled\n' });
  });

  test('/readyz gives the reason when there is one', async () => {
    const state = { ready: false, healthy: true, reason: 'cannot create the leader Lease x/y: 404 — create the namespace' as string | undefined };
    const { get } = await start(state);
    expect(await get('/readyz')).toMatchObject({ status: 503, body: 'not ready: cannot create the leader Lease x/y: 404 — create the namespace\n' });
    state.reason = undefined;
    expect(await get('/readyz')).toMatchObject({ status: 503, body: 'not ready\n' });
    state.ready = true;
    state.reason = 'stale';
    expect(await get('/readyz')).toMatchObject({ status: 200, body: 'ok\n' });
  });

  test('answers HEAD without a body, 404 for other paths and 405 for other methods', async () => {
    const { get } = await start({ ready: true, healthy: true });
    expect(await get('/healthz', 'HEAD')).toMatchObject({ status: 200, body: '' });
    expect(await get('/readyz?verbose=1')).toMatchObject({ status: 200 });
    expect(await get('/nope')).toMatchObject({ status: 404, body: 'not found: /nope (try /metrics, /healthz or /readyz)\n' });
    expect(await get('/metrics', 'POST')).toMatchObject({ status: 405 });
  });

  test('close() ends kept-alive connections and frees the port', async () => {
    const { get } = await start({ ready: true, healthy: true });
    const port = server!.port;
    await get('/metrics'); // fetch keeps the connection alive
    await server!.close();
    await server!.close(); // idempotent
    server = undefined;
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });

  test('fails to start on a port in use', async () => {
    await start({ ready: true, healthy: true });
    await expect(startHttpServer({ port: server!.port, host: '127.0.0.1', registry: new Registry(), ready: () => true, healthy: () => true })).rejects.toThrow(
      /EADDRINUSE/,
    );
  });
});
