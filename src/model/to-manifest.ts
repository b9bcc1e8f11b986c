/**
 * The manifest of a model object: what `kubectl apply` would send for it (the inverse of to-model-object.ts, for the
 * fields the model keeps). Used where a model change must become an admission request (benchmarks, tests).
 */
import { API_GROUP_VERSION } from '../api/kinds.ts';
import { CREATED_BY_ANNOTATION, type MemberSet, type ModelObject } from './model.ts';

const members = (m: MemberSet): Record<string, unknown> => ({ users: [...m.users], groups: [...m.groups], ...(m.selector ? { selector: m.selector } : {}) });

export function toManifest(o: ModelObject, extra: { displayName?: string; email?: string } = {}): Record<string, unknown> {
  switch (o.kind) {
    case 'User':
      return {
        apiVersion: API_GROUP_VERSION,
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
        apiVersion: API_GROUP_VERSION,
        kind: 'Organization',
        metadata: { name: o.name, ...(o.createdBy !== undefined ? { annotations: { [CREATED_BY_ANNOTATION]: o.createdBy } } : {}) },
        spec: {
          ...(extra.displayName !== undefined ? { displayName: extra.displayName } : {}),
          ...(o.namespaces.length ? { namespaces: [...o.namespaces] } : {}),
          ...(o.parent !== undefined ? { parent: o.parent } : {}),
          ...(o.ownerRights !== undefined ? { ownerRights: [...o.ownerRights] } : {}),
          ...(o.availableUsers !== undefined ? { availableUsers: members(o.availableUsers) } : {}),
        },
      };
    case 'UserGroup':
      return {
        apiVersion: API_GROUP_VERSION,
        kind: 'UserGroup',
        metadata: { name: o.name },
        spec: { ...(o.organization !== undefined ? { organization: o.organization } : {}), members: members(o) },
      };
    case 'Collaboration':
      return {
        apiVersion: API_GROUP_VERSION,
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
