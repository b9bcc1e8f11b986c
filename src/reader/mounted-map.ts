/**
 * A permission map mounted into a Pod from its ConfigMaps, reloaded when the kubelet updates the volume.
 *
 * Layouts (docs/permission-map.md):
 * - one directory holding every key — the index ConfigMap and the shards in one projected volume (recommended; keys
 *   are distinct across the ConfigMaps), or the index ConfigMap alone when the map is not sharded;
 * - one directory per ConfigMap: `<dir>/<ConfigMap name>/<key>` (one volume per ConfigMap mounted below `<dir>`).
 *
 * The kubelet writes a volume's files into a timestamped directory `..<time>` and then atomically renames a symlink
 * `..data` to point at it; the keys are symlinks through `..data`. A load resolves `..data` once per directory and reads
 * every file through that target, so it never mixes two updates of one volume. Updates of different ConfigMaps are not
 * atomic together: the index's SHA-256 of each shard catches that (PermissionMapError `Torn`), and the last good map
 * stays in use until an update is complete.
 *
 * Reload: fs.watch on the directories (a swap of `..data` is a rename in them), plus a periodic check of the `..data`
 * targets (file systems where fs.watch misses events, or a directory that appears later).
 */
import { readdirSync, readFileSync, readlinkSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_MAP_NAME, parsePermissionMap, type PermissionMap, type ReadData } from './permission-reader.ts';

export interface MountedMapOptions {
  /** The index ConfigMap's name (its directory in the one-directory-per-ConfigMap layout); default `charter-permissions`. */
  name?: string;
  /** Watch the directories with fs.watch; default true. */
  watch?: boolean;
  /** Also check for an update every so many milliseconds; default 10 000; 0 never. */
  pollIntervalMs?: number;
  /** Called with each new map after `open` returned. */
  onReload?: (map: PermissionMap) => void;
  /** Called when an update cannot be loaded (torn, missing shard, invalid); the previous map stays in use. */
  onError?: (error: Error) => void;
}

const DEBOUNCE_MS = 20;

/** `..data`'s target (absolute) when `dir` is a kubelet-managed volume, else `dir` itself. */
function dataDirectory(dir: string): string {
  try {
    return resolve(dir, readlinkSync(join(dir, '..data')));
  } catch {
    return dir;
  }
}

function isAbsent(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Reads keys from `dir` (one-directory layout) or `dir/<ConfigMap>` (one directory per ConfigMap), one `..data` each. */
function mountedData(dir: string): ReadData {
  const resolved = new Map<string, string>();
  const base = (d: string): string => {
    let target = resolved.get(d);
    if (target === undefined) resolved.set(d, (target = dataDirectory(d)));
    return target;
  };
  return (key, configMap) => {
    for (const d of [dir, join(dir, configMap)]) {
      try {
        return readFileSync(join(base(d), key));
      } catch (error) {
        if (!isAbsent(error)) throw error;
      }
    }
    return undefined;
  };
}

/**
 * Loads the map mounted at `dir` once. Throws PermissionMapError (or a file system error).
 * @example readMountedMap('/etc/charter/permissions').can('alice', 'RIGHT_APPLICATION_INFO', 'Application/acme/app1')
 */
export function readMountedMap(dir: string, options: { name?: string } = {}): PermissionMap {
  return parsePermissionMap(mountedData(dir), { name: options.name ?? DEFAULT_MAP_NAME });
}

/** What identifies the mounted content: each directory's `..data` target, or its files' times and sizes. */
function fingerprint(dir: string): { text: string; directories: string[] } {
  const parts: string[] = [];
  const directories: string[] = [];
  const visit = (d: string, top: boolean): void => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch (error) {
      parts.push(`${d}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`);
      return;
    }
    directories.push(d);
    if (entries.some((e) => e.name === '..data')) {
      try {
        parts.push(`${d} -> ${readlinkSync(join(d, '..data'))}`);
      } catch {
        parts.push(`${d} -> ?`);
      }
    } else {
      for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
        if (e.name.startsWith('..') || e.isDirectory()) continue;
        try {
          const st = statSync(join(d, e.name));
          if (st.isFile()) parts.push(`${d}/${e.name} ${st.ino} ${st.size} ${st.mtimeMs}`);
        } catch {
          parts.push(`${d}/${e.name} ?`);
        }
      }
    }
    if (top) for (const e of entries) if (e.isDirectory() && !e.name.startsWith('..')) visit(join(d, e.name), false);
  };
  visit(dir, true);
  return { text: parts.join('\n'), directories };
}

