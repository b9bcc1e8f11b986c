/**
 * selfRights (what `charter diff` asks for every user at every expiry) equals the reference evaluation of a user on
 * itself, on random models (every user state, admins, memberships, groups) and with other catalogs.
 */
import { expect, test } from '@jest/globals';
import fc from 'fast-check';
import { loadCatalog } from '../../../src/catalog/load-catalog.ts';
import { Engine } from '../../../src/engine/engine.ts';
import { evaluate, selfRights } from '../../../src/engine/evaluate.ts';
import { ALL_USERS, T0, modelArb } from './arbitraries.ts';

test.each(['src/catalog/default.catalog.yaml', 'catalogs/aspera.yaml', 'catalogs/thingsboard.yaml'])('selfRights == evaluate(user, User/user) on random models (%s)', (file) => {
  const catalog = loadCatalog(file);
  fc.assert(
    fc.property(modelArb, fc.boolean(), (model, adminAll) => {
      const engine = new Engine(model, catalog, { adminRights: adminAll ? 'all' : 'default' }, T0);
      for (const user of [...ALL_USERS, 'nobody-at-all']) {
        const expected = evaluate(engine, user, { kind: 'User', namespace: undefined, name: user }).rights;
        const actual = selfRights(engine, user);
        if (actual !== expected) expect({ user, rights: engine.sets.rightNames(actual) }).toEqual({ user, rights: engine.sets.rightNames(expected) });
      }
    }),
    { numRuns: 200 },
  );
});
