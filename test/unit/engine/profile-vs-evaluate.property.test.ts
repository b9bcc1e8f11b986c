/**
 * The bulk profiles (what the permission maps publish) equal the reference evaluation of semantics §5 for every
 * (user, entity) of random models, including entities no grant names.
 */
import { expect, test } from '@jest/globals';
import fc from 'fast-check';
import { loadCatalog } from '../../../src/catalog/load-catalog.ts';
import { Engine } from '../../../src/engine/engine.ts';
import { parseEntity } from '../../../src/engine/entities.ts';
import { evaluate } from '../../../src/engine/evaluate.ts';
import { ALL_ENTITIES, ALL_USERS, T0, modelArb } from './arbitraries.ts';

const catalog = loadCatalog();

test('profile rights == evaluate(user, entity) on random models', () => {
  fc.assert(
    fc.property(modelArb, fc.boolean(), (model, adminAll) => {
      const engine = new Engine(model, catalog, { adminRights: adminAll ? 'all' : 'default' }, T0);
      for (const user of ALL_USERS) {
        for (const text of ALL_ENTITIES) {
          const ref = parseEntity(text, catalog);
          if (ref.kind === 'User') continue;
          const expected = evaluate(engine, user, ref).rights;
          const actual = engine.rightsOn(user, { kind: ref.kind, namespace: ref.namespace, key: text });
          if (actual !== expected) {
            expect({ user, entity: text, rights: engine.sets.rightNames(actual) }).toEqual({ user, entity: text, rights: engine.sets.rightNames(expected) });
          }
        }
      }
    }),
    { numRuns: 400 },
  );
});
