/**
 * A replica whose watches keep failing (informer-failing.test.ts) past --staleness-limit is unready, and its webhook
 * denies NotReady while an informer of the four kinds is; both recover when the informer does. White-box: the
 * Operator's informers are marked listed, and their failingForMs replaced, without an API server.
 */
import { afterEach, expect, jest, test } from '@jest/globals';
import type { KubernetesObject } from '@kubernetes/client-node';
import { loadCatalog } from '../../../src/catalog/load-catalog.ts';
import type { Informer } from '../../../src/controller/informer.ts';
import { Operator } from '../../../src/controller/operator.ts';
import { review } from './admission-support.ts';
import { unreachableKubeConfig } from './loopback-server.ts';
import { capturingLogger } from './support.ts';

let operator: Operator | undefined;
afterEach(async () => {
  await operator?.stop();
  operator = undefined;
});

function builtOperator(stalenessLimitMs?: number) {
  const kubeConfig = unreachableKubeConfig();
  const { logger } = capturingLogger();
  operator = new Operator({ kubeConfig, catalog: loadCatalog(), logger, leaderElection: false, ...(stalenessLimitMs ? { stalenessLimitMs } : {}) });
  const informers = (operator as unknown as { informers: Map<string, Informer<KubernetesObject>> }).informers;
  for (const i of informers.values()) (i as unknown as { isSynced: boolean }).isSynced = true;
  operator.reconciler.rebuild();
  (operator as unknown as { built: boolean }).built = true;
  /** Makes `name`'s informer say it has been failing for `ms`, with `why`. */
  const failing = (name: string, ms: number, why = 'watch error: 500 InternalError'): void => {
    const informer = informers.get(name)!;
    jest.spyOn(informer, 'failingForMs').mockReturnValue(ms);
    jest.spyOn(informer, 'failure', 'get').mockReturnValue(ms > 0 ? why : undefined);
  };
  return { operator, failing };
}

const reviewBody = JSON.stringify(review());

test('a User informer failing past the limit (120 s by default): unready, saying why, and the webhook denies NotReady; both recover', async () => {
  const { operator, failing } = builtOperator();
  expect(operator.ready).toBe(true);
  const before = (await operator.webhook.review(reviewBody)).answer.response;
  expect(before.status?.reason).not.toBe('NotReady');

  failing('User', 119_000); // within the limit: the state as it is
  expect(operator.ready).toBe(true);
  expect((await operator.webhook.review(reviewBody)).answer.response.status?.reason).not.toBe('NotReady');

  failing('User', 121_000);
  expect(operator.ready).toBe(false);
  expect(operator.notReadyReason).toBe('the watch has been failing longer than the staleness limit (120 s): User for 121 s (watch error: 500 InternalError)');
  const denied = (await operator.webhook.review(reviewBody)).answer.response;
  expect(denied).toMatchObject({ allowed: false, status: { reason: 'NotReady' } });
  expect(denied.status?.message).toContain("this Charter replica's state may be stale: the watch has been failing longer than the staleness limit (120 s): User for 121 s");

  failing('User', 0); // a watch delivered again
  expect(operator.ready).toBe(true);
  expect((await operator.webhook.review(reviewBody)).answer.response.status?.reason).not.toBe('NotReady');
});

test('--staleness-limit sets the bound; an informer the webhook does not judge from (ConfigMaps) makes the replica unready only', async () => {
  const { operator, failing } = builtOperator(30_000);
  failing('ConfigMap', 31_000);
  expect(operator.ready).toBe(false);
  expect(operator.notReadyReason).toContain('(30 s): ConfigMap for 31 s');
  expect((await operator.webhook.review(reviewBody)).answer.response.status?.reason).not.toBe('NotReady');
  failing('Collaboration', 31_000);
  expect((await operator.webhook.review(reviewBody)).answer.response).toMatchObject({ allowed: false, status: { reason: 'NotReady' } });
});

test('while stale, its status keys are held, not written: the reconciler asks the Operator whether it is', async () => {
  const { operator, failing } = builtOperator();
  const held = (operator.reconciler as unknown as { heldWhileStale: Map<string, unknown> }).heldWhileStale;
  failing('User', 121_000);
  // A status key whose write would reach the (unreachable) API server: held instead, so it neither writes nor throws.
  await operator.reconciler.process('status/User/nobody');
  expect([...held.keys()]).toEqual(['status/User/nobody']);
  failing('User', 0);
});
