/**
 * The kubelet swapping a volume while the reader loads it: `..data` resolved, then pointed at a new directory and the
 * old one deleted before the reader reads through it. The load must answer from the new content, never report the
 * map absent (every check false for a moment) or torn. node:fs is wrapped so that the swap happens exactly there.
 */
import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals';
import * as realFs from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

/**
 * Called once after readlinkSync resolved a `..data` (with the directory it is in), after `skipResolves` earlier
 * resolves; set by a test, cleared after it.
 */
let afterResolve: ((dir: string) => void) | undefined;
let skipResolves = 0;

jest.unstable_mockModule('node:fs', () => ({
  ...realFs,
  default: realFs,
  readlinkSync: (path: realFs.PathLike, ...rest: unknown[]) => {
    const target = (realFs.readlinkSync as (...a: unknown[]) => string)(path, ...rest);
    if (basename(String(path)) === '..data' && afterResolve && skipResolves-- <= 0) {
      const hook = afterResolve;
      afterResolve = undefined; // once: the retry reads the new content undisturbed
      hook(join(String(path), '..'));
    }
    return target;
  },
}));

const { readMountedMap, MountedPermissionMap } = await import('../../src/reader/mounted-map.ts');
const { buildNamespaceMap } = await import('../../src/permission-map/build-maps.ts');
const { shardMap } = await import('../../src/permission-map/shard.ts');
const { collab, engineOf, modelOf, org, user } = await import('./engine/support.ts');
const { filesOf } = await import('./permission-map.support.ts');
const { KubeletVolume } = await import('../support/kubelet-volume.ts');

const NOW = Date.parse('2026-06-01T00:00:00Z');

function mapFiles(rights: string[], budgetBytes?: number): Map<string, string> {
  const users = Array.from({ length: 60 }, (_, i) => user(`user-${String(i).padStart(2, '0')}`));
  const engine = engineOf(
    modelOf(
      org('acme', { namespaces: ['acme'] }),
      user('root', { admin: true }),
      ...users,
      collab('acme/m-0', 'User/user-00', 'Organization/acme', rights),
      ...users.map((u, i) => collab(`acme/c-${i}`, `User/${u.name}`, `Application/app-${i}`, ['RIGHT_APPLICATION_LINK'])),
    ),
    { now: NOW },
  );
  return filesOf(shardMap(buildNamespaceMap(engine, 'acme'), budgetBytes ? { budgetBytes } : {}));
}

describe.each([
  ['one ConfigMap', undefined],
  ['sharded', 2600],
])('a volume swapped between resolving ..data and reading (%s)', (_label, budget) => {
  const before = mapFiles(['RIGHT_APPLICATION_INFO'], budget);
  const after = mapFiles(['RIGHT_APPLICATION_ALL'], budget);
  let root: string;
  beforeEach(() => {
    root = realFs.mkdtempSync(join(tmpdir(), 'charter-swap-'));
  });
  afterEach(() => {
    afterResolve = undefined;
    skipResolves = 0;
    realFs.rmSync(root, { recursive: true, force: true });
  });

  test('the swap really removes what the first resolve pointed at (the test bites)', () => {
    const volume = new KubeletVolume(root);
    volume.write(before);
    const first = realFs.readlinkSync(join(root, '..data'));
    volume.write(after);
    expect(realFs.existsSync(join(root, first))).toBe(false);
  });

  test('readMountedMap loads the new content', () => {
    const volume = new KubeletVolume(root);
    volume.write(before);
    let swaps = 0;
    afterResolve = () => {
      swaps++;
      volume.write(after);
    };
    const map = readMountedMap(root);
    expect(swaps).toBe(1);
    expect(map.can('user-00', 'RIGHT_APPLICATION_DELETE', 'Application/acme/x')).toBe(true);
  });

  test('a running reader never drops to absent, and answers from the new map', () => {
    const volume = new KubeletVolume(root);
    volume.write(before);
    const states: string[] = [];
    const mounted = MountedPermissionMap.open(root, { watch: false, pollIntervalMs: 0, onStateChange: (s) => states.push(s) });
    try {
      expect(mounted.can('user-00', 'RIGHT_APPLICATION_INFO', 'Application/acme/x')).toBe(true);
      volume.write(before); // an update the reader has not seen: its next look loads
      skipResolves = 1; // refresh's fingerprint resolves ..data first, then the load
      afterResolve = () => volume.write(after);
      expect(mounted.refresh()).toBe(true);
      expect(mounted.state).toBe('loaded');
      expect(mounted.lastError).toBeUndefined();
      expect(states).not.toContain('absent');
      expect(mounted.can('user-00', 'RIGHT_APPLICATION_DELETE', 'Application/acme/x')).toBe(true);
    } finally {
      mounted.close();
    }
  });

  test('the map deleted meanwhile is still absent (a retry never resurrects what is gone)', () => {
    const volume = new KubeletVolume(root);
    volume.write(before);
    afterResolve = () => volume.write(new Map());
    expect(() => readMountedMap(root)).toThrow(expect.objectContaining({ reason: 'Absent' }) as unknown as Error);
  });
});
