/**
 * The examples' "Who may change what" tables are executable documentation: every row is judged by `charter admit`
 * exactly as a pipeline would run it — the example folder before, a copy with the one change after, `--as` the
 * row's identity — and the reasons must be the row's.
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';
import { main } from '../../src/cli/main.ts';
import { readChangeTable, type ChangeRow } from './examples-changes.support.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const EXAMPLE_SETS = ['the-things-stack', 'thingsboard', 'aspera'] as const;
const work = mkdtempSync(join(tmpdir(), 'charter-examples-admit-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const keyOf = (doc: Record<string, unknown>): string => {
  const metadata = (doc.metadata ?? {}) as { name?: string; namespace?: string };
  return metadata.namespace && doc.kind === 'Collaboration' ? `${doc.kind}/${metadata.namespace}/${metadata.name}` : `${doc.kind}/${metadata.name}`;
};

/** A copy of the example with the row's change made: the object's document dropped, the new one added. */
function afterTree(set: string, row: ChangeRow): string {
  const dir = join(work, `${set}-${row.line}`);
  cpSync(join(root, 'examples', set), dir, { recursive: true });
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
    const path = join(dir, file);
    const docs = parseAllDocuments(readFileSync(path, 'utf8')).map((d) => d.toJS() as Record<string, unknown>);
    const kept = docs.filter((d) => d && keyOf(d) !== row.object);
    if (kept.length !== docs.length) writeFileSync(path, kept.map((d) => stringify(d)).join('---\n'));
  }
  if (row.yaml !== undefined) writeFileSync(join(dir, 'zz-change.yaml'), row.yaml);
  return dir;
}

for (const set of EXAMPLE_SETS) {
  describe(`examples/${set}: who may change what`, () => {
    const rows = readChangeTable(readFileSync(join(root, 'examples', set, 'README.md'), 'utf8'));
    test('the table has 6 to 20 rows, some allowed and some denied', () => {
      expect(rows.length).toBeGreaterThanOrEqual(6);
      expect(rows.length).toBeLessThanOrEqual(20);
      expect(rows.some((r) => r.expected.length === 0)).toBe(true);
      expect(rows.some((r) => r.expected.length > 0)).toBe(true);
    });
    test.each(rows.map((row) => [`${row.as} ${row.operation}s ${row.object} (README.md line ${row.line})`, row] as const))('charter admit: %s', async (_title, row) => {
      const args = ['admit', join(root, 'examples', set), afterTree(set, row), '--as', row.as, '-o', 'json'];
      if (set !== 'the-things-stack') args.push('--catalog', join(root, 'catalogs', `${set}.yaml`));
      const stdout: string[] = [];
      const stderr: string[] = [];
      const code = await main(args, { out: (l) => stdout.push(l), err: (l) => stderr.push(l) });
      const command = `charter ${args.join(' ')}`;
      expect({ command, code: code === 2 ? stderr : code }).toEqual({ command, code: row.expected.length > 0 ? 1 : 0 });
      const results = JSON.parse(stdout.join('\n')) as Array<{ object: string; operation: string; denials: Array<{ reason: string; message: string }> }>;
      expect({ command, changes: results.map((r) => `${r.operation} ${r.object}`) }).toEqual({ command, changes: [`${row.operation.toUpperCase()} ${row.object}`] });
      const reasons = [...new Set(results[0]!.denials.map((d) => d.reason))];
      expect({ command, reasons, messages: results[0]!.denials.map((d) => d.message) }).toEqual({ command, reasons: row.expected, messages: expect.any(Array) });
    }, 60_000);
  });
}
