/**
 * The incremental path equals a full recompute: after every change of a random sequence, the engine that absorbed
 * the changes publishes exactly what a fresh engine built on the resulting model publishes, and its Impact names
 * everything that moved.
 */
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { loadCatalog } from '../../../src/catalog/load-catalog.ts';
import { Engine } from '../../../src/engine/engine.ts';
import { T0, applyToModel, changeArb, cloneModel, modelArb } from './arbitraries.ts';
import { snapshot, type Snapshot } from './snapshot.ts';
import { collab, group, modelOf, org, user } from './support.ts';

const catalog = loadCatalog();

function changedKeys(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
}

describe('incremental == full recompute', () => {
  test('random models and random change sequences', () => {
    fc.assert(
      fc.property(modelArb, fc.array(changeArb, { maxLength: 16 }), fc.boolean(), (initial, changes, adminAll) => {
        const options = { adminRights: adminAll ? ('all' as const) : ('default' as const) };
        const engine = new Engine(cloneModel(initial), catalog, options, T0);
        const reference = cloneModel(initial);
        let before: Snapshot = snapshot(engine);
        for (const change of changes) {
          const impact = engine.apply([change]);
          applyToModel(reference, change);
          const full = snapshot(new Engine(cloneModel(reference), catalog, options, T0));
          const incremental = snapshot(engine);
          expect(incremental).toEqual(full);
          // The impact is sound: whatever moved is reported.
          for (const user of changedKeys(before.profiles, incremental.profiles)) expect(impact.users).toContain(user);
          for (const ns of changedKeys(before.namespaces, incremental.namespaces)) expect(impact.namespaces).toContain(ns);
          for (const key of changedKeys(before.statuses, incremental.statuses)) expect(impact.statuses).toContain(key);
          before = incremental;
        }
      }),
      { numRuns: 1000 },
    );
  });

  test('long users lists edited wholesale (many names in and out, duplicates, missing users) equal a full recompute', () => {
    const names = Array.from({ length: 40 }, (_, i) => `u${i}`);
    // Lists of up to 60 entries over 40 users and 5 names that do not exist: edits change far more than 8 names.
    const listArb = fc.array(fc.constantFrom(...names, 'ghost0', 'ghost1', 'ghost2', 'ghost3', 'ghost4'), { maxLength: 60 });
    fc.assert(
      fc.property(listArb, fc.array(listArb, { minLength: 1, maxLength: 4 }), fc.boolean(), (initial, edits, selector) => {
        const teamOf = (n: string): string => (Number(n.slice(1)) % 3 === 0 ? 'a' : 'b');
        const team = (users: string[]) => group('team', { users, selector: selector ? { matchLabels: { team: 'a' } } : undefined });
        const base = [
          ...names.map((n) => user(n, { labels: { team: teamOf(n) } })),
          org('acme', { namespaces: ['acme'] }),
          group('all', { groups: ['team'] }),
          collab('acme/m-all', 'UserGroup/all', 'Organization/acme', ['RIGHT_APPLICATION_INFO']),
          collab('acme/g-team', 'UserGroup/team', 'Application/app1', ['RIGHT_APPLICATION_LINK']),
        ];
        const engine = new Engine(modelOf(...base, team(initial)), catalog, {}, T0);
        let before = snapshot(engine);
        for (const users of edits) {
          const impact = engine.apply([{ type: 'upsert', object: team(users) }]);
          const incremental = snapshot(engine);
          expect(incremental).toEqual(snapshot(new Engine(modelOf(...base, team(users)), catalog, {}, T0)));
          for (const u of changedKeys(before.profiles, incremental.profiles)) expect(impact.users).toContain(u);
          for (const ns of changedKeys(before.namespaces, incremental.namespaces)) expect(impact.namespaces).toContain(ns);
          for (const key of changedKeys(before.statuses, incremental.statuses)) expect(impact.statuses).toContain(key);
          before = incremental;
        }
      }),
      { numRuns: 200 },
    );
  });

  test('time passing an expiresAt equals a full recompute at the new time', () => {
    fc.assert(
      fc.property(modelArb, fc.array(fc.constantFrom(T0 - 2000, T0, T0 + 1000, T0 + 3000, T0 + 6000), { minLength: 1, maxLength: 4 }), (initial, times) => {
        const engine = new Engine(cloneModel(initial), catalog, {}, T0);
        let before = snapshot(engine);
        for (const t of times) {
          const impact = engine.advanceTime(t);
          const full = snapshot(new Engine(cloneModel(initial), catalog, {}, t));
          const incremental = snapshot(engine);
          expect(incremental).toEqual(full);
          for (const ns of changedKeys(before.namespaces, incremental.namespaces)) expect(impact.namespaces).toContain(ns);
          for (const key of changedKeys(before.statuses, incremental.statuses)) expect(impact.statuses).toContain(key);
          before = incremental;
        }
      }),
      { numRuns: 200 },
    );
  });
});
