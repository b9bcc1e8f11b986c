/**
 * The Event recorder against a fake API: a first event is created, a repeat within the window patches the first
 * one's series, a different note or an expired window creates another, the token buckets (the replica's and each
 * object's) drop what exceeds their burst (and say so through `onDrop`) and refill with time, one noisy object never
 * spends another's share, and a failed write is reported, never thrown.
 */
import { describe, expect, test } from '@jest/globals';
import { MERGE_PATCH } from '../../../src/controller/api-client.ts';
import { EventRecorder, type EventTarget, type RecordedEvent } from '../../../src/controller/event-recorder.ts';
import { FakeApi, fails } from './fake-api.ts';

const GRANT: EventTarget = { apiVersion: 'charter.dev/v1alpha1', kind: 'Collaboration', name: 'c-ghost', namespace: 'acme', uid: 'u1' };
const MISSING: RecordedEvent = { type: 'Warning', reason: 'SubjectNotFound', note: 'Ready=False: User ghost does not exist (yet)' };
const CREATE = 'POST /apis/events.k8s.io/v1/namespaces/acme/events';

function recorder(
  api: FakeApi,
  clock: { t: number },
  options: { burst?: number; perSecond?: number; windowMs?: number; objectBurst?: number; objectRefillMs?: number } = {},
) {
  const log: string[] = [];
  const events = new EventRecorder({
    api,
    reportingInstance: 'test',
    now: () => clock.t,
    ...options,
    onWrite: (verb, ok) => log.push(`${verb}:${ok ? 'ok' : 'error'}`),
    onDrop: () => log.push('dropped'),
  });
  return { events, log };
}

describe('aggregation', () => {
  test('a repeat within the window patches the first Event: series count 2, then 3', async () => {
    const api = new FakeApi();
    const clock = { t: Date.parse('2026-06-01T00:00:00Z') };
    const { events, log } = recorder(api, clock);
    expect(await events.record(GRANT, MISSING)).toBe(true);
    clock.t += 60_000;
    expect(await events.record(GRANT, MISSING)).toBe(true);
    clock.t += 60_000;
    expect(await events.record(GRANT, MISSING)).toBe(true);
    const name = (api.actions[0]!.body as { metadata: { name: string } }).metadata.name;
    expect(api.verbs).toEqual([CREATE, `PATCH /apis/events.k8s.io/v1/namespaces/acme/events/${name}`, `PATCH /apis/events.k8s.io/v1/namespaces/acme/events/${name}`]);
    expect(api.actions[1]).toMatchObject({ contentType: MERGE_PATCH, body: { series: { count: 2, lastObservedTime: '2026-06-01T00:01:00.000000Z' } } });
    expect(api.actions[2]).toMatchObject({ body: { series: { count: 3 } } });
    expect(log).toEqual(['create:ok', 'patch:ok', 'patch:ok']);
  });

  test('another note, another object (or the same name with another uid), or the window passed: a new Event', async () => {
    const api = new FakeApi();
    const clock = { t: 0 };
    const { events } = recorder(api, clock, { windowMs: 1_000 });
    await events.record(GRANT, MISSING);
    await events.record(GRANT, { ...MISSING, note: 'Accepted=False: User ghost does not exist (yet)' });
    await events.record({ ...GRANT, uid: 'u2' }, MISSING);
    clock.t += 1_001;
    await events.record(GRANT, MISSING);
    expect(api.verbs).toEqual([CREATE, CREATE, CREATE, CREATE]);
  });

  test('a cluster-scoped object: its Event in the cluster namespace, regarding it', async () => {
    const api = new FakeApi();
    const { events } = recorder(api, { t: 0 });
    await events.record({ apiVersion: 'charter.dev/v1alpha1', kind: 'User', name: 'bob', uid: 'u' }, { type: 'Warning', reason: 'AmbiguousIdentity', note: 'n' });
    expect(api.verbs).toEqual(['POST /apis/events.k8s.io/v1/namespaces/default/events']);
    expect(api.actions[0]!.body).toMatchObject({ type: 'Warning', reason: 'AmbiguousIdentity', action: 'Reconcile', reportingController: 'charter.dev/operator', regarding: { kind: 'User', name: 'bob' } });
  });
});

