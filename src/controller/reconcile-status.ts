/** Reconciles a `status/<Kind>/<name>` key: one object's status, computed by the engine and written by the status writer. */
import type { Engine } from '../engine/engine.ts';
import type { MapProblem } from '../engine/status.ts';
import type { ObjectRef } from '../model/model.ts';
import type { Caches } from './caches.ts';
import { CHANGED, UNCHANGED, type ReconcileResult } from './reconcile-result.ts';
import type { InvalidObject } from './cluster-model.ts';
import type { StatusWriter } from './status-writer.ts';
import type { StatusKey } from './work-key.ts';

export interface StatusReconcileContext {
  engine: Engine;
  objects: Caches['objects'];
  /** The object's schema problems, when it has any (its status then says so). */
  invalid: (object: ObjectRef) => InvalidObject | undefined;
  statusWriter: Pick<StatusWriter, 'sync'>;
  /** Why the object's namespace's permission map is not in effect (a Collaboration's; reconciler.ts decides). */
  mapProblem?: MapProblem | undefined;
}

export async function reconcileStatus(key: StatusKey, context: StatusReconcileContext): Promise<ReconcileResult> {
  const { kind, namespace, name } = key.object;
  const current = context.objects(kind).get(namespace, name);
  const written = await context.statusWriter.sync(context.engine, key.object, current, context.invalid(key.object), context.mapProblem);
  // Someone wrote the object while the status write was in flight (not its echo): compare again.
  if (written === 'recheck') return { ...CHANGED, requeueAfterMs: 0 };
  return written === 'written' ? CHANGED : UNCHANGED;
}
