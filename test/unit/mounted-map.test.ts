import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildNamespaceMap } from '../../src/permission-map/build-maps.ts';
import { shardMap, type PermissionMapWrite } from '../../src/permission-map/shard.ts';
import { MountedPermissionMap, readMountedMap } from '../../src/reader/mounted-map.ts';
import type { PermissionMap, PermissionMapError } from '../../src/reader/permission-reader.ts';
import { collab, engineOf, modelOf, org, user } from './engine/support.ts';
import { filesOf } from './permission-map.support.ts';

/**
 * A volume as the kubelet writes it: files in `..<timestamp>`, `..data` → that directory, each key a symlink through
 * `..data`; an update writes a new timestamped directory and renames a fresh symlink over `..data` (atomic).
 */
class KubeletVolume {
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

const NOW = Date.parse('2026-06-01T00:00:00Z');
const BUDGET = 2600;

/** A namespace large enough to shard under BUDGET; `variant` moves one user's rights. */
function mapWrite(variant: number): PermissionMapWrite {
  const users = Array.from({ length: 90 }, (_, i) => user(`user-${String(i).padStart(2, '0')}`));
  const engine = engineOf(
    modelOf(
      org('acme', { namespaces: ['acme'] }),
      user('root', { admin: true }),
      ...users,
      collab('acme/m-0', 'User/user-00', 'Organization/acme', variant === 1 ? ['RIGHT_APPLICATION_INFO'] : ['RIGHT_APPLICATION_ALL']),
      ...users.map((u, i) => collab(`acme/c-${i}`, `User/${u.name}`, `Application/app-${i}`, ['RIGHT_APPLICATION_LINK'])),
    ),
    { now: NOW },
  );
  return shardMap(buildNamespaceMap(engine, 'acme'), { budgetBytes: BUDGET });
}

/** Each ConfigMap's data as its own map (the one-directory-per-ConfigMap layout). */
const byConfigMap = (write: PermissionMapWrite): Map<string, Record<string, string>> => new Map(write.configMaps.map((cm) => [cm.metadata.name, cm.data]));

function waitFor<T>(register: (resolve: (value: T) => void) => void, what: string, ms = 5000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    register((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

describe('MountedPermissionMap', () => {
  const v1 = mapWrite(1);
  const v2 = mapWrite(2);
  let root: string;
  let mounted: MountedPermissionMap | undefined;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'charter-mounted-'));
  });
  afterEach(() => {
    mounted?.close();
    mounted = undefined;
    rmSync(root, { recursive: true, force: true });
  });

  test('the versions under test are sharded and differ in some shards but not all', () => {
    expect(v1.index.shards.length).toBeGreaterThan(1);
    expect(v2.index.shards.length).toBe(v1.index.shards.length);
    const changed = v2.index.shards.filter((s, i) => s.sha256 !== v1.index.shards[i]!.sha256);
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.length).toBeLessThan(v1.index.shards.length);
  });

  test('one projected volume: loads, then reloads when fs.watch sees the ..data swap', async () => {
    const volume = new KubeletVolume(root);
    volume.write(filesOf(v1));
    let onReload: ((map: PermissionMap) => void) | undefined;
    mounted = MountedPermissionMap.open(root, { pollIntervalMs: 0, onReload: (map) => onReload?.(map) });
    expect(mounted.current?.contentHash).toBe(v1.contentHash);
    expect(mounted.can('user-00', 'RIGHT_APPLICATION_DELETE', 'Application/acme/anything')).toBe(false);
    const reloaded = waitFor<PermissionMap>((resolve) => (onReload = resolve), 'a reload');
    volume.write(filesOf(v2));
    expect((await reloaded).contentHash).toBe(v2.contentHash);
    expect(mounted.current?.contentHash).toBe(v2.contentHash);
    expect(mounted.can('user-00', 'RIGHT_APPLICATION_DELETE', 'Application/acme/anything')).toBe(true);
  });

  test('without fs.watch the periodic check picks the update up', async () => {
    const volume = new KubeletVolume(root);
    volume.write(filesOf(v1));
    let onReload: ((map: PermissionMap) => void) | undefined;
    mounted = MountedPermissionMap.open(root, { watch: false, pollIntervalMs: 25, onReload: (map) => onReload?.(map) });
    const reloaded = waitFor<PermissionMap>((resolve) => (onReload = resolve), 'a reload');
    volume.write(filesOf(v2));
    expect((await reloaded).contentHash).toBe(v2.contentHash);
  });

