/**
 * Small builders for the controller's unit tests: objects as the informers deliver them (`rawUser('bob')`), and the
 * engine of a few model objects (test/unit/engine/support.ts builds those).
 */
import type { RawObject } from '../../../src/controller/cluster-model.ts';
import type { ExistingConfigMap } from '../../../src/controller/configmap-writer.ts';

const API_VERSION = 'charter.dev/v1alpha1';

interface Meta {
  generation?: number;
  uid?: string;
  resourceVersion?: string;
  labels?: Record<string, string>;
  status?: Record<string, unknown>;
}

const metadata = (name: string, namespace: string | undefined, meta: Meta): RawObject['metadata'] => ({
  name,
  ...(namespace ? { namespace } : {}),
  uid: meta.uid ?? `uid-${name}`,
  generation: meta.generation ?? 1,
  ...(meta.resourceVersion ? { resourceVersion: meta.resourceVersion } : {}),
  ...(meta.labels ? { labels: meta.labels } : {}),
});

export function rawUser(name: string, spec: Record<string, unknown> = {}, meta: Meta = {}): RawObject {
  return { apiVersion: API_VERSION, kind: 'User', metadata: metadata(name, undefined, meta), spec, ...(meta.status ? { status: meta.status } : {}) };
}

export function rawGroup(name: string, spec: Record<string, unknown> = {}, meta: Meta = {}): RawObject {
  return { apiVersion: API_VERSION, kind: 'UserGroup', metadata: metadata(name, undefined, meta), spec, ...(meta.status ? { status: meta.status } : {}) };
}

export function rawOrganization(name: string, spec: Record<string, unknown> = {}, meta: Meta = {}): RawObject {
  return { apiVersion: API_VERSION, kind: 'Organization', metadata: metadata(name, undefined, meta), spec, ...(meta.status ? { status: meta.status } : {}) };
}

/** `rawCollaboration('acme/c-bob', 'User/bob', 'Application/app1', ['RIGHT_APPLICATION_INFO'])` */
export function rawCollaboration(id: string, subject: string, target: string, rights: string[], meta: Meta = {}): RawObject {
  const [namespace, name] = id.split('/');
  const [subjectKind, subjectName] = subject.split('/');
  const [targetKind, targetName] = target.split('/');
  return {
    apiVersion: API_VERSION,
    kind: 'Collaboration',
    metadata: metadata(name ?? '', namespace, meta),
    spec: { subject: { kind: subjectKind, name: subjectName }, target: { kind: targetKind, name: targetName }, rights },
    ...(meta.status ? { status: meta.status } : {}),
  };
}

/** A ConfigMap as the label-selected informer holds it. */
export function existingConfigMap(namespace: string, name: string, data: Record<string, string>, extra: Partial<NonNullable<ExistingConfigMap['metadata']>> = {}): ExistingConfigMap {
  return { metadata: { name, namespace, resourceVersion: '7', ...extra }, data };
}
