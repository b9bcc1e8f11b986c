/**
 * Validates one raw object (from a file or an informer) against its kind's schema and converts it.
 */
import { isKindName } from '../api/kinds.ts';
import { API_GROUP_VERSION } from '../api/kinds.ts';
import { kindValidators } from '../api/ajv.ts';
import type { Collaboration, Organization, User, UserGroup } from '../api/types.generated.ts';
import { collaborationFrom, organizationFrom, userFrom, userGroupFrom, type ModelObject } from './model.ts';
import { describeSchemaError } from './schema-errors.ts';

export type Conversion =
  | { ok: true; object: ModelObject }
  | { ok: false; kind: string; name: string; namespace?: string; problems: string[] };

/** True for objects of the four charter.dev kinds; everything else in a manifest folder is ignored. */
export function isCharterObject(raw: unknown): raw is { apiVersion: string; kind: string } {
  if (raw === null || typeof raw !== 'object') return false;
  const { apiVersion, kind } = raw as Record<string, unknown>;
  return typeof apiVersion === 'string' && apiVersion.startsWith('charter.dev/') && isKindName(kind);
}

/** Schema-validates and converts; the problems name the field, what was expected and what was found. */
export function toModelObject(raw: Record<string, unknown>): Conversion {
  const kind = String(raw.kind);
  const metadata = (raw.metadata ?? {}) as Record<string, unknown>;
  const name = typeof metadata.name === 'string' ? metadata.name : '(unnamed)';
  const namespace = typeof metadata.namespace === 'string' ? metadata.namespace : undefined;
  if (!isKindName(kind)) return { ok: false, kind, name, problems: [`kind: expected User, Organization, UserGroup or Collaboration; found ${kind}`] };
  const problems: string[] = [];
  if (raw.apiVersion !== API_GROUP_VERSION) problems.push(`apiVersion: expected ${API_GROUP_VERSION}; found ${JSON.stringify(raw.apiVersion)}`);
  const validate = kindValidators().get(kind)!;
  // Status is the operator's output: it is not validated as input (and never read).
  const { status: _status, ...input } = raw;
  if (!validate(input)) {
    for (const error of validate.errors ?? []) problems.push(describeSchemaError(error, input));
  }
  if (kind === 'Collaboration' && !namespace) {
    problems.push('metadata.namespace: expected a namespace (Collaboration is namespaced); found nothing');
  }
  if (kind !== 'Collaboration' && namespace) {
    problems.push(`metadata.namespace: expected none (${kind} is cluster-scoped); found ${JSON.stringify(namespace)}`);
  }
  if (problems.length > 0) return { ok: false, kind, name, ...(namespace ? { namespace } : {}), problems: [...new Set(problems)] };
  switch (kind) {
    case 'User':
      return { ok: true, object: userFrom(input as unknown as User) };
    case 'Organization':
      return { ok: true, object: organizationFrom(input as unknown as Organization) };
    case 'UserGroup':
      return { ok: true, object: userGroupFrom(input as unknown as UserGroup) };
    case 'Collaboration':
      return { ok: true, object: collaborationFrom(input as unknown as Collaboration, namespace!) };
  }
}
