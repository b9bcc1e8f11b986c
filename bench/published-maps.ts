/**
 * What an operator would write after a change: the permission-map ConfigMaps whose content changed since they were
 * last published, each whole. Content is compared by the ConfigMap's annotations (the content hash covers its data),
 * as the operator's writer does. Shared by `npm run bench` (engine.bench.ts) and bench/map-refresh.ts.
 */
import { dataBytes, type PermissionMapWrite } from '../src/permission-map/shard.ts';

export class PublishedMaps {
  /** Namespace → ConfigMap name → its annotations, as last published. */
  private readonly published = new Map<string, Map<string, string>>();

  /** Publishes a write; the ConfigMaps it rewrites (content changed or new) and their data's bytes. */
  publish(write: PermissionMapWrite): { configMaps: number; bytes: number } {
    let names = this.published.get(write.namespace);
    if (!names) this.published.set(write.namespace, (names = new Map()));
    let configMaps = 0;
    let bytes = 0;
    for (const cm of write.configMaps) {
      const hash = Object.values(cm.metadata.annotations).join(',');
      if (names.get(cm.metadata.name) === hash) continue;
      names.set(cm.metadata.name, hash);
      configMaps++;
      bytes += dataBytes(cm.data);
    }
    return { configMaps, bytes };
  }
}
