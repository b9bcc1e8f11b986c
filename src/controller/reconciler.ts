/**
 * The heart of the operator: informer events become engine changes; the engine's impact becomes work keys
 * (work-key.ts); the work queue hands each key back to `process`, which runs the key type's reconcile function:
 * one object's status (reconcile-status.ts), one namespace's permission map (reconcile-map.ts), or the engine's clock
 * when a grant expires (reconcile-expiry.ts).
 * Full recomputes happen only on start and after a re-list; everything else goes through the incremental path.
 *
 * A Collaboration's Ready says its rights are in effect: its namespace's permission map was published from an engine
 * state that holds the changes queued before its status (`MapPublication`). Its status key waits (parked, not
 * written) until the map write that began after those changes has ended — successful, withheld or failed — so that a
 * change's status is written once, after its map; then a withheld or failed map makes it Ready=False (MapWithheld,
 * MapNotWritten: `MapProblem` in status.ts, an input of the pure status computation). It waits only for map keys
 * queued before it: under steady changes to a namespace each status waits for one or two map writes, never more.
 */
import type { KindName } from '../api/kinds.ts';
import { KINDS } from '../api/kinds.ts';
import type { Catalog } from '../catalog/catalog.ts';
import { Engine, type EngineOptions, type Impact } from '../engine/engine.ts';
import { allObjectKeys, type MapProblem } from '../engine/status.ts';
import { isConflict } from './api-client.ts';
import { getObject, objectKey, parseObjectKey, type ModelObject, type ObjectRef } from '../model/model.ts';
import type { Caches } from './caches.ts';
import { ClusterModel, type RawObject } from './cluster-model.ts';
import type { ConfigMapWriter, ExistingConfigMap, MapWriteOutcome } from './configmap-writer.ts';
import { reconcileExpiry } from './reconcile-expiry.ts';
import { reconcileMap, type MapReconcileContext } from './reconcile-map.ts';
import type { ReconcileResult } from './reconcile-result.ts';
import { reconcileStatus } from './reconcile-status.ts';
import type { StatusWriter } from './status-writer.ts';
import { EXPIRY, formatWorkKey, mapKey, parseWorkKey, statusKey, type MapKey, type StatusKey, type WorkKey } from './work-key.ts';

export interface ReconcileObserver {
  reconciled?(kind: WorkKey['type'], result: 'success' | 'error' | 'unchanged', seconds: number): void;
  engine?(operation: 'build' | 'apply', seconds: number): void;
  mapBytes?(namespace: string, bytes: number): void;
  /** Whether the namespace's map is withheld now (it would need more shards than allowed). */
  mapWithheld?(namespace: string, withheld: boolean): void;
}

export interface ReconcilerOptions {
  catalog: Catalog;
  engineOptions: EngineOptions;
  caches: Caches;
  statusWriter: Pick<StatusWriter, 'sync' | 'ownEcho'>;
  configMapWriter: Pick<ConfigMapWriter, 'sync' | 'ownEcho' | 'relisted'>;
  enqueue: (key: WorkKey) => void;
  enqueueAfter: (key: WorkKey, delayMs: number) => void;
  now?: () => number;
  observer?: ReconcileObserver;
  log?: (level: 'error' | 'warn' | 'info' | 'debug', message: string, fields?: Record<string, unknown>) => void;
  /**
   * Why this replica's state may be stale (an informer failing past --staleness-limit: `Operator.staleness`);
   * undefined when it is not. Status keys are held meanwhile (`holdWhileStale`).
   */
  stale?: () => string | undefined;
  /** How often held status keys look whether the state is fresh again (default 1000 ms). */
  staleCheckMs?: number;
}

const seconds = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9;

/** The status key of an engine object key (the engine names objects by objectKey). */
function statusKeyOf(key: string): WorkKey {
  const object = parseObjectKey(key);
  if (!object) throw new Error(`Not an object key: ${JSON.stringify(key)}`);
  return statusKey(object);
}

/**
 * Where one namespace's permission map stands, for the Ready of its Collaborations. Changes are counted per namespace:
 * `requested` moves each time its map key is queued (an engine change touching it, a build, drift, the namespace
 * appearing); a map write takes the count as it was when it read the engine (its start, before any await).
 */
