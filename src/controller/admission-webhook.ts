/**
 * The validating admission webhook's judgement on a replica: a review body in, an answer out. It decides with
 * decide() (src/admission) against this replica's live engine, the one the reconciler keeps current from the
 * informers on leaders and followers alike: no API call per request.
 *
 * Two requests judged on the same state can both pass where together they should not (each removes one of two
 * owners). On a replica that window is closed: requests that are not from a platform identity are judged one at a
 * time, and each waits until every change this replica allowed before it has come back through the watch (the
 * informer cache reached the version the change was made to, its oldObject's, and then moved on from it; an older
 * event of the object, when the informer was behind, does not count). Two bounds, both `holdMs`:
 * - a change is waited for at most `holdMs` from when it was allowed; then it is given up (refused later by the API
 *   server, a no-op, or a review nobody sent: anyone who reaches the port can POST one) — counted in
 *   charter_admission_changes_given_up_total;
 * - a request waits at most `holdMs` from its own arrival, whatever is allowed after it. Every change allowed before
 *   it arrived has been given up by then. A platform change allowed after it is not waited for any longer: the
 *   request is judged against the cache, as it would have been had it been judged before that change came (a
 *   platform request is allowed whatever the state, so the order between the two is open anyway). A change the rules
 *   allowed after it arrived — a request ahead of it in the line judged late — is the race the line is there to
 *   close: the request is denied NotReady ("try again") instead of judged without it.
 * Platform requests never wait: they are allowed whatever the state. Their changes are waited for like the others,
 * at most `maxPlatformPending` at once (the oldest given up first: a stream of forged platform reviews, which never
 * come back, costs memory and a look-up per entry on every watch event). What remains (docs/admission.md,
 * "Operation"): two replicas, each judging one of two such requests within the watch latency, and a change that
 * takes longer than `holdMs` to come back.
 *
 * The old object of an update or delete is the stored object the informer has most likely read already: when this
 * replica's engine holds the conversion of that very resourceVersion (`modelledAt`), decide() takes it instead of
 * validating and converting the oldObject again — for a group listing 5,000 names, that was half of the decision.
 *
 *   const webhook = new AdmissionWebhook({ engine: () => reconciler.currentEngine(), lookup, options, logger, metrics });
 *   const { status, answer } = await webhook.review(body);
 */
import { decide as realDecide, type AdmissionDecision, type AdmissionOptions, type AdmissionRequest, type AdmissionState } from '../admission/decide.ts';
import { API_GROUP_VERSION, type KindName } from '../api/kinds.ts';
import type { Engine } from '../engine/engine.ts';
import { canonical as canonicalJson } from '../model/canonical-json.ts';
import type { ModelObject, ObjectRef } from '../model/model.ts';
import { answerReview, malformedAnswer, parseReview, type ParsedReview, type ReviewAnswer } from './admission-review.ts';
import type { EventTarget, RecordedEvent } from './event-recorder.ts';
import type { Logger } from './logger.ts';
import type { ControllerMetrics } from './metrics.ts';

/** The part of an informer-cached object the webhook reads. */
export interface CachedObject {
  metadata?: { resourceVersion?: string };
}

export interface AdmissionWebhookOptions {
  /** The engine to judge against, its clock moved to now; undefined before the first build (answers `NotReady`). */
  engine: () => Engine | undefined;
  /** The informer cache: the object as this replica last saw it. */
  lookup: (kind: KindName, namespace: string | undefined, name: string) => CachedObject | undefined;
  options: AdmissionOptions;
  logger: Logger;
  metrics?: ControllerMetrics;
  /** Records a Warning Event on an existing object that a request was denied on. */
  recordEvent?: (target: EventTarget, event: RecordedEvent) => Promise<unknown>;
  /**
   * The engine's object converted from exactly this resourceVersion (Reconciler.modelledAt), if any: taken as the
   * old object instead of reading the review's oldObject again.
   */
  modelledAt?: (ref: ObjectRef, resourceVersion: string) => ModelObject | undefined;
  /**
   * The longest a change allowed here is waited for, from when it was allowed, and the longest a request waits, from
   * its arrival (default 2000 ms).
   */
  holdMs?: number;
  /** The most changes allowed to platform identities waited for at once; the oldest is given up first (default 1000). */
  maxPlatformPending?: number;
  /**
   * Why this replica's state may be stale (its watches have been failing past the staleness limit), or undefined:
   * while it says why, every request is denied `NotReady`.
   */
  stale?: () => string | undefined;
  /** The judgement (tests replace it). */
  decide?: (state: AdmissionState, request: AdmissionRequest, options: AdmissionOptions) => AdmissionDecision;
  /** The clock the bounded wait is measured on, in ms (default: performance.now, monotonic). */
  now?: () => number;
}

