/** Builders for admission tests: model objects (the engine test builders) turned into the manifests a request carries. */
import { decide, DEFAULT_ADMISSION_OPTIONS, type AdmissionDecision, type AdmissionOptions, type AdmissionOperation } from '../../../src/admission/decide.ts';
import type { Engine } from '../../../src/engine/engine.ts';
import { CREATED_BY_ANNOTATION, type ModelObject } from '../../../src/model/model.ts';

export { collab, engineOf, group, modelOf, org, user } from '../engine/support.ts';

const API = 'charter.dev/v1alpha1';

/** The manifest of a model object, as the API server would send it. */
export function manifest(o: ModelObject, extra: { displayName?: string; email?: string } = {}): Record<string, unknown> {
  switch (o.kind) {
    case 'User':
      return {
        apiVersion: API,
        kind: 'User',
        metadata: { name: o.name, ...(Object.keys(o.labels).length ? { labels: { ...o.labels } } : {}) },
        spec: {
          admin: o.admin,
          state: o.state,
          ...(o.identities.length ? { identities: [...o.identities] } : {}),
          ...(o.organization !== undefined ? { organization: o.organization } : {}),
          ...extra,
        },
      };
    case 'Organization':
      return {
        apiVersion: API,
        kind: 'Organization',
        metadata: { name: o.name, ...(o.createdBy !== undefined ? { annotations: { [CREATED_BY_ANNOTATION]: o.createdBy } } : {}) },
        spec: {
          ...(extra.displayName !== undefined ? { displayName: extra.displayName } : {}),
          ...(o.namespaces.length ? { namespaces: [...o.namespaces] } : {}),
          ...(o.parent !== undefined ? { parent: o.parent } : {}),
          ...(o.ownerRights !== undefined ? { ownerRights: [...o.ownerRights] } : {}),
          ...(o.availableUsers !== undefined ? { availableUsers: { users: [...o.availableUsers.users], groups: [...o.availableUsers.groups], ...(o.availableUsers.selector ? { selector: o.availableUsers.selector } : {}) } } : {}),
        },
      };
    case 'UserGroup':
      return {
        apiVersion: API,
        kind: 'UserGroup',
        metadata: { name: o.name },
        spec: { ...(o.organization !== undefined ? { organization: o.organization } : {}), members: { users: [...o.users], groups: [...o.groups], ...(o.selector ? { selector: o.selector } : {}) } },
      };
    case 'Collaboration':
      return {
        apiVersion: API,
        kind: 'Collaboration',
        metadata: { name: o.name, namespace: o.namespace },
        spec: {
          subject: { ...o.subject },
          target: { ...o.target },
          ...(o.rights.length ? { rights: [...o.rights] } : {}),
          ...(o.role !== undefined ? { role: o.role } : {}),
          ...(o.expiresAt !== undefined ? { expiresAt: new Date(o.expiresAt).toISOString() } : {}),
        },
      };
  }
}

export interface Judge {
  /** `User/alice` acts as that User directly; anything else is a Kubernetes username. */
  as: string;
  groups?: string[];
  options?: Partial<AdmissionOptions>;
  beforeExtra?: { displayName?: string; email?: string };
  afterExtra?: { displayName?: string; email?: string };
}

/** Judges CREATE (after only), DELETE (before only) or UPDATE (both). */
export function judge(engine: Engine, who: Judge, before: ModelObject | undefined, after: ModelObject | undefined): AdmissionDecision {
  const o = (after ?? before)!;
  const operation: AdmissionOperation = before && after ? 'UPDATE' : after ? 'CREATE' : 'DELETE';
  const requester = who.as.startsWith('User/') ? { username: '', groups: who.groups ?? [], user: who.as.slice(5) } : { username: who.as, groups: who.groups ?? [] };
  return decide(
    { engine },
    {
      operation,
      kind: o.kind,
      name: o.name,
      ...(o.kind === 'Collaboration' ? { namespace: o.namespace } : {}),
      ...(after ? { object: manifest(after, who.afterExtra) } : {}),
      ...(before ? { oldObject: manifest(before, who.beforeExtra) } : {}),
      requester,
    },
    { ...DEFAULT_ADMISSION_OPTIONS, ...who.options },
  );
}

/** `['NoEscalation: User/alice does not hold ...']`, for exact expectations. */
export const lines = (d: AdmissionDecision): string[] => d.denials.map((x) => `${x.reason}: ${x.message}`);
export const reasons = (d: AdmissionDecision): string[] => d.denials.map((x) => x.reason);