interface MapPublication {
  requested: number;
  /** The count at the start of the last map write that ended (published, withheld or failed). */
  attempted: number;
  /** Why the last write that ended did not put the map in effect; undefined: it did. */
  problem: MapProblem | undefined;
  /** Failed writes in a row. */
  failures: number;
  /** Status keys of its Collaborations waiting for a map write to end, by text. */
  parked: Map<string, WorkKey>;
}

export class Reconciler {
  private readonly options: ReconcilerOptions & { now: () => number };
  private readonly cluster = new ClusterModel();
  private engineInstance: Engine | undefined;
  /** Whether the engine was worn as built (the objects alone fill half a table): then wear is no reason to build again. */
  private builtWorn = false;
  /** Each namespace's map publication (a namespace whose map key was never queued has none: nothing to wait for). */
  private readonly publications = new Map<string, MapPublication>();
  /** Status keys held while the state may be stale, by text, and the timer that looks when it is fresh again. */
  private readonly heldWhileStale = new Map<string, WorkKey>();
  private staleTimer: NodeJS.Timeout | undefined;
  /** A queued Collaboration status key → its namespace's `requested` when it was queued: the map write it waits for. */
  private readonly statusNeeds = new Map<string, number>();

  constructor(options: ReconcilerOptions) {
    this.options = { now: Date.now, ...options };
  }

  get engine(): Engine | undefined {
    return this.engineInstance;
  }

  /**
   * The engine with its clock moved to now (grants that expired meanwhile are gone), for the admission webhook. On a
   * follower nothing else moves the clock (the expiry key runs on the leader's queue only); what the move changes is
   * queued like any other impact.
   */
  currentEngine(): Engine | undefined {
    const engine = this.usableEngine();
    if (!engine) return undefined;
    this.updating(engine, 'moving its clock', () => this.enqueueImpact(engine.advanceTime(this.options.now())));
    return this.usableEngine();
  }

  /**
   * The engine, built again first when the one there is `broken` (an update threw part way: it is never read again)
   * or `worn` (a table of shared values near its room: a new one numbers only those in use).
   */
  private usableEngine(): Engine | undefined {
    const engine = this.engineInstance;
    if (engine?.broken) {
      this.options.log?.('error', 'the engine is broken (an update failed part way): building it again from the informers\' caches');
      this.rebuild();
    } else if (engine?.worn && !this.builtWorn) {
      this.options.log?.('info', 'the engine\'s tables of shared values are past half their room: building it again from the informers\' caches');
      this.rebuild();
    }
    return this.engineInstance;
  }

  /**
   * Runs an update of the engine; when it throws, the engine (broken now) is built again from the informers' caches,
   * which already hold the object of the event being handled, and every key is queued: what the failed update left
   * half done is never read.
   */
  private updating(engine: Engine, what: string, update: () => void): void {
    try {
      update();
    } catch (error) {
      this.options.log?.('error', `an engine update failed (${what}): building it again from the informers' caches`, { error: error instanceof Error ? error.message : String(error), broken: engine.broken });
      this.rebuild();
    }
  }

  /**
   * The engine's object of this kind and name when it was converted from exactly this resourceVersion (an informer
   * event or list of that version, schema-validated and converted as every object is); undefined otherwise. The
   * admission webhook takes it for a request's oldObject of that version instead of reading it again: the API server
   * gives a resourceVersion to one stored content only.
   */
  modelledAt(ref: ObjectRef, resourceVersion: string): ModelObject | undefined {
    if (resourceVersion === '' || this.cluster.resourceVersionOf(objectKey(ref)) !== resourceVersion) return undefined;
    return this.modelled(ref);
  }

  /** Full recompute from the informers' caches (on start and after a re-list); enqueues every key. */
  rebuild(): void {
    const start = process.hrtime.bigint();
    const objects = KINDS.flatMap((kind) => this.options.caches.objects(kind).list().map((raw) => ({ kind, raw })));
    const model = this.cluster.build(objects);
    this.engineInstance = new Engine(model, this.options.catalog, this.options.engineOptions, this.options.now());
    this.builtWorn = this.engineInstance.worn;
    if (this.builtWorn) this.options.log?.('warn', 'the engine is worn as built (the objects alone fill half of a table of shared values): it is not built again for wear');
    this.options.observer?.engine?.('build', seconds(start));
    this.options.log?.('info', 'engine rebuilt', { users: model.users.size, organizations: model.organizations.size, groups: model.groups.size, collaborations: model.collaborations.size, ms: Math.round(seconds(start) * 1000) });
    this.enqueueAll();
    this.scheduleExpiry();
  }

