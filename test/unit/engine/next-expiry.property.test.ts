/**
 * `Engine.nextExpiryIn` reads the grant index's expiry indexes (expiring grants by namespace, expiring memberships by
 * organization, subject organizations by namespace); after random changes it equals the rule scanned from every
 * Collaboration of the namespace and every membership of the organizations concerned (what it computed before those
 * indexes existed). The engine keeps the answer per namespace while the time stays before it (and not before the time
 * it was computed at): the time steps here pass expiries and go back, with and without the expiry check.
 */
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { loadCatalog } from '../../../src/catalog/load-catalog.ts';
import { CHECKS } from '../../../src/engine/collaboration-checks.ts';
import { Engine, type Change } from '../../../src/engine/engine.ts';
import type { EngineState } from '../../../src/engine/engine-state.ts';
import { T0, changeArb, cloneModel, modelArb } from './arbitraries.ts';
import { NOW, SCENARIO_TIMES, modelOfScenario, scenarioArb, scenarioChangeArb } from './scenario-arbitraries.ts';

const catalog = loadCatalog();

/** The rule by a scan (docs of `nextExpiryIn`). */
function scanned(engine: Engine, namespace: string): number | undefined {
  const { now, grants, organizations: structure } = (engine as unknown as { state: EngineState }).state;
  let next: number | undefined;
  const consider = (at: number | undefined, active: boolean): void => {
    if (at !== undefined && at > now && active && (next === undefined || at < next)) next = at;
  };
  const organizations = new Set<string>();
  const withAncestors = (org: string): void => {
    organizations.add(org);
    for (const a of structure.ancestors.get(org) ?? []) organizations.add(a);
  };
  for (const record of grants.inNamespace(namespace)) {
    if (record.target.organization === undefined) consider(record.collab.expiresAt, record.verdict.active);
    if (record.collab.subject.kind === 'Organization') withAncestors(record.collab.subject.name);
  }
  const owner = structure.owner.get(namespace);
  if (owner !== undefined) withAncestors(owner);
  for (const org of organizations) for (const record of grants.onOrganization(org)) consider(record.collab.expiresAt, record.verdict.active);
  return next;
}


/** Checks the engine, then applies each step (a change or a time step) and checks it again. */
function runSteps(engine: Engine, steps: ReadonlyArray<{ change: Change } | { time: number }>, check: () => void): void {
  check();
  for (const step of steps) {
    if ('change' in step) engine.apply([step.change]);
    else engine.advanceTime(step.time);
    check();
  }
}
describe('nextExpiryIn == the rule scanned from every Collaboration', () => {
  test('random models, random changes and time steps', () => {
    fc.assert(
      fc.property(modelArb, fc.array(fc.oneof(changeArb.map((change) => ({ change })), fc.integer({ min: -2, max: 8 }).map((d) => ({ time: T0 + d * 1000 }))), { maxLength: 12 }), (initial, steps) => {
        const engine = new Engine(cloneModel(initial), catalog, {}, T0);
        const check = (): void => {
          for (const ns of ['n0', 'n1', 'n2', 'n3', 'elsewhere']) expect([ns, engine.nextExpiryIn(ns)]).toEqual([ns, scanned(engine, ns)]);
        };
        runSteps(engine, steps, check);
      }),
      { numRuns: 300 },
    );
  });

  test('dense scenarios (active memberships and grants that expire), random changes and time steps', () => {
    let defined = 0;
    fc.assert(
      fc.property(scenarioArb, fc.array(fc.oneof(scenarioChangeArb.map((change) => ({ change })), fc.constantFrom(...SCENARIO_TIMES).map((time) => ({ time }))), { maxLength: 12 }), (s, steps) => {
        const engine = new Engine(modelOfScenario(s), catalog, { adminRights: s.adminRights }, NOW);
        const check = (): void => {
          for (const ns of ['n0', 'n1', 'n2', 'n3']) {
            const next = engine.nextExpiryIn(ns);
            if (next !== undefined) defined++;
            expect([ns, next]).toEqual([ns, scanned(engine, ns)]);
          }
        };
        runSteps(engine, steps, check);
      }),
      { numRuns: 300 },
    );
    // The runs met expiring grants that count (not only namespaces with none).
    expect(defined).toBeGreaterThan(500);
  });

  test('without the expiry check (a grant past its expiresAt stays active), the kept answer moves with the time alone', () => {
    // Time steps move no verdict here, so nothing but the time says a kept answer is stale (passed, or gone back).
    const checks = CHECKS.filter((c) => !c.reads.includes('expiry'));
    let defined = 0;
    fc.assert(
      fc.property(scenarioArb, fc.array(fc.oneof(scenarioChangeArb.map((change) => ({ change })), fc.constantFrom(...SCENARIO_TIMES).map((time) => ({ time }))), { maxLength: 12 }), (s, steps) => {
        const engine = new Engine(modelOfScenario(s), catalog, { adminRights: s.adminRights, checks }, NOW);
        const check = (): void => {
          for (const ns of ['n0', 'n1', 'n2', 'n3']) {
            const next = engine.nextExpiryIn(ns);
            if (next !== undefined) defined++;
            expect([ns, next]).toEqual([ns, scanned(engine, ns)]);
          }
        };
        runSteps(engine, steps, check);
      }),
      { numRuns: 300 },
    );
    expect(defined).toBeGreaterThan(500);
  });
});
