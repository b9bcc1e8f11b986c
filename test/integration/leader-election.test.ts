/**
 * LeaderElector against a real kube-apiserver: two candidates, one leader; release() hands over at once;
 * a leader that dies is replaced within the lease duration; a leader cut off from the API server steps down
 * before anybody else takes over. Short timings (lease 3 s, renew deadline 2 s, retry 0.5 s) keep it quick.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, jest, test } from '@jest/globals';
import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { CoordinationV1Api, KubeConfig } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { LeaderElector, microTime } from '../../src/controller/leader-election.ts';
import type { LeaderElectorOptions } from '../../src/controller/leader-election.ts';
import { createLogger } from '../../src/controller/logger.ts';
import { createMetrics } from '../../src/controller/metrics.ts';
import type { ControllerMetrics } from '../../src/controller/metrics.ts';
import { kubeConfig, newNamespace, throughProxy } from './support/cluster.ts';

jest.setTimeout(60_000);

const LEASE_MS = 3000;
const RENEW_DEADLINE_MS = 2000;
const RETRY_MS = 500;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function eventually(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

const logger = createLogger(process.env.CHARTER_TEST_LOG_LEVEL ?? 'silent');

interface Candidate {
  elector: LeaderElector;
  metrics: ControllerMetrics;
  /** Callback history with monotonic times. */
  log: { what: 'started' | 'stopped'; at: number }[];
  done: Promise<void>;
}

let ns: string;
let lease = 0;
let leaseName: string;
const candidates: Candidate[] = [];
/** Times at which both candidates of a test believed they led (must stay empty). */
const splitBrain: number[] = [];
let monitor: NodeJS.Timeout | undefined;

function candidate(identity: string, kc: KubeConfig = kubeConfig(), extra: Partial<LeaderElectorOptions> = {}): Candidate {
  const metrics = createMetrics(new Registry());
  const elector = new LeaderElector({
    kubeConfig: kc,
    namespace: ns,
    name: leaseName,
    identity,
    leaseDurationMs: LEASE_MS,
    renewDeadlineMs: RENEW_DEADLINE_MS,
    retryPeriodMs: RETRY_MS,
    logger,
    metrics,
    ...extra,
  });
  const log: Candidate['log'] = [];
  const done = elector.run({
    onStartedLeading: () => log.push({ what: 'started', at: performance.now() }),
    onStoppedLeading: () => log.push({ what: 'stopped', at: performance.now() }),
  });
  const c = { elector, metrics, log, done };
  candidates.push(c);
  return c;
}

async function readLease() {
  return kubeConfig().makeApiClient(CoordinationV1Api).readNamespacedLease({ namespace: ns, name: leaseName });
}

const gauge = async (m: ControllerMetrics): Promise<number> => (await m.leader.get()).values[0]!.value;
const leaseWrites = async (m: ControllerMetrics, verb: string, result: string): Promise<number> =>
  (await m.apiWrites.get()).values.find((v) => v.labels.kind === 'lease' && v.labels.verb === verb && v.labels.result === result)!.value;

beforeAll(async () => {
  ns = await newNamespace('leader');
});

beforeEach(() => {
  leaseName = `lease-${++lease}`;
  splitBrain.length = 0;
  monitor = setInterval(() => {
    if (candidates.filter((c) => c.elector.isLeader).length > 1) splitBrain.push(performance.now());
  }, 5);
});

afterEach(async () => {
  clearInterval(monitor);
  await Promise.all(candidates.splice(0).map((c) => c.elector.stop()));
  expect(splitBrain).toEqual([]);
});

