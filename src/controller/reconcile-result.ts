/**
 * What one reconcile returns, as controller-runtime's `Reconcile(ctx, request) → (Result, error)`: what it did, and
 * whether the key should run again later. An error is thrown instead: the work queue retries the key with backoff.
 */
export interface ReconcileResult {
  /** `changed`: it wrote (or deleted, or moved the engine's clock); `unchanged`: the cluster was up to date, or there was nothing to do. */
  outcome: 'changed' | 'unchanged';
  /** Run the key again after this many milliseconds (the next grant expiry). */
  requeueAfterMs?: number;
}

export const CHANGED: ReconcileResult = { outcome: 'changed' };
export const UNCHANGED: ReconcileResult = { outcome: 'unchanged' };
