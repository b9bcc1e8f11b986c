/**
 * A kept row holds a small row's user numbers as a string, two UTF-16 code units a number (kept-users.ts's
 * `PackedIds`): packed and read back (`ids`, `idAt`, `size`, `first`, `users`) they are the numbers it was made from,
 * for any user number (0 to 2^31 - 1: numbers of one code unit's width, of two, and with either half 0); an
 * `Int32Array` is kept as is. It fails when a half is lost or the two are swapped.
 */
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { KeptRow, packedAt, packedSize, packIds, unpackIds, UserTable } from '../../src/permission-map/kept-users.ts';

const id = fc.oneof(fc.nat({ max: 255 }), fc.nat({ max: 0xffff }), fc.integer({ min: 0x10000, max: 0x7fffffff }), fc.constantFrom(0, 0xffff, 0x10000, 0x7fff0000, 0x7fffffff, 0xd800, 0xdfff));

describe('packed user numbers', () => {
  test('packed and read back: the same numbers', () => {
    fc.assert(
      fc.property(fc.array(id, { maxLength: 60 }), (ids) => {
        const packed = packIds(ids);
        expect(typeof packed).toBe('string');
        expect(packedSize(packed)).toBe(ids.length);
        expect([...unpackIds(packed)]).toEqual(ids);
        ids.forEach((n, i) => expect(packedAt(packed, i)).toBe(n));
        // Past either end: no user's number (a string's missing halves would read as user 0).
        for (const i of [-1, ids.length, ids.length + 1]) expect(packedAt(packed, i)).toBe(-1);
        expect(packedAt(Int32Array.from(ids), ids.length)).toBe(-1);
      }),
      { numRuns: 2000 },
    );
  });

  test('a kept row made from numbers reads back its users; an Int32Array is kept as is', () => {
    const table = new UserTable();
    const names = Array.from({ length: 70_000 }, (_, i) => `u${String(i).padStart(6, '0')}`);
    for (const name of names) table.idOf(name);
    const ids = [3, 65_535, 65_536, 69_999];
    const row = new KeptRow(ids, table, {});
    expect(row.size).toBe(4);
    expect([...row.ids]).toEqual(ids);
    expect(row.idAt(2)).toBe(65_536);
    expect(row.first).toBe('u000003');
    expect(new KeptRow([], table, {}).first).toBeUndefined();
    expect(row.users).toEqual(ids.map((i) => names[i]));
    // Made again from a kept row's packed numbers (as a row's next version is): the same.
    expect([...new KeptRow(row.packed, table, row).ids]).toEqual(ids);
    const typed = Int32Array.from(ids);
    expect(new KeptRow(typed, table, {}).packed).toBe(typed);
    expect(() => packIds([-1])).toThrow();
  });
});