/**
 * The map mounted at a directory, kept current. `can` answers from the last complete map (false before there is one).
 * @example
 * const permissions = MountedPermissionMap.open('/etc/charter/permissions', { onError: (e) => log.warn(e.message) });
 * if (!permissions.can(user, 'RIGHT_APPLICATION_DEVICES_READ', `Application/${ns}/${app}`)) return forbidden();
 */
export class MountedPermissionMap {
  readonly dir: string;
  private map: PermissionMap | undefined;
  private error: Error | undefined;
  private seen: string | undefined;
  private readonly options: MountedMapOptions;
  private readonly watchers = new Map<string, FSWatcher>();
  private timer: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private closed = false;
  private opened = false;

  private constructor(dir: string, options: MountedMapOptions) {
    this.dir = dir;
    this.options = options;
  }

  /** Loads the map now (a failure is kept in `lastError`, not thrown) and starts following updates. */
  static open(dir: string, options: MountedMapOptions = {}): MountedPermissionMap {
    const mounted = new MountedPermissionMap(dir, options);
    mounted.refresh();
    mounted.opened = true;
    const interval = options.pollIntervalMs ?? 10_000;
    if (interval > 0) mounted.timer = setInterval(() => mounted.refresh(), interval).unref();
    return mounted;
  }

  /** The last complete map, or undefined when none could be loaded yet. */
  get current(): PermissionMap | undefined {
    return this.map;
  }

  /** Why the last update could not be loaded; undefined once one loads. */
  get lastError(): Error | undefined {
    return this.error;
  }

  /** `current.can`, false while there is no map. */
  can(user: string, right: string, entity: string): boolean {
    return this.map !== undefined && this.map.can(user, right, entity);
  }

  rights(user: string, entity: string): string[] {
    return this.map === undefined ? [] : this.map.rights(user, entity);
  }

  /** Loads the mounted map if it changed (or the last attempt failed). Returns whether a new map is in use. */
  refresh(): boolean {
    if (this.closed) return false;
    const fp = fingerprint(this.dir);
    this.follow(fp.directories);
    if (fp.text === this.seen && this.error === undefined) return false;
    this.seen = fp.text;
    let next: PermissionMap;
    try {
      next = readMountedMap(this.dir, { name: this.options.name ?? DEFAULT_MAP_NAME });
    } catch (error) {
      this.error = error as Error;
      this.options.onError?.(this.error);
      return false;
    }
    this.error = undefined;
    if (this.map !== undefined && next.contentHash === this.map.contentHash) return false;
    this.map = next;
    if (this.opened) this.options.onReload?.(next);
    return true;
  }

  /** Stops watching; the last map stays readable. */
  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.debounce) clearTimeout(this.debounce);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  /** Watches the directories that exist now (new ones are picked up by the next refresh). */
  private follow(directories: readonly string[]): void {
    if (this.options.watch === false || this.closed) return;
    for (const d of directories) {
      if (this.watchers.has(d)) continue;
      try {
        const watcher = watch(d, { persistent: false }, () => this.schedule());
        watcher.on('error', () => {
          watcher.close();
          this.watchers.delete(d);
        });
        this.watchers.set(d, watcher);
      } catch {
        // Not watchable (gone, or a file system without inotify): the periodic check covers it.
      }
    }
  }

  private schedule(): void {
    if (this.debounce || this.closed) return;
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      this.refresh();
    }, DEBOUNCE_MS).unref();
  }
}
