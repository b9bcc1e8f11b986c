/**
 * Kept rows moved user by user == rows built fresh: a tracked `NamespaceRows` (build-maps.ts), after random batches
 * of moves between random classes (a user moved in and out of a row within one batch, a row emptied and refilled,
 * several users into one row, a user leaving every row), gives at each `toMap` the same rows, in the same order, as
 * an untracked `NamespaceRows` built from the classes' users then, and leaves the rows array an earlier `toMap` gave
 * as it was. Moves are applied to a row's users when it is
 * next published (`settle`): this holds the pending moves to what editing the users at once gives. Kept rows hold
 * their users as numbers (kept-users.ts's `KeptRow`), numbered here in the reverse of name order, so that rows in
 * number order instead of name order fail; they are compared as the `MapRow`s they stand for (their JSON, and the
 * text each writes, `rowText`: it fails when a kept row's flat entities are not in the objects' key order). And a
 * row published after moves says which users moved since its previous version (`rowMoves`, what shard.ts recuts
 * around): its previous version's users with those added and removed are its users, each list in name order (it
 * fails when a list leaves a move out).
 *
 * Kept rows share their defaults objects (`SharedParts`; their entities are flat, their own): at every `toMap` two rows' objects are the
 * same object exactly when their contents are equal (so that a row never reads another's content), and the shared
 * objects held are exactly those some row uses (a row's last user gone lets go of them). `SharedParts` alone: keys
 * whose hashes collide get objects of their own, and random gets and releases keep one object per content held, with
 * its count (hashes cut to 2 or 3 bits: long runs in its table, wrapping past its end, closed up when an object is let go). Rows are found by their content's hash and compared on a hit: run
 * again with hashes cut to one bit, so that most rows' hashes collide (it fails when a hit is not compared), and to
 * three bits, so that the rows' index (open addressing) has runs wrapping past its end, closed up when a row goes
 * (it fails when a deletion leaves a run open). The first rows are also made as a namespace's first write makes them
 * (`addKeptClasses`: from the walk, in its order, published in place, a class finding a row made before by the same
 * call compared by its (entity, set) pairs), with whole hashes and with hashes of one bit (it fails when equal hashes
 * are taken for equal pairs).
 */
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import type { RightsClass } from '../../src/engine/engine.ts';
import { EMPTY, type RightSetId } from '../../src/engine/right-sets.ts';
import { MaskWriter, NamespaceRows, previousRow, rowMoves, setHashBits, SharedParts, type MapRow } from '../../src/permission-map/build-maps.ts';
import { fnv1a, KeptRow, UserTable } from '../../src/permission-map/kept-users.ts';
import { rowText } from '../../src/permission-map/shard.ts';
import { engineOf, modelOf } from './engine/support.ts';

const engine = engineOf(modelOf());
const masks = new MaskWriter(engine);
const kinds = masks.namespacedKinds;
const USERS = Array.from({ length: 24 }, (_, i) => `u${String(i).padStart(2, '0')}`);
/** Entity names, two of which read as array indices: an object lists those first, in numeric order, not sorted. */
const ENTITY_NAMES = ['10', '2', '1a', 'b'];

/** Some of a kind's rights (picked by `bits`), as a set. */
function subset(kind: string, bits: number): RightSetId {
  const all = engine.sets.indices(engine.sets.kindRights(kind));
  return engine.sets.fromIndices(all.filter((_, i) => (bits >>> i % 30) & 1));
}

type Content = Omit<RightsClass, 'users'>;

/** A class's content: an organization set or none, defaults on some kinds, rights on some entities. */
const contentArb: fc.Arbitrary<Content> = fc
  .record({
    admin: fc.boolean(),
    defaults: fc.array(fc.tuple(fc.nat({ max: kinds.length - 1 }), fc.nat()), { maxLength: 2 }),
    entities: fc.array(fc.tuple(fc.nat({ max: kinds.length - 1 }), fc.nat({ max: 3 }), fc.nat()), { maxLength: 3 }),
  })
  .map(({ admin, defaults, entities }) => ({
    admin,
    organization: EMPTY,
    defaults: new Map(defaults.map(([k, bits]) => [kinds[k]!, subset(kinds[k]!, bits)])),
    entities: new Map(entities.map(([k, e, bits]) => [`${kinds[k]!}/ns/${ENTITY_NAMES[e]!}`, subset(kinds[k]!, bits)])),
  }));

