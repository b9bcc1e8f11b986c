/**
 * The views: `charter can --user U` without `--on` (everything a user holds, by namespace) and `charter who --on E`
 * (who holds rights there, and how), on examples/aspera. What they compute is held equal to `evaluate` by
 * test/unit/engine/access-views.property.test.ts; these tests hold the command lines and their output forms.
 */
import { describe, expect, test } from '@jest/globals';
import { openWorkspace } from '../../../src/cli/workspace.ts';
import { userAccess } from '../../../src/engine/access-views.ts';
import { shardMap } from '../../../src/permission-map/shard.ts';
import { buildPermissionMaps } from '../../../src/permission-map/build-maps.ts';
import { readBack } from '../permission-map.support.ts';
import { charter } from './support.ts';

const A = ['examples/aspera', '--catalog', 'catalogs/aspera.yaml', '--at', '2026-06-01T00:00:00Z'];
const SHARE_ALL = ['RIGHT_SHARE_AUTHORIZE', 'RIGHT_SHARE_BROWSE', 'RIGHT_SHARE_DELETE', 'RIGHT_SHARE_DOWNLOAD', 'RIGHT_SHARE_MKDIR', 'RIGHT_SHARE_RENAME', 'RIGHT_SHARE_UPLOAD'];

describe('charter can without --on', () => {
  test('text: the entities a user holds rights on, grouped by namespace, then the cluster-scoped ones', async () => {
    const run = await charter('can', ...A, '--user', 'dan');
    expect(run).toEqual({
      code: 0,
      stderr: [],
      stdout: [
        'User/dan (Approved) at 2026-06-01T00:00:00.000Z: 5 entities named, 2 namespaces',
        'namespace media (owned by Organization/media)',
        '  Project/media/launch: RIGHT_PROJECT_BROWSE, RIGHT_PROJECT_DOWNLOAD',
        '  Share/media/dailies: RIGHT_SHARE_BROWSE, RIGHT_SHARE_DOWNLOAD, RIGHT_SHARE_MKDIR, RIGHT_SHARE_RENAME, RIGHT_SHARE_UPLOAD',
        '  Share/media/masters: RIGHT_SHARE_BROWSE, RIGHT_SHARE_DOWNLOAD',
        'namespace media-archive (owned by Organization/media)',
        '  Share/media-archive/archive-2019: RIGHT_SHARE_BROWSE, RIGHT_SHARE_DOWNLOAD',
        'cluster-scoped',
        '  User/dan: RIGHT_USER_DELETE, RIGHT_USER_INFO, RIGHT_USER_SETTINGS',
      ],
    });
  });
  test('json: ownership as "every <Kind>" of a namespace, admin rights as "everywhere"', async () => {
    const olga = JSON.parse((await charter('can', ...A, '--user', 'olga', '-o', 'json')).stdout.join('\n'));
    expect(olga.source).toBe('manifests');
    expect(olga.admin).toBeUndefined();
    expect(olga.namespaces.map((n: { namespace: string }) => n.namespace)).toEqual(['media', 'media-archive', 'media-promo']);
    expect(olga.namespaces[0]).toMatchObject({ organization: 'media', entities: {}, every: { Share: SHARE_ALL } });
    expect(Object.keys(olga.cluster)).toEqual(['Organization/media', 'Organization/promo', 'User/olga']);
    const sysop = JSON.parse((await charter('can', ...A, '--user', 'sysop', '-o', 'json')).stdout.join('\n'));
    expect(sysop.admin.Share).toEqual(SHARE_ALL);
    expect(sysop.namespaces).toEqual([]);
  });
  test('a restricted user holds only its state rights on itself; an unknown user nothing', async () => {
    const zoe = JSON.parse((await charter('can', ...A, '--user', 'zoe', '-o', 'json')).stdout.join('\n'));
    expect(zoe).toMatchObject({ state: 'Suspended', namespaces: [], cluster: { 'User/zoe': ['RIGHT_USER_INFO'] } });
    const nobody = await charter('can', ...A, '--user', 'nobody');
    expect(nobody.stdout).toEqual(['User/nobody (no such user) at 2026-06-01T00:00:00.000Z: 0 entities named, 0 namespaces']);
  });
});