describe('LeaderElector', () => {
  test('of two candidates one leads, renews, and the Lease names it', async () => {
    const a = candidate('replica-a');
    const b = candidate('replica-b');
    await eventually(() => a.elector.isLeader || b.elector.isLeader, 'a leader');
    const [leader, follower] = a.elector.isLeader ? [a, b] : [b, a];
    const first = await readLease();
    expect(first.spec).toMatchObject({ holderIdentity: leader.elector.identity, leaseDurationSeconds: 3, leaseTransitions: 0 });
    await sleep(2 * LEASE_MS);
    // Still the same leader, renewing; the follower never took over.
    expect(leader.elector.isLeader).toBe(true);
    expect(follower.elector.isLeader).toBe(false);
    expect(follower.log).toEqual([]);
    expect(leader.log.map((e) => e.what)).toEqual(['started']);
    const later = await readLease();
    expect(later.spec?.holderIdentity).toBe(leader.elector.identity);
    expect(later.spec?.leaseTransitions).toBe(0);
    expect(String(later.spec?.renewTime)).not.toBe(String(first.spec?.renewTime));
    expect(await gauge(leader.metrics)).toBe(1);
    expect(await gauge(follower.metrics)).toBe(0);
    expect(await leaseWrites(leader.metrics, 'update', 'success')).toBeGreaterThanOrEqual(5);
  });

  test('release() hands the Lease over at once, not after the lease duration', async () => {
    const a = candidate('replica-a');
    await eventually(() => a.elector.isLeader, 'a to lead');
    const b = candidate('replica-b');
    await sleep(RETRY_MS * 2); // b has seen a's Lease and follows
    expect(b.elector.isLeader).toBe(false);

    const released = performance.now();
    await a.elector.release();
    await a.done;
    expect(a.elector.isLeader).toBe(false);
    expect(a.log.map((e) => e.what)).toEqual(['started', 'stopped']);
    expect(await gauge(a.metrics)).toBe(0);
    await eventually(() => b.elector.isLeader, 'b to lead');
    const handover = performance.now() - released;
    // At b's next retry (≤ 1.2 × retry period), far sooner than the 3 s lease would expire.
    expect(handover).toBeLessThan(RETRY_MS * 1.2 + 700);
    const after = await readLease();
    expect(after.spec).toMatchObject({ holderIdentity: 'replica-b', leaseTransitions: 1, leaseDurationSeconds: 3 });
  });

  test('release() by a follower leaves the Lease alone', async () => {
    const a = candidate('replica-a');
    await eventually(() => a.elector.isLeader, 'a to lead');
    const b = candidate('replica-b');
    await sleep(RETRY_MS);
    await b.elector.release();
    expect(b.log).toEqual([]);
    expect((await readLease()).spec?.holderIdentity).toBe('replica-a');
    expect(a.elector.isLeader).toBe(true);
  });

  test('when the leader dies (stops renewing), the follower takes over within the lease duration', async () => {
    const a = candidate('replica-a');
    await eventually(() => a.elector.isLeader, 'a to lead');
    const b = candidate('replica-b');
    await sleep(RETRY_MS * 3);
    const died = performance.now();
    await a.elector.stop(); // no release: to b, a simply went silent
    await eventually(() => b.elector.isLeader, 'b to lead', 10_000);
    const takeover = performance.now() - died;
    // b waits for the lease to run out, counted from the last renewal it saw (≤ one retry period before a died)…
    expect(takeover).toBeGreaterThan(LEASE_MS - RETRY_MS * 1.2 - 200);
    // …and no longer than the lease duration plus one (jittered) retry.
    expect(takeover).toBeLessThan(LEASE_MS + RETRY_MS * 1.2 + 700);
    expect((await readLease()).spec).toMatchObject({ holderIdentity: 'replica-b', leaseTransitions: 1 });
  });

  test('a lost Lease is noticed: the old leader steps down as soon as it sees another holder', async () => {
    const a = candidate('replica-a');
    await eventually(() => a.elector.isLeader, 'a to lead');
    // Somebody else (an operator by hand, or a replica that thinks the lease expired) takes the Lease.
    const api = kubeConfig().makeApiClient(CoordinationV1Api);
    const current = await api.readNamespacedLease({ namespace: ns, name: leaseName });
    const now = microTime(Date.now());
    await api.replaceNamespacedLease({
      namespace: ns,
      name: leaseName,
      body: { ...current, spec: { ...current.spec, holderIdentity: 'intruder', renewTime: now as any, acquireTime: now as any } },
    });
    await eventually(() => !a.elector.isLeader, 'a to step down', RETRY_MS * 3);
    expect(a.log.map((e) => e.what)).toEqual(['started', 'stopped']);
  });

  describe('cut off from the API server', () => {
    let proxy: Blackhole;
    beforeAll(async () => {
      proxy = await Blackhole.start(kubeConfig().getCurrentCluster()!.server);
    });
    afterAll(async () => {
      await proxy.close();
    });

    test('the leader steps down at its renew deadline, before the follower takes over', async () => {
      const a = candidate('replica-a', throughProxy(kubeConfig(), proxy.port));
      await eventually(() => a.elector.isLeader, 'a to lead');
      const b = candidate('replica-b');
      await sleep(RETRY_MS * 3);
      const cut = performance.now();
      proxy.cut();
      await eventually(() => b.elector.isLeader, 'b to lead', 10_000);
      const stopped = a.log.find((e) => e.what === 'stopped');
      const started = b.log.find((e) => e.what === 'started');
      expect(stopped).toBeDefined();
      // a gave up within its renew deadline (counted from its last renewal, before the cut)…
      expect(stopped!.at - cut).toBeLessThan(RENEW_DEADLINE_MS + 300);
      // …and before b started leading: never two leaders.
      expect(stopped!.at).toBeLessThan(started!.at);
      expect(await gauge(a.metrics)).toBe(0);
    });
  });

  test('rejects timings that cannot be safe', () => {
    const kc = kubeConfig();
    const base = { kubeConfig: kc, namespace: 'x', identity: 'i', logger };
    expect(() => new LeaderElector({ ...base, leaseDurationMs: 10_000, renewDeadlineMs: 10_000 })).toThrow(
      'The lease duration must exceed the renew deadline; found 10000 ms ≤ 10000 ms',
    );
    expect(() => new LeaderElector({ ...base, renewDeadlineMs: 2000, retryPeriodMs: 2000 })).toThrow('The renew deadline must exceed 1.2 × the retry period');
    expect(() => new LeaderElector({ ...base, identity: '' })).toThrow('A leader elector needs a non-empty identity');
  });
});

