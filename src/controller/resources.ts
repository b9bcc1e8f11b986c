/**
 * Where each kind lives in the API, and how objects are named in queue keys and messages.
 */
import { API_GROUP, API_VERSION, PLURALS, type KindName } from '../api/kinds.ts';

/** The collection path of a kind (cluster-wide, for informers). */
export function collectionPath(kind: KindName): string {
  return `/apis/${API_GROUP}/${API_VERSION}/${PLURALS[kind]}`;
}

/** The path of one object (`Collaboration/ns/name` → namespaced). */
export function objectPath(kind: KindName, name: string, namespace?: string): string {
  return namespace === undefined
    ? `/apis/${API_GROUP}/${API_VERSION}/${PLURALS[kind]}/${name}`
    : `/apis/${API_GROUP}/${API_VERSION}/namespaces/${namespace}/${PLURALS[kind]}/${name}`;
}

/** Splits an object key (`User/alice`, `Collaboration/acme/m-alice`). */
export function parseObjectKey(key: string): { kind: KindName; namespace: string | undefined; name: string } {
  const [kind, a, b] = key.split('/') as [KindName, string, string | undefined];
  return b === undefined ? { kind, namespace: undefined, name: a } : { kind, namespace: a, name: b };
}
