/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go does it:
 *
 * - a candidate takes the Lease when it does not exist, when nobody holds it (holderIdentity empty: released),
 *   or when its holder has not renewed it for leaseDuration — measured on this replica's own monotonic clock
 *   from when it last saw the Lease change, so clock skew between replicas does not matter;
 * - every write carries the resourceVersion it read (optimistic concurrency): of two candidates, one wins;
 * - the leader renews every retryPeriod; when it has not managed to for renewDeadline (< leaseDuration), it
 *   steps down (onStoppedLeading) before anybody else may take over; it steps down at once when it sees
 *   another holder;
 * - release() clears holderIdentity (and shortens the duration to 1 s), so a follower takes over at its next
 *   retry instead of waiting out the lease.
 *
 *   const elector = new LeaderElector({ kubeConfig, namespace: 'charter-system', name: 'charter-leader', identity, logger });
 *   void elector.run({ onStartedLeading: () => queue.start(), onStoppedLeading: () => process.exit(1) });
 *   process.on('SIGTERM', async () => { await queue.shutdown(); await elector.release(); process.exit(0); });
 */
import { performance } from 'node:perf_hooks';
import type { KubeConfig } from '@kubernetes/client-node';
import { ApiClient, ApiError, isConflict, isNotFound } from './api-client.ts';
import type { Logger } from './logger.ts';
import type { ControllerMetrics } from './metrics.ts';
import { InterruptibleSleep } from './interruptible-sleep.ts';
import { misconfiguration, ProblemReporter } from './misconfiguration.ts';

export interface LeaderElectorOptions {
  kubeConfig: KubeConfig;
  /** The Lease's namespace. */
  namespace: string;
  /** The Lease's name (default 'charter-leader'). */
  name?: string;
  /** This replica's identity in holderIdentity: unique per process (e.g. pod name, or hostname + pid). */
  identity: string;
  /** How long a Lease holds without renewal (default 15 s). */
  leaseDurationMs?: number;
  /** How long the leader keeps trying to renew before it steps down (default 10 s; < leaseDurationMs). */
  renewDeadlineMs?: number;
  /** The wait between attempts (default 2 s; candidates add up to 20 % jitter). */
  retryPeriodMs?: number;
  logger: Logger;
  metrics?: ControllerMetrics;
  /**
   * A misconfiguration met (the Lease's namespace does not exist, 401, 403: the reason) or gone (undefined): see
   * misconfiguration.ts. Logged once as an error; the elector keeps trying every retry period without a warning each.
   */
  onProblem?: (reason: string | undefined) => void;
}

export interface LeaderCallbacks {
  /** This replica now holds the Lease. */
  onStartedLeading(): void;
  /** This replica no longer holds it (lost, released or stopped). Leadership may come back later: onStartedLeading again. */
  onStoppedLeading(): void;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
  [field: string]: unknown;
}

interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; resourceVersion?: string; [field: string]: unknown };
  spec?: LeaseSpec;
}

const JITTER = 1.2;

