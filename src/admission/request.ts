/**
 * Reads an admission request: the raw `object` / `oldObject` are validated against their kind's schema and converted
 * to model objects, the same conversion manifests and informer objects go through. Anything that does not read
 * (wrong operation, missing object, another kind or name than the request's) is a problem: the request is denied.
 *
 * The old object need not be read twice: when the request carries `oldModelObject` (the webhook: its informer's
 * conversion of the very resourceVersion the API server sends as oldObject) of the request's kind, name and
 * namespace, that is the object before the change, and the raw oldObject is kept only for the fields the model does
 * not hold. The new object is always read; the old one's lists make de-duplicating its lists cheaper (model.ts).
 */
import { isKindName, type KindName } from '../api/kinds.ts';
import { canonical } from '../model/canonical-json.ts';
import type { ModelObject } from '../model/model.ts';
import { classifyDocument, toModelObject } from '../model/to-model-object.ts';
import type { AdmissionRequest } from './decide.ts';

export interface ParsedRequest {
  operation: 'CREATE' | 'UPDATE' | 'DELETE';
  kind: KindName;
  /** `Kind/name` or `Collaboration/namespace/name`, for messages. */
  key: string;
  /** The object before the change (UPDATE, DELETE). */
  before: ModelObject | undefined;
  /** The object after the change (CREATE, UPDATE). */
  after: ModelObject | undefined;
  /** The raw manifests, for fields the model does not keep (displayName, email). */
  rawBefore: Record<string, unknown> | undefined;
  rawAfter: Record<string, unknown> | undefined;
}

export type ParseResult = { ok: true; request: ParsedRequest } | { ok: false; problems: string[] };

