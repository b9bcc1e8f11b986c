/**
 * The kept maps' first write puts rows in the walk's order, without a sort: with names whose order is tricky
 * (numeric-looking, non-ASCII, astral, capitals) and users added after the first write, the kept maps equal a fresh
 * build's byte for byte (review of aad367c).
 */
import { expect, test } from '@jest/globals';
import { loadCatalog } from '../../src/catalog/load-catalog.ts';
import { Engine } from '../../src/engine/engine.ts';
import { buildNamespaceMap } from '../../src/permission-map/build-maps.ts';
import { IncrementalMaps } from '../../src/permission-map/incremental-maps.ts';
import { shardMap, type PermissionMapWrite } from '../../src/permission-map/shard.ts';
import { T0 } from './engine/arbitraries.ts';
import { collab, group, modelOf, org, user } from './engine/support.ts';

const catalog = loadCatalog();
const cm = (w: PermissionMapWrite): string => JSON.stringify(w.configMaps);
test('names in UTF-16 order: numeric-looking, non-ASCII, astral, capitals, and users added late', () => {
  const base = ['u9', 'u10', '10', '9', '2', 'Z', 'é', 'e', '\u{1F600}', '\uFF5A', 'a-1', 'a.1', 'a1'];
  const late = ['0', '\u00e0', 'A', '\u{1F601}', 'b'];
  const fixed = (few: string[]) => [
    org('acme', { namespaces: ['acme'] }), org('beta', { namespaces: ['beta'] }),
    group('all', { users: [...base, ...late] }), group('few', { users: few }),
    collab('acme/g-all', 'UserGroup/all', 'Application/app1', ['RIGHT_APPLICATION_LINK']),
    collab('beta/g-all', 'UserGroup/all', 'Application/app1', ['RIGHT_APPLICATION_LINK']),
    collab('beta/g-few', 'UserGroup/few', 'Application/app2', ['RIGHT_APPLICATION_SETTINGS_BASIC']),
    collab('beta/g-10', 'User/10', 'Application/10', ['RIGHT_APPLICATION_INFO']),
    collab('beta/g-e', 'User/é', 'Application/2', ['RIGHT_APPLICATION_INFO']),
  ];
  let few = ['u10', '9', 'é', '\u{1F600}'];
  const live = new Engine(modelOf(...base.map((n) => user(n)), ...fixed(few)), catalog, {}, T0);
  const maps = new IncrementalMaps(live);
  maps.write('acme');
  live.apply(late.map((n) => ({ type: 'upsert' as const, object: user(n) })));
  few = ['A', 'u9', '\u{1F601}', '\uFF5A', 'a.1'];
  live.apply([{ type: 'upsert', object: group('few', { users: few }) }]);
  const fresh = () => new Engine(modelOf(...[...base, ...late].map((n) => user(n)), ...fixed(few)), catalog, {}, T0);
  expect(cm(maps.write('beta'))).toBe(cm(shardMap(buildNamespaceMap(fresh(), 'beta'))));
  expect(cm(maps.write('acme'))).toBe(cm(shardMap(buildNamespaceMap(fresh(), 'acme'))));
  const rows = buildNamespaceMap(fresh(), 'beta').rows;
  expect(rows.length).toBeGreaterThan(3);
});
