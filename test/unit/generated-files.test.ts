/** Generated files (CRDs, TypeScript types) must equal what `npm run generate` renders from the JSON Schemas now. */
import { expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderGeneratedFiles, repoRoot } from '../../src/api/generated-files.ts';

test('every generated file is up to date with its JSON Schema (run `npm run generate`)', async () => {
  const files = await renderGeneratedFiles();
  expect(files.size).toBeGreaterThanOrEqual(6);
  const stale: string[] = [];
  for (const [path, content] of files) {
    let current = '';
    try {
      current = readFileSync(join(repoRoot, path), 'utf8');
    } catch {
      current = '(missing)';
    }
    if (current !== content) stale.push(path);
  }
  expect(stale).toEqual([]);
}, 60_000);