export interface ReviewResult {
  /** 200 for every review with a uid (the API server shows the answer); 400 for a body it cannot answer. */
  status: number;
  answer: ReviewAnswer;
}

interface Pending {
  kind: KindName;
  namespace: string | undefined;
  name: string;
  /** The resourceVersion the change was made to: the oldObject's (UPDATE, DELETE); undefined for a CREATE (absent). */
  from: string | undefined;
  /**
   * Whether the informer cache has reached `from` (for a CREATE: has shown the object absent). Until then, every
   * version it shows is older than the change: the informer was behind the request's oldObject when it was allowed.
   */
  reached: boolean;
  expiresAt: number;
}

/** Where an allowed change came from: a platform identity's review, or one judged by the rules. */
type Source = 'platform' | 'judged';

const seconds = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9;
/** Metadata the API server sets or changes on every write: an update that differs only there changes nothing. */
const SERVER_FIELDS = ['resourceVersion', 'managedFields', 'generation', 'creationTimestamp', 'uid', 'selfLink'];

export class AdmissionWebhook {
  private readonly opts: AdmissionWebhookOptions & { holdMs: number; maxPlatformPending: number; now: () => number };
  private readonly decide: NonNullable<AdmissionWebhookOptions['decide']>;
  /**
   * Changes allowed here and not yet seen in the informer cache, oldest first, by source: several may name one
   * object (a change noted later never replaces one noted before).
   */
  private readonly pending: Record<Source, Set<Pending>> = { platform: new Set(), judged: new Set() };
  /** The last judgement of the serial line: each non-platform request runs after the one before it. */
  private line: Promise<unknown> = Promise.resolve();
  private readonly wakers = new Set<() => void>();

  constructor(options: AdmissionWebhookOptions) {
    // The wait is measured on the monotonic clock: a wall clock stepped back (NTP, a VM resumed) would hold every
    // request for the size of the step, past the API server's timeout.
    this.opts = { holdMs: 2000, maxPlatformPending: 1000, now: () => performance.now(), ...options };
    this.decide = options.decide ?? realDecide;
  }

  /** Changes allowed by this replica that the watch has not brought back yet. */
  get pendingChanges(): number {
    this.prune();
    return this.pendingCount();
  }

  /**
   * An informer delivered an event (after its cache applied it): a request waiting for it may go on. Called for
   * every event, so that each version the cache passes through is compared (see prune()).
   */
  observed(): void {
    if (this.pendingCount() > 0) this.prune();
    for (const wake of [...this.wakers]) wake();
  }

  /** Judges one review body. Never throws: whatever goes wrong is a denial. */
  async review(body: string | Uint8Array): Promise<ReviewResult> {
    const start = process.hrtime.bigint();
    const deadline = this.opts.now() + this.opts.holdMs;
    const parsed = parseReview(body);
    if (!parsed.ok) {
      this.count(parsed.kind, parsed.operation, 'error', 'Malformed', start);
      this.opts.logger.warn('admission review malformed: denied', { uid: parsed.uid, problem: parsed.message });
      return { status: parsed.uid ? 200 : 400, answer: malformedAnswer(parsed) };
    }
    const { request } = parsed;
    let decision: AdmissionDecision;
    try {
      decision = this.isPlatform(request)
        ? this.judge(parsed, 'platform')
        : await this.inLine(deadline, (late) => (late ? notBack(late, this.opts.holdMs) : this.judge(parsed, 'judged')));
    } catch (error) {
      // decide() is pure and should not throw; if it does, the request is denied (DecisionFailed), not let through.
      const message = error instanceof Error ? error.message : String(error);
      this.opts.logger.error('admission decision failed: denied', { object: describe(request), error: message });
      decision = { allowed: false, actingAs: 'unknown', denials: [{ reason: 'DecisionFailed', message: `the decision failed: ${message}` }] };
    }
    const reason = decision.allowed ? (decision.actingAs === 'platform' ? 'Platform' : 'Permitted') : (decision.denials[0]?.reason ?? 'NotPermitted');
    const verdict = decision.allowed ? 'allowed' : reason === 'NotReady' || reason === 'DecisionFailed' ? 'error' : 'denied';
    this.count(request.kind, request.operation, verdict, reason, start);
    if (!decision.allowed) this.reportDenial(parsed, decision);
    return { status: 200, answer: answerReview(parsed.uid, decision) };
  }

