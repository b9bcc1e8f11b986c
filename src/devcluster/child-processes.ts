/**
 * The control plane's and the test node's child processes: started as group leaders that die with this process
 * (`setpriv --pdeathsig` where present), logged to `<dir>/<name>.log`, waited on until ready, and stopped by group
 * (SIGTERM, then SIGKILL).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Child {
  name: string;
  proc: ChildProcess;
  exited: boolean;
  exitCode?: number | null;
  exitSignal?: NodeJS.Signals | null;
}

/** A child died at start because a port was taken between choosing and binding it: worth another try. */
export class PortInUseError extends Error {}

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));

export function startChild(name: string, bin: string, dir: string, args: string[]): Child {
  const logFd = openSync(join(dir, `${name}.log`), 'a');
  // setpriv --pdeathsig: the kernel kills the child when this process dies, however it dies.
  // (CHARTER_CONTROLPLANE_NO_PDEATHSIG=1 leaves it to the watchdog alone: the cleanup test uses it.)
  const setpriv = process.env.CHARTER_CONTROLPLANE_NO_PDEATHSIG ? undefined : SETPRIV;
  const [cmd, argv] = setpriv ? [setpriv, ['--pdeathsig', 'KILL', '--', bin, ...args]] : [bin, args];
  const proc = spawn(cmd, argv, {
    cwd: dir,
    // Its own process group: a terminal's ^C reaches only this process, which then stops the children
    // in order (kube-apiserver, then etcd).
    detached: true,
    stdio: ['ignore', logFd, logFd],
  });
  closeSync(logFd);
  proc.unref();
  const child: Child = { name, proc, exited: false };
  proc.on('exit', (code, signal) => {
    child.exited = true;
    child.exitCode = code;
    child.exitSignal = signal;
  });
  proc.on('error', () => {
    child.exited = true;
  });
  return child;
}

export function watchChild(c: Child, stopped: () => boolean, report: (why: string) => void): void {
  c.proc.on('exit', (code, signal) => {
    if (!stopped()) report(`${c.name} exited (${signal ?? `code ${code}`})`);
  });
}

export function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

export async function stopChild(c: Child): Promise<void> {
  if (c.exited || !c.proc.pid) return;
  const exited = new Promise<void>((r) => {
    if (c.exited) r();
    c.proc.once('exit', () => r());
  });
  killGroup(c.proc.pid, 'SIGTERM');
  if (!(await within(exited, 10_000))) {
    killGroup(c.proc.pid, 'SIGKILL');
    await within(exited, 5_000);
  }
}

/** Whether `p` settles within `ms`; the timer is cleared so that it keeps no process alive. */
export async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)));
  try {
    return await Promise.race([p.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `ready` until it holds; throws when the child exits first (PortInUseError for a taken port) or at `deadline`. */
export async function waitFor(
  name: string,
  c: Child,
  dir: string,
  deadline: number,
  ready: () => Promise<boolean>,
): Promise<void> {
  for (;;) {
    if (c.exited) {
      const logTail = tail(join(dir, `${name}.log`), 40);
      if (/address already in use/i.test(logTail)) throw new PortInUseError(`${name}: address already in use`);
      throw new Error(`${name} exited while starting (${c.exitSignal ?? `code ${c.exitCode}`})`);
    }
    try {
      if (await ready()) return;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`${name} was not ready in time`);
    await sleep(200);
  }
}

export function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Lets a pipe to a child (stdio 'pipe') keep this process alive no longer. At run time the pipe is a net.Socket,
 * which has unref(); Node types it as a plain Writable, which has not.
 */
export function unrefPipe(pipe: NodeJS.WritableStream | null): void {
  if (pipe && 'unref' in pipe && typeof pipe.unref === 'function') pipe.unref();
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
