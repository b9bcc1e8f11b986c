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
 * every file through that target, so it never mixes two updates of one volume; a load that fails while a `..data` it
 * read through was swapped (the old directory deleted under it) is tried again on the new content. Updates of different ConfigMaps are not
 * atomic together: the index's SHA-256 of each shard catches that (PermissionMapError `Torn`).
 *
 * States (docs/permission-map.md#what-a-running-reader-answers): a map that loads is used at once (`loaded`, or
 * `empty`/`withheld` when it grants nothing). No index at all (`absent`: the map is gone) drops the map at once:
 * no rights. An update that cannot be loaded (torn, a missing shard, invalid, unsupported, unreadable) keeps the last
 * complete map for at most `graceMs` (`held`), then drops it (`failed`: no rights) until a map loads; `staleSince`
 * says since when.
 *
 * Reload: fs.watch on the directories (a swap of `..data` is a rename in them), plus a periodic check of the `..data`
 * targets (file systems where fs.watch misses events, or a directory that appears later).
 */
import { readdirSync, readFileSync, readlinkSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_MAP_NAME, PermissionMapError, parsePermissionMap, type PermissionMap, type ReadData } from './permission-reader.ts';

/**
 * `loaded`: a complete map is in use. `empty`: the map in use grants nothing (the operator's map of a namespace that
 * has none any more). `withheld`: the operator withholds the namespace's rights (the map grants nothing; `staleSince`
 * is set). `absent`: no index is mounted — the map is gone or was never published: no rights. `held`: an update
 * cannot be loaded; the last complete map is still used, for at most `graceMs` after `staleSince`. `failed`: an update
 * could not be loaded for longer than that, or there was no map to hold: no rights.
 */
export type MountedMapState = 'loaded' | 'empty' | 'withheld' | 'absent' | 'held' | 'failed';

/** A snapshot for a readiness probe, a metric or a log line. */
export interface MountedMapStatus {
  state: MountedMapState;
  /** Since when (ms since the epoch) the reader has not answered from the current mounted map; undefined when it does. */
  staleSince: number | undefined;
  /** Seconds since `staleSince` (0 when not stale): a gauge. */
  staleSeconds: number;
  /** The map in use (undefined: every check is false). */
  contentHash: string | undefined;
  /** Why the last look at the volume did not load a map. */
  error: PermissionMapError | undefined;
}

export interface MountedMapOptions {
  /** The index ConfigMap's name (its directory in the one-directory-per-ConfigMap layout); default `charter-permissions`. */
  name?: string;
  /** Watch the directories with fs.watch; default true. */
  watch?: boolean;
  /** Also check for an update every so many milliseconds; default 10 000; 0 never. */
  pollIntervalMs?: number;
  /** Called with each new map after `open` returned. */
  onReload?: (map: PermissionMap) => void;
  /** Called when the volume cannot be loaded (absent, torn, missing shard, invalid, …): see `state`. */
  onError?: (error: PermissionMapError) => void;
  /** Called when `state` changes. */
  onStateChange?: (state: MountedMapState, previous: MountedMapState) => void;
  /**
   * How long an update that cannot be loaded may keep the last complete map in use, in milliseconds; default 120 000
   * (the kubelet refreshes each ConfigMap's files about once a minute, so a torn update normally heals within that).
   * After it, every check is false until a map loads. 0: never keep it.
   */
  graceMs?: number;
  /** The clock (ms since the epoch); default Date.now. */
  now?: () => number;
}

const DEBOUNCE_MS = 20;
export const DEFAULT_GRACE_MS = 120_000;

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

/**
 * Reads keys from `dir` (one-directory layout) or `dir/<ConfigMap>` (one directory per ConfigMap), one `..data` each.
 * `moved()`: whether a `..data` read through has since been pointed elsewhere (the kubelet swapped that volume, and
 * may already have deleted the directory the read went to).
 */
function mountedData(dir: string): { read: ReadData; moved: () => boolean } {
  const resolved = new Map<string, string>();
  const base = (d: string): string => {
    let target = resolved.get(d);
    if (target === undefined) resolved.set(d, (target = dataDirectory(d)));
    return target;
  };
  const read: ReadData = (key, configMap) => {
    for (const d of [dir, join(dir, configMap)]) {
      try {
        return readFileSync(join(base(d), key));
      } catch (error) {
        if (!isAbsent(error)) throw error;
      }
    }
    return undefined;
  };
  const moved = (): boolean => [...resolved].some(([d, target]) => dataDirectory(d) !== target);
  return { read, moved };
}

/** Loads tried before a load that failed while the volume kept being swapped under it is reported as it failed. */
const SWAPPED_RETRIES = 3;

/**
 * Loads the map mounted at `dir` once. Throws PermissionMapError (a file system error is reason `Unreadable`).
 * A load that fails while a `..data` it read through was swapped is tried again on the new content: the failure
 * (typically the old directory deleted between resolving `..data` and reading, seen as no index) was the swap's, not
 * the map's.
 * @example readMountedMap('/etc/charter/permissions').can('alice', 'RIGHT_APPLICATION_INFO', 'Application/acme/app1')
 */
