import { afterEach, describe, expect, jest, test } from '@jest/globals';
import { Registry } from 'prom-client';
import type { AdmissionDecision, AdmissionRequest } from '../../../src/admission/decide.ts';
import { AdmissionWebhook, type AdmissionWebhookOptions } from '../../../src/controller/admission-webhook.ts';
import type { EventTarget, RecordedEvent } from '../../../src/controller/event-recorder.ts';
import { createMetrics } from '../../../src/controller/metrics.ts';
import type { Engine } from '../../../src/engine/engine.ts';
import type { ModelObject, ObjectRef } from '../../../src/model/model.ts';
import { review } from './admission-support.ts';
import { capturingLogger, sleep } from './support.ts';

const engine = {} as Engine;
const options = { bypassUsers: ['ci-bot'], bypassGroups: ['system:masters'], selfRegistration: true };
const body = (overrides: Record<string, unknown> = {}): string => JSON.stringify(review(overrides));
const bobCollaboration = (rights: string[], resourceVersion = '42') => ({
  apiVersion: 'charter.dev/v1alpha1',
  kind: 'Collaboration',
  metadata: { name: 'c1', namespace: 'acme', uid: 'u-1', resourceVersion },
  spec: { subject: { kind: 'User', name: 'bob' }, target: { kind: 'Application', name: 'app1' }, rights },
});

function setup(overrides: Partial<AdmissionWebhookOptions> = {}) {
  const { logger, lines } = capturingLogger();
  const registry = new Registry();
  const metrics = createMetrics(registry);
  const events: { target: EventTarget; event: RecordedEvent }[] = [];
  /** The informer cache: object key → resourceVersion. */
  const cache = new Map<string, string>([['Collaboration/acme/c1', '42']]);
  const decided: AdmissionRequest[] = [];
  let verdict = (r: AdmissionRequest): AdmissionDecision =>
    r.requester.username === 'ci-bot' ? { allowed: true, actingAs: 'platform', denials: [] } : { allowed: false, actingAs: 'nobody', denials: [{ reason: 'UnknownRequester', message: `${r.requester.username} is no User` }] };
  const webhookOptions: AdmissionWebhookOptions = {
    engine: () => engine,
    lookup: (kind, namespace, name) => {
      const rv = cache.get(namespace ? `${kind}/${namespace}/${name}` : `${kind}/${name}`);
      return rv === undefined ? undefined : { metadata: { resourceVersion: rv } };
    },
    options,
    logger,
    metrics,
    recordEvent: async (target, event) => events.push({ target, event }),
    decide: (state, request) => {
      expect(state.engine).toBe(engine);
      decided.push(request);
      return verdict(request);
    },
    holdMs: 300,
    ...overrides,
  };
  const webhook = new AdmissionWebhook(webhookOptions);
  const count = async (labels: Record<string, string>): Promise<number> =>
    (await metrics.admissionRequests.get()).values.filter((v) => Object.entries(labels).every(([k, x]) => (v.labels as Record<string, unknown>)[k] === x)).reduce((a, v) => a + v.value, 0);
  return { webhook, webhookOptions, lines, events, cache, decided, metrics, count, setVerdict: (f: typeof verdict) => (verdict = f) };
}

