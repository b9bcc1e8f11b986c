/**
 * The ConfigMap writer's decisions, against a fake API that records every request: what it writes (shards first, the
 * index last), what it skips (a map the cluster already holds, even with another evaluation time), what it restores
 * (drift), what it throws for the queue to retry (409, 5xx, timeouts), and where it fails closed: a namespace whose
 * grants are all revoked gets the empty map (its index is never deleted), and a map too big for its shards is withheld
 * (the empty map again, saying why, with a Warning Event).
 */
import { describe, expect, test } from '@jest/globals';
import { ConfigMapWriter, dataDigest, withDataDigest, type ExistingConfigMap, type MapWriteOutcome } from '../../../src/controller/configmap-writer.ts';
import { EventRecorder } from '../../../src/controller/event-recorder.ts';
import type { Engine } from '../../../src/engine/engine.ts';
import { INDEX_KEY } from '../../../src/permission-map/shard.ts';
import { parsePermissionMap } from '../../../src/reader/permission-reader.ts';
import { collab, engineOf, modelOf, org, user } from '../engine/support.ts';
import { existingConfigMap } from './builders.ts';
import { FakeApi, answers, fails, timesOut, type Action } from './fake-api.ts';

const NOW = Date.parse('2026-06-01T00:00:00Z');
const CMS = '/api/v1/namespaces/acme/configmaps';
const INDEX = 'charter-permissions';

/** `n` users, each holding one right on an application of namespace acme (not owned by any organization). */
function granted(n: number, now = NOW): Engine {
  const users = Array.from({ length: n }, (_, i) => `user-${i}`);
  return engineOf(modelOf(...users.map((u) => user(u)), ...users.map((u, i) => collab(`acme/c-${u}`, `User/${u}`, `Application/app${i}`, ['RIGHT_APPLICATION_INFO']))), { now });
}
/** The same users with every grant revoked. */
const revoked = (n: number): Engine => engineOf(modelOf(...Array.from({ length: n }, (_, i) => user(`user-${i}`))), { now: NOW });

/** What the cluster holds after these writes (the bodies of the POSTs and PUTs), as the informer would show it. */
function heldAfter(actions: Action[], before: readonly ExistingConfigMap[] = []): ExistingConfigMap[] {
  const held = new Map(before.map((cm) => [cm.metadata?.name ?? '', cm]));
  for (const a of actions) {
    if (a.method === 'POST' || a.method === 'PUT') {
      const body = a.body as ExistingConfigMap;
      held.set(body.metadata?.name ?? '', { ...body, metadata: { ...body.metadata, resourceVersion: '8' } });
    } else if (a.method === 'DELETE') held.delete(a.path.split('/').pop()!);
  }
  return [...held.values()];
}

interface Options {
  budgetBytes?: number;
  maxShards?: number;
  events?: EventRecorder;
}
function writer(api: FakeApi, writes: string[] = [], options: Options = {}): ConfigMapWriter {
  return new ConfigMapWriter({ api, ...options, onWrite: (verb, ok, conflict) => writes.push(`${verb}:${ok ? 'ok' : conflict ? 'conflict' : 'error'}`) });
}

/** The map the cluster holds after a first publish of `engine`'s map. */
async function published(engine: Engine, options: Options = {}): Promise<ExistingConfigMap[]> {
  const api = new FakeApi();
  await writer(api, [], options).sync(engine, 'acme', []);
  return heldAfter(api.actions);
}

const indexOf = (action: Action | undefined): Record<string, unknown> => JSON.parse((action?.body as ExistingConfigMap).data![INDEX_KEY]!) as Record<string, unknown>;
const SHARDED = { budgetBytes: 2500 }; // 40 users need two shards at this budget

