/**
 * LastOwner's searches for owners (src/admission/owner-search.ts): `entityOwner` and `organizationOwner`, which look
 * only at the users who can get the kind's rarest right, give the same OwnerState as the references
 * (`entityOwnerExact` computes the rights of every user a source reaches, `organizationOwnerExact` looks at every
 * member) — on random models (user states, expiry, inactive grants, groups nesting groups, memberships inherited from
 * parent organizations and masking organization grants and ownership, admins), for every entity and organization and
 * random sets of touched users (`ownershipOwner` and its reference likewise, for every organization and kind); LastOwner
 * gives the same denials with either searches for random changes, and finds every organization and entity a change
 * leaves without an owner, looking at all of them before and after, told everyone or only the users it moves. The
 * runs are checked to reach every state (none, kept, at risk) and denials of both kinds, so that the equality is not
 * one of empty answers. LastOwner told the touched users as a list (as the rules tell it: the subjects' users, the
 * user, the group's leavers; or a random list, or the users the change moves), which bounds the entities it takes
 * from the namespaces an organization owns to those the touched users' grants can make them full on, finds what the
 * exhaustive search of those namespaces (the one it made before, kept here as the oracle) finds — on models with
 * partial ownerRights, owners holding Organization rights only, nested organizations and groups.
 */
import { expect, test } from '@jest/globals';
import fc from 'fast-check';
import { entityOwner, entityOwnerExact, organizationOwner, organizationOwnerExact, ownershipOwner, ownershipOwnerExact, type OwnerState, type Touches } from '../../../src/admission/owner-search.ts';
import { lastOwner, reachable, standingFor, type ChangedObject, type Touched } from '../../../src/admission/last-owner.ts';
import { GroupToggles } from '../../../src/admission/group-members.ts';
import { afterChange } from '../../../src/admission/what-if.ts';
import { EMPTY } from '../../../src/engine/right-sets.ts';
import { loadCatalog } from '../../../src/catalog/load-catalog.ts';
import { Engine, type Change } from '../../../src/engine/engine.ts';
import { emptyModel, putObject, type CollaborationObject, type Model, type ModelObject } from '../../../src/model/model.ts';
import { ALL_USERS, changeArb, objectArb, T0, userArb } from '../engine/arbitraries.ts';

const catalog = loadCatalog(undefined);

const USERS = ['u0', 'u1', 'u2', 'u3', 'u4', 'u5'];
const GROUPS = ['g0', 'g1', 'g2', 'g3'];
const ORGS = ['o0', 'o1', 'o2'];
const NAMESPACES = ['n0', 'n1'];
const rightsOf = (kind: string): string[] => catalog.kinds.get(kind)!.rights.map((i) => catalog.rights[i]!);
/** A kind's rights in three pieces, so that grants of pieces add up to every right of the kind. */
const pieces = (kind: string): string[][] => [0, 1, 2].map((k) => rightsOf(kind).filter((_, i) => i % 3 === k));
const KIND_PIECES = { Application: pieces('Application'), Gateway: pieces('Gateway'), Organization: pieces('Organization') };

/** Rights of a grant on an entity of `kind`: pieces of the kind, whole kinds, now and then one that makes it inactive. */
const entityRightsArb = (kind: 'Application' | 'Gateway'): fc.Arbitrary<string[]> =>
  fc
    .tuple(
      fc.subarray([...KIND_PIECES[kind], ['RIGHT_ALL'], [`RIGHT_${kind.toUpperCase()}_ALL`]], { minLength: 1, maxLength: 2 }),
      fc.oneof({ weight: 6, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.constantFrom(['RIGHT_NOT_A_RIGHT'], [kind === 'Application' ? 'RIGHT_GATEWAY_INFO' : 'RIGHT_APPLICATION_INFO']) }),
    )
    .map(([chosen, inactive]) => [...new Set([...chosen.flat(), ...inactive])]);

/** Rights of a membership (M*, which masks what an organization's grants and ownership give its members). */
const membershipRightsArb: fc.Arbitrary<string[]> = fc
  .subarray([...KIND_PIECES.Organization, ...KIND_PIECES.Application, ...KIND_PIECES.Gateway, ['RIGHT_ALL'], ['RIGHT_ORGANIZATION_ALL'], ['RIGHT_APPLICATION_ALL']], { minLength: 1, maxLength: 4 })
  .map((chosen) => [...new Set(chosen.flat())]);

