/**
 * What the reconcilers read of the cluster: the informers' caches, as narrow read-only views (the informers
 * themselves, in the operator; plain maps in unit tests).
 */
import type { KindName } from '../api/kinds.ts';
import type { RawObject } from './cluster-model.ts';
import type { ExistingConfigMap } from './configmap-writer.ts';

export interface ObjectCache<T> {
  get(namespace: string | undefined, name: string): T | undefined;
  list(): T[];
}

export interface Caches {
  objects(kind: KindName): ObjectCache<RawObject>;
  /** Charter's map ConfigMaps (label-selected), in every namespace. */
  configMaps: ObjectCache<ExistingConfigMap>;
  namespaces: ObjectCache<unknown>;
}
