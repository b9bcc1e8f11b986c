/**
 * The examples' README tables are executable documentation: each table is, row by row, the exact-rights cases of the
 * example's access test file (test/access/<set>.yaml), and `charter test` runs those files exactly as a user would
 * (`charter test test/access/*.yaml`), so the tables cannot drift from what Charter answers.
 */
import { describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
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

/** The examples' access test files: test/access/<set>.yaml (outside examples/, which `kubectl apply -R` reads). */
const testFile = (set: string): string => join('test', 'access', `${set}.yaml`);

test('charter test passes on the three examples\' access test files, as a user runs it', () => {
  const args = ['test', ...EXAMPLE_SETS.map(testFile)];
  const result = charter(args);
  expect({ status: result.status, stderr: result.stderr.trim(), last: result.stdout.trim().split('\n').at(-1) }).toEqual({
    status: 0,
    stderr: '',
    last: expect.stringMatching(/^\d+ passed, 0 failed$/),
  });
}, 120_000);

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

    test(`its README table is the exact-rights cases of ${testFile(set)}, row by row`, () => {
      // One source of truth checked against the other: the file is what runs, the table is what people read.
      const doc = parse(readFileSync(join(root, testFile(set)), 'utf8')) as { spec: { manifests: string[]; catalog?: string; cases: Array<Record<string, unknown>> } };
      expect(doc.spec.manifests).toEqual([`../../examples/${set}`]);
      expect(doc.spec.catalog).toEqual(existsSync(join(root, 'catalogs', `${set}.yaml`)) ? `../../catalogs/${set}.yaml` : undefined);
      const exact = doc.spec.cases
        .filter((c) => c.check !== undefined && c.rights !== undefined && c.name === undefined)
        .map((c) => {
          const check = c.check as { user: string; on: string; at?: string };
          return { user: check.user, entity: check.on, at: check.at ?? '', expected: [...(c.rights as string[])] };
        });
      expect(exact).toEqual(rows.map(({ user, entity, at, expected }) => ({ user, entity, at, expected })));
    });
  });
}
