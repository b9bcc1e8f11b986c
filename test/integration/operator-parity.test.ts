/**
 * Parity: each example of examples/, applied to the real API server with the operator running, ends with every
 * status and every permission-map ConfigMap equal — field by field — to what `charter render` computes offline
 * from the same manifests.
 *
 * The examples' own names are used by examples.test.ts, so each set is applied as a renamed copy (every object and
 * namespace `<name>-<suffix>`, references renamed with them; see renameManifests). The render runs on exactly that
 * copy (with the generation the API server gave each object), plus whatever other charter objects the cluster holds,
 * since the operator sees them too. Each set runs with an operator of its catalog, one at a time, and is deleted
 * afterwards: its admins would otherwise be in the next set's maps.
 */
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { join } from 'node:path';
import { loadCatalog } from '../../src/catalog/load-catalog.ts';
import type { ApiClient } from '../../src/controller/api-client.ts';
import type { Operator } from '../../src/controller/operator.ts';
import {
  adminApi,
  applyAll,
  deleteAll,
  expectParity,
  randomId,
  readManifests,
  failedKeys,
  renameManifests,
  repoRoot,
  startOperator,
  writeCount,
  type Obj,
} from './support/operator.ts';

jest.setTimeout(60_000);

const SETS: Array<{ set: string; catalog: string | undefined }> = [
  { set: 'the-things-stack', catalog: undefined },
  { set: 'thingsboard', catalog: 'catalogs/thingsboard.yaml' },
  { set: 'aspera', catalog: 'catalogs/aspera.yaml' },
];

let api: ApiClient;
beforeAll(() => {
  api = adminApi();
});
afterAll(() => api.close());

describe.each(SETS)('examples/$set', ({ set, catalog }) => {
  const suffix = `par${randomId(4)}`;
  const objects: Obj[] = renameManifests(readManifests(join(repoRoot, 'examples', set)), suffix);
  let operator: Operator | undefined;

  beforeAll(async () => {
    operator = await startOperator(catalog ? { catalog: loadCatalog(join(repoRoot, catalog)) } : {});
  });
  afterAll(async () => {
    await deleteAll(api, objects);
    await operator?.stop();
  });

  test('every status and every ConfigMap equals `charter render` of the same manifests', async () => {
    await applyAll(api, objects);
    const report = await expectParity(api, objects, catalog ? { catalog: join(repoRoot, catalog) } : {});
    // Everything was compared: each object has a status, each namespace's map was there.
    const charterObjects = objects.filter((o) => o.kind !== 'Namespace');
    expect(report.rendered.problems).toEqual([]);
    expect(report.compared.statuses).toBe(charterObjects.length);
    const renderedHere = [...report.rendered.configMaps.keys()].filter((k) => k.split('/')[0]!.endsWith(`-${suffix}`));
    expect(report.compared.configMaps).toBe(renderedHere.length);
    expect(report.compared.configMaps).toBeGreaterThan(0);
    expect(failedKeys(operator!, [suffix])).toEqual([]);
    expect(await writeCount(operator!, ['status'])).toBeGreaterThanOrEqual(charterObjects.length);
  });
});