  /** Queues every key (`allKeys`), the maps first; each status waits for the map write its namespace's key asks for. */
  enqueueAll(): void {
    for (const key of this.allKeys()) this.enqueue(key);
  }

  /**
   * Queues a key: a map key counts a change its namespace's next map write must publish; a Collaboration's status key
   * records that count, the write it waits for before it is written (so maps queued with it must be queued first).
   */
  private enqueue(key: WorkKey): void {
    if (key.type === 'map') this.publication(key.namespace).requested++;
    else if (key.type === 'status' && key.object.kind === 'Collaboration') {
      const publication = this.publications.get(key.object.namespace!);
      if (publication && publication.attempted < publication.requested) this.statusNeeds.set(formatWorkKey(key), publication.requested);
    }
    this.options.enqueue(key);
  }

  private publication(namespace: string): MapPublication {
    let publication = this.publications.get(namespace);
    if (!publication) this.publications.set(namespace, (publication = { requested: 0, attempted: 0, problem: undefined, failures: 0, parked: new Map() }));
    return publication;
  }

  /**
   * Every key there is (`enqueueAll` queues them): each namespace that has or should have a map, then each object's status. Maps first: the
   * queue is first in, first out, and a map left from before (a right revoked while the operator was down) is what
   * workloads read, so it is replaced before the statuses (126,000 keys at the medium tier) are worked through.
   */
  allKeys(): WorkKey[] {
    const engine = this.engineInstance;
    if (!engine) return [];
    const keys = new Map<string, WorkKey>();
    const add = (key: WorkKey): void => void keys.set(formatWorkKey(key), key);
    for (const ns of engine.mapNamespaces()) add(mapKey(ns));
    for (const cm of this.options.caches.configMaps.list()) if (cm.metadata?.namespace) add(mapKey(cm.metadata.namespace));
    for (const key of allObjectKeys(engine)) add(statusKeyOf(key));
    for (const key of this.cluster.invalid.keys()) add(statusKeyOf(key));
    return [...keys.values()];
  }

  /** An informer event of one of the four kinds. */
  onObjectEvent(kind: KindName, type: 'ADDED' | 'MODIFIED' | 'DELETED', raw: RawObject): void {
    const engine = this.usableEngine();
    if (!engine) return; // before the first build: the build reads the caches
    const name = raw.metadata?.name ?? '';
    const namespace = kind === 'Collaboration' ? raw.metadata?.namespace : undefined;
    const previous = this.modelled({ kind, name, namespace });
    const { key, change } = this.cluster.changeFor(kind, type, raw, previous);
    // The status is checked on every update, not only when the spec changed: a status edited by someone else is
    // restored. The echo of the operator's own status write (`StatusWriter.ownEcho`) queues nothing.
    if (type !== 'DELETED' && (this.cluster.invalid.has(key) || !change) && !this.options.statusWriter.ownEcho(kind, raw)) this.enqueue(statusKeyOf(key));
    if (!change) return;
    this.updating(engine, `${kind} ${namespace !== undefined ? `${namespace}/` : ''}${name} ${type}`, () => {
      const start = process.hrtime.bigint();
      const impact = engine.advanceTime(this.options.now());
      const changed = engine.apply([change]);
      this.options.observer?.engine?.('apply', seconds(start));
      this.enqueueImpact(impact);
      this.enqueueImpact(changed);
    });
    this.scheduleExpiry();
  }

  /** The engine's object of this kind and name, whatever version. */
  private modelled(ref: ObjectRef): ModelObject | undefined {
    const model = this.engineInstance?.model;
    return model ? getObject(model, ref) : undefined;
  }