const subjectArb = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('User' as const), name: fc.constantFrom(...USERS, 'ghost') }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('UserGroup' as const), name: fc.constantFrom(...GROUPS) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('Organization' as const), name: fc.constantFrom(...ORGS) }) },
);
const expiresArb = fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom(T0 - 1000, T0 + 1000) });

const entityGrantArb: fc.Arbitrary<CollaborationObject> = fc.constantFrom('Application' as const, 'Gateway' as const).chain((kind) =>
  fc.record({
    kind: fc.constant('Collaboration' as const),
    namespace: fc.constantFrom(...NAMESPACES),
    name: fc.constantFrom('c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8', 'c9'),
    generation: fc.constant(1),
    subject: subjectArb,
    target: fc.record({ kind: fc.constant(kind), name: fc.constantFrom('e0', 'e0', 'e1') }),
    rights: entityRightsArb(kind),
    role: fc.constant(undefined),
    expiresAt: expiresArb,
  }),
);

/** A membership, mostly in its organization's own namespace (named after it), now and then in another. */
const membershipArb: fc.Arbitrary<CollaborationObject> = fc.constantFrom(...ORGS).chain((org) =>
  fc.record({
    kind: fc.constant('Collaboration' as const),
    namespace: fc.constantFrom(org, org, org, ...NAMESPACES),
    name: fc.constantFrom('m0', 'm1', 'm2', 'm3', 'm4', 'm5'),
    generation: fc.constant(1),
    subject: subjectArb.filter((s) => s.kind !== 'Organization'),
    target: fc.constant({ kind: 'Organization', name: org }),
    rights: membershipRightsArb,
    role: fc.constant(undefined),
    expiresAt: expiresArb,
  }),
);

const groupArb = fc.record({
  kind: fc.constant('UserGroup' as const),
  name: fc.constantFrom(...GROUPS),
  generation: fc.constant(1),
  organization: fc.constant(undefined),
  users: fc.uniqueArray(fc.constantFrom(...USERS, 'ghost'), { maxLength: 4 }),
  groups: fc.uniqueArray(fc.constantFrom(...GROUPS), { maxLength: 2 }),
  selector: fc.constant(undefined),
});
/** An organization owning its own namespace (named after it) and one of the entities' namespaces, or none. */
const orgArb = fc.constantFrom(...ORGS).chain((name) =>
  fc.record({
    kind: fc.constant('Organization' as const),
    name: fc.constant(name),
    generation: fc.constant(1),
    parent: fc.option(fc.constantFrom(...ORGS), { nil: undefined, freq: 3 }),
    namespaces: fc.subarray(NAMESPACES, { maxLength: 1 }).map((shared) => [name, ...shared]),
    ownerRights: fc.option(
      fc.subarray([...KIND_PIECES.Application, ...KIND_PIECES.Gateway, ['RIGHT_APPLICATION_ALL'], ['RIGHT_ALL']], { minLength: 1, maxLength: 3 }).map((c) => [...new Set(c.flat())]),
      { nil: undefined },
    ),
    availableUsers: fc.constant(undefined),
    createdBy: fc.constant(undefined),
  }),
);
const namedUserArb = fc.constantFrom(...USERS).chain((name) => userArb.map((u) => ({ ...u, name })));

const usersArb = fc.tuple(...USERS.map((name) => fc.option(userArb.map((u) => ({ ...u, name })), { nil: undefined, freq: 6 })));
const groupsArb = fc.array(groupArb, { minLength: 1, maxLength: 4 });
const orgsArb = fc.array(orgArb, { minLength: 1, maxLength: 3 });

/**
 * Random models where entities often have full collaborators: users in every state (admins among them), groups
 * nesting groups, organizations owning namespaces (ownerRights in pieces), memberships in pieces of several kinds,
 * grants of pieces of a kind (full only together), of whole kinds, expired or inactive ones, and random objects of
 * every kind from the engine's arbitraries on top.
 */
