/**
 * The examples' README tables are executable documentation: every row is asked of the `charter` CLI exactly as a
 * user would ask it (`charter can <folder> --user U --on E -o json [--catalog catalogs/<set>.yaml] [--at T]`),
 * and the answer must be the row's expected rights.
 */
import { describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const EXAMPLE_SETS = ['the-things-stack', 'thingsboard', 'aspera'] as const;
const NONE = '(none)';
/** The header the README tables must use, cell by cell. */
const HEADER = ['user', 'entity', 'at', 'expected rights'];
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const ENTITY = /^(User|Organization)\/[a-z0-9.-]+$|^[A-Z][A-Za-z0-9]*\/[a-z0-9-]+\/[a-z0-9.-]+$/;

interface Row {
  /** 1-based line number in the README, for messages. */
  line: number;
  user: string;
  entity: string;
  at: string;
  expected: string[];
}

function cells(line: string): string[] {
  const trimmed = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  return trimmed.split('|').map((cell) => cell.trim().replace(/^`(.*)`$/, '$1'));
}

/** Parses the README's `| user | entity | at | expected rights |` table. Throws when it is missing or malformed. */
function readTable(readme: string): Row[] {
  const lines = readme.split('\n');
  const start = lines.findIndex((line) => line.trim().startsWith('|') && cells(line).join('|') === HEADER.join('|'));
  if (start < 0) throw new Error(`expected a table with the header | ${HEADER.join(' | ')} |; found none`);
  const separator = lines[start + 1] ?? '';
  if (!/^\s*\|(\s*:?-+:?\s*\|)+\s*$/.test(separator)) throw new Error(`line ${start + 2}: expected the table's separator row; found ${JSON.stringify(separator)}`);
  const rows: Row[] = [];
  for (let i = start + 2; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.trim().startsWith('|')) break;
    const row = cells(line);
    if (row.length !== HEADER.length) throw new Error(`line ${i + 1}: expected ${HEADER.length} cells; found ${row.length}`);
    const [user, entity, at, expected] = row as [string, string, string, string];
    rows.push({
      line: i + 1,
      user,
      entity,
      at,
      expected: expected === NONE ? [] : expected.split(',').map((right) => right.trim()),
    });
  }
  return rows;
}

interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/charter.js ...args` from the repository root, as a user would run `npx charter`. */
function charter(args: readonly string[]): CliResult {
  try {
    const stdout = execFileSync(process.execPath, ['bin/charter.js', ...args], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    });
    return { status: 0, stdout, stderr: '' };
  } catch (error) {
    const failure = error as { status?: number | null; stdout?: string; stderr?: string; message: string };
    return { status: failure.status ?? -1, stdout: failure.stdout ?? '', stderr: failure.stderr ?? failure.message };
  }
}

function canArgs(set: string, row: Row): string[] {
  const args = ['can', `examples/${set}`, '--user', row.user, '--on', row.entity, '-o', 'json'];
  const catalog = `catalogs/${set}.yaml`;
  if (existsSync(join(root, catalog))) args.push('--catalog', catalog);
  if (row.at !== '') args.push('--at', row.at);
  return args;
}

for (const set of EXAMPLE_SETS) {
  describe(`examples/${set}`, () => {
    const readmePath = join(root, 'examples', set, 'README.md');
    const rows = readTable(readFileSync(readmePath, 'utf8'));

    test('its README table has 15 to 30 well-formed rows', () => {
      expect(rows.length).toBeGreaterThanOrEqual(15);
      expect(rows.length).toBeLessThanOrEqual(30);
      for (const row of rows) {
        const where = `README.md line ${row.line}`;
        expect({ where, user: row.user }).toEqual({ where, user: expect.stringMatching(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/) });
        expect({ where, entity: row.entity }).toEqual({ where, entity: expect.stringMatching(ENTITY) });
        if (row.at !== '') expect({ where, at: row.at }).toEqual({ where, at: expect.stringMatching(RFC3339) });
        // The expected rights are written as the CLI prints them: concrete rights, ascending, each once.
        const sorted = [...new Set(row.expected)].sort();
        expect({ where, expected: row.expected }).toEqual({ where, expected: sorted });
        for (const right of row.expected) expect({ where, right }).toEqual({ where, right: expect.stringMatching(/^[A-Z][A-Z0-9_]*$/) });
      }
    });

    const title = (row: Row): string => `${row.user} on ${row.entity}${row.at ? ` at ${row.at}` : ''} (README.md line ${row.line})`;
    test.each(rows.map((row) => [title(row), row] as const))('charter can: %s', (_title, row) => {
      const args = canArgs(set, row);
      const result = charter(args);
      const command = `charter ${args.join(' ')}`;
      // The status first (with stderr beside it), so that a failing CLI says why rather than "not JSON".
      expect({ command, status: result.status, stderr: result.stderr.trim() }).toEqual({ command, status: 0, stderr: expect.any(String) });
      let actual: unknown;
      try {
        actual = JSON.parse(result.stdout);
      } catch {
        actual = `not JSON: ${result.stdout}`;
      }
      expect({ command, rights: actual }).toEqual({ command, rights: row.expected });
    }, 60_000);
  });
}
