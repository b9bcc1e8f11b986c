/**
 * A work queue of string keys with controller-runtime's guarantees:
 *
 * - a key added while it waits is one item (adds collapse);
 * - a key is never processed concurrently with itself: added while being processed, it is processed once
 *   more after the current run ends;
 * - when `process` throws, the key comes back after a per-key exponential backoff (baseDelayMs × 2^(n−1),
 *   capped at maxDelayMs), reset by a success;
 * - at most `workers` keys are processed at a time (urgent keys: see below);
 * - `addAfter` wakes a key later (expiries); of several pending wake-ups for a key the earliest wins;
 * - keys for which `urgent` says so wait in a lane of their own and are taken first, each lane first in, first out;
 *   while both lanes wait, every `urgentRun` urgent keys taken in a row are followed by one of the other lane, so
 *   the others are slowed, never starved (the operator: permission maps before statuses, operator.ts); urgent keys
 *   may also use `urgentWorkers` workers of their own, so up to workers + urgentWorkers run at a time.
 *
 *   const queue = new WorkQueue({ name: 'users', workers: 4, logger, process: (key) => reconcile(key) });
 *   queue.start();
 *   informer.on({ onEvent: (_, o) => queue.add(keyOf(o)), onRelist: (all) => all.forEach((o) => queue.add(keyOf(o))) });
 *   // on SIGTERM:
 *   await queue.shutdown();
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from './logger.ts';
import { initQueueMetrics } from './metrics.ts';
import type { ControllerMetrics } from './metrics.ts';

export interface WorkQueueOptions {
  /** The queue's name in metrics and logs. */
  name: string;
  /** How many keys may be processed at the same time (≥ 1). */
  workers: number;
  /** Processes one key; a rejection requeues the key with backoff. */
  process: (key: string) => Promise<void>;
  /** The first retry's delay (default 5 ms). */
  baseDelayMs?: number;
  /** The longest retry delay (default 1000 s). */
  maxDelayMs?: number;
  metrics?: ControllerMetrics;
  logger: Logger;
  /** The monotonic clock `addAfter`'s wake-ups are due by, in ms (default `performance.now`; tests pass a fake one). */
  clock?: () => number;
  /** Keys taken before the others (default: none; every key in one lane). */
  urgent?: (key: string) => boolean;
  /** While both lanes wait, urgent keys taken in a row before one other key (default 8, ≥ 1). */
  urgentRun?: number;
  /** Workers for urgent keys only, beyond `workers` (default 0): urgent keys run up to workers + urgentWorkers at a time, the others up to workers. */
  urgentWorkers?: number;
}

/** Keys in the order they came, from `head` on (a queue without O(n) shifts). */
class Lane {
  private keys: string[] = [];
  private head = 0;

  get size(): number {
    return this.keys.length - this.head;
  }

  push(key: string): void {
    this.keys.push(key);
  }

  shift(): string | undefined {
    if (this.head >= this.keys.length) return undefined;
    const key = this.keys[this.head++];
    if (this.head > 1024 && this.head * 2 > this.keys.length) {
      this.keys = this.keys.slice(this.head);
      this.head = 0;
    }
    return key;
  }

  clear(): void {
    this.keys = [];
    this.head = 0;
  }
}

