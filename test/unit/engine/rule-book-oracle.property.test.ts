/**
 * The rule book (semantics.md) read naively — computed from the model alone, with none of the engine's indexes,
 * verdicts, group closures or organization structure — against the engine's `evaluate`, `rightsOn` and the rows the
 * permission maps are built from (`namespaceEntities` ∪ `namespaceDefaults`, without admin rights), for every user
 * and entity after every step of random change sequences (upserts, deletes, batches, time moving forward and back to
 * exact expiry instants), with the default, ThingsBoard and Aspera catalogs; and incremental == full at each step.
 * RUNS=n sets the runs per catalog (default 150).
 */
import { expect, test } from '@jest/globals';
import fc from 'fast-check';
import type { Catalog } from '../../../src/catalog/catalog.ts';
import { loadCatalog } from '../../../src/catalog/load-catalog.ts';
import { Engine, type Change } from '../../../src/engine/engine.ts';
import { evaluate } from '../../../src/engine/evaluate.ts';
import { selectorMatches } from '../../../src/engine/label-selector.ts';
import type { CollaborationObject, Model, ModelObject, OrganizationObject, UserGroupObject, UserObject } from '../../../src/model/model.ts';
import { emptyModel } from '../../../src/model/model.ts';
import { applyToModel, cloneModel } from './arbitraries.ts';
import { snapshot } from './snapshot.ts';

const T0 = Date.parse('2026-06-01T00:00:00Z');
const USERS = ['u0', 'u1', 'u2', 'u3'];
const GROUPS = ['g0', 'g1', 'g2'];
const ORGS = ['o0', 'o1', 'o2'];
const NAMESPACES = ['n0', 'n1', 'n2'];
const ENTITIES = ['e0', 'e1'];