describe('what is written and what is skipped', () => {
  interface Row {
    name: string;
    engine: () => Engine;
    existing: () => Promise<ExistingConfigMap[]>;
    options?: Options;
    verbs: string[];
    outcome: Partial<MapWriteOutcome>;
  }
  const rows: Row[] = [
    {
      name: 'a first small map: one ConfigMap holding the index and the shard',
      engine: () => granted(3),
      existing: async () => [],
      verbs: [`POST ${CMS}`],
      outcome: { written: [INDEX], deleted: [], published: 'map' },
    },
    {
      name: 'a first sharded map: the shards first, the index last',
      engine: () => granted(40),
      existing: async () => [],
      options: SHARDED,
      verbs: [`POST ${CMS}`, `POST ${CMS}`, `POST ${CMS}`],
      outcome: { written: [`${INDEX}-0`, `${INDEX}-1`, INDEX], published: 'map' },
    },
    {
      name: 'the map the cluster holds: nothing',
      engine: () => granted(40),
      existing: () => published(granted(40), SHARDED),
      options: SHARDED,
      verbs: [],
      outcome: { written: [], deleted: [], published: 'map' },
    },
    {
      name: 'the same map evaluated later (only evaluatedAt differs): nothing',
      engine: () => granted(3, NOW + 3_600_000),
      existing: () => published(granted(3)),
      verbs: [],
      outcome: { written: [], deleted: [] },
    },
    {
      name: "a shard someone edited: that shard is written back, with the informer's resourceVersion",
      engine: () => granted(40),
      existing: async () => (await published(granted(40), SHARDED)).map((cm) => (cm.metadata?.name === `${INDEX}-1` ? { ...cm, data: { [`${INDEX}-1.json`]: '{}' } } : cm)),
      options: SHARDED,
      verbs: [`PUT ${CMS}/${INDEX}-1`],
      outcome: { written: [`${INDEX}-1`] },
    },
    {
      name: "an index whose content-hash annotation someone changed: the index is written back",
      engine: () => granted(3),
      existing: async () => (await published(granted(3))).map((cm) => ({ ...cm, metadata: { ...cm.metadata, annotations: { 'charter.dev/content-hash': 'sha256:0' } } })),
      verbs: [`PUT ${CMS}/${INDEX}`],
      outcome: { written: [INDEX] },
    },
    {
      name: 'a sharded map that fits in one ConfigMap again: the index (holding its shard) first, then the obsolete shards deleted',
      engine: () => granted(3),
      existing: () => published(granted(40), SHARDED),
      options: SHARDED,
      verbs: [`PUT ${CMS}/${INDEX}`, `DELETE ${CMS}/${INDEX}-0`, `DELETE ${CMS}/${INDEX}-1`],
      outcome: { written: [INDEX], deleted: [`${INDEX}-0`, `${INDEX}-1`] },
    },
    {
      name: 'a namespace with no map and no ConfigMaps: nothing',
      engine: () => revoked(3),
      existing: async () => [],
      verbs: [],
      outcome: { written: [], deleted: [], published: 'none' },
    },
  ];
  test.each(rows)('$name', async ({ engine, existing, options, verbs, outcome }) => {
    const api = new FakeApi();
    const result = await writer(api, [], options).sync(engine(), 'acme', await existing());
    expect(api.verbs).toEqual(verbs);
    expect(result).toMatchObject(outcome);
  });

  // The operator's informer keeps a digest of each ConfigMap's data, not the data: the same decisions from it.
  test.each(rows)('$name — from the digests the informer keeps', async ({ engine, existing, options, verbs, outcome }) => {
    const api = new FakeApi();
    const kept = (await existing()).map(withDataDigest);
    for (const cm of kept) expect(cm.data).toBeUndefined();
    const result = await writer(api, [], options).sync(engine(), 'acme', kept);
    expect(api.verbs).toEqual(verbs);
    expect(result).toMatchObject(outcome);
  });

  test('what a write holds: the map labels, the content hash, fieldManager charter, and for an update the resourceVersion', async () => {
    const api = new FakeApi();
    await writer(api).sync(granted(3), 'acme', []);
    expect(api.actions[0]).toMatchObject({
      query: { fieldManager: 'charter' },
      body: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: INDEX,
          namespace: 'acme',
          labels: { 'app.kubernetes.io/managed-by': 'charter', 'charter.dev/permission-map': 'true', 'charter.dev/permission-map-part': 'index' },
          annotations: { 'charter.dev/content-hash': expect.stringMatching(/^sha256:/) },
        },
      },
    });
    const edited = (await published(granted(3))).map((cm) => ({ ...cm, data: {} }));
    const again = new FakeApi();
    await writer(again).sync(granted(3), 'acme', edited);
    expect(again.actions[0]).toMatchObject({ method: 'PUT', body: { metadata: { resourceVersion: '8' } } });
  });
});

