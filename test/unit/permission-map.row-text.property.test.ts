/**
 * `rowText` (shard.ts) writes a shard's row as JSON directly: it must be the text `JSON.stringify` gives for the row
 * as an object (`PermissionMapRow`), byte for byte — names that look like array indices (which objects order
 * first), quotes, backslashes, control and non-ASCII characters included.
 */
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import type { MapRow } from '../../src/permission-map/build-maps.ts';
import type { PermissionMapRow } from '../../src/permission-map/permission-map.generated.ts';
import { rowText } from '../../src/permission-map/shard.ts';

const key = fc.oneof(fc.string({ maxLength: 5 }), fc.constantFrom('0', '1', '10', '2', '01', '-1', '4294967295', 'a"b', 'a\\b', '\u0000', 'é', '\ud83d\ude00', 'app-1'));
const mask = fc.constantFrom('1', '3', 'f', '1ff', '20');
const masks = fc.dictionary(key, mask, { maxKeys: 5 });
const rowArb: fc.Arbitrary<MapRow> = fc.record(
  { users: fc.array(key, { minLength: 1, maxLength: 4 }), organization: mask, defaults: masks, entities: fc.dictionary(key, masks, { maxKeys: 3 }) },
  { requiredKeys: ['users'] },
);

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
});