/** setTimeout's longest delay; longer waits are taken in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Delayed {
  due: number;
  timer: NodeJS.Timeout;
}

export class WorkQueue {
  readonly name: string;
  private readonly workers: number;
  private readonly processKey: (key: string) => Promise<void>;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly metrics: ControllerMetrics | undefined;
  private readonly logger: Logger;
  private readonly clock: () => number;
  private readonly urgent: ((key: string) => boolean) | undefined;
  private readonly urgentRun: number;
  private readonly urgentWorkers: number;

  /** Keys waiting for a worker, oldest first: the urgent lane and the other. */
  private readonly urgentLane = new Lane();
  private readonly otherLane = new Lane();
  /** Urgent keys taken in a row while the other lane waited. */
  private urgentTaken = 0;
  /** Keys that must be processed (again): waiting, or added while being processed. */
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly queuedAt = new Map<string, number>();
  private readonly delayed = new Map<string, Delayed>();
  private readonly failures = new Map<string, number>();
  private started = false;
  private shuttingDown = false;
  private drained: Promise<void> | undefined;
  private resolveDrained: (() => void) | undefined;

  constructor(opts: WorkQueueOptions) {
    if (!Number.isInteger(opts.workers) || opts.workers < 1) {
      throw new RangeError(`A work queue needs at least one worker; found workers=${opts.workers}`);
    }
    this.name = opts.name;
    this.workers = opts.workers;
    this.processKey = opts.process;
    this.baseDelayMs = opts.baseDelayMs ?? 5;
    this.maxDelayMs = opts.maxDelayMs ?? 1_000_000;
    this.metrics = opts.metrics;
    this.logger = opts.logger;
    this.clock = opts.clock ?? (() => performance.now());
    this.urgent = opts.urgent;
    this.urgentRun = opts.urgentRun ?? 8;
    this.urgentWorkers = opts.urgentWorkers ?? 0;
    if (!Number.isInteger(this.urgentWorkers) || this.urgentWorkers < 0) {
      throw new RangeError(`A work queue's urgentWorkers must be an integer ≥ 0; found urgentWorkers=${opts.urgentWorkers}`);
    }
    if (!Number.isInteger(this.urgentRun) || this.urgentRun < 1) {
      throw new RangeError(`A work queue's urgentRun must be a positive integer; found urgentRun=${opts.urgentRun}`);
    }
    if (this.metrics) initQueueMetrics(this.metrics, this.name);
  }

  /** Keys waiting for a worker (not those being processed, nor those waiting for an `addAfter` delay). */
  get depth(): number {
    return this.urgentLane.size + this.otherLane.size;
  }

  /** Keys being processed right now. */
  get inFlight(): number {
    return this.processing.size;
  }

  /** Queues `key` unless it already waits; a no-op after shutdown(). */
  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    this.metrics?.workqueueAdds.inc({ name: this.name });
    // Being processed: done() queues it again when that run ends.
    if (this.processing.has(key)) return;
    this.push(key);
  }

  /**
   * Queues `key` after `delayMs` (at once when ≤ 0). A key has at most one pending wake-up: the earliest
   * asked for. An `add` meanwhile does not cancel it.
   */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (!(delayMs > 0)) {
      this.add(key);
      return;
    }
    const due = this.clock() + delayMs;
    const pending = this.delayed.get(key);
    if (pending && pending.due <= due) return;
    if (pending) clearTimeout(pending.timer);
    this.schedule(key, due);
  }

  /** Starts the workers: keys added before are processed now. */
  start(): void {
    if (this.shuttingDown) throw new Error(`Work queue ${this.name} was shut down; it cannot start again`);
    this.started = true;
    this.dispatch();
  }

  /**
   * Stops taking work: waiting keys and pending wake-ups are dropped, later adds ignored. Resolves when the
   * keys being processed are done (their failures are not retried).
   */
  shutdown(): Promise<void> {
    if (!this.shuttingDown) {
      this.shuttingDown = true;
      for (const d of this.delayed.values()) clearTimeout(d.timer);
      this.delayed.clear();
      this.urgentLane.clear();
      this.otherLane.clear();
      this.dirty.clear();
      this.queuedAt.clear();
      this.metrics?.workqueueDepth.set({ name: this.name }, 0);
      this.drained = new Promise<void>((resolve) => (this.resolveDrained = resolve));
      this.checkDrained();
    }
    return this.drained!;
  }

  private schedule(key: string, due: number): void {
    const wait = Math.min(Math.max(0, due - this.clock()), MAX_TIMER_MS);
    const timer = setTimeout(() => {
      if (this.delayed.get(key)?.timer !== timer) return;
      if (this.clock() < due) {
        this.schedule(key, due); // a wait longer than setTimeout allows
        return;
      }
      this.delayed.delete(key);
      this.add(key);
    }, wait);
    // Pending wake-ups alone do not keep the process alive.
    timer.unref();
    this.delayed.set(key, { due, timer });
  }

  private push(key: string): void {
    (this.urgent?.(key) ? this.urgentLane : this.otherLane).push(key);
    this.queuedAt.set(key, performance.now());
    this.metrics?.workqueueDepth.set({ name: this.name }, this.depth);
    this.dispatch();
  }

  /** The lane to take from next: urgent first, but the other after `urgentRun` urgent keys in a row while both wait. */
  private nextLane(): Lane | undefined {
    if (this.urgentLane.size > 0 && (this.otherLane.size === 0 || this.urgentTaken < this.urgentRun)) return this.urgentLane;
    return this.otherLane.size > 0 ? this.otherLane : undefined;
  }

  private dispatch(): void {
    if (!this.started || this.shuttingDown) return;
    for (;;) {
      const lane = this.nextLane();
      // Urgent keys may also use the urgent workers; the others only the shared ones. When it is the others' turn,
      // nothing is taken until a shared worker is free: so they are never starved by urgent keys filling the slots.
      if (lane === undefined || this.processing.size >= (lane === this.urgentLane ? this.workers + this.urgentWorkers : this.workers)) break;
      this.urgentTaken = lane === this.urgentLane && this.otherLane.size > 0 ? this.urgentTaken + 1 : 0;
      const key = lane.shift()!;
      this.dirty.delete(key);
      this.processing.add(key);
      const queued = this.queuedAt.get(key);
      this.queuedAt.delete(key);
      if (this.metrics) {
        this.metrics.workqueueDepth.set({ name: this.name }, this.depth);
        if (queued !== undefined) {
          this.metrics.workqueueQueueDuration.observe({ name: this.name }, (performance.now() - queued) / 1000);
        }
      }
      void this.work(key);
    }
  }

  private async work(key: string): Promise<void> {
    const started = performance.now();
    let failure: unknown;
    let failed = false;
    try {
      await this.processKey(key);
    } catch (e) {
      failed = true;
      failure = e;
    }
    this.metrics?.workqueueWorkDuration.observe({ name: this.name }, (performance.now() - started) / 1000);
    this.processing.delete(key);

    if (!failed) {
      this.failures.delete(key);
    } else {
      const attempts = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, attempts);
      const message = failure instanceof Error ? failure.message : String(failure);
      if (this.shuttingDown) {
        this.logger.warn('processing failed during shutdown; not retried', { queue: this.name, key, attempts, error: message });
      } else {
        const delayMs = this.backoff(attempts);
        this.metrics?.workqueueRetries.inc({ name: this.name });
        this.logger.warn('processing failed; retrying with backoff', { queue: this.name, key, attempts, delayMs, error: message });
        this.addAfter(key, delayMs);
      }
    }

    if (this.shuttingDown) {
      this.checkDrained();
      return;
    }
    if (this.dirty.has(key)) this.push(key);
    this.dispatch();
  }

  /** The delay before retry number `attempts` (1-based). */
  private backoff(attempts: number): number {
    return Math.min(this.baseDelayMs * 2 ** (attempts - 1), this.maxDelayMs);
  }

  private checkDrained(): void {
    if (this.processing.size === 0) this.resolveDrained?.();
  }
}