describe('the digest the informer keeps in place of the data', () => {
  const data = async (): Promise<Record<string, string>> => (await published(granted(40), SHARDED)).find((cm) => cm.metadata?.name === INDEX)!.data!;
  test('equal content, equal digest: key order and the index evaluation time do not count', async () => {
    const d = await data();
    const index = JSON.parse(d[INDEX_KEY]!) as Record<string, unknown>;
    const later = { ...d, [INDEX_KEY]: JSON.stringify({ ...index, evaluatedAt: '2030-01-01T00:00:00Z' }) };
    const reordered = Object.fromEntries(Object.entries(later).reverse());
    expect(dataDigest(reordered)).toBe(dataDigest(d));
  });
  test('any other difference: another digest (a key added or removed, a character of a value, the index content)', async () => {
    const d = await data();
    const index = JSON.parse(d[INDEX_KEY]!) as Record<string, unknown>;
    const others = [
      { ...d, extra: '' },
      Object.fromEntries(Object.entries(d).filter(([k]) => k !== INDEX_KEY)),
      { ...d, [INDEX_KEY]: d[INDEX_KEY]!.replace('"', "'") },
      { ...d, [INDEX_KEY]: JSON.stringify({ ...index, shards: [] }) },
      {},
    ];
    for (const other of others) expect(dataDigest(other)).not.toBe(dataDigest(d));
    expect(withDataDigest({ metadata: { name: INDEX }, data: d })).toEqual({ metadata: { name: INDEX }, dataDigest: dataDigest(d) });
  });
});

describe('fail closed', () => {
  test('every grant revoked: the empty map replaces it (the index is never deleted), then the obsolete shards go', async () => {
    const api = new FakeApi();
    const result = await writer(api, [], SHARDED).sync(revoked(40), 'acme', await published(granted(40), SHARDED));
    expect(api.verbs).toEqual([`PUT ${CMS}/${INDEX}`, `DELETE ${CMS}/${INDEX}-0`, `DELETE ${CMS}/${INDEX}-1`]);
    expect(result).toMatchObject({ published: 'empty', written: [INDEX], deleted: [`${INDEX}-0`, `${INDEX}-1`] });
    const shard = JSON.parse((api.actions[0]!.body as ExistingConfigMap).data![`${INDEX}.json`]!) as { rows: unknown[] };
    expect(shard.rows).toEqual([]);
  });

  test('the empty map, once written, is kept as it is (no write, no delete)', async () => {
    const api = new FakeApi();
    const empty = await (async () => {
      const first = new FakeApi();
      await writer(first).sync(revoked(3), 'acme', await published(granted(3)));
      return heldAfter(first.actions, await published(granted(3)));
    })();
    expect(await writer(api).sync(revoked(3), 'acme', empty)).toMatchObject({ published: 'empty', written: [], deleted: [] });
    expect(api.verbs).toEqual([]);
  });

  test('a map that needs more shards than allowed is withheld: the empty map saying why, and a Warning Event on the index', async () => {
    const api = new FakeApi();
    const events = new EventRecorder({ api, reportingInstance: 'test', now: () => NOW });
    const result = await writer(api, [], { budgetBytes: 2500, maxShards: 1, events }).sync(granted(40), 'acme', await published(granted(3)));
    expect(result.published).toBe('withheld');
    expect(result.withheld).toMatch(/shard/);
    expect(api.verbs).toEqual([`PUT ${CMS}/${INDEX}`, 'POST /apis/events.k8s.io/v1/namespaces/acme/events']);
    expect(indexOf(api.actions[0])).toMatchObject({ withheld: { reason: expect.any(String), message: result.withheld } });
    const shard = JSON.parse((api.actions[0]!.body as ExistingConfigMap).data![`${INDEX}.json`]!) as { rows: unknown[] };
    expect(shard.rows).toEqual([]);
    expect(api.actions[1]!.body).toMatchObject({ type: 'Warning', regarding: { kind: 'ConfigMap', namespace: 'acme', name: INDEX } });
  });

  test('a withheld map already published: no write and no Event again', async () => {
    const options = { budgetBytes: 2500, maxShards: 1 };
    const first = new FakeApi();
    await writer(first, [], options).sync(granted(40), 'acme', []);
    const api = new FakeApi();
    const events = new EventRecorder({ api, reportingInstance: 'test', now: () => NOW });
    const result = await writer(api, [], { ...options, events }).sync(granted(40), 'acme', heldAfter(first.actions));
    expect(result).toMatchObject({ published: 'withheld', written: [] });
    expect(api.verbs).toEqual([]);
  });
});

