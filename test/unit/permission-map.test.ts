import { describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../src/api/generated-files.ts';
import { loadCatalog } from '../../src/catalog/load-catalog.ts';
import { Engine } from '../../src/engine/engine.ts';
import { loadManifests } from '../../src/model/load-manifests.ts';
import { buildNamespaceMap, buildPermissionMaps, emptyNamespaceMap } from '../../src/permission-map/build-maps.ts';
import { CONTENT_HASH_ANNOTATION, MAP_LABELS, obsoleteConfigMaps, shardMap } from '../../src/permission-map/shard.ts';
import { PermissionMapError, hashedContent, parsePermissionMap } from '../../src/reader/permission-reader.ts';
import { collab, engineOf, group, modelOf, org, user } from './engine/support.ts';
import { differences, filesOf, readBack, resealed, schemaErrors, writeProblems, writesOf } from './permission-map.support.ts';

const NOW = Date.parse('2026-06-01T00:00:00Z');
const DAY = 24 * 3600 * 1000;
/** Small enough that the rich model shards into several ConfigMaps (an index alone is about 2 KiB). */
const TINY = 2600;

/** semantics §7. */
const workedExample = () =>
  modelOf(
    org('acme', { namespaces: ['acme'] }),
    user('alice'),
    user('bob'),
    user('carol'),
    collab('acme/m-alice', 'User/alice', 'Organization/acme', ['RIGHT_ORGANIZATION_INFO', 'RIGHT_APPLICATION_INFO']),
    collab('acme/m-devs', 'UserGroup/devs', 'Organization/acme', ['RIGHT_APPLICATION_ALL']),
    group('devs', { users: ['bob'] }),
    collab('acme/c-carol', 'User/carol', 'Application/app1', ['RIGHT_APPLICATION_LINK']),
  );

/** Ownership, parents, organization grants, groups (nested, selector), admins, states, expiry, conflicts, invalid grants. */
const richModel = () => {
  const crowd = Array.from({ length: 40 }, (_, i) => user(`crowd-${String(i).padStart(2, '0')}`, { labels: { team: 'crowd' } }));
  return modelOf(
    org('acme', { namespaces: ['acme', 'acme-2'] }),
    org('sub', { namespaces: ['sub'], parent: 'acme', ownerRights: ['RIGHT_APPLICATION_INFO', 'RIGHT_GATEWAY_ALL'] }),
    org('partners', { namespaces: ['partners'], ownerRights: [] }),
    org('twin-a', { namespaces: ['shared'] }),
    org('twin-b', { namespaces: ['shared'] }),
    user('alice'),
    user('bob'),
    user('carol'),
    user('dave'),
    user('erin'),
    user('ivan'),
    user('judy', { labels: { team: 'iot' } }),
    user('fiona', { state: 'Flagged', labels: { team: 'iot' } }),
    user('root', { admin: true }),
    user('mallory', { admin: true, state: 'Flagged' }),
    user('sam', { admin: true, state: 'Suspended' }),
    user('rita', { state: 'Requested' }),
    user('rex', { state: 'Rejected' }),
    ...crowd,
    group('devs', { users: ['bob'] }),
    group('staff', { groups: ['field-team'] }),
    group('field-team', { groups: ['interns'] }),
    group('interns', { users: ['ivan'] }),
    group('newcomers', { users: ['rita', 'rex', 'sam'] }),
    group('iot-team', { selector: { matchLabels: { team: 'iot' } } }),
    group('crowd', { selector: { matchLabels: { team: 'crowd' } } }),
    collab('acme/m-alice', 'User/alice', 'Organization/acme', ['RIGHT_ORGANIZATION_INFO', 'RIGHT_APPLICATION_INFO']),
    collab('acme/m-devs', 'UserGroup/devs', 'Organization/acme', ['RIGHT_APPLICATION_ALL']),
    collab('acme/m-crowd', 'UserGroup/crowd', 'Organization/acme', ['RIGHT_APPLICATION_INFO', 'RIGHT_GATEWAY_INFO', 'RIGHT_ORGANIZATION_INFO']),
    collab('acme/c-carol', 'User/carol', 'Application/app1', ['RIGHT_APPLICATION_LINK']),
    collab('partners/m-dave', 'User/dave', 'Organization/partners', ['RIGHT_ORGANIZATION_INFO', 'RIGHT_APPLICATION_ALL', 'RIGHT_GATEWAY_ALL']),
    collab('partners/m-erin', 'User/erin', 'Organization/partners', ['RIGHT_APPLICATION_LINK', 'RIGHT_GATEWAY_INFO']),
    collab('acme/p-app1', 'Organization/partners', 'Application/app1', ['RIGHT_APPLICATION_INFO', 'RIGHT_APPLICATION_DEVICES_READ', 'RIGHT_APPLICATION_TRAFFIC_READ']),
    collab('acme/p-gw1', 'Organization/partners', 'Gateway/gw1', ['RIGHT_GATEWAY_LINK']),
    collab('partners/p-tracker', 'Organization/partners', 'Application/tracker', ['RIGHT_APPLICATION_ALL']),
    collab('acme/newcomers', 'UserGroup/newcomers', 'Application/app1', ['RIGHT_APPLICATION_ALL']),
    collab('acme/staff', 'UserGroup/staff', 'Gateway/gw1', ['RIGHT_GATEWAY_ALL']),
    collab('lab/iot', 'UserGroup/iot-team', 'Application/sensor-hub', ['RIGHT_APPLICATION_INFO', 'RIGHT_APPLICATION_TRAFFIC_READ']),
    collab('acme/mallory', 'User/mallory', 'Application/app2', ['RIGHT_APPLICATION_INFO']),
    collab('acme/root', 'User/root', 'Application/app2', ['RIGHT_APPLICATION_ALL']),
    collab('acme/temp', 'User/erin', 'Application/app3', ['RIGHT_APPLICATION_DELETE'], { expiresAt: NOW + DAY }),
    collab('acme/old', 'User/erin', 'Application/app4', ['RIGHT_APPLICATION_DELETE'], { expiresAt: NOW - DAY }),
    collab('acme/m-temp', 'User/judy', 'Organization/acme', ['RIGHT_CLIENT_ALL'], { expiresAt: NOW + 2 * DAY }),
    collab('shared/x', 'User/alice', 'Client/cli', ['RIGHT_CLIENT_ALL']),
    collab('acme/bad', 'User/alice', 'Application/app5', ['RIGHT_GATEWAY_INFO']),
    collab('acme/ghost', 'User/ghost', 'Application/app1', ['RIGHT_APPLICATION_ALL']),
    collab('acme/crowd-app', 'UserGroup/crowd', 'Application/crowd-app', ['RIGHT_APPLICATION_TRAFFIC_UP_WRITE']),
    ...crowd.slice(0, 25).map((u, i) => collab(`acme/crowd-${i}`, `User/${u.name}`, `Gateway/gw-${i % 5}`, [i % 2 ? 'RIGHT_GATEWAY_LINK' : 'RIGHT_GATEWAY_STATUS_READ'])),
  );
};

function expectReaderMatchesEngine(engine: Engine, budgetBytes: number | undefined): number {
  let shards = 0;
  for (const [ns, write] of writesOf(engine, budgetBytes)) {
    expect(writeProblems(write, budgetBytes ?? 900 * 1024)).toEqual([]);
    shards = Math.max(shards, write.index.shards.length);
    expect(differences(engine, ns, readBack(write))).toEqual([]);
  }
  return shards;
}

describe('reader == evaluate for every (user, entity, right)', () => {
  test('semantics §7 worked example, unsharded', () => {
    const engine = engineOf(workedExample());
    expect(expectReaderMatchesEngine(engine, undefined)).toBe(1);
    const map = readBack(writesOf(engine).get('acme')!);
    expect(map.rights('carol', 'Application/acme/app1')).toEqual(['RIGHT_APPLICATION_INFO', 'RIGHT_APPLICATION_LINK', 'RIGHT_APPLICATION_TRAFFIC_DOWN_WRITE', 'RIGHT_APPLICATION_TRAFFIC_READ']);
    expect(map.rights('bob', 'Application/acme/anything')).toHaveLength(14);
    expect(map.can('alice', 'RIGHT_ORGANIZATION_INFO', 'Organization/acme')).toBe(true);
    expect(map.can('carol', 'RIGHT_APPLICATION_INFO', 'Application/acme/app2')).toBe(false);
  });

  test('rich model, unsharded', () => {
    expect(expectReaderMatchesEngine(engineOf(richModel()), undefined)).toBe(1);
  });

  test('rich model, sharded with a tiny budget', () => {
    expect(expectReaderMatchesEngine(engineOf(richModel()), TINY)).toBeGreaterThan(1);
  });

  test('rich model with adminRights: all, sharded and not', () => {
    const engine = engineOf(richModel(), { adminRights: 'all' });
    expectReaderMatchesEngine(engine, undefined);
    expectReaderMatchesEngine(engine, TINY);
    expect(readBack(writesOf(engine).get('acme')!).can('root', 'RIGHT_APPLICATION_DEVICES_READ_KEYS', 'Application/acme/x')).toBe(true);
  });

  test('after changes and the passing of time', () => {
    const engine = engineOf(richModel());
    engine.apply([
      { type: 'delete', kind: 'Collaboration', namespace: 'acme', name: 'm-devs' },
      { type: 'upsert', object: user('bob', { admin: true }) },
      { type: 'upsert', object: org('acme', { namespaces: ['acme'], ownerRights: ['RIGHT_APPLICATION_INFO'] }) },
    ]);
    engine.advanceTime(NOW + 1.5 * DAY);
    expectReaderMatchesEngine(engine, undefined);
    expectReaderMatchesEngine(engine, TINY);
  });

  for (const example of ['the-things-stack', 'thingsboard', 'aspera']) {
    const dir = join(repoRoot, 'examples', example);
    const catalogFile = [join(repoRoot, 'catalogs', `${example}.yaml`), join(dir, 'catalog.yaml')].find((f) => existsSync(f));
    // The examples belong to another part of the project: the test follows those that are there with their catalog.
    const present = existsSync(dir) && (example === 'the-things-stack' || catalogFile !== undefined);
    (present ? test : test.skip)(`examples/${example}, sharded and not`, () => {
      const catalog = loadCatalog(example === 'the-things-stack' ? undefined : catalogFile);
      const engine = new Engine(loadManifests([dir]).model, catalog, {}, NOW);
      expectReaderMatchesEngine(engine, undefined);
      expectReaderMatchesEngine(engine, 4000);
    });
  }
});

describe('format', () => {
  const engine = engineOf(richModel());
  const maps = buildPermissionMaps(engine);

  test('one map per namespace with entities or collaborations, covering its owner', () => {
    expect([...maps.keys()]).toEqual(['acme', 'acme-2', 'lab', 'partners', 'shared', 'sub']);
    expect(maps.get('acme')!.organization).toBe('acme');
    expect(maps.get('sub')!.organization).toBe('sub');
    expect(maps.get('shared')!.organization).toBeUndefined(); // claimed by two organizations
    expect(maps.get('lab')!.organization).toBeUndefined();
  });

  test('users with the same rights share one row', () => {
    const rows = maps.get('acme-2')!.rows;
    const crowdRows = rows.filter((r) => r.users.some((u) => u.startsWith('crowd-')));
    expect(crowdRows).toHaveLength(1);
    expect(crowdRows[0]!.users).toHaveLength(40);
  });

  test('restricted users and Flagged admins hold nothing; admins are listed once with their rights per kind', () => {
    const map = maps.get('acme')!;
    const listed = new Set(map.rows.flatMap((r) => r.users));
    for (const u of ['rita', 'rex', 'sam']) expect(listed.has(u)).toBe(false);
    expect(map.admins.users).toEqual(['root']);
    expect(Object.keys(map.admins.rights)).toEqual(['Application', 'Client', 'Gateway', 'Organization']);
    // root's own grant on app2 is within the admin rights except the _KEYS ones.
    expect(map.rows.find((r) => r.users.includes('root'))?.entities?.Application?.app2).toBeDefined();
  });

  test('masks are hexadecimal over the map’s rights', () => {
    const map = maps.get('acme')!;
    const bob = map.rows.find((r) => r.users.includes('bob'))!;
    const mask = BigInt(`0x${bob.defaults!.Application!}`);
    const names = map.rights.filter((_, i) => (mask >> BigInt(i)) & 1n);
    expect(names).toHaveLength(14);
    expect(names.every((n) => n.startsWith('RIGHT_APPLICATION_'))).toBe(true);
  });

  test('nextExpiry: the earliest expiry of a grant the namespace depends on', () => {
    expect(maps.get('acme')!.nextExpiry).toBe(NOW + DAY);
    // A membership of acme expiring flows to the namespaces of acme and of its descendant sub.
    expect(maps.get('sub')!.nextExpiry).toBe(NOW + 2 * DAY);
    expect(maps.get('acme-2')!.nextExpiry).toBe(NOW + 2 * DAY);
    expect(maps.get('partners')!.nextExpiry).toBeUndefined();
    const map = readBack(shardMap(maps.get('acme')!));
    expect(map.nextExpiry).toBe(NOW + DAY);
    expect(map.isStale(NOW)).toBe(false);
    expect(map.isStale(NOW + DAY)).toBe(true);
  });

  test('documents validate against the schema; ConfigMaps carry labels, keys and the content hash', () => {
    for (const map of maps.values()) {
      for (const budget of [undefined, TINY]) {
        const write = shardMap(map, { budgetBytes: budget });
        expect(writeProblems(write, budget ?? 900 * 1024)).toEqual([]);
        expect(schemaErrors(write.index)).toEqual([]);
        for (const shard of write.shards) expect(schemaErrors(shard)).toEqual([]);
        for (const cm of write.configMaps) {
          expect(cm.metadata.labels).toMatchObject(MAP_LABELS);
          expect(cm.metadata.namespace).toBe(map.namespace);
        }
        expect(write.configMaps.at(-1)!.metadata.annotations[CONTENT_HASH_ANNOTATION]).toBe(write.contentHash);
      }
    }
    expect(schemaErrors({ format: 'charter.dev/permission-map-shard', version: 2, namespace: 'x', sets: [], rows: [] })).not.toEqual([]);
  });

  test('sharded: shards first, the index last; names and keys; obsolete shards are the ones not kept', () => {
    const write = shardMap(maps.get('acme')!, { budgetBytes: TINY });
    const n = write.index.shards.length;
    expect(write.writeOrder).toEqual([...Array.from({ length: n }, (_, i) => `charter-permissions-${i}`), 'charter-permissions']);
    expect(write.index.shards.map((s) => s.key)).toEqual(Array.from({ length: n }, (_, i) => `charter-permissions-${i}.json`));
    expect(Object.keys(write.configMaps.at(-1)!.data)).toEqual(['index.json']);
    expect(write.configMaps.map((cm) => cm.metadata.labels['charter.dev/permission-map-part'])).toEqual([...Array(n).fill('shard'), 'index']);
    expect(obsoleteConfigMaps(['charter-permissions', `charter-permissions-${n}`, `charter-permissions-${n + 1}`, 'charter-permissions-0'], write)).toEqual([
      `charter-permissions-${n}`,
      `charter-permissions-${n + 1}`,
    ]);
    const single = shardMap(maps.get('acme')!);
    expect(single.writeOrder).toEqual(['charter-permissions']);
    expect(Object.keys(single.configMaps[0]!.data)).toEqual(['index.json', 'charter-permissions.json']);
    expect(shardMap(maps.get('acme')!, { name: 'perms' }).writeOrder).toEqual(['perms']);
  });

  test('deterministic; the content hash ignores the evaluation time and follows the content', () => {
    const a = shardMap(buildNamespaceMap(engine, 'partners'), { budgetBytes: TINY });
    const b = shardMap(buildNamespaceMap(engineOf(richModel()), 'partners'), { budgetBytes: TINY });
    expect(b.configMaps).toEqual(a.configMaps);
    const later = engineOf(richModel(), { now: NOW + 3600_000 });
    const c = shardMap(buildNamespaceMap(later, 'partners'), { budgetBytes: TINY });
    expect(c.contentHash).toBe(a.contentHash);
    expect(c.index.evaluatedAt).not.toBe(a.index.evaluatedAt);
    later.apply([{ type: 'delete', kind: 'Collaboration', namespace: 'partners', name: 'm-erin' }]);
    expect(shardMap(buildNamespaceMap(later, 'partners'), { budgetBytes: TINY }).contentHash).not.toBe(a.contentHash);
  });

  test('a small change rewrites few shards', () => {
    const big = engineOf(richModel());
    const before = shardMap(buildNamespaceMap(big, 'acme'), { budgetBytes: TINY });
    big.apply([{ type: 'upsert', object: collab('acme/new', 'User/carol', 'Gateway/gw-new', ['RIGHT_GATEWAY_INFO']) }]);
    const after = shardMap(buildNamespaceMap(big, 'acme'), { budgetBytes: TINY });
    expect(after.index.shards.length).toBe(before.index.shards.length);
    const changed = after.index.shards.filter((s, i) => s.sha256 !== before.index.shards[i]!.sha256);
    expect(changed.length).toBeLessThanOrEqual(2);
  });

  test('a budget too small for the index is an error that says so', () => {
    expect(() => shardMap(maps.get('acme')!, { budgetBytes: 1000 })).toThrow(/budget/);
  });
});

describe('torn and invalid updates', () => {
  const engine = engineOf(richModel());
  const v1 = shardMap(buildNamespaceMap(engine, 'acme'), { budgetBytes: TINY });
  engine.apply([{ type: 'delete', kind: 'Collaboration', namespace: 'acme', name: 'm-crowd' }]);
  const v2 = shardMap(buildNamespaceMap(engine, 'acme'), { budgetBytes: TINY });

  const reason = (read: (key: string) => string | undefined): string => {
    try {
      parsePermissionMap(read);
      return 'loaded';
    } catch (error) {
      expect(error).toBeInstanceOf(PermissionMapError);
      return (error as PermissionMapError).reason;
    }
  };

  test('an index of one update with shards of the other is torn', () => {
    expect(v2.contentHash).not.toBe(v1.contentHash);
    const old = filesOf(v1);
    const current = filesOf(v2);
    expect(reason((key) => (key === 'index.json' ? current : old).get(key))).toBe('Torn');
    expect(reason((key) => (key === 'index.json' ? old : current).get(key))).toBe('Torn');
    expect(reason((key) => current.get(key))).toBe('loaded');
  });

  test('a shard the index lists but the volume lacks is missing', () => {
    const files = filesOf(v2);
    files.delete(v2.index.shards.at(-1)!.key);
    expect(reason((key) => files.get(key))).toBe('Missing');
    expect(reason(() => undefined)).toBe('Absent');
  });

  test('another format or version is unsupported; broken JSON or references are invalid', () => {
    const files = filesOf(v2);
    const index = JSON.parse(files.get('index.json')!) as Record<string, unknown>;
    expect(reason((key) => (key === 'index.json' ? JSON.stringify({ ...index, version: 2 }) : files.get(key)))).toBe('Unsupported');
    expect(reason((key) => (key === 'index.json' ? JSON.stringify({ ...index, format: 'x' }) : files.get(key)))).toBe('Unsupported');
    expect(reason((key) => (key === 'index.json' ? '{' : files.get(key)))).toBe('Invalid');
    // A shard whose hash matches but refers to a set it does not have.
    const shardDoc = { format: 'charter.dev/permission-map-shard', version: 1, namespace: 'acme', sets: ['1'], rows: [{ users: ['x'], defaults: { Application: 3 } }] };
    const text = JSON.stringify(shardDoc);
    const bad = JSON.stringify({ ...index, shards: [{ configMap: 'charter-permissions', key: 'charter-permissions.json', sha256: createHash('sha256').update(text).digest('hex'), bytes: text.length }] });
    expect(reason((key) => (key === 'index.json' ? bad : key === 'charter-permissions.json' ? text : undefined))).toBe('Invalid');
  });
});

describe('integrity: every rule of the format is checked (re-sealed, so that no hash catches the edit first)', () => {
  const engine = engineOf(richModel());
  const write = shardMap(buildNamespaceMap(engine, 'acme'), { budgetBytes: TINY });
  const files = filesOf(write);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  type Doc = any;
  const firstShard = (shards: Map<string, Doc>): Doc => [...shards.values()].find((d) => d.rows.length > 0 && d.sets.length > 1);
  const load = (edited: ReadonlyMap<string, string>): string => {
    try {
      parsePermissionMap((key) => edited.get(key));
      return 'loaded';
    } catch (error) {
      expect(error).toBeInstanceOf(PermissionMapError);
      return `${(error as PermissionMapError).reason}: ${(error as Error).message}`;
    }
  };

  test('re-sealing an unchanged map loads it (the cases below fail for their own reason)', () => {
    expect(write.index.shards.length).toBeGreaterThanOrEqual(2);
    expect(load(resealed(files, () => undefined))).toBe('loaded');
    expect(load(resealed(files, (index) => (index.evaluatedAt = '2030-01-01T00:00:00Z')))).toBe('loaded');
    expect(load(resealed(files, (index) => (index.someFutureField = { x: 1 })))).toBe('loaded'); // readers ignore unknown fields
  });

  test.each<[string, (index: Doc, shards: Map<string, Doc>) => void, RegExp]>([
    ['rights reordered', (index) => index.rights.reverse(), /rights\[1\]: expected a name after/],
    ['a right duplicated', (index) => index.rights.splice(1, 0, index.rights[0]), /rights\[1\]/],
    ['a right that is not a right name', (index) => (index.rights[0] = 'x y'), /rights\[0\]/],
    ['kinds reordered', (index) => index.kinds.reverse(), /kinds\[1\]/],
    ['an administrator twice', (index) => index.admins.users.push(index.admins.users[0]), /admins.users\[1\]: expected no duplicate/],
    ['admin rights of a kind the map does not cover', (index) => (index.admins.rights.Widget = '1'), /admins.rights.Widget/],
    ['admin rights beyond the right table', (index) => (index.admins.rights.Application = `1${'0'.repeat(20)}`), /within the \d+ rights/],
    ['a shard listed twice', (index) => index.shards.push(index.shards[0]), /shards\[\d+\].configMap/],
    ['a shard key that leaves the directory', (index) => (index.shards[0].key = '../../etc/passwd'), /shards\[0\].key/],
    ['a shard in a ConfigMap the layout does not name', (index) => (index.shards[1].configMap = 'elsewhere'), /shards\[1\].configMap/],
    ['shards out of order', (index) => index.shards.reverse(), /shards\[0\].configMap/],
    ['a shard of another namespace', (_index, shards) => (firstShard(shards).namespace = 'other'), /namespace: expected acme/],
    ['a set twice', (_index, shards) => firstShard(shards).sets.push(firstShard(shards).sets[0]), /sets\[\d+\]: expected no duplicate/],
    ['a set beyond the right table', (_index, shards) => firstShard(shards).sets.push(`1${'0'.repeat(20)}`), /sets\[\d+\]: expected a mask within/],
    ['a set that is not a mask', (_index, shards) => firstShard(shards).sets.push('00ff'), /sets\[\d+\]: expected masks/],
    ['a user twice in a row', (_index, shards) => firstShard(shards).rows[0].users.push(firstShard(shards).rows[0].users[0]), /users\[\d+\]: expected no duplicate/],
    ['a row without users', (_index, shards) => (firstShard(shards).rows[0].users = []), /at least one user/],
    ['a position past the sets', (_index, shards) => (firstShard(shards).rows[0].defaults = { Application: firstShard(shards).sets.length }), /expected a position in sets/],
    ['a negative position', (_index, shards) => (firstShard(shards).rows[0].defaults = { Application: -1 }), /expected a position in sets/],
    ['a fractional position', (_index, shards) => (firstShard(shards).rows[0].defaults = { Application: 0.5 }), /expected a position in sets/],
    ['an entity name with a slash', (_index, shards) => (firstShard(shards).rows[0].entities = { Application: { 'a/b': 0 } }), /entity names/],
    ['a kind the index does not cover', (_index, shards) => (firstShard(shards).rows[0].defaults = JSON.parse('{"__proto__": 0}')), /one of the index's kinds/],
    ['an organization entry in a map without organization', (index, shards) => { delete index.organization; delete index.admins.rights.Organization; firstShard(shards).rows[0].organization = 0; }, /the index names no organization/],
    ['an impossible date', (index) => (index.evaluatedAt = '2026-02-30T00:00:00Z'), /evaluatedAt: expected an RFC 3339 time/],
    ['an impossible hour', (index) => (index.nextExpiry = '2026-07-01T24:00:00Z'), /nextExpiry: expected an RFC 3339 time/],
    ['a time without zone', (index) => (index.evaluatedAt = '2026-07-01T00:00:00'), /evaluatedAt: expected an RFC 3339 time/],
    ['a withheld map that still grants', (index) => (index.withheld = { reason: 'TooManyShards', message: 'x' }), /a withheld map lists no administrator and no row/],
  ])('%s: Invalid', (_name, edit, message) => {
    const out = load(resealed(files, edit));
    expect(out).toMatch(/^Invalid: /);
    expect(out).toMatch(message);
  });

  test('the index edited without re-sealing: its contentHash no longer matches', () => {
    const index = JSON.parse(files.get('index.json')!) as Doc;
    index.admins.rights.Application = '1';
    expect(load(new Map(files).set('index.json', JSON.stringify(index)))).toMatch(/^Invalid: .*contentHash: the content hashes to/);
    index.admins.rights.Application = JSON.parse(files.get('index.json')!).admins.rights.Application;
    expect(load(new Map(files).set('index.json', JSON.stringify(index)))).toBe('loaded');
    index.admins.users.push('mallory');
    expect(load(new Map(files).set('index.json', JSON.stringify(index)))).toMatch(/^Invalid: .*contentHash/);
  });

  test('a shard whose length is not the one the index lists is torn (even with its hash right)', () => {
    const index = JSON.parse(files.get('index.json')!) as Doc;
    index.shards[0].bytes += 1;
    index.contentHash = `sha256:${createHash('sha256').update(JSON.stringify(hashedContent(index))).digest('hex')}`;
    expect(load(new Map(files).set('index.json', JSON.stringify(index)))).toMatch(/^Torn: .*bytes/);
  });

  test('the empty map covers nothing and grants nothing; it validates against the schema', () => {
    const empty = shardMap(emptyNamespaceMap(engine, 'lab'));
    expect(schemaErrors(empty.index)).toEqual([]);
    expect(empty.writeOrder).toEqual(['charter-permissions']);
    const map = readBack(empty);
    expect(map.isEmpty).toBe(true);
    expect(map.withheld).toBeUndefined();
    for (const user of ['alice', 'root', 'nobody']) {
      for (const entity of ['Application/lab/x', 'Organization/acme', 'Gateway/lab/g']) {
        expect(map.covers(entity)).toBe(false);
        expect(map.rights(user, entity)).toEqual([]);
        expect(map.can(user, 'RIGHT_APPLICATION_INFO', entity)).toBe(false);
      }
    }
  });

  test('a map that needs more shards than allowed is withheld: it grants nothing and says why', () => {
    const full = shardMap(buildNamespaceMap(engine, 'acme'), { budgetBytes: TINY });
    const n = full.index.shards.length;
    expect(shardMap(buildNamespaceMap(engine, 'acme'), { budgetBytes: TINY, maxShards: n }).withheld).toBeUndefined();
    const withheld = shardMap(buildNamespaceMap(engine, 'acme'), { budgetBytes: TINY, maxShards: n - 1 });
    expect(withheld.withheld).toMatchObject({ reason: 'TooManyShards', shardsNeeded: n, maxShards: n - 1 });
    expect(withheld.writeOrder).toEqual(['charter-permissions']);
    expect(schemaErrors(withheld.index)).toEqual([]);
    const map = readBack(withheld);
    expect(map.withheld?.reason).toBe('TooManyShards');
    expect(map.isEmpty).toBe(true);
    expect(map.can('bob', 'RIGHT_APPLICATION_INFO', 'Application/acme/app1')).toBe(false);
    expect(readBack(full).can('bob', 'RIGHT_APPLICATION_INFO', 'Application/acme/app1')).toBe(true);
  });

  test('the cache of checked entity keys is bounded in bytes, not only in entries', () => {
    const map = readBack(shardMap(buildNamespaceMap(engine, 'acme')));
    expect(map.cacheBytes).toBe(0);
    const long = 'x'.repeat(700);
    for (let i = 0; i < 20_000; i++) map.can('carol', 'RIGHT_APPLICATION_INFO', `Application/acme/${long}${i}`);
    expect(map.cacheBytes).toBeGreaterThan(4 * 1024 * 1024);
    expect(map.cacheBytes).toBeLessThanOrEqual(8 * 1024 * 1024);
    const before = map.cacheBytes;
    const huge = 'y'.repeat(1 << 20);
    for (let i = 0; i < 50; i++) expect(map.can('carol', 'RIGHT_APPLICATION_INFO', `Application/acme/${huge}${i}`)).toBe(false);
    expect(map.cacheBytes).toBe(before); // a key longer than any a map covers is never kept
    expect(map.can('bob', 'RIGHT_APPLICATION_INFO', 'Application/acme/fresh')).toBe(true);
  });
});