describe('AdmissionWebhook.review', () => {
  test('a denial: 200, the same uid, code 403, reason and message; counted; a log line and an Event on the existing object', async () => {
    const { webhook, lines, events, count } = setup();
    const { status, answer } = await webhook.review(body());
    expect(status).toBe(200);
    expect(answer.response).toEqual({ uid: '705ab4f5-6393-11e8-b7cc-42010a800002', allowed: false, status: { code: 403, reason: 'UnknownRequester', message: 'UnknownRequester: alice is no User' } });
    expect(await count({ kind: 'Collaboration', operation: 'UPDATE', verdict: 'denied', reason: 'UnknownRequester' })).toBe(1);
    await sleep(20);
    expect(lines.find((l) => l.message === 'admission denied')).toMatchObject({ requester: 'alice', object: 'Collaboration/acme/c1', reason: 'UnknownRequester', operation: 'UPDATE', dryRun: false });
    expect(events).toEqual([
      {
        target: { apiVersion: 'charter.dev/v1alpha1', kind: 'Collaboration', name: 'c1', namespace: 'acme', uid: 'u-1' },
        event: { type: 'Warning', reason: 'UnknownRequester', note: 'UPDATE by alice denied: UnknownRequester: alice is no User', action: 'Admit' },
      },
    ]);
  });

  test('no Event for a dry run, nor for a CREATE (the object does not exist): the log line only', async () => {
    const { webhook, lines, events } = setup();
    await webhook.review(body({ dryRun: true }));
    await webhook.review(body({ operation: 'CREATE', oldObject: null }));
    expect(events).toEqual([]);
    await sleep(20);
    expect(lines.filter((l) => l.message === 'admission denied')).toHaveLength(2);
  });

  test('a platform identity is allowed and counted as Platform; an allow by the rules as Permitted', async () => {
    const { webhook, count, setVerdict } = setup();
    const platform = await webhook.review(body({ userInfo: { username: 'ci-bot' } }));
    expect(platform.answer.response).toEqual({ uid: '705ab4f5-6393-11e8-b7cc-42010a800002', allowed: true });
    setVerdict(() => ({ allowed: true, actingAs: 'User/alice', denials: [] }));
    await webhook.review(body({ dryRun: true }));
    expect(await count({ verdict: 'allowed', reason: 'Platform' })).toBe(1);
    expect(await count({ verdict: 'allowed', reason: 'Permitted' })).toBe(1);
  });

  test('a malformed body: denied (400 without a uid, 200 with one), counted as Malformed, never decided', async () => {
    const { webhook, decided, count } = setup();
    const noUid = await webhook.review('{"apiVersion":"admission.k8s.io/v1"}');
    expect(noUid.status).toBe(400);
    expect(noUid.answer.response).toMatchObject({ uid: '', allowed: false, status: { code: 403, reason: 'Malformed' } });
    const withUid = await webhook.review(body({ operation: 'CONNECT' }));
    expect(withUid.status).toBe(200);
    expect(withUid.answer.response.status?.message).toMatch(/^Malformed: Charter could not read the admission review: request.operation must be/);
    expect(decided).toEqual([]);
    expect(await count({ verdict: 'error', reason: 'Malformed' })).toBe(2);
  });

  test('refuse(): a request refused before its body was read is a Malformed denial', async () => {
    const { webhook, count } = setup();
    expect(webhook.refuse('too large').response).toMatchObject({ allowed: false, status: { reason: 'Malformed', message: 'Malformed: Charter could not read the admission review: too large' } });
    expect(await count({ kind: 'unknown', operation: 'unknown', reason: 'Malformed' })).toBe(1);
  });

  test('no engine yet: denied NotReady, counted as an error', async () => {
    const { webhook, count } = setup({ engine: () => undefined });
    const { answer } = await webhook.review(body());
    expect(answer.response.status).toMatchObject({ reason: 'NotReady' });
    expect(await count({ verdict: 'error', reason: 'NotReady' })).toBe(1);
  });

  test('a decision that throws is a denial (an error), not an allow', async () => {
    const { webhook, count } = setup({ decide: () => { throw new Error('boom'); } });
    const { answer } = await webhook.review(body({ userInfo: { username: 'ci-bot' } }));
    expect(answer.response).toMatchObject({ allowed: false, status: { reason: 'DecisionFailed', message: 'DecisionFailed: the decision failed: boom' } });
    expect(await count({ verdict: 'error', reason: 'DecisionFailed' })).toBe(1);
  });

  test("the old object: the engine's conversion of the oldObject's very resourceVersion when it holds one, never for a create", async () => {
    const converted = { kind: 'Collaboration', namespace: 'acme', name: 'c1' } as ModelObject;
    const asked: Array<[ObjectRef, string]> = [];
    const { webhook, decided } = setup({ modelledAt: (ref, rv) => (asked.push([ref, rv]), rv === '42' ? converted : undefined) });
    await webhook.review(body());
    expect(decided[0]!.oldModelObject).toBe(converted);
    expect(decided[0]!.oldObject).toBeDefined(); // still there, for the fields the model does not hold
    await webhook.review(body({ oldObject: bobCollaboration(['RIGHT_APPLICATION_INFO'], '41') }));
    expect(decided[1]!.oldModelObject).toBeUndefined();
    expect(asked).toEqual([
      [{ kind: 'Collaboration', namespace: 'acme', name: 'c1' }, '42'],
      [{ kind: 'Collaboration', namespace: 'acme', name: 'c1' }, '41'],
    ]);
    await webhook.review(body({ operation: 'CREATE', oldObject: null }));
    expect(asked).toHaveLength(2);
    expect(decided[2]!.oldModelObject).toBeUndefined();
  });

  test('every answer is timed in charter_admission_duration_seconds', async () => {
    const { webhook, metrics } = setup();
    await webhook.review(body());
    const values = (await metrics.admissionDuration.get()).values;
    expect(values.find((v) => v.metricName === 'charter_admission_duration_seconds_count' && v.labels.kind === 'Collaboration' && v.labels.operation === 'UPDATE')?.value).toBe(1);
  });
});

