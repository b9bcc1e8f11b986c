/** Helpers of the permission-map tests: render an engine's maps, read them back, compare with `evaluate`. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ValidateFunction } from 'ajv';
import { createAjv } from '../../src/api/ajv.ts';
import { repoRoot } from '../../src/api/generated-files.ts';
import type { Engine } from '../../src/engine/engine.ts';
import { parseEntity } from '../../src/engine/entities.ts';
import { evaluate } from '../../src/engine/evaluate.ts';
import { buildPermissionMaps } from '../../src/permission-map/build-maps.ts';
import { dataBytes, shardMap, type PermissionMapWrite } from '../../src/permission-map/shard.ts';
import { hashedContent, parsePermissionMap, type PermissionMap } from '../../src/reader/permission-reader.ts';
import type { PermissionMapIndex } from '../../src/permission-map/permission-map.generated.ts';

/** Every data key of the ConfigMaps → its value (what one projected volume shows). */
export function filesOf(write: PermissionMapWrite): Map<string, string> {
  const files = new Map<string, string>();
  for (const cm of write.configMaps) for (const [key, value] of Object.entries(cm.data)) files.set(key, value);
  return files;
}

export function readBack(write: PermissionMapWrite): PermissionMap {
  const files = filesOf(write);
  return parsePermissionMap((key) => files.get(key));
}

/** The writes of every namespace of the engine, with a budget (and no maximum of shards: tested on its own). */
export function writesOf(engine: Engine, budgetBytes?: number): Map<string, PermissionMapWrite> {
  const out = new Map<string, PermissionMapWrite>();
  for (const [ns, map] of buildPermissionMaps(engine)) out.set(ns, shardMap(map, { budgetBytes, maxShards: 1_000_000 }));
  return out;
}

let validator: ValidateFunction | undefined;

/** Schema errors of a document (empty when valid). */
export function schemaErrors(doc: unknown): string[] {
  validator ??= createAjv().compile(JSON.parse(readFileSync(join(repoRoot, 'src/permission-map/permission-map.schema.json'), 'utf8')));
  return validator(doc) ? [] : (validator.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

/** Problems with the ConfigMaps of a write: budget, key names, schema, write order. */
export function writeProblems(write: PermissionMapWrite, budgetBytes: number): string[] {
  const problems: string[] = [];
  for (const cm of write.configMaps) {
    const bytes = dataBytes(cm.data);
    if (bytes > budgetBytes) problems.push(`${cm.metadata.name}: ${bytes} bytes > ${budgetBytes}`);
    for (const [key, value] of Object.entries(cm.data)) {
      if (!/^[-._a-zA-Z0-9]+$/.test(key)) problems.push(`${cm.metadata.name}: key ${key}`);
      for (const e of schemaErrors(JSON.parse(value))) problems.push(`${cm.metadata.name}/${key}: ${e}`);
    }
  }
  const last = write.configMaps.at(-1);
  if (!last || !('index.json' in last.data)) problems.push('the index is not written last');
  if (write.configMaps.slice(0, -1).some((cm) => 'index.json' in cm.data)) problems.push('an index before the last ConfigMap');
  return problems;
}

/**
 * Every entity the map of `namespace` must answer for: the entities grants name (held or not), one entity of each
 * kind no grant names, and the owning Organization.
 */
export function entitiesToCheck(engine: Engine, namespace: string, map: PermissionMap): string[] {
  const entities = new Set<string>(engine.namespaceEntities(namespace).keys());
  for (const c of engine.model.collaborations.values()) {
    if (c.namespace === namespace && map.kinds.includes(c.target.kind)) entities.add(engine.targetKey(c));
  }
  for (const kind of map.kinds) entities.add(`${kind}/${namespace}/never-named`);
  const owner = engine.organizations.owner.get(namespace);
  if (owner !== undefined) entities.add(`Organization/${owner}`);
  return [...entities].sort();
}

/**
 * Differences between the reader and `evaluate` for every (user, entity, right) of a namespace, including users
 * that do not exist. Also checks that entities of other namespaces and other organizations are not covered.
 */
export function differences(engine: Engine, namespace: string, map: PermissionMap): string[] {
  const out: string[] = [];
  const users = [...engine.model.users.keys(), 'nobody-at-all'];
  const catalog = engine.catalog;
  for (const entity of entitiesToCheck(engine, namespace, map)) {
    if (!map.covers(entity)) out.push(`${entity} not covered`);
    const ref = parseEntity(entity, catalog);
    for (const user of users) {
      const expected = engine.sets.rightNames(evaluate(engine, user, ref).rights);
      const actual = map.rights(user, entity);
      if (actual.join() !== expected.join()) out.push(`${user} on ${entity}: reader [${actual.join(' ')}], evaluate [${expected.join(' ')}]`);
      const held = new Set(expected);
      for (const right of catalog.rights) {
        if (map.can(user, right, entity) !== held.has(right)) out.push(`${user} ${right} on ${entity}: can() says ${!held.has(right)}`);
      }
    }
  }
  for (const other of ['Application/some-other-namespace/x', `User/${users[0]}`, 'Organization/not-the-owner', `Application/${namespace}/a/b`, `Nope/${namespace}/x`]) {
    if (map.covers(other)) out.push(`${other} covered`);
    for (const user of users) if (map.rights(user, other).length > 0) out.push(`${user} has rights on ${other}`);
  }
  return out;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = any;

/**
 * The files of a write after `edit` changed its documents (parsed: the index and each shard by key), re-sealed as a
 * writer would seal them: each shard's sha256 and bytes in the index, and the index's contentHash, recomputed. So a
 * test reaches the check it aims at, not the hash that would catch any edit first.
 */
export function resealed(files: ReadonlyMap<string, string>, edit: (index: Doc, shards: Map<string, Doc>) => void): Map<string, string> {
  const index = JSON.parse(files.get('index.json')!) as Doc;
  const shards = new Map<string, Doc>();
  for (const ref of index.shards as Array<{ key: string }>) if (files.has(ref.key)) shards.set(ref.key, JSON.parse(files.get(ref.key)!));
  edit(index, shards);
  const out = new Map(files);
  for (const [key, doc] of shards) out.set(key, JSON.stringify(doc));
  return seal(out, index);
}

/** `index` with its shards' sha256 and bytes taken from `files` and its contentHash recomputed, put into `files`. */
export function seal(files: Map<string, string>, index: Doc): Map<string, string> {
  for (const ref of index.shards as Array<{ key: string; sha256: string; bytes: number }>) {
    const text = files.get(ref.key);
    if (text === undefined) continue;
    ref.sha256 = createHash('sha256').update(text, 'utf8').digest('hex');
    ref.bytes = Buffer.byteLength(text);
  }
  index.contentHash = `sha256:${createHash('sha256').update(JSON.stringify(hashedContent(index as PermissionMapIndex))).digest('hex')}`;
  files.set('index.json', JSON.stringify(index));
  return files;
}
