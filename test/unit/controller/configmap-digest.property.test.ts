/**
 * The digest the ConfigMap writer compares, taken two ways: from the data the informer receives (`dataDigest`, every
 * value hashed) and from a ConfigMap the renderer made (`desiredDigest`, the shards' hashes taken from the annotation
 * and the index's shard list the renderer computed). Both must be the same for every map the renderer gives — fresh
 * or kept between changes, whole or split into shards — which holds only if the renderer's shard hashes are exactly
 * the SHA-256 of the data values, in the same encoding. And the cluster's side is hashed from the data, never from
 * the annotations: a shard edited under unchanged annotations is restored.
 */
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { loadCatalog } from '../../../src/catalog/load-catalog.ts';
import { ConfigMapWriter, dataDigest, desiredDigest, withDataDigest, type ExistingConfigMap } from '../../../src/controller/configmap-writer.ts';
import { Engine, type Change } from '../../../src/engine/engine.ts';
import { IncrementalMaps } from '../../../src/permission-map/incremental-maps.ts';
import { INDEX_KEY, SHARD_HASH_ANNOTATION, sha256, type ConfigMapObject } from '../../../src/permission-map/shard.ts';
import type { PermissionMapIndex } from '../../../src/permission-map/permission-map.generated.ts';
import { T0, changeArb, cloneModel, modelArb } from '../engine/arbitraries.ts';
import { collab, engineOf, group, modelOf, org, user } from '../engine/support.ts';
import { FakeApi } from './fake-api.ts';

const catalog = loadCatalog();

/** What is wrong with one rendered ConfigMap's hashes and digests (nothing: []). */
function problems(cm: ConfigMapObject): string[] {
  const out: string[] = [];
  const name = cm.metadata.name;
  const annotated = cm.metadata.annotations[SHARD_HASH_ANNOTATION];
  if (annotated !== undefined) {
    const [value, ...more] = Object.values(cm.data);
    if (more.length > 0 || value === undefined || annotated !== sha256(value)) out.push(`${name}: annotation ${annotated} is not the SHA-256 of its one value`);
  }
  const index = cm.data[INDEX_KEY];
  if (index !== undefined) {
    for (const ref of (JSON.parse(index) as PermissionMapIndex).shards) {
      const value = ref.configMap === name ? cm.data[ref.key] : undefined;
      if (ref.configMap === name && (value === undefined || ref.sha256 !== sha256(value))) out.push(`${name}: the index's entry for ${ref.key} is not its SHA-256`);
    }
  }
  const received = JSON.parse(JSON.stringify(cm)) as ExistingConfigMap;
  if (desiredDigest(cm) !== dataDigest(received.data)) out.push(`${name}: desiredDigest ≠ dataDigest`);
  return out;
}

