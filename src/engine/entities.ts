/**
 * Entity references (semantics §1): `Kind/namespace/name` for namespaced kinds, `Organization/name` and `User/name`
 * for the two cluster-scoped kinds. Entities are references only: nothing needs to exist for rights to be computed.
 */
import type { Catalog } from '../catalog/catalog.ts';

export interface EntityRef {
  kind: string;
  namespace: string | undefined;
  name: string;
}

/** The key of an entity, e.g. `Application/acme/app1` or `Organization/acme`. */
export function entityKey(ref: EntityRef): string {
  return ref.namespace === undefined ? `${ref.kind}/${ref.name}` : `${ref.kind}/${ref.namespace}/${ref.name}`;
}

/** Parses `Kind/name` or `Kind/namespace/name`, checking the kind and its scope against the catalog. */
export function parseEntity(text: string, catalog: Catalog): EntityRef {
  const parts = text.split('/');
  const kind = parts[0] ?? '';
  const info = catalog.kinds.get(kind);
  if (!info) {
    throw new Error(`Entity ${JSON.stringify(text)}: expected a kind of the catalog ${catalog.name} (${[...catalog.kinds.keys()].join(', ')}); found ${JSON.stringify(kind)}`);
  }
  if (info.scope === 'Cluster') {
    if (parts.length !== 2 || !parts[1]) throw new Error(`Entity ${JSON.stringify(text)}: expected ${kind}/<name> (${kind} is cluster-scoped)`);
    return { kind, namespace: undefined, name: parts[1] };
  }
  if (parts.length !== 3 || !parts[1] || !parts[2]) throw new Error(`Entity ${JSON.stringify(text)}: expected ${kind}/<namespace>/<name> (${kind} is namespaced)`);
  return { kind, namespace: parts[1], name: parts[2] };
}
