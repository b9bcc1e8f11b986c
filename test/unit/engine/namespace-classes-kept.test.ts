/**
 * What `namespaceClasses` shares between classes and keeps between namespaces (namespace-classes.ts): the rights of
 * the users named directly at one trie node, made once for the node and copied for each user (each adding only its
 * own grants); whether a user named directly holds rights and who the administrators are, read by id after the first
 * namespace of a state and dropped at every change (`ClassScratch.forget`); the walk's users put in name order by
 * sorting or by the rank bitset, with ids as ranks only while they ascend with the names. Each case compares the
 * engine's classes, walked before and after changes, with a fresh engine's on the same objects.
 */
import { describe, expect, test } from '@jest/globals';
import { loadCatalog } from '../../../src/catalog/load-catalog.ts';
import { Engine, type Change } from '../../../src/engine/engine.ts';
import type { RightsClass } from '../../../src/engine/namespace-classes.ts';
import type { Model } from '../../../src/model/model.ts';
import { applyToModel, cloneModel } from './arbitraries.ts';
import { NOW } from './scenario-arbitraries.ts';
import { APPLICABLE_RIGHTS, collab, group, modelOf, org, user } from './support.ts';

const catalog = loadCatalog();
const APP = APPLICABLE_RIGHTS.Application!;

/**
 * A class as plain data, its rights as right names (a right set's number is the engine's own: two engines may number
 * the same rights differently), its entities sorted by key.
 */
const plainIn =
  (engine: Engine) =>
  (c: RightsClass): unknown => {
    const names = (set: number): string[] => [...engine.sets.rightNames(set)].sort();
    return {
      users: c.users,
      admin: c.admin,
      organization: names(c.organization),
      defaults: [...c.defaults].map(([kind, set]) => [kind, names(set)]).sort(([a], [b]) => (a! < b! ? -1 : 1)),
      entities: [...c.entities].map(([key, set]) => [key, names(set)]).sort(([a], [b]) => (a! < b! ? -1 : 1)),
    };
  };

/** An engine kept through changes, and each namespace's classes compared with a fresh engine's after each. */
function kept(initial: Model, namespaces: readonly string[]) {
  const engine = new Engine(cloneModel(initial), catalog, {}, NOW);
  const reference = cloneModel(initial);
  const expectFresh = (): void => {
    const fresh = new Engine(cloneModel(reference), catalog, {}, NOW);
    // Every namespace walked twice in the state (the second walk reads what the first kept).
    for (let round = 0; round < 2; round++) {
      for (const ns of namespaces) expect([ns, engine.namespaceClasses(ns).map(plainIn(engine))]).toEqual([ns, fresh.namespaceClasses(ns).map(plainIn(fresh))]);
    }
  };
  const apply = (change: Change): void => {
    engine.apply([change]);
    applyToModel(reference, change);
    expectFresh();
  };
  return { engine, apply, expectFresh };
}

