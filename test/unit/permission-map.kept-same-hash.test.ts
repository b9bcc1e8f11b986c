/**
 * Kept rows at a namespace's first write (`NamespaceRows.addKeptClasses`): a class whose (entity, set) pairs are a
 * prefix of (or extend) those of a row made before it in the same call, with hashes of no bits (every content
 * collides), gets a row of its own: the kept rows equal the fresh ones. (Review of aad367c: with the pairs' length
 * check dropped, user b joined a's row and was listed with a's right on y, a wrong allow, and every other test passed.)
 */
import { describe, expect, test } from '@jest/globals';
import type { RightsClass } from '../../src/engine/engine.ts';
import { EMPTY, type RightSetId } from '../../src/engine/right-sets.ts';
import { MaskWriter, NamespaceRows, setHashBits } from '../../src/permission-map/build-maps.ts';
import { UserTable } from '../../src/permission-map/kept-users.ts';
import { engineOf, modelOf } from './engine/support.ts';

const engine = engineOf(modelOf());
const masks = new MaskWriter(engine);
const kinds = masks.namespacedKinds;
const kind = kinds[0]!;
function subset(bits: number): RightSetId {
  const all = engine.sets.indices(engine.sets.kindRights(kind));
  return engine.sets.fromIndices(all.filter((_, i) => (bits >>> i) & 1));
}
const cls = (users: string[], entities: Array<[string, number]>): RightsClass =>
  ({ admin: false, organization: EMPTY, defaults: new Map(), entities: new Map(entities.map(([n, b]) => [`${kind}/ns/${n}`, subset(b)])), users }) as unknown as RightsClass;

function rows(classes: RightsClass[], kept: boolean): unknown {
  const users = classes.flatMap((c) => c.users).sort();
  const classOf = new Map<string, number>();
  classes.forEach((c, i) => c.users.forEach((u) => classOf.set(u, i)));
  const r = new NamespaceRows(engine, 'ns', kept ? masks : new MaskWriter(engine), kept, kept ? new UserTable() : undefined);
  if (kept) r.addKeptClasses(classes, Int32Array.from(users, (u) => classOf.get(u)!), Int32Array.from(users, (_, i) => i));
  else r.addClasses(classes);
  return JSON.parse(JSON.stringify(r.toMap(undefined).rows));
}

describe('kept first write: pairs of different lengths, equal hashes', () => {
  for (const [name, classes] of [
    ['longer row first', [cls(['a'], [['x', 1], ['y', 2]]), cls(['b'], [['x', 1]])]],
    ['shorter row first', [cls(['a'], [['x', 1]]), cls(['b'], [['x', 1], ['y', 2]])]],
    ['same length, other set', [cls(['a'], [['x', 1]]), cls(['b'], [['x', 3]])]],
  ] as const) {
    test(name, () => {
      setHashBits(0);
      try {
        const kept = rows([...classes], true) as Array<{ users: string[] }>;
        expect(kept).toEqual(rows([...classes], false));
        expect(kept.length).toBe(2);
      } finally {
        setHashBits(30);
      }
    });
  }
});
