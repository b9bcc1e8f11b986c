/**
 * A ConfigMap volume as the kubelet writes it, for the reader's tests (unit and integration): files in `..<timestamp>`,
 * `..data` → that directory, each key a symlink through `..data`; an update writes a new timestamped directory and
 * renames a fresh symlink over `..data` (atomic), then removes the old one.
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export class KubeletVolume {
  private generation = 0;
  private current: string | undefined;
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true });
  }

  write(files: ReadonlyMap<string, string> | Record<string, string>): void {
    const entries = files instanceof Map ? [...files] : Object.entries(files);
    const stamp = `..2026_06_01_00_00_${String(this.generation++).padStart(2, '0')}.${process.pid}`;
    mkdirSync(join(this.dir, stamp));
    for (const [key, value] of entries) writeFileSync(join(this.dir, stamp, key), value);
    symlinkSync(stamp, join(this.dir, '..data_tmp'));
    renameSync(join(this.dir, '..data_tmp'), join(this.dir, '..data'));
    const keys = new Set(entries.map(([k]) => k));
    for (const key of keys) if (!existsSync(join(this.dir, key))) symlinkSync(join('..data', key), join(this.dir, key));
    for (const name of readdirSync(this.dir)) {
      if (!name.startsWith('..') && !keys.has(name) && lstatSync(join(this.dir, name)).isSymbolicLink()) rmSync(join(this.dir, name));
    }
    if (this.current) rmSync(join(this.dir, this.current), { recursive: true });
    this.current = stamp;
  }
}
