/**
 * The operator, assembled: informers for the four kinds, Namespaces and Charter's ConfigMaps feed the reconciler;
 * a work queue runs its keys while this replica holds the leader lease; metrics, health and readiness are served
 * over HTTP. Only the leader writes; a follower keeps its engine warm so that it takes over at once.
 */
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { DEFAULT_ADMISSION_OPTIONS, type AdmissionOptions } from '../admission/decide.ts';
import { KINDS, type KindName } from '../api/kinds.ts';
import type { Catalog } from '../catalog/catalog.ts';
import { startAdmissionServer, type RunningAdmissionServer } from './admission-server.ts';
import { AdmissionWebhook } from './admission-webhook.ts';
import { ApiClient } from './api-client.ts';
import { ConfigMapWriter, MAP_SELECTOR, withDataDigest, type ExistingConfigMap } from './configmap-writer.ts';
import { EventRecorder } from './event-recorder.ts';
import { startHttpServer } from './http-server.ts';
import { Informer } from './informer.ts';
import { LeaderElector } from './leader-election.ts';
import type { Logger } from './logger.ts';
import { createMetrics, type ControllerMetrics } from './metrics.ts';
import type { Caches } from './caches.ts';
import { Reconciler } from './reconciler.ts';
import { collectionPath } from './resources.ts';
import { StatusWriter } from './status-writer.ts';
import { formatWorkKey, isUrgentWorkKey } from './work-key.ts';
import { WorkQueue } from './work-queue.ts';

export interface OperatorOptions {
  kubeConfig: KubeConfig;
  catalog: Catalog;
  logger: Logger;
  adminRights?: 'default' | 'all';
  workers?: number;
  /** Workers for map (and expiry) keys only, beyond `workers` (default: as many as `workers`). */
  mapWorkers?: number;
  leaderElection?: { namespace: string; name?: string; identity?: string; leaseDurationMs?: number; renewDeadlineMs?: number; retryPeriodMs?: number } | false;
  /** Port of /metrics, /healthz and /readyz; 0 picks one; undefined serves nothing. */
  port?: number | undefined;
  stallTimeoutMs?: number;
  /**
   * The longest an informer's lists and watches may keep failing before this replica is unready and its webhook
   * answers NotReady (--staleness-limit; default 120 s): past it, its state may miss any change made since.
   */
  stalenessLimitMs?: number;
  mapBudgetBytes?: number;
  /** Most shard ConfigMaps a namespace's map may use (--max-shards; default 8). */
  maxShards?: number;
  registry?: Registry;
  /** Called when this replica loses the lease: the process should exit (as controller-runtime does). */
  onLostLeadership?: () => void;
  /** The validating admission webhook, served over HTTPS once the engine is built; undefined: not served. */
  admission?: AdmissionServing;
}

export interface AdmissionServing {
  /** 0 picks a free port (see `admissionPort`). */
  port: number;
  /** Default: every interface. */
  host?: string;
  certFile: string;
  keyFile: string;
  options?: AdmissionOptions;
  /** How long a request waits for changes allowed before it to come back through the watch (default 2000 ms). */
  holdMs?: number;
  /** How often the certificate files are compared without a change event (default 10 s). */
  certificatePollMs?: number;
}

/**
 * The operator's work queue: maps (and expiry) before statuses, with workers of their own (by default as many as
 * `workers`): workloads enforce the maps, statuses only inform (work-key.ts). A group edit queues dozens of each; the
 * figure that counts is its last map (docs/operator.md, "The work queue").
 */
export function operatorWorkQueue(options: {
  workers: number;
  mapWorkers?: number | undefined;
  process: (key: string) => Promise<void>;
  metrics?: ControllerMetrics;
  logger: Logger;
}): WorkQueue {
  return new WorkQueue({
    name: 'charter',
    workers: options.workers,
    urgent: isUrgentWorkKey,
    urgentWorkers: options.mapWorkers ?? options.workers,
    process: options.process,
    ...(options.metrics ? { metrics: options.metrics } : {}),
    logger: options.logger,
  });
}

