/**
 * A re-list (410 Gone: the watch missed events) rebuilds the engine from the new list (Operator.relisted): a
 * Collaboration deleted while the watch was gone, whose DELETED event never came, stops granting in the engine the
 * webhook judges with and the maps are written from. White-box: the Operator's informers are filled and re-listed by
 * hand, without an API server (the informer's own re-list: test/integration/informer.test.ts).
 */
import { expect, test } from '@jest/globals';
import { loadCatalog } from '../../../src/catalog/load-catalog.ts';
import type { RawObject } from '../../../src/controller/cluster-model.ts';
import { Operator } from '../../../src/controller/operator.ts';
import { rawCollaboration, rawUser } from './builders.ts';
import { unreachableKubeConfig } from './loopback-server.ts';
import { capturingLogger } from './support.ts';

test('a Collaboration deleted while the watch was gone stops granting after the re-list', async () => {
  const kubeConfig = unreachableKubeConfig();
  const { logger } = capturingLogger();
  const operator = new Operator({ kubeConfig, catalog: loadCatalog(), logger, leaderElection: false });
  try {
    type Inf = { cache: Map<string, RawObject>; handlers: { onRelist(list: RawObject[]): void }[] };
    const informers = (operator as unknown as { informers: Map<string, Inf> }).informers;
    informers.get('User')!.cache.set('/bob', rawUser('bob', {}, { resourceVersion: '1' }));
    informers.get('Collaboration')!.cache.set('acme/c-bob', rawCollaboration('acme/c-bob', 'User/bob', 'Application/app1', ['RIGHT_APPLICATION_ALL'], { resourceVersion: '2' }));
    operator.reconciler.rebuild();
    (operator as unknown as { built: boolean }).built = true;
    expect(operator.reconciler.engine!.profile('bob')!.entities.size).toBe(1);
    const collaborations = informers.get('Collaboration')!;
    collaborations.cache.clear(); // the re-list's answer: c-bob is gone
    for (const h of collaborations.handlers) h.onRelist([]);
    expect(operator.reconciler.currentEngine()!.profile('bob')!.entities.size).toBe(0);
  } finally {
    await operator.stop();
  }
});
