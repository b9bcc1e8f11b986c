/**
 * The operator's queue is wired to take permission maps (and expiry) before statuses, with workers of their own
 * (operator.ts `operatorWorkQueue`; the queue's own rules are in work-queue.test.ts).
 */
import { expect, test } from '@jest/globals';
import { operatorWorkQueue } from '../../../src/controller/operator.ts';
import { formatWorkKey, mapKey, statusKey, EXPIRY } from '../../../src/controller/work-key.ts';
import { capturingLogger, deferred, eventually } from './support.ts';

test('a map key queued behind statuses starts at once on a map worker, and the expiry key before the waiting statuses', async () => {
  const started: string[] = [];
  const running = new Map<string, ReturnType<typeof deferred>>();
  const q = operatorWorkQueue({
    workers: 1,
    logger: capturingLogger().logger,
    process: (key) => {
      started.push(key);
      const d = deferred();
      running.set(key, d);
      return d.promise;
    },
  });
  q.start();
  const [a, b, c] = ['a', 'b', 'c'].map((name) => formatWorkKey(statusKey({ kind: 'User', name })));
  const acme = formatWorkKey(mapKey('acme'));
  const expiry = formatWorkKey(EXPIRY);
  q.add(a!);
  q.add(b!);
  q.add(c!);
  q.add(acme);
  // The one shared worker runs status a; the map does not wait behind b and c: a map worker takes it.
  await eventually(() => started.length === 2);
  expect(started).toEqual([a, acme]);
  // Both workers busy: the expiry key, queued after b and c, is taken before them by the next free worker.
  q.add(expiry);
  running.get(acme)!.resolve();
  await eventually(() => started.length === 3);
  expect(started[2]).toBe(expiry);
  // Then the statuses, in their order.
  running.get(a!)!.resolve();
  running.get(expiry)!.resolve();
  await eventually(() => started.length === 4);
  expect(started[3]).toBe(b);
  running.get(b!)!.resolve();
  await eventually(() => started.length === 5);
  expect(started[4]).toBe(c);
  running.get(c!)!.resolve();
  await q.shutdown();
});
