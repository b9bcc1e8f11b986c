/**
 * What the kept permission maps keep per namespace between changes, besides their rows: its `namespaceSubjects`
 * (returned as they are by `Engine.namespaceSubjects(ns, last)` while the namespace's grant version and owner are the
 * same) and its `nextExpiryIn` (kept while the engine's `expiryStamp` is the same). After every change and time
 * step, what is kept equals what is computed afresh: a version that misses a change (a grant added, removed or
 * re-judged, an owner moved) fails here.
 */
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import type { Engine } from '../../../src/engine/engine.ts';
import type { EngineState } from '../../../src/engine/engine-state.ts';
import { namespaceSubjects, type NamespaceSubjects } from '../../../src/engine/namespace-classes.ts';
import { NOW, SCENARIO_TIMES, modelOfScenario, scenarioArb, scenarioChangeArb } from './scenario-arbitraries.ts';
import { engineOf } from './support.ts';

const plain = (s: NamespaceSubjects): unknown => {
  const { version: _, ...rest } = s;
  return { ...rest, direct: [...rest.direct], byGroup: [...rest.byGroup], byOrganization: [...rest.byOrganization], groupToken: [...rest.groupToken] };
};

class Kept {
  readonly subjects = new Map<string, NamespaceSubjects>();
  readonly expiries = new Map<string, { stamp: readonly unknown[]; next: number | undefined }>();
  reused = 0;

  check(engine: Engine): void {
    const state = (engine as unknown as { state: EngineState }).state;
    const namespaces = new Set([...engine.mapNamespaces(), ...this.subjects.keys()]);
    for (const ns of namespaces) {
      const last = this.subjects.get(ns);
      const subjects = engine.namespaceSubjects(ns, last);
      if (subjects === last) this.reused++;
      expect([ns, plain(subjects)]).toEqual([ns, plain(namespaceSubjects(state, ns))]);
      this.subjects.set(ns, subjects);
      const stamp = engine.expiryStamp();
      const kept = this.expiries.get(ns);
      const next = engine.nextExpiryIn(ns);
      if (kept !== undefined && kept.stamp.every((part, i) => part === stamp[i])) expect([ns, kept.next]).toEqual([ns, next]);
      this.expiries.set(ns, { stamp, next });
    }
  }
}

describe('kept namespace subjects and next expiry == computed afresh', () => {
  test('on random models, after random changes and as time passes', () => {
    let reused = 0;
    fc.assert(
      fc.property(scenarioArb, fc.array(scenarioChangeArb, { maxLength: 10 }), (s, changes) => {
        const engine = engineOf(modelOfScenario(s), { adminRights: s.adminRights, now: NOW });
        const kept = new Kept();
        kept.check(engine);
        for (const change of changes) {
          engine.apply([change]);
          kept.check(engine);
        }
        for (const t of SCENARIO_TIMES) {
          engine.advanceTime(t);
          kept.check(engine);
        }
        reused += kept.reused;
      }),
      { numRuns: 300, interruptAfterTimeLimit: 60_000 },
    );
    // Subjects were kept across changes (the comparison was not only of fresh against fresh).
    expect(reused).toBeGreaterThan(100);
  }, 90_000);
});
