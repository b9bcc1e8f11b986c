/** Finds (or builds, once) the binaries of the test cluster: the control plane (scripts/controlplane-build.sh) and a node (scripts/node-build.sh). */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
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
  const dir = await runBuildScript(buildScript, opts, 'kube-apiserver and etcd are not built yet');
  const found = binariesIn(dir);
  if (!found) throw new Error(`scripts/controlplane-build.sh printed '${dir}', which holds no kube-apiserver and etcd`);
  return found;
}

/**
 * Runs a build script of scripts/ (`--no-build` unless opts.build) and returns the cache folder it prints last.
 * Exit 3 means "not built and not allowed to build"; the script's own messages go to opts.progress.
 */
async function runBuildScript(script: string, opts: FindOptions, notBuilt: string): Promise<string> {
  const name = `scripts/${script.split('/').pop()}`;
  const args = [script];
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
        ? `${notBuilt}: run \`bash ${name}\` (see docs/control-plane.md)`
        : `${name} failed (exit ${code}); its messages above say why (see docs/control-plane.md)`,
    );
  }
  return out.trim().split('\n').pop() ?? '';
}

export const nodeBuildScript = join(repoRoot, 'scripts', 'node-build.sh');

/** What a test node runs (./node.ts), as scripts/node-build.sh builds and caches it. */
export interface NodeBinaries {
  dir: string;
  kubelet: string;
  kubeScheduler: string;
  kubeControllerManager: string;
  helm: string;
  /** The pause container's static binary, and its version (upstream's build/pause/Makefile TAG). */
  pause: string;
  pauseVersion: string;
  /** The base image's root file system (debootstrap + Node), for `docker import`. */
  baseImageTar: string;
}

/** Runs scripts/node-build.sh (which builds what is missing, once, unless build is false) and reads its cache folder. */
export async function findNodeBinaries(opts: FindOptions = {}): Promise<NodeBinaries> {
  const dir = await runBuildScript(nodeBuildScript, opts, 'the node binaries or base image are not built yet');
  const file = (name: string): string => {
    const p = join(dir, name);
    if (!existsSync(p)) throw new Error(`scripts/node-build.sh printed '${dir}', which holds no ${name}`);
    return p;
  };
  const versions = readFileSync(file('VERSIONS'), 'utf8');
  const pauseVersion = /^pause (\S+)$/m.exec(versions)?.[1];
  if (!pauseVersion) throw new Error(`${join(dir, 'VERSIONS')} names no pause version`);
  return {
    dir,
    kubelet: file('kubelet'),
    kubeScheduler: file('kube-scheduler'),
    kubeControllerManager: file('kube-controller-manager'),
    helm: file('helm'),
    pause: file('pause'),
    pauseVersion,
    baseImageTar: join(dirname(dir), readFileSync(file('BASE_IMAGE'), 'utf8').trim()),
  };
}
