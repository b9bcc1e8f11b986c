/**
 * The heart of the operator: informer events become engine changes; the engine's impact becomes queue keys;
 * a key is reconciled by writing one object's status (`status/<Kind>/<name>`) or one namespace's permission map
 * (`map/<namespace>`), and `expiry` moves the engine's clock when a grant expires.
 * Full recomputes happen only on start and after a re-list; everything else goes through the incremental path.
 */
import type { KindName } from '../api/kinds.ts';
import { KINDS } from '../api/kinds.ts';
import type { Catalog } from '../catalog/catalog.ts';
import { Engine, type EngineOptions, type Impact } from '../engine/engine.ts';
import { allObjectKeys } from '../engine/status.ts';
import { ClusterModel, type RawObject } from './cluster-model.ts';
import { ConfigMapWriter, type ExistingConfigMap } from './configmap-writer.ts';
import type { StatusWriter } from './status-writer.ts';

export interface ObjectCache<T> {
  get(namespace: string | undefined, name: string): T | undefined;
  list(): T[];
}

export interface Caches {
  objects(kind: KindName): ObjectCache<RawObject>;
  configMaps: ObjectCache<ExistingConfigMap>;
  namespaces: ObjectCache<unknown>;
}

export interface ReconcileObserver {
  reconciled?(kind: 'status' | 'map' | 'expiry', result: 'success' | 'error' | 'unchanged', seconds: number): void;
  engine?(operation: 'build' | 'apply', seconds: number): void;
  mapBytes?(namespace: string, bytes: number): void;
  /** Whether the namespace's map is withheld now (it would need more shards than allowed). */
  mapWithheld?(namespace: string, withheld: boolean): void;
}

export interface ReconcilerOptions {
  catalog: Catalog;
  engineOptions: EngineOptions;
  caches: Caches;
  statusWriter: StatusWriter;
  configMapWriter: ConfigMapWriter;
  enqueue: (key: string) => void;
  enqueueAfter: (key: string, delayMs: number) => void;
  now?: () => number;
  observer?: ReconcileObserver;
  log?: (level: 'info' | 'debug' | 'warn', message: string, fields?: Record<string, unknown>) => void;
}

export const EXPIRY_KEY = 'expiry';
const seconds = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9;

