/**
 * The reconciler's decisions, with the informers' caches as plain lists and writers that record their calls: which
 * events become which work keys, which key runs which reconcile function with what, what is observed, what is retried
 * (a writer's error is rethrown for the queue) and when the expiry key runs again.
 */
import { describe, expect, jest, test } from '@jest/globals';
import type { KindName } from '../../../src/api/kinds.ts';
import { loadCatalog } from '../../../src/catalog/load-catalog.ts';
import type { Caches, ObjectCache } from '../../../src/controller/caches.ts';
import type { RawObject } from '../../../src/controller/cluster-model.ts';
import type { ConfigMapWriter, ExistingConfigMap, MapWriteOutcome } from '../../../src/controller/configmap-writer.ts';
import { Reconciler, type ReconcileObserver } from '../../../src/controller/reconciler.ts';
import { Engine } from '../../../src/engine/engine.ts';
import type { StatusWriter, StatusWriteResult } from '../../../src/controller/status-writer.ts';
import { formatWorkKey } from '../../../src/controller/work-key.ts';
import { ApiError } from '../../../src/controller/api-client.ts';
import { operatorWorkQueue } from '../../../src/controller/operator.ts';
import type { WorkQueue } from '../../../src/controller/work-queue.ts';
import { capturingLogger, deferred, eventually } from './support.ts';
import { existingConfigMap, rawCollaboration, rawOrganization, rawUser } from './builders.ts';

const NOW = Date.parse('2026-06-01T00:00:00Z');
const HOUR = 3_600_000;

/** A cache over a list, looked up by namespace and name. */
function cacheOf<T extends { metadata?: { name?: string; namespace?: string } }>(items: T[]): ObjectCache<T> {
  return {
    get: (namespace, name) => items.find((i) => i.metadata?.name === name && i.metadata?.namespace === namespace),
    list: () => items,
  };
}

interface World {
  objects?: RawObject[];
  configMaps?: ExistingConfigMap[];
  namespaces?: string[];
  status?: () => Promise<StatusWriteResult>;
  map?: () => Promise<MapWriteOutcome>;
  now?: () => number;
  /** resourceVersions the fake writer calls its own last writes (`ownEcho`). */
  ownVersions?: string[];
  /** resourceVersions the fake status writer calls its own last writes (`StatusWriter.ownEcho`). */
  ownStatusVersions?: string[];
  /** Also hands each queued key (its text) here: a real work queue. */
  onEnqueue?: (key: string) => void;
  /** Why the replica's state may be stale (`Operator.staleness`). */
  stale?: () => string | undefined;
}

/** A reconciler over these caches; what it enqueues, writes, observes and logs is recorded. */
function reconcilerOf(world: World = {}) {
  const objects = world.objects ?? [];
  const caches: Caches = {
    objects: (kind: KindName) => cacheOf(objects.filter((o) => o.kind === kind)),
    configMaps: cacheOf(world.configMaps ?? []),
    namespaces: cacheOf((world.namespaces ?? ['acme']).map((name) => ({ metadata: { name } }))),
  };
  const enqueued: string[] = [];
  const delayed: Array<[string, number]> = [];
  const statusWrites: Array<{ object: unknown; current: RawObject | undefined; invalid: unknown; mapProblem?: unknown }> = [];
  const mapWrites: Array<{ namespace: string; existing: string[] }> = [];
  const observed: string[] = [];
  const logs: string[] = [];
  const statusWriter: Pick<StatusWriter, 'sync' | 'ownEcho'> = {
    ownEcho: (_kind, raw) => (world.ownStatusVersions ?? []).includes(raw.metadata?.resourceVersion ?? ''),
    sync: async (_engine, object, current, invalid, mapProblem) => {
      statusWrites.push({ object, current, invalid, ...(mapProblem ? { mapProblem } : {}) });
      return world.status ? world.status() : 'written';
    },
  };
  const configMapWriter: Pick<ConfigMapWriter, 'sync' | 'ownEcho' | 'relisted'> = {
    ownEcho: (cm) => (world.ownVersions ?? []).includes(cm.metadata?.resourceVersion ?? ''),
    relisted: () => void observed.push('writer:relisted'),
    sync: async (_engine, namespace, existing) => {
      mapWrites.push({ namespace, existing: existing.map((cm) => cm.metadata?.name ?? '') });
      return world.map ? world.map() : { written: ['charter-permissions'], deleted: [], bytes: 100, published: 'map' };
    },
  };
  const observer: ReconcileObserver = {
    reconciled: (kind, result) => observed.push(`${kind}:${result}`),
    mapBytes: (namespace, bytes) => observed.push(`bytes:${namespace}:${bytes}`),
    mapWithheld: (namespace, withheld) => observed.push(`withheld:${namespace}:${withheld}`),
  };
  const reconciler = new Reconciler({
    catalog: loadCatalog(),
    engineOptions: {},
    caches,
    statusWriter,
    configMapWriter,
    enqueue: (key) => {
      enqueued.push(formatWorkKey(key));
      world.onEnqueue?.(formatWorkKey(key));
    },
    enqueueAfter: (key, ms) => delayed.push([formatWorkKey(key), ms]),
    now: world.now ?? (() => NOW),
    observer,
    log: (level, message) => logs.push(`${level}:${message}`),
    ...(world.stale ? { stale: world.stale, staleCheckMs: 5 } : {}),
  });
  return { reconciler, enqueued, delayed, statusWrites, mapWrites, observed, logs, objects };
}