describe('AdmissionWebhook: requests judged on the same state', () => {
  /** alice may remove bob's rights only while someone else still holds them: a LastOwner-like invariant. */
  function lastOwnerSetup() {
    const s = setup();
    const holders = new Set(['bob', 'carol']);
    s.setVerdict((r) => {
      if (r.requester.username === 'ci-bot') return { allowed: true, actingAs: 'platform', denials: [] };
      const subject = (r.oldObject as { spec: { subject: { name: string } } }).spec.subject.name;
      const left = [...holders].filter((h) => h !== subject);
      return left.length > 0 ? { allowed: true, actingAs: 'User/alice', denials: [] } : { allowed: false, actingAs: 'User/alice', denials: [{ reason: 'LastOwner', message: 'no owner would be left' }] };
    });
    /** The API server persisting an allowed change, and the watch bringing it back to the informer later. */
    const persist = (remove: string, key: string, rv: string): void => {
      holders.delete(remove);
      s.cache.set(key, rv);
      s.webhook.observed();
    };
    return { ...s, holders, persist };
  }

  const removal = (subject: string, name: string, rv: string) =>
    body({ name, operation: 'DELETE', object: null, oldObject: { ...bobCollaboration(['RIGHT_APPLICATION_ALL'], rv), metadata: { name, namespace: 'acme', uid: name, resourceVersion: rv }, spec: { subject: { kind: 'User', name: subject } } } });

  // Fake timers and clock: which request is judged when is the point, not the machine's timer latency.
  const fakeClock = (): void => void jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'] });
  afterEach(() => void jest.useRealTimers());
  /** Whether a promise has settled, after the microtasks queued so far have run (no timer advances). */
  const settledYet = async (p: Promise<unknown>): Promise<boolean> => {
    let done = false;
    void p.then(() => (done = true));
    await jest.advanceTimersByTimeAsync(0);
    return done;
  };

  test('the second of two removals waits for the first to come back through the watch, and is judged on that state', async () => {
    fakeClock();
    const { webhook, cache, persist, decided } = lastOwnerSetup();
    cache.set('Collaboration/acme/c-bob', '10');
    cache.set('Collaboration/acme/c-carol', '11');
    const first = await webhook.review(removal('bob', 'c-bob', '10'));
    expect(first.answer.response.allowed).toBe(true);
    expect(webhook.pendingChanges).toBe(1);
    const second = webhook.review(removal('carol', 'c-carol', '11'));
    await jest.advanceTimersByTimeAsync(250);
    expect(await settledYet(second)).toBe(false); // held: the first removal has not come back yet
    expect(decided).toHaveLength(1);
    cache.delete('Collaboration/acme/c-bob'); // the DELETED event reaches the informer …
    persist('bob', 'Collaboration/acme/c-bob', 'gone');
    expect(await settledYet(second)).toBe(true); // … and the second goes on at once, before its wait runs out
    expect((await second).answer.response).toMatchObject({ allowed: false, status: { reason: 'LastOwner' } });
    expect(webhook.pendingChanges).toBe(0);
  });

  test('an informer behind the oldObject (cached rv 9, oldObject rv 10): the older rv-10 event does not release the line', async () => {
    fakeClock();
    const { webhook, cache, persist } = lastOwnerSetup();
    cache.set('Collaboration/acme/c-bob', '9'); // the watch has not brought rv 10 yet (e.g. a relabel a moment ago)
    cache.set('Collaboration/acme/c-carol', '11');
    expect((await webhook.review(removal('bob', 'c-bob', '10'))).answer.response.allowed).toBe(true);
    const second = webhook.review(removal('carol', 'c-carol', '11'));
    expect(await settledYet(second)).toBe(false);
    cache.set('Collaboration/acme/c-bob', '10'); // the older change arrives: bob's removal is not in it
    webhook.observed();
    expect(await settledYet(second)).toBe(false);
    cache.delete('Collaboration/acme/c-bob');
    persist('bob', 'Collaboration/acme/c-bob', 'gone');
    expect((await second).answer.response).toMatchObject({ allowed: false, status: { reason: 'LastOwner' } });
  });

  test('a delete of an object the informer has not seen yet: its ADDED event does not release the line, its DELETED does', async () => {
    fakeClock();
    const { webhook, cache, holders } = lastOwnerSetup();
    cache.set('Collaboration/acme/c-carol', '11'); // c-bob (rv 10) was just created; its ADDED has not arrived
    expect((await webhook.review(removal('bob', 'c-bob', '10'))).answer.response.allowed).toBe(true);
    const second = webhook.review(removal('carol', 'c-carol', '11'));
    cache.set('Collaboration/acme/c-bob', '10');
    webhook.observed();
    expect(await settledYet(second)).toBe(false);
    cache.delete('Collaboration/acme/c-bob');
    holders.delete('bob');
    webhook.observed();
    expect(await settledYet(second)).toBe(true);
    expect((await second).answer.response).toMatchObject({ allowed: false, status: { reason: 'LastOwner' } });
  });

  test('events delivered in one go (one chunk of the watch): each version is compared as it passes', async () => {
    fakeClock();
    const { webhook, cache, holders } = lastOwnerSetup();
    cache.set('Collaboration/acme/c-bob', '9');
    cache.set('Collaboration/acme/c-carol', '11');
    await webhook.review(removal('bob', 'c-bob', '10'));
    const second = webhook.review(removal('carol', 'c-carol', '11'));
    expect(await settledYet(second)).toBe(false);
    // rv 10, then the deletion, applied and observed before the waiting request runs again.
    cache.set('Collaboration/acme/c-bob', '10');
    webhook.observed();
    cache.delete('Collaboration/acme/c-bob');
    holders.delete('bob');
    webhook.observed();
    expect(await settledYet(second)).toBe(true); // at once, not after the wait runs out
    expect((await second).answer.response).toMatchObject({ allowed: false, status: { reason: 'LastOwner' } });
  });

  test('a create while the informer still holds a deleted object of that name: the DELETED event of the old one does not release the line', async () => {
    fakeClock();
    const { webhook, cache, decided, setVerdict } = lastOwnerSetup();
    setVerdict(() => ({ allowed: true, actingAs: 'User/alice', denials: [] }));
    cache.set('Collaboration/acme/c1', '5'); // deleted at rv 6; the watch has not brought that yet
    await webhook.review(body({ operation: 'CREATE', oldObject: null }));
    const second = webhook.review(body({ name: 'c2', operation: 'CREATE', oldObject: null, object: { ...bobCollaboration(['RIGHT_APPLICATION_INFO']), metadata: { name: 'c2', namespace: 'acme' } } }));
    expect(await settledYet(second)).toBe(false);
    cache.delete('Collaboration/acme/c1'); // the old object's DELETED
    webhook.observed();
    expect(await settledYet(second)).toBe(false);
    cache.set('Collaboration/acme/c1', '7'); // the created one's ADDED
    webhook.observed();
    expect(await settledYet(second)).toBe(true);
    expect(decided).toHaveLength(2);
  });

  test('the bounded wait: an allowed change that never comes back holds the next request 2 s (the default), then no longer', async () => {
    fakeClock();
    const s = lastOwnerSetup();
    const { lines } = s;
    const { holdMs: _setupHold, ...defaults } = s.webhookOptions;
    const webhook = new AdmissionWebhook(defaults);
    s.cache.set('Collaboration/acme/c-bob', '10');
    expect((await webhook.review(removal('bob', 'c-bob', '10'))).answer.response.allowed).toBe(true);
    // The API server refused the change after the webhook allowed it: the watch never brings it back.
    const second = webhook.review(removal('nobody', 'c-x', '12'));
    await jest.advanceTimersByTimeAsync(1_999);
    expect(await settledYet(second)).toBe(false);
    expect(webhook.pendingChanges).toBe(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(await settledYet(second)).toBe(true);
    expect((await second).answer.response.allowed).toBe(true);
    expect(webhook.pendingChanges).toBe(1); // the second removal, allowed in turn, is waited for now
    expect(lines.some((l) => l.message === 'an allowed change did not come back through the watch in time; no longer waiting for it' && l.object === 'Collaboration/acme/c-bob' && l.holdMs === 2000)).toBe(true);
  });

  test('the wait is measured on the monotonic clock: the wall clock stepped back an hour (NTP, a VM resumed) does not hold the next request longer', async () => {
    fakeClock();
    const { webhook, cache } = lastOwnerSetup(); // holdMs 300, the default clock
    cache.set('Collaboration/acme/c-bob', '10');
    expect((await webhook.review(removal('bob', 'c-bob', '10'))).answer.response.allowed).toBe(true); // never comes back
    jest.setSystemTime(Date.now() - 3_600_000);
    const next = webhook.review(removal('nobody', 'c-x', '12'));
    await jest.advanceTimersByTimeAsync(299);
    expect(await settledYet(next)).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(await settledYet(next)).toBe(true); // on the wall clock: an hour (the API server gives up after 5 s)
  });

  test('the wait is counted from when the change was allowed, not from when the next request came', async () => {
    fakeClock();
    const { webhook, cache } = lastOwnerSetup();
    cache.set('Collaboration/acme/c-bob', '10');
    await webhook.review(removal('bob', 'c-bob', '10')); // holdMs 300 in this setup
    await jest.advanceTimersByTimeAsync(200);
    const second = webhook.review(removal('nobody', 'c-x', '12'));
    await jest.advanceTimersByTimeAsync(99);
    expect(await settledYet(second)).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(await settledYet(second)).toBe(true);
  });

  test('platform requests never wait', async () => {
    fakeClock();
    const { webhook } = lastOwnerSetup();
    await webhook.review(removal('bob', 'c-bob', '10'));
    const held = webhook.review(removal('nobody', 'c-x', '12'));
    const platform = webhook.review(body({ userInfo: { username: 'ci-bot' }, dryRun: true }));
    expect(await settledYet(platform)).toBe(true); // no timer ran: it did not wait behind the pending change
    expect((await platform).answer.response.allowed).toBe(true);
    expect(await settledYet(held)).toBe(false);
    await jest.advanceTimersByTimeAsync(300);
    expect(await settledYet(held)).toBe(true);
  });

  test('a change the rules allowed after a request arrived (a request ahead of it judged late) and not back by its hold: the request is denied NotReady, not judged without it', async () => {
    fakeClock();
    const { webhook, cache, setVerdict, decided, count } = lastOwnerSetup(); // holdMs 300
    setVerdict(() => ({ allowed: true, actingAs: 'User/alice', denials: [] }));
    cache.set('Collaboration/acme/c-bob', '10');
    cache.set('Collaboration/acme/c-carol', '11');
    await webhook.review(removal('bob', 'c-bob', '10')); // allowed at 0; never comes back (refused after the webhook)
    const ahead = webhook.review(removal('carol', 'c-carol', '11')); // waits for it until 300, then is allowed
    await jest.advanceTimersByTimeAsync(100);
    const behind = webhook.review(removal('dan', 'c-dan', '12')); // arrives at 100: may wait until 400
    await jest.advanceTimersByTimeAsync(200);
    expect((await ahead).answer.response.allowed).toBe(true);
    await jest.advanceTimersByTimeAsync(99);
    expect(await settledYet(behind)).toBe(false); // c-carol's removal may still come back
    await jest.advanceTimersByTimeAsync(1);
    expect(await settledYet(behind)).toBe(true); // at its hold, c-carol's removal (allowed at 300) is still on its way
    expect((await behind).answer.response).toMatchObject({ allowed: false, status: { reason: 'NotReady', message: expect.stringContaining('Collaboration/acme/c-carol') } });
    expect(decided.map((r) => r.name)).toEqual(['c-bob', 'c-carol']); // never judged without it
    expect(await count({ verdict: 'error', reason: 'NotReady' })).toBe(1);
  });

  test('given up, counted by source and reason: a change whose wait ran out, and the oldest platform changes past the cap', async () => {
    fakeClock();
    const { webhook, cache, setVerdict, metrics } = setup({ maxPlatformPending: 2 });
    const givenUp = async (labels: Record<string, string>): Promise<number> => (await metrics.admissionChangesGivenUp.get()).values.find((v) => v.labels.source === labels.source && v.labels.reason === labels.reason)?.value ?? -1;
    const platformCreate = (name: string): string => body({ name, operation: 'CREATE', oldObject: null, userInfo: { username: 'ci-bot' }, object: { ...bobCollaboration(['RIGHT_APPLICATION_INFO']), metadata: { name, namespace: 'acme' } } });
    for (const name of ['p1', 'p2', 'p3']) expect((await webhook.review(platformCreate(name))).answer.response.allowed).toBe(true);
    expect(webhook.pendingChanges).toBe(2); // p1 was pushed out
    expect(await givenUp({ source: 'platform', reason: 'evicted' })).toBe(1);
    cache.set('Collaboration/acme/p2', '1');
    cache.set('Collaboration/acme/p3', '2');
    expect(webhook.pendingChanges).toBe(0); // p2 and p3 came back: nothing is waited for (p1 no longer is)
    setVerdict(() => ({ allowed: true, actingAs: 'User/alice', denials: [] }));
    await webhook.review(body({ object: bobCollaboration(['RIGHT_APPLICATION_ALL']) }));
    await webhook.review(platformCreate('p4'));
    await jest.advanceTimersByTimeAsync(300);
    expect(webhook.pendingChanges).toBe(0);
    expect(await givenUp({ source: 'judged', reason: 'expired' })).toBe(1);
    expect(await givenUp({ source: 'platform', reason: 'expired' })).toBe(1);
    expect(await givenUp({ source: 'platform', reason: 'evicted' })).toBe(1);
  });

  test('dry runs and updates that change nothing are not waited for (they are never persisted as a change)', async () => {
    const { webhook, setVerdict } = setup();
    setVerdict(() => ({ allowed: true, actingAs: 'User/alice', denials: [] }));
    await webhook.review(body({ dryRun: true, object: bobCollaboration(['RIGHT_APPLICATION_ALL']) }));
    expect(webhook.pendingChanges).toBe(0);
    const same = bobCollaboration(['RIGHT_APPLICATION_INFO']);
    await webhook.review(body({ object: { ...same, metadata: { ...same.metadata, resourceVersion: '43', managedFields: [{ manager: 'kubectl' }] } }, oldObject: same }));
    expect(webhook.pendingChanges).toBe(0);
    await webhook.review(body({ object: bobCollaboration(['RIGHT_APPLICATION_ALL']), oldObject: same }));
    expect(webhook.pendingChanges).toBe(1);
  });

  test('a change seen by the informer (its resourceVersion moved on) is no longer pending', async () => {
    const { webhook, setVerdict, cache } = setup();
    setVerdict(() => ({ allowed: true, actingAs: 'User/alice', denials: [] }));
    await webhook.review(body({ object: bobCollaboration(['RIGHT_APPLICATION_ALL']) }));
    expect(webhook.pendingChanges).toBe(1);
    cache.set('Collaboration/acme/c1', '43');
    expect(webhook.pendingChanges).toBe(0);
  });

  test('a create is pending until the object appears in the cache', async () => {
    const { webhook, setVerdict, cache } = setup();
    setVerdict(() => ({ allowed: true, actingAs: 'User/alice', denials: [] }));
    cache.delete('Collaboration/acme/c1');
    await webhook.review(body({ operation: 'CREATE', oldObject: null }));
    expect(webhook.pendingChanges).toBe(1);
    cache.set('Collaboration/acme/c1', '50');
    expect(webhook.pendingChanges).toBe(0);
  });
});
