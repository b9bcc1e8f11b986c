/**
 * `rowText` (shard.ts) writes a shard's row as JSON directly: it must be the text `JSON.stringify` gives for the row
 * as an object (`PermissionMapRow`), byte for byte — names that look like array indices (which objects order
 * first), quotes, backslashes, control and non-ASCII characters included. A kept row (`KeptRow`: users as numbers,
 * entities flat) writes the same text as the row it stands for, and reads back as it (`entities`, `toJSON`): it fails
 * when the flat entities lose the objects' key order (the first write's `flatOfPairs` is held to the same order in
 * permission-map.flat-of.property.test.ts). `forEachFlatMask` reads the masks of flat entities as
 * `readFlat` does (it fails when a length is skipped wrongly: every mask after it is then read from the wrong place).
 * `overTarget` (a fresh shardMap skips rendering a map whole when it says the map cannot fit) is a lower bound of the
 * rows' JSON bytes, plain and kept rows, escapes and non-ASCII names included: it fails when it counts a byte too many;
 * and a fresh shardMap is one ConfigMap exactly when its whole shard fits the target (it fails when the room given to
 * `overTarget` is smaller than the target leaves, splitting a map that fits).
 */
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import type { MapRow } from '../../src/permission-map/build-maps.ts';
import type { PermissionMapRow } from '../../src/permission-map/permission-map.generated.ts';
import { entitiesOfFlat, flatEntities, forEachFlatMask, KeptRow, readFlat, UserTable, type FlatEntities } from '../../src/permission-map/kept-users.ts';
import type { NamespaceMap } from '../../src/permission-map/build-maps.ts';
import { overTarget, rowText, shardMap } from '../../src/permission-map/shard.ts';

const key = fc.oneof(fc.string({ maxLength: 5 }), fc.constantFrom('0', '1', '10', '2', '01', '-1', '4294967295', 'a"b', 'a\\b', '\u0000', 'é', '\ud83d\ude00', 'app-1'));
const mask = fc.constantFrom('1', '3', 'f', '1ff', '20');
const masks = fc.dictionary(key, mask, { maxKeys: 5 });
const rowArb: fc.Arbitrary<MapRow> = fc.record(
  { users: fc.array(key, { minLength: 1, maxLength: 4 }), organization: mask, defaults: masks, entities: fc.dictionary(key, masks, { maxKeys: 3 }) },
  { requiredKeys: ['users'] },
);

/** The masks `forEachFlatMask` calls with, in order. */
function flatMasks(flat: FlatEntities): string[] {
  const out: string[] = [];
  forEachFlatMask(flat, (m) => out.push(m));
  return out;
}

