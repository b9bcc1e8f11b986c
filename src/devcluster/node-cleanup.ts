/**
 * Tears down what a test node (./node.ts) leaves on the machine, given only its folder: the containers, the
 * processes, the mounts, the folder. Used by the node's stop() and by the watchdog when the harness died, and by the
 * sweep of folders whose owner is gone. Node built-ins only (the watchdog imports it).
 *
 * Why each step: containers are children of containerd's shims, which daemonize, so neither a parent-death signal
 * nor killing containerd ends them — each container's init is killed from runc's state (the node's runc roots are
 * inside the folder); every process whose command line names the folder (kubelet, containerd, dockerd, the shims, the
 * scheduler and controller-manager) is killed; the kubelet's volumes (tmpfs) and the containers' root file systems
 * (overlay) are mounted inside the folder, so they are unmounted (lazily, deepest first) before it is removed; and
 * the shims' sockets, which containerd 1.6 puts in a fixed place outside it (/run/containerd/s/), are removed.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** Where containerd 1.6's shims listen, whatever containerd's own root and state are. */
const SHIM_SOCKET_DIR = '/run/containerd/s';

/** Where the node's runc keeps container state (containerd's CRI runtime, and dockerd's): `<root>/<ns>/<id>/state.json`. */
export function runcRoots(dir: string): string[] {
  return [join(dir, 'runc'), join(dir, 'docker', 'exec', 'runtime-runc')];
}

/** Each container of the node by runc's state: its namespace, id and folder. */
function runcContainers(dir: string): { ns: string; id: string; path: string }[] {
  const out: { ns: string; id: string; path: string }[] = [];
  for (const root of runcRoots(dir)) {
    let namespaces: string[] = [];
    try {
      namespaces = readdirSync(root);
    } catch {
      continue;
    }
    for (const ns of namespaces) {
      try {
        for (const id of readdirSync(join(root, ns))) out.push({ ns, id, path: join(root, ns, id) });
      } catch {
        /* not a folder */
      }
    }
  }
  return out;
}

/**
 * The sockets of the node's shims that exist: containerd 1.6 names them sha256(<containerd's address>/<namespace>/<id>)
 * in /run/containerd/s/ (one shim per Pod sandbox, so not every container id has one).
 */
export function shimSockets(dir: string): string[] {
  const address = join(dir, 'containerd.sock');
  return runcContainers(dir)
    .map((c) => join(SHIM_SOCKET_DIR, createHash('sha256').update(join(address, c.ns, c.id)).digest('hex')))
    .filter((p) => existsSync(p));
}

function containerInitPids(dir: string): number[] {
  const pids: number[] = [];
  for (const c of runcContainers(dir)) {
    try {
      const state = JSON.parse(readFileSync(join(c.path, 'state.json'), 'utf8')) as { init_process_pid?: number };
      if (state.init_process_pid) pids.push(state.init_process_pid);
    } catch {
      /* no state: not running */
    }
  }
  return pids;
}

/** Pids (not this process's) whose command line contains `text`. */
export function pidsMentioning(text: string): number[] {
  const out: number[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    if (pid === process.pid) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text)) out.push(pid);
    } catch {
      /* gone */
    }
  }
  return out;
}

/** Mount points at or below `dir`, deepest first. */
export function mountsUnder(dir: string): string[] {
  let info = '';
  try {
    info = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  const points = info
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((p): p is string => !!p)
    // mountinfo escapes spaces and the like as octal (\040)
    .map((p) => p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((p) => p === dir || p.startsWith(dir + '/'));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}

function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Kills the node's containers and processes, unmounts what is mounted in `dir`, removes `dir`. Synchronous (it runs
 * from 'exit' handlers too) and idempotent. Returns what it found, for the caller's log.
 */
export function destroyNodeDir(dir: string): { containers: number; processes: number; mounts: number } {
  const sockets = shimSockets(dir);
  const containers = containerInitPids(dir).filter(alive);
  for (const pid of containers) kill(pid);
  const processes = pidsMentioning(dir);
  for (const pid of processes) kill(pid);
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && [...containers, ...processes].some(alive)) pause(50);
  const mounts = mountsUnder(dir);
  for (const m of mounts) spawnSync('umount', ['-l', m], { stdio: 'ignore' });
  for (const s of sockets) rmSync(s, { force: true });
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  return { containers: containers.length, processes: processes.length, mounts: mounts.length };
}
