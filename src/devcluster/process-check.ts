/** Whether a pid still belongs to the process we started (pids are reused). Node built-ins only: the watchdog uses it. */
import { readFileSync } from 'node:fs';

/** True when `pid` is alive and its command line contains every one of `matches`. */
export function isLiveProcess(pid: number, ...matches: string[]): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return matches.every((m) => cmdline.includes(m));
  } catch {
    return process.platform !== 'linux'; // no /proc: trust the pid
  }
}
