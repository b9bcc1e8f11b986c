/**
 * The operator's Prometheus metrics, registered once per registry and pre-initialised: every known label set
 * is exported with a zero value from the start, so dashboards and alerts (`rate(...)`, `absent(...)`) work
 * before the first error happens — as controller-runtime does.
 *
 *   const registry = new Registry();
 *   const metrics = createMetrics(registry);
 *   metrics.reconcileTotal.inc({ kind: 'User', result: 'success' });
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, register as globalRegistry } from 'prom-client';
import { KINDS } from '../api/kinds.ts';

/** Results of one reconcile, as controller-runtime names them. */
export const RECONCILE_RESULTS = ['success', 'error', 'requeue', 'requeue_after'] as const;
/** What the operator writes to the API server. */
export const API_WRITE_KINDS = ['status', 'configmap', 'event', 'lease'] as const;
export const API_WRITE_VERBS = ['create', 'update', 'patch', 'apply', 'delete'] as const;
/** `conflict` is a 409 (optimistic concurrency: retried with a fresh read); `error` is anything else. */
export const API_WRITE_RESULTS = ['success', 'conflict', 'error'] as const;
export const ENGINE_OPERATIONS = ['build', 'apply'] as const;
/**
 * Why an informer restarted its watch: `expired` (410 Gone: it re-listed), `stalled` (no event or bookmark
 * within the stall timeout), `error` (any other failure: it backed off), `closed` (the server ended the
 * watch, normally at its timeoutSeconds: it re-watched from the last resourceVersion).
 */
export const WATCH_RESTART_REASONS = ['expired', 'stalled', 'error', 'closed'] as const;

/** Operations the admission webhook judges; `unknown` for a review too malformed to say. */
export const ADMISSION_OPERATIONS = ['CREATE', 'UPDATE', 'DELETE'] as const;
/**
 * How the webhook answered (`verdict`) and why (`reason`). `allowed`: `Platform` (a bypass identity) or `Permitted`
 * (the rules allow it). `denied`: the first failed rule's reason (admission.md §3). `error`: no decision could be made
 * — `Malformed` (a review it could not read), `NotReady` (no engine yet), `DecisionFailed` (the judgement threw) —
 * and the request was denied (fail closed).
 */
export const ADMISSION_ALLOW_REASONS = ['Platform', 'Permitted'] as const;
export const ADMISSION_DENY_REASONS = [
  'NotPermitted',
  'NoEscalation',
  'LastOwner',
  'LastAdmin',
  'SubjectNotAvailable',
  'AdminOnly',
  'NameInUse',
  'AmbiguousIdentity',
  'UnknownRequester',
] as const;
export const ADMISSION_ERROR_REASONS = ['Malformed', 'NotReady', 'DecisionFailed'] as const;
/**
 * Changes the webhook allowed and stopped waiting for before its watch brought them back (admission.md, "Two requests
 * judged on the same state"), by `source` — `platform` (a bypass identity's review) or `judged` (by the rules) — and
 * `reason`: `expired` (its wait ran out: refused after the webhook, a no-op, or a review no API server sent) or
 * `evicted` (pushed out by newer platform changes past the cap; platform only).
 */
export const ADMISSION_GIVEN_UP = [
  { source: 'platform', reason: 'expired' },
  { source: 'platform', reason: 'evicted' },
  { source: 'judged', reason: 'expired' },
] as const;