export function readMountedMap(dir: string, options: { name?: string } = {}): PermissionMap {
  const name = options.name ?? DEFAULT_MAP_NAME;
  for (let attempt = 0; ; attempt++) {
    const data = mountedData(dir);
    try {
      return parsePermissionMap(data.read, { name });
    } catch (error) {
      if (attempt >= SWAPPED_RETRIES || !data.moved()) throw error;
    }
  }
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
 * The map mounted at a directory, kept current. `can` answers from the map in use: false when there is none (see
 * MountedMapState), and never from a map older than `graceMs` past a failed update.
 * @example
 * const permissions = MountedPermissionMap.open('/etc/charter/permissions', { onError: (e) => log.warn(e.message) });
 * if (!permissions.can(user, 'RIGHT_APPLICATION_DEVICES_READ', `Application/${ns}/${app}`)) return forbidden();
 * // readiness: permissions.staleSince === undefined; metric: permissions.status().staleSeconds
 */
export class MountedPermissionMap {
  readonly dir: string;
  private map: PermissionMap | undefined;
  private error: PermissionMapError | undefined;
  private mapState: MountedMapState = 'absent';
  private stale: number | undefined;
  private seen: string | undefined;
  private readonly options: MountedMapOptions;
  private readonly graceMs: number;
  private readonly now: () => number;
  private readonly watchers = new Map<string, FSWatcher>();
  private timer: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private graceTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private opened = false;

  private constructor(dir: string, options: MountedMapOptions) {
    this.dir = dir;
    this.options = options;
    this.graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
    this.now = options.now ?? Date.now;
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

  /** The map in use, or undefined when there is none (absent, failed, or nothing loaded yet): every check is false. */
  get current(): PermissionMap | undefined {
    return this.map;
  }

  /** Why the last look at the volume did not load a map; undefined once one loads. */
  get lastError(): PermissionMapError | undefined {
    return this.error;
  }

  get state(): MountedMapState {
    this.expireGrace();
    return this.mapState;
  }

  /**
   * Since when (ms since the epoch) the answers have not come from the map currently mounted: the first failed look at
   * the volume since the last load (held, failed), or the load of a withheld map. Undefined when they do (loaded,
   * empty, absent). For a readiness probe: ready while undefined, or while younger than your tolerance.
   */
  get staleSince(): number | undefined {
    return this.stale;
  }

  status(): MountedMapStatus {
    const state = this.state;
    return {
      state,
      staleSince: this.stale,
      staleSeconds: this.stale === undefined ? 0 : Math.max(0, (this.now() - this.stale) / 1000),
      contentHash: this.map?.contentHash,
      error: this.error,
    };
  }

  /** `current.can`, false while there is no map in use. */
  can(user: string, right: string, entity: string): boolean {
    if (this.mapState === 'held') this.expireGrace(); // not the timer alone: it may fire late (a busy event loop)
    return this.map !== undefined && this.map.can(user, right, entity);
  }

  rights(user: string, entity: string): string[] {
    if (this.mapState === 'held') this.expireGrace();
    return this.map === undefined ? [] : this.map.rights(user, entity);
  }

  /** Loads the mounted map if it changed (or the last attempt failed). Returns whether a new map is in use. */
  refresh(): boolean {
    if (this.closed) return false;
    this.expireGrace();
    const fp = fingerprint(this.dir);
    this.follow(fp.directories);
    const settled = this.mapState !== 'held' && this.mapState !== 'failed';
    if (fp.text === this.seen && settled) return false;
    this.seen = fp.text;
    let next: PermissionMap;
    try {
      next = readMountedMap(this.dir, { name: this.options.name ?? DEFAULT_MAP_NAME });
    } catch (error) {
      this.failed(error instanceof PermissionMapError ? error : new PermissionMapError('Unreadable', `Permission map: ${String(error)}`, { cause: error }));
      return false;
    }
    const changed = this.map === undefined || next.contentHash !== this.map.contentHash;
    this.error = undefined;
    this.map = next;
    this.clearGrace();
    if (next.withheld !== undefined) {
      this.stale = this.mapState === 'withheld' ? this.stale : this.now();
      this.setState('withheld');
    } else {
      this.stale = undefined;
      this.setState(next.isEmpty ? 'empty' : 'loaded');
    }
    if (changed && this.opened) this.options.onReload?.(next);
    return changed;
  }

  /** Stops watching; the map in use stays readable (a held one is still dropped when its grace period ends). */
  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.debounce) clearTimeout(this.debounce);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  /** A look at the volume that did not load: no index drops the map at once; anything else holds it for graceMs. */
  private failed(error: PermissionMapError): void {
    this.error = error;
    if (error.reason === 'Absent') {
      this.map = undefined;
      this.stale = undefined;
      this.clearGrace();
      this.setState('absent');
    } else {
      this.stale ??= this.now();
      if (this.map !== undefined && this.mapState !== 'failed' && this.now() - this.stale < this.graceMs) {
        this.setState('held');
        this.armGrace();
      } else {
        this.map = undefined;
        this.clearGrace();
        this.setState('failed');
      }
    }
    this.options.onError?.(error);
  }

  /** A timer that drops the held map when its grace period ends (also after `close`: holding is never open-ended). */
  private armGrace(): void {
    if (this.graceTimer !== undefined || this.stale === undefined) return;
    this.graceTimer = setTimeout(() => {
      this.graceTimer = undefined;
      this.expireGrace();
      if (this.mapState === 'held') this.armGrace();
    }, Math.max(1, this.stale + this.graceMs - this.now())).unref();
  }

  /** A held map whose grace period is over is dropped. */
  private expireGrace(): void {
    if (this.mapState !== 'held' || this.stale === undefined || this.now() - this.stale < this.graceMs) return;
    this.map = undefined;
    this.clearGrace();
    this.setState('failed');
  }

  private clearGrace(): void {
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
  }

  private setState(state: MountedMapState): void {
    const previous = this.mapState;
    this.mapState = state;
    if (state !== previous) this.options.onStateChange?.(state, previous);
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
