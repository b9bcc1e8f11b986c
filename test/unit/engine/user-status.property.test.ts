/**
 * A User's status summarises its rights (api.md: `rightsSummary`): the entities a grant gives it rights on, by kind,
 * and the namespaces where it holds rights. On random models the summary equals what the reference evaluation of
 * semantics §5 (with §6's paths) says about every entity a grant names or a namespace holds.
 */
import { expect, test } from '@jest/globals';
import fc from 'fast-check';
import { loadCatalog } from '../../../src/catalog/load-catalog.ts';
import { Engine } from '../../../src/engine/engine.ts';
import { parseEntity } from '../../../src/engine/entities.ts';
import { evaluate } from '../../../src/engine/evaluate.ts';
import { LIST_LIMIT, userStatus } from '../../../src/engine/status.ts';
import { NOW, TARGETS, modelOfScenario, scenarioArb } from './scenario-arbitraries.ts';

const catalog = loadCatalog();

test('rightsSummary == the entities and namespaces evaluate gives rights on, on random models', () => {
  let withRights = 0;
  fc.assert(
    fc.property(scenarioArb, (s) => {
      const model = modelOfScenario(s);
      const engine = new Engine(model, catalog, { adminRights: s.adminRights }, NOW);
      // Every entity the model can give rights on: every grant's target, and one entity no grant names per kind and
      // namespace (where ownership shows).
      const universe = new Set(TARGETS.filter((t) => t.startsWith('Organization/')));
      for (const ns of engine.mapNamespaces()) for (const kind of ['Application', 'Gateway', 'Client']) universe.add(`${kind}/${ns}/unnamed`);
      for (const c of model.collaborations.values()) if (c.target.kind !== 'User') universe.add(engine.targetKey(c));
      for (const user of model.users.values()) {
        const byKind: Record<string, number> = {};
        const namespaces = new Set<string>();
        for (const text of universe) {
          const ref = parseEntity(text, catalog);
          const paths = [...evaluate(engine, user.name, ref).paths.values()].flat();
          // Ownership: rights on every entity of a kind in the namespace (not counted as an entity).
          if (paths.some((p) => p.type === 'organization' && p.grant === 'ownership')) namespaces.add(ref.namespace!);
          // A grant (the user's, a group's, an organization's, or the membership itself on Organization/o).
          if (paths.some((p) => p.type === 'direct' || p.type === 'group' || (p.type === 'organization' && p.grant !== 'ownership'))) {
            byKind[ref.kind] = (byKind[ref.kind] ?? 0) + 1;
            if (ref.namespace !== undefined) namespaces.add(ref.namespace);
            else for (const ns of engine.organizations.owned.get(ref.name) ?? []) namespaces.add(ns);
          }
        }
        const entities = Object.values(byKind).reduce((a, b) => a + b, 0);
        if (entities > 0) withRights++;
        const summary = userStatus(engine, user.name)!.rightsSummary;
        expect({ user: user.name, ...summary }).toEqual({
          user: user.name,
          entities,
          byKind: Object.fromEntries(Object.entries(byKind).sort(([a], [b]) => (a < b ? -1 : 1))),
          namespaces: [...namespaces].sort().slice(0, LIST_LIMIT),
          admin: user.admin && user.state === 'Approved',
        });
      }
    }),
    { numRuns: 1000 },
  );
  expect(withRights).toBeGreaterThan(200); // the property saw users holding rights, not only empty summaries
});