export interface ControllerMetrics {
  registry: Registry;
  /** charter_reconcile_total{kind,result} */
  reconcileTotal: Counter<'kind' | 'result'>;
  /** charter_reconcile_errors_total{kind} */
  reconcileErrors: Counter<'kind'>;
  /** charter_reconcile_duration_seconds{kind} */
  reconcileDuration: Histogram<'kind'>;
  /** charter_workqueue_depth{name}: keys waiting (not those being processed, not those waiting for a delay). */
  workqueueDepth: Gauge<'name'>;
  /** charter_workqueue_adds_total{name}: adds that queued a key (an add of an already queued key is not counted). */
  workqueueAdds: Counter<'name'>;
  /** charter_workqueue_queue_duration_seconds{name}: from queued to picked up by a worker. */
  workqueueQueueDuration: Histogram<'name'>;
  /** charter_workqueue_work_duration_seconds{name}: how long processing one key took. */
  workqueueWorkDuration: Histogram<'name'>;
  /** charter_workqueue_retries_total{name}: keys requeued with backoff after a failure. */
  workqueueRetries: Counter<'name'>;
  /** charter_engine_duration_seconds{operation}: build (full model) or apply (a change). */
  engineDuration: Histogram<'operation'>;
  /** charter_api_writes_total{kind,verb,result} */
  apiWrites: Counter<'kind' | 'verb' | 'result'>;
  /** charter_permission_map_bytes{namespace}: size of a namespace's published permission map. */
  permissionMapBytes: Gauge<'namespace'>;
  /** charter_permission_map_withheld{namespace}: 1 while a namespace's map is withheld (too many shards); absent otherwise. */
  permissionMapWithheld: Gauge<'namespace'>;
  /** charter_watch_restarts_total{resource,reason} */
  watchRestarts: Counter<'resource' | 'reason'>;
  eventsDropped: Counter;
  /** charter_leader: 1 while this replica holds the leader lease, else 0. */
  leader: Gauge<string>;
  /** charter_admission_requests_total{kind,operation,verdict,reason}: the webhook's answers. */
  admissionRequests: Counter<'kind' | 'operation' | 'verdict' | 'reason'>;
  /** charter_admission_duration_seconds{kind,operation}: from a review received to its answer sent. */
  admissionDuration: Histogram<'kind' | 'operation'>;
  /** charter_admission_changes_given_up_total{source,reason}: allowed changes no longer waited for (ADMISSION_GIVEN_UP). */
  admissionChangesGivenUp: Counter<'source' | 'reason'>;
}

export interface MetricsOptions {
  /** Reconciled kinds to pre-initialise (default: the four charter.dev kinds). */
  kinds?: readonly string[];
  /** Also export Node's process metrics (CPU, memory, event loop lag, …) with prom-client's defaults. */
  processMetrics?: boolean;
}

const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const ADMISSION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const QUEUE_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60, 300, 1000];

const created = new WeakMap<Registry, ControllerMetrics>();

/**
 * The operator's metrics in `registry` (default: prom-client's global registry). Calling it again with the
 * same registry returns the same metrics instead of failing on a second registration.
 *
 * @example
 *   const registry = new Registry();
 *   const metrics = createMetrics(registry);
 *   const end = metrics.reconcileDuration.startTimer({ kind: 'User' });
 *   // … reconcile …
 *   end();
 */
