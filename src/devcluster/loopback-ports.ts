/** Free ports on 127.0.0.1 for the control plane, the test node and the dev cluster's webhook (held below the ephemeral range). */
import { readFileSync } from 'node:fs';
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

/** The kernel's ephemeral port range (outgoing connections take their local ports from it); Linux's default if unread. */
export function ephemeralRange(read: () => string = () => readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')): { low: number; high: number } {
  try {
    const [low, high] = read().trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high) && low! > 0 && low! <= high!) return { low: low!, high: high! };
  } catch {
    // not Linux, or /proc not mounted: the default below
  }
  return { low: 32768, high: 60999 };
}

/**
 * A free loopback port to be listened on later, by another process (the dev cluster's webhook, registered at
 * `cluster:up` and served when the operator starts): taken below the ephemeral range, where no outgoing connection
 * can take it meanwhile (a port from `listen(0)` is in that range). `freePorts` when no such port is free.
 */
export async function heldPort(range = ephemeralRange()): Promise<number> {
  const low = 10000;
  const high = Math.min(range.low, 65536) - 1;
  for (let attempt = 0; high > low && attempt < 50; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if (await canListen(port)) return port;
  }
  return (await freePorts(1))[0]!;
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}
