/**
 * Control plane folders (`$TMPDIR/charter-cp-*`) and their owner file, which names the process that started the
 * control plane and its children; a later start sweeps the folders whose owner is gone (and kills what is left).
 */
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { killGroup, pidAlive } from './child-processes.ts';

export const DIR_PREFIX = 'charter-cp-';
const OWNER_FILE = 'owner.json';

export interface Owner {
  pid: number;
  etcd: number | undefined;
  apiserver: number | undefined;
  watchdog: number | undefined;
}

/** Marks the folder as owned by this process (written once the control plane is up). */
export function writeOwner(dir: string, owner: Owner): void {
  writeFileSync(join(dir, OWNER_FILE), JSON.stringify(owner));
}

/** Removes folders (and stops processes) of control planes whose owning process is gone. */
export function sweepStale(baseDir: string, log: (m: string) => void = () => {}): void {
  let entries: string[];
  try {
    entries = readdirSync(baseDir).filter((e) => e.startsWith(DIR_PREFIX));
  } catch {
    return;
  }
  for (const e of entries) {
    const dir = join(baseDir, e);
    let owner: Partial<Owner> | undefined;
    try {
      owner = JSON.parse(readFileSync(join(dir, OWNER_FILE), 'utf8')) as Partial<Owner>;
    } catch {
      // No owner file: still starting, or it died while starting. Leave young folders alone.
      try {
        if (Date.now() - statSync(dir).mtimeMs < 10 * 60_000) continue;
      } catch {
        continue;
      }
    }
    if (owner?.pid && pidAlive(owner.pid)) continue;
    for (const pid of [owner?.apiserver, owner?.etcd]) {
      if (!pid) continue;
      try {
        if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir)) killGroup(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    rmSync(dir, { recursive: true, force: true });
    log(`removed a stale control plane folder: ${dir}`);
  }
}
