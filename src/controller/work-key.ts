/**
 * What the operator's work queue holds: one typed reference per piece of work, and its text form (the queue
 * deduplicates by text, and the text is what logs and the queue's metrics show):
 *
 *   { type: 'status', object: { kind: 'User', name: 'bob' } }   status/User/bob      one object's status
 *   { type: 'map', namespace: 'acme' }                            map/acme             one namespace's permission map
 *   { type: 'expiry' }                                            expiry               move the engine's clock
 *
 * Each type has its reconcile function (reconcile-status.ts, reconcile-map.ts, reconcile-expiry.ts).
 */
import { objectKey, parseObjectKey, type ObjectRef } from '../model/model.ts';

export type WorkKey = StatusKey | MapKey | ExpiryKey;
export interface StatusKey {
  type: 'status';
  object: ObjectRef;
}
export interface MapKey {
  type: 'map';
  namespace: string;
}
export interface ExpiryKey {
  type: 'expiry';
}

export const EXPIRY: ExpiryKey = { type: 'expiry' };

export function statusKey(object: ObjectRef): StatusKey {
  return { type: 'status', object };
}

export function mapKey(namespace: string): MapKey {
  return { type: 'map', namespace };
}

/** The text form: `status/<Kind>/[<namespace>/]<name>`, `map/<namespace>`, `expiry`. */
export function formatWorkKey(key: WorkKey): string {
  switch (key.type) {
    case 'status':
      return `status/${objectKey(key.object)}`;
    case 'map':
      return `map/${key.namespace}`;
    case 'expiry':
      return 'expiry';
  }
}

/** Reads the text form back; undefined for text that is not a work key. */
export function parseWorkKey(text: string): WorkKey | undefined {
  if (text === 'expiry') return EXPIRY;
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const rest = text.slice(slash + 1);
  switch (text.slice(0, slash)) {
    case 'status': {
      const object = parseObjectKey(rest);
      return object ? statusKey(object) : undefined;
    }
    case 'map':
      return rest && !rest.includes('/') ? mapKey(rest) : undefined;
    default:
      return undefined;
  }
}

/**
 * Whether the work queue takes a key (its text form) before the status keys: a namespace's permission map — what
 * workloads enforce, so a revoked right must reach them first — and the expiry key, which revokes expired grants and
 * queues the maps they move. Statuses are informational; they wait (never for ever: work-queue.ts's `urgentRun`).
 */
export function isUrgentWorkKey(text: string): boolean {
  return text === 'expiry' || text.startsWith('map/');
}
