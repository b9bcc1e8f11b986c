/**
 * How a control plane goes away, whatever happens to this process: stop() stops the children (last started first),
 * keeps their logs when asked, and removes the folder; SIGINT/SIGTERM/SIGHUP call stop() and re-raise the signal; an
 * `exit` without stop() kills the children synchronously; and a detached watchdog (./watchdog.ts), which notices its
 * stdin pipe from this process closing, cleans up after a SIGKILL or a crash.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { killGroup, stopChild, unrefPipe, watchChild, type Child } from './child-processes.ts';

const WATCHDOG = fileURLToPath(new URL('./watchdog.ts', import.meta.url));

export interface TeardownOptions {
  /** Stop on SIGINT/SIGTERM/SIGHUP, then re-raise the signal if nobody else listens. */
  handleSignals: boolean;
  /** Copy etcd's and kube-apiserver's logs here on stop. */
  keepLogsIn: string | undefined;
}

export interface Teardown {
  /** Stops the children, removes the folder, tells the watchdog it is done. Idempotent. */
  stop(): Promise<void>;
  /** Hands a started child over: stopped with the rest, killed by the watchdog if this process dies. */
  own(child: Child): void;
  /** The children owned so far, in start order. */
  readonly children: readonly Child[];
  watchdogPid: number | undefined;
  /** Resolves when an owned child exits without stop() having been called. */
  unexpectedExit: Promise<string>;
}

/** Sets up the teardown of the folder `dir`; the watchdog first, so that nothing started after it can outlive this process. */
export function prepareTeardown(dir: string, options: TeardownOptions): Teardown {
  const children: Child[] = [];
  let stopped = false;
  let stopping: Promise<void> | undefined;
  const signalHandlers: [NodeJS.Signals, () => void][] = [];
  let reportUnexpected: (why: string) => void = () => {};
  const unexpectedExit = new Promise<string>((r) => (reportUnexpected = r));

  // Last resort if the process exits without stop(): 'exit' handlers must be synchronous.
  const onExit = (): void => {
    if (stopped) return;
    for (const c of [...children].reverse()) if (!c.exited) killGroup(c.proc.pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', onExit);

  const watchdog: ChildProcess = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', WATCHDOG], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  watchdog.unref();
  const tellWatchdog = (msg: object): void => {
    if (watchdog.stdin && !watchdog.stdin.destroyed) watchdog.stdin.write(JSON.stringify(msg) + '\n');
  };
  watchdog.stdin?.on('error', () => {});
  tellWatchdog({ dir });
  unrefPipe(watchdog.stdin);

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      stopped = true;
      for (const [sig, h] of signalHandlers) process.off(sig, h);
      for (const c of [...children].reverse()) await stopChild(c);
      const keep = options.keepLogsIn;
      if (keep) {
        mkdirSync(keep, { recursive: true });
        for (const f of ['etcd.log', 'kube-apiserver.log']) {
          if (existsSync(join(dir, f))) cpSync(join(dir, f), join(keep, f));
        }
      }
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
      process.off('exit', onExit);
      if (watchdog.stdin && !watchdog.stdin.destroyed) {
        watchdog.stdin.end(JSON.stringify({ done: true }) + '\n');
      }
    })();
    return stopping;
  };

  if (options.handleSignals) {
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      const h = (): void => {
        void stop().finally(() => {
          if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
        });
      };
      signalHandlers.push([sig, h]);
      process.on(sig, h);
    }
  }

  return {
    stop,
    own(child) {
      children.push(child);
      tellWatchdog({ pid: child.proc.pid, match: dir });
      watchChild(child, () => stopped, reportUnexpected);
    },
    children,
    watchdogPid: watchdog.pid,
    unexpectedExit,
  };
}
