/**
 * Writes an object's status: computed by the engine, stamped with transition times, compared with what the
 * cluster holds, and written only when different — through the status subresource with server-side apply and one
 * field manager (`charter`), so the operator owns exactly the status fields it writes; a condition another field
 * manager added is removed after the apply (`foreignConditions`).
 *
 * What the cluster holds is the informer's object — unless this writer wrote the status since: the informer can still
 * show an older one (its watch lags the write), and judging against it would skip a needed write or a condition's
 * Event (Ready went True, then back to False before the watch delivered the True: against the cached False nothing
 * changed). So the writer remembers its last write per object (the status and the resourceVersion the API server
 * answered) until the informer's object reaches that resourceVersion, and compares with the newer of the two.
 *
 * The watch shows each write back (its echo); the object's status is exactly what was written, so the echo needs no
 * reconcile (`ownEcho`). An organization's status is the costliest to compute, and on a group edit half the status
 * keys were these echoes. The writes remembered and the echoes told apart (those that come while a write is in flight
 * judged at its answer) are write-echoes.ts's, shared with the ConfigMap writer; a status write is for one object: its
 * uid, and its generation while in flight.
 */
import type { Condition } from '../api/types.generated.ts';
import { API_GROUP_VERSION, type KindName } from '../api/kinds.ts';
import { clipMessage, withTransitionTimes } from '../engine/conditions.ts';
import type { Engine } from '../engine/engine.ts';
import { stalledCondition, statusOf, WARNING_CONDITIONS, type ConditionValue, type MapProblem } from '../engine/status.ts';
import { APPLY_PATCH, JSON_PATCH, MERGE_PATCH, type ApiRequests, isConflict, isNotFound } from './api-client.ts';
import { sameJson } from '../model/canonical-json.ts';
import type { InvalidObject, RawObject } from './cluster-model.ts';
import type { EventRecorder } from './event-recorder.ts';
import { objectKey, type ObjectRef } from '../model/model.ts';
import { objectPath } from './resources.ts';
import { WriteEchoes } from './write-echoes.ts';

export { olderThan } from './write-echoes.ts';

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

/**
 * A JSON patch that removes a status's conditions of types the operator did not compute (each checked by its type
 * first: a list changed since fails the patch, and the key is retried), or undefined when there are none.
 */
export function foreignConditions(status: unknown, computed: readonly { type: string }[]): Array<Record<string, unknown>> | undefined {
  const conditions = (status as { conditions?: unknown } | undefined)?.conditions;
  if (!Array.isArray(conditions)) return undefined;
  const ours = new Set(computed.map((c) => c.type));
  const ops: Array<Record<string, unknown>> = [];
  for (let i = conditions.length - 1; i >= 0; i--) {
    const type = (conditions[i] as { type?: unknown } | null)?.type;
    if (typeof type === 'string' && ours.has(type)) continue;
    ops.push({ op: 'test', path: `/status/conditions/${i}/type`, value: type ?? null }, { op: 'remove', path: `/status/conditions/${i}` });
  }
  return ops.length > 0 ? ops : undefined;
}

export class StatusWriter {
  private readonly options: Required<Omit<StatusWriterOptions, 'events' | 'onWrite'>> & Pick<StatusWriterOptions, 'events' | 'onWrite'>;
  /** Object path → the last status written, until the informer's object reaches it; the echoes of the writes. */
  private readonly echoes = new WriteEchoes<Record<string, unknown>>();
  /** The last second `timestamp` formatted, and its text. */
  private stamp = { second: Number.NaN, text: '' };

  constructor(options: StatusWriterOptions) {
    this.options = { now: Date.now, ...options };
  }

