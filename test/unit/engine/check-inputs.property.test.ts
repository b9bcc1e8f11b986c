/**
 * The engine re-judges Collaborations by what each check declares it reads (collaboration-checks.ts `reads`), not
 * by rules of its own: for every kind of input, a check that reads it, judged alone, gives after any random sequence
 * of changes (and moves of time) the same verdicts and publications as a fresh engine. The same check declaring that
 * it reads nothing makes the engine fall behind: the declaration is what is honoured.
 */
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { loadCatalog } from '../../../src/catalog/load-catalog.ts';
import type { CheckInput, CollaborationCheck } from '../../../src/engine/collaboration-checks.ts';
import { Engine, type Change } from '../../../src/engine/engine.ts';
import type { Model } from '../../../src/model/model.ts';
import { T0, applyToModel, changeArb, cloneModel, modelArb } from './arbitraries.ts';
import { snapshot } from './snapshot.ts';

const catalog = loadCatalog();
const fail = (message: string) => ({ reason: 'InvalidTarget' as const, message });

/** One check per input, each reading only that input (and the Collaboration). */
const READERS: Record<CheckInput, CollaborationCheck['check']> = {
  // A field of the subject: a Suspended user, a group listing no user, an organization with a parent.
  subject: (c, { model }) => {
    const { kind, name } = c.subject;
    const odd =
      kind === 'User' ? model.users.get(name)?.state === 'Suspended' : kind === 'UserGroup' ? model.groups.get(name)?.users.length === 0 : model.organizations.get(name)?.parent !== undefined;
    return odd ? fail(`${kind} ${name} is odd`) : undefined;
  },
  subjectExistence: (c, { model }) => {
    const { kind, name } = c.subject;
    const exists = kind === 'User' ? model.users.has(name) : kind === 'UserGroup' ? model.groups.has(name) : model.organizations.has(name);
    return exists ? undefined : fail(`${kind} ${name} is missing`);
  },
  // A field of the target organization of a membership: its ownerRights, or its absence.
  targetOrganization: (c, { model }) => {
    if (c.target.kind !== 'Organization') return undefined;
    const org = model.organizations.get(c.target.name);
    return org === undefined || org.ownerRights !== undefined ? fail(`Organization ${c.target.name} is missing or restricts its owners`) : undefined;
  },
  // Who claims the Collaboration's namespace.
  namespaceClaims: (c, { organizations }) =>
    organizations.owner.has(c.namespace) || organizations.conflicts.has(c.namespace) ? undefined : fail(`nobody claims ${c.namespace}`),
  expiry: (c, { now }) => (c.expiresAt !== undefined && c.expiresAt <= now ? fail('expired') : undefined),
};

/** A step: a change to the model, or a move of the evaluation time. */
type Step = { change: Change } | { time: number };
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: changeArb.map((change) => ({ change })) },
  { weight: 1, arbitrary: fc.constantFrom(T0 - 2000, T0, T0 + 1000, T0 + 3000, T0 + 6000).map((time) => ({ time })) },
);

/** A verdict with right names (right-set ids are per engine). */
function verdictOf(engine: Engine, key: string): unknown[] {
  const [ns, name] = key.split('/') as [string, string];
  const v = engine.verdict(ns, name)!;
  return [v.active, v.failures, engine.sets.rightNames(v.granted).join(), engine.sets.rightNames(v.wouldGrant).join()];
}

/** Runs the steps on an incremental engine; throws at the first step where it differs from a fresh engine. */
function incrementalEqualsFull(checks: readonly CollaborationCheck[], initial: Model, steps: readonly Step[]): void {
  const engine = new Engine(cloneModel(initial), catalog, { checks }, T0);
  const reference = cloneModel(initial);
  let now = T0;
  for (const step of steps) {
    if ('change' in step) {
      engine.apply([step.change]);
      applyToModel(reference, step.change);
    } else {
      engine.advanceTime(step.time);
      now = step.time;
    }
    const full = new Engine(cloneModel(reference), catalog, { checks }, now);
    for (const key of reference.collaborations.keys()) expect([key, ...verdictOf(engine, key)]).toEqual([key, ...verdictOf(full, key)]);
    expect(snapshot(engine)).toEqual(snapshot(full));
  }
}

describe('re-judging follows what each check declares it reads', () => {
  for (const input of Object.keys(READERS) as CheckInput[]) {
    const check = READERS[input];

    test(`a check reading ${input}, declared so: incremental == full`, () => {
      const declared: CollaborationCheck[] = [{ name: input, reads: [input], check }];
      fc.assert(
        fc.property(modelArb, fc.array(stepArb, { maxLength: 12 }), (initial, steps) => incrementalEqualsFull(declared, initial, steps)),
        { numRuns: 150 },
      );
    });

    test(`the same check reading ${input}, declared as reading nothing: the engine falls behind (the declaration is what counts)`, () => {
      const undeclared: CollaborationCheck[] = [{ name: input, reads: [], check }];
      expect(() =>
        fc.assert(
          fc.property(modelArb, fc.array(stepArb, { maxLength: 12 }), (initial, steps) => incrementalEqualsFull(undeclared, initial, steps)),
          { numRuns: 1000 },
        ),
      ).toThrow();
    });
  }
});
