/**
 * The render caches of kept maps (shard.ts's `RowRenderCache`) == rendering from scratch: on a namespace with big
 * groups, after random membership edits, the kept maps' ConfigMaps equal those of `shardMap` on a fresh engine's map,
 * byte for byte, for shard sizes small enough that big rows are cut into user chunks and maps into many shards. So
 * the chunks reused from a row's previous cut (`previousRow`), the shards reused while their units are the same,
 * and the distinct masks counted from the last count cut and place units exactly as a fresh build does; and the
 * count of distinct masks kept from write to write equals a fresh count of the rows' masks (a wrong decrement fails);
 * and each kept rendering points at its row's JSON within a text of the last write (no copy, no older text). A row
 * kept while its map's mask references grow a digit is cut again (it fails when a rendering keeps units cut for the
 * state's former width). Each shard's table of masks is exactly the masks its rows refer to, in table order (a split
 * shard's is made from its units' masks, kept from their cut: a unit holding more masks than its part's, or fewer,
 * fails — which a fresh build, cut the same way, would not show). A split map is not rendered whole again for nothing
 * when its rows' texts from the last whole render already exceed the target. Some user names and an entity name are
 * not ASCII (more UTF-8 bytes than characters): a kept range counted in characters where bytes are meant, or the
 * reverse, fails (the ConfigMaps and the ranges' checks).
 */
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { loadCatalog } from '../../src/catalog/load-catalog.ts';
import { Engine } from '../../src/engine/engine.ts';
import type { CollaborationObject, OrganizationObject, UserGroupObject, UserObject } from '../../src/model/model.ts';
import { buildNamespaceMap, type MapRow, type NamespaceMap } from '../../src/permission-map/build-maps.ts';
import { IncrementalMaps } from '../../src/permission-map/incremental-maps.ts';
import { RowRenderCache, shardMap, type PermissionMapWrite, type ShardOptions } from '../../src/permission-map/shard.ts';
import { T0 } from './engine/arbitraries.ts';
import { collab, group, modelOf, org, user } from './engine/support.ts';

const catalog = loadCatalog();
// Names of several lengths, so that chunks end by size at different users; some non-ASCII (more UTF-8 bytes than
// characters: what a kept text holds is counted in one or the other, and a range counted in the wrong one fails).
const NAMES = Array.from({ length: 1200 }, (_, i) => `${'x'.repeat((i * 13) % 37)}${i % 7 === 0 ? 'ü' : i % 11 === 0 ? '日本' : i % 13 === 0 ? '\u{1f600}' : ''}u${i}`);
const OPTIONS: Array<Omit<ShardOptions, 'rendered'>> = [{}, { shardBytes: 2048, maxShards: 1000 }, { shardBytes: 12_000, maxShards: 1000 }, { shardBytes: 4096, maxShards: 4 }];

/** Direct grants hold one of many rights, so that a map uses more than 10 masks and a reference takes 2 digits. */
const DIRECT_RIGHTS = ['INFO', 'LINK', 'DELETE', 'DEVICES_READ', 'DEVICES_WRITE', 'TRAFFIC_READ', 'TRAFFIC_UP_WRITE', 'TRAFFIC_DOWN_WRITE', 'SETTINGS_BASIC', 'SETTINGS_API_KEYS', 'SETTINGS_COLLABORATORS', 'SETTINGS_PACKAGES', 'DEVICES_READ_KEYS', 'DEVICES_WRITE_KEYS'].map((r) => `RIGHT_APPLICATION_${r}`);
// (An entity name not ASCII either.)
const directGrant = (i: number): CollaborationObject => collab(`acme/d${i}`, `User/${NAMES[i]}`, `Application/${i % 5 === 0 ? 'appé' : 'app'}${i % 5}`, [DIRECT_RIGHTS[i % DIRECT_RIGHTS.length]!, DIRECT_RIGHTS[(i * 7) % DIRECT_RIGHTS.length]!]);

type Objects = Array<UserObject | OrganizationObject | UserGroupObject | CollaborationObject>;

function objects(big: readonly string[], mid: readonly string[], direct: readonly number[]): Objects {
  return [
    ...NAMES.map((n) => user(n)),
    org('acme', { namespaces: ['acme'] }),
    group('big', { users: [...big] }),
    group('mid', { users: [...mid] }),
    collab('acme/g-big', 'UserGroup/big', 'Application/app1', ['RIGHT_APPLICATION_LINK']),
    collab('acme/g-mid', 'UserGroup/mid', 'Application/app2', ['RIGHT_APPLICATION_SETTINGS_BASIC']),
    collab('acme/g-mid-gw', 'UserGroup/mid', 'Gateway/gw1', ['RIGHT_GATEWAY_INFO']),
    ...direct.map(directGrant),
  ];
}