  /**
   * Brings one object's status up to date. `current` is the object as the informer last saw it;
   * `invalid` its schema problems when it has any; `mapProblem` (a Collaboration's) why its namespace's permission map
   * is not in effect (the reconciler's record of the map's writes).
   */
  async sync(engine: Engine, object: ObjectRef, current: RawObject | undefined, invalid?: InvalidObject, mapProblem?: MapProblem): Promise<StatusWriteResult> {
    const { kind, namespace, name } = object;
    const path = `${objectPath(kind, name, namespace)}/status`;
    if (!current) return this.forget(path);
    const held = this.heldStatus(path, current);
    const computed = invalid ? invalidStatus(kind, invalid.problems, invalid.generation) : (statusOf(engine, objectKey(object), mapProblem ? { mapProblem } : undefined) as { conditions: ConditionValue[] } | undefined);
    if (!computed) return this.forget(path);
    const previous = (held?.conditions ?? []) as Condition[];
    const now = this.timestamp();
    const status = { ...computed, conditions: withTransitionTimes(previous, computed.conditions, now) };
    if (sameJson(held ?? {}, status)) return 'unchanged';
    this.echoes.begin(path, { uid: current.metadata?.uid, generation: current.metadata?.generation });
    let answer: RawObject | undefined;
    try {
      answer = await this.write(path, kind, name, namespace, held, status);
    } catch (error) {
      this.echoes.dropped(path);
      throw error;
    }
    if (answer === undefined) {
      this.echoes.dropped(path);
      return this.forget(path);
    }
    // Remembered until the informer shows it, unless its echo came first; an event meanwhile that was not its echo
    // (someone else's write after it) has the status compared again.
    const recheck = this.echoes.answered(path, answer.metadata?.resourceVersion, status);
    await this.recordTransitions(kind, current, previous, status.conditions);
    return recheck ? 'recheck' : 'written';
  }

  /**
   * The writes of one status (the merge patch that removes emptied maps first, when needed); undefined: it is gone.
   * Server-side apply removes only the fields its manager alone owns: a condition another field manager added (a
   * `Stalled=True`: Failed / Degraded for ever) stays beside the computed ones. So when the applied status still holds
   * a condition type the operator did not compute, a JSON patch removes it (one more request, only then).
   */
  private async write(path: string, kind: KindName, name: string, namespace: string | undefined, held: Record<string, unknown> | undefined, status: Record<string, unknown> & { conditions: readonly { type: string }[] }): Promise<RawObject | undefined> {
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
    let answer: RawObject | undefined;
    try {
      answer = await this.options.api.request<RawObject | undefined>('PATCH', path, {
        contentType: APPLY_PATCH,
        query: { fieldManager: FIELD_MANAGER, force: true },
        body: { apiVersion: API_GROUP_VERSION, kind, metadata: { name, ...(namespace ? { namespace } : {}) }, status },
      });
      this.options.onWrite?.(true, false);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      this.options.onWrite?.(false, isConflict(error));
      throw error;
    }
    const foreign = foreignConditions(answer?.status, status.conditions);
    return foreign ? this.removeConditions(path, foreign) : (answer ?? {});
  }

  /** The JSON patch of `foreignConditions`; the API server's answer (undefined: the object is gone). */
  private async removeConditions(path: string, patch: Array<Record<string, unknown>>): Promise<RawObject | undefined> {
    try {
      const answer = await this.options.api.request<RawObject | undefined>('PATCH', path, { contentType: JSON_PATCH, query: { fieldManager: FIELD_MANAGER }, body: patch });
      this.options.onWrite?.(true, false, 'patch');
      return answer ?? {};
    } catch (error) {
      if (isNotFound(error)) return undefined;
      this.options.onWrite?.(false, isConflict(error), 'patch');
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
    return this.echoes.echo(path, raw.metadata?.resourceVersion, { uid: raw.metadata?.uid, generation: raw.metadata?.generation });
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
    return this.echoes.unseen(path, current.metadata ?? {})?.value ?? current.status;
  }

  private forget(path: string): 'gone' {
    this.echoes.forget(path);
    return 'gone';
  }

  /** How many writes the informer has not seen yet (each is forgotten when it does). */
  get pendingWrites(): number {
    return this.echoes.unseenCount;
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