export function createMetrics(registry: Registry = globalRegistry, options: MetricsOptions = {}): ControllerMetrics {
  const existing = created.get(registry);
  if (existing) return existing;
  const registers = [registry];
  const m: ControllerMetrics = {
    registry,
    reconcileTotal: new Counter({
      name: 'charter_reconcile_total',
      help: 'Reconciles by kind and result.',
      labelNames: ['kind', 'result'],
      registers,
    }),
    reconcileErrors: new Counter({
      name: 'charter_reconcile_errors_total',
      help: 'Reconciles that failed, by kind.',
      labelNames: ['kind'],
      registers,
    }),
    reconcileDuration: new Histogram({
      name: 'charter_reconcile_duration_seconds',
      help: 'How long one reconcile took, by kind.',
      labelNames: ['kind'],
      buckets: DURATION_BUCKETS,
      registers,
    }),
    workqueueDepth: new Gauge({
      name: 'charter_workqueue_depth',
      help: 'Keys waiting in a work queue.',
      labelNames: ['name'],
      registers,
    }),
    workqueueAdds: new Counter({
      name: 'charter_workqueue_adds_total',
      help: 'Keys queued (adds of a key already waiting are not counted).',
      labelNames: ['name'],
      registers,
    }),
    workqueueQueueDuration: new Histogram({
      name: 'charter_workqueue_queue_duration_seconds',
      help: 'How long a key waited in the queue before a worker took it.',
      labelNames: ['name'],
      buckets: QUEUE_BUCKETS,
      registers,
    }),
    workqueueWorkDuration: new Histogram({
      name: 'charter_workqueue_work_duration_seconds',
      help: 'How long processing one key took.',
      labelNames: ['name'],
      buckets: QUEUE_BUCKETS,
      registers,
    }),
    workqueueRetries: new Counter({
      name: 'charter_workqueue_retries_total',
      help: 'Keys requeued with backoff after processing failed.',
      labelNames: ['name'],
      registers,
    }),
    engineDuration: new Histogram({
      name: 'charter_engine_duration_seconds',
      help: 'How long the engine took: build (a full model) or apply (one change).',
      labelNames: ['operation'],
      buckets: DURATION_BUCKETS,
      registers,
    }),
    apiWrites: new Counter({
      name: 'charter_api_writes_total',
      help: 'Writes to the API server by kind (status, configmap, event, lease), verb and result.',
      labelNames: ['kind', 'verb', 'result'],
      registers,
    }),
    permissionMapBytes: new Gauge({
      name: 'charter_permission_map_bytes',
      help: "Size in bytes of a namespace's published permission map (all its ConfigMaps).",
      labelNames: ['namespace'],
      registers,
    }),
    permissionMapWithheld: new Gauge({
      name: 'charter_permission_map_withheld',
      help: "1 while a namespace's permission map is withheld: it would need more shard ConfigMaps than --max-shards (every check there is false).",
      labelNames: ['namespace'],
      registers,
    }),
    watchRestarts: new Counter({
      name: 'charter_watch_restarts_total',
      help: 'Watch restarts by resource and reason (expired, stalled, error, closed).',
      labelNames: ['resource', 'reason'],
      registers,
    }),
    eventsDropped: new Counter({
      name: 'charter_events_dropped_total',
      help: 'Events not written because a rate limit was spent (per object: a burst of 25, then one per 5 minutes; per replica: a burst of 100, then 10 per second).',
      registers,
    }),
    leader: new Gauge({
      name: 'charter_leader',
      help: '1 while this replica holds the leader lease, else 0.',
      registers,
    }),
    admissionRequests: new Counter({
      name: 'charter_admission_requests_total',
      help: 'Admission reviews answered, by kind, operation, verdict (allowed, denied, error: no decision, denied) and reason.',
      labelNames: ['kind', 'operation', 'verdict', 'reason'],
      registers,
    }),
    admissionDuration: new Histogram({
      name: 'charter_admission_duration_seconds',
      help: 'How long the webhook took to answer a review (reading, waiting for earlier allowed changes, deciding).',
      labelNames: ['kind', 'operation'],
      buckets: ADMISSION_BUCKETS,
      registers,
    }),
    admissionChangesGivenUp: new Counter({
      name: 'charter_admission_changes_given_up_total',
      help: 'Changes the webhook allowed that it stopped waiting for before its watch brought them back, by source (platform: a bypass identity; judged: by the rules) and reason (expired: its wait ran out; evicted: too many platform changes pending).',
      labelNames: ['source', 'reason'],
      registers,
    }),
  };

  for (const kind of options.kinds ?? KINDS) {
    for (const result of RECONCILE_RESULTS) m.reconcileTotal.inc({ kind, result }, 0);
    m.reconcileErrors.inc({ kind }, 0);
    m.reconcileDuration.zero({ kind });
  }
  for (const operation of ENGINE_OPERATIONS) m.engineDuration.zero({ operation });
  for (const kind of API_WRITE_KINDS) {
    for (const verb of API_WRITE_VERBS) {
      for (const result of API_WRITE_RESULTS) m.apiWrites.inc({ kind, verb, result }, 0);
    }
  }
  m.leader.set(0);
  for (const kind of options.kinds ?? KINDS) {
    for (const operation of ADMISSION_OPERATIONS) {
      for (const reason of ADMISSION_ALLOW_REASONS) m.admissionRequests.inc({ kind, operation, verdict: 'allowed', reason }, 0);
      for (const reason of ADMISSION_DENY_REASONS) m.admissionRequests.inc({ kind, operation, verdict: 'denied', reason }, 0);
      for (const reason of ADMISSION_ERROR_REASONS) m.admissionRequests.inc({ kind, operation, verdict: 'error', reason }, 0);
      m.admissionDuration.zero({ kind, operation });
    }
  }
  m.admissionRequests.inc({ kind: 'unknown', operation: 'unknown', verdict: 'error', reason: 'Malformed' }, 0);
  for (const labels of ADMISSION_GIVEN_UP) m.admissionChangesGivenUp.inc(labels, 0);
  if (options.processMetrics) collectDefaultMetrics({ register: registry });

  created.set(registry, m);
  return m;
}

/** Zero series for a work queue's name (the WorkQueue does this itself). */
export function initQueueMetrics(metrics: ControllerMetrics, name: string): void {
  metrics.workqueueDepth.set({ name }, 0);
  metrics.workqueueAdds.inc({ name }, 0);
  metrics.workqueueRetries.inc({ name }, 0);
  metrics.workqueueQueueDuration.zero({ name });
  metrics.workqueueWorkDuration.zero({ name });
}

/** Zero series for an informer's resource, one per restart reason (the Informer does this itself). */
export function initWatchMetrics(metrics: ControllerMetrics, resource: string): void {
  for (const reason of WATCH_RESTART_REASONS) metrics.watchRestarts.inc({ resource, reason }, 0);
}
