/**
 * An organization's entity reach kept between changes (entity-reach.ts: the users each Impact names moved, each by
 * its class now) equals a fresh engine's: organizations owning several namespaces, users in groups, grants with
 * applicable rights on entities there (some expiring), then random changes — grants added and deleted, groups'
 * members replaced, users' states and admin flags changed, the time moved — with the organizations' statuses read
 * between them, so that a namespace's kept reach is brought up to date many times in a row.
 */
import { expect, test } from '@jest/globals';
import fc from 'fast-check';
import { loadCatalog } from '../../../src/catalog/load-catalog.ts';
import { Engine, type Change } from '../../../src/engine/engine.ts';
import { statusOf } from '../../../src/engine/status.ts';
import type { UserState } from '../../../src/model/model.ts';
import { applyToModel, cloneModel } from './arbitraries.ts';
import { NOW } from './scenario-arbitraries.ts';
import { APPLICABLE_RIGHTS, collab, group, modelOf, org, user } from './support.ts';

const catalog = loadCatalog();
const USERS = ['u0', 'u1', 'u2', 'u3', 'u4', 'u5'];
const SUBJECTS = [...USERS.map((u) => `User/${u}`), 'UserGroup/g0', 'UserGroup/g1', 'Organization/o0', 'Organization/o1'];
const grantArb = fc
  .record({
    name: fc.constantFrom('c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8', 'c9'),
    namespace: fc.constantFrom('n0', 'n1', 'n2'),
    subject: fc.constantFrom(...SUBJECTS),
    target: fc.constantFrom('Application/a0', 'Application/a1', 'Gateway/gw0', 'Organization/o0', 'Organization/o1'),
    expiresAt: fc.option(fc.constantFrom(NOW + 1000, NOW + 5000), { nil: undefined, freq: 4 }),
  })
  .chain((g) => fc.subarray(APPLICABLE_RIGHTS[g.target.split('/')[0]!]!, { minLength: 1 }).map((rights) => ({ ...g, rights })));
type Grant = { name: string; namespace: string; subject: string; target: string; rights: string[]; expiresAt: number | undefined };
const grant = (g: Grant): ReturnType<typeof collab> => ({ ...collab(`${g.namespace}/${g.name}`, g.subject, g.target, g.rights), ...(g.expiresAt ? { expiresAt: g.expiresAt } : {}) });
const userArb = fc.record({ name: fc.constantFrom(...USERS), state: fc.constantFrom<UserState>('Approved', 'Approved', 'Suspended', 'Requested'), admin: fc.boolean() });

type Step = { t: 'change'; change: Change } | { t: 'time'; now: number } | { t: 'read' };
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: grantArb.map((g): Step => ({ t: 'change', change: { type: 'upsert', object: grant(g) } })) },
  { weight: 1, arbitrary: grantArb.map((g): Step => ({ t: 'change', change: { type: 'delete', kind: 'Collaboration', name: g.name, namespace: g.namespace } })) },
  { weight: 2, arbitrary: fc.record({ g: fc.constantFrom('g0', 'g1'), users: fc.subarray(USERS) }).map(({ g, users }): Step => ({ t: 'change', change: { type: 'upsert', object: group(g, { users }) } })) },
  { weight: 2, arbitrary: userArb.map((u): Step => ({ t: 'change', change: { type: 'upsert', object: user(u.name, { state: u.state, admin: u.admin }) } })) },
  { weight: 1, arbitrary: fc.constantFrom(NOW, NOW + 2000, NOW + 6000).map((now): Step => ({ t: 'time', now })) },
  { weight: 3, arbitrary: fc.constant<Step>({ t: 'read' }) },
);
const modelArb = fc
  .record({ g0: fc.subarray(USERS), g1: fc.subarray(USERS), child: fc.boolean(), grants: fc.array(grantArb, { minLength: 4, maxLength: 14 }) })
  .map((m) =>
    modelOf(
      ...USERS.map((u) => user(u)),
      group('g0', { users: m.g0 }),
      group('g1', { users: m.g1 }),
      org('o0', { namespaces: ['n0', 'n1'] }),
      org('o1', { namespaces: ['n2'], parent: m.child ? 'o0' : undefined }),
      ...m.grants.map(grant),
    ),
  );

test('the kept entity reach == a fresh engine, after random changes and time moves, read between them', () => {
  let reached = 0;
  fc.assert(
    fc.property(modelArb, fc.array(stepArb, { minLength: 1, maxLength: 30 }), (initial, steps) => {
      let now = NOW;
      const engine = new Engine(cloneModel(initial), catalog, {}, now);
      const reference = cloneModel(initial);
      const read = (): void => {
        const fresh = new Engine(cloneModel(reference), catalog, {}, now);
        for (const o of ['o0', 'o1']) {
          const kept = statusOf(engine, `Organization/${o}`) as { authorizedUsers: { throughEntities: Record<string, number> } };
          expect(kept).toEqual(statusOf(fresh, `Organization/${o}`));
          reached += Object.values(kept.authorizedUsers.throughEntities).reduce((a, b) => a + b, 0);
        }
      };
      read();
      for (const step of steps) {
        if (step.t === 'change') {
          engine.apply([step.change]);
          applyToModel(reference, step.change);
        } else if (step.t === 'time') {
          now = step.now;
          engine.advanceTime(now);
        } else read();
      }
      read();
    }),
    { numRuns: 400 },
  );
  expect(reached).toBeGreaterThan(1000); // the organizations' grants reached users: the kept reach was not empty
});
