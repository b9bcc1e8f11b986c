/**
 * `npm run bench:e2e -- --trace`: where one change's time goes inside the operator, from the request to the last
 * map. It wraps, on the running operator's instances (not its code), the reconciler's event handler (watch delivery
 * and engine apply), the work queue's `add` (when a key was queued), the reconciler's `process` (when a worker took
 * a key and how long it ran) and the API client's `request` (each write's round trip, attributed to its key through
 * AsyncLocalStorage). A change's breakdown is read from what happened between its request and its last map's arrival
 * at the benchmark's watch; docs/performance.md ("Where a group edit's time goes") reads them.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import type { Operator } from '../src/controller/operator.ts';

interface KeyRun {
  key: string;
  type: 'status' | 'map' | 'expiry' | 'other';
  queuedAt: number | undefined;
  start: number;
  end: number;
  /** Wall time of its API requests (round trips, including the event loop's delays in reading the answers). */
  requestMs: number;
  requests: number;
  /** Bytes of request bodies sent (JSON). */
  bodyBytes: number;
}

export interface ChangeTrace {
  /** Request → the operator's informer handing the event to the reconciler. */
  watchMs: number | undefined;
  /** The reconciler's handling of the event(s): engine apply + Impact → keys. */
  applyMs: number;
  statusKeys: number;
  mapKeys: number;
  /** Of the map keys, those that wrote (a PUT or more). */
  mapKeysWriting: number;
  mapRequests: number;
  statusRequests: number;
  /** Request → the first map key taken by a worker, and → the last map key done. */
  firstMapStartMs: number | undefined;
  lastMapEndMs: number | undefined;
  /** Status keys a worker took before the last map key was taken: the queue wait statuses put in front of maps. */
  statusesBeforeLastMap: number;
  /** Longest wait of a map key from queued to taken. */
  maxMapQueueWaitMs: number;
  /** Sums over the map keys: worker time, of it API requests, the rest (refresh, serialisation, compares, waits for the event loop). */
  mapWorkMs: number;
  mapRequestMs: number;
  mapOtherMs: number;
  statusWorkMs: number;
  statusRequestMs: number;
  /** Mean bytes per ConfigMap write request. */
  mapBytesPerWrite: number;
  /** The last map key done → the benchmark's watch seeing the last index (the API server's watch back). */
  watchBackMs: number | undefined;
  /** The event loop's utilisation between the request and the arrival (this process: operator + benchmark). */
  eventLoopUtilization: number;
}

export class E2eTrace {
  private readonly runs: KeyRun[] = [];
  private readonly events: Array<{ at: number; ms: number }> = [];
  private readonly queued = new Map<string, number>();
  private readonly current = new AsyncLocalStorage<KeyRun>();
  private t0 = 0;
  private elu: EventLoopUtilization | undefined;

  /** Wraps the operator's instances; from now on every change is recorded until `end`. */
  constructor(operator: Operator) {
    const reconciler = operator.reconciler;
    const onObjectEvent = reconciler.onObjectEvent.bind(reconciler);
    reconciler.onObjectEvent = (...args) => {
      const at = performance.now();
      onObjectEvent(...args);
      this.events.push({ at, ms: performance.now() - at });
    };
    const queue = operator['queue'];
    const add = queue.add.bind(queue);
    queue.add = (key: string) => {
      if (!this.queued.has(key)) this.queued.set(key, performance.now());
      add(key);
    };
    const process = reconciler.process.bind(reconciler);
    reconciler.process = async (key: string) => {
      const type = key === 'expiry' ? 'expiry' : key.startsWith('map/') ? 'map' : key.startsWith('status/') ? 'status' : 'other';
      const run: KeyRun = { key, type, queuedAt: this.queued.get(key), start: performance.now(), end: 0, requestMs: 0, requests: 0, bodyBytes: 0 };
      this.queued.delete(key);
      try {
        await this.current.run(run, () => process(key));
      } finally {
        run.end = performance.now();
        this.runs.push(run);
      }
    };
    const api = operator['api'];
    const request = api.request.bind(api);
    api.request = (async (method: string, path: string, options?: { body?: unknown }) => {
      const run = this.current.getStore();
      const start = performance.now();
      try {
        return await request(method, path, options);
      } finally {
        if (run) {
          run.requestMs += performance.now() - start;
          run.requests++;
          if (options?.body !== undefined) run.bodyBytes += JSON.stringify(options.body).length;
        }
      }
    }) as typeof api.request;
  }

  /** A change is about to be requested. */
  begin(): void {
    this.runs.length = 0;
    this.events.length = 0;
    this.t0 = performance.now();
    this.elu = performance.eventLoopUtilization();
  }

