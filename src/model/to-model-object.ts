/**
 * Validates one raw object (from a file or an informer) against its kind's schema and converts it.
 */
import { API_GROUP, KINDS, isKindName } from '../api/kinds.ts';
import { kindValidators } from '../api/ajv.ts';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { collaborationFrom, organizationFrom, userFrom, userGroupFrom, type ModelObject } from './model.ts';
import { describeSchemaErrors } from './schema-errors.ts';

export type Conversion =
  | { ok: true; object: ModelObject }
  | { ok: false; kind: string; name: string; namespace?: string; problems: string[] };

/** What a manifest document is to Charter. */
export type DocumentClass =
  /** Not Charter's: another API group (or no object at all); the contract ignores it. */
  | { type: 'ignored' }
  /** One of the four kinds (its apiVersion is checked by toModelObject). */
  | { type: 'object' }
  /** Meant for Charter but not one of its kinds: reported, as `kubectl apply --validate=strict` would refuse it. */
  | { type: 'unknown-kind'; kind: string; name: string; message: string };

/**
 * Sorts a manifest document: objects of other API groups are ignored (semantics: "objects of other kinds are
 * ignored"); a document of the charter.dev group with a kind Charter does not have (a typo: `Colaboration`) is a
 * problem, not silence — a typo in a GitOps repository must not become a silently missing grant; a Charter kind
 * without an apiVersion is an object (whose apiVersion toModelObject reports). `Catalog` is charter.dev's file
 * format for `--catalog`, not an API object: a catalog kept beside the manifests is ignored.
 */
export function classifyDocument(raw: unknown): DocumentClass {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { type: 'ignored' };
  const { apiVersion, kind, metadata } = raw as Record<string, unknown>;
  const charterGroup = typeof apiVersion === 'string' && (apiVersion === API_GROUP || apiVersion.startsWith(`${API_GROUP}/`));
  if (isKindName(kind)) return charterGroup || apiVersion === undefined ? { type: 'object' } : { type: 'ignored' };
  if (!charterGroup || kind === 'Catalog') return { type: 'ignored' };
  const name = metadata !== null && typeof metadata === 'object' && typeof (metadata as Record<string, unknown>).name === 'string' ? String((metadata as Record<string, unknown>).name) : '(unnamed)';
  return {
    type: 'unknown-kind',
    kind: typeof kind === 'string' ? kind : '(no kind)',
    name,
    message: `kind: expected one of ${KINDS.join(', ')} (the kinds of ${API_GROUP}); found ${JSON.stringify(kind) ?? 'nothing'}`,
  };
}

/**
 * Schema-validates and converts; the problems name the field, what was expected and what was found. `previous`, the
 * same object before a change (a model object), makes converting its long lists cheaper; the result is the same
 * without it (model.ts).
 */
export function toModelObject(raw: Record<string, unknown>, previous?: ModelObject): Conversion {
  const kind = String(raw.kind);
  const metadata = (raw.metadata ?? {}) as Record<string, unknown>;
  const name = typeof metadata.name === 'string' ? metadata.name : '(unnamed)';
  const namespace = typeof metadata.namespace === 'string' ? metadata.namespace : undefined;
  if (!isKindName(kind)) return { ok: false, kind, name, problems: [`kind: expected User, Organization, UserGroup or Collaboration; found ${kind}`] };
  // Status is the operator's output: it is not validated as input (and never read).
  const { status: _status, ...input } = raw;
  const validators = kindValidators();
  const failure = (problems: string[]): Conversion => ({ ok: false, kind, name, ...(namespace ? { namespace } : {}), problems: [...new Set(problems)] });
  /** Validates against the kind's schema (apiVersion, required and const, included) and the scope; converts what passes. */
  function convert<T>(validate: ValidateFunction<T>, from: (valid: T) => ModelObject): Conversion {
    const valid = validate(input);
    const problems = valid ? [] : describeSchemaErrors(validate.errors ?? [], input);
    if (kind === 'Collaboration' && !namespace) {
      problems.push('metadata.namespace: expected a namespace (Collaboration is namespaced); found nothing');
    }
    if (kind !== 'Collaboration' && namespace) {
      problems.push(`metadata.namespace: expected none (${kind} is cluster-scoped); found ${JSON.stringify(namespace)}`);
    }
    if (!valid || problems.length > 0) return failure(problems);
    return { ok: true, object: from(input) };
  }
  switch (kind) {
    case 'User':
      return convert(validators.User, (valid) => userFrom(valid, previous?.kind === 'User' ? previous : undefined));
    case 'Organization':
      return convert(validators.Organization, (valid) => organizationFrom(valid, previous?.kind === 'Organization' ? previous : undefined));
    case 'UserGroup':
      return convert(validators.UserGroup, (valid) => userGroupFrom(valid, previous?.kind === 'UserGroup' ? previous : undefined));
    case 'Collaboration':
      return convert(validators.Collaboration, (valid) => collaborationFrom(valid, namespace!));
  }
}
