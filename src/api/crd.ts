/**
 * Turns a kind's JSON Schema into a CustomResourceDefinition (apiextensions.k8s.io/v1) with a structural schema.
 * Pure: the generator writes its output to crds/, and a test compares that output with the files.
 */
import { API_GROUP, API_VERSION, type JsonSchema, type KindName, kindSchema, readSchema } from './kinds.ts';

interface CharterExtension {
  plural: string;
  scope: 'Cluster' | 'Namespaced';
  shortNames: string[];
  categories: string[];
  printerColumns: Array<Record<string, unknown>>;
}

/** Keywords a structural CRD schema cannot hold (or that Kubernetes handles itself). */
const DROPPED = new Set(['$schema', '$id', 'title', 'x-charter', 'const', '$defs']);

/** Inlines `$ref`s (to `#/$defs/...` or `file.schema.json#/$defs/...`) and drops what CRDs do not accept. */
export function toStructural(node: unknown, base: JsonSchema): unknown {
  if (Array.isArray(node)) return node.map((item) => toStructural(item, base));
  if (node === null || typeof node !== 'object') return node;
  const obj = node as JsonSchema;
  if (typeof obj.$ref === 'string') {
    const { schema, root } = resolveRef(obj.$ref, base);
    const { $ref: _ref, ...rest } = obj;
    return toStructural({ ...schema, ...rest }, root);
  }
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(obj)) {
    if (DROPPED.has(key)) continue;
    // Kubernetes prunes unknown fields instead; `additionalProperties: false` is not allowed in a CRD.
    if (key === 'additionalProperties' && value === false) continue;
    if (key === 'properties' || key === 'patternProperties') {
      out[key] = Object.fromEntries(
        Object.entries(value as JsonSchema).map(([name, sub]) => [name, toStructural(sub, base)]),
      );
      continue;
    }
    out[key] = toStructural(value, base);
  }
  return out;
}

function resolveRef(ref: string, base: JsonSchema): { schema: JsonSchema; root: JsonSchema } {
  const [file, pointer = ''] = ref.split('#');
  const root = file ? readSchema(file) : base;
  let target: unknown = root;
  for (const part of pointer.split('/').filter(Boolean)) target = (target as JsonSchema)[part];
  if (target === undefined) throw new Error(`Schema reference ${ref} does not resolve`);
  return { schema: target as JsonSchema, root };
}

/** The CRD of a kind, as a plain object ready to be dumped as YAML. */
export function crdFor(kind: KindName): JsonSchema {
  const schema = kindSchema(kind);
  const ext = schema['x-charter'] as CharterExtension;
  const structural = toStructural(schema, schema) as JsonSchema;
  const properties = structural.properties as JsonSchema;
  properties.apiVersion = { type: 'string', description: 'charter.dev/v1alpha1' };
  properties.kind = { type: 'string', description: kind };
  properties.metadata = { type: 'object' };
  const required = (schema.required as string[]).filter((name) => !['apiVersion', 'kind', 'metadata'].includes(name));
  const openAPIV3Schema: JsonSchema = { ...structural, properties };
  if (required.length > 0) openAPIV3Schema.required = required;
  else delete openAPIV3Schema.required;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${ext.plural}.${API_GROUP}`,
      labels: { 'app.kubernetes.io/name': 'charter', 'app.kubernetes.io/part-of': 'charter' },
      annotations: { 'charter.dev/generated-from': `src/api/${kind.toLowerCase()}.schema.json` },
    },
    spec: {
      group: API_GROUP,
      names: {
        kind,
        listKind: `${kind}List`,
        plural: ext.plural,
        singular: kind.toLowerCase(),
        shortNames: ext.shortNames,
        categories: ext.categories,
      },
      scope: ext.scope,
      versions: [
        {
          name: API_VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: ext.printerColumns,
          schema: { openAPIV3Schema },
        },
      ],
    },
  };
}
