/**
 * The developer's background control plane (`npm run cluster:up` / `cluster:down`), kept track of in
 * .charter/ at the repository root (git-ignored):
 *   .charter/kubeconfig    admin context current; contexts alice, bob, carol for ordinary identities
 *   .charter/cluster.json  the serving process's pid, the server address, ports, the temporary folder
 *   .charter/cluster.log   that process's log
 *   .charter/webhook/      the admission webhook's serving certificate (tls.crt, tls.key) for `npm start` to serve
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './binaries.ts';
import { isLiveProcess } from './process-check.ts';
import { startControlPlane } from './controlplane.ts';
import { freePorts } from './loopback-ports.ts';
import type { ControlPlaneOptions } from './controlplane.ts';
import { setUpDevAdmission, type DevAdmission } from './admission.ts';

export const stateDir = join(repoRoot, '.charter');
export const statePath = join(stateDir, 'cluster.json');
export const devKubeconfigPath = join(stateDir, 'kubeconfig');
export const devLogPath = join(stateDir, 'cluster.log');
/** The admission webhook's serving certificate of the `cluster:up` control plane (tls.crt, tls.key). */
export const devWebhookDir = join(stateDir, 'webhook');

export interface DevClusterState {
  /** The `cli.ts serve` process that owns the control plane. */
  pid: number;
  server: string;
  kubeconfig: string;
  dir: string;
  ports: { apiserver: number; etcdClient: number; etcdPeer: number };
  pids: { etcd: number; apiserver: number; watchdog?: number };
  startedAt: string;
  /** The admission webhook registered for an operator to serve (`npm start` serves it). */
  admission?: DevAdmission;
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
  rmSync(devWebhookDir, { recursive: true, force: true });
}

/**
 * For `npm start` with no cluster configured: the kubeconfig of the running `cluster:up` control plane,
 * or else a control plane started in this process (stopped by `stop()`, or when this process ends).
 */
export async function useDevCluster(
  opts: ControlPlaneOptions = {},
): Promise<{ kubeconfigPath: string; server: string; admission: DevAdmission | undefined; stop: () => Promise<void> }> {
  const running = runningDevCluster();
  if (running) return { kubeconfigPath: running.kubeconfig, server: running.server, admission: running.admission, stop: async () => {} };
  const cp = await startControlPlane(opts);
  try {
    const [port] = (await freePorts(1)) as [number];
    const admission = await setUpDevAdmission(cp, join(cp.dir, 'webhook'), port);
    return { kubeconfigPath: cp.kubeconfigPath, server: cp.server, admission, stop: () => cp.stop() };
  } catch (error) {
    await cp.stop();
    throw error;
  }
}
