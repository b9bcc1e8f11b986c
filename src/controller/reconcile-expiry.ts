/**
 * Reconciles the `expiry` key: moves the engine's clock to now (grants that expired are gone), queues what that
 * changed, and asks to run again at the next expiry.
 */
import type { Engine, Impact } from '../engine/engine.ts';
import type { ReconcileResult } from './reconcile-result.ts';

export interface ExpiryReconcileContext {
  engine: Engine;
  now: number;
  enqueueImpact: (impact: Impact) => void;
}

export function reconcileExpiry(context: ExpiryReconcileContext): ReconcileResult {
  const { engine, now } = context;
  context.enqueueImpact(engine.advanceTime(now));
  const next = engine.nextExpiry();
  return next === undefined ? { outcome: 'changed' } : { outcome: 'changed', requeueAfterMs: Math.max(0, next - now) };
}