  test('a torn update (index of v2, shards of v1) keeps the last good map until the update completes', async () => {
    const volume = new KubeletVolume(root);
    volume.write(filesOf(v1));
    let onError: ((e: Error) => void) | undefined;
    let onReload: ((map: PermissionMap) => void) | undefined;
    mounted = MountedPermissionMap.open(root, { pollIntervalMs: 0, onError: (e) => onError?.(e), onReload: (map) => onReload?.(map) });
    const failed = waitFor<Error>((resolve) => (onError = resolve), 'the torn update to be reported');
    const torn = new Map(filesOf(v1));
    torn.set('index.json', filesOf(v2).get('index.json')!);
    volume.write(torn);
    expect((await failed as PermissionMapError).reason).toBe('Torn');
    expect(mounted.current?.contentHash).toBe(v1.contentHash);
    expect(mounted.lastError).toBeDefined();
    expect(mounted.can('user-00', 'RIGHT_APPLICATION_INFO', 'Application/acme/x')).toBe(true);
    const reloaded = waitFor<PermissionMap>((resolve) => (onReload = resolve), 'the completed update');
    volume.write(filesOf(v2));
    expect((await reloaded).contentHash).toBe(v2.contentHash);
    expect(mounted.lastError).toBeUndefined();
  });

  test('one directory per ConfigMap: shards written first are torn until the index follows', async () => {
    const volumes = new Map<string, KubeletVolume>();
    const volume = (name: string): KubeletVolume => {
      let v = volumes.get(name);
      if (!v) volumes.set(name, (v = new KubeletVolume(join(root, name))));
      return v;
    };
    for (const [name, data] of byConfigMap(v1)) volume(name).write(data);
    const errors: Error[] = [];
    let onReload: ((map: PermissionMap) => void) | undefined;
    mounted = MountedPermissionMap.open(root, { pollIntervalMs: 0, onError: (e) => errors.push(e), onReload: (map) => onReload?.(map) });
    expect(mounted.current?.contentHash).toBe(v1.contentHash);
    // The operator's write order; each ConfigMap's volume is swapped on its own.
    const reloaded = waitFor<PermissionMap>((resolve) => (onReload = resolve), 'the reload after the index');
    for (const name of v2.writeOrder) {
      const data = byConfigMap(v2).get(name)!;
      if (JSON.stringify(data) === JSON.stringify(byConfigMap(v1).get(name))) continue; // a writer skips no-op writes
      if (name === 'charter-permissions') {
        // Shards are new, the index old: the reader must not have switched, whatever it saw meanwhile.
        await new Promise((r) => setTimeout(r, 100));
        expect(mounted.current?.contentHash).toBe(v1.contentHash);
        expect(errors.length).toBeGreaterThan(0);
        expect(errors.every((e) => (e as PermissionMapError).reason === 'Torn')).toBe(true);
      }
      volume(name).write(data);
    }
    expect((await reloaded).contentHash).toBe(v2.contentHash);
  });

  test('nothing mounted yet: no map, can() is false, the map loads when it appears', async () => {
    let onReload: ((map: PermissionMap) => void) | undefined;
    mounted = MountedPermissionMap.open(root, { watch: false, pollIntervalMs: 25, onReload: (map) => onReload?.(map) });
    expect(mounted.current).toBeUndefined();
    expect((mounted.lastError as PermissionMapError).reason).toBe('Missing');
    expect(mounted.can('user-00', 'RIGHT_APPLICATION_INFO', 'Application/acme/x')).toBe(false);
    const reloaded = waitFor<PermissionMap>((resolve) => (onReload = resolve), 'the first map');
    new KubeletVolume(root).write(filesOf(v1));
    expect((await reloaded).contentHash).toBe(v1.contentHash);
  });

  test('a plain directory of files (no ..data) reads too', () => {
    for (const [key, value] of filesOf(v1)) writeFileSync(join(root, key), value);
    expect(readMountedMap(root).contentHash).toBe(v1.contentHash);
  });
});