  /**
   * A map ConfigMap changed or went away: someone's edit (drift is restored) or a deletion. The echo of the operator's
   * own write (the very version it wrote, or an event while that write is in flight, judged at its answer:
   * `ConfigMapWriter.ownEcho`) queues nothing.
   */
  onConfigMapEvent(type: 'ADDED' | 'MODIFIED' | 'DELETED', raw: ExistingConfigMap): void {
    if (!raw.metadata?.namespace) return;
    if (type !== 'DELETED' && this.options.configMapWriter.ownEcho(raw)) return;
    this.enqueue(mapKey(raw.metadata.namespace));
  }

  /**
   * The map ConfigMaps were listed again: a list shows no deletions, so every namespace that has a map, and every
   * namespace with a map ConfigMap listed, is compared again (the writer forgets its own writes first: the list is
   * the truth now). Rare: the first list, and after a 410 or a watch restarted from nothing.
   */
  onConfigMapsRelisted(list: readonly ExistingConfigMap[]): void {
    this.options.configMapWriter.relisted();
    for (const ns of this.engineInstance?.mapNamespaces() ?? []) this.enqueue(mapKey(ns));
    for (const cm of list) if (cm.metadata?.namespace) this.enqueue(mapKey(cm.metadata.namespace));
  }

  /** A namespace appeared: a map that could not be written before can be now. */
  onNamespaceEvent(name: string): void {
    if (this.engineInstance?.mapNamespaces().includes(name)) this.enqueue(mapKey(name));
  }

  private enqueueImpact(impact: Impact): void {
    // The maps first: a status records the map write it waits for when it is queued.
    for (const ns of impact.namespaces) this.enqueue(mapKey(ns));
    for (const key of impact.statuses) this.enqueue(statusKeyOf(key));
  }

  /**
   * Wakes the expiry key at the next grant expiry. The queue keeps the earliest of several wake-ups of a key, so an
   * expiry that moved later fires early once, finds nothing expired, and asks for the new time (reconcile-expiry.ts).
   */
  private scheduleExpiry(): void {
    const next = this.engineInstance?.nextExpiry();
    if (next !== undefined) this.options.enqueueAfter(EXPIRY, Math.max(0, next - this.options.now()));
  }

  /** Reconciles one key (its text form, as the queue holds it); throws to have the queue retry it with backoff. */
  async process(text: string): Promise<void> {
    const engine = this.usableEngine();
    if (!engine) return;
    const key = parseWorkKey(text);
    if (!key) {
      this.options.log?.('warn', 'not a work key: dropped', { key: text });
      return;
    }
    if (key.type === 'status' && (this.holdWhileStale(text, key) || this.parks(text, key))) return;
    const start = process.hrtime.bigint();
    try {
      const result = await this.reconcile(engine, key);
      this.options.observer?.reconciled?.(key.type, result.outcome === 'changed' ? 'success' : 'unchanged', seconds(start));
      if (result.requeueAfterMs !== undefined) this.options.enqueueAfter(key, result.requeueAfterMs);
    } catch (error) {
      this.options.observer?.reconciled?.(key.type, 'error', seconds(start));
      throw error;
    }
  }

  /**
   * Whether a status key is held because this replica's state may be stale (an informer failing past the staleness
   * limit; the replica is unready): a status computed from it could say Ready=True of what it no longer knows — a grant
   * whose subject was deleted while the User watch failed. Held, not written (no Ready=Unknown: writing every status
   * twice would load an API server already failing), and queued again once the state is fresh. The statuses written
   * before stand: they were computed from a fresh state. Maps are not held: a map written from this state is never
   * older than the one in place, and holding it would keep a revocation the replica did see from workloads.
   */
  private holdWhileStale(text: string, key: WorkKey): boolean {
    const stale = this.options.stale?.();
    if (stale === undefined) return false;
    if (this.heldWhileStale.size === 0) this.options.log?.('warn', 'the state may be stale: status writes are held until it is fresh', { reason: stale });
    this.heldWhileStale.set(text, key);
    this.staleTimer ??= setInterval(() => {
      if (this.options.stale?.() !== undefined) return;
      clearInterval(this.staleTimer);
      this.staleTimer = undefined;
      const held = [...this.heldWhileStale.values()];
      this.heldWhileStale.clear();
      this.options.log?.('info', 'the state is fresh again: the held status writes are queued', { statuses: held.length });
      for (const k of held) this.options.enqueue(k);
    }, this.options.staleCheckMs ?? 1000).unref();
    return true;
  }

