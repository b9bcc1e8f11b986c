/**
 * What a workload pays per `can(user, right, entity)`: permission maps of a sample of namespaces are rendered to
 * ConfigMap data, loaded back with the reader, and asked a fixed list of questions in a tight loop. Every answer is
 * also checked against the engine once, outside the timed loop.
 */
import type { Engine } from '../src/engine/engine.ts';
import type { NamespaceMap } from '../src/permission-map/build-maps.ts';
import { shardMap } from '../src/permission-map/shard.ts';
import { parsePermissionMap, type PermissionMap } from '../src/reader/permission-reader.ts';
import type { Workload } from './generate-model.ts';
import { median } from './stats.ts';

export interface CheckMeasurement {
  /** Median over the runs of the mean time of one check. */
  checkNs: number;
  runsNs: number[];
  /** The same questions answered by the engine's profiles (engine.rightsOn), for comparison. */
  engineCheckNs: number;
  checksPerRun: number;
  namespacesLoaded: number;
  /** Mean time to load (verify hashes, parse, precompute) one sampled namespace's map. */
  loadMsPerNamespace: number;
  /** Share of questions answered yes. */
  positiveShare: number;
  /** Questions the reader answers differently from the engine (should be 0). */
  readerMismatches: number;
}

interface Question {
  map: PermissionMap;
  user: string;
  right: string;
  rightIndex: number;
  entity: string;
  kind: string;
  namespace: string | undefined;
}

const QUESTIONS = 4096;

/**
 * Measures reader checks over `sample` namespaces (drawn in proportion to their entities, so big tenants count
 * more), `checks` checks per run, `runs` runs.
 */
export function measureChecks(
  w: Workload,
  engine: Engine,
  maps: ReadonlyMap<string, NamespaceMap>,
  options: { sample: number; checks: number; runs: number },
): CheckMeasurement {
  const { random, catalog } = w;
  const chosen = new Set<string>();
  for (let attempts = 0; chosen.size < options.sample && attempts < options.sample * 20; attempts++) {
    const ns = random.pick(w.entities).namespace;
    if (maps.has(ns)) chosen.add(ns);
  }
  const readers = new Map<string, PermissionMap>();
  const loadStart = process.hrtime.bigint();
  for (const ns of chosen) {
    const files = new Map<string, string>();
    for (const cm of shardMap(maps.get(ns)!).configMaps) for (const [key, value] of Object.entries(cm.data)) files.set(key, value);
    readers.set(ns, parsePermissionMap((key) => files.get(key)));
  }
  const loadMs = Number(process.hrtime.bigint() - loadStart) / 1e6;
  const namespaces = [...readers.keys()];
  const questions: Question[] = [];
  for (let i = 0; i < QUESTIONS; i++) {
    const ns = random.pick(namespaces);
    const map = maps.get(ns)!;
    // Half of the questions come from users the map lists (the interesting case), half from anyone; half of the
    // listed users' questions are about an entity their row names (the entity look-up, not the default).
    const listed = map.rows.length > 0 && random.chance(0.5);
    const row = listed ? random.pick(map.rows) : undefined;
    const user = row ? random.pick(row.users) : random.pick(w.userNames);
    const named = Object.entries(row?.entities ?? {}).flatMap(([kind, names]) => Object.keys(names).map((name) => ({ kind, key: `${kind}/${ns}/${name}` })));
    if (named.length > 0 && random.chance(0.5)) {
      const { kind, key } = random.pick(named);
      const rightIndex = random.pick(catalog.kinds.get(kind)!.rights);
      questions.push({ map: readers.get(ns)!, user, right: catalog.rights[rightIndex]!, rightIndex, entity: key, kind, namespace: ns });
      continue;
    }
    const entities = w.entitiesIn.get(ns) ?? [];
    const useOrganization = map.organization !== undefined && (entities.length === 0 || random.chance(0.1));
    const kind = useOrganization ? 'Organization' : entities.length > 0 ? random.pick(entities).kind : 'Application';
    const entity = useOrganization
      ? `Organization/${map.organization}`
      : entities.length > 0 && random.chance(0.9)
        ? random.pick(entities.filter((e) => e.kind === kind)).key
        : `${kind}/${ns}/not-named-by-any-grant`;
    const rightIndex = random.pick(catalog.kinds.get(kind)!.rights);
    questions.push({ map: readers.get(ns)!, user, right: catalog.rights[rightIndex]!, rightIndex, entity, kind, namespace: useOrganization ? undefined : ns });
  }
  let positives = 0;
  let readerMismatches = 0;
  const expected = (q: Question): boolean => engine.sets.has(engine.rightsOn(q.user, { kind: q.kind, namespace: q.namespace, key: q.entity }), q.rightIndex);
  for (const q of questions) {
    const answer = q.map.can(q.user, q.right, q.entity);
    if (answer) positives++;
    if (answer !== expected(q)) readerMismatches++;
  }
  const runsNs: number[] = [];
  const mask = QUESTIONS - 1;
  let sink = 0;
  for (let run = 0; run < options.runs; run++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < options.checks; i++) {
      const q = questions[i & mask]!;
      if (q.map.can(q.user, q.right, q.entity)) sink++;
    }
    runsNs.push(Number(process.hrtime.bigint() - start) / options.checks);
  }
  const engineRuns: number[] = [];
  const engineChecks = Math.max(1, Math.floor(options.checks / 10));
  for (let run = 0; run < options.runs; run++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < engineChecks; i++) if (expected(questions[i & mask]!)) sink++;
    engineRuns.push(Number(process.hrtime.bigint() - start) / engineChecks);
  }
  if (sink < 0) console.error(sink); // keeps the loops observable
  return {
    checkNs: median(runsNs),
    runsNs,
    engineCheckNs: median(engineRuns),
    checksPerRun: options.checks,
    namespacesLoaded: readers.size,
    loadMsPerNamespace: loadMs / Math.max(1, readers.size),
    positiveShare: positives / questions.length,
    readerMismatches,
  };
}