/** --staleness-limit's default: past it, a replica whose watches keep failing is unready and its webhook denies. */
export const DEFAULT_STALENESS_LIMIT_MS = 120_000;

export class Operator {
  readonly metrics: ControllerMetrics;
  readonly registry: Registry;
  readonly reconciler: Reconciler;
  /** The admission webhook's judgement (served when `admission` is given). */
  readonly webhook: AdmissionWebhook;
  private readonly options: OperatorOptions;
  private readonly api: ApiClient;
  private readonly queue: WorkQueue;
  private readonly informers = new Map<string, Informer<KubernetesObject>>();
  private elector: LeaderElector | undefined;
  private server: { port: number; close(): Promise<void> } | undefined;
  private admissionServer: RunningAdmissionServer | undefined;
  private built = false;
  private leading = false;
  private stopped = false;
  /** Misconfigurations in effect, by where they were met (an informer's name, 'leader election'): misconfiguration.ts. */
  private readonly problems = new Map<string, string>();

  constructor(options: OperatorOptions) {
    this.options = options;
    this.registry = options.registry ?? new Registry();
    this.metrics = createMetrics(this.registry);
    const metrics = this.metrics;
    this.api = new ApiClient(options.kubeConfig);
    const identity = options.leaderElection ? (options.leaderElection.identity ?? `${hostname()}-${process.pid}`) : `${hostname()}-${process.pid}`;
    const write = (kind: 'status' | 'configmap' | 'event', verb: string, result: 'success' | 'conflict' | 'error'): void => {
      metrics.apiWrites.inc({ kind, verb, result });
    };
    const events = new EventRecorder({ api: this.api, reportingInstance: identity, onWrite: (verb, ok) => write('event', verb, ok ? 'success' : 'error'), onDrop: () => metrics.eventsDropped.inc() });
    const statusWriter = new StatusWriter({ api: this.api, events, onWrite: (ok, conflict, verb = 'apply') => write('status', verb, ok ? 'success' : conflict ? 'conflict' : 'error') });
    const configMapWriter = new ConfigMapWriter({
      api: this.api,
      ...(options.mapBudgetBytes ? { budgetBytes: options.mapBudgetBytes } : {}),
      ...(options.maxShards ? { maxShards: options.maxShards } : {}),
      events,
      log: (level, message, fields) => options.logger.log(level, message, fields),
      onWrite: (verb, ok, conflict) => write('configmap', verb, ok ? 'success' : conflict ? 'conflict' : 'error'),
    });
    const informer = (name: string, path: string, labelSelector?: string, transform?: (o: KubernetesObject) => KubernetesObject): Informer<KubernetesObject> => {
      const created = new Informer<KubernetesObject>({
        kubeConfig: options.kubeConfig,
        path,
        name,
        ...(transform ? { transform } : {}),
        logger: options.logger,
        metrics,
        ...(labelSelector ? { labelSelector } : {}),
        ...(options.stallTimeoutMs ? { stallTimeoutMs: options.stallTimeoutMs } : {}),
        onProblem: (reason) => this.setProblem(name, reason),
      });
      this.informers.set(name, created);
      return created;
    };
    const objects = new Map<KindName, Informer<KubernetesObject>>();
    for (const kind of KINDS) objects.set(kind, informer(kind, collectionPath(kind)));
    // The map ConfigMaps' data is kept as a digest (withDataDigest): the writer compares by it, and the maps' bytes are
    // not held a second time beside the kept maps.
    const configMaps = informer('ConfigMap', '/api/v1/configmaps', MAP_SELECTOR, (cm) => withDataDigest(cm as ExistingConfigMap) as KubernetesObject);
    const namespaces = informer('Namespace', '/api/v1/namespaces');
    const caches: Caches = {
      objects: (kind) => objects.get(kind)!,
      configMaps,
      namespaces,
    };
    this.queue = operatorWorkQueue({
      workers: options.workers ?? 4,
      mapWorkers: options.mapWorkers,
      process: (key) => this.reconciler.process(key),
      metrics,
      logger: options.logger,
    });
    this.reconciler = new Reconciler({
      catalog: options.catalog,
      engineOptions: { adminRights: options.adminRights ?? 'default' },
      caches,
      statusWriter,
      configMapWriter,
      enqueue: (key) => this.queue.add(formatWorkKey(key)),
      enqueueAfter: (key, ms) => this.queue.addAfter(formatWorkKey(key), ms),
      observer: {
        reconciled: (kind, result, seconds) => {
          metrics.reconcileTotal.inc({ kind, result: result === 'error' ? 'error' : 'success' });
          if (result === 'error') metrics.reconcileErrors.inc({ kind });
          metrics.reconcileDuration.observe({ kind }, seconds);
        },
        engine: (operation, seconds) => metrics.engineDuration.observe({ operation }, seconds),
        mapBytes: (namespace, bytes) => metrics.permissionMapBytes.set({ namespace }, bytes),
        mapWithheld: (namespace, withheld) => (withheld ? metrics.permissionMapWithheld.set({ namespace }, 1) : metrics.permissionMapWithheld.remove({ namespace })),
      },
      log: (level, message, fields) => options.logger.log(level, message, fields ?? {}),
      stale: () => this.staleness(),
    });
    this.webhook = new AdmissionWebhook({
      engine: () => this.reconciler.currentEngine(),
      lookup: (kind, namespace, name) => objects.get(kind)!.get(namespace, name),
      modelledAt: (ref, resourceVersion) => this.reconciler.modelledAt(ref, resourceVersion),
      options: options.admission?.options ?? DEFAULT_ADMISSION_OPTIONS,
      logger: options.logger,
      metrics,
      recordEvent: (target, event) => events.record(target, event),
      stale: () => this.staleness(KINDS),
      ...(options.admission?.holdMs !== undefined ? { holdMs: options.admission.holdMs } : {}),
    });
    for (const kind of KINDS) {
      objects.get(kind)!.on({
        // Followers apply every event too: their engine, which the webhook judges with, is as current as the leader's.
        onEvent: (type, object) => {
          this.reconciler.onObjectEvent(kind, type, object);
          this.webhook.observed();
        },
        onRelist: () => {
          this.relisted(kind);
          this.webhook.observed();
        },
      });
    }
    configMaps.on({
      onEvent: (type, object) => this.reconciler.onConfigMapEvent(type, object),
      onRelist: (list) => this.reconciler.onConfigMapsRelisted(list),
    });
    namespaces.on({
      onEvent: (type, object) => type !== 'DELETED' && this.reconciler.onNamespaceEvent(object.metadata?.name ?? ''),
      onRelist: (list) => list.forEach((ns) => this.reconciler.onNamespaceEvent(ns.metadata?.name ?? '')),
    });
    if (options.leaderElection) {
      const le = options.leaderElection;
      this.elector = new LeaderElector({
        kubeConfig: options.kubeConfig,
        namespace: le.namespace,
        name: le.name ?? 'charter-leader',
        identity,
        logger: options.logger,
        metrics,
        ...(le.leaseDurationMs ? { leaseDurationMs: le.leaseDurationMs } : {}),
        ...(le.renewDeadlineMs ? { renewDeadlineMs: le.renewDeadlineMs } : {}),
        ...(le.retryPeriodMs ? { retryPeriodMs: le.retryPeriodMs } : {}),
        onProblem: (reason) => this.setProblem('leader election', reason),
      });
    }
  }

