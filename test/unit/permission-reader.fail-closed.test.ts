/**
 * Reader rules found unheld by a fail-closed audit (2026-12-03): each test fails with the bug it names planted — a
 * shard compared by length only, rows of one user not united, an empty entity name covered, the grace period
 * restarted at each failed look, `can()` answering from a held map past its grace period when the timer is late.
 */
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildNamespaceMap } from '../../src/permission-map/build-maps.ts';
import { shardMap, type PermissionMapWrite } from '../../src/permission-map/shard.ts';
import { MountedPermissionMap } from '../../src/reader/mounted-map.ts';
import { PermissionMapError, parsePermissionMap } from '../../src/reader/permission-reader.ts';
import { collab, engineOf, modelOf, org, user } from './engine/support.ts';
import { filesOf, resealed } from './permission-map.support.ts';
import { KubeletVolume } from '../support/kubelet-volume.ts';

const NOW = Date.parse('2026-06-01T00:00:00Z');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = any;

/** Two versions of one small map: v2 revokes bob's RIGHT_APPLICATION_DELETE and grants DEVICES_READ (mask 21 -> 22: same length). */
function versions(): { v1: PermissionMapWrite; v2: PermissionMapWrite } {
  const make = (rights: string[]) =>
    shardMap(buildNamespaceMap(engineOf(modelOf(org('acme', { namespaces: ['acme'] }), user('bob'), user('carol'),
      collab('acme/m-bob', 'User/bob', 'Organization/acme', rights),
      collab('acme/m-carol', 'User/carol', 'Organization/acme', ['RIGHT_APPLICATION_INFO'])), { now: NOW }), 'acme'));
  return { v1: make(['RIGHT_APPLICATION_INFO', 'RIGHT_APPLICATION_DELETE']), v2: make(['RIGHT_APPLICATION_INFO', 'RIGHT_APPLICATION_DEVICES_READ']) };
}
const reasonOf = (files: ReadonlyMap<string, string>): string => {
  try {
    parsePermissionMap((k) => files.get(k));
    return 'loaded';
  } catch (e) {
    return (e as PermissionMapError).reason;
  }
};

describe('the reader refuses or unites', () => {
  test('a torn update whose shard has the same length (one mask bit moved) is Torn: the SHA-256, not the length, catches it', () => {
    const { v1, v2 } = versions();
    const key = v1.index.shards[0]!.key;
    expect(v1.index.shards[0]!.bytes).toBe(v2.index.shards[0]!.bytes); // same length, other content
    expect(v1.index.shards[0]!.sha256).not.toBe(v2.index.shards[0]!.sha256);
    const torn = new Map(filesOf(v2)).set(key, filesOf(v1).get(key)!); // new index (revoking), old shard (granting)
    expect(reasonOf(torn)).toBe('Torn');
  });

  test('a user in rows of two shards holds the union', () => {
    const { v1 } = versions();
    // Split into two shards by hand: the index lists charter-permissions-0 and -1, bob in a row of each.
    const files = filesOf(v1);
    const index = JSON.parse(files.get('index.json')!) as Doc;
    const shard = JSON.parse(files.get(index.shards[0].key)!) as Doc;
    const a = { ...shard, rows: [{ users: ['bob'], entities: { Application: { one: 0 } } }], sets: ['1'] };
    const b = { ...shard, rows: [{ users: ['dave', 'bob'], entities: { Application: { two: 0 } } }], sets: ['1'] };
    const split = new Map([['index.json', files.get('index.json')!], ['charter-permissions-0.json', JSON.stringify(a)], ['charter-permissions-1.json', JSON.stringify(b)]]);
    const sealed = resealed(split, (ix) => { ix.shards = [{ configMap: 'charter-permissions-0', key: 'charter-permissions-0.json', sha256: '', bytes: 0 }, { configMap: 'charter-permissions-1', key: 'charter-permissions-1.json', sha256: '', bytes: 0 }]; });
    const sealed2 = resealed(sealed, () => undefined); // seal with the shards now listed
    const map = parsePermissionMap((k) => sealed2.get(k));
    const right = map.rightNames[0]!;
    expect(map.can('bob', right, 'Application/acme/one')).toBe(true);
    expect(map.can('bob', right, 'Application/acme/two')).toBe(true);
  });

  test('an entity with an empty name is not covered: no default rights for `Application/acme/`', () => {
    const map = parsePermissionMap((k) => filesOf(versions().v1).get(k));
    expect(map.can('carol', 'RIGHT_APPLICATION_INFO', 'Application/acme/x')).toBe(true);
    expect(map.can('carol', 'RIGHT_APPLICATION_INFO', 'Application/acme/')).toBe(false);
    expect(map.covers('Application/acme/')).toBe(false);
  });
});

describe('the grace period of a held map', () => {
  let root: string;
  let mounted: MountedPermissionMap | undefined;
  beforeEach(() => { root = mkdtempSync(join(tmpdir(), 'reader-grace-')); });
  afterEach(() => {
    mounted?.close();
    rmSync(root, { recursive: true, force: true });
  });
  const torn = (): { volume: KubeletVolume; clock: { t: number } } => {
    const { v1, v2 } = versions();
    const volume = new KubeletVolume(root);
    volume.write(filesOf(v1));
    const clock = { t: NOW };
    mounted = MountedPermissionMap.open(root, { pollIntervalMs: 0, watch: false, graceMs: 60_000, now: () => clock.t });
    const t = new Map(filesOf(v2)).set('charter-permissions.json', filesOf(v1).get('charter-permissions.json')!);
    t.set('index.json', filesOf(v2).get('index.json')!);
    // index of v2 with the shard of v1: torn
    volume.write(t);
    return { volume, clock };
  };

  test('looks at a still-torn volume do not extend the grace period (counted from the first failed look)', () => {
    const { clock } = torn();
    for (let i = 0; i < 7; i++) { // the periodic check, every 10 s
      clock.t += 10_000;
      mounted!.refresh();
    }
    // 70 s after the first failed look at 10 s: 60 s of grace are over
    expect(mounted!.state).toBe('failed');
    expect(mounted!.can('bob', 'RIGHT_APPLICATION_DELETE', 'Application/acme/x')).toBe(false);
  });

  test('can() itself does not answer from a held map past its grace period (no reliance on the timer or on state)', () => {
    const { clock } = torn();
    clock.t += 1000;
    mounted!.refresh();
    expect(mounted!.can('bob', 'RIGHT_APPLICATION_DELETE', 'Application/acme/x')).toBe(true); // held: allowed by design
    clock.t += 61_000; // grace over; the timer (real time) has not fired yet, nobody read `state`
    expect(mounted!.can('bob', 'RIGHT_APPLICATION_DELETE', 'Application/acme/x')).toBe(false);
  });
});