const ownedModelArb: fc.Arbitrary<Model> = fc
  .tuple(usersArb, groupsArb, orgsArb, fc.array(membershipArb, { maxLength: 8 }), fc.array(entityGrantArb, { maxLength: 14 }), fc.array(objectArb, { maxLength: 5 }))
  .map(([users, groups, orgs, memberships, grants, noise]) => {
    const model = emptyModel();
    for (const o of [...users.filter((u) => u !== undefined), ...groups, ...orgs, ...memberships, ...grants, ...noise]) putObject(model, o);
    return model;
  });

/** Changes of the objects LastOwner looks at: grants, memberships, users (states, admins), groups, organizations. */
const ownedChangeArb: fc.Arbitrary<Change> = fc.oneof(entityGrantArb, entityGrantArb, membershipArb, namedUserArb, groupArb, orgArb, objectArb).chain((o) =>
  fc.oneof(
    fc.constant<Change>({ type: 'upsert', object: o }),
    fc.constant<Change>({ type: 'delete', kind: o.kind, name: o.name, ...(o.kind === 'Collaboration' ? { namespace: o.namespace } : {}) }),
  ),
);

/** Entities of the universe's namespaces, and whatever the model's Collaborations target. */
function entitiesOf(model: Model): string[] {
  // A Collaboration may name a User as its target (inactive: InvalidTarget); ownership gives nothing on that kind.
  const keys = new Set(NAMESPACES.flatMap((ns) => [`Application/${ns}/e0`, `Gateway/${ns}/e0`, `Client/${ns}/e0`, `User/${ns}/u0`]));
  for (const c of model.collaborations.values()) if (c.target.kind !== 'Organization') keys.add(`${c.target.kind}/${c.namespace}/${c.target.name}`);
  return [...keys].sort();
}

test('entityOwner gives the reference search’s state for every entity, whoever the change touches', () => {
  const seen: Record<OwnerState, number> = { none: 0, kept: 0, atRisk: 0 };
  fc.assert(
    fc.property(ownedModelArb, fc.subarray(ALL_USERS), fc.boolean(), (model, touched, adminRightsAll) => {
      const engine = new Engine(model, catalog, adminRightsAll ? { adminRights: 'all' } : {}, T0);
      const touches = (u: string): boolean => touched.includes(u);
      for (const key of entitiesOf(model)) {
        for (const t of [touches, () => true, () => false]) {
          const exact = entityOwnerExact(engine, key, t);
          expect({ key, touched, state: entityOwner(engine, key, t) }).toEqual({ key, touched, state: exact });
          seen[exact]++;
        }
      }
    }),
    { numRuns: 1000 },
  );
  // The runs must reach every state, or the equality says little.
  expect(seen.kept).toBeGreaterThan(200);
  expect(seen.atRisk).toBeGreaterThan(200);
  expect(seen.none).toBeGreaterThan(200);
});

test('organizationOwner gives the reference search’s state for every organization, whoever the change touches', () => {
  const seen: Record<OwnerState, number> = { none: 0, kept: 0, atRisk: 0 };
  fc.assert(
    fc.property(ownedModelArb, fc.subarray(ALL_USERS), (model, touched) => {
      const engine = new Engine(model, catalog, {}, T0);
      const touches = (u: string): boolean => touched.includes(u);
      for (const org of [...ORGS, 'noorg']) {
        for (const t of [touches, () => true, () => false]) {
          const exact = organizationOwnerExact(engine, org, t);
          // The rarest right alone (no first look), after a look at the first member, and as LastOwner calls it.
          for (const firstLook of [0, 1, undefined]) {
            expect({ org, touched, firstLook, state: organizationOwner(engine, org, t, firstLook) }).toEqual({ org, touched, firstLook, state: exact });
          }
          seen[exact]++;
        }
      }
    }),
    { numRuns: 1000 },
  );
  expect(seen.kept).toBeGreaterThan(200);
  expect(seen.atRisk).toBeGreaterThan(200);
  expect(seen.none).toBeGreaterThan(200);
});

