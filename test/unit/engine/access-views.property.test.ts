/**
 * The two views (src/engine/access-views.ts) say exactly what the reference evaluation of semantics §5–§6 says:
 * - `userAccess`: every entity's rights follow from the view (its own line, else "every <Kind>" of its namespace and
 *   the admin rights), and no line says more than evaluate;
 * - `entityAccess`: the holders are exactly the users with rights on the entity (or the right), each with the kinds
 *   of path §6 gives.
 */
import { expect, test } from '@jest/globals';
import fc from 'fast-check';
import { loadCatalog } from '../../../src/catalog/load-catalog.ts';
import { entityAccess, userAccess } from '../../../src/engine/access-views.ts';
import { Engine } from '../../../src/engine/engine.ts';
import { parseEntity } from '../../../src/engine/entities.ts';
import { evaluate } from '../../../src/engine/evaluate.ts';
import { EMPTY } from '../../../src/engine/right-sets.ts';
import { NOW, TARGETS, modelOfScenario, scenarioArb } from './scenario-arbitraries.ts';

const catalog = loadCatalog();

function universe(engine: Engine): string[] {
  const out = new Set(TARGETS.filter((t) => t.startsWith('Organization/') || t.startsWith('User/')));
  for (const u of engine.model.users.keys()) out.add(`User/${u}`);
  for (const ns of engine.mapNamespaces()) for (const kind of ['Application', 'Gateway', 'Client']) out.add(`${kind}/${ns}/unnamed`);
  for (const c of engine.model.collaborations.values()) if (c.target.kind !== 'User') out.add(engine.targetKey(c));
  return [...out].sort();
}

test('userAccess and entityAccess == evaluate on random models', () => {
  fc.assert(
    fc.property(scenarioArb, (s) => {
      const engine = new Engine(modelOfScenario(s), catalog, { adminRights: s.adminRights }, NOW);
      const entities = universe(engine);
      const users = [...engine.model.users.keys(), 'ghost'];
      for (const user of users) {
        const view = userAccess(engine, user);
        for (const text of entities) {
          const ref = parseEntity(text, catalog);
          const expected = [...engine.sets.rightNames(evaluate(engine, user, ref).rights)];
          const ns = view.namespaces.find((n) => n.namespace === ref.namespace);
          const line = ref.namespace === undefined ? view.cluster[text] : ns?.entities[text];
          const derived = line ?? [...new Set([...(ns?.every[ref.kind] ?? []), ...(view.admin?.[ref.kind] ?? [])])].sort();
          expect({ user, entity: text, rights: derived }).toEqual({ user, entity: text, rights: expected });
        }
      }
      for (const text of entities) {
        const ref = parseEntity(text, catalog);
        const holders = entityAccess(engine, ref);
        const expected = users.flatMap((user) => {
          const evaluation = evaluate(engine, user, ref);
          if (evaluation.rights === EMPTY) return [];
          const types = new Set([...evaluation.paths.values()].flat().map((p) => (p.type === 'state' ? 'self' : p.type)));
          return [{ user, rights: [...engine.sets.rightNames(evaluation.rights)], via: ['admin', 'direct', 'group', 'organization', 'self'].filter((t) => types.has(t as never)) }];
        });
        expect({ entity: text, holders }).toEqual({ entity: text, holders: expected.sort((a, b) => (a.user < b.user ? -1 : 1)) });
        // With a right: the holders of that right, and only the paths granting it.
        const right = expected[0]?.rights[0];
        if (right) {
          const some = entityAccess(engine, ref, right);
          const want = expected.filter((h) => h.rights.includes(right)).map((h) => {
            const types = new Set((evaluate(engine, h.user, ref).paths.get(right) ?? []).map((p) => (p.type === 'state' ? 'self' : p.type)));
            return { ...h, via: h.via.filter((t) => types.has(t as never)) };
          });
          expect({ entity: text, right, holders: some }).toEqual({ entity: text, right, holders: want });
        }
      }
    }),
    { numRuns: 150 },
  );
});
