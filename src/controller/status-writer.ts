/**
 * Writes an object's status: computed by the engine, stamped with transition times, compared with what the
 * cluster holds, and written only when different — through the status subresource with server-side apply and one
 * field manager (`charter`), so the operator owns exactly the status fields it writes.
 *
 * What the cluster holds is the informer's object — unless this writer wrote the status since: the informer can still
 * show an older one (its watch lags the write), and judging against it would skip a needed write or a condition's
 * Event (Ready went True, then back to False before the watch delivered the True: against the cached False nothing
 * changed). So the writer remembers its last write per object (the status and the resourceVersion the API server
 * answered) until the informer's object reaches that resourceVersion, and compares with the newer of the two.
 *
 * The watch shows each write back (its echo); the object's status is exactly what was written, so the echo needs no
 * reconcile (`ownEcho`). An organization's status is the costliest to compute, and on a group edit half the status
 * keys were these echoes.
 */
import type { Condition } from '../api/types.generated.ts';
import { API_GROUP_VERSION, type KindName } from '../api/kinds.ts';
import { clipMessage, withTransitionTimes } from '../engine/conditions.ts';
import type { Engine } from '../engine/engine.ts';
import { stalledCondition, statusOf, WARNING_CONDITIONS, type ConditionValue } from '../engine/status.ts';
import { APPLY_PATCH, MERGE_PATCH, type ApiRequests, isConflict, isNotFound } from './api-client.ts';
import { sameJson } from './canonical.ts';
import type { InvalidObject, RawObject } from './cluster-model.ts';
import type { EventRecorder } from './event-recorder.ts';
import { objectKey, type ObjectRef } from '../model/model.ts';
import { objectPath } from './resources.ts';

export const FIELD_MANAGER = 'charter';

/**
 * What a sync did. `recheck`: written, and a watch event for the object came while the write was in flight that was
 * not its echo (someone else wrote after it): the status must be compared again.
 */
export type StatusWriteResult = 'written' | 'recheck' | 'unchanged' | 'gone';

export interface StatusWriterOptions {
  api: ApiRequests;
  events?: EventRecorder | undefined;
  now?: () => number;
  /** Each write: `apply` (server-side apply), or the `patch` that first removes maps that became empty. */
  onWrite?: (ok: boolean, conflict: boolean, verb?: 'apply' | 'patch') => void;
}

/**
 * The status of an object Charter cannot read (schema problems): Ready=False, and Accepted=False for grants; Stalled,
 * since only a change to its spec can fix it.
 */
