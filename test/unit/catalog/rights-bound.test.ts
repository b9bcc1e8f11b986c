/**
 * A catalog has at most as many rights as a Collaboration's status.grantedRights may list (the CRD's maxItems): a
 * grant of every right (RIGHT_ALL on a kind, or a membership) lists them all, and a status the API server refuses
 * (422) leaves the grant InProgress for ever. A bigger catalog is refused at load, naming the file and its largest kind.
 */
import { expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '../../../src/api/generated-files.ts';
import { CatalogError, MAX_CATALOG_RIGHTS } from '../../../src/catalog/catalog.ts';
import { catalogFromText, DEFAULT_CATALOG_FILE, loadCatalog } from '../../../src/catalog/load-catalog.ts';
import { Engine } from '../../../src/engine/engine.ts';
import { collaborationStatus } from '../../../src/engine/status.ts';
import { collab, modelOf, user } from '../engine/support.ts';

const crdMaxItems = (): number => {
  const crd = parse(readFileSync(join(repoRoot, 'crds/charter.dev_collaborations.yaml'), 'utf8'));
  return crd.spec.versions[0].schema.openAPIV3Schema.properties.status.properties.grantedRights.maxItems as number;
};

/** The default catalog with `extra` more Application rights. */
const withExtra = (extra: number): string => {
  const text = readFileSync(DEFAULT_CATALOG_FILE, 'utf8');
  const lines = Array.from({ length: extra }, (_, i) => `        - RIGHT_APPLICATION_EXTRA_${i}`).join('\n');
  const out = text.replace('        - RIGHT_APPLICATION_INFO\n', `        - RIGHT_APPLICATION_INFO\n${lines}\n`);
  expect(out).not.toBe(text);
  return out;
};

test('the bound is the CRD status.grantedRights maxItems', () => {
  expect(MAX_CATALOG_RIGHTS).toBe(crdMaxItems());
});

test('a catalog with more rights is refused at load, naming the file and its largest kind', () => {
  const declared = loadCatalog().rights.length;
  expect(() => catalogFromText(withExtra(MAX_CATALOG_RIGHTS - declared + 1), 'big.yaml')).toThrow(CatalogError);
  expect(() => catalogFromText(withExtra(1100), 'big.yaml')).toThrow(/^Catalog big\.yaml is invalid:\n {2}- spec: \d+ rights \(kind Application has 11\d\d\); a catalog has at most 1024/);
});

test('at the bound it loads, and a grant of every right of the largest kind has a status the CRD accepts', () => {
  const declared = loadCatalog().rights.length;
  const catalog = catalogFromText(withExtra(MAX_CATALOG_RIGHTS - declared), 'at-bound.yaml');
  expect(catalog.rights.length).toBe(MAX_CATALOG_RIGHTS);
  const engine = new Engine(modelOf(user('alice'), collab('acme/all', 'User/alice', 'Application/app', ['RIGHT_APPLICATION_ALL'])), catalog, {}, Date.parse('2026-06-01T00:00:00Z'));
  const status = collaborationStatus(engine, 'acme', 'all')!;
  expect(status.conditions.find((c) => c.type === 'Ready')!.status).toBe('True');
  expect(status.grantedRights.length).toBeLessThanOrEqual(crdMaxItems());
});
