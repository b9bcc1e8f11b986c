/**
 * A User's `rightsSummary` comes from entity lists the engine keeps per grant subject (user-holdings.ts). These tests
 * hold the kept lists to what a fresh engine computes: after each way a subject's grants can change (added, removed,
 * re-judged by time, by the subject's existence, by a namespace claim) and each way an organization's part can
 * (ownerRights, owned namespaces, a member's mask), with the summaries read before the change so that lists are kept;
 * and on random models under random changes and passing time, where every summary also equals the one derived from
 * `Engine.holdings` (what statuses were computed from before the lists).
 */
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { loadCatalog } from '../../../src/catalog/load-catalog.ts';
import { Engine, type Change, type HoldingsSummary } from '../../../src/engine/engine.ts';
import type { Model, ModelObject } from '../../../src/model/model.ts';
import { T0, applyToModel, cloneModel } from './arbitraries.ts';
import { NOW, SCENARIO_TIMES, modelOfScenario, scenarioArb, scenarioChangeArb } from './scenario-arbitraries.ts';
import { collab, group, modelOf, org, summaryFromHoldings as fromHoldings, user } from './support.ts';

const catalog = loadCatalog();

/** Every user's summary. */
function summaries(engine: Engine): Record<string, HoldingsSummary> {
  return Object.fromEntries([...engine.model.users.keys()].sort().map((u) => [u, engine.holdingsSummary(u)]));
}

const base = (): ModelObject[] => [
  user('alice'),
  user('bob'),
  org('acme', { namespaces: ['acme'] }),
  org('beta', { namespaces: ['beta', 'beta-dev'] }),
  group('devs', { users: ['alice', 'bob'] }),
  collab('acme/g-devs', 'UserGroup/devs', 'Application/app1', ['RIGHT_APPLICATION_INFO'], { expiresAt: T0 + 1000 }),
  collab('beta/g-devs', 'UserGroup/devs', 'Gateway/gw1', ['RIGHT_GATEWAY_INFO']),
  collab('beta/m-alice', 'User/alice', 'Organization/beta', ['RIGHT_APPLICATION_INFO']),
  collab('acme/o-beta', 'Organization/beta', 'Application/app2', ['RIGHT_APPLICATION_ALL']),
  collab('acme/o-beta-gw', 'Organization/beta', 'Gateway/gw2', ['RIGHT_GATEWAY_ALL']),
];

/** Applies a step to a kept engine (summaries read before it) and checks its summaries against a fresh engine's. */
function expectKeptEqualsFresh(objects: ModelObject[], step: (engine: Engine) => void, rebuild: (model: Model) => Model, now = T0): Record<string, HoldingsSummary> {
  const engine = new Engine(modelOf(...objects), catalog, {}, T0);
  const before = summaries(engine);
  step(engine);
  const after = summaries(engine);
  const fresh = new Engine(rebuild(modelOf(...objects)), catalog, {}, now);
  expect(after).toEqual(summaries(fresh));
  expect(after).not.toEqual(before); // the step moved something the kept lists had to follow
  return after;
}

const upsert = (object: ModelObject): Change => ({ type: 'upsert', object });

