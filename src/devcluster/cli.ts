/**
 * npm run cluster:up      start etcd + kube-apiserver in the background; write .charter/kubeconfig
 * npm run cluster:down    stop them
 * node src/devcluster/cli.ts status
 *
 * `up` builds the binaries first if needed (see docs/control-plane.md), then starts `cli.ts serve`
 * detached, which owns the control plane until `down` (SIGTERM) stops it. Running `up` again while it
 * runs only re-applies the CRDs of crds/. The cluster has the CRDs and the namespace the operator's leader Lease
 * goes in by default (charter-system), so that `KUBECONFIG=.charter/kubeconfig npm start` leads at once.
 */
import { spawn } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findControlPlaneBinaries, repoRoot } from './binaries.ts';
import { DEFAULT_LEASE_NAMESPACE } from '../controller/config.ts';
import { requesterFromKubeconfig, type Requester } from './api-request.ts';
import { startControlPlane } from './controlplane.ts';
import { installCRDsWithKubeconfig } from './crds.ts';
import { heldPort } from './loopback-ports.ts';
import { setUpDevAdmission } from './admission.ts';
import {
  devKubeconfigPath,
  devLogPath,
  isServeProcess,
  readState,
  removeState,
  runningDevCluster,
  stateDir,
  statePath,
  devWebhookDir,
} from './devcluster.ts';
import type { DevClusterState } from './devcluster.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const rel = (p: string): string => relative(process.cwd(), p) || p;

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Creates a namespace unless it exists. */
async function ensureNamespace(request: Requester, name: string): Promise<void> {
  const r = await request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  if (r.status >= 300 && r.status !== 409) throw new Error(`could not create namespace ${name}: ${r.status} ${JSON.stringify(r.body?.message ?? r.body)}`);
}

async function up(): Promise<number> {
  const running = runningDevCluster();
  if (running) {
    const names = await installCRDsWithKubeconfig(running.kubeconfig, [join(repoRoot, 'crds')]);
    await ensureNamespace(requesterFromKubeconfig(running.kubeconfig), DEFAULT_LEASE_NAMESPACE);
    console.log(`control plane already running at ${running.server} (pid ${running.pid}); kubeconfig: ${rel(running.kubeconfig)}`);
    if (names.length) console.log(`re-applied CRDs: ${names.join(', ')}`);
    return 0;
  }
  removeState(); // stale files of a cluster that is gone
  mkdirSync(stateDir, { recursive: true });
  const binaries = await findControlPlaneBinaries({ build: true });

  const logFd = openSync(devLogPath, 'w');
  const child = spawn(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', fileURLToPath(import.meta.url), 'serve'],
    {
      cwd: repoRoot,
      detached: true,
      stdio: ['ignore', logFd, logFd],
      env: { ...process.env, KUBEBUILDER_ASSETS: binaries.dir },
    },
  );
  closeSync(logFd);
  child.unref();
  let exited = false;
  child.on('exit', () => (exited = true));

  const deadline = Date.now() + 200_000;
  for (;;) {
    const s = readState();
    if (s && s.pid === child.pid) {
      console.log(`control plane up at ${s.server} (kube-apiserver pid ${s.pids.apiserver}, etcd pid ${s.pids.etcd})`);
      console.log(`kubeconfig: ${rel(s.kubeconfig)}   (contexts: admin [current], alice, bob, carol)`);
      console.log(`try:  kubectl --kubeconfig ${rel(s.kubeconfig)} get crds`);
      if (s.admission) {
        console.log(`admission webhook registered at ${s.admission.url} (failurePolicy Fail): until an operator serves it`);
        console.log(`  (KUBECONFIG=${rel(s.kubeconfig)} npm start), only the admin (system:masters) may write Charter objects`);
      }
      console.log(`stop: npm run cluster:down        log: ${rel(devLogPath)}`);
      return 0;
    }
    if (exited || Date.now() > deadline) {
      if (!exited) process.kill(child.pid!, 'SIGTERM');
      console.error(`control plane did not start; ${rel(devLogPath)} says:\n${tail(devLogPath, 40)}`);
      return 1;
    }
    await sleep(200);
  }
}

async function serve(): Promise<number> {
  const t0 = Date.now();
  const log = (m: string): void => console.log(`${new Date().toISOString()} ${m}`);
  const cp = await startControlPlane({ handleSignals: false, log });
  await ensureNamespace(cp.request, DEFAULT_LEASE_NAMESPACE);
  copyFileSync(cp.kubeconfigPath, devKubeconfigPath);
  const webhookPort = await heldPort();
  const admission = await setUpDevAdmission(cp, devWebhookDir, webhookPort);
  log(`admission webhook registered at ${admission.url}; its certificate is in ${devWebhookDir}`);
  const state: DevClusterState = {
    pid: process.pid,
    server: cp.server,
    kubeconfig: devKubeconfigPath,
    dir: cp.dir,
    ports: cp.ports,
    pids: cp.pids,
    startedAt: new Date().toISOString(),
    admission,
  };
  writeFileSync(statePath, JSON.stringify(state, null, 2) + '\n');
  log(`ready in ${Date.now() - t0} ms at ${cp.server}; kubeconfig ${devKubeconfigPath}`);

  let shuttingDown = false;
  const shutdown = async (why: string, code: number): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    log(`stopping (${why})`);
    await cp.stop();
    if (readState()?.pid === process.pid) removeState();
    log('stopped');
    process.exit(code);
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => void shutdown(sig, 0));
  void cp.unexpectedExit.then((why) => shutdown(why, 1));
  setInterval(() => {}, 1 << 30); // stay alive until a signal
  return new Promise<number>(() => {});
}

async function down(): Promise<number> {
  const s = readState();
  if (!s) {
    console.log('no control plane running (no .charter/cluster.json)');
    return 0;
  }
  if (isServeProcess(s.pid)) {
    process.kill(s.pid, 'SIGTERM');
    const deadline = Date.now() + 30_000;
    while (isServeProcess(s.pid) && Date.now() < deadline) await sleep(100);
    if (isServeProcess(s.pid)) {
      // Its watchdog and the children's parent-death signal clean up after it.
      process.kill(s.pid, 'SIGKILL');
      await sleep(500);
    }
  }
  removeState();
  const leftovers = existsSync(s.dir);
  console.log(`control plane at ${s.server} stopped${leftovers ? ` (its folder ${s.dir} is being removed)` : ''}`);
  return 0;
}

function status(): number {
  const s = runningDevCluster();
  if (!s) {
    console.log('no control plane running');
    return 3;
  }
  console.log(JSON.stringify(s, null, 2));
  return 0;
}

const commands: Record<string, () => Promise<number> | number> = { up, down, status, serve };
const cmd = process.argv[2] ?? '';
const run = commands[cmd];
if (!run) {
  console.error('usage: node src/devcluster/cli.ts up|down|status');
  process.exit(2);
}
try {
  process.exitCode = await run();
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
}