describe('the rate limit', () => {
  test('past the burst, events are dropped and counted; a second later two more go through', async () => {
    const api = new FakeApi();
    const clock = { t: 0 };
    const { events, log } = recorder(api, clock, { burst: 3, perSecond: 2 });
    const results: boolean[] = [];
    for (let i = 0; i < 5; i++) results.push(await events.record({ ...GRANT, name: `g${i}` }, MISSING));
    expect(results).toEqual([true, true, true, false, false]);
    expect(log.filter((l) => l === 'dropped')).toHaveLength(2);
    expect(api.actions).toHaveLength(3);
    clock.t += 1_000;
    for (let i = 5; i < 8; i++) results.push(await events.record({ ...GRANT, name: `g${i}` }, MISSING));
    expect(results.slice(5)).toEqual([true, true, false]);
  });

  test('by default 100 objects go through at once, the 101st is dropped, and a second later 10 more', async () => {
    const api = new FakeApi();
    const clock = { t: 0 };
    const { events } = recorder(api, clock);
    const results: boolean[] = [];
    for (let i = 0; i < 101; i++) results.push(await events.record({ ...GRANT, name: `g${i}` }, MISSING));
    expect(results.filter(Boolean)).toHaveLength(100);
    expect(results[100]).toBe(false);
    clock.t += 1_000;
    const more: boolean[] = [];
    for (let i = 101; i < 112; i++) more.push(await events.record({ ...GRANT, name: `g${i}` }, MISSING));
    expect(more).toEqual([...Array<boolean>(10).fill(true), false]);
  });

  test('a noisy object spends its own 25, never the others\' share; five minutes later it gets one more', async () => {
    const api = new FakeApi();
    const clock = { t: 0 };
    const { events, log } = recorder(api, clock);
    const noisy: boolean[] = [];
    for (let i = 0; i < 30; i++) noisy.push(await events.record({ ...GRANT, name: 'noisy' }, { ...MISSING, note: `n${i}` }));
    expect(noisy.filter(Boolean)).toHaveLength(25);
    expect(noisy.slice(25)).toEqual([false, false, false, false, false]);
    expect(log.filter((l) => l === 'dropped')).toHaveLength(5);
    // Another object (the same name in another namespace, too) still gets its events through, and its repeat patches.
    expect(await events.record(GRANT, MISSING)).toBe(true);
    expect(await events.record(GRANT, MISSING)).toBe(true);
    expect(await events.record({ ...GRANT, name: 'noisy', namespace: 'other' }, MISSING)).toBe(true);
    expect(api.verbs.at(-2)).toMatch(/^PATCH /);
    clock.t += 5 * 60_000;
    expect(await events.record({ ...GRANT, name: 'noisy' }, { ...MISSING, note: 'later' })).toBe(true);
    expect(await events.record({ ...GRANT, name: 'noisy' }, { ...MISSING, note: 'later still' })).toBe(false);
  });

  test('an event dropped by the replica\'s bucket spends nothing of its object\'s', async () => {
    const api = new FakeApi();
    const clock = { t: 0 };
    const { events } = recorder(api, clock, { burst: 1, perSecond: 1, objectBurst: 1, objectRefillMs: 3_600_000 });
    expect(await events.record({ ...GRANT, name: 'a' }, MISSING)).toBe(true);
    expect(await events.record({ ...GRANT, name: 'b' }, MISSING)).toBe(false);
    clock.t += 1_000;
    expect(await events.record({ ...GRANT, name: 'b' }, MISSING)).toBe(true);
  });

  test('objects whose buckets are full again are forgotten once there are 4096', async () => {
    const api = new FakeApi();
    const clock = { t: 0 };
    const { events } = recorder(api, clock, { burst: 10_000, objectRefillMs: 1_000 });
    for (let i = 0; i < 4096; i++) await events.record({ ...GRANT, name: `g${i}` }, MISSING);
    expect(events.objectBuckets).toBe(4096);
    clock.t += 500;
    await events.record({ ...GRANT, name: 'early' }, MISSING);
    expect(events.objectBuckets).toBe(4097);
    clock.t += 1_000;
    await events.record({ ...GRANT, name: 'late' }, MISSING);
    // Each spent one token, refilled within a second: every bucket is full again, so all are swept before `late`'s.
    expect(events.objectBuckets).toBe(1);
  });
});

describe('failures', () => {
  test('a failed create is reported and returns false; the next repeat creates again (no series was kept)', async () => {
    const api = new FakeApi().on('POST', /events$/, fails(500, 'InternalError'), 1);
    const { events, log } = recorder(api, { t: 0 });
    expect(await events.record(GRANT, MISSING)).toBe(false);
    expect(await events.record(GRANT, MISSING)).toBe(true);
    expect(api.verbs).toEqual([CREATE, CREATE]);
    expect(log).toEqual(['create:error', 'create:ok']);
  });
});
