/**
 * The developer's background control plane (`npm run cluster:up` / `cluster:down`), kept track of in
 * .charter/ at the repository root (git-ignored):
 *   .charter/kubeconfig    admin context current; contexts alice, bob, carol for ordinary identities
 *   .charter/cluster.json  the serving process's pid, the server address, ports, the temporary folder
 *   .charter/cluster.log   that process's log
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './binaries.ts';
import { isLiveProcess } from './process-check.ts';
import { startControlPlane } from './controlplane.ts';
import type { ControlPlaneOptions } from './controlplane.ts';

export const stateDir = join(repoRoot, '.charter');
export const statePath = join(stateDir, 'cluster.json');
export const devKubeconfigPath = join(stateDir, 'kubeconfig');
export const devLogPath = join(stateDir, 'cluster.log');

export interface DevClusterState {
  /** The `cli.ts serve` process that owns the control plane. */
  pid: number;
  server: string;
  kubeconfig: string;
  dir: string;
  ports: { apiserver: number; etcdClient: number; etcdPeer: number };
  pids: { etcd: number; apiserver: number; watchdog?: number };
  startedAt: string;
}

export function readState(): DevClusterState | undefined {
  try {
    return JSON.parse(readFileSync(statePath, 'utf8')) as DevClusterState;
  } catch {
    return undefined;
  }
}

/** Whether `pid` is a live `src/devcluster/cli.ts serve` process (not just any process that got the pid). */
export function isServeProcess(pid: number): boolean {
  return isLiveProcess(pid, 'devcluster', 'serve');
}

/** The running `cluster:up` control plane, if any. */
export function runningDevCluster(): DevClusterState | undefined {
  const s = readState();
  return s && isServeProcess(s.pid) && existsSync(s.kubeconfig) ? s : undefined;
}

export function removeState(): void {
  rmSync(statePath, { force: true });
  rmSync(devKubeconfigPath, { force: true });
}

/**
 * For `npm start` with no cluster configured: the kubeconfig of the running `cluster:up` control plane,
 * or else a control plane started in this process (stopped by `stop()`, or when this process ends).
 */
export async function useDevCluster(
  opts: ControlPlaneOptions = {},
): Promise<{ kubeconfigPath: string; server: string; stop: () => Promise<void> }> {
  const running = runningDevCluster();
  if (running) return { kubeconfigPath: running.kubeconfig, server: running.server, stop: async () => {} };
  const cp = await startControlPlane(opts);
  return { kubeconfigPath: cp.kubeconfigPath, server: cp.server, stop: () => cp.stop() };
}