  /** The change's last map arrived at the benchmark's watch at `arrivedAt` (undefined: no map to wait for); call once the operator is idle. */
  end(arrivedAt: number | undefined): ChangeTrace {
    const t0 = this.t0;
    const elu = performance.eventLoopUtilization(this.elu).utilization;
    const maps = this.runs.filter((r) => r.type === 'map');
    const statuses = this.runs.filter((r) => r.type === 'status');
    const firstEvent = this.events.find((e) => e.at >= t0);
    const lastMap = maps.reduce<KeyRun | undefined>((last, r) => (last && last.end >= r.end ? last : r), undefined);
    const lastMapStart = maps.reduce((m, r) => Math.max(m, r.start), -Infinity);
    const sum = (of: KeyRun[], f: (r: KeyRun) => number): number => of.reduce((s, r) => s + f(r), 0);
    const writing = maps.filter((r) => r.requests > 0);
    const mapRequests = sum(maps, (r) => r.requests);
    return {
      watchMs: firstEvent ? firstEvent.at - t0 : undefined,
      applyMs: this.events.reduce((s, e) => s + e.ms, 0),
      statusKeys: statuses.length,
      mapKeys: maps.length,
      mapKeysWriting: writing.length,
      mapRequests,
      statusRequests: sum(statuses, (r) => r.requests),
      firstMapStartMs: maps.length ? Math.min(...maps.map((r) => r.start)) - t0 : undefined,
      lastMapEndMs: lastMap ? lastMap.end - t0 : undefined,
      statusesBeforeLastMap: statuses.filter((r) => r.start < lastMapStart).length,
      maxMapQueueWaitMs: Math.max(0, ...maps.map((r) => (r.queuedAt === undefined ? 0 : r.start - r.queuedAt))),
      mapWorkMs: sum(maps, (r) => r.end - r.start),
      mapRequestMs: sum(maps, (r) => r.requestMs),
      mapOtherMs: sum(maps, (r) => r.end - r.start - r.requestMs),
      statusWorkMs: sum(statuses, (r) => r.end - r.start),
      statusRequestMs: sum(statuses, (r) => r.requestMs),
      mapBytesPerWrite: mapRequests ? sum(maps, (r) => r.bodyBytes) / mapRequests : 0,
      watchBackMs: arrivedAt !== undefined && lastMap ? arrivedAt - lastMap.end : undefined,
      eventLoopUtilization: elu,
    };
  }
}

/** Per kind of change: the mean of each figure over the traced changes that changed a map. */
export function summariseTraces(traces: ReadonlyArray<{ type: string; latencyMs: number | undefined; trace: ChangeTrace }>): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  const types = [...new Set(traces.map((t) => t.type))];
  for (const type of types) {
    const of = traces.filter((t) => t.type === type && t.latencyMs !== undefined);
    if (of.length === 0) continue;
    const mean = (f: (t: ChangeTrace) => number | undefined): number => Math.round((of.reduce((s, t) => s + (f(t.trace) ?? 0), 0) / of.length) * 10) / 10;
    out[type] = {
      n: of.length,
      latencyMs: Math.round((of.reduce((s, t) => s + t.latencyMs!, 0) / of.length) * 10) / 10,
      watchMs: mean((t) => t.watchMs),
      applyMs: mean((t) => t.applyMs),
      statusKeys: mean((t) => t.statusKeys),
      mapKeys: mean((t) => t.mapKeys),
      mapKeysWriting: mean((t) => t.mapKeysWriting),
      mapRequests: mean((t) => t.mapRequests),
      statusRequests: mean((t) => t.statusRequests),
      firstMapStartMs: mean((t) => t.firstMapStartMs),
      lastMapEndMs: mean((t) => t.lastMapEndMs),
      statusesBeforeLastMap: mean((t) => t.statusesBeforeLastMap),
      maxMapQueueWaitMs: mean((t) => t.maxMapQueueWaitMs),
      mapWorkMs: mean((t) => t.mapWorkMs),
      mapRequestMs: mean((t) => t.mapRequestMs),
      mapOtherMs: mean((t) => t.mapOtherMs),
      statusWorkMs: mean((t) => t.statusWorkMs),
      statusRequestMs: mean((t) => t.statusRequestMs),
      mapBytesPerWrite: mean((t) => t.mapBytesPerWrite),
      watchBackMs: mean((t) => t.watchBackMs),
      eventLoopUtilization: Math.round(of.reduce((s, t) => s + t.trace.eventLoopUtilization, 0) / of.length * 100) / 100,
    };
  }
  return out;
}