test('ownershipOwner gives the reference search’s state for every organization and kind, whoever the change touches', () => {
  const seen: Record<OwnerState, number> = { none: 0, kept: 0, atRisk: 0 };
  fc.assert(
    fc.property(ownedModelArb, fc.subarray(ALL_USERS), (model, touched) => {
      // o0's ownerRights are its default (every right) more often, so that its members are full through ownership.
      const o0 = model.organizations.get('o0');
      if (o0) putObject(model, { ...o0, ownerRights: undefined });
      const engine = new Engine(model, catalog, {}, T0);
      const touches = (u: string): boolean => touched.includes(u);
      for (const org of [...ORGS, 'noorg']) {
        // Kinds whose every right ownership can give (Client: none of the memberships gives its rights; Organization
        // and User: ownership gives none) are 'none', by the same test in both (ownedKind).
        for (const kind of ['Application', 'Gateway']) {
          for (const t of [touches, () => true, () => false]) {
            const exact = ownershipOwnerExact(engine, org, kind, t);
            for (const firstLook of [0, 1, undefined]) {
              expect({ org, kind, touched, firstLook, state: ownershipOwner(engine, org, kind, t, firstLook) }).toEqual({ org, kind, touched, firstLook, state: exact });
            }
            seen[exact]++;
          }
        }
      }
    }),
    { numRuns: 1000 },
  );
  // Fewer of each than above: being full on a kind through ownership alone is rarer in these models.
  expect(seen.kept).toBeGreaterThan(120);
  expect(seen.atRisk).toBeGreaterThan(100);
  expect(seen.none).toBeGreaterThan(200);
});

/** The change a property draws: one of the model's own objects deleted (`removed`), or `drawn`; with the engine over the model. */
function changeOf(model: Model, drawn: Change, removed: number | undefined) {
  const existing = [...model.users.values(), ...model.groups.values(), ...model.organizations.values(), ...model.collaborations.values()];
  const o = removed === undefined || existing.length === 0 ? undefined : existing[removed % existing.length]!;
  const change: Change = o ? { type: 'delete', kind: o.kind, name: o.name, ...(o.kind === 'Collaboration' ? { namespace: o.namespace } : {}) } : drawn;
  const engine = new Engine(model, catalog, {}, T0);
  const object = change.type === 'upsert' ? { kind: change.object.kind, name: change.object.name, ...(change.object.kind === 'Collaboration' ? { namespace: change.object.namespace } : {}) } : { kind: change.kind, name: change.name, ...(change.namespace !== undefined ? { namespace: change.namespace } : {}) };
  const after = change.type === 'upsert' ? change.object : undefined;
  return { change, engine, object, after };
}

test('LastOwner denies the same changes with either searches', () => {
  const denied = { organization: 0, entity: 0 };
  const references = { organization: organizationOwnerExact, entity: entityOwnerExact, ownership: ownershipOwnerExact };
  const rarestOnly = { organization: (e: Engine, o: string, t: (u: string) => boolean) => organizationOwner(e, o, t, 0), entity: entityOwner, ownership: (e: Engine, o: string, k: string, t: (u: string) => boolean) => ownershipOwner(e, o, k, t, 0) };
  fc.assert(
    fc.property(ownedModelArb, fc.oneof(ownedChangeArb, ownedChangeArb, changeArb), fc.option(fc.nat(), { nil: undefined }), fc.option(fc.subarray(ALL_USERS), { nil: undefined }), (model, drawn, removed, touched) => {
      // Half the time, one of the model's own objects is deleted (an owner's membership, grant, group or user).
      const { change, engine, object, after } = changeOf(model, drawn, removed);
      const touches = touched === undefined ? () => true : (u: string) => touched.includes(u);
      const fast = lastOwner(engine, object, after, touches);
      expect(lastOwner(engine, object, after, touches, references)).toEqual(fast);
      expect(lastOwner(engine, object, after, touches, rarestOnly)).toEqual(fast);
      if (fast.some((d) => d.message.includes('collaborator holding every'))) denied.entity++;
      if (fast.some((d) => d.message.includes('member holding every'))) denied.organization++;
    }),
    { numRuns: 4000 },
  );
  expect(denied.entity).toBeGreaterThan(50);
  expect(denied.organization).toBeGreaterThan(20);
});

/**
 * LastOwner by brute force: every organization and every entity a Collaboration names that has an owner before the
 * change and none after (the reference searches, everyone touched), whatever the change can reach.
 */
