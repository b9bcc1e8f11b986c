/**
 * A shard's kept rows written as bytes (shard-bytes.ts's `keptShardText`, what a kept map's first write renders) must
 * be the text the rows' `rowText` joined gives, byte for byte, and be written whenever every string is plain ASCII
 * (it fails when the byte path is turned off or gives up on plain rows); a row with a user, kind, entity or default
 * that needs a JSON escape or is not ASCII, or a mask not in the table, makes it give up (`undefined`), never write
 * another text. `shardSha256` of the text it made is `sha256` of the text (from the scratch's bytes); of another text,
 * too. A kept map's first write (`shardMap` with a `RowRenderCache`) gives the same ConfigMaps with the byte path as
 * without it, and as a fresh `shardMap`, whole or split into shards.
 */
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import type { MapRow, NamespaceMap } from '../../src/permission-map/build-maps.ts';
import { KeptRow, UserTable } from '../../src/permission-map/kept-users.ts';
import { keptShardText, setShardBytes, shardSha256 } from '../../src/permission-map/shard-bytes.ts';
import { RowRenderCache, rowText, sha256, shardMap } from '../../src/permission-map/shard.ts';

const plainKey = fc.stringMatching(/^[a-z0-9-]{1,6}$/);
const oddKey = fc.constantFrom('a"b', 'a\\b', '\u0000', '\u001f', 'é', '\ud83d\ude00', '\u007f');
const key = fc.oneof({ weight: 6, arbitrary: plainKey }, { weight: 1, arbitrary: oddKey });
const mask = fc.constantFrom('1', '3', 'f', '1ff', '20');
const masks = fc.dictionary(key, mask, { maxKeys: 4 });
const rowArb = fc.record(
  { users: fc.uniqueArray(key, { minLength: 1, maxLength: 70 }), organization: mask, defaults: masks, entities: fc.dictionary(key, masks, { maxKeys: 3 }) },
  { requiredKeys: ['users'] },
);

/** Whether every string of the row needs no JSON escape and is ASCII. */
function plain(row: MapRow): boolean {
  const ok = (s: string): boolean => JSON.stringify(s) === `"${s}"` && /^[\x20-\x7f]*$/.test(s);
  if (!row.users.every(ok)) return false;
  if (row.defaults && !Object.keys(row.defaults).every(ok)) return false;
  for (const kind in row.entities) if (!ok(kind) || !Object.keys(row.entities[kind]!).every(ok)) return false;
  return true;
}

/** Rows of distinct users (a user is in one row of a map), sorted by first user, as kept rows of one table. */
function keptRows(list: ReadonlyArray<{ users: string[] } & Omit<MapRow, 'users'>>, table: UserTable): KeptRow[] {
  const seen = new Set<string>();
  const rows: KeptRow[] = [];
  for (const row of list) {
    const users = row.users.filter((u) => !seen.has(u)).sort();
    if (users.length === 0) continue;
    for (const u of users) seen.add(u);
    // Numbered in name order, as a start numbers them (and not: a later user whose name sorts first).
    rows.push(new KeptRow(table.encode(users), table, row));
  }
  return rows.sort((a, b) => (a.first < b.first ? -1 : 1));
}