describe('what is left to the queue to retry, and what is not an error', () => {
  test.each([
    { name: 'a create answered 500: throws', method: 'POST', path: CMS, reactor: fails(500, 'InternalError'), existing: false, writes: ['create:error'] },
    { name: 'a create that times out: throws', method: 'POST', path: CMS, reactor: timesOut, existing: false, writes: ['create:error'] },
    { name: 'an update with a stale resourceVersion (409): throws', method: 'PUT', path: `${CMS}/${INDEX}`, reactor: fails(409, 'Conflict'), existing: true, writes: ['update:conflict'] },
    { name: 'an update answered 503: throws', method: 'PUT', path: `${CMS}/${INDEX}`, reactor: fails(503, 'ServiceUnavailable'), existing: true, writes: ['update:error'] },
  ])('$name', async ({ method, path, reactor, existing, writes }) => {
    const held = existing ? (await published(granted(3))).map((cm) => ({ ...cm, data: {} })) : [];
    const api = new FakeApi().on(method, path, reactor);
    const seen: string[] = [];
    await expect(writer(api, seen).sync(granted(3), 'acme', held)).rejects.toThrow();
    expect(api.verbs).toEqual([`${method} ${path}`]);
    expect(seen).toEqual(writes);
  });

  test('a shard that cannot be written: the index is not written (readers keep the last whole map)', async () => {
    const api = new FakeApi().on('POST', CMS, fails(500, 'InternalError'));
    await expect(writer(api, [], SHARDED).sync(granted(40), 'acme', [])).rejects.toThrow();
    expect(api.actions.map((a) => (a.body as ExistingConfigMap).metadata?.name)).toEqual([`${INDEX}-0`]);
  });

  test('a ConfigMap of that name exists without the map labels (the informer cannot see it): taken over, labels included', async () => {
    const api = new FakeApi()
      .on('POST', CMS, fails(409, 'AlreadyExists'))
      .on('GET', `${CMS}/${INDEX}`, answers(existingConfigMap('acme', INDEX, { other: 'x' }, { resourceVersion: '42' })))
      .on('PUT', `${CMS}/${INDEX}`, (action) => ({ ...(action.body as ExistingConfigMap), metadata: { ...(action.body as ExistingConfigMap).metadata, resourceVersion: '43' } }));
    const seen: string[] = [];
    const w = writer(api, seen);
    const result = await w.sync(granted(3), 'acme', []);
    expect(api.verbs).toEqual([`POST ${CMS}`, `GET ${CMS}/${INDEX}`, `PUT ${CMS}/${INDEX}`]);
    expect(api.actions[2]).toMatchObject({ body: { metadata: { resourceVersion: '42', labels: { 'charter.dev/permission-map': 'true' } } } });
    expect(result.written).toEqual([INDEX]);
    expect(seen).toEqual(['create:conflict', 'update:ok']);
    // the replacement is its own write: its echo is told apart
    expect(w.ownEcho(existingConfigMap('acme', INDEX, {}, { resourceVersion: '43' }))).toBe(true);
  });

  test('taking over a ConfigMap that was not a map (no map label): a warning logged and a Warning Event on it', async () => {
    const api = new FakeApi()
      .on('POST', CMS, fails(409, 'AlreadyExists'))
      .on('GET', `${CMS}/${INDEX}`, answers(existingConfigMap('acme', INDEX, { 'settings.yaml': 'x' }, { resourceVersion: '42', labels: { app: 'mine' } })))
      .on('PUT', `${CMS}/${INDEX}`, (action) => ({ ...(action.body as ExistingConfigMap), metadata: { ...(action.body as ExistingConfigMap).metadata, uid: 'u-1', resourceVersion: '43' } }));
    const events = new EventRecorder({ api, reportingInstance: 'test', now: () => NOW });
    const logged: Array<[string, string, Record<string, unknown>]> = [];
    const w = new ConfigMapWriter({ api, events, log: (level, message, fields) => logged.push([level, message, fields]) });
    await w.sync(granted(3), 'acme', []);
    expect(api.verbs).toEqual([`POST ${CMS}`, `GET ${CMS}/${INDEX}`, `PUT ${CMS}/${INDEX}`, 'POST /apis/events.k8s.io/v1/namespaces/acme/events']);
    expect(api.actions[3]!.body).toMatchObject({ type: 'Warning', reason: 'TakenOver', regarding: { kind: 'ConfigMap', namespace: 'acme', name: INDEX, uid: 'u-1' } });
    expect((api.actions[3]!.body as { note: string }).note).toMatch(/not a permission map .*keys settings\.yaml.*reserved/);
    expect(logged).toEqual([['warn', expect.stringMatching(/taken over/), { namespace: 'acme', name: INDEX, keys: ['settings.yaml'], labels: { app: 'mine' } }]]);
  });

  test('taking over a map ConfigMap the informer did not show (labelled): no warning, no Event', async () => {
    const labelled = existingConfigMap('acme', INDEX, {}, { resourceVersion: '42', labels: { 'charter.dev/permission-map': 'true' } });
    const api = new FakeApi()
      .on('POST', CMS, fails(409, 'AlreadyExists'))
      .on('GET', `${CMS}/${INDEX}`, answers(labelled))
      .on('PUT', `${CMS}/${INDEX}`, (action) => action.body);
    const events = new EventRecorder({ api, reportingInstance: 'test', now: () => NOW });
    const logged: unknown[] = [];
    await new ConfigMapWriter({ api, events, log: (...args) => logged.push(args) }).sync(granted(3), 'acme', []);
    expect(api.verbs).toEqual([`POST ${CMS}`, `GET ${CMS}/${INDEX}`, `PUT ${CMS}/${INDEX}`]);
    expect(logged).toEqual([]);
  });

  test('a ConfigMap of another name carrying the map labels is not the map: never replaced or deleted', async () => {
    const held = await published(granted(40), SHARDED);
    const stray = (name: string): ExistingConfigMap => ({ ...held.at(-1)!, metadata: { ...held.at(-1)!.metadata, name } });
    const api = new FakeApi();
    const result = await writer(api, [], SHARDED).sync(granted(3), 'acme', [...held, stray('my-settings'), stray(`${INDEX}-01`), stray(`${INDEX}-x`)]);
    expect(result.deleted).toEqual([`${INDEX}-0`, `${INDEX}-1`]);
    expect(api.verbs.filter((v) => v.startsWith('DELETE'))).toEqual([`DELETE ${CMS}/${INDEX}-0`, `DELETE ${CMS}/${INDEX}-1`]);
    // and in a namespace that gets no map, such a ConfigMap alone does not make the writer publish the empty map there
    const none = new FakeApi();
    expect(await writer(none).sync(revoked(3), 'acme', [stray('my-settings')])).toMatchObject({ published: 'none', written: [], deleted: [] });
    expect(none.verbs).toEqual([]);
  });

  test('an obsolete shard already deleted (404): not an error', async () => {
    const api = new FakeApi().on('DELETE', `${CMS}/${INDEX}-1`, fails(404, 'NotFound'));
    const result = await writer(api, [], SHARDED).sync(granted(3), 'acme', await published(granted(40), SHARDED));
    expect(result.deleted).toContain(`${INDEX}-1`);
  });

  test('an obsolete shard whose delete fails otherwise: throws', async () => {
    const api = new FakeApi().on('DELETE', `${CMS}/${INDEX}-1`, fails(500, 'InternalError'));
    await expect(writer(api, [], SHARDED).sync(granted(3), 'acme', await published(granted(40), SHARDED))).rejects.toThrow(/500/);
  });
});

