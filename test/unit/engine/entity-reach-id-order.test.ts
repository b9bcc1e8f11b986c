/**
 * The entity reach is written from the walk's users in name order (entity-reach.ts `reachOf`), already ascending by
 * id while ids ascend with the names (a fresh engine numbers its users in name order). A user that comes later with a
 * name sorting first breaks that: its id is the highest. A namespace's reach computed by a walk after it must still be
 * ascending by id, or the next change's binary searches miss users (here: one leaving the group stays counted).
 */
import { expect, test } from '@jest/globals';
import { loadCatalog } from '../../../src/catalog/load-catalog.ts';
import { Engine, type Change } from '../../../src/engine/engine.ts';
import { statusOf } from '../../../src/engine/status.ts';
import { buildNamespaceMap } from '../../../src/permission-map/build-maps.ts';
import { applyToModel, cloneModel } from './arbitraries.ts';
import { NOW } from './scenario-arbitraries.ts';
import { APPLICABLE_RIGHTS, collab, group, modelOf, org, user } from './support.ts';

const catalog = loadCatalog();

test.each([
  ['a status reads the reach first', false],
  ['a map walks the namespace first', true],
])('a user numbered out of name order, then moved: the kept reach == a fresh engine (%s)', (_, mapFirst) => {
  const initial = modelOf(
    user('u1'),
    user('u2'),
    user('u3'),
    group('g0', { users: ['u1', 'u2', 'u3'] }),
    org('o0', { namespaces: ['n0'] }),
    collab('n0/c0', 'UserGroup/g0', 'Application/a0', APPLICABLE_RIGHTS.Application!.slice(0, 1)),
  );
  const engine = new Engine(cloneModel(initial), catalog, {}, NOW);
  const reference = cloneModel(initial);
  const apply = (change: Change): void => {
    engine.apply([change]);
    applyToModel(reference, change);
  };
  const expectFresh = (): void => {
    const fresh = new Engine(cloneModel(reference), catalog, {}, NOW);
    expect(statusOf(engine, 'Organization/o0')).toEqual(statusOf(fresh, 'Organization/o0'));
  };
  // u0 is numbered after u1..u3 (the highest id) but sorts first; the namespace is walked only now.
  apply({ type: 'upsert', object: user('u0') });
  apply({ type: 'upsert', object: group('g0', { users: ['u0', 'u1', 'u2', 'u3'] }) });
  if (mapFirst) buildNamespaceMap(engine, 'n0');
  expectFresh();
  expect((statusOf(engine, 'Organization/o0') as { authorizedUsers: { throughEntities: Record<string, number> } }).authorizedUsers.throughEntities).toEqual({ Application: 4 });
  // Each user leaves in turn, then comes back: each move found in the kept reach (a binary search by id).
  for (const gone of ['u0', 'u1', 'u2', 'u3']) {
    apply({ type: 'upsert', object: group('g0', { users: ['u0', 'u1', 'u2', 'u3'].filter((u) => u !== gone) }) });
    expectFresh();
    apply({ type: 'upsert', object: group('g0', { users: ['u0', 'u1', 'u2', 'u3'] }) });
    expectFresh();
  }
});