const OPERATIONS = new Set(['CREATE', 'UPDATE', 'DELETE']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Converts one side of the request; pushes problems naming it (`object`, `oldObject`). `previous`: the object before. */
function side(raw: unknown, field: string, request: AdmissionRequest, problems: string[], previous?: ModelObject): { object: ModelObject; raw: Record<string, unknown> } | undefined {
  if (!isRecord(raw)) {
    problems.push(`${field}: expected the ${String(request.kind)} manifest; found ${raw === undefined ? 'nothing' : typeof raw}`);
    return undefined;
  }
  const metadata = isRecord(raw.metadata) ? raw.metadata : {};
  // The API server fills the namespace in; a manifest from a file may leave it to the request.
  const withNamespace = request.kind === 'Collaboration' && metadata.namespace === undefined && request.namespace ? { ...raw, metadata: { ...metadata, namespace: request.namespace } } : raw;
  if (classifyDocument(withNamespace).type !== 'object' || (withNamespace as Record<string, unknown>).kind !== request.kind) {
    problems.push(`${field}.kind: expected charter.dev ${String(request.kind)}; found ${JSON.stringify((raw as Record<string, unknown>).kind)}`);
    return undefined;
  }
  const converted = toModelObject(withNamespace as Record<string, unknown>, previous);
  if (!converted.ok) {
    for (const p of converted.problems) problems.push(`${field}: ${p}`);
    return undefined;
  }
  const object = converted.object;
  if (object.name !== request.name) problems.push(`${field}.metadata.name: expected ${JSON.stringify(request.name)}; found ${JSON.stringify(object.name)}`);
  if (object.kind === 'Collaboration' && request.namespace !== undefined && object.namespace !== request.namespace) {
    problems.push(`${field}.metadata.namespace: expected ${JSON.stringify(request.namespace)}; found ${JSON.stringify(object.namespace)}`);
  }
  return { object, raw: withNamespace as Record<string, unknown> };
}

export function parseRequest(request: AdmissionRequest): ParseResult {
  const problems: string[] = [];
  if (!isRecord(request)) return { ok: false, problems: ['expected an admission request; found ' + typeof request] };
  if (!OPERATIONS.has(request.operation as string)) problems.push(`operation: expected CREATE, UPDATE or DELETE; found ${JSON.stringify(request.operation)}`);
  if (!isKindName(request.kind)) problems.push(`kind: expected User, Organization, UserGroup or Collaboration; found ${JSON.stringify(request.kind)}`);
  if (typeof request.name !== 'string' || request.name === '') problems.push(`name: expected the object's name; found ${JSON.stringify(request.name)}`);
  if (request.kind === 'Collaboration' && (typeof request.namespace !== 'string' || request.namespace === '')) problems.push(`namespace: expected the Collaboration's namespace; found ${JSON.stringify(request.namespace)}`);
  if (problems.length > 0) return { ok: false, problems };
  // The old side first (the new one's lists are de-duplicated against it); its problems are reported second.
  const oldProblems: string[] = [];
  const before = request.operation === 'CREATE' ? undefined : (alreadyRead(request) ?? side(request.oldObject, 'oldObject', request, oldProblems));
  const after = request.operation === 'DELETE' ? undefined : side(request.object, 'object', request, problems, before?.object);
  problems.push(...oldProblems);
  if (problems.length > 0) return { ok: false, problems };
  const kind = request.kind;
  const key = kind === 'Collaboration' ? `Collaboration/${request.namespace}/${request.name}` : `${kind}/${request.name}`;
  return {
    ok: true,
    request: { operation: request.operation, kind, key, before: before?.object, after: after?.object, rawBefore: before?.raw, rawAfter: after?.raw },
  };
}

/** The old object as the request carries it already read (`oldModelObject`), when it is the request's object. */
function alreadyRead(request: AdmissionRequest): { object: ModelObject; raw: Record<string, unknown> } | undefined {
  const object = request.oldModelObject;
  if (object === undefined || !isRecord(request.oldObject)) return undefined;
  if (object.kind !== request.kind || object.name !== request.name) return undefined;
  if (object.kind === 'Collaboration' && object.namespace !== request.namespace) return undefined;
  return { object, raw: request.oldObject };
}

/** `spec.<field>` of a raw manifest, compared as JSON (undefined when absent). */
export function specField(raw: Record<string, unknown> | undefined, field: string): string | undefined {
  const spec = raw && isRecord(raw.spec) ? raw.spec : undefined;
  const value = spec?.[field];
  return value === undefined ? undefined : JSON.stringify(value);
}

/** Rewritten by `kubectl apply` on every apply: not a change of its own (a displayName edit applied carries it). */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * The client-set metadata that differs between two raw manifests: `metadata.labels`, each changed
 * `metadata.annotations[key]` (but those in `ignored`), `metadata.finalizers` (as a set), `metadata.ownerReferences`.
 * Server-set fields (managedFields, resourceVersion, generation, uid, timestamps) are not compared.
 */
export function metadataChanges(rawBefore: Record<string, unknown> | undefined, rawAfter: Record<string, unknown> | undefined, ignored: ReadonlySet<string>): string[] {
  const meta = (raw: Record<string, unknown> | undefined): Record<string, unknown> => (raw && isRecord(raw.metadata) ? raw.metadata : {});
  const before = meta(rawBefore);
  const after = meta(rawAfter);
  const record = (value: unknown): Record<string, unknown> => (isRecord(value) ? value : {});
  const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
  const changes: string[] = [];
  const labelsBefore = record(before.labels);
  const labelsAfter = record(after.labels);
  if (canonical(labelsBefore) !== canonical(labelsAfter)) changes.push('metadata.labels');
  const annotationsBefore = record(before.annotations);
  const annotationsAfter = record(after.annotations);
  for (const key of [...new Set([...Object.keys(annotationsBefore), ...Object.keys(annotationsAfter)])].sort()) {
    if (!ignored.has(key) && canonical(annotationsBefore[key]) !== canonical(annotationsAfter[key])) changes.push(`metadata.annotations[${key}]`);
  }
  const finalizers = (value: unknown): string => canonical(list(value).map((f) => canonical(f)).sort());
  if (finalizers(before.finalizers) !== finalizers(after.finalizers)) changes.push('metadata.finalizers');
  if (canonical(list(before.ownerReferences)) !== canonical(list(after.ownerReferences))) changes.push('metadata.ownerReferences');
  return changes;
}