describe('kept entity lists follow every change of what they are computed from', () => {
  test('the summary counts each entity once, by kind, with its namespaces', () => {
    const engine = new Engine(modelOf(...base()), catalog, {}, T0);
    // alice: app1 and gw1 through devs; app2 (RIGHT_APPLICATION_ALL ∩ her mask) through beta; not gw2 (mask has no Gateway right);
    // Organization/beta (no: her mask holds no Organization right); beta's namespaces by ownership (RIGHT_ALL ∩ mask).
    expect(engine.holdingsSummary('alice')).toEqual({ entities: 3, byKind: { Application: 2, Gateway: 1 }, namespaces: ['acme', 'beta', 'beta-dev'] });
    expect(engine.holdingsSummary('bob')).toEqual({ entities: 2, byKind: { Application: 1, Gateway: 1 }, namespaces: ['acme', 'beta'] });
    expect(engine.holdingsSummary('nobody')).toEqual({ entities: 0, byKind: {}, namespaces: [] });
  });

  test("a group's grant expiring (re-judged by time)", () => {
    const after = expectKeptEqualsFresh(base(), (e) => void e.advanceTime(T0 + 2000), (m) => m, T0 + 2000);
    expect(after.bob!.byKind).toEqual({ Gateway: 1 });
  });

  test("a group's grant added, edited and removed", () => {
    expectKeptEqualsFresh(base(), (e) => void e.apply([upsert(collab('acme/g-devs-2', 'UserGroup/devs', 'Client/c1', ['RIGHT_CLIENT_ALL']))]), (m) => {
      applyToModel(m, upsert(collab('acme/g-devs-2', 'UserGroup/devs', 'Client/c1', ['RIGHT_CLIENT_ALL'])));
      return m;
    });
    const notApplicable = collab('beta/g-devs', 'UserGroup/devs', 'Gateway/gw1', ['RIGHT_APPLICATION_INFO']); // no Gateway right: grants nothing
    expectKeptEqualsFresh(base(), (e) => void e.apply([upsert(notApplicable)]), (m) => (applyToModel(m, upsert(notApplicable)), m));
    const removal: Change = { type: 'delete', kind: 'Collaboration', namespace: 'beta', name: 'g-devs' };
    expectKeptEqualsFresh(base(), (e) => void e.apply([removal]), (m) => (applyToModel(m, removal), m));
  });

  test('the subject group deleted (its grants re-judged: SubjectNotFound) and created again', () => {
    const removal: Change = { type: 'delete', kind: 'UserGroup', name: 'devs' };
    expectKeptEqualsFresh(base(), (e) => void e.apply([removal]), (m) => (applyToModel(m, removal), m));
    const objects = base().filter((o) => !(o.kind === 'UserGroup' && o.name === 'devs'));
    const again = upsert(group('devs', { users: ['bob'] }));
    expectKeptEqualsFresh(objects, (e) => void e.apply([again]), (m) => (applyToModel(m, again), m));
  });

  test("an organization's grant added, its ownerRights and owned namespaces changed", () => {
    const grant = upsert(collab('acme/o-beta-3', 'Organization/beta', 'Application/app3', ['RIGHT_APPLICATION_INFO']));
    expectKeptEqualsFresh(base(), (e) => void e.apply([grant]), (m) => (applyToModel(m, grant), m));
    const nothingOwned = upsert(org('beta', { namespaces: ['beta', 'beta-dev'], ownerRights: [] }));
    expectKeptEqualsFresh(base(), (e) => void e.apply([nothingOwned]), (m) => (applyToModel(m, nothingOwned), m));
    const moreNamespaces = upsert(org('beta', { namespaces: ['beta', 'beta-dev', 'beta-ops'] }));
    expectKeptEqualsFresh(base(), (e) => void e.apply([moreNamespaces]), (m) => (applyToModel(m, moreNamespaces), m));
  });

  test("a namespace claimed by a second organization (the organization's grants there re-judged: NamespaceNotOwned)", () => {
    const objects = [...base(), collab('beta/o-beta-own', 'Organization/beta', 'Application/app3', ['RIGHT_APPLICATION_INFO'])];
    const claim = upsert(org('rival', { namespaces: ['beta'] }));
    expectKeptEqualsFresh(objects, (e) => void e.apply([claim]), (m) => (applyToModel(m, claim), m));
  });

  test('a user with more grants of its own than the first scratch holds (64), then one with a few', () => {
    // The own grants' entity ids go to a scratch array reused by every summary, grown when a user has more.
    // Bob's few own grants come after alice's many: only his may be counted, not what the scratch still holds past them.
    const many = Array.from({ length: 150 }, (_, i) => collab(`ns-${i % 7}/g-${i}`, 'User/alice', `Application/app-${i}`, ['RIGHT_APPLICATION_INFO']));
    const few = Array.from({ length: 3 }, (_, i) => collab(`ns-${i}/b-${i}`, 'User/bob', `Application/b-app-${i}`, ['RIGHT_APPLICATION_INFO']));
    const engine = new Engine(modelOf(...base(), ...many, ...few), catalog, {}, T0);
    for (const u of ['alice', 'bob', 'alice', 'bob']) expect(engine.holdingsSummary(u)).toEqual(fromHoldings(engine, u));
    expect(engine.holdingsSummary('alice').byKind.Application).toBe(152);
    expect(engine.holdingsSummary('bob').byKind.Application).toBe(4);
  });

  test("a member's mask changing (another list of the same organization)", () => {
    const wider = upsert(collab('beta/m-alice', 'User/alice', 'Organization/beta', ['RIGHT_APPLICATION_INFO', 'RIGHT_GATEWAY_INFO', 'RIGHT_ORGANIZATION_INFO']));
    const after = expectKeptEqualsFresh(base(), (e) => void e.apply([wider]), (m) => (applyToModel(m, wider), m));
    expect(after.alice).toEqual({ entities: 5, byKind: { Application: 2, Gateway: 2, Organization: 1 }, namespaces: ['acme', 'beta', 'beta-dev'] });
  });
});