describe('rowText', () => {
  test('== JSON.stringify of the row object with masks as references', () => {
    fc.assert(
      fc.property(rowArb, (row) => {
        const ref = (m: string): number => parseInt(m, 16) % 7;
        const r: PermissionMapRow = { users: row.users };
        if (row.organization !== undefined) r.organization = ref(row.organization);
        if (row.defaults) r.defaults = Object.fromEntries(Object.entries(row.defaults).map(([k, m]) => [k, ref(m)]));
        if (row.entities) r.entities = Object.fromEntries(Object.entries(row.entities).map(([k, names]) => [k, Object.fromEntries(Object.entries(names).map(([n, m]) => [n, ref(m)]))]));
        expect(rowText(row, ref)).toBe(JSON.stringify(r));
      }),
      { numRuns: 3000 },
    );
  });

  test('a kept row (users as numbers, entities flat) writes and reads back as the row it stands for', () => {
    fc.assert(
      fc.property(rowArb, (row) => {
        const ref = (m: string): number => parseInt(m, 16) % 7;
        const users = [...new Set(row.users)].sort();
        const plain: MapRow = { ...row, users };
        const table = new UserTable();
        const kept = new KeptRow(table.encode(users), table, row);
        expect(kept.flat).toEqual(flatEntities(row.entities));
        expect(rowText(kept, ref)).toBe(rowText(plain, ref));
        expect(JSON.stringify(kept)).toBe(JSON.stringify(plain));
        expect(JSON.stringify(kept.entities)).toBe(JSON.stringify(row.entities));
        // Made from its flat entities again (as a kept row's next version is): the same.
        expect(rowText(new KeptRow(kept.ids, table, kept), ref)).toBe(rowText(plain, ref));
      }),
      { numRuns: 2000 },
    );
  });

  test('overTarget: never over the bytes of the rows\' JSON (a lower bound), over once the room is below its count', () => {
    fc.assert(
      fc.property(fc.array(rowArb, { minLength: 1, maxLength: 6 }), fc.boolean(), (list, keep) => {
        const ref = (m: string): number => parseInt(m, 16) % 7;
        const table = new UserTable();
        const rows = list.map((row): MapRow => {
          const users = [...new Set(row.users)].sort();
          return keep ? new KeptRow(table.encode(users), table, row) : { ...row, users };
        });
        const bytes = Buffer.byteLength(rows.map((row) => rowText(row, ref)).join(','));
        expect(overTarget(rows, bytes)).toBe(false);
        // Each row's braces and users at least, commas between rows left out: over a room below that.
        let least = 0;
        for (const row of rows) least += 11 + row.users.reduce((sum, user) => sum + user.length + 3, 0);
        expect(overTarget(rows, least - 1)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  test('flat entities read back as written: a name of 70,000 characters, a kind of no entity, non-ASCII', () => {
    const long = 'n'.repeat(70_000);
    const entities = { Application: { [long]: '1', '2': 'ff' }, Client: {}, 'K\u00e9': { '\ud83d\ude00': '3' } };
    expect(JSON.stringify(entitiesOfFlat(flatEntities(entities)))).toBe(JSON.stringify(entities));
    expect(flatMasks(flatEntities(entities)!)).toEqual(['ff', '1', '3']); // ('2' first: an array index)
  });

  test("forEachFlatMask: the flat entities' masks in order, a repeat of the one before skipped (kinds and names not read)", () => {
    fc.assert(
      fc.property(fc.dictionary(key, fc.dictionary(key, fc.oneof(mask, fc.constantFrom('', 'ffff', '1f')), { maxKeys: 6 }), { maxKeys: 4 }), (entities) => {
        const flat = flatEntities(entities)!;
        const expected: string[] = [];
        readFlat(flat, (_kind, _name, m, j) => {
          if (j >= 0 && (expected.length === 0 || expected[expected.length - 1] !== m)) expected.push(m);
        });
        expect(flatMasks(flat)).toEqual(expected);
      }),
      { numRuns: 3000 },
    );
  });
});

test('a fresh shardMap is one ConfigMap when its whole shard and key fit the target, and not when it is one byte short', () => {
  fc.assert(
    // Rows of users only too: for them the lower bound is exact, so a room given to it too small shows.
    fc.property(fc.array(rowArb, { minLength: 1, maxLength: 6 }), fc.boolean(), (list, usersOnly) => {
      const rows = list.map((row): MapRow => (usersOnly ? { users: [...new Set(row.users)].sort() } : { ...row, users: [...new Set(row.users)].sort() }));
      const map = { catalog: 'c', namespace: 'ns', evaluatedAt: 0, rights: [], kinds: [], admins: { users: [], rights: {} }, rows } as unknown as NamespaceMap;
      const wide = { budgetBytes: 1 << 24, maxShards: 1 << 20 };
      const one = shardMap(map, { ...wide, shardBytes: 1 << 22 });
      expect(one.configMaps).toHaveLength(1);
      const text = one.configMaps[0]!.data['charter-permissions.json']!;
      const whole = Buffer.byteLength(text) + Buffer.byteLength('charter-permissions.json');
      const at = shardMap(map, { ...wide, shardBytes: whole });
      expect(at.configMaps).toHaveLength(1);
      expect(at.configMaps[0]!.data['charter-permissions.json']).toBe(text);
      // One byte short: split, or refused when a row cannot be cut small enough; never one ConfigMap.
      let split: number;
      try {
        split = shardMap(map, { ...wide, shardBytes: whole - 1 }).configMaps.length;
      } catch (e) {
        expect((e as Error).message).toMatch(/too small to split/);
        split = Infinity;
      }
      expect(split).toBeGreaterThan(1);
    }),
    { numRuns: 500 },
  );
});
