/** Free ports on 127.0.0.1 for the control plane, the test node and the dev cluster's webhook. */
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';

/** Distinct free loopback ports: all listened on at once, then released. */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<Server>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}
