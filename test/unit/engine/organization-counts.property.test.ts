/**
 * An organization's authorized-users counts kept between changes (organization-counts.ts: its members holding rights
 * as ids with a few bits each, moved by the users each change names) equal a fresh engine's, and the sizes of
 * `authorizedUserSets`: organizations in a hierarchy that changes, memberships of users and of groups (global ones
 * and teams, so that some organizations have both), then random changes — memberships added and deleted, groups'
 * members replaced and their organization moved, users' states and admin flags changed, users deleted and created
 * again, parents moved, the time moved — with the statuses read between them, so that what is kept is moved many
 * times in a row.
 */
import { expect, test } from '@jest/globals';
import fc from 'fast-check';
import { loadCatalog } from '../../../src/catalog/load-catalog.ts';
import { Engine, type Change } from '../../../src/engine/engine.ts';
import { authorizedUserSets, authorizedUsers, statusOf } from '../../../src/engine/status.ts';
import type { UserState } from '../../../src/model/model.ts';
import { applyToModel, cloneModel } from './arbitraries.ts';
import { NOW } from './scenario-arbitraries.ts';
import { APPLICABLE_RIGHTS, collab, group, modelOf, org, user } from './support.ts';

const catalog = loadCatalog();
const USERS = ['u0', 'u1', 'u2', 'u3', 'u4', 'u5', 'u6'];
const GROUPS = ['g0', 'g1', 'g2'];
const ORGS = ['o0', 'o1', 'o2'];
const SUBJECTS = [...USERS.map((u) => `User/${u}`), ...[...GROUPS, ...GROUPS, ...GROUPS].map((g) => `UserGroup/${g}`)];
const ORG_RIGHTS = APPLICABLE_RIGHTS['Organization']!;

const grantArb = fc
  .record({
    name: fc.constantFrom('c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8', 'c9', 'c10', 'c11'),
    namespace: fc.constantFrom('n0', 'n1', 'n2'),
    subject: fc.constantFrom(...SUBJECTS),
    target: fc.constantFrom('Organization/o0', 'Organization/o0', 'Organization/o1', 'Organization/o2', 'Application/a0', 'Gateway/gw0'),
    expiresAt: fc.option(fc.constantFrom(NOW + 1000, NOW + 5000), { nil: undefined, freq: 4 }),
  })
  .chain((g) =>
    // Memberships with every Organization right at times (admins), else a few.
    fc.oneof(fc.constant(APPLICABLE_RIGHTS[g.target.split('/')[0]!]!), fc.subarray(APPLICABLE_RIGHTS[g.target.split('/')[0]!]!, { minLength: 1 })).map((rights) => ({ ...g, rights })),
  );
type Grant = { name: string; namespace: string; subject: string; target: string; rights: string[]; expiresAt: number | undefined };
const grant = (g: Grant): ReturnType<typeof collab> => ({ ...collab(`${g.namespace}/${g.name}`, g.subject, g.target, g.rights), ...(g.expiresAt ? { expiresAt: g.expiresAt } : {}) });
const groupArb = fc.record({ name: fc.constantFrom(...GROUPS), users: fc.subarray(USERS), groups: fc.subarray(GROUPS, { maxLength: 1 }), organization: fc.option(fc.constantFrom('o0', 'o0', 'o1', 'o2'), { nil: undefined, freq: 2 }) });
const userArb = fc.record({ name: fc.constantFrom(...USERS), state: fc.constantFrom<UserState>('Approved', 'Approved', 'Suspended', 'Requested', 'Flagged'), admin: fc.boolean() });
const orgArb = fc.record({ name: fc.constantFrom('o1', 'o2'), parent: fc.option(fc.constantFrom(...ORGS), { nil: undefined }) });
const orgObject = (name: string, parent: string | undefined): ReturnType<typeof org> => org(name, { namespaces: name === 'o0' ? ['n0'] : name === 'o1' ? ['n1'] : ['n2'], parent, ownerRights: name === 'o2' ? [ORG_RIGHTS[0]!] : undefined });

type Step = { t: 'change'; change: Change } | { t: 'time'; now: number } | { t: 'read' };
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: grantArb.map((g): Step => ({ t: 'change', change: { type: 'upsert', object: grant(g) } })) },
  { weight: 2, arbitrary: grantArb.map((g): Step => ({ t: 'change', change: { type: 'delete', kind: 'Collaboration', name: g.name, namespace: g.namespace } })) },
  { weight: 3, arbitrary: groupArb.map((g): Step => ({ t: 'change', change: { type: 'upsert', object: group(g.name, { users: g.users, groups: g.groups.filter((h) => h !== g.name), organization: g.organization }) } })) },
  { weight: 3, arbitrary: userArb.map((u): Step => ({ t: 'change', change: { type: 'upsert', object: user(u.name, { state: u.state, admin: u.admin }) } })) },
  { weight: 1, arbitrary: fc.constantFrom(...USERS).map((name): Step => ({ t: 'change', change: { type: 'delete', kind: 'User', name } })) },
  { weight: 1, arbitrary: orgArb.map((o): Step => ({ t: 'change', change: { type: 'upsert', object: orgObject(o.name, o.parent === o.name ? undefined : o.parent) } })) },
  { weight: 1, arbitrary: fc.constantFrom(NOW, NOW + 2000, NOW + 6000).map((now): Step => ({ t: 'time', now })) },
  { weight: 4, arbitrary: fc.constant<Step>({ t: 'read' }) },
);
const modelArb = fc
  .record({
    groups: fc.tuple(groupArb, groupArb, groupArb),
    parent: fc.option(fc.constantFrom('o0', 'o2'), { nil: undefined }),
    grants: fc.array(grantArb, { minLength: 4, maxLength: 14 }),
  })
  .map((m) =>
    modelOf(
      ...USERS.map((u) => user(u)),
      ...GROUPS.map((g, i) => group(g, { users: m.groups[i]!.users, organization: m.groups[i]!.organization })),
      orgObject('o0', undefined),
      orgObject('o1', m.parent),
      orgObject('o2', undefined),
      ...m.grants.map(grant),
    ),
  );

test('the kept organization counts == a fresh engine and the sizes of authorizedUserSets, after random changes, read between them', () => {
  let mixed = 0;
  let counted = 0;
  fc.assert(
    fc.property(modelArb, fc.array(stepArb, { minLength: 1, maxLength: 30 }), (initial, steps) => {
      let now = NOW;
      const engine = new Engine(cloneModel(initial), catalog, {}, now);
      const reference = cloneModel(initial);
      const read = (): void => {
        const fresh = new Engine(cloneModel(reference), catalog, {}, now);
        for (const o of ORGS) {
          const kept = authorizedUsers(engine, o);
          const sets = authorizedUserSets(engine, o);
          expect([o, kept.admins, kept.throughCollaborations, kept.throughGroups, kept.throughTeams, kept.all]).toEqual([
            o,
            sets.admins.size,
            sets.throughCollaborations.size,
            sets.throughGroups.size,
            sets.throughTeams.size,
            sets.all.size,
          ]);
          expect(statusOf(engine, `Organization/${o}`)).toEqual(statusOf(fresh, `Organization/${o}`));
          if (kept.throughGroups > 0 && kept.throughTeams > 0) mixed++;
          counted += kept.admins + kept.throughCollaborations + kept.throughGroups + kept.throughTeams;
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
    { numRuns: 500 },
  );
  expect(mixed).toBeGreaterThan(50); // organizations with members through both a global group and a team were seen
  expect(counted).toBeGreaterThan(5000); // and members by every filter
});