describe("the renderer's shard hashes are the data's, and both digests agree", () => {
  /** Every map the kept maps give, whole and cut into ~2 KiB shards; how many ConfigMaps of each kind were checked. */
  function checkAll(live: Engine, maps: IncrementalMaps, seen: { shards: number; inline: number }): void {
    for (const ns of live.mapNamespaces()) {
      for (const options of [{}, { shardBytes: 2048, maxShards: 1000 }]) {
        for (const cm of maps.write(ns, options).configMaps) {
          expect(problems(cm)).toEqual([]);
          if (cm.metadata.annotations[SHARD_HASH_ANNOTATION] !== undefined) seen.shards++;
          else if (Object.keys(cm.data).length > 1) seen.inline++;
        }
      }
    }
  }

  test('random models and changes, every map kept between them', () => {
    const seen = { shards: 0, inline: 0 };
    fc.assert(
      fc.property(modelArb, fc.array(changeArb, { maxLength: 8 }), fc.integer({ min: 0, max: 3 }), (initial, changes, readEvery) => {
        const live = new Engine(cloneModel(initial), catalog, {}, T0);
        const maps = new IncrementalMaps(live);
        checkAll(live, maps, seen);
        for (const [i, change] of (changes as Change[]).entries()) {
          live.apply([change]);
          for (const ns of maps.keptNamespaces()) if (!live.hasMap(ns)) maps.forget(ns);
          if (readEvery === 0 || i % readEvery === 0) checkAll(live, maps, seen);
        }
        checkAll(live, maps, seen);
        maps.close();
      }),
      { numRuns: 150, interruptAfterTimeLimit: 30_000 },
    );
    // Maps held in one ConfigMap: the shard's hash taken from the index's entry.
    expect(seen.inline).toBeGreaterThan(50);
  }, 60_000);

  test('big groups edited a few users at a time: maps split into shards, kept between the edits', () => {
    const names = Array.from({ length: 600 }, (_, i) => `${'x'.repeat((i * 13) % 29)}u${i}`);
    const seen = { shards: 0, inline: 0 };
    const pick = (max: number, min = 0) => fc.uniqueArray(fc.nat({ max: names.length - 1 }), { minLength: min, maxLength: max });
    fc.assert(
      fc.property(pick(500, 150), pick(100), fc.array(fc.record({ big: pick(30), mid: pick(6) }), { minLength: 1, maxLength: 4 }), (bigStart, midStart, edits) => {
        const big = new Set(bigStart.map((i) => names[i]!));
        const mid = new Set(midStart.map((i) => names[i]!));
        const objects = (): Parameters<typeof modelOf> => [
          ...names.map((n) => user(n)),
          org('acme', { namespaces: ['acme'] }),
          group('big', { users: [...big].sort() }),
          group('mid', { users: [...mid].sort() }),
          collab('acme/g-big', 'UserGroup/big', 'Application/app1', ['RIGHT_APPLICATION_LINK']),
          collab('acme/g-mid', 'UserGroup/mid', 'Application/app2', ['RIGHT_APPLICATION_SETTINGS_BASIC']),
        ];
        const live = new Engine(modelOf(...objects()), catalog, {}, T0);
        const maps = new IncrementalMaps(live);
        checkAll(live, maps, seen);
        for (const edit of edits) {
          for (const i of edit.big) if (!big.delete(names[i]!)) big.add(names[i]!);
          for (const i of edit.mid) if (!mid.delete(names[i]!)) mid.add(names[i]!);
          const [, bigGroup, midGroup] = objects().slice(names.length);
          live.apply([{ type: 'upsert', object: bigGroup! }, { type: 'upsert', object: midGroup! }] as Change[]);
          checkAll(live, maps, seen);
        }
        maps.close();
      }),
      { numRuns: 40, interruptAfterTimeLimit: 30_000 },
    );
    // Shard ConfigMaps: the hash taken from the annotation.
    expect(seen.shards).toBeGreaterThan(50);
  }, 60_000);

  test("any text: a value's hash is the renderer's SHA-256 of it (UTF-8, hex)", () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), (text, other) => {
        for (const value of [text, other]) {
          const shard: ConfigMapObject = {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: 'm-0', namespace: 'acme', labels: {}, annotations: { [SHARD_HASH_ANNOTATION]: sha256(value) } },
            data: { 'm-0.json': value },
          };
          expect(desiredDigest(shard)).toBe(dataDigest({ 'm-0.json': value }));
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('the cluster side is hashed from its data, not from its annotations', () => {
  const NOW = Date.parse('2026-06-01T00:00:00Z');
  const users = Array.from({ length: 40 }, (_, i) => `user-${i}`);
  const engine = (): Engine => engineOf(modelOf(...users.map((u) => user(u)), ...users.map((u, i) => collab(`acme/c-${u}`, `User/${u}`, `Application/app${i}`, ['RIGHT_APPLICATION_INFO']))), { now: NOW });
  /** The map's ConfigMaps as the informer keeps them after a first publish, one value edited under its annotations. */
  async function edited(options: { budgetBytes?: number }, edit: (cm: ExistingConfigMap) => ExistingConfigMap): Promise<ExistingConfigMap[]> {
    const api = new FakeApi();
    await new ConfigMapWriter({ api, ...options }).sync(engine(), 'acme', []);
    return api.actions.map((a) => edit({ ...(a.body as ExistingConfigMap), metadata: { ...(a.body as ExistingConfigMap).metadata, resourceVersion: '8' } })).map(withDataDigest);
  }
  const swap = (text: string): string => text.replace('"users":["', '"users":["x');

  test.each([
    ['a shard ConfigMap', { budgetBytes: 2500 }, 'charter-permissions-1'],
    ['the shard the index ConfigMap holds', {}, 'charter-permissions'],
  ])('%s edited, its annotations and the index left alone: written back', async (_name, options, target) => {
    const existing = await edited(options, (cm) => {
      if (cm.metadata?.name !== target) return cm;
      const data = Object.fromEntries(Object.entries(cm.data ?? {}).map(([k, v]) => [k, k === INDEX_KEY ? v : swap(v)]));
      expect(data).not.toEqual(cm.data);
      return { ...cm, data };
    });
    const api = new FakeApi();
    const result = await new ConfigMapWriter({ api, ...options }).sync(engine(), 'acme', existing);
    expect(api.verbs).toEqual([`PUT /api/v1/namespaces/acme/configmaps/${target}`]);
    expect(result.written).toEqual([target]);
  });
});