  /**
   * Whether a Collaboration's status key waits (parked until its namespace's next map write ends): the map write it
   * was queued behind has not ended yet — unless the map's writes are failing (retried with a backoff of up to
   * 1000 s): then it is written at once, Ready=False (MapNotWritten).
   */
  private parks(text: string, key: StatusKey): boolean {
    if (key.object.kind !== 'Collaboration') return false;
    const needs = this.statusNeeds.get(text);
    if (needs === undefined) return false;
    const publication = this.publications.get(key.object.namespace!);
    if (publication && publication.attempted < needs && publication.problem?.reason !== 'MapNotWritten') {
      publication.parked.set(text, key);
      return true;
    }
    this.statusNeeds.delete(text);
    return false;
  }

  /**
   * A map write of `namespace` that began at count `begun` ended: published (`outcome`) or failed (`error`). The
   * first failure of a conflict (409: someone wrote the ConfigMap, the queue retries at once) changes nothing; any
   * other ends the write. The statuses parked for it run again, and when the map's problem changed (withheld, failed,
   * or in effect again) so does every Collaboration status of the namespace.
   */
  private mapWriteEnded(namespace: string, begun: number, outcome: MapWriteOutcome | undefined, error?: unknown): void {
    const publication = this.publication(namespace);
    if (outcome) publication.failures = 0;
    else if (++publication.failures === 1 && isConflict(error)) return;
    publication.attempted = Math.max(publication.attempted, begun);
    const before = publication.problem;
    publication.problem = !outcome
      ? { reason: 'MapNotWritten', message: `namespace ${namespace}'s permission map could not be written (${error instanceof Error ? error.message : String(error)}): workloads there read the map written before; retried` }
      : outcome.published === 'withheld'
        ? { reason: 'MapWithheld', message: `namespace ${namespace}'s permission map is withheld (${outcome.withheld ?? 'too big'}): workloads there read the empty map` }
        : undefined;
    const again = publication.parked;
    publication.parked = new Map();
    if (before?.reason !== publication.problem?.reason) {
      const prefix = `${namespace}/`;
      for (const key of this.engineInstance?.model.collaborations.keys() ?? []) {
        if (key.startsWith(prefix)) again.set(`status/Collaboration/${key}`, statusKey({ kind: 'Collaboration', namespace, name: key.slice(prefix.length) }));
      }
    }
    for (const key of again.values()) this.options.enqueue(key);
  }

  /** Why a Collaboration's namespace's map is not in effect (the last map write that ended there). */
  private mapProblem(object: ObjectRef): MapProblem | undefined {
    return object.kind === 'Collaboration' ? this.publications.get(object.namespace!)?.problem : undefined;
  }

  private async reconcileMapKey(key: MapKey, context: Omit<MapReconcileContext, 'published'>): Promise<ReconcileResult> {
    const begun = this.publications.get(key.namespace)?.requested ?? 0;
    try {
      return await reconcileMap(key, { ...context, published: (outcome) => this.mapWriteEnded(key.namespace, begun, outcome) });
    } catch (error) {
      this.mapWriteEnded(key.namespace, begun, undefined, error);
      throw error;
    }
  }

  private reconcile(engine: Engine, key: WorkKey): Promise<ReconcileResult> {
    const { caches, observer, log } = this.options;
    switch (key.type) {
      case 'status':
        return reconcileStatus(key, {
          engine,
          objects: (kind) => caches.objects(kind),
          invalid: (object: ObjectRef) => this.cluster.invalid.get(objectKey(object)),
          statusWriter: this.options.statusWriter,
          mapProblem: this.mapProblem(key.object),
        });
      case 'map':
        return this.reconcileMapKey(key, {
          engine,
          configMaps: caches.configMaps,
          namespaces: caches.namespaces,
          configMapWriter: this.options.configMapWriter,
          observeMap: (namespace, bytes, withheld) => {
            observer?.mapBytes?.(namespace, bytes);
            observer?.mapWithheld?.(namespace, withheld);
          },
          ...(log ? { log } : {}),
        });
      case 'expiry':
        return Promise.resolve(reconcileExpiry({ engine, now: this.options.now(), enqueueImpact: (impact) => this.enqueueImpact(impact) }));
    }
  }
}
