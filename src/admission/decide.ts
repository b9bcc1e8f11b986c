/**
 * Admission: who may change access (the contract is shared/design/admission.md). One pure judgement, used by the
 * operator's validating webhook and by `charter admit`, so both give the same answers.
 *
 * Today: the requester mapping's first step only — platform identities (bypass lists) are allowed, every other
 * request is denied with `NotPermitted` (fail closed) until the rules of admission.md §3 are built here.
 */
import type { KindName } from '../api/kinds.ts';
import type { Engine } from '../engine/engine.ts';

export type AdmissionOperation = 'CREATE' | 'UPDATE' | 'DELETE';

/** The request's `userInfo` (or `charter admit --as/--as-groups`). */
export interface Requester {
  username: string;
  groups: readonly string[];
}

/** One change to judge: raw manifests as the API server sends them (AdmissionReview `object` / `oldObject`). */
export interface AdmissionRequest {
  operation: AdmissionOperation;
  kind: KindName;
  name: string;
  /** Collaborations only. */
  namespace?: string;
  /** CREATE and UPDATE: the object after the change. */
  object?: unknown;
  /** UPDATE and DELETE: the object before the change. */
  oldObject?: unknown;
  requester: Requester;
}

export interface Denial {
  /** `NotPermitted`, `NoEscalation`, `LastOwner`, … (admission.md §3). */
  reason: string;
  message: string;
}

export interface AdmissionDecision {
  allowed: boolean;
  /** Who the requester acted as: `platform`, `User/<name>`, or `nobody`. */
  actingAs: string;
  /** Every failed rule, the first one's reason first (admission.md §3). Empty when allowed. */
  denials: Denial[];
}

export interface AdmissionOptions {
  bypassUsers: readonly string[];
  /** Default `['system:masters']`. */
  bypassGroups: readonly string[];
  /** `--admission-self-registration`, default true. */
  selfRegistration: boolean;
}

export const DEFAULT_ADMISSION_OPTIONS: AdmissionOptions = { bypassUsers: [], bypassGroups: ['system:masters'], selfRegistration: true };

/** The state a request is judged against: the engine (model, catalog, rights) before the change. */
export interface AdmissionState {
  engine: Engine;
}

/** Judges one request against the current state. Pure: no I/O, no clock beyond `state.engine.now`. */
export function decide(_state: AdmissionState, request: AdmissionRequest, options: AdmissionOptions = DEFAULT_ADMISSION_OPTIONS): AdmissionDecision {
  const { username, groups } = request.requester;
  if (options.bypassUsers.includes(username) || groups.some((g) => options.bypassGroups.includes(g))) {
    return { allowed: true, actingAs: 'platform', denials: [] };
  }
  return { allowed: false, actingAs: 'nobody', denials: [{ reason: 'NotPermitted', message: `${username} may not change Charter objects (the admission rules are not built yet)` }] };
}
