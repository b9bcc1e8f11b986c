import { describe, expect, test } from '@jest/globals';
import { crdFor } from '../../../src/api/crd.ts';
import { KINDS } from '../../../src/api/kinds.ts';

/** Walks a schema and returns the paths of nodes that break Kubernetes' structural-schema rules we rely on. */
function nonStructural(node: unknown, path: string, out: string[]): string[] {
  if (node === null || typeof node !== 'object') return out;
  const n = node as Record<string, unknown>;
  if (n.$ref !== undefined) out.push(`${path}: $ref`);
  if (n.additionalProperties === false) out.push(`${path}: additionalProperties false`);
  if (n.properties !== undefined && n.type === undefined) out.push(`${path}: no type`);
  if (n.items !== undefined && n.type !== 'array') out.push(`${path}: items without array type`);
  for (const [key, value] of Object.entries((n.properties ?? {}) as Record<string, unknown>)) nonStructural(value, `${path}.${key}`, out);
  if (n.items) nonStructural(n.items, `${path}[]`, out);
  if (n.additionalProperties && typeof n.additionalProperties === 'object') nonStructural(n.additionalProperties, `${path}{}`, out);
  return out;
}

describe('CRDs generated from the JSON Schemas', () => {
  test.each(KINDS)('%s: structural schema, status subresource, category charter, short name', (kind) => {
    const crd = crdFor(kind) as { spec: { versions: Array<Record<string, unknown>>; names: Record<string, unknown>; scope: string } };
    const version = crd.spec.versions[0]!;
    const schema = (version.schema as { openAPIV3Schema: Record<string, unknown> }).openAPIV3Schema;
    expect(nonStructural(schema, kind, [])).toEqual([]);
    expect(version.subresources).toEqual({ status: {} });
    expect(crd.spec.names.categories).toEqual(['charter']);
    expect((crd.spec.names.shortNames as string[]).length).toBe(1);
    expect(crd.spec.scope).toBe(kind === 'Collaboration' ? 'Namespaced' : 'Cluster');
    expect((version.additionalPrinterColumns as unknown[]).length).toBeGreaterThan(2);
    // A new object shows observedGeneration -1 until the operator writes, so that kstatus does not call it Current.
    expect(((schema.properties as Record<string, Record<string, unknown>>).status!).default).toEqual({ observedGeneration: -1 });
  });
  test('Collaboration carries the CEL rule for rights/role and bounds its lists', () => {
    const crd = JSON.stringify(crdFor('Collaboration'));
    expect(crd).toContain('x-kubernetes-validations');
    expect(crd).toContain('"maxItems":128');
  });
});