const bob = rawUser('bob');
const grant = rawCollaboration('acme/c-bob', 'User/bob', 'Application/app1', ['RIGHT_APPLICATION_INFO']);
const expiring = (expiresAt: string): RawObject => {
  const raw = rawCollaboration('acme/c-bob', 'User/bob', 'Application/app1', ['RIGHT_APPLICATION_INFO']);
  return { ...raw, spec: { ...(raw.spec as Record<string, unknown>), expiresAt } };
};

describe('events become work keys', () => {
  test('before the first build: nothing (the build reads the caches)', () => {
    const r = reconcilerOf();
    r.reconciler.onObjectEvent('User', 'ADDED', bob);
    expect(r.enqueued).toEqual([]);
  });

  test('a build: every object status, every namespace that gets a map or holds map ConfigMaps', () => {
    const r = reconcilerOf({ objects: [bob, grant, rawUser('eve', { state: 'Sleepy' })], configMaps: [existingConfigMap('old', 'charter-permissions', {})] });
    r.reconciler.rebuild();
    expect([...r.enqueued].sort()).toEqual(['map/acme', 'map/old', 'status/Collaboration/acme/c-bob', 'status/User/bob', 'status/User/eve']);
    // The maps first: what workloads read (perhaps still granting a right revoked while the operator was down).
    expect(r.enqueued.slice(0, 2).sort()).toEqual(['map/acme', 'map/old']);
  });

  test('a new grant: the statuses it changes and its namespace map', () => {
    const r = reconcilerOf({ objects: [bob] });
    r.reconciler.rebuild();
    r.enqueued.length = 0;
    r.reconciler.onObjectEvent('Collaboration', 'ADDED', grant);
    expect(new Set(r.enqueued)).toEqual(new Set(['status/Collaboration/acme/c-bob', 'status/User/bob', 'map/acme']));
  });

  test('an update that changes nothing Charter reads: only its own status (an edited status is restored)', () => {
    const r = reconcilerOf({ objects: [bob, grant] });
    r.reconciler.rebuild();
    r.enqueued.length = 0;
    r.reconciler.onObjectEvent('User', 'MODIFIED', rawUser('bob', {}, { status: { groupCount: 9 } }));
    expect(r.enqueued).toEqual(['status/User/bob']);
  });

  test("the echo of the operator's own status write queues nothing; another version does, and a spec change goes by its Impact", () => {
    const r = reconcilerOf({ objects: [bob, grant], ownStatusVersions: ['21'] });
    r.reconciler.rebuild();
    r.enqueued.length = 0;
    r.reconciler.onObjectEvent('User', 'MODIFIED', rawUser('bob', {}, { resourceVersion: '21', status: { groupCount: 9 } }));
    expect(r.enqueued).toEqual([]);
    r.reconciler.onObjectEvent('User', 'MODIFIED', rawUser('bob', {}, { resourceVersion: '22', status: { groupCount: 9 } }));
    expect(r.enqueued).toEqual(['status/User/bob']);
    r.enqueued.length = 0;
    // a spec change carrying a version the writer would call its own (it cannot be its echo): still queued — here a
    // broken spec, whose status says what is wrong
    r.reconciler.onObjectEvent('User', 'MODIFIED', rawUser('bob', { state: 'Sleepy' }, { resourceVersion: '21' }));
    expect(r.enqueued).toContain('status/User/bob');
    r.enqueued.length = 0;
    r.reconciler.onObjectEvent('Collaboration', 'MODIFIED', rawCollaboration('acme/c-bob', 'User/bob', 'Application/app1', [], { resourceVersion: '21' }));
    expect(r.enqueued).toContain('status/Collaboration/acme/c-bob');
  });

  test('status written while someone else wrote the object (recheck): the key runs again at once', async () => {
    const r = reconcilerOf({ objects: [bob, grant], status: async () => 'recheck' });
    r.reconciler.rebuild();
    await r.reconciler.process('status/User/bob');
    expect(r.delayed).toEqual([['status/User/bob', 0]]);
    expect(r.observed).toContain('status:success');
    const quiet = reconcilerOf({ objects: [bob, grant] });
    quiet.reconciler.rebuild();
    await quiet.reconciler.process('status/User/bob');
    expect(quiet.delayed).toEqual([]);
  });

  test('a broken object: its status (to say what is wrong), and what its removal changes', () => {
    const r = reconcilerOf({ objects: [bob, grant] });
    r.reconciler.rebuild();
    r.enqueued.length = 0;
    r.reconciler.onObjectEvent('User', 'MODIFIED', rawUser('bob', { state: 'Sleepy' }));
    expect(r.enqueued).toContain('status/User/bob');
    expect(r.enqueued).toContain('map/acme');
    expect(r.enqueued).toContain('status/Collaboration/acme/c-bob');
  });

  test('a deleted grant: the statuses and map it changed (its own status key finds it gone)', () => {
    const r = reconcilerOf({ objects: [bob, grant] });
    r.reconciler.rebuild();
    r.enqueued.length = 0;
    r.reconciler.onObjectEvent('Collaboration', 'DELETED', grant);
    expect(new Set(r.enqueued)).toEqual(new Set(['status/User/bob', 'status/Collaboration/acme/c-bob', 'map/acme']));
  });

  test('a map ConfigMap event: its namespace map (drift is restored)', () => {
    const r = reconcilerOf();
    r.reconciler.onConfigMapEvent('MODIFIED', existingConfigMap('acme', 'charter-permissions', {}));
    expect(r.enqueued).toEqual(['map/acme']);
  });

  test("the echo of the operator's own map write queues nothing; another version or a deletion does", () => {
    const r = reconcilerOf({ ownVersions: ['7'] }); // existingConfigMap's resourceVersion
    r.reconciler.onConfigMapEvent('MODIFIED', existingConfigMap('acme', 'charter-permissions', {}));
    r.reconciler.onConfigMapEvent('ADDED', existingConfigMap('acme', 'charter-permissions-0', {}));
    expect(r.enqueued).toEqual([]);
    r.reconciler.onConfigMapEvent('MODIFIED', existingConfigMap('acme', 'charter-permissions', {}, { resourceVersion: '8' }));
    r.reconciler.onConfigMapEvent('DELETED', existingConfigMap('beta', 'charter-permissions', {}));
    expect(r.enqueued).toEqual(['map/acme', 'map/beta']);
  });

  test('the map ConfigMaps listed again: every namespace with a map and every one listed, echoes or not; the writer forgets its writes', () => {
    const r = reconcilerOf({ objects: [bob, grant], ownVersions: ['7'] });
    r.reconciler.rebuild();
    r.enqueued.length = 0;
    // acme's map ConfigMap was deleted while the watch was down: the list does not show it
    r.reconciler.onConfigMapsRelisted([existingConfigMap('beta', 'charter-permissions', {})]);
    expect(new Set(r.enqueued)).toEqual(new Set(['map/acme', 'map/beta']));
    expect(r.observed).toContain('writer:relisted');
  });

  test('a namespace appears: its map, only if it gets one', () => {
    const r = reconcilerOf({ objects: [bob, grant] });
    r.reconciler.rebuild();
    r.enqueued.length = 0;
    r.reconciler.onNamespaceEvent('acme');
    r.reconciler.onNamespaceEvent('elsewhere');
    expect(r.enqueued).toEqual(['map/acme']);
  });

  test('a grant that expires: the expiry key at its expiry', () => {
    const r = reconcilerOf({ objects: [bob, expiring('2026-06-01T01:00:00Z')] });
    r.reconciler.rebuild();
    expect(r.delayed).toEqual([['expiry', HOUR]]);
  });
});

