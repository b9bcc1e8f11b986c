/**
 * Kubernetes Events (events.k8s.io/v1) for condition changes: aggregated (a repeat of the same event within the
 * window updates the first one's series instead of creating another) and rate-limited (a token bucket), so a
 * flapping object cannot flood the API server.
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
  /** Token bucket: burst and refill per second; default 20 and 2. */
  burst?: number;
  perSecond?: number;
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

export class EventRecorder {
  private readonly options: Required<Omit<EventRecorderOptions, 'onWrite' | 'onDrop'>> & Pick<EventRecorderOptions, 'onWrite' | 'onDrop'>;
  private readonly series = new Map<string, Series>();
  private tokens: number;
  private refilledAt: number;
  private sequence = 0;

  constructor(options: EventRecorderOptions) {
    this.options = { clusterNamespace: 'default', windowMs: 10 * 60_000, burst: 20, perSecond: 2, now: Date.now, ...options };
    this.tokens = this.options.burst;
    this.refilledAt = this.options.now();
  }

  private take(): boolean {
    const now = this.options.now();
    this.tokens = Math.min(this.options.burst, this.tokens + ((now - this.refilledAt) / 1000) * this.options.perSecond);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Records an event; returns false when it was dropped by the rate limit. Never throws. */
  async record(target: EventTarget, event: RecordedEvent): Promise<boolean> {
    const now = this.options.now();
    const key = `${target.kind}/${target.namespace ?? ''}/${target.name}/${target.uid ?? ''}/${event.type}/${event.reason}/${event.note}`;
    for (const [k, s] of this.series) if (now - s.first > this.options.windowMs) this.series.delete(k);
    if (!this.take()) {
      this.options.onDrop?.();
      return false;
    }
    const namespace = target.namespace ?? this.options.clusterNamespace;
    const existing = this.series.get(key);
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