function naiveRights(model: Model, catalog: Catalog, now: number, adminAll: boolean, user: string, kind: string, namespace: string | undefined, name: string, noAdmin = false): Set<number> {
  const out = new Set<number>();
  const u = model.users.get(user);
  const kindRights = new Set(catalog.kinds.get(kind)?.rights ?? []);
  const fin = (): Set<number> => new Set([...out].filter((i) => kindRights.has(i)));
  if (!u) return out;
  if (u.state === 'Requested' || u.state === 'Rejected' || u.state === 'Suspended') {
    if (kind === 'User' && name === user) for (const i of catalog.stateRights[u.state]) out.add(i);
    return fin();
  }
  if (kind === 'User' && name === user) for (const i of kindRights) out.add(i);
  const expand = (names: readonly string[]): Set<number> => {
    const s = new Set<number>();
    for (const r of names) {
      const base = catalog.pseudoRights.get(r) ?? (catalog.rightIndex.has(r) ? [catalog.rightIndex.get(r)!] : []);
      for (const i of base) {
        s.add(i);
        for (const j of catalog.implied[i]!) s.add(j);
      }
    }
    return s;
  };
  // ownership
  const claims = new Map<string, string[]>();
  for (const o of model.organizations.values()) for (const ns of new Set(o.namespaces)) claims.set(ns, [...(claims.get(ns) ?? []), o.name]);
  const owner = (ns: string): string | undefined => (claims.get(ns)?.length === 1 ? claims.get(ns)![0] : undefined);
  const isRight = (r: string) => catalog.rightIndex.has(r) || catalog.pseudoRights.has(r);
  const active = (c: CollaborationObject): boolean => {
    if (!c.rights.every(isRight)) return false;
    if (c.role !== undefined && !catalog.roles.has(c.role)) return false;
    const tk = c.target.kind;
    if (tk === 'User') return false;
    if (tk !== 'Organization') {
      const info = catalog.kinds.get(tk);
      if (!info) return false;
      for (const r of c.rights) {
        if (r === catalog.allRight || r === info.allRight) continue;
        const i = catalog.rightIndex.get(r);
        if (i === undefined || catalog.kindOfRight[i] !== tk) return false;
      }
      if (c.rights.length === 0 && c.role !== undefined) {
        const ks = new Set(info.rights);
        if (![...expand(catalog.roles.get(c.role)!)].some((i) => ks.has(i))) return false;
      }
    }
    if (c.subject.kind === 'Organization' && tk === 'Organization') return false;
    if (tk === 'Organization' && owner(c.namespace) !== c.target.name) return false;
    if (c.expiresAt !== undefined && !(c.expiresAt > now)) return false;
    const s = c.subject;
    if (s.kind === 'User' ? !model.users.has(s.name) : s.kind === 'UserGroup' ? !model.groups.has(s.name) : !model.organizations.has(s.name)) return false;
    return true;
  };
  const granted = (c: CollaborationObject): Set<number> => {
    const names = c.role !== undefined && catalog.roles.has(c.role) ? [...c.rights, ...catalog.roles.get(c.role)!] : c.rights;
    const s = expand(names);
    if (c.target.kind !== 'Organization') return new Set([...s].filter((i) => (catalog.kinds.get(c.target.kind)?.rights ?? []).includes(i)));
    return s;
  };
  // groups containing user, naive fixpoint
  const members = new Map<string, Set<string>>();
  for (const g of model.groups.values()) {
    const m = new Set<string>();
    for (const x of g.users) if (model.users.has(x)) m.add(x);
    if (g.selector) for (const x of model.users.values()) if (selectorMatches(g.selector, x.labels)) m.add(x.name);
    members.set(g.name, m);
  }
  for (let changed = true; changed; ) {
    changed = false;
    for (const g of model.groups.values()) {
      const m = members.get(g.name)!;
      for (const h of g.groups) for (const x of members.get(h) ?? []) if (!m.has(x)) (m.add(x), (changed = true));
    }
  }
  const inGroup = (g: string) => members.get(g)?.has(user) ?? false;
  const targetKey = (c: CollaborationObject) => (c.target.kind === 'Organization' ? `Organization/${c.target.name}` : `${c.target.kind}/${c.namespace}/${c.target.name}`);
  const key = namespace === undefined ? `${kind}/${name}` : `${kind}/${namespace}/${name}`;
  const collabs = [...model.collaborations.values()].filter(active);
  for (const c of collabs) {
    if (targetKey(c) !== key) continue;
    if ((c.subject.kind === 'User' && c.subject.name === user) || (c.subject.kind === 'UserGroup' && inGroup(c.subject.name))) for (const i of granted(c)) out.add(i);
  }
  // ancestors
  const parentOf = (o: string) => {
    const p = model.organizations.get(o)?.parent;
    return p !== undefined && model.organizations.has(p) ? p : undefined;
  };
  const onCycle = (o: string) => {
    let p = parentOf(o);
    for (let i = 0; i < 100 && p !== undefined; i++, p = parentOf(p)) if (p === o) return true;
    return false;
  };
  const ancestors = (o: string): string[] => {
    if (onCycle(o)) return [];
    const chain: string[] = [];
    for (let p = parentOf(o); p !== undefined && chain.length < 64; p = parentOf(p)) {
      chain.push(p);
      if (onCycle(p)) break;
    }
    return chain;
  };
  const Mstar = (o: string): Set<number> => {
    const s = new Set<number>();
    for (const a of [o, ...ancestors(o)]) {
      for (const c of collabs) {
        if (c.target.kind !== 'Organization' || c.target.name !== a) continue;
        if ((c.subject.kind === 'User' && c.subject.name === user) || (c.subject.kind === 'UserGroup' && inGroup(c.subject.name))) for (const i of granted(c)) s.add(i);
      }
    }
    return s;
  };
  for (const o of model.organizations.values()) {
    const m = Mstar(o.name);
    if (kind === 'Organization') {
      if (name === o.name) for (const i of m) out.add(i);
      continue;
    }
    const G = new Set<number>();
    if (namespace !== undefined && owner(namespace) === o.name) for (const i of expand(o.ownerRights ?? (catalog.allRight ? [catalog.allRight] : []))) G.add(i);
    for (const c of collabs) if (c.subject.kind === 'Organization' && c.subject.name === o.name && targetKey(c) === key) for (const i of granted(c)) G.add(i);
    for (const i of m) if (G.has(i)) out.add(i);
  }
  if (u.admin && u.state === 'Approved' && !noAdmin) {
    const withheld = new Set(adminAll ? [] : catalog.adminWithheld);
    for (const i of kindRights) if (!withheld.has(i)) out.add(i);
  }
  return fin();
}

