// Writes every generated file (CRDs, TypeScript types) from the JSON Schemas. See src/api/generated-files.ts.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { renderGeneratedFiles, repoRoot } from '../src/api/generated-files.ts';

for (const [path, content] of await renderGeneratedFiles()) {
  const full = join(repoRoot, path);
  mkdirSync(dirname(full), { recursive: true });
  writeFileSync(full, content);
  console.log(`wrote ${path}`);
}