describe('the model object of a resourceVersion (what the admission webhook takes for oldObject)', () => {
  test('the conversion of exactly the version the informer delivered last; nothing for another version, a broken or a deleted object', () => {
    const bobAt = (rv: string, spec: Record<string, unknown> = {}): RawObject => rawUser('bob', spec, { resourceVersion: rv });
    const grantAt = (rv: string): RawObject => rawCollaboration('acme/c-bob', 'User/bob', 'Application/app1', ['RIGHT_APPLICATION_INFO'], { resourceVersion: rv });
    const r = reconcilerOf({ objects: [bobAt('5'), grantAt('6')] });
    const bobRef = { kind: 'User' as const, name: 'bob' };
    expect(r.reconciler.modelledAt(bobRef, '5')).toBeUndefined(); // no engine yet
    r.reconciler.rebuild();
    expect(r.reconciler.modelledAt(bobRef, '5')).toBe(r.reconciler.engine!.model.users.get('bob'));
    expect(r.reconciler.modelledAt({ kind: 'Collaboration', namespace: 'acme', name: 'c-bob' }, '6')).toMatchObject({ kind: 'Collaboration', rights: ['RIGHT_APPLICATION_INFO'] });
    expect(r.reconciler.modelledAt({ kind: 'Collaboration', namespace: 'other', name: 'c-bob' }, '6')).toBeUndefined();
    expect(r.reconciler.modelledAt(bobRef, '4')).toBeUndefined();
    expect(r.reconciler.modelledAt(bobRef, '')).toBeUndefined();
    r.reconciler.onObjectEvent('User', 'MODIFIED', bobAt('7', { admin: true }));
    expect(r.reconciler.modelledAt(bobRef, '5')).toBeUndefined();
    expect(r.reconciler.modelledAt(bobRef, '7')).toMatchObject({ admin: true });
    // A relabel Charter reads nothing of: no engine change, and the engine's object is still that version's conversion.
    r.reconciler.onObjectEvent('User', 'MODIFIED', { ...bobAt('8', { admin: true }), status: { groupCount: 1 } });
    expect(r.reconciler.modelledAt(bobRef, '8')).toEqual(r.reconciler.engine!.model.users.get('bob'));
    r.reconciler.onObjectEvent('User', 'MODIFIED', bobAt('9', { state: 'Sleepy' }));
    expect(r.reconciler.modelledAt(bobRef, '9')).toBeUndefined();
    expect(r.reconciler.modelledAt(bobRef, '8')).toBeUndefined();
    r.reconciler.onObjectEvent('User', 'MODIFIED', bobAt('10'));
    r.reconciler.onObjectEvent('User', 'DELETED', bobAt('10'));
    expect(r.reconciler.modelledAt(bobRef, '10')).toBeUndefined();
  });
});

