/**
 * Turns informer objects into engine changes: converted and schema-validated exactly like manifest files, with
 * no-op updates (a status write echoed back by the watch, a relabel that changes nothing Charter reads) filtered out.
 * Objects that fail the schema (created with validation off, or by an older CRD) are kept aside with their problems.
 * Objects being deleted (`metadata.deletionTimestamp` set: a finalizer holds them) are not modelled: deleting revokes
 * at once, whatever finalizer keeps the object Terminating (fail closed).
 */
import { isKindName, type KindName } from '../api/kinds.ts';
import type { Change } from '../engine/engine.ts';
import { emptyModel, objectKey, putObject, type Model, type ModelObject } from '../model/model.ts';
import { toModelObject } from '../model/to-model-object.ts';

export interface RawObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; uid?: string; generation?: number; resourceVersion?: string; labels?: Record<string, string>; deletionTimestamp?: string | Date };
  spec?: unknown;
  status?: Record<string, unknown>;
}

/** An object Charter cannot read: its schema problems, and the generation they were found in. */
export interface InvalidObject {
  problems: string[];
  generation: number;
}

/**
 * The last converted form of every object, for change detection, the schema problems of invalid ones, and the
 * resourceVersion each modelled object was converted from (the admission webhook takes the model object for a
 * request's oldObject of that resourceVersion instead of reading it again).
 */
export class ClusterModel {
  private readonly known = new Map<string, string>();
  private readonly versions = new Map<string, string>();
  readonly invalid = new Map<string, InvalidObject>();

  /** The resourceVersion the model's object of this key was converted from (undefined: not modelled, or none known). */
  resourceVersionOf(key: string): string | undefined {
    return this.versions.get(key);
  }

  /** A model of all objects (on start and after a re-list); resets change detection. */
  build(objects: Iterable<{ kind: KindName; raw: RawObject }>): Model {
    this.known.clear();
    this.versions.clear();
    this.invalid.clear();
    const model = emptyModel();
    for (const { kind, raw } of objects) {
      if (beingDeleted(raw)) continue;
      const object = this.convert(kind, raw);
      if (!object) continue;
      putObject(model, object);
    }
    return model;
  }

  /**
   * The engine change an informer event stands for, or undefined when nothing Charter reads changed.
   * `key` is the object's key either way (its status may need a write: e.g. a schema problem appeared).
   * `previous`: the model's object of that key (converting a long list against it is cheaper; same result).
   */
  changeFor(kind: KindName, type: 'ADDED' | 'MODIFIED' | 'DELETED', raw: RawObject, previous?: ModelObject): { key: string; change: Change | undefined } {
    const name = raw.metadata?.name ?? '';
    const namespace = kind === 'Collaboration' ? raw.metadata?.namespace : undefined;
    const key = objectKey({ kind, name, namespace });
    const wasModelled = this.known.has(key) && !this.invalid.has(key);
    // An object being deleted grants nothing from the moment its deletion is asked for: a finalizer (anyone's) that
    // keeps it Terminating must not keep its rights.
    if (type === 'DELETED' || beingDeleted(raw)) {
      this.known.delete(key);
      this.versions.delete(key);
      this.invalid.delete(key);
      return { key, change: wasModelled ? { type: 'delete', kind, name, ...(namespace ? { namespace } : {}) } : undefined };
    }
    const before = this.known.get(key);
    const object = this.convert(kind, raw, previous);
    if (!object) return { key, change: wasModelled ? { type: 'delete', kind, name, ...(namespace ? { namespace } : {}) } : undefined };
    if (before === this.known.get(key) && wasModelled) return { key, change: undefined };
    return { key, change: { type: 'upsert', object } };
  }

  private convert(kind: KindName, raw: RawObject, previous?: ModelObject): ModelObject | undefined {
    const withKind = { ...raw, kind, apiVersion: raw.apiVersion ?? 'charter.dev/v1alpha1' } as Record<string, unknown>;
    const result = toModelObject(stripServerFields(withKind), previous);
    if (!result.ok) {
      const key = objectKey({ kind, name: result.name, namespace: result.namespace });
      this.invalid.set(key, { problems: result.problems, generation: raw.metadata?.generation ?? 1 });
      this.known.set(key, `invalid:${JSON.stringify(result.problems)}`);
      this.versions.delete(key);
      return undefined;
    }
    const key = objectKey(result.object);
    this.invalid.delete(key);
    this.known.set(key, JSON.stringify(result.object));
    const version = raw.metadata?.resourceVersion;
    if (typeof version === 'string' && version !== '') this.versions.set(key, version);
    else this.versions.delete(key);
    return result.object;
  }
}

/** Whether the API server has marked the object for deletion (it stays while finalizers remain). */
function beingDeleted(raw: RawObject): boolean {
  const at = raw.metadata?.deletionTimestamp;
  return at !== undefined && at !== null;
}

/** The metadata fields the schema describes; server-set fields (uid, managedFields, ...) are dropped. */
function stripServerFields(raw: Record<string, unknown>): Record<string, unknown> {
  const metadata = (raw.metadata ?? {}) as Record<string, unknown>;
  const kept: Record<string, unknown> = {};
  for (const field of ['name', 'namespace', 'generation', 'labels', 'annotations']) if (metadata[field] !== undefined) kept[field] = metadata[field];
  return { ...raw, metadata: kept };
}

export { isKindName };