function everyLoss(engine: Engine, object: ChangedObject, after: ModelObject | undefined): string[] {
  const nobody = (): boolean => false;
  const named = new Set<string>();
  for (const c of engine.model.collaborations.values()) if (c.target.kind !== 'Organization') named.add(`${c.target.kind}/${c.namespace}/${c.target.name}`);
  const organizations = [...engine.model.organizations.keys()].filter((o) => organizationOwnerExact(engine, o, nobody) !== 'none');
  const entities = [...named].filter((e) => entityOwnerExact(engine, e, nobody) !== 'none');
  return afterChange(engine, object, after, () => [
    ...organizations.filter((o) => engine.model.organizations.has(o) && organizationOwnerExact(engine, o, nobody) === 'none').map((o) => `Organization/${o}`),
    ...entities.filter((e) => entityOwnerExact(engine, e, nobody) === 'none'),
  ]).sort();
}

/** The users whose rights (on an entity a Collaboration names, without admin rights) or M* (in any organization) the change moves. */
function moved(engine: Engine, object: ChangedObject, after: ModelObject | undefined): Set<string> {
  const named = new Set<string>();
  for (const c of engine.model.collaborations.values()) if (c.target.kind !== 'Organization') named.add(`${c.target.kind}/${c.namespace}/${c.target.name}`);
  const rights = (): Map<string, string> => {
    const out = new Map<string, string>();
    for (const u of ALL_USERS) {
      const parts = [...named].sort().map((key) => {
        const [kind, namespace] = key.split('/');
        return engine.sets.rightNames(engine.rightsOn(u, { kind: kind!, namespace, key }, false)).join(',');
      });
      for (const o of [...ORGS, 'o3']) parts.push(engine.sets.rightNames(engine.membership(u, o)?.mask ?? EMPTY).join(','));
      out.set(u, parts.join(';'));
    }
    return out;
  };
  const before = rights();
  const afterRights = afterChange(engine, object, after, rights);
  return new Set(ALL_USERS.filter((u) => before.get(u) !== afterRights.get(u)));
}

test('LastOwner finds every organization and entity a change leaves without an owner (against looking at all of them)', () => {
  let entities = 0;
  let organizations = 0;
  fc.assert(
    fc.property(ownedModelArb, fc.oneof(ownedChangeArb, ownedChangeArb, changeArb), fc.option(fc.nat(), { nil: undefined }), (model, drawn, removed) => {
      const { change, engine, object, after } = changeOf(model, drawn, removed);
      const expected = everyLoss(engine, object, after);
      const found = lastOwner(engine, object, after).map((d) => d.message.split(' ')[0]!).sort();
      expect({ change, found }).toEqual({ change, found: expected });
      // Told only which users the change moves (as the rules tell it), LastOwner finds the same.
      const touched = moved(engine, object, after);
      const told = lastOwner(engine, object, after, (u) => touched.has(u)).map((d) => d.message.split(' ')[0]!).sort();
      expect({ change, touched: [...touched], found: told }).toEqual({ change, touched: [...touched], found: expected });
      entities += expected.filter((x) => !x.startsWith('Organization/')).length;
      organizations += expected.filter((x) => x.startsWith('Organization/')).length;
    }),
    { numRuns: 4000 },
  );
  expect(entities).toBeGreaterThan(100);
  expect(organizations).toBeGreaterThan(50);
});

/**
 * The search LastOwner made before the touched users' grants bounded it, kept here as the oracle: every entity that
 * a Collaboration of a reached namespace names, of every kind on which ownership gives rights and does not keep every
 * entity owned, searched one by one (`entityOwnerExact`; the references throughout). Organizations and entities found
 * as LastOwner reports them.
 */
