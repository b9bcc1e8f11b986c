/**
 * Turns ajv errors into one clear sentence per problem: the field path, what was expected, what was found.
 */
import type { ErrorObject } from 'ajv';
import { KUBERNETES_FORMATS } from '../api/kubernetes-names.ts';
import { TIMESTAMP_EXPECTED, TIMESTAMP_PATTERN } from '../api/timestamp.ts';

/** `spec.subject.kind` from ajv's `/spec/subject/kind`; array indices as `[3]`. */
export function fieldPath(instancePath: string, extra?: string): string {
  const parts = instancePath.split('/').filter(Boolean).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let path = '';
  for (const part of parts) path += /^\d+$/.test(part) ? `[${part}]` : path ? `.${part}` : part;
  if (extra) path += path ? `.${extra}` : extra;
  return path || '(root)';
}

function found(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function valueAt(root: unknown, instancePath: string): unknown {
  let node = root;
  for (const part of instancePath.split('/').filter(Boolean)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return node;
}

/** One message per ajv error, e.g. `spec.state: expected one of Requested, Approved, ...; found "Happy"`. */
export function describeSchemaError(error: ErrorObject, object: unknown): string {
  const value = valueAt(object, error.instancePath);
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return `${fieldPath(error.instancePath, String(p.missingProperty))}: expected a value, found nothing (the field is required)`;
    case 'additionalProperties':
      return `${fieldPath(error.instancePath, String(p.additionalProperty))}: unknown field (not in the schema)`;
    case 'enum':
      return `${fieldPath(error.instancePath)}: expected one of ${(p.allowedValues as unknown[]).join(', ')}; found ${found(value)}`;
    case 'const':
      return `${fieldPath(error.instancePath)}: expected ${found(p.allowedValue)}; found ${found(value)}`;
    case 'type':
      return `${fieldPath(error.instancePath)}: expected ${String(p.type)}; found ${found(value)}`;
    case 'format':
      // A format of the object's keys (propertyNames): the key is what is wrong, not the value.
      if (error.propertyName !== undefined) return `${fieldPath(error.instancePath)}: key ${found(error.propertyName)}: expected ${describeFormat(String(p.format))}`;
      return `${fieldPath(error.instancePath)}: expected ${describeFormat(String(p.format))}; found ${found(value)}`;
    case 'pattern':
      // The timestamp pattern narrows the date-time format: one message for both (problems are deduplicated).
      if (p.pattern === TIMESTAMP_PATTERN) return `${fieldPath(error.instancePath)}: expected ${TIMESTAMP_EXPECTED}; found ${found(value)}`;
      return `${fieldPath(error.instancePath)}: expected a string matching ${String(p.pattern)}; found ${found(value)}`;
    case 'maxItems':
      return `${fieldPath(error.instancePath)}: expected at most ${String(p.limit)} items; found ${(value as unknown[]).length}`;
    case 'minItems':
      return `${fieldPath(error.instancePath)}: expected at least ${String(p.limit)} ${p.limit === 1 ? 'item' : 'items'}; found ${(value as unknown[]).length}`;
    case 'maxLength':
      return `${fieldPath(error.instancePath)}: expected at most ${String(p.limit)} characters; found ${String(value).length}`;
    case 'minLength':
      return `${fieldPath(error.instancePath)}: expected at least ${String(p.limit)} characters; found ${found(value)}`;
    case 'minProperties':
      return `${fieldPath(error.instancePath)}: expected at least ${String(p.limit)} ${p.limit === 1 ? 'entry' : 'entries'}; found ${Object.keys(value as object).length}`;
    case 'maxProperties':
      return `${fieldPath(error.instancePath)}: expected at most ${String(p.limit)} entries`;
    case 'x-kubernetes-validations':
      return `${fieldPath(error.instancePath, String(p.fieldPath ?? '').replace(/^\./, '') || undefined)}: ${error.message ?? 'invalid'}`;
    default:
      return `${fieldPath(error.instancePath)}: ${error.message ?? 'invalid'}; found ${found(value)}`;
  }
}

function describeFormat(format: string): string {
  switch (format) {
    case 'email':
      return 'an email address';
    case 'date-time':
      return TIMESTAMP_EXPECTED;
    default:
      return KUBERNETES_FORMATS[format]?.expected ?? `a value of format ${format}`;
  }
}

/** One message per problem: ajv's `propertyNames` wrapper is dropped (the key's own error says what is wrong). */
export function describeSchemaErrors(errors: readonly ErrorObject[], object: unknown): string[] {
  return [...new Set(errors.filter((e) => e.keyword !== 'propertyNames').map((e) => describeSchemaError(e, object)))];
}
