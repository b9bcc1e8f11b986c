/**
 * `GrantIndex.bulk` (the engine's build) files each grant in scratch tables looked up by the Collaboration's parts
 * (namespace, target kind and name; subject kind and name) and sets each list into the index once at the end; `add`
 * outside it indexes each grant at once. These hold a bulk fill — of a fresh index, or of one that already holds grants,
 * with or without its by-entity index built — to the same adds one at a time: every list the index answers with, in
 * the same order (records, keys and entities), the same `EntityInfo` numbering, the same expiry clock, and a version
 * for the same subjects and namespaces. Names with a slash are drawn too: a target is found by its parts in bulk and
 * by its key one at a time, and `Organization/a/b` is not a membership.
 */
import { expect, test } from '@jest/globals';
import fc from 'fast-check';
import { GrantIndex, targetKey, type GrantRecord } from '../../../src/engine/grant-index.ts';
import { EMPTY } from '../../../src/engine/right-sets.ts';
import type { CollaborationVerdict } from '../../../src/engine/verdict.ts';
import type { CollaborationObject } from '../../../src/model/model.ts';

const VERDICT: CollaborationVerdict = { active: true, failures: [], granted: EMPTY, wouldGrant: EMPTY };
const NAMESPACES = ['n0', 'n1', 'n2', 'n/3'];
const NAMES = ['a', 'b', 'c', 'a/b'];
const SUBJECT_KINDS = ['User', 'UserGroup', 'Organization'] as const;
const TARGET_KINDS = ['Application', 'Gateway', 'Organization'];

const collabArb: fc.Arbitrary<CollaborationObject> = fc.record({
  kind: fc.constant('Collaboration' as const),
  namespace: fc.constantFrom(...NAMESPACES),
  name: fc.constantFrom('c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8', 'c9'),
  generation: fc.constant(1),
  subject: fc.record({ kind: fc.constantFrom(...SUBJECT_KINDS), name: fc.constantFrom(...NAMES) }),
  target: fc.record({ kind: fc.constantFrom(...TARGET_KINDS), name: fc.constantFrom(...NAMES) }),
  rights: fc.constant([]),
  role: fc.constant(undefined),
  expiresAt: fc.option(fc.constant(1), { nil: undefined }),
});

const keys = (records: Iterable<GrantRecord>): string[] => [...records].map((r) => r.key);

/** Everything the index answers, lists in their order. */
function picture(index: GrantIndex, collabs: readonly CollaborationObject[]): unknown {
  const subjects = SUBJECT_KINDS.flatMap((kind) => NAMES.map((name) => `${kind}/${name}`));
  const organizations = NAMES;
  const entities = [...new Set(collabs.map(targetKey))];
  return {
    records: [...new Set(collabs.map((c) => `${c.namespace}/${c.name}`))].map((key) => {
      const r = index.get(key);
      return r && [r.key, r.collab, r.verdict, r.target];
    }),
    entityInfos: entities.map((key) => index.entityInfo(key)),
    grantsOf: subjects.map((s) => keys(index.grantsOf(s))),
    membershipsOf: subjects.map((s) => keys(index.membershipsOf(s))),
    onOrganization: organizations.map((o) => keys(index.onOrganization(o))),
    allMemberships: [...index.allMemberships()].map(keys),
    onEntity: entities.map((e) => keys(index.onEntity(e))),
    namespaces: [...index.namespaces()],
    inNamespace: NAMESPACES.map((n) => keys(index.inNamespace(n))),
    withExpiry: keys(index.withExpiry()),
    expiringIn: NAMESPACES.map((n) => keys(index.expiringIn(n))),
    expiringMembershipsOf: organizations.map((o) => keys(index.expiringMembershipsOf(o))),
    organizationSubjectsIn: NAMESPACES.map((n) => [...index.organizationSubjectsIn(n)]),
    expiryClock: index.expiryClock,
    subjectVersions: subjects.map((s) => index.subjectVersion(s) > 0),
    namespaceVersions: NAMESPACES.map((n) => index.namespaceVersion(n) > 0),
  };
}

test('a bulk fill equals the same adds one at a time, onto a fresh index or one holding grants', () => {
  fc.assert(
    fc.property(
      fc.array(collabArb, { maxLength: 12 }),
      fc.array(collabArb, { maxLength: 40 }),
      fc.boolean(),
      (before, collabs, byEntityFirst) => {
        const one = new GrantIndex();
        const bulk = new GrantIndex();
        for (const c of before) (one.add(c, VERDICT), bulk.add(c, VERDICT));
        if (byEntityFirst) (one.onEntity('Application/n0/a'), bulk.onEntity('Application/n0/a')); // the by-entity index built before the fill
        for (const c of collabs) one.add(c, VERDICT);
        bulk.bulk(() => {
          for (const c of collabs) bulk.add(c, VERDICT, `${c.namespace}/${c.name}`);
        });
        const all = [...before, ...collabs];
        expect(picture(bulk, all)).toEqual(picture(one, all));
        // And both take the same change after.
        for (const c of collabs.slice(0, 3)) (one.remove(c), bulk.remove(c));
        expect(picture(bulk, all)).toEqual(picture(one, all));
      },
    ),
    { numRuns: 1000 },
  );
});

