/**
 * `charter test FILE...`: runs access test files (src/testing, docs/access-tests.md). Prints each failing case with
 * why, then `N passed, N failed` as the last line; exit 1 when a case fails (or coverage is below --min-coverage),
 * 2 on bad input (the message names the file, the case and the field), 3 when nothing failed but some cases were not
 * run (--cluster: what the maps cannot answer).
 */
import { AccessTestError, loadAccessTest } from '../testing/load-access-test.ts';
import { coverageOf, runAccessTest, type FileResult, type RightsSource } from '../testing/run-access-test.ts';
import { clusterRightsSource } from './can-cluster.ts';
import type { Output } from './output.ts';
import { InputError } from './workspace.ts';

export interface TestOptions {
  cluster?: boolean;
  kubeconfig?: string;
  context?: string;
  requestTimeout?: string;
  coverage?: boolean;
  minCoverage?: string;
}

function printCoverage(result: FileResult, out: Output): number {
  const c = coverageOf(result);
  const part = (name: string, p: { covered: number; total: number; missed: string[] }): string =>
    `  ${name}: ${p.covered}/${p.total}${p.missed.length ? ` (not exercised: ${p.missed.slice(0, 20).join(', ')}${p.missed.length > 20 ? `, and ${p.missed.length - 20} more` : ''})` : ''}`;
  out.out(`coverage of ${result.file}: ${c.percent}%`);
  out.out(part('users', c.users));
  out.out(part('groups', c.groups));
  out.out(part('collaborations', c.collaborations));
  return c.percent;
}

export async function runTest(files: string[], options: TestOptions, out: Output): Promise<number> {
  let min: number | undefined;
  if (options.minCoverage !== undefined) {
    min = Number(options.minCoverage.replace(/%$/, ''));
    if (!/^\d+(\.\d+)?%?$/.test(options.minCoverage) || min > 100) throw new InputError(`--min-coverage: expected a percentage from 0 to 100; found ${JSON.stringify(options.minCoverage)}`);
  }
  if (options.kubeconfig && !options.cluster) throw new InputError('--kubeconfig needs --cluster');
  let passed = 0;
  let failed = 0;
  let notRun = 0;
  let lowCoverage = false;
  let cluster: (RightsSource & { close(): void }) | undefined;
  try {
    if (options.cluster) cluster = clusterRightsSource(options);
    for (const file of files) {
      let result: FileResult;
      try {
        result = await runAccessTest(loadAccessTest(file), { source: cluster, progress: out.progress?.bind(out) });
      } catch (error) {
        if (error instanceof AccessTestError) {
          for (const line of error.lines) out.err(line);
          return 2;
        }
        if (cluster && !(error instanceof InputError)) {
          // The cluster could not be asked (unreachable, refused, an error answer, a map that does not load).
          out.err(`charter: ${file}: --cluster: ${(error as Error).message}`);
          return 2;
        }
        throw error;
      }
      for (const c of result.cases) {
        if (c.status === 'passed') passed++;
        else if (c.status === 'failed') {
          failed++;
          out.out(`FAIL ${file}: ${c.title}`);
          for (const m of c.messages) out.out(`  ${m}`);
        } else notRun++;
      }
      if (options.coverage || min !== undefined) {
        const percent = printCoverage(result, out);
        if (min !== undefined && percent < min) {
          out.out(`coverage of ${file} is ${percent}%, below --min-coverage ${min}%`);
          lowCoverage = true;
        }
      }
    }
  } finally {
    cluster?.close();
  }
  if (notRun > 0) out.out(`${notRun} cases not run against the cluster (paths, who, admit, or a case's own time: only the manifests answer them)`);
  out.out(`${passed} passed, ${failed} failed`);
  if (failed > 0 || lowCoverage) return 1;
  // A case not run is not a pass: a pipeline must not go green on cases nobody ran (exit 3, docs/access-tests.md).
  return notRun > 0 ? 3 : 0;
}