describe('charter who', () => {
  test('text: each user with the kinds of path, and the explain command', async () => {
    const run = await charter('who', ...A, '--on', 'Share/media/masters');
    expect(run.code).toBe(0);
    expect(run.stdout).toEqual([
      'Share/media/masters at 2026-06-01T00:00:00.000Z: 8 users holding rights',
      'USER   VIA            RIGHTS',
      'dan    group          2',
      'ed     group          2',
      'gina   organization   7',
      'hank   organization   7',
      'olga   organization   7',
      'sid    direct, group  4',
      'sysop  admin          7',
      'tara   organization   7',
      'why: charter explain examples/aspera --catalog catalogs/aspera.yaml --at 2026-06-01T00:00:00Z --user USER --on Share/media/masters',
    ]);
  });
  test('--right: the holders of that right and how they hold it; json with an explain command each', async () => {
    const run = await charter('who', ...A, '--on', 'Share/media/masters', '--right', 'RIGHT_SHARE_UPLOAD', '-o', 'json');
    const doc = JSON.parse(run.stdout.join('\n'));
    expect(doc.right).toBe('RIGHT_SHARE_UPLOAD');
    expect(doc.users.map((u: { user: string; via: string[] }) => `${u.user}:${u.via.join('+')}`)).toEqual(['gina:organization', 'hank:organization', 'olga:organization', 'sid:direct', 'sysop:admin', 'tara:organization']);
    expect(doc.users[3].explain).toBe('charter explain examples/aspera --catalog catalogs/aspera.yaml --at 2026-06-01T00:00:00Z --user sid --on Share/media/masters');
  });
  test('self on a User entity; members on an Organization', async () => {
    const zoe = JSON.parse((await charter('who', ...A, '--on', 'User/zoe', '-o', 'json')).stdout.join('\n'));
    expect(zoe.users.map((u: { user: string; via: string[] }) => `${u.user}:${u.via.join('+')}`)).toEqual(['sysop:admin', 'zoe:self']);
    const org = JSON.parse((await charter('who', ...A, '--on', 'Organization/media', '-o', 'json')).stdout.join('\n'));
    expect(org.users.map((u: { user: string }) => u.user)).toEqual(['gina', 'hank', 'olga', 'sysop', 'tara', 'walt']);
  });
  test('bad input: exit 2 naming the option', async () => {
    const right = await charter('who', ...A, '--on', 'Share/media/masters', '--right', 'RIGHT_PROJECT_BROWSE');
    expect(right).toEqual({ code: 2, stdout: [], stderr: ['charter: --right: RIGHT_PROJECT_BROWSE is not a right of kind Share in catalog aspera-shares'] });
    const entity = await charter('who', ...A, '--on', 'Share/masters');
    expect(entity.code).toBe(2);
    expect(entity.stderr.join('\n')).toContain('--on: Entity "Share/masters": expected Share/<namespace>/<name>');
    expect((await charter('who', ...A)).code).toBe(2);
  });
});

describe('the reader: what a user holds in one map', () => {
  test('holdings(user) == the manifests view restricted to the namespace (admin rights folded into "every <Kind>")', () => {
    const { engine } = openWorkspace(['examples/aspera'], { catalog: 'catalogs/aspera.yaml', at: '2026-06-01T00:00:00Z' });
    const maps = [...buildPermissionMaps(engine)].map(([ns, map]) => [ns, readBack(shardMap(map, { budgetBytes: 2500 }))] as const);
    for (const user of [...engine.model.users.keys(), 'nobody']) {
      const view = userAccess(engine, user);
      for (const [ns, map] of maps) {
        const own = view.namespaces.find((n) => n.namespace === ns);
        const every: Record<string, string[]> = {};
        for (const kind of map.kinds) {
          const rights = [...new Set([...(own?.every[kind] ?? []), ...(view.admin?.[kind] ?? [])])].sort();
          if (rights.length > 0) every[kind] = rights;
        }
        const entities: Record<string, string[]> = {};
        for (const [key, rights] of Object.entries(own?.entities ?? {})) if (rights.some((r) => !(every[key.split('/')[0]!] ?? []).includes(r))) entities[key] = rights;
        const org = map.organization === undefined ? undefined : `Organization/${map.organization}`;
        if (org !== undefined && (view.cluster[org] ?? view.admin?.Organization)) entities[org] = view.cluster[org] ?? view.admin!.Organization!;
        expect({ user, ns, holdings: map.holdings(user) }).toEqual({ user, ns, holdings: { admin: view.admin !== undefined, every, entities } });
      }
    }
  });
});
