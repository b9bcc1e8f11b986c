/**
 * The benchmark's synthetic model (bench/generate-model.ts) is valid against the schemas, so that the admission
 * benchmark can edit any of its groups as the API server would let it: every object of the small tier, and at medium
 * every group and organization (where the lists are long: a hot group listing more than the schema's 5,000 names holds
 * the rest through parts it nests). The hot groups keep their share of the users.
 */
import { expect, test } from '@jest/globals';
import { loadCatalog } from '../../../src/catalog/load-catalog.ts';
import type { ModelObject } from '../../../src/model/model.ts';
import { toManifest } from '../../../src/model/to-manifest.ts';
import { toModelObject } from '../../../src/model/to-model-object.ts';
import { generateWorkload, MAX_LISTED, TIERS } from '../../../bench/generate-model.ts';

const problemsOf = (objects: Iterable<ModelObject>): string[] => {
  const problems: string[] = [];
  for (const o of objects) {
    const r = toModelObject(toManifest(o) as Record<string, unknown>);
    if (!r.ok) problems.push(`${o.kind}/${o.name}: ${r.problems.join('; ')}`);
  }
  return problems;
};

test('small: every object passes the schema', () => {
  const { model } = generateWorkload('small', 20260601, loadCatalog());
  expect(problemsOf([...model.users.values(), ...model.organizations.values(), ...model.groups.values(), ...model.collaborations.values()])).toEqual([]);
});

test('medium: every group and organization passes the schema; hot-50 holds half the users through a part', () => {
  const w = generateWorkload('medium', 20260601, loadCatalog());
  expect(problemsOf([...w.model.groups.values(), ...w.model.organizations.values()])).toEqual([]);
  expect(Math.max(...[...w.model.groups.values()].map((g) => g.users.length))).toBe(MAX_LISTED);
  expect(w.hotParts.get('hot-50')).toEqual(['hot-50-part-1']);
  expect(w.model.groups.get('hot-50')!.groups).toContain('hot-50-part-1');
  const listed = new Set([w.model.groups.get('hot-50')!, ...w.hotParts.get('hot-50')!.map((p) => w.model.groups.get(p)!)].flatMap((g) => g.users));
  expect(listed.size).toBe(0.5 * TIERS.medium.users);
});
