/**
 * `charter can --cluster` when the cluster cannot be asked: one line naming the server and the reason, exit 2, no
 * stack trace, in bounded time. The servers here are local stand-ins on loopback (a closed port, a server that
 * accepts and never answers, one that answers 403); the answers from a real API server are in
 * test/integration/can-cluster.test.ts.
 */
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { charter } from './support.ts';

jest.setTimeout(30_000);

let dir: string;
const sockets: Socket[] = [];
const servers: Array<{ close(): unknown }> = [];

function kubeconfig(name: string, server: string, context = 'x'): string {
  const tls = server.startsWith('http:') ? ', insecure-skip-tls-verify: true' : '';
  const path = join(dir, name);
  writeFileSync(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{ name: c, cluster: { server: "${server}"${tls} } }]`,
      'users: [{ name: u, user: { token: t } }]',
      `contexts: [{ name: ${context}, context: { cluster: c, user: u } }]`,
      `current-context: ${context}`,
    ].join('\n'),
  );
  return path;
}

async function listen(server: Server | ReturnType<typeof createServer>): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return (server.address() as AddressInfo).port;
}

const ask = (config: string, ...more: string[]) => charter('can', '--cluster', '--kubeconfig', config, '--user', 'bob', '--on', 'Application/acme/app1', ...more);

function expectOneError(run: { code: number; stdout: string[]; stderr: string[] }, pattern: RegExp): void {
  expect(run).toMatchObject({ code: 2, stdout: [] });
  expect(run.stderr).toHaveLength(1);
  expect(run.stderr[0]).toMatch(pattern);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'charter-can-cluster-'));
});
afterAll(() => {
  for (const s of sockets) s.destroy();
  for (const s of servers) s.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('charter can --cluster, the cluster cannot be asked', () => {
  test('nothing listens on the port: cannot reach, exit 2', async () => {
    const closed = createServer();
    const port = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
    const run = await ask(kubeconfig('closed', `https://127.0.0.1:${port}`));
    expectOneError(run, new RegExp(`^charter: cannot reach the API server https://127\\.0\\.0\\.1:${port}: connect ECONNREFUSED`));
    // Also for an Organization (a different first request), and by name (localhost: IPv4 and IPv6 both refused).
    expectOneError(await charter('can', '--cluster', '--kubeconfig', kubeconfig('closed-localhost', `https://localhost:${port}`), '--user', 'bob', '--on', 'Organization/acme'), /cannot reach the API server https:\/\/localhost:\d+: .*ECONNREFUSED/);
  });

  test('a server that accepts and never answers: gives up after --request-timeout, exit 2', async () => {
    const silent = createServer((socket) => sockets.push(socket));
    const port = await listen(silent);
    const started = Date.now();
    const run = await ask(kubeconfig('silent', `https://127.0.0.1:${port}`), '--request-timeout', '0.5');
    expectOneError(run, /^charter: cannot reach the API server https:\/\/127\.0\.0\.1:\d+: GET \/api\/v1\/namespaces\/acme\/configmaps: timed out$/);
    expect(Date.now() - started).toBeLessThan(20_000); // bounded, not a benchmark: the default alone is 15 s
  });

  test('the server answers an error (403): its status and message, exit 2', async () => {
    const forbidding = createHttpServer((_req, res) => {
      res.writeHead(403, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', status: 'Failure', reason: 'Forbidden', message: 'configmaps is forbidden: User "bob" cannot list resource "configmaps"' }));
    });
    const port = await listen(forbidding);
    expectOneError(await ask(kubeconfig('forbidding', `http://127.0.0.1:${port}`)), /^charter: the API server http:\/\/127\.0\.0\.1:\d+ answered GET .*: 403 Forbidden: configmaps is forbidden/);
  });

  test('bad kubeconfig, context or timeout: named, exit 2', async () => {
    const good = kubeconfig('good', 'https://127.0.0.1:1');
    expectOneError(await ask(good, '--context', 'nope'), /^charter: --context: the kubeconfig has no context "nope"; it has "x"$/);
    expectOneError(await ask(good, '--request-timeout', 'soon'), /^charter: --request-timeout: expected a number of seconds > 0; found "soon"$/);
    expectOneError(await ask(join(dir, 'missing')), /^charter: --kubeconfig: ENOENT/);
    const noCluster = join(dir, 'no-cluster');
    writeFileSync(noCluster, 'apiVersion: v1\nkind: Config\nclusters: []\nusers: []\ncontexts: []\ncurrent-context: ""\n');
    expectOneError(await ask(noCluster), /^charter: --kubeconfig: the current context "" names no cluster/);
  });
});
