/**
 * The webhook's wire format, admission.k8s.io/v1 AdmissionReview: reading a review strictly and writing the answer.
 * Pure: no I/O. Anything this cannot read as a review of one of the four kinds is answered with a denial that says
 * what was wrong (reason `Malformed`): an access system fails closed.
 *
 *   const parsed = parseReview(body);
 *   const answer = parsed.ok ? answerReview(parsed.uid, decide(state, parsed.request)) : malformedAnswer(parsed);
 *   // { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid, allowed: false, status: { code: 403, reason, message } } }
 */
import { isKindName, type KindName } from '../api/kinds.ts';
import type { AdmissionDecision, AdmissionOperation, AdmissionRequest } from '../admission/decide.ts';
import { withoutManagedFields } from './managed-fields.ts';

/** The largest review body read (a review carries the object and the old object; etcd keeps objects ≤ 1.5 MiB). */
export const MAX_REVIEW_BYTES = 8 * 1024 * 1024;
export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';
const GROUP = 'charter.dev';
const VERSION = 'v1alpha1';
const OPERATIONS: readonly string[] = ['CREATE', 'UPDATE', 'DELETE'];

/** A review of a change to one of the four kinds, ready for decide(). */
export interface ParsedReview {
  ok: true;
  uid: string;
  /** `kubectl --dry-run=server`: judged the same, never persisted. */
  dryRun: boolean;
  request: AdmissionRequest;
  /** The existing object (UPDATE, DELETE): what a denial Event is about. */
  existing?: { uid?: string; resourceVersion?: string };
}

/** A body that is not such a review; `uid` is the request's when it could be read, else ''. */
export interface MalformedReview {
  ok: false;
  uid: string;
  /** `unknown` unless the review said it plainly. */
  kind: string;
  operation: string;
  message: string;
}

