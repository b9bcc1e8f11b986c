import { describe, expect, jest, test } from '@jest/globals';
import { Registry } from 'prom-client';
import { createMetrics } from '../../../src/controller/metrics.ts';
import type { ControllerMetrics } from '../../../src/controller/metrics.ts';
import { WorkQueue } from '../../../src/controller/work-queue.ts';
import type { WorkQueueOptions } from '../../../src/controller/work-queue.ts';
import { capturingLogger, deferred, eventually, sleep } from './support.ts';

function queue(process: (key: string) => Promise<void>, opts: Partial<WorkQueueOptions> = {}) {
  const { logger, lines } = capturingLogger();
  const q = new WorkQueue({ name: 'test', workers: 2, process, logger, ...opts });
  return { q, lines };
}

async function metricValue(metrics: ControllerMetrics, metric: keyof ControllerMetrics, suffix = ''): Promise<number | undefined> {
  const m = metrics[metric] as { get(): Promise<{ values: { value: number; labels: Record<string, unknown>; metricName?: string }[] }> };
  const { values } = await m.get();
  return values.find((v) => v.labels.name === 'test' && (!suffix || v.metricName?.endsWith(suffix)))?.value;
}

describe('WorkQueue', () => {
  test('adds of a waiting key collapse into one item', async () => {
    const seen: string[] = [];
    const metrics = createMetrics(new Registry());
    const { q } = queue(async (k) => void seen.push(k), { metrics });
    q.add('a');
    q.add('b');
    q.add('a');
    q.add('a');
    expect(q.depth).toBe(2);
    expect(await metricValue(metrics, 'workqueueDepth')).toBe(2);
    expect(await metricValue(metrics, 'workqueueAdds')).toBe(2);
    q.start();
    await eventually(() => seen.length === 2);
    await sleep(20);
    expect(seen.sort()).toEqual(['a', 'b']);
    expect(q.depth).toBe(0);
    expect(await metricValue(metrics, 'workqueueDepth')).toBe(0);
    expect(await metricValue(metrics, 'workqueueQueueDuration', '_count')).toBe(2);
    expect(await metricValue(metrics, 'workqueueWorkDuration', '_count')).toBe(2);
    await q.shutdown();
  });

  test('a key is never processed concurrently with itself; added while processing, it runs once more after', async () => {
    const running = new Map<string, number>();
    let overlap = false;
    const runs: string[] = [];
    const gate = deferred();
    const { q } = queue(
      async (k) => {
        const n = (running.get(k) ?? 0) + 1;
        running.set(k, n);
        if (n > 1) overlap = true;
        runs.push(k);
        if (runs.length === 1) await gate.promise;
        running.set(k, n - 1);
      },
      { workers: 4 },
    );
    q.start();
    q.add('a');
    await eventually(() => runs.length === 1);
    // Three adds while 'a' is being processed: one more run, after this one, and not alongside it.
    q.add('a');
    q.add('a');
    q.add('a');
    expect(q.inFlight).toBe(1);
    expect(q.depth).toBe(0);
    await sleep(30);
    expect(runs).toEqual(['a']);
    gate.resolve();
    await eventually(() => runs.length === 2);
    await sleep(30);
    expect(runs).toEqual(['a', 'a']);
    expect(overlap).toBe(false);
    await q.shutdown();
  });

  test('a failing key is retried with exponential backoff, capped, and the backoff resets after a success', async () => {
    const metrics = createMetrics(new Registry());
    let calls = 0;
    const times: number[] = [];
    // Fails 5 times, succeeds once, then fails once more, then succeeds.
    const outcomes = [false, false, false, false, false, true, false, true];
    const { q, lines } = queue(
      async () => {
        times.push(performance.now());
        const ok = outcomes[calls++];
        if (!ok) throw new Error(`failure ${calls}`);
      },
      { baseDelayMs: 10, maxDelayMs: 60, metrics },
    );
    q.start();
    q.add('a');
    await eventually(() => calls === 6, 3000, 'six attempts');
    const delays = () => lines.filter((l) => l.message === 'processing failed; retrying with backoff').map((l) => l.delayMs);
    expect(delays()).toEqual([10, 20, 40, 60, 60]);
    // The waits really happened (timers never fire early; allow 2 ms of clock granularity).
    for (const [i, d] of [10, 20, 40, 60, 60].entries()) expect(times[i + 1]! - times[i]!).toBeGreaterThanOrEqual(d - 2);
    expect(lines[0]).toMatchObject({ level: 'warn', queue: 'test', key: 'a', attempts: 1, error: 'failure 1' });

    // After the success, the next failure starts again at the base delay.
    q.add('a');
    await eventually(() => calls === 8, 3000, 'two more attempts');
    expect(delays()).toEqual([10, 20, 40, 60, 60, 10]);
    expect(await metricValue(metrics, 'workqueueRetries')).toBe(6);
    await q.shutdown();
  });

  test('backoff is per key: one key failing does not delay another', async () => {
    const seen: string[] = [];
    const { q } = queue(
      async (k) => {
        seen.push(k);
        if (k === 'bad') throw new Error('always');
      },
      { baseDelayMs: 200, workers: 1 },
    );
    q.start();
    q.add('bad');
    await eventually(() => seen.length === 1);
    q.add('good');
    await eventually(() => seen.includes('good'), 100, 'good to run before bad is retried');
    expect(seen).toEqual(['bad', 'good']);
    await q.shutdown();
  });

  test('no more than `workers` keys are processed at a time', async () => {
    let active = 0;
    let peak = 0;
    let done = 0;
    const { q } = queue(
      async () => {
        active++;
        peak = Math.max(peak, active);
        await sleep(20);
        active--;
        done++;
      },
      { workers: 3 },
    );
    for (let i = 0; i < 12; i++) q.add(`k${i}`);
    q.start();
    await eventually(() => done === 12);
    expect(peak).toBe(3);
    await q.shutdown();
  });

  test('rejects a queue without workers', () => {
    expect(() => queue(async () => {}, { workers: 0 })).toThrow('A work queue needs at least one worker; found workers=0');
  });

  test('addAfter: of several wake-ups for one key the earliest wins, and it fires once', async () => {
    // Fake timers and a fake clock: the order of the wake-ups is the point, not the machine's timer latency.
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'] });
    try {
      const at: number[] = [];
      const clock = (): number => performance.now(); // this module's performance is the faked one
      const t0 = clock();
      const { q } = queue(async () => void at.push(clock() - t0), { clock });
      q.start();
      q.addAfter('a', 300);
      q.addAfter('a', 60);
      q.addAfter('a', 200);
      expect(q.depth).toBe(0);
      await jest.advanceTimersByTimeAsync(59);
      expect(at).toEqual([]);
      await jest.advanceTimersByTimeAsync(1);
      expect(at).toEqual([60]);
      await jest.advanceTimersByTimeAsync(400);
      expect(at).toEqual([60]);
      await q.shutdown();
    } finally {
      jest.useRealTimers();
    }
  });

  test('addAfter with no delay adds at once; an add does not cancel a pending wake-up', async () => {
    const seen: number[] = [];
    const t0 = performance.now();
    const { q } = queue(async () => void seen.push(performance.now() - t0));
    q.start();
    q.addAfter('a', 80);
    q.addAfter('b', 0);
    q.add('a');
    await eventually(() => seen.length === 3, 1000);
    expect(seen[2]).toBeGreaterThanOrEqual(78);
    await q.shutdown();
  });

  test('shutdown finishes the keys in flight, drops waiting keys and wake-ups, ignores later adds and does not retry', async () => {
    const started: string[] = [];
    const finished: string[] = [];
    const gates = new Map([
      ['a', deferred()],
      ['b', deferred()],
    ]);
    const { q } = queue(async (k) => {
      started.push(k);
      await gates.get(k)?.promise;
      finished.push(k);
      if (k === 'b') throw new Error('late failure');
    });
    q.start();
    for (const k of ['a', 'b', 'c', 'd']) q.add(k);
    q.addAfter('e', 10);
    await eventually(() => started.length === 2);
    expect(q.depth).toBe(2);

    let drained = false;
    const shutdown = q.shutdown().then(() => (drained = true));
    expect(q.depth).toBe(0);
    q.add('f');
    q.addAfter('g', 1);
    expect(q.shutdown()).toBeInstanceOf(Promise); // idempotent
    gates.get('a')!.resolve();
    await sleep(30);
    expect(drained).toBe(false); // 'b' still runs
    gates.get('b')!.resolve();
    await shutdown;
    expect(drained).toBe(true);
    await sleep(30);
    expect(started).toEqual(['a', 'b']);
    expect(finished).toEqual(['a', 'b']);
    expect(() => q.start()).toThrow('Work queue test was shut down; it cannot start again');
  });

  test('urgent keys are taken before the others, each lane first in, first out', async () => {
    const order: string[] = [];
    const { q } = queue(async (k) => void order.push(k), { workers: 1, urgent: (k) => k.startsWith('map/') });
    for (const k of ['status/a', 'status/b', 'map/x', 'status/c', 'map/y']) q.add(k);
    expect(q.depth).toBe(5);
    q.start();
    await eventually(() => order.length === 5);
    expect(order).toEqual(['map/x', 'map/y', 'status/a', 'status/b', 'status/c']);
    await q.shutdown();
  });

  test('urgent keys never starve the others: after urgentRun urgent keys in a row, one other is taken', async () => {
    const order: string[] = [];
    const { q } = queue(async (k) => void order.push(k), { workers: 1, urgent: (k) => k.startsWith('u'), urgentRun: 3 });
    for (let i = 0; i < 8; i++) q.add(`u${i}`);
    q.add('o0');
    q.add('o1');
    q.start();
    await eventually(() => order.length === 10);
    expect(order).toEqual(['u0', 'u1', 'u2', 'o0', 'u3', 'u4', 'u5', 'o1', 'u6', 'u7']);
    await q.shutdown();
  });

  test('an endless stream of urgent keys still lets the other lane through', async () => {
    const order: string[] = [];
    let n = 0;
    const { q } = queue(
      async (k) => {
        order.push(k);
        // Every urgent key processed queues another: the urgent lane never empties.
        if (k.startsWith('u') && n < 100) q.add(`u${++n}`);
      },
      { workers: 2, urgent: (k) => k.startsWith('u'), urgentRun: 4 },
    );
    q.add('u0');
    q.add('o0');
    q.add('o1');
    q.start();
    await eventually(() => order.includes('o1'), 1000, 'the other lane to be served');
    expect(order.indexOf('o1')).toBeLessThan(15);
    await q.shutdown();
  });

  test('urgentWorkers: urgent keys run up to workers + urgentWorkers at a time, the others up to workers', async () => {
    const active = { u: 0, o: 0 };
    const peak = { u: 0, o: 0, all: 0 };
    let done = 0;
    const { q } = queue(
      async (k) => {
        const lane = k.startsWith('u') ? 'u' : 'o';
        active[lane]++;
        peak[lane] = Math.max(peak[lane], active[lane]);
        peak.all = Math.max(peak.all, active.u + active.o);
        await sleep(15);
        active[lane]--;
        done++;
      },
      { workers: 2, urgentWorkers: 3, urgent: (k) => k.startsWith('u') },
    );
    for (let i = 0; i < 10; i++) q.add(`u${i}`);
    q.start();
    await eventually(() => done === 10);
    expect(peak.u).toBe(5);
    for (let i = 0; i < 6; i++) q.add(`o${i}`);
    await eventually(() => done === 16);
    expect(peak.o).toBe(2);
    expect(peak.all).toBe(5);
    await q.shutdown();
  });

  test('urgentWorkers do not starve the others: an endless urgent stream filling every worker still lets them through', async () => {
    const order: string[] = [];
    let n = 0;
    const { q } = queue(
      async (k) => {
        order.push(k);
        await sleep(2);
        if (k.startsWith('u') && n < 200) q.add(`u${++n}`);
      },
      { workers: 1, urgentWorkers: 3, urgent: (k) => k.startsWith('u'), urgentRun: 4 },
    );
    for (let i = 0; i < 4; i++) q.add(`u${i}`);
    n = 3;
    q.add('o0');
    q.add('o1');
    q.start();
    await eventually(() => order.includes('o1'), 2000, 'the other lane to be served');
    expect(order.indexOf('o1')).toBeLessThan(20);
    await q.shutdown();
  });

  test('rejects urgentWorkers that are not an integer ≥ 0', () => {
    expect(() => queue(async () => {}, { urgentWorkers: -1 })).toThrow("A work queue's urgentWorkers must be an integer ≥ 0; found urgentWorkers=-1");
  });

  test('rejects an urgentRun that is not a positive integer', () => {
    expect(() => queue(async () => {}, { urgentRun: 0 })).toThrow("A work queue's urgentRun must be a positive integer; found urgentRun=0");
  });

  test('shutdown of an idle queue resolves at once', async () => {
    const { q } = queue(async () => {});
    q.start();
    await q.shutdown();
  });
});