  /** A re-list after the start: a full recompute (the watch missed events). */
  private relisted(kind: KindName): void {
    if (!this.built) return;
    this.options.logger.info('re-listed: full recompute', { kind });
    this.reconciler.rebuild();
  }

  get isLeader(): boolean {
    return this.leading;
  }

  private setProblem(where: string, reason: string | undefined): void {
    if (reason) this.problems.set(where, reason);
    else this.problems.delete(where);
  }

  /**
   * Ready: every informer has listed, the engine is built, no misconfiguration is in effect (a replica that
   * cannot list a kind, or cannot even campaign for the Lease, is not a warm standby), and no informer's lists and
   * watches have been failing for longer than the staleness limit (its state may miss any change made since).
   */
  get ready(): boolean {
    return this.problems.size === 0 && this.built && [...this.informers.values()].every((i) => i.synced) && this.staleness() === undefined;
  }

  /**
   * Why this replica's state may be stale: the informers (of `kinds`, or all) whose lists and watches have been
   * failing for longer than the staleness limit; undefined when none has.
   */
  staleness(kinds?: readonly string[]): string | undefined {
    const limit = this.options.stalenessLimitMs ?? DEFAULT_STALENESS_LIMIT_MS;
    const now = performance.now();
    const stale = [...this.informers.values()].filter((i) => (!kinds || kinds.includes(i.name)) && i.failingForMs(now) > limit);
    if (stale.length === 0) return undefined;
    const each = stale.map((i) => `${i.name} for ${Math.round(i.failingForMs(now) / 1000)} s (${i.failure ?? 'failing'})`);
    return `the watch has been failing longer than the staleness limit (${limit / 1000} s): ${each.join('; ')}`;
  }

