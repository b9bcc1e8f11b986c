/**
 * metav1.Condition bookkeeping: lastTransitionTime moves only when a condition's status flips.
 */
import type { Condition } from '../api/types.generated.ts';
import type { ConditionValue } from './status.ts';

/** Stamps computed conditions with transition times, keeping the previous time of a condition whose status held. */
export function withTransitionTimes(previous: readonly Condition[] | undefined, next: readonly ConditionValue[], now: string): Condition[] {
  return next.map((condition) => {
    const before = previous?.find((c) => c.type === condition.type);
    const lastTransitionTime = before && before.status === condition.status ? before.lastTransitionTime : now;
    return { ...condition, lastTransitionTime };
  });
}
