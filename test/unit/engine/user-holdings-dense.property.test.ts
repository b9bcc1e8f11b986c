/**
 * User summaries (`Engine.holdingsSummary`, user-holdings.ts) on models dense in an organization's grants on entities
 * and in memberships of many masks: a mask meeting some of an organization's grants but not all must get only those
 * (the organization's array is shared only when the mask meets every grant). After every random change, time step or
 * read in any order, the kept summary equals a fresh engine's, and both equal the one derived from `holdings`.
 * (Review of f9461eb: the general change-sequence property did not catch a filter reading only the first grant.)
 */
import { expect, test } from '@jest/globals';
import fc from 'fast-check';
import { loadCatalog } from '../../../src/catalog/load-catalog.ts';
import { Engine, type Change } from '../../../src/engine/engine.ts';
import type { ModelObject } from '../../../src/model/model.ts';
import { T0, RIGHTS, applyToModel, cloneModel, userArb, groupArb, orgArb, collabArb } from './arbitraries.ts';
import { modelOf, summaryFromHoldings as fromHoldings } from './support.ts';

const catalog = loadCatalog();
const ORGS = ['o0', 'o1', 'o2', 'o3'];
const USERS = ['u0', 'u1', 'u2', 'u3', 'u4', 'u5'];
// Dense: organizations as subjects of many grants on entities, memberships of many masks.
const orgGrantArb = collabArb.chain((c) =>
  fc.record({
    subject: fc.record({ kind: fc.constant('Organization' as const), name: fc.constantFrom(...ORGS) }),
    target: fc.record({ kind: fc.constantFrom('Application', 'Gateway', 'Client'), name: fc.constantFrom('e0', 'e1', 'e2', 'e3', 'e4') }),
    name: fc.constantFrom(...Array.from({ length: 20 }, (_, i) => `og${i}`)),
    pick: fc.uniqueArray(fc.constantFrom('ALL', 'INFO', 'DELETE', 'SETTINGS_BASIC', 'K_ALL', 'LINK', 'DEVICES_READ_KEYS', 'TRAFFIC_READ'), { minLength: 1, maxLength: 2 }),
  }).map(({ pick, ...o }) => {
    const K = o.target.kind.toUpperCase();
    const rights = pick.map((p) => (p === 'ALL' ? 'RIGHT_ALL' : p === 'K_ALL' ? `RIGHT_${K}_ALL` : `RIGHT_${K}_${p}`));
    return { ...c, ...o, rights };
  }),
);
const membershipArb = collabArb.chain((c) =>
  fc.record({
    subject: fc.record({ kind: fc.constant('User' as const), name: fc.constantFrom(...USERS) }),
    target: fc.record({ kind: fc.constant('Organization'), name: fc.constantFrom(...ORGS) }),
    name: fc.constantFrom(...Array.from({ length: 10 }, (_, i) => `m${i}`)),
    rights: fc.uniqueArray(fc.constantFrom(...RIGHTS, 'RIGHT_CLIENT_INFO', 'RIGHT_CLIENT_ALL', 'RIGHT_GATEWAY_DELETE', 'RIGHT_APPLICATION_DELETE'), { minLength: 1, maxLength: 3 }),
  }).map((o) => ({ ...c, ...o, namespace: `n${o.target.name.slice(1)}` })),
);
const goodUserArb = userArb.map((u) => ({ ...u, admin: false, state: u.state === 'Suspended' ? 'Suspended' : 'Approved' }) as ModelObject);
const goodOrgArb = orgArb.chain((o) => fc.integer({ min: 0, max: 4 }).map((k) => ({ ...o, namespaces: k > 0 ? [`n${o.name.slice(1)}`] : o.namespaces }) as ModelObject));
const objArb: fc.Arbitrary<ModelObject> = fc.oneof(
  { weight: 2, arbitrary: goodUserArb },
  { weight: 1, arbitrary: groupArb },
  { weight: 2, arbitrary: goodOrgArb },
  { weight: 8, arbitrary: orgGrantArb },
  { weight: 4, arbitrary: membershipArb },
  { weight: 2, arbitrary: collabArb },
);
type Step = { change: Change } | { time: number } | { read: string[] };
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: objArb.map((object) => ({ change: { type: 'upsert' as const, object } })) },
  { weight: 1, arbitrary: objArb.map((o) => ({ change: { type: 'delete' as const, kind: o.kind, name: o.name, ...(o.kind === 'Collaboration' ? { namespace: o.namespace } : {}) } as Change })) },
  { weight: 1, arbitrary: fc.constantFrom(T0 + 500, T0 + 2000, T0 + 6000).map((time) => ({ time })) },
  { weight: 2, arbitrary: fc.shuffledSubarray(USERS).map((read) => ({ read })) },
);

test('dense organization grants: kept == fresh == holdings', () => {
  fc.assert(
    fc.property(fc.array(objArb, { minLength: 20, maxLength: 60 }), fc.array(stepArb, { minLength: 5, maxLength: 15 }), (objects, steps) => {
      const reference = modelOf();
      for (const u of USERS) applyToModel(reference, { type: 'upsert', object: { kind: 'User', name: u, generation: 1, labels: {}, admin: false, state: 'Approved', identities: [], organization: undefined } as ModelObject });
      for (const [i, o] of ORGS.entries()) applyToModel(reference, { type: 'upsert', object: { kind: 'Organization', name: o, generation: 1, parent: i === 2 ? 'o0' : undefined, namespaces: [`n${i}`], ownerRights: i === 1 ? ['RIGHT_APPLICATION_INFO'] : undefined, availableUsers: undefined, createdBy: undefined } as ModelObject });
      for (const o of objects) applyToModel(reference, { type: 'upsert', object: o });
      const engine = new Engine(cloneModel(reference), catalog, {}, T0);
      let now = T0;
      for (const u of USERS) engine.holdingsSummary(u);
      for (const step of steps) {
        if ('time' in step) {
          if (step.time <= now) continue;
          engine.advanceTime(step.time);
          now = step.time;
        } else if ('change' in step) {
          engine.apply([step.change]);
          applyToModel(reference, step.change);
        } else {
          for (const u of step.read) engine.holdingsSummary(u);
          continue;
        }
        const fresh = new Engine(cloneModel(reference), catalog, {}, now);
        for (const u of [...USERS].reverse()) {
          const kept = engine.holdingsSummary(u);
          expect(kept).toEqual(fresh.holdingsSummary(u));
          expect(kept).toEqual(fromHoldings(fresh, u));
        }
      }
    }),
    { numRuns: 1500 },
  );
});