  /** A request refused before its body was read (too large, wrong method or type): a malformed review's denial. */
  refuse(problem: string): ReviewAnswer {
    this.count('unknown', 'unknown', 'error', 'Malformed', process.hrtime.bigint());
    this.opts.logger.warn('admission request refused: denied', { problem });
    return malformedAnswer({ ok: false, uid: '', kind: 'unknown', operation: 'unknown', message: problem });
  }

  /**
   * Runs `work` after every judgement queued before it (the serial line) and the wait (settled()), with the change
   * it ended on still pending, if any.
   */
  private inLine<T>(deadline: number, work: (late: Pending | undefined) => Promise<T> | T): Promise<T> {
    const run = this.line.then(async () => work(await this.settled(deadline)));
    this.line = run.catch(() => undefined);
    return run;
  }

  private judge(parsed: ParsedReview, source: Source): AdmissionDecision {
    const { request } = parsed;
    const engine = this.opts.engine();
    if (!engine) {
      return { allowed: false, actingAs: 'unknown', denials: [{ reason: 'NotReady', message: 'this Charter replica has not built its state yet; try again' }] };
    }
    const stale = this.opts.stale?.();
    if (stale) {
      return { allowed: false, actingAs: 'unknown', denials: [{ reason: 'NotReady', message: `this Charter replica's state may be stale: ${stale}; try again` }] };
    }
    const decision = this.decide({ engine }, this.withOldModelObject(parsed), this.opts.options);
    if (decision.allowed && !parsed.dryRun && changesSomething(request)) {
      const cached = this.opts.lookup(request.kind, request.namespace, request.name)?.metadata?.resourceVersion;
      const from = request.operation === 'CREATE' ? undefined : parsed.existing?.resourceVersion;
      const changes = this.pending[source];
      if (source === 'platform') {
        for (const oldest of changes) {
          if (changes.size < this.opts.maxPlatformPending) break;
          this.giveUp(oldest, source, 'evicted');
        }
      }
      changes.add({ kind: request.kind, namespace: request.namespace, name: request.name, from, reached: cached === from, expiresAt: this.opts.now() + this.opts.holdMs });
    }
    return decision;
  }

  /** The request with its old object as this replica's engine already holds it, when it holds that resourceVersion. */
  private withOldModelObject(parsed: ParsedReview): AdmissionRequest {
    const { request } = parsed;
    const version = parsed.existing?.resourceVersion;
    if (!this.opts.modelledAt || version === undefined || request.oldObject === undefined) return request;
    const ref: ObjectRef = { kind: request.kind, name: request.name, ...(request.namespace !== undefined ? { namespace: request.namespace } : {}) };
    const oldModelObject = this.opts.modelledAt(ref, version);
    return oldModelObject ? { ...request, oldModelObject } : request;
  }

