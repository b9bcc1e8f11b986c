/** Finds (or builds, once) the kube-apiserver and etcd binaries: scripts/controlplane-build.sh does the work. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is src/devcluster/binaries.ts). */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const buildScript = join(repoRoot, 'scripts', 'controlplane-build.sh');

export interface ControlPlaneBinaries {
  dir: string;
  kubeApiserver: string;
  etcd: string;
}

export function binariesIn(dir: string): ControlPlaneBinaries | undefined {
  const kubeApiserver = join(dir, 'kube-apiserver');
  const etcd = join(dir, 'etcd');
  return existsSync(kubeApiserver) && existsSync(etcd) ? { dir, kubeApiserver, etcd } : undefined;
}

export interface FindOptions {
  /** Build them if neither $KUBEBUILDER_ASSETS nor the cache has them (default true). Slow the first time. */
  build?: boolean;
  /** Where the build's progress goes (default: this process's stderr). */
  progress?: 'inherit' | 'ignore';
}

/**
 * Resolves the binaries the way scripts/controlplane-build.sh does: $KUBEBUILDER_ASSETS, then the cache
 * folder for the versions in hack/controlplane/versions.env, then a build from the Go module proxy.
 */
export async function findControlPlaneBinaries(opts: FindOptions = {}): Promise<ControlPlaneBinaries> {
  const args = [buildScript];
  if (opts.build === false) args.push('--no-build');
  const child = spawn('bash', args, { stdio: ['ignore', 'pipe', opts.progress ?? 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d: string) => (out += d));
  const code = await new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c) => resolve(c ?? 1));
  });
  if (code !== 0) {
    throw new Error(
      code === 3
        ? 'kube-apiserver and etcd are not built yet: run `bash scripts/controlplane-build.sh` (see docs/control-plane.md)'
        : `scripts/controlplane-build.sh failed (exit ${code}); its messages above say why (see docs/control-plane.md)`,
    );
  }
  const dir = out.trim().split('\n').pop() ?? '';
  const found = binariesIn(dir);
  if (!found) throw new Error(`scripts/controlplane-build.sh printed '${dir}', which holds no kube-apiserver and etcd`);
  return found;
}