describe('keptShardText', () => {
  test("== the rows' rowText joined, written whenever every string is plain ASCII; else undefined", () => {
    fc.assert(
      fc.property(fc.array(rowArb, { minLength: 1, maxLength: 6 }), fc.boolean(), (list, missing) => {
        const table = new UserTable();
        const rows = keptRows(list, table);
        const all = new Set<string>();
        for (const row of rows) {
          if (row.organization !== undefined) all.add(row.organization);
          for (const k in row.defaults) all.add(row.defaults[k]!);
          for (const kind in row.entities) for (const name in row.entities[kind]) all.add(row.entities[kind]![name]!);
        }
        const table1 = [...all].sort();
        // A mask left out of the table (`missing`): given up, never written with a wrong reference.
        const left = missing && table1.length > 0 ? table1.pop() : undefined;
        const position = new Map(table1.map((m, i) => [m, i]));
        const prefix = '{"format":"x","sets":["1"],"rows":[';
        const made = keptShardText(prefix, rows, position);
        const expectedText = `${prefix}${rows.map((row) => rowText(row, (m) => position.get(m)!)).join(',')}]}`;
        const writable = left === undefined && rows.every((row) => plain(row.toJSON()));
        if (!writable) {
          expect(made).toBeUndefined();
          return;
        }
        expect(made).toBeDefined();
        expect(made!.text).toBe(expectedText);
        // Each row's length, commas between them: where the kept renderings point.
        let at = prefix.length;
        rows.forEach((row, i) => {
          expect(made!.text.slice(at, at + made!.lengths[i]!)).toBe(rowText(row, (m) => position.get(m)!));
          at += made!.lengths[i]! + 1;
        });
        expect(shardSha256(made!.text)).toBe(sha256(expectedText));
        // Another text (not the scratch's) hashed as itself.
        expect(shardSha256(`${expectedText} `)).toBe(sha256(`${expectedText} `));
      }),
      { numRuns: 1500 },
    );
  });

  // Review of 585b4d6: masks 10 and up in the table (a reference written with one digit too few names another mask:
  // its rights given to the row's users), alike but for a later character (a look-up that compares only a first
  // character finds the wrong one).
  test('masks referenced by numbers of two and more digits, alike but for their last character', () => {
    const MASKS = Array.from({ length: 16 }, (_, i) => (0x1f0 + i).toString(16)); // 1f0 … 1ff
    const position = new Map(MASKS.map((m, i) => [m, i]));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...MASKS), fc.constantFrom(...MASKS)), { minLength: 1, maxLength: 8 }), (pairs) => {
        const table = new UserTable();
        const entities = { Application: Object.fromEntries(pairs.map(([m], i) => [`app-${i}`, m])) };
        const rows = [new KeptRow(table.encode(['alice']), table, { organization: pairs[0]![1], defaults: { Gateway: pairs.at(-1)![1] }, entities })];
        const expected = `{"rows":[${rows.map((r) => rowText(r, (m) => position.get(m)!)).join(',')}]}`;
        const made = keptShardText('{"rows":[', rows, position);
        expect(made?.text).toBe(expected);
        expect(shardSha256(made!.text)).toBe(sha256(expected));
      }),
      { numRuns: 300 },
    );
  });

  // A text past the scratch's first 64 KiB grows it, keeping what was written; a shorter text after it reads none of it.
  test('a text past the scratch, then a shorter one', () => {
    setShardBytes(true); // the scratch at its first size, whatever ran before
    const table = new UserTable();
    const position = new Map([['1', 0]]);
    for (const users of [Array.from({ length: 20_000 }, (_, i) => `user-${String(i).padStart(6, '0')}`), ['a', 'b']]) {
      const rows = [new KeptRow(table.encode(users), table, { organization: '1' })];
      const expected = `{"rows":[${rows.map((r) => rowText(r, (m) => position.get(m)!)).join(',')}]}`;
      const made = keptShardText('{"rows":[', rows, position);
      // Compared by length and hash first (a 280 kB text in a failure message is unreadable), then whole.
      expect(made?.text.length).toBe(expected.length);
      expect(sha256(made!.text)).toBe(sha256(expected));
      expect(shardSha256(made!.text)).toBe(sha256(expected));
      expect(made!.text === expected).toBe(true);
    }
  });

  test('a head that is not ASCII is not written as bytes', () => {
    const table = new UserTable();
    const rows = [new KeptRow(table.encode(['alice']), table, {})];
    expect(keptShardText('{"namespace":"é","rows":[', rows, new Map())).toBeUndefined();
    expect(keptShardText('{"namespace":"e","rows":[', rows, new Map())!.text).toBe('{"namespace":"e","rows":[{"users":["alice"]}]}');
  });

  test('a kept first write: the same ConfigMaps with and without the byte path, and as a fresh shardMap, whole or split', () => {
    fc.assert(
      fc.property(fc.array(rowArb, { minLength: 1, maxLength: 8 }), fc.constantFrom(1 << 20, 600, 300), (list, shardBytes) => {
        const table = new UserTable();
        const rows = keptRows(list, table);
        const map = { catalog: 'c', namespace: 'ns', organization: undefined, evaluatedAt: 0, nextExpiry: undefined, rights: [], kinds: [], admins: { users: [], rights: {} }, rows } as unknown as NamespaceMap;
        const fresh = { ...map, rows: rows.map((row) => row.toJSON()) };
        const options = { budgetBytes: 1 << 22, maxShards: 1 << 10, shardBytes };
        const write = (bytes: boolean, m: NamespaceMap, cache?: RowRenderCache): string => {
          setShardBytes(bytes);
          try {
            return JSON.stringify(shardMap(m, { ...options, rendered: cache }).configMaps);
          } catch (e) {
            return (e as Error).message;
          } finally {
            setShardBytes(true);
          }
        };
        const expected = write(false, fresh);
        expect(write(true, map, new RowRenderCache())).toBe(expected);
        expect(write(false, map, new RowRenderCache())).toBe(expected);
      }),
      { numRuns: 400 },
    );
  });
});
