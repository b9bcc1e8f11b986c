/**
 * Property: the webhook's answer to a review (parsing, the serial line, the answer's wire format) is exactly
 * decide()'s judgement of the same change, for random changes on random models and random requesters — the webhook
 * adds no verdict of its own to a review it can read. (Once the rules of admission.md §3 are in decide(), this
 * covers them unchanged.) The webhook takes its informer's conversion of the oldObject's resourceVersion instead of
 * reading it again (here: the conversion of that oldObject, when it converts, as the informer would have it); the
 * answer is still decide()'s reading the raw oldObject.
 */
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { decide, type AdmissionOptions } from '../../../src/admission/decide.ts';
import { answerReview } from '../../../src/controller/admission-review.ts';
import { AdmissionWebhook } from '../../../src/controller/admission-webhook.ts';
import { loadCatalog } from '../../../src/catalog/load-catalog.ts';
import { Engine } from '../../../src/engine/engine.ts';
import { ALL_USERS, modelArb, objectArb, T0 } from '../engine/arbitraries.ts';
import type { ModelObject } from '../../../src/model/model.ts';
import { toModelObject } from '../../../src/model/to-model-object.ts';
import { capturingLogger } from './support.ts';

const catalog = loadCatalog(undefined);
const options: AdmissionOptions = { bypassUsers: ['ci-bot'], bypassGroups: ['platform'], selfRegistration: true };

/** A manifest of a model object, as the API server would send it in a review. */
function manifest(o: ModelObject): Record<string, unknown> {
  const metadata: Record<string, unknown> = { name: o.name, uid: `uid-${o.name}`, resourceVersion: '7', ...('labels' in o && o.labels ? { labels: o.labels } : {}) };
  const { kind, name: _n, generation: _g, ...spec } = o as ModelObject & { labels?: unknown; namespace?: string };
  delete (spec as Record<string, unknown>).labels;
  if (o.kind === 'Collaboration') {
    metadata.namespace = o.namespace;
    delete (spec as Record<string, unknown>).namespace;
  }
  return { apiVersion: 'charter.dev/v1alpha1', kind, metadata, spec: JSON.parse(JSON.stringify(spec)) as unknown };
}

const requesterArb = fc.record({
  username: fc.oneof(fc.constantFrom(...ALL_USERS), fc.constant('ci-bot'), fc.constant('system:serviceaccount:argocd:argocd-application-controller')),
  groups: fc.subarray(['system:authenticated', 'platform', 'developers']),
});

describe('the webhook answers as decide() judges', () => {
  test('for random changes on random models and random requesters', async () => {
    await fc.assert(
      fc.asyncProperty(modelArb, objectArb, objectArb, fc.constantFrom('CREATE', 'UPDATE', 'DELETE' as const), requesterArb, fc.boolean(), async (model, after, before, operation, requester, dryRun) => {
        const engine = new Engine(model, catalog, {}, T0);
        const { logger } = capturingLogger();
        // The old object is the same object as the new one (same kind and name), with another spec.
        const old = { ...manifest(before), kind: after.kind, metadata: { ...(manifest(after).metadata as object), resourceVersion: '6' } };
        // The informer's conversion of resourceVersion 6 (an object that does not convert is never modelled).
        const informed = toModelObject(old);
        const modelledAt = (_ref: unknown, version: string): ModelObject | undefined => (version === '6' && informed.ok ? informed.object : undefined);
        const webhook = new AdmissionWebhook({ engine: () => engine, lookup: () => undefined, modelledAt, options, logger, holdMs: 1 });
        const object = manifest(after);
        const meta = object.metadata as { name: string; namespace?: string };
        const review = {
          apiVersion: 'admission.k8s.io/v1',
          kind: 'AdmissionReview',
          request: {
            uid: 'the-uid',
            kind: { group: 'charter.dev', version: 'v1alpha1', kind: after.kind },
            name: meta.name,
            ...(meta.namespace ? { namespace: meta.namespace } : {}),
            operation,
            userInfo: requester,
            object: operation === 'DELETE' ? null : object,
            oldObject: operation === 'CREATE' ? null : old,
            dryRun,
          },
        };
        const { status, answer } = await webhook.review(JSON.stringify(review));
        const expected = decide(
          { engine },
          {
            operation,
            kind: after.kind,
            name: meta.name,
            ...(meta.namespace ? { namespace: meta.namespace } : {}),
            ...(operation !== 'DELETE' ? { object } : {}),
            ...(operation !== 'CREATE' ? { oldObject: old } : {}),
            requester,
          },
          options,
        );
        expect(status).toBe(200);
        expect(answer).toEqual(answerReview('the-uid', expected));
      }),
      { numRuns: 200 },
    );
  });
});