export class Reconciler {
  private readonly options: ReconcilerOptions & { now: () => number };
  private readonly cluster = new ClusterModel();
  private engineInstance: Engine | undefined;
  private scheduledExpiry: number | undefined;

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
    const engine = this.engineInstance;
    if (!engine) return undefined;
    this.enqueueImpact(engine.advanceTime(this.options.now()));
    return engine;
  }

  /** Full recompute from the informers' caches (on start and after a re-list); enqueues every key. */
  rebuild(): void {
    const start = process.hrtime.bigint();
    const objects = KINDS.flatMap((kind) => this.options.caches.objects(kind).list().map((raw) => ({ kind, raw })));
    const model = this.cluster.build(objects);
    this.engineInstance = new Engine(model, this.options.catalog, this.options.engineOptions, this.options.now());
    this.options.observer?.engine?.('build', seconds(start));
    this.options.log?.('info', 'engine rebuilt', { users: model.users.size, organizations: model.organizations.size, groups: model.groups.size, collaborations: model.collaborations.size, ms: Math.round(seconds(start) * 1000) });
    for (const key of this.allKeys()) this.options.enqueue(key);
    this.scheduleExpiry();
  }

  /** Every key there is: each object's status, each namespace that has or should have a map. */
  allKeys(): string[] {
    const engine = this.engineInstance;
    if (!engine) return [];
    const keys = new Set<string>(allObjectKeys(engine).map((k) => `status/${k}`));
    for (const key of this.cluster.invalid.keys()) keys.add(`status/${key}`);
    for (const ns of engine.mapNamespaces()) keys.add(`map/${ns}`);
    for (const cm of this.options.caches.configMaps.list()) if (cm.metadata?.namespace) keys.add(`map/${cm.metadata.namespace}`);
    return [...keys];
  }

  /** An informer event of one of the four kinds. */
  onObjectEvent(kind: KindName, type: 'ADDED' | 'MODIFIED' | 'DELETED', raw: RawObject): void {
    const engine = this.engineInstance;
    if (!engine) return; // before the first build: the build reads the caches
    const { key, change } = this.cluster.changeFor(kind, type, raw);
    // The status is checked on every update, not only when the spec changed: a status edited by someone else is
    // restored (the writer compares and skips an unchanged one, so the echo of our own write costs no write).
    if (type !== 'DELETED' && (this.cluster.invalid.has(key) || !change)) this.options.enqueue(`status/${key}`);
    if (!change) return;
    const start = process.hrtime.bigint();
    const impact = engine.advanceTime(this.options.now());
    const changed = engine.apply([change]);
    this.options.observer?.engine?.('apply', seconds(start));
    this.enqueueImpact(impact);
    this.enqueueImpact(changed);
    this.scheduleExpiry();
  }

  /** A map ConfigMap changed or went away (our write, or someone's edit: drift is restored). */
  onConfigMapEvent(raw: ExistingConfigMap): void {
    if (raw.metadata?.namespace) this.options.enqueue(`map/${raw.metadata.namespace}`);
  }

  /** A namespace appeared: a map that could not be written before can be now. */
  onNamespaceEvent(name: string): void {
    if (this.engineInstance?.mapNamespaces().includes(name)) this.options.enqueue(`map/${name}`);
  }

  private enqueueImpact(impact: Impact): void {
    for (const key of impact.statuses) this.options.enqueue(`status/${key}`);
    for (const ns of impact.namespaces) this.options.enqueue(`map/${ns}`);
  }

  private scheduleExpiry(): void {
    const next = this.engineInstance?.nextExpiry();
    if (next === undefined || next === this.scheduledExpiry) return;
    this.scheduledExpiry = next;
    this.options.enqueueAfter(EXPIRY_KEY, Math.max(0, next - this.options.now()));
  }

  /** Reconciles one key; throws to have the queue retry it with backoff. */
  async process(key: string): Promise<void> {
    const engine = this.engineInstance;
    if (!engine) return;
    const start = process.hrtime.bigint();
    const kind = key === EXPIRY_KEY ? 'expiry' : key.startsWith('map/') ? 'map' : 'status';
    try {
      let result: 'success' | 'unchanged' = 'success';
      if (kind === 'expiry') {
        this.scheduledExpiry = undefined;
        this.enqueueImpact(engine.advanceTime(this.options.now()));
        this.scheduleExpiry();
      } else if (kind === 'map') {
        const namespace = key.slice('map/'.length);
        if (!this.options.caches.namespaces.get(undefined, namespace)) return; // written when the namespace appears
        const existing = this.options.caches.configMaps.list().filter((cm) => cm.metadata?.namespace === namespace);
        const outcome = await this.options.configMapWriter.sync(engine, namespace, existing);
        this.options.observer?.mapBytes?.(namespace, outcome.bytes);
        this.options.observer?.mapWithheld?.(namespace, outcome.published === 'withheld');
        if (outcome.withheld && outcome.written.length > 0) this.options.log?.('warn', 'permission map withheld', { namespace, reason: outcome.withheld });
        if (outcome.written.length + outcome.deleted.length === 0) result = 'unchanged';
        else this.options.log?.('debug', 'permission map written', { namespace, published: outcome.published, written: outcome.written, deleted: outcome.deleted });
      } else {
        const objectKey = key.slice('status/'.length);
        const [k, a, b] = objectKey.split('/') as [KindName, string, string | undefined];
        const current = b === undefined ? this.options.caches.objects(k).get(undefined, a) : this.options.caches.objects(k).get(a, b);
        const outcome = await this.options.statusWriter.sync(engine, objectKey, current, this.cluster.invalid.get(objectKey));
        if (outcome !== 'written') result = 'unchanged';
      }
      this.options.observer?.reconciled?.(kind, result, seconds(start));
    } catch (error) {
      this.options.observer?.reconciled?.(kind, 'error', seconds(start));
      throw error;
    }
  }
}