  /**
   * Resolves when no allowed change is waiting to come back through the watch (or their waits ran out), or when the
   * request's own wait ran out (`deadline`, `holdMs` after it arrived). By then every change allowed before the request
   * arrived has been given up (prune()); what is left was allowed after it. Platform changes among them are not
   * waited for any longer (undefined: the request is judged against the cache). A change the rules allowed — a request
   * ahead in the line, judged after this one arrived — is returned: the request is denied rather than judged without it.
   */
  private async settled(deadline: number): Promise<Pending | undefined> {
    for (;;) {
      const now = this.opts.now(); // one reading for both: a change given up at `now` is not found late
      this.prune(now);
      if (this.pendingCount() === 0) return undefined;
      if (now >= deadline) {
        const [late] = this.pending.judged;
        if (!late) this.opts.logger.debug('a request waited its hold: judged without the platform changes allowed after it that have not come back', { platformPending: this.pending.platform.size, holdMs: this.opts.holdMs });
        return late;
      }
      let next = deadline;
      for (const p of this.pending.platform) next = Math.min(next, p.expiresAt);
      for (const p of this.pending.judged) next = Math.min(next, p.expiresAt);
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.wakers.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.max(1, next - this.opts.now()));
        this.wakers.add(wake);
      });
    }
  }

  /**
   * Drops pending changes the informer cache has seen, or that waited long enough. A change has come back when the
   * cache, having reached the version the change was made to (`from`: the oldObject's resourceVersion, or absent for
   * a create), moved on from it. Versions before `from` are older changes of the object (the informer was behind when
   * the change was allowed): they do not count, even though they differ from what was cached then. Versions are only
   * compared for equality (the API's rule); a cache that skips over `from` between two calls (a re-list) keeps the
   * change pending until its wait runs out: longer, never a request judged without it.
   */
  private prune(now = this.opts.now()): void {
    for (const source of ['platform', 'judged'] as const) {
      const changes = this.pending[source];
      for (const p of changes) {
        const current = this.opts.lookup(p.kind, p.namespace, p.name)?.metadata?.resourceVersion;
        if (!p.reached && current === p.from) p.reached = true;
        if (p.reached && current !== p.from) changes.delete(p);
        else if (now >= p.expiresAt) this.giveUp(p, source, 'expired');
      }
    }
  }

  /** Stops waiting for a change that has not come back: its wait ran out (`expired`), or the cap pushed it out (`evicted`). */
  private giveUp(p: Pending, source: Source, reason: 'expired' | 'evicted'): void {
    this.pending[source].delete(p);
    this.opts.metrics?.admissionChangesGivenUp.inc({ source, reason });
    const message =
      reason === 'expired'
        ? 'an allowed change did not come back through the watch in time; no longer waiting for it'
        : 'too many platform changes pending: no longer waiting for the oldest';
    this.opts.logger.debug(message, { object: keyOf(p), source, holdMs: this.opts.holdMs });
  }

  private pendingCount(): number {
    return this.pending.platform.size + this.pending.judged.size;
  }

  private isPlatform(request: AdmissionRequest): boolean {
    const { username, groups } = request.requester;
    return this.opts.options.bypassUsers.includes(username) || groups.some((g) => this.opts.options.bypassGroups.includes(g));
  }

  private count(kind: string, operation: string, verdict: 'allowed' | 'denied' | 'error', reason: string, start: bigint): void {
    const m = this.opts.metrics;
    if (!m) return;
    m.admissionRequests.inc({ kind, operation, verdict, reason });
    m.admissionDuration.observe({ kind, operation }, seconds(start));
  }

  /** A log line per denial; an Event too when the object exists and the request was not a dry run. */
  private reportDenial(parsed: ParsedReview, decision: AdmissionDecision): void {
    const { request } = parsed;
    const message = decision.denials.map((d) => `${d.reason}: ${d.message}`).join('; ');
    this.opts.logger.info('admission denied', {
      requester: request.requester.username,
      actingAs: decision.actingAs,
      operation: request.operation,
      object: describe(request),
      reason: decision.denials[0]?.reason,
      denials: message,
      dryRun: parsed.dryRun,
    });
    if (parsed.dryRun || !parsed.existing || !this.opts.recordEvent) return;
    void this.opts
      .recordEvent(
        { apiVersion: API_GROUP_VERSION, kind: request.kind, name: request.name, namespace: request.namespace, uid: parsed.existing.uid },
        { type: 'Warning', reason: decision.denials[0]?.reason ?? 'NotPermitted', note: `${request.operation} by ${request.requester.username} denied: ${message}`, action: 'Admit' },
      )
      .catch(() => undefined);
  }
}

function keyOf(r: { kind: string; namespace?: string | undefined; name: string }): string {
  return r.namespace ? `${r.kind}/${r.namespace}/${r.name}` : `${r.kind}/${r.name}`;
}

/**
 * The denial of a request whose wait ran out while a change allowed by the rules after it arrived had not come back:
 * judging it without that change could let both of two conflicting requests pass.
 */
function notBack(late: Pending, holdMs: number): AdmissionDecision {
  const message = `a change this Charter replica allowed just before, to ${keyOf(late)}, has not come back through its watch within the ${holdMs} ms this request may wait; try again`;
  return { allowed: false, actingAs: 'unknown', denials: [{ reason: 'NotReady', message }] };
}

function describe(r: AdmissionRequest): string {
  return keyOf(r);
}

/** Whether an allowed request will be persisted as a change (an update that only restates the object will not). */
function changesSomething(request: AdmissionRequest): boolean {
  if (request.operation !== 'UPDATE') return true;
  return canonical(request.object) !== canonical(request.oldObject);
}

function canonical(o: unknown): string {
  const { status: _status, metadata, ...rest } = (o ?? {}) as { status?: unknown; metadata?: Record<string, unknown> };
  const meta: Record<string, unknown> = { ...metadata };
  for (const f of SERVER_FIELDS) delete meta[f];
  return canonicalJson({ ...rest, metadata: meta });
}