/** The classes with the users each holds now (-1: in none). */
function classesOf(contents: readonly Content[], assigned: readonly number[]): RightsClass[] {
  return contents.map((content, c) => ({ ...content, users: USERS.filter((_, u) => assigned[u] === c) }));
}

/**
 * Rows as plain `MapRow`s (a kept row decoded), checking that kept rows are `KeptRow`s and that each writes the text
 * (`rowText`) of the row it stands for (a kept row's flat entities in the objects' key order).
 */
function plain(rows: readonly MapRow[], kept: boolean): MapRow[] {
  for (const row of rows) expect(row instanceof KeptRow).toBe(kept);
  const out = JSON.parse(JSON.stringify(rows)) as MapRow[];
  const ref = (m: string): number => parseInt(m, 16);
  expect(rows.map((row) => rowText(row, ref))).toEqual(out.map((row) => rowText(row, ref)));
  return out;
}

/** A table numbering the users in the reverse of their name order. */
function reversedTable(): UserTable {
  const table = new UserTable();
  for (const user of [...USERS].reverse()) table.idOf(user);
  return table;
}

/** Each shared object of the rows is one content: equal contents are one object, and no other object is held. */
function expectShared(kept: NamespaceRows, rows: readonly MapRow[]): void {
  const objects: object[] = [];
  for (const row of rows) {
    if (row.defaults) objects.push(row.defaults);
    // A kept row holds its entities flat (its own array), not as shared objects.
    if (!(row instanceof KeptRow)) for (const kind in row.entities) objects.push(row.entities[kind]!);
  }
  const text = (o: object): string => `${Object.getPrototypeOf(o) === null ? 'entities' : 'defaults'}:${JSON.stringify(o)}`;
  const byText = new Map<string, object>();
  for (const o of objects) {
    const same = byText.get(text(o));
    if (same === undefined) byText.set(text(o), o);
    else expect(same).toBe(o);
  }
  expect(new Set(objects).size).toBe(byText.size);
  expect((kept as unknown as { shared: SharedParts }).shared.size).toBe(byText.size);
}

/** Each row that says which users moved since its previous version: that version's users, moved, are its users. */
function checkMoves(rows: readonly MapRow[], table: UserTable): number {
  let known = 0;
  for (const row of rows) {
    const moves = rowMoves(row);
    if (moves === undefined) continue;
    known++;
    const added = table.decode([...moves.added]);
    const removed = table.decode([...moves.removed]);
    expect(added).toEqual([...added].sort());
    expect(removed).toEqual([...removed].sort());
    const users = new Set(previousRow(row)!.users);
    for (const user of removed) expect(users.delete(user)).toBe(true);
    for (const user of added) {
      expect(users.has(user)).toBe(false);
      users.add(user);
    }
    expect([...users].sort()).toEqual(row.users);
  }
  return known;
}

function freshRows(contents: readonly Content[], assigned: readonly number[]): MapRow[] {
  const rows = new NamespaceRows(engine, 'ns', new MaskWriter(engine), false);
  rows.addClasses(classesOf(contents, assigned).filter((c) => c.users.length > 0));
  return plain(rows.toMap(undefined).rows, false);
}

/**
 * Gives kept rows their first classes as `IncrementalMaps` does (`addKeptClasses`: each user's class in name order,
 * and its walk number, here its place in `USERS`).
 */
function addFromWalk(kept: NamespaceRows, classes: readonly RightsClass[]): void {
  const classOf = new Map<string, number>();
  classes.forEach((c, i) => c.users.forEach((user) => classOf.set(user, i)));
  const walked = USERS.filter((user) => classOf.has(user));
  kept.addKeptClasses(classes, Int32Array.from(walked, (user) => classOf.get(user)!), Int32Array.from(walked, (user) => USERS.indexOf(user)));
}

