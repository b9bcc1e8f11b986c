/**
 * The questions `npm run bench:peers` asks both Charter and SpiceDB: (user, right, entity), drawn like the engine
 * benchmark's reader checks (bench/reader-checks.ts) from a sample of namespaces, plus a few about users themselves.
 * Entities are those the workload knows (SpiceDB knows an entity only through its relationships; see
 * docs/performance.md). Each question carries its answer from the engine's reference evaluation (`evaluate`) and,
 * where a permission map covers it, from the reader.
 */
import type { Engine } from '../../src/engine/engine.ts';
import { evaluate } from '../../src/engine/evaluate.ts';
import type { NamespaceMap } from '../../src/permission-map/build-maps.ts';
import { shardMap } from '../../src/permission-map/shard.ts';
import { parsePermissionMap, type PermissionMap } from '../../src/reader/permission-reader.ts';
import type { Entity, Workload } from '../generate-model.ts';
import type { Random } from '../random.ts';
import { objectId, type SpiceNames } from './spicedb-translation.ts';
import type { SpiceQuestion } from './spicedb-client.ts';

export interface Question {
  user: string;
  kind: string;
  namespace: string | undefined;
  name: string;
  /** `Application/ns/app-1`, `Organization/org-3`, `User/user-9`. */
  key: string;
  right: string;
  rightIndex: number;
  /** The reader of the namespace's map, when the map covers the entity (not for User entities). */
  reader: PermissionMap | undefined;
  /** The engine's reference answer (evaluate, semantics §5). */
  engine: boolean;
  spice: SpiceQuestion;
}

/** A namespace's map rendered to its ConfigMaps and loaded back, as a workload would mount it. */
export function loadReader(map: NamespaceMap): PermissionMap {
  const files = new Map<string, string>();
  for (const cm of shardMap(map).configMaps) for (const [key, value] of Object.entries(cm.data)) files.set(key, value);
  return parsePermissionMap((key) => files.get(key));
}

export function spiceQuestion(names: SpiceNames, q: { user: string; kind: string; namespace: string | undefined; name: string; rightIndex: number }): SpiceQuestion {
  return { resource: names.entity(q), permission: names.permission(q.rightIndex), subject: objectId(q.user) };
}

export function engineAnswer(engine: Engine, q: { user: string; kind: string; namespace: string | undefined; name: string; rightIndex: number }): boolean {
  return engine.sets.has(evaluate(engine, q.user, { kind: q.kind, namespace: q.namespace, name: q.name }).rights, q.rightIndex);
}

/**
 * `count` questions over the maps given (namespace → map): half from users a map lists (half of those about an
 * entity their row names), half from any user; entities of the namespace or its owning Organization; one in 20
 * about a User (itself or another).
 */
export function drawQuestions(w: Workload, engine: Engine, names: SpiceNames, maps: ReadonlyMap<string, NamespaceMap>, random: Random, count: number): Question[] {
  const { catalog } = w;
  const readers = new Map([...maps].map(([ns, map]) => [ns, loadReader(map)]));
  const namespaces = [...maps.keys()];
  const questions: Question[] = [];
  const push = (user: string, kind: string, namespace: string | undefined, name: string, reader: PermissionMap | undefined): void => {
    const rightIndex = random.pick(catalog.kinds.get(kind)!.rights);
    const base = { user, kind, namespace, name, rightIndex };
    const key = namespace === undefined ? `${kind}/${name}` : `${kind}/${namespace}/${name}`;
    questions.push({ ...base, key, right: catalog.rights[rightIndex]!, reader, engine: engineAnswer(engine, base), spice: spiceQuestion(names, base) });
  };
  while (questions.length < count) {
    if (random.chance(0.05)) {
      const user = random.pick(w.userNames);
      push(user, 'User', undefined, random.chance(0.5) ? user : random.pick(w.userNames), undefined);
      continue;
    }
    const ns = random.pick(namespaces);
    const map = maps.get(ns)!;
    const reader = readers.get(ns)!;
    const row = map.rows.length > 0 && random.chance(0.5) ? random.pick(map.rows) : undefined;
    const user = row ? random.pick(row.users) : random.pick(w.userNames);
    const named = Object.entries(row?.entities ?? {}).flatMap(([kind, entities]) => Object.keys(entities).map((name) => ({ kind, name })));
    if (named.length > 0 && random.chance(0.5)) {
      const { kind, name } = random.pick(named);
      push(user, kind, ns, name, reader);
      continue;
    }
    const entities: readonly Entity[] = w.entitiesIn.get(ns) ?? [];
    if (map.organization !== undefined && (entities.length === 0 || random.chance(0.1))) push(user, 'Organization', undefined, map.organization, reader);
    else if (entities.length > 0) {
      const e = random.pick(entities);
      push(user, e.kind, ns, e.name, reader);
    }
  }
  return questions;
}
