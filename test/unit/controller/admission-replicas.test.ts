/**
 * Two requests that each pass alone but not together (alice removes gina's ownership of acme, and her own), judged by
 * webhooks with real engines and the real rules, each replica with its own informer state (a cache of resourceVersions
 * and an engine the test moves as its watch would):
 * - on one replica the second waits until the first has come back through the watch, and is denied LastOwner;
 * - on two replicas (admission.md §4, docs/admission.md "What remains") each judges from its own state: the second,
 *   reaching the other replica before that replica's watch has brought the first, passes too — nothing is shared
 *   between replicas, and it does not wait for a change another replica allowed. On a replica whose watch has brought
 *   the first, the same request is denied: the window is the watch's latency.
 * - forged reviews (anyone who reaches the webhook's port can POST one): a stream of platform CREATEs that are never
 *   persisted holds a request no longer than the hold from its arrival, and a platform change allowed before the
 *   request is still waited for (the platform removes one owner, alice the other: LastOwner), nor can a forged review
 *   of the same object stand in for a change pending on it.
 * Fake timers: in the first tests no time passes, so no wait runs out (the bounded wait is admission-webhook.test.ts's);
 * the forged streams move the fake clock (the webhook's monotonic clock with it) a millisecond at a time.
 */
import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals';
import { AdmissionWebhook } from '../../../src/controller/admission-webhook.ts';
import type { Engine } from '../../../src/engine/engine.ts';
import type { CollaborationObject } from '../../../src/model/model.ts';
import { toManifest } from '../../../src/model/to-manifest.ts';
import { objects as o, world } from '../admission/fixture.ts';
import { collab, user } from '../engine/support.ts';
import { capturingLogger } from './support.ts';

const gina = user('gina');
const mGina = collab('acme/m-gina', 'User/gina', 'Organization/acme', ['RIGHT_ORGANIZATION_ALL']);
const VERSIONS: Record<string, string> = { 'm-alice': '10', 'm-gina': '11' };

/** One operator replica: its engine and informer cache, as its watch has them, and its webhook. */
function replica() {
  const engine: Engine = world(gina, mGina);
  const cache = new Map<string, string>(Object.entries(VERSIONS).map(([name, rv]) => [`Collaboration/acme/${name}`, rv]));
  const webhook = new AdmissionWebhook({
    engine: () => engine,
    lookup: (kind, namespace, name) => {
      const rv = cache.get(`${kind}/${namespace}/${name}`);
      return rv === undefined ? undefined : { metadata: { resourceVersion: rv } };
    },
    options: { bypassUsers: [], bypassGroups: ['system:masters'], selfRegistration: true },
    logger: capturingLogger().logger,
  });
  /** The watch brings the deletion of a Collaboration to this replica: its cache, then its engine. */
  const deliverDeletion = (c: CollaborationObject): void => {
    cache.delete(`Collaboration/${c.namespace}/${c.name}`);
    engine.apply([{ type: 'delete', kind: 'Collaboration', namespace: c.namespace, name: c.name }]);
    webhook.observed();
  };
  return { engine, cache, webhook, deliverDeletion };
}

/** alice@example.com (User/alice) deletes a membership of acme; or `by` someone else, of the version `rv`. */
function removal(c: CollaborationObject, by = { username: 'alice@example.com', groups: ['system:authenticated'] }, rv = VERSIONS[c.name]): string {
  const oldObject = toManifest(c) as { metadata: Record<string, unknown> };
  oldObject.metadata = { ...oldObject.metadata, uid: `uid-${c.name}`, resourceVersion: rv };
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `review-${c.name}`,
      kind: { group: 'charter.dev', version: 'v1alpha1', kind: 'Collaboration' },
      name: c.name,
      namespace: c.namespace,
      operation: 'DELETE',
      userInfo: by,
      object: null,
      oldObject,
    },
  });
}

/** A cluster admin (system:masters: a platform identity, allowed whatever the state). */
const admin = { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] };

/**
 * A review no API server sent: anyone who reaches the webhook's port can POST one. As a platform identity, a CREATE
 * of a Collaboration that is never persisted: the webhook allows it and waits for it to come back, which it never does.
 */
function forged(n: number): string {
  const c = collab(`acme/forged-${n}`, 'User/gina', 'Organization/acme', ['RIGHT_ORGANIZATION_INFO']);
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `forged-${n}`,
      kind: { group: 'charter.dev', version: 'v1alpha1', kind: 'Collaboration' },
      name: c.name,
      namespace: c.namespace,
      operation: 'CREATE',
      userInfo: admin,
      object: toManifest(c),
      oldObject: null,
    },
  });
}

beforeEach(() => void jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'] }));
afterEach(() => void jest.useRealTimers());

/** Whether a promise has settled once the microtasks queued so far have run (no timer advances). */
async function settledYet(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true));
  await jest.advanceTimersByTimeAsync(0);
  return done;
}