/**
 * The property: random batches of moves between random classes, the kept rows equal to fresh ones at every step.
 * `walk`: the first rows made as a namespace's first write makes them (`addKeptClasses`), else by `addClasses`.
 */
function movesEqualFresh(numRuns: number, walk = false): void {
  let withMoves = 0;
  fc.assert(
    fc.property(
      fc.array(contentArb, { minLength: 1, maxLength: 5 }),
      fc.array(fc.integer({ min: -1, max: 4 }), { minLength: USERS.length, maxLength: USERS.length }),
      fc.array(fc.array(fc.tuple(fc.nat({ max: USERS.length - 1 }), fc.integer({ min: -1, max: 4 })), { maxLength: 30 }), { maxLength: 6 }),
      (contents, start, batches) => {
        const assigned = start.map((c) => (c < contents.length ? c : -1));
        const table = reversedTable();
        const kept = new NamespaceRows(engine, 'ns', masks, true, table);
        const classes = classesOf(contents, assigned).filter((c) => c.users.length > 0);
        if (walk) addFromWalk(kept, classes);
        else kept.addClasses(classes);
        expect(plain(kept.toMap(undefined).rows, true)).toEqual(freshRows(contents, assigned));
        expectShared(kept, kept.toMap(undefined).rows);
        for (const batch of batches) {
          // The rows array a map was given is not changed by later moves (its entries are the rows: one array).
          const given = kept.toMap(undefined).rows;
          const was = [...given];
          for (const [u, to] of batch) {
            const c = to < contents.length ? to : -1;
            assigned[u] = c;
            kept.move(USERS[u]!, c < 0 ? undefined : { ...contents[c]!, users: [USERS[u]!] });
          }
          const fresh = freshRows(contents, assigned);
          const rows = kept.toMap(undefined).rows;
          expect(plain(rows, true)).toEqual(fresh);
          expect(given.length === was.length && given.every((row, i) => row === was[i])).toBe(true);
          expectShared(kept, rows);
          withMoves += checkMoves(rows, table);
          expect(kept.userCount).toBe(fresh.reduce((n, row) => n + row.users.length, 0));
        }
      },
    ),
    { numRuns },
  );
  // Rows said which users moved (the check was not of rows without moves only).
  expect(withMoves).toBeGreaterThan(numRuns);
}

describe('kept rows after moves == rows built fresh', () => {
  test('random batches of moves between random classes', () => {
    movesEqualFresh(400);
  });

  test("rows are found by their content's hash, compared on a hit: with hashes of 1 bit (most collide), the same rows", () => {
    setHashBits(1);
    try {
      movesEqualFresh(200);
    } finally {
      setHashBits(30);
    }
  });

  test("first rows made from the walk (`addKeptClasses`: a class finding a row made before compares their pairs, rows in the walk's order, published in place), then moved: the same rows", () => {
    movesEqualFresh(200, true);
  });

  test('first rows made from the walk with hashes of 1 bit (most collide: a hit is compared, by pairs then flat entities), the same rows', () => {
    setHashBits(1);
    try {
      movesEqualFresh(200, true);
    } finally {
      setHashBits(30);
    }
  });

  test('the rows\' index (open addressing, runs closed up when a row goes): with hashes of 3 bits (runs wrapping past the end of a small table), the same rows', () => {
    setHashBits(3);
    try {
      movesEqualFresh(200);
    } finally {
      setHashBits(30);
    }
  });
});