function exhaustiveLastOwner(engine: Engine, object: ChangedObject, after: ModelObject | undefined, touches: Touches, searched: { count: number }): string[] {
  const { organizations, entities, namespaces } = reachable(engine, object, after);
  const sets = engine.sets;
  const keptKind = (t: Touches, org: string, kind: string): boolean => ownershipOwnerExact(engine, org, kind, t) === 'kept';
  const keptEntity = (t: Touches, key: string): boolean => {
    const [kind, namespace] = key.split('/');
    const owner = engine.organizations.owner.get(namespace!);
    return owner !== undefined && keptKind(t, owner, kind!);
  };
  for (const ns of namespaces) {
    const owner = engine.organizations.owner.get(ns);
    const o = owner === undefined ? undefined : engine.model.organizations.get(owner);
    if (!o) continue;
    const own = sets.expand(o.ownerRights ?? (engine.catalog.allRight ? [engine.catalog.allRight] : []));
    const open = new Set<string>();
    for (const kind of engine.catalog.kinds.values()) {
      if (kind.scope === 'Namespaced' && sets.intersect(own, sets.kindRights(kind.name)) !== EMPTY && !keptKind(touches, owner!, kind.name)) open.add(kind.name);
    }
    for (const key of engine.collaborationsIn(ns)) {
      const c = engine.model.collaborations.get(key)!;
      if (open.has(c.target.kind)) entities.add(engine.targetKey(c));
    }
  }
  const nobody: Touches = () => false;
  const atRisk = {
    organizations: [...organizations].filter((org) => organizationOwnerExact(engine, org, touches) === 'atRisk'),
    entities: [...entities].filter((e) => !keptEntity(touches, e) && (searched.count++, entityOwnerExact(engine, e, touches) === 'atRisk')),
  };
  return afterChange(engine, object, after, () => [
    ...atRisk.organizations.filter((org) => engine.model.organizations.has(org) && organizationOwnerExact(engine, org, nobody) === 'none').sort().map((org) => `Organization/${org}`),
    ...atRisk.entities.filter((e) => !keptEntity(nobody, e) && entityOwnerExact(engine, e, nobody) === 'none').sort(),
  ]);
}

/** The touched users as the rules give them to LastOwner (listed), for a change of a Collaboration, a User or a UserGroup. */
function touchedByRule(engine: Engine, object: ChangedObject, after: ModelObject | undefined): Touched | undefined {
  if (object.kind === 'Collaboration') {
    const current = engine.model.collaborations.get(`${object.namespace}/${object.name}`);
    return current ? standingFor(engine, [current.subject, after?.kind === 'Collaboration' ? after.subject : undefined]) : undefined;
  }
  if (object.kind === 'User') return { touches: (u) => u === object.name, users: () => [object.name] };
  if (object.kind === 'UserGroup') {
    const toggles = new GroupToggles(engine, object.name, engine.model.groups.get(object.name), after?.kind === 'UserGroup' ? after : undefined);
    return { touches: (u) => toggles.leaves(u), users: () => toggles.leaveCandidates() };
  }
  return undefined;
}

/** Models of `ownedModelArb` where, half the time, some memberships give Organization rights only (owners who own no entity). */
const boundedModelArb: fc.Arbitrary<Model> = fc.tuple(ownedModelArb, fc.boolean(), fc.nat()).map(([model, orgOnly, seed]) => {
  if (!orgOnly) return model;
  let k = seed;
  for (const c of [...model.collaborations.values()]) {
    if (c.target.kind === 'Organization' && (k++ % 3 !== 0)) putObject(model, { ...c, rights: ['RIGHT_ORGANIZATION_ALL'] });
  }
  return model;
});

/**
 * A model where user `u0` is full on `Kind/n0/e2` only through the ownership of n0 (o0's, ownerRights one piece of the
 * kind) and a grant of the rest to it, to a group containing it or to another organization it is a member of (o1) —
 * and the change deleting its membership of o0 or its User, or taking it out of the group: each source of rights the
 * bound must count, with a denial whenever nobody else in the random rest of the model owns the entity.
 */
