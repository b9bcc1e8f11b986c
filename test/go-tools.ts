/**
 * The Go tools of hack/ that tests run beside Charter (kstatus, argocd-health), found or built once by
 * scripts/go-tools-build.sh and cached under ~/.cache/charter/tools/. With no Go toolchain they cannot be built:
 * `goTool` returns undefined and the caller skips, saying so.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../src/api/generated-files.ts';

export type GoToolName = 'kstatus' | 'argocd-health';

const hasGo = (): boolean => existsSync('/usr/local/go/bin/go') || spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0;

/** The tool's binary, built if needed (the first build on a machine takes a minute or two); undefined without Go. */
export function goTool(name: GoToolName): string | undefined {
  if (!hasGo()) return undefined;
  const run = spawnSync('bash', [join(repoRoot, 'scripts/go-tools-build.sh'), name], { encoding: 'utf8', timeout: 20 * 60_000 });
  if (run.status !== 0) throw new Error(`scripts/go-tools-build.sh ${name} failed (exit ${run.status ?? run.signal}):\n${run.stderr}`);
  const path = run.stdout.trim().split('\n').pop()!;
  if (run.stderr.trim()) process.stderr.write(`${run.stderr.trim()}\n`);
  return path;
}

/** Says loudly that a test file's tests are skipped because Go is missing (CI has Go; a bare laptop may not). */
export function warnSkipped(what: string): void {
  process.stderr.write(`\n*** SKIPPED ${what}: no Go toolchain ('go' on PATH or /usr/local/go/bin/go) to build its checker ***\n\n`);
}