describe('SharedParts', () => {
  test('names that read as array indices (an object lists them first, in numeric order): found, and let go', () => {
    const shared = new SharedParts();
    const pairs = [['10', 'a'], ['2', 'b'], ['x', 'c']] as const;
    const make = (): Record<string, string> => Object.assign(Object.create(null) as Record<string, string>, Object.fromEntries(pairs));
    const first = shared.get('Application', pairs, make);
    expect(Object.keys(first)).toEqual(['2', '10', 'x']); // not the pairs' order
    expect(shared.get('Application', pairs, make)).toBe(first);
    expect(shared.size).toBe(1);
    shared.release({ entities: { Application: first } });
    shared.release({ entities: { Application: first } });
    expect(shared.size).toBe(0);
  });

  test('keys whose hashes collide get objects of their own, counted apart', () => {
    // Two entity keys with the same hash (as `SharedParts` takes it), found by trying names.
    const seen = new Map<number, string>();
    let pair: [string, string] | undefined;
    for (let i = 0; pair === undefined; i++) {
      const key = `Application:e${i}=1,`;
      const hash = fnv1a(key) >>> 2;
      const other = seen.get(hash);
      if (other !== undefined) pair = [other, key];
      else seen.set(hash, key);
    }
    const shared = new SharedParts();
    const nameOf = (key: string): string => key.slice('Application:'.length, -3);
    const make = (key: string) => (): Record<string, string> => {
      const names: Record<string, string> = Object.create(null);
      names[nameOf(key)] = '1';
      return names;
    };
    const a = shared.get('Application', [[nameOf(pair[0]), '1']], make(pair[0]));
    const b = shared.get('Application', [[nameOf(pair[1]), '1']], make(pair[1]));
    expect(a).not.toBe(b);
    expect(Object.keys(a)).toEqual([pair[0].slice('Application:'.length, -3)]);
    expect(shared.get('Application', [[nameOf(pair[1]), '1']], make(pair[1]))).toBe(b);
    expect(shared.size).toBe(2);
    shared.release({ entities: { Application: a } });
    expect(shared.size).toBe(1);
    expect(shared.get('Application', [[nameOf(pair[1]), '1']], make(pair[1]))).toBe(b);
    shared.release({ entities: { Application: b } });
    shared.release({ entities: { Application: b } });
    expect(shared.size).toBe(1);
    shared.release({ entities: { Application: b } });
    expect(shared.size).toBe(0);
  });

  test('random gets and releases, hashes of 2 or 3 bits or whole: as a count per content (the table grows, runs close up and wrap)', () => {
    // Contents: one or two of six names with one of two masks, in one of two kinds or none (defaults).
    const contentArb = fc.record({
      kind: fc.constantFrom(undefined, 'Application', 'Gateway'),
      names: fc.uniqueArray(fc.nat({ max: 5 }), { minLength: 1, maxLength: 2 }),
      mask: fc.constantFrom('1', '3'),
    });
    fc.assert(
      fc.property(fc.constantFrom(2, 3, 30), fc.array(fc.tuple(fc.boolean(), contentArb), { maxLength: 120 }), (bits, ops) => {
        setHashBits(bits);
        try {
          const shared = new SharedParts();
          const held = new Map<string, { value: object; refs: number }>();
          for (const [get, { kind, names, mask }] of ops) {
            const pairs = names.map((n) => `e${n}`).sort().map((name) => [name, mask] as const);
            const key = `${kind}:${JSON.stringify(pairs)}`;
            const h = held.get(key);
            if (get || h === undefined) {
              const value = shared.get(kind, pairs, () => Object.assign(Object.create(null) as Record<string, string>, Object.fromEntries(pairs)));
              if (h) {
                expect(value).toBe(h.value);
                h.refs++;
              } else {
                // Not another content's object.
                for (const other of held.values()) expect(value).not.toBe(other.value);
                expect(Object.entries(value)).toEqual(pairs);
                held.set(key, { value, refs: 1 });
              }
            } else {
              shared.release(kind === undefined ? { defaults: h.value as Record<string, string> } : { entities: { [kind]: h.value as Record<string, string> } });
              if (--h.refs === 0) held.delete(key);
            }
            expect(shared.size).toBe(held.size);
          }
          // What is still held is found again.
          for (const [key, h] of held) {
            const [kind, pairs] = [key.slice(0, key.indexOf(':')), JSON.parse(key.slice(key.indexOf(':') + 1)) as Array<[string, string]>];
            expect(shared.get(kind === 'undefined' ? undefined : kind, pairs, () => ({}))).toBe(h.value);
          }
        } finally {
          setHashBits(30);
        }
      }),
      { numRuns: 300 },
    );
  });
});
