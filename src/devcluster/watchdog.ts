/**
 * The control plane's watchdog: a small detached process whose stdin is a pipe from the harness.
 * The harness tells it (one JSON object a line) which folder and processes it owns; when the pipe
 * closes without a {"done":true} first, the harness died (SIGKILL, crash, a killed test runner), and
 * the watchdog stops those processes and removes the folder. A test node's folder (`nodeDir`, ./node.ts) is torn
 * down by ./node-cleanup.ts: its containers, processes and mounts, then the folder. Run by controlplane.ts and
 * node.ts; not a CLI.
 */
import { rmSync } from 'node:fs';
import { destroyNodeDir } from './node-cleanup.ts';
import { isLiveProcess } from './process-check.ts';

interface Owned {
  pid: number;
  /** Only kill the process if its command line still contains this (guards against pid reuse). */
  match: string;
}

const owned: Owned[] = [];
const dirs: string[] = [];
const nodeDirs: string[] = [];
let done = false;
let buffered = '';

const alive = (pid: number, match: string): boolean => isLiveProcess(pid, match);

function kill(pid: number, signal: NodeJS.Signals): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, signal); // the group first: children are started as group leaders
    } catch {
      /* gone */
    }
  }
}

async function cleanup(): Promise<void> {
  // A node first: its kubelet and containers use the control plane, not the other way round.
  for (const d of nodeDirs) destroyNodeDir(d);
  const live = owned.filter((o) => alive(o.pid, o.match));
  // Reverse start order: kube-apiserver before etcd.
  for (const o of live.reverse()) kill(o.pid, 'SIGTERM');
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && live.some((o) => alive(o.pid, o.match))) await new Promise((r) => setTimeout(r, 100));
  for (const o of live) if (alive(o.pid, o.match)) kill(o.pid, 'SIGKILL');
  const killDeadline = Date.now() + 5000;
  while (Date.now() < killDeadline && live.some((o) => alive(o.pid, o.match))) await new Promise((r) => setTimeout(r, 50));
  for (const d of dirs) rmSync(d, { recursive: true, force: true, maxRetries: 3 });
}

function onLine(line: string): void {
  if (!line.trim()) return;
  const msg = JSON.parse(line) as { pid?: number; match?: string; dir?: string; nodeDir?: string; done?: boolean };
  if (msg.dir) dirs.push(msg.dir);
  if (msg.nodeDir) nodeDirs.push(msg.nodeDir);
  if (msg.pid) owned.push({ pid: msg.pid, match: msg.match ?? '' });
  if (msg.done) done = true;
}

// The terminal's ^C goes to the harness's process group; this process has its own session, but be sure.
process.on('SIGINT', () => {});
process.on('SIGHUP', () => {});
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
  buffered += chunk;
  let nl: number;
  while ((nl = buffered.indexOf('\n')) >= 0) {
    onLine(buffered.slice(0, nl));
    buffered = buffered.slice(nl + 1);
  }
});
process.stdin.on('close', () => {
  if (done) process.exit(0);
  cleanup().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
process.stdin.on('error', () => {});
