/**
 * Kept rows made from the engine's walk (`NamespaceRows.addKeptClasses`, what `IncrementalMaps` does at a namespace's
 * first map): users numbered by their walk numbers (`UserTable.idOfWalked`), each row filled in name order, and the
 * users' index made from the walk, unsorted when the numbers ascend. When they do not (users numbered after the start
 * whose names sort before others), the index must still find every user: moves afterwards give the fresh map — in
 * one case, and as a property (random counts, late names sorting before and after the others', random group edits).
 */
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { loadCatalog } from '../../src/catalog/load-catalog.ts';
import { Engine } from '../../src/engine/engine.ts';
import { buildNamespaceMap } from '../../src/permission-map/build-maps.ts';
import { IncrementalMaps } from '../../src/permission-map/incremental-maps.ts';
import { UserTable } from '../../src/permission-map/kept-users.ts';
import { shardMap, type PermissionMapWrite } from '../../src/permission-map/shard.ts';
import { T0 } from './engine/arbitraries.ts';
import { collab, group, modelOf, org, user } from './engine/support.ts';
import type { ModelObject } from '../../src/model/model.ts';

const catalog = loadCatalog();
const configMaps = (write: PermissionMapWrite): string => JSON.stringify(write.configMaps);

/** Organizations acme and beta owning their namespaces; group `all` of `names` granted in both, group `few` in beta. */
const twoNamespaces = (names: string[]): ModelObject[] => [
  org('acme', { namespaces: ['acme'] }),
  org('beta', { namespaces: ['beta'] }),
  group('all', { users: names }),
  collab('acme/g-all', 'UserGroup/all', 'Application/app1', ['RIGHT_APPLICATION_LINK']),
  collab('beta/g-all', 'UserGroup/all', 'Application/app1', ['RIGHT_APPLICATION_LINK']),
  collab('beta/g-few', 'UserGroup/few', 'Application/app2', ['RIGHT_APPLICATION_SETTINGS_BASIC']),
];

describe('kept rows from the walk', () => {
  test("a namespace first kept after users came whose names sort first: its users' index still finds them, moves give the fresh map", () => {
    const names = Array.from({ length: 60 }, (_, i) => `u${String(i).padStart(2, '0')}`);
    const late = ['a0', 'a1', 'a2', 'b5'];
    const fixed = twoNamespaces(names);
    const live = new Engine(modelOf(...names.map((n) => user(n)), group('few', { users: names.slice(0, 30) }), ...fixed), catalog, {}, T0);
    const maps = new IncrementalMaps(live);
    maps.write('acme');
    // Users numbered after the start (by the engine and the kept maps' table), whose names sort before the others'.
    live.apply(late.map((n) => ({ type: 'upsert' as const, object: user(n) })));
    let few = [...late, ...names.slice(0, 30)];
    live.apply([{ type: 'upsert', object: group('few', { users: few }) }]);
    const fresh = (): Engine => new Engine(modelOf(...[...late, ...names].map((n) => user(n)), group('few', { users: few }), ...fixed), catalog, {}, T0);
    // beta's first map: kept rows from a walk whose users' numbers do not ascend with their names.
    expect(configMaps(maps.write('beta'))).toBe(configMaps(shardMap(buildNamespaceMap(fresh(), 'beta'))));
    for (const users of [[late[1]!, late[3]!, ...names.slice(5, 30)], [late[0]!, ...names.slice(0, 3), names[59]!], names.slice(10, 40)]) {
      few = users;
      const rebuilt = maps.stats.rebuilt;
      live.apply([{ type: 'upsert', object: group('few', { users }) }]);
      expect(configMaps(maps.write('beta'))).toBe(configMaps(shardMap(buildNamespaceMap(fresh(), 'beta'))));
      expect(maps.stats.rebuilt).toBe(rebuilt); // moved, not rebuilt
    }
  });

  test('a walk number names the user it numbered first; another name under it is an error (walk numbers of another engine)', () => {
    const table = new UserTable();
    table.numberInNameOrder(['bob', 'alice']);
    expect(table.idOfWalked(5, 'carol')).toBe(2);
    expect(table.idOfWalked(5, 'carol')).toBe(2);
    expect(table.idOfWalked(0, 'alice')).toBe(0);
    expect(() => table.idOfWalked(5, 'bob')).toThrow(/walk number 5/);
  });

  test("users named after the kept maps were made, a namespace first kept after them, its group edited: kept equals fresh", () => {
    const lateName = fc.stringMatching(/^[a-z]x[0-9]{1,3}$/); // never a base name; sorting before or after them
    fc.assert(
      fc.property(fc.integer({ min: 8, max: 90 }), fc.uniqueArray(lateName, { minLength: 1, maxLength: 12 }), fc.array(fc.array(fc.nat(), { maxLength: 40 }), { minLength: 1, maxLength: 4 }), (count, late, edits) => {
        const names = Array.from({ length: count }, (_, i) => `u${String(i).padStart(3, '0')}`);
        const fixed = twoNamespaces(names);
        let few = names.slice(0, count >> 1);
        const live = new Engine(modelOf(...names.map((n) => user(n)), group('few', { users: few }), ...fixed), catalog, {}, T0);
        const maps = new IncrementalMaps(live);
        maps.write('acme');
        live.apply(late.map((n) => ({ type: 'upsert' as const, object: user(n) })));
        const pool = [...late, ...names];
        const fresh = (): Engine => new Engine(modelOf(...pool.map((n) => user(n)), group('few', { users: few }), ...fixed), catalog, {}, T0);
        for (const edit of [pool.map((_, i) => i).filter((i) => i < late.length || i % 2 === 0), ...edits]) {
          few = [...new Set(edit.map((i) => pool[i % pool.length]!))];
          live.apply([{ type: 'upsert', object: group('few', { users: few }) }]);
          for (const ns of ['acme', 'beta']) expect(configMaps(maps.write(ns))).toBe(configMaps(shardMap(buildNamespaceMap(fresh(), ns))));
        }
      }),
      { numRuns: 200 },
    );
  });
});