const ownedThroughGrantArb = fc
  .tuple(ownedModelArb, fc.constantFrom('User' as const, 'UserGroup' as const, 'Organization' as const), fc.constantFrom('Application' as const, 'Gateway' as const), fc.constantFrom('membership', 'user', 'group'))
  .map(([model, subject, kind, change]) => {
    const [piece, ...rest] = KIND_PIECES[kind];
    const org = (name: string, namespaces: string[], ownerRights: string[] | undefined) => ({ kind: 'Organization' as const, name, generation: 1, parent: undefined, namespaces, ownerRights, availableUsers: undefined, createdBy: undefined });
    const collab = (namespace: string, name: string, s: CollaborationObject['subject'], target: CollaborationObject['target'], rights: string[]): CollaborationObject => ({ kind: 'Collaboration', namespace, name, generation: 1, subject: s, target, rights, role: undefined, expiresAt: undefined });
    putObject(model, { kind: 'User', name: 'u0', generation: 1, labels: {}, admin: false, state: 'Approved', identities: [], organization: undefined });
    putObject(model, org('o0', ['o0', 'n0'], piece!));
    putObject(model, org('o1', ['o1'], undefined));
    putObject(model, collab('o0', 'm-u0', { kind: 'User', name: 'u0' }, { kind: 'Organization', name: 'o0' }, ['RIGHT_ALL']));
    putObject(model, collab('o1', 'm-u0', { kind: 'User', name: 'u0' }, { kind: 'Organization', name: 'o1' }, ['RIGHT_ALL']));
    const g3 = { kind: 'UserGroup' as const, name: 'g3', generation: 1, organization: undefined, users: ['u0'], groups: [], selector: undefined };
    putObject(model, g3);
    const name = subject === 'User' ? 'u0' : subject === 'UserGroup' ? 'g3' : 'o1';
    putObject(model, collab('n0', 'rest', { kind: subject, name }, { kind, name: 'e2' }, rest.flat()));
    const drawn: Change =
      change === 'user' ? { type: 'delete', kind: 'User', name: 'u0' }
      : change === 'group' && subject === 'UserGroup' ? { type: 'upsert', object: { ...g3, users: [] } }
      : { type: 'delete', kind: 'Collaboration', name: 'm-u0', namespace: 'o0' };
    return { model, drawn };
  });

test('LastOwner bounded by the touched users’ grants finds what the exhaustive search of the reached namespaces finds', () => {
  let bounded = 0;
  let entityDenials = 0;
  let listings = 0;
  const searches = (searched: { count: number }) => ({ organization: organizationOwner, entity: (e: Engine, k: string, t: Touches) => (searched.count++, entityOwner(e, k, t)), ownership: ownershipOwner });
  const drawnArb = fc.oneof(
    { weight: 3, arbitrary: fc.record({ model: boundedModelArb, drawn: fc.oneof(ownedChangeArb, ownedChangeArb, changeArb), removed: fc.option(fc.nat(), { nil: undefined }) }) },
    { weight: 1, arbitrary: ownedThroughGrantArb.map(({ model, drawn }) => ({ model, drawn, removed: undefined })) },
  );
  fc.assert(
    fc.property(drawnArb, fc.subarray(ALL_USERS), fc.subarray(ALL_USERS), ({ model, drawn, removed }, touched, extra) => {
      const { engine, object, after } = changeOf(model, drawn, removed);
      const moves = moved(engine, object, after);
      // The rules' listing; a random set listed with others beside it; the users the change moves, listed.
      const listed: Touched[] = [
        { touches: (u) => touched.includes(u), users: () => [...extra, ...touched] },
        { touches: (u) => moves.has(u), users: () => moves },
      ];
      const rule = touchedByRule(engine, object, after);
      if (rule) listed.push(rule);
      for (const t of listed) {
        // What the rule lists holds every user it touches.
        const users = new Set(t.users!());
        for (const u of ALL_USERS) if (t.touches(u)) expect([u, users.has(u)]).toEqual([u, true]);
        const oracle = { count: 0 };
        const fast = { count: 0 };
        const expected = exhaustiveLastOwner(engine, object, after, t.touches, oracle);
        const found = lastOwner(engine, object, after, t, searches(fast)).map((d) => d.message.split(' ')[0]!);
        expect({ object, touched: [...users], found }).toEqual({ object, touched: [...users], found: expected });
        // Unlisted, the same (the namespaces' Collaborations listed).
        expect(lastOwner(engine, object, after, t.touches).map((d) => d.message.split(' ')[0]!)).toEqual(expected);
        listings++;
        if (fast.count < oracle.count) bounded++;
        entityDenials += expected.filter((x) => !x.startsWith('Organization/')).length;
      }
    }),
    { numRuns: 2000 },
  );
  // The bound must leave entities out often, and the equality must not be one of empty answers.
  expect(bounded).toBeGreaterThan(200);
  expect(entityDenials).toBeGreaterThan(100);
});
