/**
 * A loopback HTTP server standing in for the API server in the controller's unit tests, and a KubeConfig that
 * points at it (plain HTTP on 127.0.0.1, no credentials); and a KubeConfig pointing nowhere, for white-box tests
 * that never reach an API server.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';

/** Listens on 127.0.0.1 at a free port with `handler`; the server and a KubeConfig for it. */
export async function loopbackServer(handler: http.RequestListener): Promise<{ server: http.Server; kubeConfig: KubeConfig }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'loopback', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'nobody' }],
    contexts: [{ name: 'loopback', cluster: 'loopback', user: 'nobody' }],
    currentContext: 'loopback',
  });
  return { server, kubeConfig };
}

/** Closes `server` (if any), dropping its open connections (watches held open) first. */
export async function closeLoopback(server: http.Server | undefined): Promise<void> {
  if (server === undefined) return;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** A KubeConfig for 127.0.0.1 port 1 (nothing listens): for an Operator whose informers a test fills by hand. */
export function unreachableKubeConfig(): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:1', skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kubeConfig;
}
