/**
 * The engine's build equals the same objects given one change at a time, in any order: `new Engine(model)` and an
 * engine built empty that absorbed every object of the model as an upsert (shuffled) publish the same snapshot and
 * hold the same memberships, group closures and collaboration lists — and stay equal through the same random changes
 * after. The incremental property (incremental.property.test.ts) builds both its sides with the build, so a bug the
 * build alone has (it numbers, closes groups and fills its lists its own way) shows there only when a later change
 * happens to recompute the broken part; here the build is compared with the change path directly.
 */
import { expect, test } from '@jest/globals';
import fc from 'fast-check';
import { loadCatalog } from '../../../src/catalog/load-catalog.ts';
import { Engine } from '../../../src/engine/engine.ts';
import type { Membership } from '../../../src/engine/memberships.ts';
import { emptyModel, putObject, type ModelObject } from '../../../src/model/model.ts';
import { T0, changeArb, cloneModel, collabArb, groupArb, objectArb, orgArb, userArb } from './arbitraries.ts';
import { snapshot } from './snapshot.ts';

const catalog = loadCatalog();
// The arbitraries' universes, with a name of each kind that no object has.
const USERS = ['u0', 'u1', 'u2', 'u3', 'u4', 'u5', 'ghost'];
const GROUPS = ['g0', 'g1', 'g2', 'g3', 'g4', 'nogroup'];
const ORGS = ['o0', 'o1', 'o2', 'o3', 'noorg'];
const NAMESPACES = ['n0', 'n1', 'n2', 'n3'];

/**
 * Objects dense in memberships: each organization owns the namespace of its number, and the Collaborations are
 * memberships in it, so that groups' members, nesting and organizations' trees meet on every run (random objects
 * meet there seldom).
 */
const ownedNamespace = (org: string): string => `n${ORGS.indexOf(org)}`;
/**
 * Objects dense in grants on entities of one owned namespace: Applications, Gateways and Clients of the same names, with
 * rights of each kind, so that a grant filed under the wrong kind of a same-named target (the build finds a target by
 * its namespace, name and kind) moves rights to another entity on nearly every run.
 */
const KIND_RIGHTS: Record<string, string[]> = {
  Application: ['RIGHT_APPLICATION_INFO', 'RIGHT_APPLICATION_LINK', 'RIGHT_APPLICATION_ALL'],
  Gateway: ['RIGHT_GATEWAY_INFO', 'RIGHT_GATEWAY_LINK', 'RIGHT_GATEWAY_ALL'],
  Client: ['RIGHT_CLIENT_INFO', 'RIGHT_CLIENT_ALL'],
};
const entityDenseObjectArb: fc.Arbitrary<ModelObject> = fc.oneof(
  userArb.map((u) => ({ ...u, state: 'Approved' as const })),
  groupArb,
  fc.constant<ModelObject>({ kind: 'Organization', name: 'o0', generation: 1, parent: undefined, namespaces: ['n0'], ownerRights: undefined, availableUsers: undefined, createdBy: undefined }),
  ...[1, 2, 3].map(() =>
    fc
      .tuple(collabArb, fc.constantFrom('Application', 'Gateway', 'Client'), fc.constantFrom('e0', 'e1'))
      .chain(([c, kind, name]) =>
        fc.subarray(KIND_RIGHTS[kind]!, { minLength: 1 }).map((rights): ModelObject => ({ ...c, namespace: 'n0', target: { kind, name }, rights, expiresAt: undefined })),
      ),
  ),
);
const denseObjectArb: fc.Arbitrary<ModelObject> = fc.oneof(
  userArb,
  groupArb,
  groupArb,
  orgArb.map((o) => ({ ...o, namespaces: [ownedNamespace(o.name)] })),
  ...[1, 2, 3].map(() =>
    fc.tuple(collabArb, fc.constantFrom(...ORGS.slice(0, 4))).map(([c, org]): ModelObject => ({ ...c, namespace: ownedNamespace(org), target: { kind: 'Organization', name: org } })),
  ),
);

/** What the build fills besides what it publishes, each list sorted (their order is not the contract). */
function internals(engine: Engine): unknown {
  const sorted = (values: Iterable<string>): string[] => [...values].sort();
  const membership = ([name, m]: [string, Membership]): string => JSON.stringify([name, engine.sets.rightNames(m.mask), m.direct, m.viaGroup]);
  return {
    members: GROUPS.map((g) => [g, sorted(engine.groups.membersOf(g)), engine.groups.cyclic.has(g)]),
    groupsOf: USERS.map((u) => [u, sorted(engine.groups.groupsOf(u))]),
    memberships: USERS.map((u) => [u, sorted([...engine.membershipsOf(u)].map(membership))]),
    organizationMembers: ORGS.map((o) => [o, sorted([...engine.organizationMembers(o)].map(membership))]),
    withSubject: [...USERS.map((u) => `User/${u}`), ...GROUPS.map((g) => `UserGroup/${g}`), ...ORGS.map((o) => `Organization/${o}`)].map((s) => [
      s,
      sorted(engine.collaborationsWithSubject(s)),
    ]),
    inNamespace: NAMESPACES.map((n) => [n, sorted(engine.collaborationsIn(n))]),
    membershipCollaborations: ORGS.map((o) => [o, sorted(engine.membershipCollaborations(o))]),
  };
}

test('a build equals its objects applied one at a time in any order, before and after random changes', () => {
  fc.assert(
    fc.property(
      fc.oneof(fc.array(objectArb, { maxLength: 40 }), fc.array(denseObjectArb, { maxLength: 30 }), fc.array(entityDenseObjectArb, { maxLength: 30 })),
      fc.array(changeArb, { maxLength: 10 }),
      fc.boolean(),
      fc.array(fc.nat(), { minLength: 128, maxLength: 128 }),
      (objects, changes, adminAll, order) => {
        const model = emptyModel();
        for (const object of objects) putObject(model, object); // later objects of the same name replace earlier ones
        const options = { adminRights: adminAll ? ('all' as const) : ('default' as const) };
        const built = new Engine(cloneModel(model), catalog, options, T0);
        const stepped = new Engine(emptyModel(), catalog, options, T0);
        const kept: ModelObject[] = [...model.users.values(), ...model.groups.values(), ...model.organizations.values(), ...model.collaborations.values()];
        const shuffled = kept.map((object, i) => [order[i % order.length]! * 4096 + i, object] as const).sort((a, b) => a[0] - b[0]);
        for (const [, object] of shuffled) stepped.apply([{ type: 'upsert', object }]);
        expect(snapshot(stepped)).toEqual(snapshot(built));
        expect(internals(stepped)).toEqual(internals(built));
        for (const change of changes) {
          built.apply([change]);
          stepped.apply([change]);
          expect(snapshot(stepped)).toEqual(snapshot(built));
          expect(internals(stepped)).toEqual(internals(built));
        }
      },
    ),
    { numRuns: 1000 },
  );
});