describe('kept summaries == fresh summaries == derived from holdings, on random models', () => {
  type Step = { change: Change } | { time: number };
  const stepArb: fc.Arbitrary<Step> = fc.oneof(
    { weight: 4, arbitrary: scenarioChangeArb.map((change) => ({ change })) },
    { weight: 1, arbitrary: fc.constantFrom(...SCENARIO_TIMES).map((time) => ({ time })) },
  );

  test('random change sequences and passing time, summaries read between the steps', () => {
    let moved = 0;
    fc.assert(
      fc.property(scenarioArb, fc.array(stepArb, { maxLength: 12 }), (scenario, steps) => {
        const engine = new Engine(modelOfScenario(scenario), catalog, {}, NOW);
        const reference = modelOfScenario(scenario);
        let now = NOW;
        let previous = summaries(engine);
        for (const step of steps) {
          if ('time' in step) {
            engine.advanceTime(step.time);
            now = step.time;
          } else {
            engine.apply([step.change]);
            applyToModel(reference, step.change);
          }
          const kept = summaries(engine);
          const fresh = new Engine(cloneModel(reference), catalog, {}, now);
          expect(kept).toEqual(summaries(fresh));
          for (const [name, summary] of Object.entries(kept)) expect(summary).toEqual(fromHoldings(fresh, name));
          if (JSON.stringify(kept) !== JSON.stringify(previous)) moved++;
          previous = kept;
        }
      }),
      { numRuns: 1000 },
    );
    expect(moved).toBeGreaterThan(200); // the steps moved summaries the kept lists had to follow, often
  });
});

describe('a summary of many namespaces, and the first `limit` of them (what a status lists)', () => {
  // Names whose sorted order is not the order they are first seen in (n-0, n-37, n-74, … sort as strings): the
  // summary ranks them, and a user with more than a handful is sorted by those ranks, not by insertion.
  const name = (i: number): string => `n-${(i * 37) % 211}`;
  const limitArb = fc.constantFrom(undefined, 0, 1, 7, 33, 100, 150);

  test('== derived from holdings, sorted and cut at the limit, before and after namespaces are added', () => {
    let large = 0;
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 210 }), { maxLength: 160, size: 'max' }),
        fc.uniqueArray(fc.integer({ min: 0, max: 210 }), { maxLength: 60, size: 'max' }),
        fc.array(fc.constantFrom('User/alice', 'UserGroup/devs', 'Organization/big', 'User/bob'), { minLength: 211, maxLength: 211 }),
        limitArb,
        fc.boolean(),
        (first, later, subjects, limit, member) => {
          const grant = (i: number): ModelObject => collab(`${name(i)}/g`, subjects[i]!, `Application/${name(i)}-app`, ['RIGHT_APPLICATION_INFO']);
          // alice, when a member of big, holds rights in every namespace it owns (ownership).
          const owner = (namespaces: number[]): ModelObject => org('big', { namespaces: ['big', ...namespaces.map(name)] });
          const objects: ModelObject[] = [
            user('alice'),
            user('bob'),
            group('devs', { users: ['alice'] }),
            owner(first),
            ...(member ? [collab('big/m-alice', 'User/alice', 'Organization/big', ['RIGHT_APPLICATION_INFO'])] : []),
            ...first.map(grant),
          ];
          const engine = new Engine(modelOf(...objects), catalog, {}, T0);
          const expected = (e: Engine, u: string): HoldingsSummary => {
            const all = fromHoldings(e, u);
            return { ...all, namespaces: all.namespaces.slice(0, limit ?? Infinity) };
          };
          // alice, bob (none of alice's namespaces but those of bob's own grants), alice again: one summary's marks
          // must not show in the next.
          for (const u of ['alice', 'bob', 'alice']) expect(engine.holdingsSummary(u, limit)).toEqual(expected(engine, u));
          // More namespaces, owned and granted in after the names were ranked: ranked again.
          const all = [...new Set([...first, ...later])];
          engine.apply([upsert(owner(all)), ...later.filter((i) => !first.includes(i)).map((i) => upsert(grant(i)))]);
          for (const u of ['alice', 'bob']) expect(engine.holdingsSummary(u, limit)).toEqual(expected(engine, u));
          if (fromHoldings(engine, 'alice').namespaces.length > 100 && fromHoldings(engine, 'bob').namespaces.length > 32) large++;
        },
      ),
      { numRuns: 300 },
    );
    expect(large).toBeGreaterThan(20); // users with more namespaces than a status lists, often
  });
});
