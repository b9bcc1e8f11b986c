/**
 * Where each kind lives in the API.
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
