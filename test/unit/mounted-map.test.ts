import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildNamespaceMap, emptyNamespaceMap } from '../../src/permission-map/build-maps.ts';
import { shardMap, type PermissionMapWrite } from '../../src/permission-map/shard.ts';
import { MountedPermissionMap, readMountedMap, type MountedMapState } from '../../src/reader/mounted-map.ts';
import { PermissionMapError, type PermissionMap } from '../../src/reader/permission-reader.ts';
import { collab, engineOf, modelOf, org, user } from './engine/support.ts';
import { filesOf } from './permission-map.support.ts';
import { KubeletVolume } from '../support/kubelet-volume.ts';

const NOW = Date.parse('2026-06-01T00:00:00Z');
const BUDGET = 2600;

/** A namespace large enough to shard under BUDGET; `variant` moves one user's rights. */
function mapWrite(variant: number, maxShards?: number): PermissionMapWrite {
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
  if (variant === 0) return shardMap(emptyNamespaceMap(engine, 'acme'), { budgetBytes: BUDGET });
  return shardMap(buildNamespaceMap(engine, 'acme'), { budgetBytes: BUDGET, ...(maxShards ? { maxShards } : {}) });
}

/** Resolves when `mounted` reaches `state` (polled: the reader's own timers and watchers move it). */
async function untilState(mounted: MountedPermissionMap, state: MountedMapState, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (mounted.state !== state) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for state ${state}; it is ${mounted.state}`);
    await new Promise((r) => setTimeout(r, 10));
  }
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
    expect(mounted.lastError?.reason).toBe('Absent');
    expect(mounted.state).toBe('absent');
    expect(mounted.staleSince).toBeUndefined();
    expect(mounted.can('user-00', 'RIGHT_APPLICATION_INFO', 'Application/acme/x')).toBe(false);
    const reloaded = waitFor<PermissionMap>((resolve) => (onReload = resolve), 'the first map');
    new KubeletVolume(root).write(filesOf(v1));
    expect((await reloaded).contentHash).toBe(v1.contentHash);
  });

  test('a plain directory of files (no ..data) reads too', () => {
    for (const [key, value] of filesOf(v1)) writeFileSync(join(root, key), value);
    expect(readMountedMap(root).contentHash).toBe(v1.contentHash);
  });

  describe('a revocation always reaches a running reader', () => {
    const GRANT = ['user-00', 'RIGHT_APPLICATION_INFO', 'Application/acme/x'] as const;

    test('the map deleted (the volume emptied): no rights at once, as a fresh reader would say', async () => {
      const volume = new KubeletVolume(root);
      volume.write(filesOf(v1));
      mounted = MountedPermissionMap.open(root, { pollIntervalMs: 0 });
      expect(mounted.can(...GRANT)).toBe(true);
      volume.write({});
      await untilState(mounted, 'absent');
      expect(mounted.can(...GRANT)).toBe(false);
      expect(mounted.current).toBeUndefined();
      expect(mounted.lastError?.reason).toBe('Absent');
      expect(mounted.staleSince).toBeUndefined(); // nothing is mounted, and nothing is what it answers
      expect(readMountedMap.bind(undefined, root)).toThrow(PermissionMapError);
    });

    test('the index alone deleted (shards left): no rights at once', async () => {
      const volumes = new Map([...byConfigMap(v1)].map(([name, data]) => {
        const v = new KubeletVolume(join(root, name));
        v.write(data);
        return [name, v] as const;
      }));
      mounted = MountedPermissionMap.open(root, { pollIntervalMs: 25 });
      expect(mounted.can(...GRANT)).toBe(true);
      rmSync(join(root, 'charter-permissions'), { recursive: true });
      await untilState(mounted, 'absent');
      expect(mounted.can(...GRANT)).toBe(false);
      expect(volumes.size).toBeGreaterThan(1);
    });

    test('the operator’s empty map replaces it: every check false, state empty, not stale', async () => {
      const volume = new KubeletVolume(root);
      volume.write(filesOf(v1));
      const states: MountedMapState[] = [];
      mounted = MountedPermissionMap.open(root, { pollIntervalMs: 0, onStateChange: (s) => states.push(s) });
      volume.write(filesOf(mapWrite(0)));
      await untilState(mounted, 'empty');
      expect(mounted.can(...GRANT)).toBe(false);
      expect(mounted.current?.isEmpty).toBe(true);
      expect(mounted.current?.covers('Application/acme/x')).toBe(false);
      expect(mounted.staleSince).toBeUndefined();
      expect(states).toEqual(['loaded', 'empty']);
    });

    test('a torn update keeps the last map for graceMs at most, then every check is false; staleSince says since when', async () => {
      const volume = new KubeletVolume(root);
      volume.write(filesOf(v1));
      let clock = NOW;
      mounted = MountedPermissionMap.open(root, { pollIntervalMs: 0, watch: false, graceMs: 60_000, now: () => clock });
      const torn = new Map(filesOf(v1));
      torn.set('index.json', filesOf(v2).get('index.json')!);
      volume.write(torn);
      clock += 1000;
      mounted.refresh();
      expect(mounted.state).toBe('held');
      expect(mounted.lastError?.reason).toBe('Torn');
      expect(mounted.staleSince).toBe(NOW + 1000);
      expect(mounted.can(...GRANT)).toBe(true); // briefly: the kubelet is probably still writing
      clock += 59_000;
      expect(mounted.state).toBe('held');
      clock += 1000;
      expect(mounted.status()).toMatchObject({ state: 'failed', staleSince: NOW + 1000, staleSeconds: 60, contentHash: undefined });
      expect(mounted.can(...GRANT)).toBe(false);
      clock += 5000;
      mounted.refresh(); // still torn: still failed, still stale since the first failure
      expect(mounted.state).toBe('failed');
      expect(mounted.staleSince).toBe(NOW + 1000);
      volume.write(filesOf(v2));
      expect(mounted.refresh()).toBe(true);
      expect(mounted.status()).toMatchObject({ state: 'loaded', staleSince: undefined, staleSeconds: 0, contentHash: v2.contentHash });
      expect(mounted.can('user-00', 'RIGHT_APPLICATION_DELETE', 'Application/acme/x')).toBe(true);
    });

    test('the grace period ends on its own timer, without another look at the volume', async () => {
      const volume = new KubeletVolume(root);
      volume.write(filesOf(v1));
      mounted = MountedPermissionMap.open(root, { pollIntervalMs: 0, watch: false, graceMs: 50 });
      const torn = new Map(filesOf(v1));
      torn.set('index.json', filesOf(v2).get('index.json')!);
      volume.write(torn);
      mounted.refresh();
      expect(mounted.can(...GRANT)).toBe(true);
      await new Promise((r) => setTimeout(r, 120));
      expect(mounted.can(...GRANT)).toBe(false);
      expect(mounted.current).toBeUndefined();
    });

    test('a map that grew past the mounted shards (the index names one the volume lacks) fails closed after graceMs, visibly', async () => {
      const volume = new KubeletVolume(root);
      volume.write(filesOf(v1));
      mounted = MountedPermissionMap.open(root, { pollIntervalMs: 0, watch: false, graceMs: 0 });
      const grown = new Map(filesOf(v2));
      grown.delete(v2.index.shards.at(-1)!.key); // the Pod mounts one shard fewer than the map now has
      volume.write(grown);
      mounted.refresh();
      expect(mounted.lastError?.reason).toBe('Missing');
      expect(mounted.state).toBe('failed');
      expect(mounted.staleSince).toBeDefined();
      expect(mounted.can(...GRANT)).toBe(false);
    });

    test('an invalid update (rights table reordered) is not loaded and does not keep the old map beyond graceMs', async () => {
      const volume = new KubeletVolume(root);
      volume.write(filesOf(v1));
      mounted = MountedPermissionMap.open(root, { pollIntervalMs: 0, watch: false, graceMs: 0 });
      const files = new Map(filesOf(v2));
      const index = JSON.parse(files.get('index.json')!) as { rights: string[] };
      index.rights.reverse();
      files.set('index.json', JSON.stringify(index));
      volume.write(files);
      mounted.refresh();
      expect(mounted.lastError?.reason).toBe('Invalid');
      expect(mounted.can(...GRANT)).toBe(false);
    });

    test('a withheld map: every check false, and staleSince set for a readiness probe', async () => {
      const withheld = mapWrite(1, 1);
      expect(withheld.withheld?.reason).toBe('TooManyShards');
      const volume = new KubeletVolume(root);
      volume.write(filesOf(v1));
      mounted = MountedPermissionMap.open(root, { pollIntervalMs: 0, watch: false });
      volume.write(filesOf(withheld));
      mounted.refresh();
      expect(mounted.state).toBe('withheld');
      expect(mounted.current?.withheld?.reason).toBe('TooManyShards');
      expect(mounted.staleSince).toBeDefined();
      expect(mounted.can(...GRANT)).toBe(false);
      volume.write(filesOf(v1));
      mounted.refresh();
      expect(mounted.state).toBe('loaded');
      expect(mounted.staleSince).toBeUndefined();
    });

    test('a file that cannot be read is PermissionMapError Unreadable, never a raw file system error', () => {
      mkdirSync(join(root, 'index.json'));
      let error: unknown;
      try {
        readMountedMap(root);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(PermissionMapError);
      expect((error as PermissionMapError).reason).toBe('Unreadable');
      mounted = MountedPermissionMap.open(root, { pollIntervalMs: 0, watch: false });
      expect(mounted.state).toBe('failed');
    });
  });
});