describe('each key runs its reconcile function', () => {
  test('status: the writer gets the object, the cached object, and its problems; the outcome is observed', async () => {
    const eve = rawUser('eve', { state: 'Sleepy' });
    const r = reconcilerOf({ objects: [bob, grant, eve] });
    r.reconciler.rebuild();
    await r.reconciler.process('map/acme'); // a grant's status waits for its namespace's map (see below)
    r.observed.length = 0;
    await r.reconciler.process('status/Collaboration/acme/c-bob');
    await r.reconciler.process('status/User/eve');
    expect(r.statusWrites).toEqual([
      { object: { kind: 'Collaboration', namespace: 'acme', name: 'c-bob' }, current: grant, invalid: undefined },
      { object: { kind: 'User', name: 'eve' }, current: eve, invalid: { problems: [expect.stringMatching(/^spec\.state/)], generation: 1 } },
    ]);
    expect(r.observed).toEqual(['status:success', 'status:success']);
  });

  test('status unchanged: observed as unchanged', async () => {
    const r = reconcilerOf({ objects: [bob], status: async () => 'unchanged' });
    r.reconciler.rebuild();
    await r.reconciler.process('status/User/bob');
    expect(r.observed).toEqual(['status:unchanged']);
  });

  test("map: the writer gets that namespace's ConfigMaps only; size and withheld are observed", async () => {
    const r = reconcilerOf({ objects: [bob, grant], configMaps: [existingConfigMap('acme', 'charter-permissions', {}), existingConfigMap('other', 'charter-permissions', {})] });
    r.reconciler.rebuild();
    await r.reconciler.process('map/acme');
    expect(r.mapWrites).toEqual([{ namespace: 'acme', existing: ['charter-permissions'] }]);
    expect(r.observed).toEqual(['bytes:acme:100', 'withheld:acme:false', 'map:success']);
  });

  test('map unchanged: observed as unchanged, nothing logged', async () => {
    const r = reconcilerOf({ objects: [bob, grant], map: async () => ({ written: [], deleted: [], bytes: 100, published: 'map' }) });
    r.reconciler.rebuild();
    await r.reconciler.process('map/acme');
    expect(r.observed).toEqual(['bytes:acme:100', 'withheld:acme:false', 'map:unchanged']);
    expect(r.logs.filter((l) => !l.startsWith('info:'))).toEqual([]);
  });

  test('map withheld: observed and warned', async () => {
    const r = reconcilerOf({ objects: [bob, grant], map: async () => ({ written: ['charter-permissions'], deleted: [], bytes: 50, published: 'withheld', withheld: 'too big' }) });
    r.reconciler.rebuild();
    await r.reconciler.process('map/acme');
    expect(r.observed).toContain('withheld:acme:true');
    expect(r.logs).toContain('warn:permission map withheld');
  });

  test('map written while someone else wrote one of its ConfigMaps (recheck): the key runs again at once', async () => {
    const r = reconcilerOf({ objects: [bob, grant], map: async () => ({ written: ['charter-permissions'], deleted: [], bytes: 100, published: 'map', recheck: true }) });
    r.reconciler.rebuild();
    await r.reconciler.process('map/acme');
    expect(r.delayed).toEqual([['map/acme', 0]]);
    const quiet = reconcilerOf({ objects: [bob, grant] });
    quiet.reconciler.rebuild();
    await quiet.reconciler.process('map/acme');
    expect(quiet.delayed).toEqual([]);
  });

  test('map of a namespace that does not exist (yet): not written', async () => {
    const r = reconcilerOf({ objects: [bob, grant], namespaces: [] });
    r.reconciler.rebuild();
    await r.reconciler.process('map/acme');
    expect(r.mapWrites).toEqual([]);
    expect(r.observed).toEqual(['map:unchanged']);
  });

  test("expiry: the clock moves, what expired is queued, and the key runs again at the next expiry", async () => {
    let now = NOW;
    const later = rawCollaboration('acme/c-later', 'User/bob', 'Application/app2', ['RIGHT_APPLICATION_INFO']);
    const r = reconcilerOf({ objects: [bob, expiring('2026-06-01T01:00:00Z'), { ...later, spec: { ...(later.spec as object), expiresAt: '2026-06-01T03:00:00Z' } }], now: () => now });
    r.reconciler.rebuild();
    r.enqueued.length = 0;
    r.delayed.length = 0;
    now = NOW + HOUR;
    await r.reconciler.process('expiry');
    expect(new Set(r.enqueued)).toEqual(new Set(['status/Collaboration/acme/c-bob', 'status/User/bob', 'map/acme']));
    expect(r.delayed).toEqual([['expiry', 2 * HOUR]]);
    expect(r.observed).toEqual(['expiry:success']);
  });

  test('expiry with nothing more to expire: not run again', async () => {
    let now = NOW;
    const r = reconcilerOf({ objects: [bob, expiring('2026-06-01T01:00:00Z')], now: () => now });
    r.reconciler.rebuild();
    r.delayed.length = 0;
    now = NOW + HOUR;
    await r.reconciler.process('expiry');
    expect(r.delayed).toEqual([]);
  });
});

