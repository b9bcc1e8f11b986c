/**
 * The four kinds of the charter.dev/v1alpha1 API and where their JSON Schemas live.
 * The schemas are the single source of truth: types (src/api/types.generated.ts) and CRDs (crds/) derive from them.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const API_GROUP = 'charter.dev';
export const API_VERSION = 'v1alpha1';
export const API_GROUP_VERSION = `${API_GROUP}/${API_VERSION}`;

export const KINDS = ['User', 'Organization', 'UserGroup', 'Collaboration'] as const;
export type KindName = (typeof KINDS)[number];

export const apiDir = dirname(fileURLToPath(import.meta.url));

/** The schema file of a kind, e.g. `user.schema.json` for User. */
export function schemaFile(kind: KindName): string {
  return join(apiDir, `${kind.toLowerCase()}.schema.json`);
}

export type JsonSchema = Record<string, unknown>;

/** Reads a schema of src/api by file name. */
export function readSchema(file: string): JsonSchema {
  return JSON.parse(readFileSync(join(apiDir, file), 'utf8')) as JsonSchema;
}

/** The kind's schema, as written in src/api. */
export function kindSchema(kind: KindName): JsonSchema {
  return readSchema(`${kind.toLowerCase()}.schema.json`);
}

/** A kind's plural resource name (`users`), as its schema's `x-charter.plural` declares it for the CRD. */
function pluralOf(kind: KindName): string {
  const ext = kindSchema(kind)['x-charter'];
  const plural = typeof ext === 'object' && ext !== null && 'plural' in ext ? ext.plural : undefined;
  if (typeof plural !== 'string') throw new Error(`src/api/${kind.toLowerCase()}.schema.json: x-charter.plural: expected a string`);
  return plural;
}

/** Each kind's plural resource name, from the schemas (the CRDs' spec.names.plural). */
export const PLURALS: Readonly<Record<KindName, string>> = {
  User: pluralOf('User'),
  Organization: pluralOf('Organization'),
  UserGroup: pluralOf('UserGroup'),
  Collaboration: pluralOf('Collaboration'),
};

export function isKindName(value: unknown): value is KindName {
  return typeof value === 'string' && (KINDS as readonly string[]).includes(value);
}
