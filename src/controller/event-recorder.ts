/**
 * Kubernetes Events (events.k8s.io/v1) for condition changes: aggregated (a repeat of the same event within the
 * window updates the first one's series instead of creating another) and rate-limited by two token buckets, one per
 * object (as client-go's spam filter: a burst of 25, then one every 5 minutes) and one for the replica (a burst of
 * 100, then 10 per second), so a flapping object cannot flood the API server nor spend the others' share.
 */
import type { ApiRequests } from './api-client.ts';
import { MERGE_PATCH } from './api-client.ts';

export interface EventTarget {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string | undefined;
  uid?: string | undefined;
}

export interface RecordedEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  note: string;
  /** What was being done (default `Reconcile`; the admission webhook's denials say `Admit`). */
  action?: string;
}

export interface EventRecorderOptions {
  api: ApiRequests;
  reportingInstance: string;
  /** Namespace for events about cluster-scoped objects. */
  clusterNamespace?: string;
  /** Aggregation window; default 10 minutes. */
  windowMs?: number;
  /** The replica's token bucket: burst and refill per second; default 100 and 10. */
  burst?: number;
  perSecond?: number;
  /** Each object's token bucket (kind, namespace, name, uid): burst and milliseconds per token; default 25 and 5 minutes. */
  objectBurst?: number;
  objectRefillMs?: number;
  now?: () => number;
  onWrite?: (verb: 'create' | 'patch', ok: boolean) => void;
  /** An event dropped by the rate limit (no write was tried). */
  onDrop?: () => void;
}

interface Series {
  name: string;
  namespace: string;
  count: number;
  first: number;
}

/** A token bucket: `burst` tokens at most, one more every `msPerToken`. */
export class TokenBucket {
  private readonly burst: number;
  private readonly msPerToken: number;
  private tokens: number;
  private refilledAt: number;

  constructor(burst: number, msPerToken: number, now: number) {
    this.burst = burst;
    this.msPerToken = msPerToken;
    this.tokens = burst;
    this.refilledAt = now;
  }

  /** The tokens there are at `now` (refilled up to the burst). */
  available(now: number): number {
    if (now > this.refilledAt) {
      this.tokens = Math.min(this.burst, this.tokens + (now - this.refilledAt) / this.msPerToken);
      this.refilledAt = now;
    }
    return this.tokens;
  }

  /** Spends one token (the caller checked `available(now) >= 1`). */
  take(): void {
    this.tokens -= 1;
  }

  /** Whether it is full at `now`: a full bucket is the same as a new one. */
  full(now: number): boolean {
    return this.available(now) >= this.burst;
  }
}

/** Object buckets are swept of full ones (the same as absent) when there are this many. */
const OBJECT_SWEEP_AT = 4096;

export class EventRecorder {
  private readonly options: Required<Omit<EventRecorderOptions, 'onWrite' | 'onDrop'>> & Pick<EventRecorderOptions, 'onWrite' | 'onDrop'>;
  private readonly series = new Map<string, Series>();
  private seriesSweptAt = -Infinity;
  private readonly replica: TokenBucket;
  private readonly objects = new Map<string, TokenBucket>();
  private sequence = 0;

  constructor(options: EventRecorderOptions) {
    this.options = {
      clusterNamespace: 'default',
      windowMs: 10 * 60_000,
      burst: 100,
      perSecond: 10,
      objectBurst: 25,
      objectRefillMs: 5 * 60_000,
      now: Date.now,
      ...options,
    };
    this.replica = new TokenBucket(this.options.burst, 1000 / this.options.perSecond, this.options.now());
  }

  /** How many objects have a bucket kept: full ones included until a sweep (once there are 4096) lets them go. */
  get objectBuckets(): number {
    return this.objects.size;
  }

  /** Takes a token from the object's bucket and the replica's when both have one; neither otherwise. */
  private take(objectKey: string, now: number): boolean {
    let bucket = this.objects.get(objectKey);
    if (!bucket) {
      if (this.objects.size >= OBJECT_SWEEP_AT) for (const [k, b] of this.objects) if (b.full(now)) this.objects.delete(k);
      bucket = new TokenBucket(this.options.objectBurst, this.options.objectRefillMs, now);
      this.objects.set(objectKey, bucket);
    }
    if (bucket.available(now) < 1 || this.replica.available(now) < 1) return false;
    bucket.take();
    this.replica.take();
    return true;
  }

  /** The series of `key` still within the window; series past it are swept at most once a second. */
  private liveSeries(key: string, now: number): Series | undefined {
    if (now - this.seriesSweptAt >= 1000) {
      this.seriesSweptAt = now;
      for (const [k, s] of this.series) if (now - s.first > this.options.windowMs) this.series.delete(k);
    }
    const found = this.series.get(key);
    if (found && now - found.first > this.options.windowMs) {
      this.series.delete(key);
      return undefined;
    }
    return found;
  }

  /** Records an event; returns false when it was dropped by the rate limit. Never throws. */
  async record(target: EventTarget, event: RecordedEvent): Promise<boolean> {
    const now = this.options.now();
    const objectKey = `${target.kind}/${target.namespace ?? ''}/${target.name}/${target.uid ?? ''}`;
    const key = `${objectKey}/${event.type}/${event.reason}/${event.note}`;
    if (!this.take(objectKey, now)) {
      this.options.onDrop?.();
      return false;
    }
    const namespace = target.namespace ?? this.options.clusterNamespace;
    const existing = this.liveSeries(key, now);
    const time = new Date(now).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
    try {
      if (existing) {
        existing.count++;
        await this.options.api.request('PATCH', `/apis/events.k8s.io/v1/namespaces/${existing.namespace}/events/${existing.name}`, {
          contentType: MERGE_PATCH,
          body: { series: { count: existing.count, lastObservedTime: time } },
        });
        this.options.onWrite?.('patch', true);
        return true;
      }
      const name = `${target.name}.${now.toString(16)}${(this.sequence++).toString(16)}`.slice(0, 253);
      await this.options.api.request('POST', `/apis/events.k8s.io/v1/namespaces/${namespace}/events`, {
        body: {
          apiVersion: 'events.k8s.io/v1',
          kind: 'Event',
          metadata: { name, namespace },
          eventTime: time,
          reportingController: 'charter.dev/operator',
          reportingInstance: this.options.reportingInstance.slice(0, 128),
          action: (event.action ?? 'Reconcile').slice(0, 128),
          reason: event.reason.slice(0, 128),
          note: event.note.slice(0, 1024),
          type: event.type,
          regarding: { apiVersion: target.apiVersion, kind: target.kind, name: target.name, namespace: target.namespace, uid: target.uid },
        },
      });
      this.series.set(key, { name, namespace, count: 1, first: now });
      this.options.onWrite?.('create', true);
      return true;
    } catch {
      this.options.onWrite?.(existing ? 'patch' : 'create', false);
      return false;
    }
  }
}