describe('namespaceClasses: what is shared between classes and kept between namespaces', () => {
  test('users named directly at one node each get their own grants on top of what the node gives', () => {
    // a, b, c in g (granted a0 in n0); a and c named for a1, b for a2; c an administrator (its node has ADMIN after
    // DIRECT); d named alone (a node of DIRECT only).
    const { engine } = kept(
      modelOf(
        user('a'),
        user('b'),
        user('c', { admin: true }),
        user('d'),
        group('g', { users: ['a', 'b', 'c'] }),
        org('o0', { namespaces: ['n0'] }),
        collab('n0/g', 'UserGroup/g', 'Application/a0', APP.slice(0, 1)),
        collab('n0/a', 'User/a', 'Application/a1', APP.slice(0, 2)),
        collab('n0/b', 'User/b', 'Application/a2', APP.slice(1, 2)),
        collab('n0/b2', 'User/b', 'Application/a0', APP.slice(1, 2)),
        collab('n0/c', 'User/c', 'Application/a1', APP.slice(1, 2)),
        collab('n0/d', 'User/d', 'Application/a3', APP.slice(0, 1)),
      ),
      ['n0'],
    );
    const classes = engine.namespaceClasses('n0');
    expect(classes.map((c) => c.users)).toEqual([['a'], ['b'], ['c'], ['d']]);
    const keys = (c: RightsClass): string[] => [...c.entities.keys()].sort();
    expect(classes.map(keys)).toEqual([
      ['Application/n0/a0', 'Application/n0/a1'],
      ['Application/n0/a0', 'Application/n0/a2'],
      ['Application/n0/a0', 'Application/n0/a1'],
      ['Application/n0/a3'],
    ]);
    expect(classes.map((c) => c.admin)).toEqual([false, false, true, false]);
    // Each class == the user's class found from its side (`userClassIn`: no walk, nothing shared).
    const subjects = engine.namespaceSubjects('n0');
    for (const c of classes) expect(plainIn(engine)(c)).toEqual(plainIn(engine)(engine.userClassIn(subjects, c.users[0]!)!));
  });

  test('whether a named user holds rights, and who administers, follow every change', () => {
    const { apply, expectFresh } = kept(
      modelOf(
        user('u'),
        user('v'),
        group('g', { users: ['u', 'v'] }),
        org('o0', { namespaces: ['n0', 'n1'] }),
        collab('n0/g', 'UserGroup/g', 'Application/a0', APP.slice(0, 1)),
        collab('n0/u', 'User/u', 'Application/a1', APP.slice(0, 1)),
        collab('n1/u', 'User/u', 'Application/a0', APP.slice(0, 1)),
        collab('n1/w', 'User/w', 'Application/a0', APP.slice(0, 1)),
      ),
      ['n0', 'n1'],
    );
    expectFresh();
    apply({ type: 'upsert', object: user('u', { state: 'Suspended' }) });
    apply({ type: 'upsert', object: user('u', { admin: true }) });
    apply({ type: 'upsert', object: user('v', { admin: true }) });
    apply({ type: 'upsert', object: user('w') }); // named by a grant before it existed
    apply({ type: 'upsert', object: user('w', { admin: true }) });
    apply({ type: 'delete', kind: 'User', name: 'u' });
    apply({ type: 'upsert', object: user('u') });
    apply({ type: 'upsert', object: user('v') });
  });

  test('users far apart in name order, and users numbered out of name order, come in name order', () => {
    // 3,000 users between p-first and z-last that nothing in n0 reaches: n0's two users span ~94 words of the rank
    // bitset (sorted, not read back from it); n1 reaches every user (read back from the bitset).
    const pad = Array.from({ length: 3000 }, (_, i) => user(`q${String(i).padStart(4, '0')}`));
    const everyone = group('everyone', { users: pad.map((u) => u.name) });
    const { engine, apply } = kept(
      modelOf(
        user('p-first'),
        user('z-last'),
        ...pad,
        everyone,
        group('g', { users: ['z-last', 'p-first'] }),
        org('o0', { namespaces: ['n0', 'n1'] }),
        collab('n0/g', 'UserGroup/g', 'Application/a0', APP.slice(0, 1)),
        collab('n0/z', 'User/z-last', 'Application/a1', APP.slice(0, 1)),
        collab('n1/e', 'UserGroup/everyone', 'Application/a0', APP.slice(0, 1)),
        collab('n1/g', 'UserGroup/g', 'Application/a1', APP.slice(0, 1)),
      ),
      ['n0', 'n1'],
    );
    expect(engine.namespaceClasses('n0').map((c) => c.users)).toEqual([['p-first'], ['z-last']]);
    // a-new and o-new are numbered after every user but sort before most: ids no longer ascend with the names.
    apply({ type: 'upsert', object: user('a-new') });
    apply({ type: 'upsert', object: user('o-new') });
    apply({ type: 'upsert', object: group('g', { users: ['z-last', 'p-first', 'o-new', 'a-new'] }) });
    expect(engine.namespaceClasses('n0').map((c) => c.users)).toEqual([['a-new', 'o-new', 'p-first'], ['z-last']]);
    apply({ type: 'upsert', object: group('everyone', { users: [...pad.map((u) => u.name), 'o-new'] }) });
    const n1 = engine.namespaceClasses('n1').map((c) => c.users);
    expect(n1.slice(0, 2)).toEqual([['a-new', 'p-first', 'z-last'], ['o-new']]);
    expect(n1[2]).toEqual(pad.map((u) => u.name));
  });
});