test('microTime writes the six fractional digits the API server requires', () => {
  expect(microTime(Date.UTC(2025, 0, 2, 3, 4, 5, 678))).toBe('2025-01-02T03:04:05.678000Z');
});

// ---------------------------------------------------------------------------------------------------------

/** A TCP proxy that forwards until cut(); then it drops open connections and lets new ones hang. */
class Blackhole {
  private readonly server: Server;
  private readonly open = new Set<Socket>();
  private readonly hanging = new Set<Socket>();
  private isCut = false;
  readonly port: number;

  private constructor(server: Server, port: number, target: URL) {
    this.server = server;
    this.port = port;
    server.on('connection', (client) => {
      client.on('error', () => {});
      if (this.isCut) {
        this.hanging.add(client);
        client.on('close', () => this.hanging.delete(client));
        return;
      }
      const upstream = connect(Number(target.port), target.hostname);
      upstream.on('error', () => client.destroy());
      for (const s of [client, upstream]) {
        this.open.add(s);
        s.on('close', () => this.open.delete(s));
      }
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      client.pipe(upstream);
      upstream.pipe(client);
    });
  }

  static async start(target: string): Promise<Blackhole> {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return new Blackhole(server, (server.address() as { port: number }).port, new URL(target));
  }

  cut(): void {
    this.isCut = true;
    for (const s of this.open) s.destroy();
  }

  async close(): Promise<void> {
    this.cut();
    for (const s of this.hanging) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

