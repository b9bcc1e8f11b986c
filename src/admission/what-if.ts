/**
 * The state after a change, for the rules that need it (LastOwner): the change is applied to the engine and undone
 * within one synchronous call, so nothing else (the reconciler shares the engine in the operator) ever sees it.
 * The engine's incremental updates are held equal to a fresh build after any sequence of changes by property tests,
 * so applying a change and its inverse leaves the same state.
 */
import type { Change, Engine } from '../engine/engine.ts';
import { getObject, type ModelObject } from '../model/model.ts';

/** The engine's current version of the object a change is about (undefined when it has none). */
export function currentObject(engine: Engine, kind: ModelObject['kind'], name: string, namespace?: string): ModelObject | undefined {
  return getObject(engine.model, { kind, name, namespace });
}

/** Runs `look` on the engine as it would be after `after` replaced (or, undefined, deleted) the object; then undoes it. */
export function afterChange<T>(engine: Engine, object: { kind: ModelObject['kind']; name: string; namespace?: string }, after: ModelObject | undefined, look: () => T): T {
  const before = currentObject(engine, object.kind, object.name, object.namespace);
  const change = (o: ModelObject | undefined): Change => (o ? { type: 'upsert', object: o } : { type: 'delete', kind: object.kind, name: object.name, ...(object.namespace !== undefined ? { namespace: object.namespace } : {}) });
  engine.apply([change(after)]);
  try {
    return look();
  } finally {
    engine.apply([change(before)]);
  }
}
