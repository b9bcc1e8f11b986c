/**
 * Reconciles a `map/<namespace>` key: the namespace's permission map ConfigMaps, written by the ConfigMap writer. A
 * namespace that does not exist (yet) is left alone: its map is written when the namespace appears.
 */
import type { Engine } from '../engine/engine.ts';
import type { Caches } from './caches.ts';
import type { ConfigMapWriter, MapWriteOutcome } from './configmap-writer.ts';
import { CHANGED, UNCHANGED, type ReconcileResult } from './reconcile-result.ts';
import type { MapKey } from './work-key.ts';

export interface MapReconcileContext {
  engine: Engine;
  configMaps: Caches['configMaps'];
  namespaces: Caches['namespaces'];
  configMapWriter: Pick<ConfigMapWriter, 'sync'>;
  /** The map's size, and whether it is withheld now (it would need more shards than allowed). */
  observeMap?: (namespace: string, bytes: number, withheld: boolean) => void;
  log?: (level: 'debug' | 'warn', message: string, fields: Record<string, unknown>) => void;
  /** What the writer published (not called for a namespace that does not exist, nor when the write throws). */
  published?: (outcome: MapWriteOutcome) => void;
}

export async function reconcileMap(key: MapKey, context: MapReconcileContext): Promise<ReconcileResult> {
  const { namespace } = key;
  if (!context.namespaces.get(undefined, namespace)) return UNCHANGED;
  const existing = context.configMaps.list().filter((cm) => cm.metadata?.namespace === namespace);
  const outcome = await context.configMapWriter.sync(context.engine, namespace, existing);
  context.observeMap?.(namespace, outcome.bytes, outcome.published === 'withheld');
  context.published?.(outcome);
  if (outcome.withheld && outcome.written.length > 0) context.log?.('warn', 'permission map withheld', { namespace, reason: outcome.withheld });
  // Someone wrote one of the map's ConfigMaps while the writer's own write of it was in flight: compare again.
  const again = outcome.recheck ? { requeueAfterMs: 0 } : {};
  if (outcome.written.length + outcome.deleted.length === 0) return { ...UNCHANGED, ...again };
  context.log?.('debug', 'permission map written', { namespace, published: outcome.published, written: outcome.written, deleted: outcome.deleted });
  return { ...CHANGED, ...again };
}
