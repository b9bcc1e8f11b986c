/**
 * The Argo CD health checks of argocd/resource_customizations/charter.dev/<Kind>/ pass their own test cases
 * (health_test.yaml, Argo CD's format) on gopher-lua with the libraries Argo CD gives an argocd-cm check
 * (hack/argocd-health); and the runner does fail when a case does not hold.
 */
import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '../../src/api/generated-files.ts';
import { KINDS } from '../../src/api/kinds.ts';
import { goTool, warnSkipped } from '../go-tools.ts';

const checks = join(repoRoot, 'argocd/resource_customizations');
const kindDir = (kind: string): string => join(checks, 'charter.dev', kind);

describe('the shipped health checks', () => {
  test('every kind has a health.lua and a health_test.yaml, and the script is the same for all', () => {
    const scripts = KINDS.map((kind) => readFileSync(join(kindDir(kind), 'health.lua'), 'utf8'));
    expect(new Set(scripts).size).toBe(1);
    for (const kind of KINDS) expect(parse(readFileSync(join(kindDir(kind), 'health_test.yaml'), 'utf8')).tests.length).toBeGreaterThanOrEqual(4);
  });

  test('every testdata object is a test case, and every test case is an object of its kind', () => {
    for (const kind of KINDS) {
      const cases = (parse(readFileSync(join(kindDir(kind), 'health_test.yaml'), 'utf8')).tests as Array<{ inputPath: string }>).map((t) => t.inputPath).sort();
      expect(cases).toEqual(readdirSync(join(kindDir(kind), 'testdata')).map((f) => `testdata/${f}`).sort());
      for (const path of cases) expect(parse(readFileSync(join(kindDir(kind), path), 'utf8'))).toMatchObject({ apiVersion: 'charter.dev/v1alpha1', kind });
    }
  });
});

const runner = goTool('argocd-health');
if (!runner) warnSkipped('the Argo CD health-check cases (test/unit/argocd-health.test.ts)');
const withRunner = runner ? describe : describe.skip;

withRunner('on gopher-lua, as Argo CD runs them', () => {
  const run = (dir: string): { status: number | null; out: string } => {
    const r = spawnSync(runner!, ['test', dir], { encoding: 'utf8', timeout: 60_000 });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  };

  test('every case of every kind returns the status and message its health_test.yaml expects', () => {
    const { status, out } = run(checks);
    expect(out).toMatch(/health checks: \d+ passed, 0 failed/);
    expect(Number(/health checks: (\d+) passed/.exec(out)![1])).toBeGreaterThanOrEqual(19);
    expect(status).toBe(0);
  });

  test('a case that does not hold fails the run, naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'charter-argocd-'));
    try {
      cpSync(checks, dir, { recursive: true });
      const file = join(dir, 'charter.dev/User/health_test.yaml');
      writeFileSync(file, readFileSync(file, 'utf8').replace('status: Degraded', 'status: Healthy'));
      const { status, out } = run(dir);
      expect(status).toBe(1);
      expect(out).toContain('FAIL charter.dev/User testdata/degraded_schema_invalid.yaml');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a script using Lua's string library fails: argocd-cm checks run without it", () => {
    const dir = mkdtempSync(join(tmpdir(), 'charter-argocd-'));
    try {
      mkdirSync(join(dir, 'example.com/Thing/testdata'), { recursive: true });
      writeFileSync(join(dir, 'example.com/Thing/health.lua'), 'return { status = "Healthy", message = string.format("%d", 1) }\n');
      writeFileSync(join(dir, 'example.com/Thing/testdata/a.yaml'), 'apiVersion: example.com/v1\nkind: Thing\nmetadata: { name: a }\n');
      writeFileSync(join(dir, 'example.com/Thing/health_test.yaml'), 'tests:\n  - healthStatus: { status: Healthy, message: "1" }\n    inputPath: testdata/a.yaml\n');
      const { status, out } = run(dir);
      expect(status).toBe(1);
      expect(out).toMatch(/FAIL example\.com\/Thing testdata\/a\.yaml: .*string/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