describe('two removals of owners that each pass alone', () => {
  test('each passes alone', async () => {
    for (const c of [mGina, o.mAlice]) expect((await replica().webhook.review(removal(c))).answer.response.allowed).toBe(true);
  });

  test('one replica: the second waits for the first to come back through the watch, then is denied LastOwner', async () => {
    const a = replica();
    expect((await a.webhook.review(removal(mGina))).answer.response.allowed).toBe(true);
    const second = a.webhook.review(removal(o.mAlice));
    expect(await settledYet(second)).toBe(false);
    a.deliverDeletion(mGina);
    expect(await settledYet(second)).toBe(true);
    expect((await second).answer.response).toMatchObject({ allowed: false, status: { reason: 'LastOwner' } });
  });

  test('one replica whose informer is a version behind the oldObject: the older event does not release the line (the second is denied)', async () => {
    // The informer holds m-gina at rv 10 while the API server is at 11 (a relabel a moment before): alice's removal
    // of m-gina is made to rv 11. The watch bringing rv 11 (nothing Charter reads) is not her removal coming back.
    const a = replica();
    a.cache.set('Collaboration/acme/m-gina', '10');
    expect((await a.webhook.review(removal(mGina))).answer.response.allowed).toBe(true);
    const second = a.webhook.review(removal(o.mAlice));
    expect(await settledYet(second)).toBe(false);
    a.cache.set('Collaboration/acme/m-gina', '11');
    a.webhook.observed();
    expect(await settledYet(second)).toBe(false); // still waiting: judged now, gina would still own acme and it would pass
    expect(a.webhook.pendingChanges).toBe(1);
    a.deliverDeletion(mGina);
    expect((await second).answer.response).toMatchObject({ allowed: false, status: { reason: 'LastOwner' } });
  });

  test('two replicas: the second, reaching the other replica before its watch brought the first, passes too; after the watch, it is denied', async () => {
    const a = replica();
    const b = replica();
    expect((await a.webhook.review(removal(mGina))).answer.response.allowed).toBe(true);
    expect(a.webhook.pendingChanges).toBe(1);
    // b knows nothing of what a allowed: it judges at once, from its own state (where gina still owns acme).
    expect(b.webhook.pendingChanges).toBe(0);
    const onB = b.webhook.review(removal(o.mAlice));
    expect(await settledYet(onB)).toBe(true);
    expect((await onB).answer.response.allowed).toBe(true);
    // The window closes when a replica's watch has brought a's change: the same request is then denied there.
    const fresh = replica();
    fresh.deliverDeletion(mGina);
    expect((await fresh.webhook.review(removal(o.mAlice))).answer.response).toMatchObject({ allowed: false, status: { reason: 'LastOwner' } });
  });
});

describe('forged reviews: a platform CREATE every 1.5 s that never comes back (the audit\'s stall)', () => {
  /** Sends forged reviews every 1.5 s from now until `until` ms from now, moving the fake clock (and the monotonic one) with them. */
  async function forgeUntil(a: ReturnType<typeof replica>, sent: { n: number }, from: number, until: number): Promise<void> {
    for (let t = from; t < until; t += 1) {
      if (t % 1500 === 0) expect((await a.webhook.review(forged(sent.n++))).answer.response.allowed).toBe(true);
      await jest.advanceTimersByTimeAsync(1);
    }
  }

  test('a request waits at most the hold (2 s) from its arrival, however long the stream goes on, and is then judged on the state', async () => {
    const a = replica();
    const sent = { n: 0 };
    await forgeUntil(a, sent, 0, 100);
    const arrival = performance.now();
    const request = a.webhook.review(removal(mGina));
    await forgeUntil(a, sent, 100, 2099);
    expect(await settledYet(request)).toBe(false); // held by the forged changes allowed before it, and after it
    await forgeUntil(a, sent, 2099, 2100);
    expect(await settledYet(request)).toBe(true);
    expect(performance.now() - arrival).toBe(2000); // the fake monotonic clock: the hold, not a millisecond more
    expect((await request).answer.response.allowed).toBe(true); // judged by the rules (it passes alone), not denied
    await forgeUntil(a, sent, 2100, 7000);
    expect(sent.n).toBe(5); // the stream goes on; the next request is held no longer than this one
    const next = a.webhook.review(removal(o.mFred));
    await forgeUntil(a, sent, 7000, 8999);
    expect(await settledYet(next)).toBe(false);
    await forgeUntil(a, sent, 8999, 9000);
    expect(await settledYet(next)).toBe(true);
    expect(sent.n).toBe(6); // at 0, 1.5, … 7.5 s
  });

  test('the platform removes gina\'s ownership, alice then her own: alice waits for the platform\'s change and is denied LastOwner', async () => {
    const a = replica();
    const sent = { n: 0 };
    expect((await a.webhook.review(removal(mGina, admin))).answer.response).toMatchObject({ allowed: true }); // Platform
    await forgeUntil(a, sent, 0, 100);
    const alice = a.webhook.review(removal(o.mAlice));
    await forgeUntil(a, sent, 100, 800);
    expect(await settledYet(alice)).toBe(false); // judged now, gina would still own acme and it would pass
    a.deliverDeletion(mGina); // the platform's change comes back through the watch
    await forgeUntil(a, sent, 800, 2100);
    expect(await settledYet(alice)).toBe(true); // the forged changes do not hold her past the hold
    expect((await alice).answer.response).toMatchObject({ allowed: false, status: { reason: 'LastOwner' } });
  });

  test('a forged platform review of an object with a change pending does not replace that change: the line is not released early', async () => {
    // alice's removal of m-gina is made to rv 11 while this replica's informer holds rv 10 (behind). A forged
    // platform DELETE of m-gina "at rv 10" noted in its place would count the watch bringing rv 11 as its return.
    const a = replica();
    a.cache.set('Collaboration/acme/m-gina', '10');
    expect((await a.webhook.review(removal(mGina))).answer.response.allowed).toBe(true);
    expect((await a.webhook.review(removal(mGina, admin, '10'))).answer.response.allowed).toBe(true);
    const second = a.webhook.review(removal(o.mAlice));
    a.cache.set('Collaboration/acme/m-gina', '11');
    a.webhook.observed();
    expect(await settledYet(second)).toBe(false); // judged now, gina would still own acme and it would pass
    a.deliverDeletion(mGina);
    expect((await second).answer.response).toMatchObject({ allowed: false, status: { reason: 'LastOwner' } });
  });
});
