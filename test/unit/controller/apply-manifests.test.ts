/** `applyManifests` (how `npm start` loads examples/): Namespaces first, then charter.dev objects, List items included. */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyManifests } from '../../../src/controller/apply-manifests.ts';
import type { ApiClient } from '../../../src/controller/api-client.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'charter-apply-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('the items of a List are applied as kubectl apply would (they were skipped)', async () => {
  writeFileSync(
    join(dir, 'list.yaml'),
    `apiVersion: v1
kind: List
items:
- { apiVersion: charter.dev/v1alpha1, kind: User, metadata: { name: alice } }
- { apiVersion: v1, kind: Namespace, metadata: { name: acme } }
- { apiVersion: v1, kind: ConfigMap, metadata: { name: other } }
`,
  );
  const paths: string[] = [];
  const api = { request: async (_method: string, path: string) => void paths.push(path) } as unknown as ApiClient;
  expect(await applyManifests(api, [dir])).toBe(2);
  expect(paths).toEqual(['/api/v1/namespaces/acme', '/apis/charter.dev/v1alpha1/users/alice']);
});