/** A Kubernetes MicroTime: RFC 3339 with exactly six fractional digits (the API server rejects three). */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export class LeaderElector {
  readonly identity: string;
  readonly leaseName: string;
  readonly namespace: string;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly logger: Logger;
  private readonly metrics: ControllerMetrics | undefined;
  private readonly api: ApiClient;
  private callbacks: LeaderCallbacks | undefined;
  private leading = false;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private readonly sleeper = new InterruptibleSleep();
  private readonly problems: ProblemReporter;
  /** The Lease as last seen: its resourceVersion, holder and duration, and when (monotonic) it last changed. */
  private observed: { resourceVersion: string; holder: string; durationMs: number; at: number } | undefined;

  constructor(opts: LeaderElectorOptions) {
    this.identity = opts.identity;
    this.leaseName = opts.name ?? 'charter-leader';
    this.namespace = opts.namespace;
    this.leaseDurationMs = opts.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = opts.retryPeriodMs ?? 2_000;
    this.logger = opts.logger;
    this.metrics = opts.metrics;
    this.problems = new ProblemReporter(opts.logger, { lease: `${opts.namespace}/${this.leaseName}`, identity: opts.identity }, opts.onProblem);
    if (!this.identity) throw new RangeError('A leader elector needs a non-empty identity');
    if (!(this.leaseDurationMs > this.renewDeadlineMs)) {
      throw new RangeError(`The lease duration must exceed the renew deadline; found ${this.leaseDurationMs} ms ≤ ${this.renewDeadlineMs} ms`);
    }
    if (!(this.renewDeadlineMs > JITTER * this.retryPeriodMs)) {
      throw new RangeError(`The renew deadline must exceed 1.2 × the retry period; found ${this.renewDeadlineMs} ms and ${this.retryPeriodMs} ms`);
    }
    if (this.leaseDurationMs < 1000) throw new RangeError(`The lease duration must be at least 1 s; found ${this.leaseDurationMs} ms`);
    // No waits inside a request: the elector's own retry period and renew deadline decide when to try again.
    this.api = new ApiClient(opts.kubeConfig, { maxRetries: 0 });
  }

  /** True while this replica holds the Lease (between onStartedLeading and onStoppedLeading). */
  get isLeader(): boolean {
    return this.leading;
  }

  /**
   * Campaigns for the Lease, leads while it holds it, campaigns again after losing it. Resolves when release()
   * or stop() ends the loop. Errors are logged and retried, never thrown.
   */
  run(callbacks: LeaderCallbacks): Promise<void> {
    if (this.loop) throw new Error(`Leader elector ${this.identity} is already running`);
    this.callbacks = callbacks;
    this.loop = this.campaign();
    return this.loop;
  }

  /**
   * Gives the Lease up so that a follower takes over at its next retry: clears holderIdentity and sets a 1 s
   * duration. Stop the work that needs leadership first. Ends the loop; calls onStoppedLeading if leading.
   */
  async release(): Promise<void> {
    const wasLeading = this.leading;
    await this.halt();
    if (!wasLeading) {
      this.api.close();
      return;
    }
    try {
      const lease = await this.read(this.renewDeadlineMs);
      if (lease?.spec?.holderIdentity === this.identity) {
        const now = Date.now();
        const spec: LeaseSpec = { ...lease.spec, leaseDurationSeconds: 1, renewTime: microTime(now), acquireTime: microTime(now) };
        delete spec.holderIdentity;
        await this.write('update', { ...lease, spec }, this.renewDeadlineMs);
        this.logger.info('released the leader lease', this.fields());
      }
    } catch (e) {
      this.logger.warn('could not release the leader lease; it expires on its own', { ...this.fields(), error: describe(e) });
    } finally {
      this.stepDown('released');
      this.api.close();
    }
  }

  /**
   * Stops campaigning and renewing without touching the Lease — to others, as if this process had died: they
   * take over once the lease duration has passed. Calls onStoppedLeading if leading.
   */
  async stop(): Promise<void> {
    await this.halt();
    this.stepDown('stopped');
    this.api.close();
  }

  // -------------------------------------------------------------------------------------------------------

  private async halt(): Promise<void> {
    this.stopped = true;
    this.sleeper.wake();
    await this.loop;
  }

  private async campaign(): Promise<void> {
    this.logger.info('campaigning for the leader lease', this.fields());
    while (!this.stopped) {
      const acquired = await this.tryAcquireOrRenew(this.renewDeadlineMs);
      if (this.stopped) break;
      if (!acquired) {
        await this.sleeper.sleep(this.retryPeriodMs * (1 + Math.random() * (JITTER - 1)));
        continue;
      }
      this.leading = true;
      this.metrics?.leader.set(1);
      this.logger.info('became the leader', this.fields());
      this.notify('onStartedLeading');
      await this.renewWhileLeading();
    }
  }

  /** Renews every retryPeriod until a renewal misses the renew deadline, another holder shows up, or halt(). */
  private async renewWhileLeading(): Promise<void> {
    let renewed = performance.now();
    while (!this.stopped && this.leading) {
      await this.sleeper.sleep(this.retryPeriodMs);
      if (this.stopped) return;
      const started = performance.now();
      const left = renewed + this.renewDeadlineMs - started;
      if (left > 0 && (await this.tryAcquireOrRenew(left))) {
        renewed = started;
        continue;
      }
      if (this.stopped) return;
      const other = this.observed && this.observed.holder && this.observed.holder !== this.identity ? this.observed.holder : undefined;
      if (other) {
        this.stepDown(`the lease is held by ${other}`);
      } else if (performance.now() - renewed >= this.renewDeadlineMs) {
        this.stepDown(`could not renew within the renew deadline of ${this.renewDeadlineMs} ms`);
      }
    }
  }

  /**
   * One attempt, given up after `timeoutMs` whatever the requests do (a request to an unreachable server can
   * hang longer than its own timeout says); true when this replica holds the Lease afterwards. Never throws.
   */
  private async tryAcquireOrRenew(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => {
        this.logger.warn(`leader lease attempt timed out after ${Math.round(timeoutMs)} ms`, this.fields());
        resolve(false);
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.attempt(timeoutMs), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async attempt(timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    const left = (): number => Math.max(1, deadline - performance.now());
    const now = Date.now();
    const spec = (old?: LeaseSpec): LeaseSpec => {
      const mine = old?.holderIdentity === this.identity;
      return {
        ...old,
        holderIdentity: this.identity,
        leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
        renewTime: microTime(now),
        acquireTime: mine && old?.acquireTime ? old.acquireTime : microTime(now),
        leaseTransitions: mine ? (old?.leaseTransitions ?? 0) : old ? (old.leaseTransitions ?? 0) + 1 : 0,
      };
    };
    let step = 'get';
    try {
      const lease = await this.read(left());
      if (!lease) {
        step = 'create';
        const created = await this.write(
          'create',
          { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.leaseName, namespace: this.namespace }, spec: spec() },
          left(),
        );
        this.observe(created);
        this.problems.report(undefined);
        return true;
      }
      this.observe(lease);
      this.problems.report(undefined);
      const holder = lease.spec?.holderIdentity ?? '';
      const o = this.observed!;
      if (holder && holder !== this.identity && performance.now() < o.at + o.durationMs) return false;
      step = 'update';
      const updated = await this.write('update', { ...lease, spec: spec(lease.spec) }, left());
      this.observe(updated);
      if (holder && holder !== this.identity) this.logger.info('took over an expired leader lease', { ...this.fields(), from: holder });
      return true;
    } catch (e) {
      const problem = this.problemOf(e, step);
      if (isConflict(e)) {
        this.logger.debug('leader lease changed meanwhile (conflict)', this.fields());
      } else if (problem) {
        this.problems.report(problem);
      } else {
        this.logger.warn('leader lease request failed', { ...this.fields(), error: describe(e) });
      }
      return false;
    }
  }

  /**
   * The misconfiguration behind a failed Lease request, if it is one: 401, 403, or a 404 on create (the namespace
   * does not exist; a 404 on update is a Lease deleted meanwhile, which the next attempt creates again).
   */
  private problemOf(e: unknown, step: string): string | undefined {
    if (!(e instanceof ApiError) || (e.status === 404 && step !== 'create')) return undefined;
    const ns = this.namespace;
    return misconfiguration(e.status, `cannot ${step} the leader Lease ${ns}/${this.leaseName}: ${e.message}`, {
      404: `the Lease's namespace "${ns}" does not exist: create it (kubectl create namespace ${ns}) or choose another with --lease-namespace`,
      403: `the operator's identity needs get, create and update on leases in ${ns} (the Helm chart's Role grants them)`,
    });
  }

  /** The misconfiguration in effect (see onProblem), if any. */
  get problem(): string | undefined {
    return this.problems.reason;
  }

  private observe(lease: Lease): void {
    const resourceVersion = lease.metadata?.resourceVersion ?? '';
    if (this.observed?.resourceVersion === resourceVersion) return;
    this.observed = {
      resourceVersion,
      holder: lease.spec?.holderIdentity ?? '',
      durationMs: (lease.spec?.leaseDurationSeconds ?? Math.ceil(this.leaseDurationMs / 1000)) * 1000,
      at: performance.now(),
    };
  }

  private path(name?: string): string {
    const base = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.namespace)}/leases`;
    return name ? `${base}/${encodeURIComponent(name)}` : base;
  }

  private async read(timeoutMs: number): Promise<Lease | undefined> {
    try {
      return await this.api.request<Lease>('GET', this.path(this.leaseName), { timeoutMs });
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  private async write(verb: 'create' | 'update', lease: Lease, timeoutMs: number): Promise<Lease> {
    try {
      const out =
        verb === 'create'
          ? await this.api.request<Lease>('POST', this.path(), { body: lease, timeoutMs })
          : await this.api.request<Lease>('PUT', this.path(this.leaseName), { body: lease, timeoutMs });
      this.metrics?.apiWrites.inc({ kind: 'lease', verb, result: 'success' });
      return out;
    } catch (e) {
      this.metrics?.apiWrites.inc({ kind: 'lease', verb, result: isConflict(e) ? 'conflict' : 'error' });
      throw e;
    }
  }

  private stepDown(why: string): void {
    if (!this.leading) return;
    this.leading = false;
    this.metrics?.leader.set(0);
    const level = why === 'released' || why === 'stopped' ? 'info' : 'error';
    this.logger.log(level, `stopped leading: ${why}`, this.fields());
    this.notify('onStoppedLeading');
  }

  private notify(which: keyof LeaderCallbacks): void {
    try {
      this.callbacks?.[which]();
    } catch (e) {
      this.logger.error(`the ${which} callback threw`, { ...this.fields(), error: describe(e) });
    }
  }

  private fields(): Record<string, string> {
    return { lease: `${this.namespace}/${this.leaseName}`, identity: this.identity };
  }
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
