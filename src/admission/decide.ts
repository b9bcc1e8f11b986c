/**
 * Admission: who may change access (the contract is shared/design/admission.md). One judgement, used by the
 * operator's validating webhook and by `charter admit`, so both give the same answers: the requester is mapped
 * (platform, a User through spec.identities, or nobody), the request read, and the rules of its kind applied
 * (collaboration-rules.ts, user-rules.ts, organization-rules.ts, usergroup-rules.ts). Every failed rule is reported,
 * in the order of reasons.ts. Anything unexpected denies (fail closed); `decide` never throws.
 *
 * Pure as seen from outside: no I/O, no clock beyond `state.engine.now`. LastOwner looks at the state after the
 * change by applying it to the engine and undoing it before returning (what-if.ts), within the same synchronous call.
 */
import type { KindName } from '../api/kinds.ts';
import type { Engine } from '../engine/engine.ts';
import type { ModelObject } from '../model/model.ts';
import { judgeCollaboration } from './collaboration-rules.ts';
import type { Context } from './context.ts';
import { Holdings } from './holdings.ts';
import { judgeOrganization } from './organization-rules.ts';
import { denial, ordered } from './reasons.ts';
import { parseRequest } from './request.ts';
import { actingAs, actingLabel } from './requester.ts';
import { judgeSelfRegistration, judgeUser } from './user-rules.ts';
import { judgeUserGroup } from './usergroup-rules.ts';

export type AdmissionOperation = 'CREATE' | 'UPDATE' | 'DELETE';

/** The request's `userInfo` (or `charter admit --as/--as-groups`). */
export interface Requester {
  username: string;
  groups: readonly string[];
  /** Act as this Charter User directly, without the identity mapping (`charter admit --as User/<name>`). */
  user?: string;
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
  /**
   * UPDATE and DELETE, optional: `oldObject` already validated and converted — the webhook's informer read that very
   * resourceVersion (the API server stores an object only once it passed the CRD's schema). When it is the request's
   * object (kind, name, namespace), `oldObject` is not read again; only its raw spec fields the model does not hold
   * are (displayName, email). `charter admit` reads files and never sets it.
   */
  oldModelObject?: ModelObject;
  requester: Requester;
}

export interface Denial {
  /** `NotPermitted`, `NoEscalation`, `LastOwner`, … (admission.md §3; the order is reasons.ts's). */
  reason: string;
  /** What was missing, without the reason: `User/alice does not hold RIGHT_X on Application/acme/app1 (...)`. */
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
  /** Default `PLATFORM_USERS`. */
  bypassUsers: readonly string[];
  /** Default `PLATFORM_GROUPS`. */
  bypassGroups: readonly string[];
  /** `--admission-self-registration`, default true. */
  selfRegistration: boolean;
}

/**
 * The platform's own identities, bypassed by default: the cluster admins, and Kubernetes' controllers — the
 * controller manager as itself, or as one service account per controller in kube-system. The namespace controller
 * deletes every object of a namespace being deleted, and the garbage collector removes the finalizers of a
 * foreground or orphan deletion: judged as nobody's (UnknownRequester), such a namespace or object would stay
 * Terminating for ever. Anyone who can act as a kube-system service account already administers the cluster.
 */
export const PLATFORM_USERS: readonly string[] = ['system:kube-controller-manager'];
export const PLATFORM_GROUPS: readonly string[] = ['system:masters', 'system:serviceaccounts:kube-system'];

export const DEFAULT_ADMISSION_OPTIONS: AdmissionOptions = { bypassUsers: PLATFORM_USERS, bypassGroups: PLATFORM_GROUPS, selfRegistration: true };

/** The state a request is judged against: the engine (model, catalog, rights) before the change. */
export interface AdmissionState {
  engine: Engine;
}

/** Judges one request against the current state. Never throws: anything unexpected is a denial. */
export function decide(state: AdmissionState, request: AdmissionRequest, options: AdmissionOptions = DEFAULT_ADMISSION_OPTIONS): AdmissionDecision {
  try {
    return judge(state.engine, request, options);
  } catch (error) {
    return { allowed: false, actingAs: 'nobody', denials: [denial('InvalidRequest', `the request could not be judged: ${(error as Error)?.message ?? String(error)}`)] };
  }
}

function judge(engine: Engine, request: AdmissionRequest, options: AdmissionOptions): AdmissionDecision {
  if (request === null || typeof request !== 'object') return { allowed: false, actingAs: 'nobody', denials: [denial('InvalidRequest', `expected an admission request; found ${String(request)}`)] };
  const acting = actingAs(engine, request.requester, options);
  if (acting.type === 'platform') return { allowed: true, actingAs: 'platform', denials: [] };
  const done = (denials: ReturnType<typeof denial>[]): AdmissionDecision => {
    const list = ordered(denials);
    return { allowed: list.length === 0, actingAs: actingLabel(acting), denials: list };
  };
  const parsed = parseRequest(request);
  const denials = [];
  if (acting.type === 'ambiguous') {
    denials.push(denial('AmbiguousIdentity', `${acting.username} is listed in spec.identities of ${acting.users.map((u) => `User/${u}`).join(', ')}: every request from it is denied until only one lists it`));
  }
  const selfRegistration = acting.type === 'nobody' && parsed.ok && parsed.request.kind === 'User' && parsed.request.operation === 'CREATE';
  if (acting.type === 'nobody' && !selfRegistration) {
    denials.push(denial('UnknownRequester', `${acting.username || '(no username)'} is not an identity of any User (spec.identities), so it may not change Charter objects`));
  }
  if (!parsed.ok) return done([...denials, denial('InvalidRequest', parsed.problems.join('; '))]);
  if (acting.type !== 'user') {
    if (selfRegistration && acting.type === 'nobody') denials.push(...judgeSelfRegistration(engine, acting.username, parsed.request, options));
    return done(denials);
  }
  const ctx: Context = { engine, holdings: new Holdings(engine, acting.name), options };
  switch (parsed.request.kind) {
    case 'Collaboration':
      return done(judgeCollaboration(ctx, parsed.request));
    case 'User':
      return done(judgeUser(ctx, parsed.request));
    case 'Organization':
      return done(judgeOrganization(ctx, parsed.request));
    case 'UserGroup':
      return done(judgeUserGroup(ctx, parsed.request));
  }
}