const pick = (max: number) => fc.uniqueArray(fc.nat({ max: NAMES.length - 1 }), { maxLength: max });
/** One edit: users toggled in big or mid, direct grants toggled. */
const editArb = fc.record({ big: pick(40), mid: pick(6), direct: pick(4) });

const toggle = <T>(set: Set<T>, items: Iterable<T>): void => {
  for (const i of items) if (!set.delete(i)) set.add(i);
};

/**
 * The kept renderings hold no text of their own: each row's (or chunk's) JSON is a range of a text — one of them
 * a text the last write carries — and each range is the row as a shard document holds it (its users first, a
 * closing brace last, then the comma or bracket that ends a row: a range off by a character fails).
 */
function checkRanges(maps: IncrementalMaps, write: PermissionMapWrite): void {
  const texts = new Set(write.configMaps.flatMap((cm) => Object.values(cm.data)));
  const ranges = maps.rowRanges('acme')!;
  expect(ranges.length).toBeGreaterThan(0);
  for (const range of ranges) {
    // One slot points into the text written (the other may hold the map rendered whole, which did not fit).
    expect(range.slots.some((slot) => texts.has(slot.source))).toBe(true);
    const users = `{"users":${JSON.stringify(range.users)}`;
    for (const slot of range.slots) {
      expect(slot.text.startsWith(users) && slot.text.endsWith('}') && (slot.after === ',' || slot.after === ']')).toBe(true);
    }
  }
}

/** Every shard's `sets` is the distinct masks its rows refer to, each once, shorter first then by text. */
function checkTables(write: PermissionMapWrite): void {
  for (const shard of write.shards) {
    const used = new Set<number>();
    for (const row of shard.rows) {
      if (row.organization !== undefined) used.add(row.organization);
      for (const ref of Object.values(row.defaults ?? {})) used.add(ref);
      for (const names of Object.values(row.entities ?? {})) for (const ref of Object.values(names)) used.add(ref);
    }
    expect([...used].sort((a, b) => a - b)).toEqual(shard.sets.map((_, i) => i));
    expect(shard.sets).toEqual([...new Set(shard.sets)].sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0)));
  }
}