export interface ReviewAnswer {
  apiVersion: typeof ADMISSION_API_VERSION;
  kind: 'AdmissionReview';
  response: {
    uid: string;
    allowed: boolean;
    status?: { code: number; reason: string; message: string };
  };
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string';

/** Reads a review body (bytes or text). Never throws. */
export function parseReview(body: string | Uint8Array): ParsedReview | MalformedReview {
  let uid = '';
  let kind = 'unknown';
  let operation = 'unknown';
  const bad = (message: string): MalformedReview => ({ ok: false, uid, kind, operation, message });
  const text = typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  if (Buffer.byteLength(text) > MAX_REVIEW_BYTES) return bad(`the review is larger than ${MAX_REVIEW_BYTES} bytes`);
  let review: unknown;
  try {
    // managedFields are never read, and for objects with long lists most of the parsing (managed-fields.ts).
    review = JSON.parse(withoutManagedFields(text));
  } catch (error) {
    return bad(`the body is not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!isObject(review)) return bad('the body is not a JSON object');
  const request = review.request;
  // The uid first, so that every later complaint reaches the requester (the API server drops an answer without it).
  if (isObject(request) && isString(request.uid) && request.uid !== '') uid = request.uid;
  if (review.apiVersion !== ADMISSION_API_VERSION) return bad(`apiVersion must be ${ADMISSION_API_VERSION}; found ${show(review.apiVersion)}`);
  if (review.kind !== 'AdmissionReview') return bad(`kind must be AdmissionReview; found ${show(review.kind)}`);
  if (!isObject(request)) return bad('request is missing');
  if (uid === '') return bad('request.uid is missing');
  const gvk = request.kind;
  if (isObject(gvk) && isString(gvk.kind) && isKindName(gvk.kind)) kind = gvk.kind;
  if (isString(request.operation) && OPERATIONS.includes(request.operation)) operation = request.operation;
  if (!isObject(gvk) || gvk.group !== GROUP || gvk.version !== VERSION || !isString(gvk.kind) || !isKindName(gvk.kind)) {
    return bad(`request.kind must be a ${GROUP}/${VERSION} User, Organization, UserGroup or Collaboration; found ${show(gvk)}`);
  }
  if (operation === 'unknown') return bad(`request.operation must be CREATE, UPDATE or DELETE; found ${show(request.operation)}`);
  if (request.subResource !== undefined && request.subResource !== '') {
    return bad(`this webhook judges the objects themselves, not their ${show(request.subResource)} subresource (check the ValidatingWebhookConfiguration's rules)`);
  }
  const userInfo = request.userInfo;
  if (!isObject(userInfo) || !isString(userInfo.username) || userInfo.username === '') return bad('request.userInfo.username is missing');
  const groups = userInfo.groups ?? [];
  if (!Array.isArray(groups) || !groups.every(isString)) return bad('request.userInfo.groups must be a list of strings');
  if (request.dryRun !== undefined && typeof request.dryRun !== 'boolean') return bad(`request.dryRun must be true or false; found ${show(request.dryRun)}`);

  const namespace = request.namespace === undefined || request.namespace === '' ? undefined : request.namespace;
  if (namespace !== undefined && !isString(namespace)) return bad(`request.namespace must be a string; found ${show(namespace)}`);
  const kindName = gvk.kind as KindName;
  if (kindName === 'Collaboration' && namespace === undefined) return bad('request.namespace is missing (a Collaboration is namespaced)');
  if (kindName !== 'Collaboration' && namespace !== undefined) return bad(`request.namespace must be empty: a ${kindName} is cluster-scoped; found ${show(namespace)}`);

  const op = operation as AdmissionOperation;
  const object = request.object ?? undefined;
  const oldObject = request.oldObject ?? undefined;
  const needsObject = op !== 'DELETE';
  const needsOld = op !== 'CREATE';
  const objectProblem = (field: string, o: unknown): string | undefined => {
    if (!isObject(o)) return `request.${field} must be the object (${op} carries it); found ${show(o)}`;
    if (o.kind !== kindName) return `request.${field}.kind must be ${kindName}; found ${show(o.kind)}`;
    if (o.apiVersion !== `${GROUP}/${VERSION}`) return `request.${field}.apiVersion must be ${GROUP}/${VERSION}; found ${show(o.apiVersion)}`;
    if (!isObject(o.metadata)) return `request.${field}.metadata is missing`;
    if (!isString(o.metadata.name) || o.metadata.name === '') return `request.${field}.metadata.name is missing`;
    return undefined;
  };
  if (needsObject) {
    const p = objectProblem('object', object);
    if (p) return bad(p);
  }
  if (needsOld) {
    const p = objectProblem('oldObject', oldObject);
    if (p) return bad(p);
  }
  const named = (needsObject ? object : oldObject) as { metadata: { name: string; namespace?: unknown } };
  const name = isString(request.name) && request.name !== '' ? request.name : named.metadata.name;
  for (const [field, o] of [['object', needsObject ? object : undefined], ['oldObject', needsOld ? oldObject : undefined]] as const) {
    const meta = (o as { metadata?: Json } | undefined)?.metadata;
    if (!meta) continue;
    if (meta.name !== name) return bad(`request.${field}.metadata.name is ${show(meta.name)}, but the request is about ${show(name)}`);
    const ns = meta.namespace === '' ? undefined : meta.namespace;
    if (ns !== undefined && ns !== namespace) return bad(`request.${field}.metadata.namespace is ${show(ns)}, but the request is in ${show(namespace ?? '')}`);
  }

  const parsed: ParsedReview = {
    ok: true,
    uid,
    dryRun: request.dryRun === true,
    request: {
      operation: op,
      kind: kindName,
      name,
      ...(namespace !== undefined ? { namespace } : {}),
      ...(needsObject ? { object } : {}),
      ...(needsOld ? { oldObject } : {}),
      requester: { username: userInfo.username, groups: groups as string[] },
    },
  };
  if (needsOld) {
    const meta = (oldObject as { metadata: Json }).metadata;
    parsed.existing = {
      ...(isString(meta.uid) ? { uid: meta.uid } : {}),
      ...(isString(meta.resourceVersion) ? { resourceVersion: meta.resourceVersion } : {}),
    };
  }
  return parsed;
}

/** The answer to a review: allowed, or denied with code 403, the first denial's reason and every denial's message. */
export function answerReview(uid: string, decision: Pick<AdmissionDecision, 'allowed' | 'denials'>): ReviewAnswer {
  if (decision.allowed) return { apiVersion: ADMISSION_API_VERSION, kind: 'AdmissionReview', response: { uid, allowed: true } };
  const denials = decision.denials.length > 0 ? decision.denials : [{ reason: 'NotPermitted', message: 'denied without a reason' }];
  return {
    apiVersion: ADMISSION_API_VERSION,
    kind: 'AdmissionReview',
    response: {
      uid,
      allowed: false,
      status: { code: 403, reason: denials[0]!.reason, message: denials.map((d) => `${d.reason}: ${d.message}`).join('; ') },
    },
  };
}

/** The denial of a body that is not a review of ours. */
export function malformedAnswer(review: MalformedReview): ReviewAnswer {
  return answerReview(review.uid, { allowed: false, denials: [{ reason: 'Malformed', message: `Charter could not read the admission review: ${review.message}` }] });
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  let text: string;
  try {
    text = JSON.stringify(v) ?? String(v);
  } catch {
    text = String(v);
  }
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