  /** Why not ready, in one line (undefined when ready). */
  get notReadyReason(): string | undefined {
    if (this.problems.size > 0) return [...this.problems.values()].join('; ');
    const stale = this.staleness();
    if (stale) return stale;
    const waiting = [...this.informers.values()].filter((i) => !i.synced).map((i) => i.name);
    if (waiting.length > 0) return `waiting for the first list of ${waiting.join(', ')}`;
    return this.built ? undefined : 'building the engine';
  }

  /** The port /metrics is served on, once started. */
  get port(): number | undefined {
    return this.server?.port;
  }

  /** The port the admission webhook is served on, once started. */
  get admissionPort(): number | undefined {
    return this.admissionServer?.port;
  }

  /** The admission webhook's certificate being served now. */
  get admissionCertificate(): { serialNumber: string; validTo: string } | undefined {
    return this.admissionServer?.certificate();
  }

  /** Starts informers, builds the engine, then leads (or follows). Resolves once the engine is built. */
  async start(): Promise<void> {
    if (this.options.port !== undefined) {
      this.server = await startHttpServer({
        port: this.options.port,
        registry: this.registry,
        ready: () => this.ready,
        notReadyReason: () => this.notReadyReason,
        healthy: () => !this.stopped,
      });
    }
    await Promise.all([...this.informers.values()].map((i) => i.start()));
    this.reconciler.rebuild();
    this.built = true;
    const admission = this.options.admission;
    if (admission) {
      // After the build: a webhook that answers is one that judges with the whole state.
      this.admissionServer = await startAdmissionServer({
        port: admission.port,
        ...(admission.host ? { host: admission.host } : {}),
        certFile: admission.certFile,
        keyFile: admission.keyFile,
        webhook: this.webhook,
        logger: this.options.logger,
        ...(admission.certificatePollMs ? { certificatePollMs: admission.certificatePollMs } : {}),
      });
      this.options.logger.info('admission webhook serving', { port: this.admissionServer.port, path: '/validate', serialNumber: this.admissionServer.certificate().serialNumber });
    }
    if (!this.elector) {
      this.lead();
      return;
    }
    void this.elector.run({
      onStartedLeading: () => this.lead(),
      onStoppedLeading: () => {
        if (!this.leading || this.stopped) return;
        this.leading = false;
        this.options.logger.error('leader lease lost: stopping (a restart rejoins as a follower)');
        this.options.onLostLeadership?.();
      },
    });
  }

  private lead(): void {
    if (this.leading || this.stopped) return;
    this.leading = true;
    this.options.logger.info('leading: reconciling');
    this.reconciler.enqueueAll();
    this.queue.start();
  }

  /** Graceful stop: finish in-flight work, release the lease, stop watching. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.queue.shutdown();
    if (this.elector) await this.elector.release().catch(() => undefined);
    // The webhook answers until here: a terminating replica still judges the requests the API server sends it.
    await this.admissionServer?.close();
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
    await this.server?.close();
    this.api.close();
  }
}