describe('kept maps with render caches == shardMap from scratch', () => {
  test('big groups edited a few users at a time; small shards (rows cut into chunks, many shards)', () => {
    let sharded = 0;
    fc.assert(
      fc.property(fc.uniqueArray(fc.nat({ max: NAMES.length - 1 }), { minLength: 200, maxLength: 1100 }), pick(200), pick(14), fc.array(editArb, { minLength: 1, maxLength: 6 }), (bigStart, midStart, directStart, edits) => {
        const big = new Set(bigStart.map((i) => NAMES[i]!));
        const mid = new Set(midStart.map((i) => NAMES[i]!));
        const direct = new Set(directStart);
        const state = (): Objects => objects([...big].sort(), [...mid].sort(), [...direct].sort((a, b) => a - b));
        const live = new Engine(modelOf(...state()), catalog, {}, T0);
        // One set of kept maps per options, as in the operator (one set of options for its lifetime).
        const maps = OPTIONS.map(() => new IncrementalMaps(live));
        OPTIONS.forEach((options, k) => maps[k]!.write('acme', options));
        // A cache of its own, to read its count of distinct masks (kept from write to write) against a fresh count.
        const counted = new RowRenderCache();
        const countedMap = new IncrementalMaps(live);
        const checkCount = (): void => {
          const map = countedMap.map('acme');
          shardMap(map, { ...OPTIONS[1], rendered: counted });
          const masks = new Set<string>();
          for (const row of map.rows) for (const m of [row.organization, ...Object.values(row.defaults ?? {}), ...Object.values(row.entities ?? {}).flatMap((e) => Object.values(e))]) if (m !== undefined) masks.add(m);
          expect(counted.distinctMasks('acme')).toBe(masks.size);
        };
        checkCount();
        for (const edit of edits) {
          toggle(big, edit.big.map((i) => NAMES[i]!));
          toggle(mid, edit.mid.map((i) => NAMES[i]!));
          const before = new Set(direct);
          toggle(direct, edit.direct);
          const changes = [group('big', { users: [...big].sort() }), group('mid', { users: [...mid].sort() })].map((object) => ({ type: 'upsert' as const, object }));
          for (const i of edit.direct) {
            const name = `d${i}`;
            if (before.has(i)) changes.push({ type: 'delete', kind: 'Collaboration', name, namespace: 'acme' } as never);
            else changes.push({ type: 'upsert', object: directGrant(i) } as never);
          }
          live.apply(changes);
          const fresh = buildNamespaceMap(new Engine(modelOf(...state()), catalog, {}, T0), 'acme');
          for (const [k, options] of OPTIONS.entries()) {
            const kept = maps[k]!.write('acme', options);
            const expected = shardMap(fresh, options);
            expect(JSON.stringify(kept.configMaps)).toBe(JSON.stringify(expected.configMaps));
            if (!kept.withheld) checkRanges(maps[k]!, kept);
            checkTables(kept);
            if (expected.configMaps.length > 3) sharded++;
          }
          checkCount();
        }
        for (const m of maps) m.close();
        countedMap.close();
      }),
      // A failure is not shrunk (models of a thousand users shrink slowly): the seed and path reproduce it.
      { numRuns: 40, endOnFailure: true },
    );
    // Most writes were split into several shards (the caches had shards and chunks to reuse).
    expect(sharded).toBeGreaterThan(40);
  }, 120_000);

  test("a row kept while a mask reference takes another digit is cut again (a rendering's units are for its state's limit and width)", () => {
    // One big row, cut into chunks that end full (small shards), kept from a write of 6 masks to one of 16: its
    // entries then take a byte more each, so its chunks end elsewhere.
    const users = NAMES.slice(0, 1000).map((n) => `a${n}`).sort();
    const big: MapRow = { users, entities: { Application: { app1: '1', app2: '2', app3: '3' } } };
    const small = (i: number): MapRow => ({ users: [`z${String(i).padStart(2, '0')}`], defaults: { Application: (i + 4).toString(16) } });
    const mapOf = (n: number): NamespaceMap => ({ catalog: 'c', namespace: 'acme', organization: undefined, evaluatedAt: 0, nextExpiry: undefined, rights: Array.from({ length: 8 }, (_, i) => `R${i}`), kinds: ['Application'], admins: { users: [], rights: {} }, rows: [big, ...Array.from({ length: n }, (_, i) => small(i))] });
    const options = { shardBytes: 2048, maxShards: 1000 };
    const cache = new RowRenderCache();
    shardMap(mapOf(3), { ...options, rendered: cache });
    const kept = shardMap(mapOf(13), { ...options, rendered: cache });
    expect(JSON.stringify(kept.configMaps)).toBe(JSON.stringify(shardMap(mapOf(13), options).configMaps));
    expect(kept.configMaps.length).toBeGreaterThan(3);
  });

  test('a split map is not rendered whole again when the texts its rows had in the last whole render exceed the target', () => {
    // Rows of one user and many entities: their users alone fit the target, their texts do not. The first write
    // renders the map whole (nothing known yet) and splits it; the next, one row changed, knows the others' whole
    // texts (exact) and does not render it whole again (it did at every change when the bound counted users only).
    const names = Array.from({ length: 20 }, (_, j) => `app${j}`);
    const row = (i: number, users: string[]): MapRow => ({ users, entities: { Application: Object.fromEntries(names.map((n, j) => [n, ((i + j) % 3) + 1 + ''])) } });
    const rows = Array.from({ length: 30 }, (_, i) => row(i, [`u${String(i).padStart(2, '0')}`]));
    const mapOf = (r: MapRow[]): NamespaceMap => ({ catalog: 'c', namespace: 'acme', organization: undefined, evaluatedAt: 0, nextExpiry: undefined, rights: ['R0', 'R1'], kinds: ['Application'], admins: { users: [], rights: {} }, rows: r });
    const options = { shardBytes: 4096, maxShards: 1000 };
    const cache = new RowRenderCache();
    const first = shardMap(mapOf(rows), { ...options, rendered: cache });
    expect(first.configMaps.length).toBeGreaterThan(2);
    expect(cache.wholeMisses).toBe(1);
    const next = rows.map((r, i) => (i === 5 ? row(5, ['u05', 'u05b']) : r));
    const kept = shardMap(mapOf(next), { ...options, rendered: cache });
    expect(JSON.stringify(kept.configMaps)).toBe(JSON.stringify(shardMap(mapOf(next), options).configMaps));
    expect(cache.wholeMisses).toBe(1);
  });
});