export function invalidStatus(kind: KindName, problems: string[], generation: number): { observedGeneration: number; conditions: ConditionValue[] } {
  const message = clipMessage(problems.join('; '));
  const ready: ConditionValue = { type: 'Ready', status: 'False', reason: 'SchemaInvalid', message, observedGeneration: generation };
  const stalled = stalledCondition('SchemaInvalid', message, generation);
  return { observedGeneration: generation, conditions: kind === 'Collaboration' ? [{ ...ready, type: 'Accepted' }, ready, stalled] : [ready, stalled] };
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The maps that go from having keys to empty, as a merge patch that removes them (`{rightsSummary: {byKind: null}}`),
 * or undefined when there are none. Server-side apply turns a map whose owned keys are all removed into null, which
 * the schema then refuses (kubernetes/kubernetes#135841): such a map is removed first, then applied empty.
 */
export function emptiedMaps(previous: unknown, next: unknown): Record<string, unknown> | undefined {
  if (!isPlainObject(previous) || !isPlainObject(next)) return undefined;
  let patch: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(next)) {
    const before = previous[key];
    if (!isPlainObject(value) || !isPlainObject(before)) continue;
    const inner = Object.keys(value).length === 0 ? (Object.keys(before).length > 0 ? null : undefined) : emptiedMaps(before, value);
    if (inner !== undefined) (patch ??= {})[key] = inner;
  }
  return patch;
}

/** A status this writer wrote, not yet seen by the informer. */
interface Written {
  uid: string | undefined;
  resourceVersion: string;
  status: Record<string, unknown>;
}

/**
 * Whether the informer's resourceVersion is older than the one a write answered. Kubernetes resourceVersions are
 * etcd revisions (decimal integers; comparable since KEP-5504); one that is not a decimal integer is never judged
 * older (nor is a missing one), so the informer's object is trusted then.
 */
export function olderThan(informer: string | undefined, written: string): boolean {
  if (informer === undefined || !/^[0-9]{1,30}$/.test(informer) || !/^[0-9]{1,30}$/.test(written)) return false;
  return BigInt(informer) < BigInt(written);
}

export class StatusWriter {
  private readonly options: Required<Omit<StatusWriterOptions, 'events' | 'onWrite'>> & Pick<StatusWriterOptions, 'events' | 'onWrite'>;
  /** The last write per object path, kept until the informer's object reaches it. */
  private readonly written = new Map<string, Written>();
  /**
   * Object path → the object (uid, generation) whose status is being written, and the resourceVersion of the last
   * watch event for it that came while the write was in flight (`null`: none yet): judged when the answer comes.
   */
  private readonly inFlight = new Map<string, { uid: string | undefined; generation: number | undefined; heard: string | null }>();
  /** The last second `timestamp` formatted, and its text. */
  private stamp = { second: Number.NaN, text: '' };

  constructor(options: StatusWriterOptions) {
    this.options = { now: Date.now, ...options };
  }

  /**
   * Brings one object's status up to date. `current` is the object as the informer last saw it;
   * `invalid` its schema problems when it has any.
   */
  async sync(engine: Engine, object: ObjectRef, current: RawObject | undefined, invalid?: InvalidObject): Promise<StatusWriteResult> {
    const { kind, namespace, name } = object;
    const path = `${objectPath(kind, name, namespace)}/status`;
    if (!current) return this.forget(path);
    const held = this.heldStatus(path, current);
    const computed = invalid ? invalidStatus(kind, invalid.problems, invalid.generation) : (statusOf(engine, objectKey(object)) as { conditions: ConditionValue[] } | undefined);
    if (!computed) return this.forget(path);
    const previous = (held?.conditions ?? []) as Condition[];
    const now = this.timestamp();
    const status = { ...computed, conditions: withTransitionTimes(previous, computed.conditions, now) };
    if (sameJson(held ?? {}, status)) return 'unchanged';
    this.inFlight.set(path, { uid: current.metadata?.uid, generation: current.metadata?.generation, heard: null });
    let answer: RawObject | undefined;
    let heard: string | null | undefined;
    try {
      answer = await this.write(path, kind, name, namespace, held, status);
    } finally {
      heard = this.inFlight.get(path)?.heard;
      this.inFlight.delete(path);
    }
    if (answer === undefined) return this.forget(path);
    const to = answer.metadata?.resourceVersion;
    // Its echo came first: the informer shows the write already.
    if (heard === to && to !== undefined) this.written.delete(path);
    else this.remember(path, current, answer, status);
    await this.recordTransitions(kind, current, previous, status.conditions);
    if (heard === null || heard === undefined || heard === to) return 'written';
    // An event older than this write (the echo of the merge patch before it) changes nothing; a newer one, or one that
    // cannot be ordered, is someone else's write after this one.
    return to !== undefined && olderThan(heard, to) ? 'written' : 'recheck';
  }

  /** The writes of one status (the merge patch that removes emptied maps first, when needed); undefined: it is gone. */
  private async write(path: string, kind: KindName, name: string, namespace: string | undefined, held: Record<string, unknown> | undefined, status: Record<string, unknown>): Promise<RawObject | undefined> {
    const emptied = emptiedMaps(held, status);
    if (emptied) {
      try {
        await this.options.api.request('PATCH', path, { contentType: MERGE_PATCH, query: { fieldManager: FIELD_MANAGER }, body: { status: emptied } });
        this.options.onWrite?.(true, false, 'patch');
      } catch (error) {
        if (isNotFound(error)) return undefined;
        this.options.onWrite?.(false, isConflict(error), 'patch');
        throw error;
      }
    }
    try {
      const answer = await this.options.api.request<RawObject | undefined>('PATCH', path, {
        contentType: APPLY_PATCH,
        query: { fieldManager: FIELD_MANAGER, force: true },
        body: { apiVersion: API_GROUP_VERSION, kind, metadata: { name, ...(namespace ? { namespace } : {}) }, status },
      });
      this.options.onWrite?.(true, false);
      return answer ?? {};
    } catch (error) {
      if (isNotFound(error)) return undefined;
      this.options.onWrite?.(false, isConflict(error));
      throw error;
    }
  }

  /**
   * Whether a watch event that changed nothing the engine reads (a status or metadata update) needs no status key
   * because this writer accounts for it: its own last status write (the resourceVersion it was answered with) shown
   * back by the watch, or an event for the same object (uid and generation) whose status write is in flight — judged
   * when the answer comes (its echo then; `recheck` otherwise). The memory of an echoed write is let go: the informer
   * shows it now. Any other version, uid or generation is someone else's write, and is compared as before.
   */
  ownEcho(kind: KindName, raw: RawObject): boolean {
    const path = `${objectPath(kind, raw.metadata?.name ?? '', raw.metadata?.namespace)}/status`;
    const resourceVersion = raw.metadata?.resourceVersion;
    const flying = this.inFlight.get(path);
    if (flying !== undefined) {
      // Another object of that name, or a new generation of it (an object Charter cannot read changes its spec with
      // no change to the engine): not an echo, whatever the answer says — the status being written is for the old one.
      if (flying.uid !== raw.metadata?.uid || flying.generation !== raw.metadata?.generation) return false;
      flying.heard = resourceVersion ?? '';
      return true;
    }
    const written = this.written.get(path);
    if (written === undefined || resourceVersion === undefined || written.resourceVersion !== resourceVersion || written.uid !== raw.metadata?.uid) return false;
    this.written.delete(path);
    return true;
  }

  /**
   * Now as a condition's lastTransitionTime (whole seconds), written once per second: a start compares every status
   * in a burst, and formatting the date for each cost ~1.4 µs of the ~15 µs per status.
   */
  private timestamp(): string {
    const second = Math.floor(this.options.now() / 1000);
    if (second !== this.stamp.second) this.stamp = { second, text: new Date(second * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') };
    return this.stamp.text;
  }

  /** The status the object holds: the informer's, or this writer's last write when the informer has not seen it yet. */
  private heldStatus(path: string, current: RawObject): Record<string, unknown> | undefined {
    const written = this.written.get(path);
    if (written && written.uid === current.metadata?.uid && olderThan(current.metadata?.resourceVersion, written.resourceVersion)) return written.status;
    this.written.delete(path);
    return current.status;
  }

  private remember(path: string, current: RawObject, answer: RawObject | undefined, status: Record<string, unknown>): void {
    const resourceVersion = answer?.metadata?.resourceVersion;
    if (typeof resourceVersion === 'string') this.written.set(path, { uid: current.metadata?.uid, resourceVersion, status });
    else this.written.delete(path);
  }

  private forget(path: string): 'gone' {
    this.written.delete(path);
    return 'gone';
  }

  /** How many writes the informer has not seen yet (each is forgotten when it does). */
  get pendingWrites(): number {
    return this.written.size;
  }

  /** An Event for each condition whose status or reason changed (not for the first Ready=True of a new object). */
  private async recordTransitions(kind: KindName, current: RawObject, previous: Condition[], next: Condition[]): Promise<void> {
    const events = this.options.events;
    if (!events) return;
    for (const condition of next) {
      const before = previous.find((c) => c.type === condition.type);
      if (before && before.status === condition.status && before.reason === condition.reason) continue;
      const healthy = condition.status === 'True' ? !WARNING_CONDITIONS.has(condition.type) : false;
      // A new object that is fine from the start is not news.
      if (!before && healthy) continue;
      await events.record(
        { apiVersion: API_GROUP_VERSION, kind, name: current.metadata?.name ?? '', namespace: current.metadata?.namespace, uid: current.metadata?.uid },
        { type: healthy ? 'Normal' : 'Warning', reason: condition.reason, note: `${condition.type}=${condition.status}: ${condition.message}` },
      );
    }
  }
}