describe("WorkQueue: a wake-up beyond setTimeout's 2^31 − 1 ms (a grant expiring in more than 24.8 days)", () => {
  test('addAfter(2^31 + 1000 ms): no timer longer than setTimeout allows (Node would fire it after 1 ms), nothing run early, run at its time', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'] });
    try {
      const ran: number[] = [];
      const { logger } = capturingLogger();
      const queue = new WorkQueue({ name: 't', workers: 1, logger, clock: () => Date.now(), process: async () => void ran.push(Date.now()) });
      queue.start();
      const start = Date.now();
      const delays: number[] = [];
      const real = globalThis.setTimeout;
      const spy = jest.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) => (delays.push(ms ?? 0), real(fn, ms))) as typeof setTimeout);
      queue.addAfter('expiry', 2 ** 31 + 1000);
      spy.mockRestore();
      expect(Math.max(...delays)).toBeLessThanOrEqual(2 ** 31 - 1);
      await jest.advanceTimersByTimeAsync(10);
      expect(ran).toEqual([]);
      await jest.advanceTimersByTimeAsync(2 ** 31 - 20);
      expect(ran).toEqual([]);
      await jest.advanceTimersByTimeAsync(1100);
      expect(ran).toHaveLength(1);
      expect(ran[0]! - start).toBeGreaterThanOrEqual(2 ** 31 + 1000);
      await queue.shutdown();
    } finally {
      jest.useRealTimers();
    }
  });
});
