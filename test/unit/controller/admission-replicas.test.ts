/**
 * Two requests that each pass alone but not together (alice removes gina's ownership of acme, and her own), judged by
 * webhooks with real engines and the real rules, each replica with its own informer state (a cache of resourceVersions
 * and an engine the test moves as its watch would):
 * - on one replica the second waits until the first has come back through the watch, and is denied LastOwner;
 * - on two replicas (admission.md §4, docs/admission.md "What remains") each judges from its own state: the second,
 *   reaching the other replica before that replica's watch has brought the first, passes too — nothing is shared
 *   between replicas, and it does not wait for a change another replica allowed. On a replica whose watch has brought
 *   the first, the same request is denied: the window is the watch's latency.
 * Fake timers: no time passes in these tests, so no wait runs out (the bounded wait is admission-webhook.test.ts's).
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

/** alice@example.com (User/alice) deletes a membership of acme. */
function removal(c: CollaborationObject): string {
  const oldObject = toManifest(c) as { metadata: Record<string, unknown> };
  oldObject.metadata = { ...oldObject.metadata, uid: `uid-${c.name}`, resourceVersion: VERSIONS[c.name] };
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `review-${c.name}`,
      kind: { group: 'charter.dev', version: 'v1alpha1', kind: 'Collaboration' },
      name: c.name,
      namespace: c.namespace,
      operation: 'DELETE',
      userInfo: { username: 'alice@example.com', groups: ['system:authenticated'] },
      object: null,
      oldObject,
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
