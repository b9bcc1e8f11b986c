/**
 * `flatOfPairs` (build-maps.ts) writes a kept row's flat entities straight from its (entity, set) pairs: it must give
 * what the flat entities of the row's entities as objects give (`flatEntities`: kinds sorted, each kind's names in the
 * order an object made by inserting them sorted lists its keys — array indices first, by value), for pairs in any
 * entity order, few (sorted in place) or many (past 32: sorted by `Array.prototype.sort`). It fails when names that
 * read as array indices are put by text, when kinds are not grouped, or when a count is written wrong.
 */
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { flatOfPairs, type EntityList } from '../../src/permission-map/build-maps.ts';
import { flatEntities } from '../../src/permission-map/kept-users.ts';

const kind = fc.constantFrom('App', 'Bucket', 'Zone', 'a');
const name = fc.oneof(fc.string({ minLength: 1, maxLength: 4 }), fc.constantFrom('0', '1', '2', '10', '01', '-1', '4294967294', '4294967295', 'app-1', 'é'));
const set = fc.integer({ min: 1, max: 9 });

describe('flatOfPairs', () => {
  test('== flatEntities of the entities as a fresh build makes them', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(kind, name, set), { selector: ([k, n]) => `${k}\u0000${n}`, maxLength: 100, size: 'large' }),
        fc.integer({ min: 0, max: 1000 }),
        (entities, seed) => {
          // Entities numbered in a shuffled order (a namespace numbers them as met); the pairs by entity number.
          const list: EntityList = { kinds: [], names: [] };
          const order = entities.map((_, i) => i).sort((a, b) => ((a * 7919 + seed) % 101) - ((b * 7919 + seed) % 101) || a - b);
          for (const i of order) {
            list.kinds.push(entities[i]![0]);
            list.names.push(entities[i]![1]);
          }
          const kept: number[] = [];
          for (let e = 0; e < order.length; e++) kept.push(e, entities[order[e]!]![2]);
          const mask = (s: number): string => (s * 3).toString(16);
          // The fresh build's objects: kinds sorted, names inserted sorted.
          const byKind = new Map<string, Array<[string, string]>>();
          for (const [k, n, s] of entities) (byKind.get(k) ?? byKind.set(k, []).get(k)!).push([n, mask(s)]);
          const objects = Object.fromEntries(
            [...byKind.keys()].sort().map((k) => {
              const names: Record<string, string> = Object.create(null);
              for (const [n, m] of byKind.get(k)!.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) names[n] = m;
              return [k, names];
            }),
          );
          expect(flatOfPairs(kept, list, mask)).toBe(entities.length === 0 ? flatEntities({}) : flatEntities(objects));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