function arbs(catalog: Catalog) {
  const rights = [...catalog.pseudoRights.keys(), ...catalog.rights.filter((_, i) => i % 3 === 0), 'RIGHT_NOPE'];
  const kinds = [...catalog.kinds.values()].filter((k) => k.scope === 'Namespaced').map((k) => k.name);
  const roles = [...catalog.roles.keys(), 'no-role'];
  const userArb: fc.Arbitrary<UserObject> = fc.record({
    kind: fc.constant('User' as const),
    name: fc.constantFrom(...USERS),
    generation: fc.constant(1),
    labels: fc.dictionary(fc.constantFrom('team'), fc.constantFrom('x', 'y'), { maxKeys: 1 }),
    admin: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
    state: fc.constantFrom('Approved', 'Approved', 'Flagged', 'Requested', 'Rejected', 'Suspended' as const) as fc.Arbitrary<UserObject['state']>,
    identities: fc.constant([]),
    organization: fc.constant(undefined),
  });
  const groupArb: fc.Arbitrary<UserGroupObject> = fc.record({
    kind: fc.constant('UserGroup' as const),
    name: fc.constantFrom(...GROUPS),
    generation: fc.constant(1),
    organization: fc.constant(undefined),
    users: fc.uniqueArray(fc.constantFrom(...USERS, 'ghost'), { maxLength: 2 }),
    groups: fc.uniqueArray(fc.constantFrom(...GROUPS), { maxLength: 2 }),
    selector: fc.option(
      fc.oneof(
        fc.constant({ matchLabels: { team: 'x' } }),
        fc.constant({}),
        fc.tuple(fc.constantFrom('In', 'NotIn', 'Exists', 'DoesNotExist' as const), fc.constantFrom('x', 'y')).map(([operator, v]) => ({ matchExpressions: [{ key: 'team', operator, values: operator === 'In' || operator === 'NotIn' ? [v] : [] }] })),
      ),
      { nil: undefined, freq: 3 },
    ),
  });
  const orgArb: fc.Arbitrary<OrganizationObject> = fc.record({
    kind: fc.constant('Organization' as const),
    name: fc.constantFrom(...ORGS),
    generation: fc.constant(1),
    parent: fc.option(fc.constantFrom(...ORGS), { nil: undefined }),
    namespaces: fc.uniqueArray(fc.constantFrom(...NAMESPACES), { maxLength: 2 }),
    ownerRights: fc.option(fc.subarray(rights.slice(0, 6)), { nil: undefined }),
    availableUsers: fc.constant(undefined),
    createdBy: fc.constant(undefined),
  });
  const collabArb: fc.Arbitrary<CollaborationObject> = fc.record({
    kind: fc.constant('Collaboration' as const),
    namespace: fc.constantFrom(...NAMESPACES),
    name: fc.constantFrom('c0', 'c1', 'c2', 'c3', 'c4'),
    generation: fc.constant(1),
    subject: fc.oneof(
      fc.record({ kind: fc.constant('User' as const), name: fc.constantFrom(...USERS, 'ghost') }),
      fc.record({ kind: fc.constant('UserGroup' as const), name: fc.constantFrom(...GROUPS) }),
      fc.record({ kind: fc.constant('Organization' as const), name: fc.constantFrom(...ORGS) }),
    ),
    target: fc.oneof(
      { weight: 3, arbitrary: fc.record({ kind: fc.constant('Organization'), name: fc.constantFrom(...ORGS) }) },
      { weight: 3, arbitrary: fc.record({ kind: fc.constantFrom(...kinds), name: fc.constantFrom(...ENTITIES) }) },
    ),
    rights: fc.array(fc.constantFrom(...rights), { minLength: 0, maxLength: 3 }),
    role: fc.option(fc.constantFrom(...roles), { nil: undefined, freq: 3 }),
    expiresAt: fc.option(fc.constantFrom(T0 - 1000, T0 + 1000, T0 + 5000), { nil: undefined, freq: 2 }),
  });
  const objectArb: fc.Arbitrary<ModelObject> = fc.oneof(userArb, groupArb, orgArb, collabArb, collabArb, collabArb);
  const stepArb = fc.oneof(
    { weight: 4, arbitrary: objectArb.map((object) => ({ change: { type: 'upsert' as const, object } as Change })) },
    { weight: 1, arbitrary: fc.array(fc.oneof(objectArb.map((object) => ({ type: 'upsert' as const, object }) as Change), objectArb.map((o) => ({ type: 'delete' as const, kind: o.kind, name: o.name, ...(o.kind === 'Collaboration' ? { namespace: o.namespace } : {}) }) as Change)), { minLength: 2, maxLength: 4 }).map((batch) => ({ batch })),
    },
    { weight: 1, arbitrary: objectArb.map((o) => ({ change: { type: 'delete' as const, kind: o.kind, name: o.name, ...(o.kind === 'Collaboration' ? { namespace: o.namespace } : {}) } as Change })) },
    { weight: 1, arbitrary: fc.integer({ min: -2, max: 7 }).map((d) => ({ time: T0 + d * 1000 })) },
  );
  const entities = [
    ...ORGS.map((o) => ({ kind: 'Organization', namespace: undefined, name: o })),
    ...USERS.map((u) => ({ kind: 'User', namespace: undefined, name: u })),
    ...NAMESPACES.flatMap((ns) => kinds.flatMap((k) => ENTITIES.map((e) => ({ kind: k, namespace: ns as string | undefined, name: e })))),
  ];
  return { objectArb, stepArb, entities };
}