/** A step after the fill: an add, a remove or a re-judgement (a verdict with `active` and `granted` moved). */
type Step = { type: 'add'; c: CollaborationObject } | { type: 'remove'; c: CollaborationObject } | { type: 'rejudge'; c: CollaborationObject; active: boolean };
const stepArb = (collabs: fc.Arbitrary<CollaborationObject>): fc.Arbitrary<Step> =>
  fc.oneof(
    collabs.map((c) => ({ type: 'add' as const, c })),
    collabs.map((c) => ({ type: 'remove' as const, c })),
    fc.tuple(collabs, fc.boolean()).map(([c, active]) => ({ type: 'rejudge' as const, c, active })),
  );
const REJUDGED: CollaborationVerdict = { active: false, failures: [], granted: 1 as CollaborationVerdict['granted'], wouldGrant: EMPTY };

function step(index: GrantIndex, s: Step): void {
  if (s.type === 'add') index.add(s.c, VERDICT);
  else if (s.type === 'remove') index.remove(s.c);
  else {
    const record = index.get(`${s.c.namespace}/${s.c.name}`);
    if (record) index.rejudge(record, s.active ? VERDICT : REJUDGED);
  }
}

// Few names and many grants, so that a subject's, a namespace's and an organization's lists pass 16 entries (where
// `pushTo` stops copying a list one longer and grows it in place) before the steps after the fill.
const crowdedArb: fc.Arbitrary<CollaborationObject> = fc.record({
  kind: fc.constant('Collaboration' as const),
  namespace: fc.constantFrom('n0', 'n1'),
  name: fc.integer({ min: 0, max: 59 }).map((i) => `c${i}`),
  generation: fc.constant(1),
  subject: fc.record({ kind: fc.constantFrom(...SUBJECT_KINDS), name: fc.constantFrom('a', 'b') }),
  target: fc.record({ kind: fc.constantFrom(...TARGET_KINDS), name: fc.constantFrom('a', 'b') }),
  rights: fc.constant([]),
  role: fc.constant(undefined),
  expiresAt: fc.option(fc.constant(1), { nil: undefined }),
});

test('after a bulk fill, adds, removes and re-judgements leave the index as after the same adds one at a time', () => {
  fc.assert(
    fc.property(
      fc.oneof(fc.array(collabArb, { maxLength: 40 }), fc.array(crowdedArb, { minLength: 20, maxLength: 80 })),
      fc.array(fc.oneof(stepArb(collabArb), stepArb(crowdedArb)), { maxLength: 30 }),
      fc.boolean(),
      (collabs, steps, byEntityFirst) => {
        const one = new GrantIndex();
        const bulk = new GrantIndex();
        if (byEntityFirst) (one.onEntity('Application/n0/a'), bulk.onEntity('Application/n0/a'));
        for (const c of collabs) one.add(c, VERDICT);
        bulk.bulk(() => {
          for (const c of collabs) bulk.add(c, VERDICT, `${c.namespace}/${c.name}`);
        });
        const all = [...collabs, ...steps.map((s) => s.c)];
        for (const s of steps) {
          step(one, s);
          step(bulk, s);
          expect(picture(bulk, all)).toEqual(picture(one, all));
        }
        // Versions compared as numbers too: each step moves the same subjects' and namespaces' versions on both sides.
        const subjects = SUBJECT_KINDS.flatMap((kind) => NAMES.map((name) => `${kind}/${name}`));
        const moved = (index: GrantIndex, before: number[]): boolean[] => subjects.map((s, i) => index.subjectVersion(s) !== before[i]);
        const oneBefore = subjects.map((s) => one.subjectVersion(s));
        const bulkBefore = subjects.map((s) => bulk.subjectVersion(s));
        for (const s of steps.slice(0, 5)) (step(one, s), step(bulk, s));
        expect(moved(bulk, bulkBefore)).toEqual(moved(one, oneBefore));
      },
    ),
    { numRuns: 500 },
  );
});

test('a bulk fill takes no remove and no second fill while it runs', () => {
  const index = new GrantIndex();
  const c: CollaborationObject = { ...fc.sample(collabArb, { numRuns: 1, seed: 1 })[0]!, expiresAt: undefined };
  expect(() => index.bulk(() => index.bulk(() => undefined))).toThrow('already filling');
  expect(() =>
    index.bulk(() => {
      index.add(c, VERDICT);
      index.remove(c);
    }),
  ).toThrow('remove during bulk');
  // What was added before the throw is indexed.
  expect(index.get(`${c.namespace}/${c.name}`)?.collab).toBe(c);
  expect(index.inNamespace(c.namespace)).toHaveLength(1);
});