describe('its own writes, before the informer shows them', () => {
  /** The index ConfigMap's PUTs answered with these resourceVersions, in turn. */
  const versions = (...rvs: string[]) => {
    let i = 0;
    return (action: Action) => ({ ...(action.body as ExistingConfigMap), metadata: { ...(action.body as ExistingConfigMap).metadata, resourceVersion: rvs[i++] } });
  };
  const stale = async (): Promise<ExistingConfigMap[]> => (await published(granted(3))).map((cm) => ({ ...cm, data: {} })); // resourceVersion '8'
  const rvOf = (action: Action | undefined): string | undefined => (action?.body as ExistingConfigMap).metadata?.resourceVersion;

  test('a second change before the informer saw the first: the PUT carries the version the first write got', async () => {
    const api = new FakeApi().on('PUT', `${CMS}/${INDEX}`, versions('9', '10'));
    const w = writer(api);
    const informer = await stale();
    await w.sync(granted(3), 'acme', informer);
    await w.sync(granted(4), 'acme', informer); // the informer still shows '8'
    expect(api.verbs).toEqual([`PUT ${CMS}/${INDEX}`, `PUT ${CMS}/${INDEX}`]);
    expect(api.actions.map(rvOf)).toEqual(['8', '9']);
    await w.sync(granted(5), 'acme', informer); // still '8': the chain goes on
    expect(rvOf(api.actions[2])).toBe('10');
  });

  test('the same map again before the informer saw it: not written again', async () => {
    const api = new FakeApi().on('PUT', `${CMS}/${INDEX}`, versions('9'));
    const w = writer(api);
    const informer = await stale();
    await w.sync(granted(3), 'acme', informer);
    const again = await w.sync(granted(3), 'acme', informer);
    expect(api.verbs).toEqual([`PUT ${CMS}/${INDEX}`]);
    expect(again.written).toEqual([]);
  });

  test('once the informer shows another version (caught up, or someone else wrote), its view is taken again', async () => {
    const api = new FakeApi().on('PUT', `${CMS}/${INDEX}`, versions('9', '13'));
    const w = writer(api);
    await w.sync(granted(3), 'acme', await stale());
    const drifted = (await stale()).map((cm) => ({ ...cm, metadata: { ...cm.metadata, resourceVersion: '12' } }));
    await w.sync(granted(3), 'acme', drifted); // someone emptied it at '12': restored, from '12'
    expect(api.actions.map(rvOf)).toEqual(['8', '12']);
  });

  test('a write that failed is forgotten: the next one goes by the informer', async () => {
    const api = new FakeApi().on('PUT', `${CMS}/${INDEX}`, versions('9'), 1).on('PUT', `${CMS}/${INDEX}`, fails(409, 'Conflict'), 1);
    const w = writer(api);
    const informer = await stale();
    await w.sync(granted(3), 'acme', informer);
    await expect(w.sync(granted(4), 'acme', informer)).rejects.toThrow();
    await w.sync(granted(4), 'acme', informer);
    expect(api.actions.map(rvOf)).toEqual(['8', '9', '8']);
  });

  test('the watch event of its own write is told apart (once): the version its write got, not another', async () => {
    const api = new FakeApi().on('PUT', `${CMS}/${INDEX}`, versions('9', '10'));
    const w = writer(api);
    const informer = await stale(); // '8'
    await w.sync(granted(3), 'acme', informer);
    const event = (rv: string): ExistingConfigMap => ({ ...informer[0]!, metadata: { ...informer[0]!.metadata, resourceVersion: rv } });
    expect(w.ownEcho(event('8'))).toBe(false); // the version before the write
    expect(w.ownEcho({ ...event('9'), metadata: { ...event('9').metadata, name: 'other' } })).toBe(false); // another ConfigMap
    expect(w.ownEcho(event('9'))).toBe(true);
    expect(w.ownEcho(event('9'))).toBe(false); // let go: the informer shows it
    // and with it let go, the next change goes by the informer's view ('9' now)
    await w.sync(granted(4), 'acme', [event('9')]);
    expect(api.actions.map(rvOf)).toEqual(['8', '9']);
    expect(w.ownEcho(event('10'))).toBe(true);
  });

  test('after the informer listed again, its view is believed: a ConfigMap deleted while the watch was down is written again', async () => {
    const api = new FakeApi().on('PUT', `${CMS}/${INDEX}`, versions('9'));
    const w = writer(api);
    await w.sync(granted(3), 'acme', await stale());
    const gone = await w.sync(granted(3), 'acme', []); // deleted, the deletion not seen: its own write taken as there
    expect(gone.written).toEqual([]);
    w.relisted();
    const again = await w.sync(granted(3), 'acme', []);
    expect(again.written).toEqual([INDEX]);
    expect(api.verbs.at(-1)).toBe(`POST ${CMS}`);
  });

  describe('watch events that come while its write is in flight (half its echoes come before the answer)', () => {
    /** A PUT answered with `rv` after the watch has shown the events `heard` (resourceVersions) to the writer. */
    const heardThenAnswered = (w: () => ConfigMapWriter, rv: string, ...heard: string[]) => (action: Action) => {
      const body = action.body as ExistingConfigMap;
      for (const h of heard) expect(w().ownEcho({ ...body, metadata: { ...body.metadata, resourceVersion: h } })).toBe(true); // judged at the answer
      return { ...body, metadata: { ...body.metadata, resourceVersion: rv } };
    };
    const inFlight = async (rv: string, ...heard: string[]): Promise<{ w: ConfigMapWriter; outcome: MapWriteOutcome; api: FakeApi }> => {
      let w: ConfigMapWriter | undefined;
      const api = new FakeApi().on('PUT', `${CMS}/${INDEX}`, heardThenAnswered(() => w!, rv, ...heard), 1);
      w = writer(api);
      const outcome = await w.sync(granted(3), 'acme', await stale());
      return { w, outcome, api };
    };

    test('its echo: nothing to compare again, and nothing kept of the write (the informer shows it)', async () => {
      const { w, outcome } = await inFlight('9', '9');
      expect(outcome.recheck).toBeUndefined();
      expect(outcome.written).toEqual([INDEX]);
      expect(w.ownEcho({ ...(await stale())[0]!, metadata: { ...(await stale())[0]!.metadata, resourceVersion: '9' } })).toBe(false);
    });

    test('a later write by someone else: the map is compared again (requeued), not left as they wrote it', async () => {
      expect((await inFlight('9', '9', '11')).outcome.recheck).toBe(true);
      expect((await inFlight('9', '11')).outcome.recheck).toBe(true);
      expect((await inFlight('9', 'not-a-number')).outcome.recheck).toBe(true); // cannot be ordered: compared
    });

    test('the echo of its write before this one: nothing to compare again (anyone else writing since would have failed the PUT)', async () => {
      expect((await inFlight('9', '8')).outcome.recheck).toBeUndefined();
    });

    test('no event meanwhile: its echo is told apart when it comes', async () => {
      const { w, outcome } = await inFlight('9');
      expect(outcome.recheck).toBeUndefined();
      const informer = await stale();
      expect(w.ownEcho({ ...informer[0]!, metadata: { ...informer[0]!.metadata, resourceVersion: '9' } })).toBe(true);
    });

    test('after a failed write, events are not taken for its echoes any more', async () => {
      const api = new FakeApi().on('PUT', `${CMS}/${INDEX}`, fails(409, 'Conflict'), 1);
      const w = writer(api);
      const informer = await stale();
      await expect(w.sync(granted(3), 'acme', informer)).rejects.toThrow();
      expect(w.ownEcho({ ...informer[0]!, metadata: { ...informer[0]!.metadata, resourceVersion: '12' } })).toBe(false);
    });
  });

  test('a create the informer has not seen yet: the next change updates it (PUT with its version), not a second create', async () => {
    const api = new FakeApi().on('POST', CMS, (action) => ({ ...(action.body as ExistingConfigMap), metadata: { ...(action.body as ExistingConfigMap).metadata, resourceVersion: '3' } }));
    const w = writer(api);
    await w.sync(granted(3), 'acme', []);
    await w.sync(granted(4), 'acme', []);
    expect(api.verbs).toEqual([`POST ${CMS}`, `PUT ${CMS}/${INDEX}`]);
    expect(rvOf(api.actions[1])).toBe('3');
  });
});