describe("a grant's Ready waits for its namespace's permission map (docs/deploy.md#health-in-flux-and-argo-cd)", () => {
  const GRANT = 'status/Collaboration/acme/c-bob';
  const published: MapWriteOutcome = { written: ['charter-permissions'], deleted: [], bytes: 100, published: 'map' };
  const withheld: MapWriteOutcome = { written: ['charter-permissions'], deleted: [], bytes: 50, published: 'withheld', withheld: 'it needs 3 shards, more than --max-shards 1' };
  const grantWrites = (r: ReturnType<typeof reconcilerOf>) => r.statusWrites.filter((w) => (w.object as { kind: string }).kind === 'Collaboration');
  /** A map writer whose next outcomes are given one by one (a thrown Error or ApiError fails the write). */
  const scripted = (outcomes: Array<MapWriteOutcome | Error>) => async () => {
    const next = outcomes.length > 1 ? outcomes.shift()! : outcomes[0]!;
    if (next instanceof Error) throw next;
    return next;
  };

  test("a change's status is not written before its map: it is parked, and queued again when the map write ends", async () => {
    const r = reconcilerOf({ objects: [bob] });
    r.reconciler.rebuild();
    await r.reconciler.process('status/User/bob');
    r.enqueued.length = 0;
    r.observed.length = 0;
    r.objects.push(grant);
    r.reconciler.onObjectEvent('Collaboration', 'ADDED', grant);
    // The map is queued before the status (the status records the map write it waits for).
    expect(r.enqueued.indexOf('map/acme')).toBeLessThan(r.enqueued.indexOf(GRANT));
    r.enqueued.length = 0;
    await r.reconciler.process(GRANT); // a status worker takes it while the map is still to be written
    expect(grantWrites(r)).toEqual([]);
    expect(r.observed).not.toContain('status:success');
    // Users' statuses do not wait.
    await r.reconciler.process('status/User/bob');
    expect(r.statusWrites.map((w) => (w.object as { name: string }).name)).toEqual(['bob', 'bob']);
    await r.reconciler.process('map/acme');
    expect(r.enqueued).toEqual([GRANT]);
    await r.reconciler.process(GRANT);
    expect(grantWrites(r)).toEqual([{ object: { kind: 'Collaboration', namespace: 'acme', name: 'c-bob' }, current: grant, invalid: undefined }]);
  });

  test("with the operator's work queue (4 workers, maps in a lane of their own): a new grant's status is written once, after its map", async () => {
    const map = deferred();
    const order: string[] = [];
    let queue: WorkQueue | undefined;
    const r = reconcilerOf({
      objects: [bob],
      onEnqueue: (key) => queue?.add(key),
      map: async () => {
        await map.promise;
        order.push('map/acme');
        return published;
      },
    });
    queue = operatorWorkQueue({ workers: 4, logger: capturingLogger().logger, process: (key) => r.reconciler.process(key) });
    r.reconciler.rebuild();
    queue.start();
    await eventually(() => queue!.depth === 0 && queue!.inFlight === 0);
    r.statusWrites.length = 0;
    r.objects.push(grant);
    r.reconciler.onObjectEvent('Collaboration', 'ADDED', grant);
    // The User's status is written while the map write is in flight; the grant's is not.
    await eventually(() => r.statusWrites.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(grantWrites(r)).toEqual([]);
    map.resolve();
    await eventually(() => grantWrites(r).length === 1);
    await eventually(() => queue!.depth === 0 && queue!.inFlight === 0);
    await queue.shutdown();
    expect(order).toEqual(['map/acme']);
    expect(grantWrites(r)).toHaveLength(1);
  });

  test('on start: every grant waits for its namespace map; a namespace whose map is not queued holds nothing up', async () => {
    const other = rawCollaboration('beta/c-bob', 'User/bob', 'Application/app1', ['RIGHT_APPLICATION_INFO']);
    const r = reconcilerOf({ objects: [bob, grant, other], namespaces: ['acme', 'beta'] });
    r.reconciler.rebuild();
    await r.reconciler.process(GRANT);
    await r.reconciler.process('status/Collaboration/beta/c-bob');
    expect(grantWrites(r)).toEqual([]);
    await r.reconciler.process('map/beta');
    await r.reconciler.process('status/Collaboration/beta/c-bob');
    expect(grantWrites(r).map((w) => (w.object as { namespace: string }).namespace)).toEqual(['beta']);
    // A grant queued on its own when nothing is queued for its map (someone edited its status) is written at once.
    await r.reconciler.process('map/acme');
    r.statusWrites.length = 0;
    r.reconciler.onObjectEvent('Collaboration', 'MODIFIED', { ...grant, status: { edited: true } });
    await r.reconciler.process(GRANT);
    expect(grantWrites(r)).toHaveLength(1);
  });

  test('a status waits only for the map keys queued before it: changes while its map is written do not hold it again', async () => {
    let release!: () => void;
    const r = reconcilerOf({ objects: [bob, grant], map: () => new Promise((resolve) => (release = () => resolve(published))) });
    r.reconciler.rebuild();
    await r.reconciler.process(GRANT); // parked
    const writing = r.reconciler.process('map/acme'); // reads the engine, then waits for the API server
    // Another change to the namespace meanwhile: its map key comes again, the grant's status is not queued.
    const carol = rawUser('carol');
    const second = rawCollaboration('acme/c-carol', 'User/carol', 'Application/app2', ['RIGHT_APPLICATION_INFO']);
    r.objects.push(carol, second);
    r.reconciler.onObjectEvent('User', 'ADDED', carol);
    r.reconciler.onObjectEvent('Collaboration', 'ADDED', second);
    release();
    await writing;
    await r.reconciler.process(GRANT);
    expect(grantWrites(r).map((w) => (w.object as { name: string }).name)).toEqual(['c-bob']);
    // The new grant waits for the map write that reads it.
    await r.reconciler.process('status/Collaboration/acme/c-carol');
    expect(grantWrites(r)).toHaveLength(1);
    r.enqueued.length = 0;
    const again = r.reconciler.process('map/acme');
    release();
    await again;
    expect(r.enqueued).toEqual(['status/Collaboration/acme/c-carol']);
  });

  test('a withheld map: its grants are written with MapWithheld, every grant of the namespace again when it is published', async () => {
    const second = rawCollaboration('acme/c-eve', 'User/bob', 'Application/app2', ['RIGHT_APPLICATION_INFO']);
    const outcomes: Array<MapWriteOutcome | Error> = [withheld, published];
    const r = reconcilerOf({ objects: [bob, grant, second], map: scripted(outcomes) });
    r.reconciler.rebuild();
    await r.reconciler.process(GRANT);
    r.enqueued.length = 0;
    await r.reconciler.process('map/acme');
    // the parked key, then (the map's problem changed) every grant of the namespace
    expect(new Set(r.enqueued)).toEqual(new Set([GRANT, 'status/Collaboration/acme/c-eve']));
    await r.reconciler.process(GRANT);
    expect(grantWrites(r)).toEqual([expect.objectContaining({ mapProblem: { reason: 'MapWithheld', message: expect.stringMatching(/withheld \(it needs 3 shards, more than --max-shards 1\)/) } })]);
    // Users are not told.
    await r.reconciler.process('status/User/bob');
    expect(r.statusWrites.at(-1)).not.toHaveProperty('mapProblem');
    // The map fits again (another change to the namespace): every grant there is written again, with no problem.
    r.enqueued.length = 0;
    r.statusWrites.length = 0;
    r.reconciler.onConfigMapEvent('MODIFIED', existingConfigMap('acme', 'charter-permissions', {}, { resourceVersion: '9' }));
    await r.reconciler.process('map/acme');
    expect(new Set(r.enqueued)).toEqual(new Set(['map/acme', GRANT, 'status/Collaboration/acme/c-eve']));
    await r.reconciler.process(GRANT);
    expect(grantWrites(r)).toEqual([{ object: { kind: 'Collaboration', namespace: 'acme', name: 'c-bob' }, current: grant, invalid: undefined }]);
  });

  test('a map write that fails: its grants are written with MapNotWritten (not held for the backoff), and again once it is written', async () => {
    const outcomes: Array<MapWriteOutcome | Error> = [new Error('POST …: 403 Forbidden: quota'), published];
    const r = reconcilerOf({ objects: [bob, grant], map: scripted(outcomes) });
    r.reconciler.rebuild();
    await r.reconciler.process(GRANT);
    r.enqueued.length = 0;
    await expect(r.reconciler.process('map/acme')).rejects.toThrow(/403/);
    expect(r.enqueued).toEqual([GRANT]);
    await r.reconciler.process(GRANT);
    expect(grantWrites(r)).toEqual([expect.objectContaining({ mapProblem: { reason: 'MapNotWritten', message: expect.stringMatching(/could not be written \(POST …: 403 Forbidden: quota\)/) } })]);
    // A change while the map's writes fail: its status is written at once (the retry may be 1000 s away).
    r.statusWrites.length = 0;
    r.reconciler.onObjectEvent('Collaboration', 'MODIFIED', rawCollaboration('acme/c-bob', 'User/bob', 'Application/app1', ['RIGHT_APPLICATION_INFO', 'RIGHT_APPLICATION_DOWNLOAD'], { generation: 2 }));
    await r.reconciler.process(GRANT);
    expect(grantWrites(r)).toEqual([expect.objectContaining({ mapProblem: expect.objectContaining({ reason: 'MapNotWritten' }) })]);
    // The retry writes it: the grant is written again, Ready.
    r.enqueued.length = 0;
    r.statusWrites.length = 0;
    await r.reconciler.process('map/acme');
    expect(r.enqueued).toEqual([GRANT]);
    await r.reconciler.process(GRANT);
    expect(grantWrites(r)).toEqual([expect.not.objectContaining({ mapProblem: expect.anything() })]);
  });

  test("a map write's first conflict (retried at once) holds its grants; a second fails them", async () => {
    const conflict = new ApiError('PUT', '/api/v1/namespaces/acme/configmaps/charter-permissions', 409, 'Conflict', 'the object has been modified');
    const outcomes: Array<MapWriteOutcome | Error> = [conflict, conflict];
    const r = reconcilerOf({ objects: [bob, grant], map: scripted(outcomes) });
    r.reconciler.rebuild();
    await r.reconciler.process(GRANT);
    r.enqueued.length = 0;
    await expect(r.reconciler.process('map/acme')).rejects.toThrow(/409/);
    expect(r.enqueued).toEqual([]);
    await expect(r.reconciler.process('map/acme')).rejects.toThrow(/409/);
    expect(r.enqueued).toEqual([GRANT]);
    await r.reconciler.process(GRANT);
    expect(grantWrites(r)).toEqual([expect.objectContaining({ mapProblem: expect.objectContaining({ reason: 'MapNotWritten' }) })]);
  });
});

describe('a replica whose state may be stale (an informer failing past --staleness-limit) holds its status writes', () => {
  test('held, not written, while stale (maps are written); queued again once fresh', async () => {
    let stale: string | undefined = 'the watch has been failing longer than the staleness limit';
    const r = reconcilerOf({ objects: [bob, grant], stale: () => stale });
    r.reconciler.rebuild();
    await r.reconciler.process('map/acme');
    expect(r.mapWrites).toHaveLength(1);
    r.enqueued.length = 0;
    await r.reconciler.process('status/User/bob');
    await r.reconciler.process('status/Collaboration/acme/c-bob');
    expect(r.statusWrites).toEqual([]);
    expect(r.logs).toContain('warn:the state may be stale: status writes are held until it is fresh');
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(r.enqueued).toEqual([]);
    stale = undefined;
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(new Set(r.enqueued)).toEqual(new Set(['status/User/bob', 'status/Collaboration/acme/c-bob']));
    await r.reconciler.process('status/User/bob');
    expect(r.statusWrites).toHaveLength(1);
  });
});

describe('what is retried and what is dropped', () => {
  test("a writer's error is rethrown (the queue retries the key) and observed as an error", async () => {
    const r = reconcilerOf({ objects: [bob], status: async () => Promise.reject(new Error('PATCH …: 409 Conflict')) });
    r.reconciler.rebuild();
    await expect(r.reconciler.process('status/User/bob')).rejects.toThrow(/409/);
    expect(r.observed).toEqual(['status:error']);
  });

  test('a map write error likewise', async () => {
    const r = reconcilerOf({ objects: [bob, grant], map: async () => Promise.reject(new Error('timed out')) });
    r.reconciler.rebuild();
    await expect(r.reconciler.process('map/acme')).rejects.toThrow(/timed out/);
    expect(r.observed).toEqual(['map:error']);
  });

  test('text that is not a work key: dropped with a warning, nothing written', async () => {
    const r = reconcilerOf({ objects: [bob] });
    r.reconciler.rebuild();
    await r.reconciler.process('status/Widget/x');
    expect(r.statusWrites).toEqual([]);
    expect(r.logs).toContain('warn:not a work key: dropped');
  });

  test('before the first build: nothing runs', async () => {
    const r = reconcilerOf({ objects: [bob] });
    await r.reconciler.process('status/User/bob');
    expect(r.statusWrites).toEqual([]);
    expect(r.observed).toEqual([]);
  });
});

describe('an engine that broke in an update, or wore out, is built again before it is used', () => {
  /** The engine's table of distinct M*(u, o) values (memberships.ts), which only grows. */
  const sharedValues = (e: unknown): unknown[] => (e as { state: { memberships: { interned: { values: unknown[] } } } }).state.memberships.interned.values;

  test('an event whose update throws part way: a new engine from the caches (with the event\'s object), every key queued', () => {
    const r = reconcilerOf({ objects: [bob, grant] });
    r.reconciler.rebuild();
    const first = r.reconciler.engine!;
    first.onImpact(() => {
      throw new Error('the kept maps failed');
    });
    r.enqueued.length = 0;
    const carol = rawUser('carol');
    r.objects.push(carol);
    r.reconciler.onObjectEvent('User', 'ADDED', carol);
    expect(first.broken).toBe(true);
    const second = r.reconciler.engine!;
    expect(second).not.toBe(first);
    expect(second.broken).toBe(false);
    expect(second.model.users.has('carol')).toBe(true);
    expect(r.enqueued).toEqual(expect.arrayContaining(['map/acme', 'status/User/bob', 'status/User/carol', 'status/Collaboration/acme/c-bob']));
    expect(r.logs.filter((l) => l.startsWith('error:an engine update failed (User carol ADDED)'))).toHaveLength(1);
  });

  test('a broken engine is not handed to the admission webhook, nor to a key: the next use builds it again', async () => {
    const r = reconcilerOf({ objects: [bob, grant] });
    r.reconciler.rebuild();
    const first = r.reconciler.engine!;
    first.onImpact(() => {
      throw new Error('the kept maps failed');
    });
    // An admission decision's what-if update breaks it (the decision is denied: admission-webhook.ts).
    expect(() => first.apply([{ type: 'delete', kind: 'User', name: 'bob' }])).toThrow(/kept maps failed/);
    const current = r.reconciler.currentEngine()!;
    expect(current).not.toBe(first);
    expect(current.broken).toBe(false);
    expect(current.model.users.has('bob')).toBe(true);
    expect(r.logs).toContain('error:the engine is broken (an update failed part way): building it again from the informers\' caches');
    // A key's turn finds the same: the new engine, not the broken one.
    const second = r.reconciler.engine!;
    second.onImpact(() => {
      throw new Error('again');
    });
    expect(() => second.advanceTime(NOW + HOUR)).toThrow(/again/);
    r.statusWrites.length = 0;
    await r.reconciler.process('status/User/bob');
    expect(r.reconciler.engine).not.toBe(second);
    expect(r.statusWrites).toHaveLength(1);
  });

  test('an engine worn as built (the objects alone fill half a table) is not built again for wear, over and over', () => {
    const worn = jest.spyOn(Engine.prototype, 'worn', 'get').mockReturnValue(true);
    try {
      const r = reconcilerOf({ objects: [bob, grant] });
      r.reconciler.rebuild();
      const first = r.reconciler.engine!;
      expect(r.reconciler.currentEngine()).toBe(first);
      expect(r.reconciler.currentEngine()).toBe(first);
      expect(r.logs.filter((l) => l.startsWith('warn:the engine is worn as built'))).toHaveLength(1);
    } finally {
      worn.mockRestore();
    }
  });

  test('a worn engine (a table of shared values half full) is built again at its next use', () => {
    const r = reconcilerOf({ objects: [bob, grant] });
    r.reconciler.rebuild();
    const first = r.reconciler.engine!;
    sharedValues(first).length = 2 ** 20;
    expect(first.worn).toBe(true);
    const current = r.reconciler.currentEngine()!;
    expect(current).not.toBe(first);
    expect(current.worn).toBe(false);
    expect(sharedValues(current).length).toBeLessThan(10);
  });
});
