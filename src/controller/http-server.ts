/**
 * The operator's HTTP endpoints, for Prometheus and the kubelet's probes:
 *
 *   GET /metrics   the registry in Prometheus text format
 *   GET /healthz   200 "ok" while `healthy()` (liveness: a failing one gets the pod restarted)
 *   GET /readyz    200 "ok" while `ready()` (readiness: informers synced and not failing past the staleness limit, engine built)
 *
 * Both probes answer 503 with a one-line reason otherwise (also when the check itself throws); /readyz gives
 * `notReadyReason()` when there is one (e.g. "not ready: cannot create the leader Lease …").
 *
 *   const server = await startHttpServer({ port: 8080, registry, ready: () => operator.ready, healthy: () => true });
 *   // …
 *   await server.close();
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface HttpServerOptions {
  /** The port; 0 picks a free one (see the returned `port`). */
  port: number;
  /** The address to listen on (default: every interface, as a pod's probes need). */
  host?: string;
  registry: Registry;
  ready: () => boolean;
  /** Why not ready, for /readyz's answer (default: just "not ready"). */
  notReadyReason?: () => string | undefined;
  healthy: () => boolean;
}

export interface RunningHttpServer {
  port: number;
  /** Stops listening and closes open connections (Prometheus keeps them alive). */
  close(): Promise<void>;
}

/**
 * Serves /metrics, /healthz and /readyz until close().
 *
 * @example
 *   const { port, close } = await startHttpServer({ port: 0, host: '127.0.0.1', registry, ready: () => true, healthy: () => true });
 */
export async function startHttpServer(opts: HttpServerOptions): Promise<RunningHttpServer> {
  const server = createServer((req, res) => {
    void handle(opts, req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, `internal error: ${e instanceof Error ? e.message : String(e)}\n`, req.method === 'HEAD');
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    port,
    close: () =>
      (closing ??= new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeAllConnections();
      })),
  };
}

async function handle(opts: HttpServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  const head = req.method === 'HEAD';
  if (req.method !== 'GET' && !head) {
    res.setHeader('Allow', 'GET, HEAD');
    send(res, 405, `method ${req.method} not allowed: use GET\n`, false);
    return;
  }
  switch (path) {
    case '/metrics': {
      const body = await opts.registry.metrics();
      send(res, 200, body, head, opts.registry.contentType);
      return;
    }
    case '/healthz':
      probe(res, opts.healthy, 'unhealthy', head);
      return;
    case '/readyz':
      probe(res, opts.ready, 'not ready', head, opts.notReadyReason);
      return;
    default:
      send(res, 404, `not found: ${path} (try /metrics, /healthz or /readyz)\n`, head);
  }
}

function probe(res: ServerResponse, check: () => boolean, failure: string, head: boolean, reason?: () => string | undefined): void {
  let ok: boolean;
  let why = failure;
  try {
    ok = check();
    const detail = ok ? undefined : reason?.();
    if (detail) why = `${failure}: ${detail}`;
  } catch (e) {
    ok = false;
    why = `${failure}: ${e instanceof Error ? e.message : String(e)}`;
  }
  send(res, ok ? 200 : 503, ok ? 'ok\n' : `${why}\n`, head);
}

function send(res: ServerResponse, status: number, body: string, head: boolean, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(head ? undefined : body);
}