// Found by a fail-closed audit (2026-12-03): each test fails without its fix.
describe('a first map revoked before the informer shows its create', () => {
  test('the empty map must replace it (else the old rights stay, and the create echo queues nothing)', async () => {
    const api = new FakeApi().on('POST', CMS, (a: Action) => ({ ...(a.body as ExistingConfigMap), metadata: { ...(a.body as ExistingConfigMap).metadata, resourceVersion: '3' } }));
    const w = new ConfigMapWriter({ api });
    await w.sync(granted(3), 'acme', []); // first map: POST answered rv 3; informer has not shown it
    const created = api.actions[0]!.body as ExistingConfigMap;
    const read = (data: Record<string, string>) => parsePermissionMap((k) => data[k]);
    expect(read(created.data!).can('user-0', 'RIGHT_APPLICATION_INFO', 'Application/acme/app0')).toBe(true);
    const out = await w.sync(revoked(3), 'acme', []); // every grant deleted, informer still empty
    // Before the fix nothing was written here, and the ADD event of rv 3 arriving next was taken for the writer's own
    // echo, so no map key was queued: the map kept the revoked rights.
    expect(out.published).toBe('empty');
    expect(api.verbs).toEqual([`POST ${CMS}`, `PUT ${CMS}/charter-permissions`]);
    const put = api.actions[1]!.body as ExistingConfigMap;
    expect(put.metadata?.resourceVersion).toBe('3');
    expect(read(put.data!).can('user-0', 'RIGHT_APPLICATION_INFO', 'Application/acme/app0')).toBe(false);
  });
});

describe('drift of the index evaluatedAt', () => {
  test('an index whose evaluatedAt was removed or made invalid by hand is restored (readers refuse it: Invalid)', async () => {
    const first = new FakeApi();
    await new ConfigMapWriter({ api: first }).sync(granted(3), 'acme', []);
    const body = first.actions[0]!.body as ExistingConfigMap;
    const index = JSON.parse(body.data![INDEX_KEY]!) as Record<string, unknown>;
    for (const evaluatedAt of [undefined, 'yesterday']) {
      const edited = { ...index, evaluatedAt };
      const data: Record<string, string> = { ...body.data!, [INDEX_KEY]: JSON.stringify(edited) };
      let reason = 'loaded';
      try { parsePermissionMap((k) => data[k]); } catch (e) { reason = (e as { reason: string }).reason; }
      expect(reason).toBe('Invalid'); // every reader of the namespace refuses the drifted map
      const existing: ExistingConfigMap[] = [{ ...body, metadata: { ...body.metadata, resourceVersion: '8' }, data }];
      const api = new FakeApi();
      const out = await new ConfigMapWriter({ api }).sync(granted(3), 'acme', existing);
      expect(out.written).toEqual(['charter-permissions']);
    }
  });
});