for (const file of [undefined, 'catalogs/thingsboard.yaml', 'catalogs/aspera.yaml']) {
  test(`the rule book read naively == the engine, steps with time (${file ?? 'default'})`, () => {
    const catalog = loadCatalog(file);
    const { objectArb, stepArb, entities } = arbs(catalog);
    fc.assert(
      fc.property(fc.array(objectArb, { maxLength: 20 }), fc.array(stepArb, { maxLength: 14 }), fc.boolean(), (objects, steps, adminAll) => {
        const options = { adminRights: adminAll ? ('all' as const) : ('default' as const) };
        const initial = emptyModel();
        for (const o of objects) applyToModel(initial, { type: 'upsert', object: o });
        const engine = new Engine(cloneModel(initial), catalog, options, T0);
        const reference = cloneModel(initial);
        let now = T0;
        const check = (where: string) => {
          const full = new Engine(cloneModel(reference), catalog, options, now);
          expect(snapshot(engine)).toEqual(snapshot(full));
          for (const user of USERS) {
            for (const e of entities) {
              const naive = [...naiveRights(reference, catalog, now, adminAll, user, e.kind, e.namespace, e.name)].sort((a, b) => a - b).map((i) => catalog.rights[i]);
              const ev = engine.sets.rightNames(evaluate(engine, user, e).rights);
              const key = e.namespace === undefined ? `${e.kind}/${e.name}` : `${e.kind}/${e.namespace}/${e.name}`;
              if (ev.join() !== naive.join()) expect({ where, user, key, ev }).toEqual({ where, user, key, ev: naive });
              if (e.namespace !== undefined) {
                const na = [...naiveRights(reference, catalog, now, adminAll, user, e.kind, e.namespace, e.name, true)].sort((a, b) => a - b).map((i) => catalog.rights[i]);
                let set = 0 as number;
                if (engine.mapNamespaces().includes(e.namespace)) {
                  const row = engine.namespaceEntities(e.namespace).get(key)?.get(user);
                  const def = engine.namespaceDefaults(e.namespace).get(e.kind)?.get(user);
                  set = engine.sets.union(row ?? 0, def ?? 0);
                }
                const fromMap = engine.sets.rightNames(set);
                if (fromMap.join() !== na.join()) expect({ where, user, key, fromMap }).toEqual({ where, user, key, fromMap: na });
              }
              if (e.kind !== 'User') {
                const on = engine.sets.rightNames(engine.rightsOn(user, { kind: e.kind, namespace: e.namespace, key }));
                if (on.join() !== naive.join()) expect({ where, user, key, on }).toEqual({ where, user, key, on: naive });
              }
            }
          }
        };
        check('initial');
        for (const step of steps) {
          if ('time' in step) {
            now = step.time;
            engine.advanceTime(now);
          } else if ('batch' in step) {
            engine.apply(step.batch);
            for (const c of step.batch) applyToModel(reference, c);
          } else {
            engine.apply([step.change]);
            applyToModel(reference, step.change);
          }
          check(JSON.stringify(step));
        }
      }),
      { numRuns: Number(process.env.RUNS ?? 150) },
    );
  });
}
