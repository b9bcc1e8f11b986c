/**
 * metav1.Condition bookkeeping: lastTransitionTime moves only when a condition's status flips; messages are clipped
 * to one limit.
 */
import type { Condition } from '../api/types.generated.ts';
import type { ConditionValue } from './status.ts';

/**
 * The longest condition message Charter writes (the schema allows 32,768): a status stays readable in
 * `kubectl describe` and small in etcd; lists in messages are cut before this.
 */
export const MESSAGE_LIMIT = 1024;

/** A message within MESSAGE_LIMIT, ending in `...` when cut. */
export function clipMessage(message: string): string {
  return message.length > MESSAGE_LIMIT ? `${message.slice(0, MESSAGE_LIMIT - 3)}...` : message;
}

/** Stamps computed conditions with transition times, keeping the previous time of a condition whose status held. */
export function withTransitionTimes(previous: readonly Condition[] | undefined, next: readonly ConditionValue[], now: string): Condition[] {
  return next.map((condition) => {
    const before = previous?.find((c) => c.type === condition.type);
    const lastTransitionTime = before && before.status === condition.status ? before.lastTransitionTime : now;
    return { ...condition, lastTransitionTime };
  });
}
