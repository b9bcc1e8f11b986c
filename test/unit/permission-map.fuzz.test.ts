/**
 * The map reader on generated map data: maps of random models (sharded), then torn combinations of two updates,
 * documents mutated at random paths (with and without re-sealing the hashes), and bytes that are not JSON at all.
 * Whatever it is given, parsePermissionMap throws PermissionMapError or returns a map; a map it returns from data no
 * one re-sealed is one of the two updates, and answers exactly as the engine of that update (never true where the
 * engine says false). Re-sealed data is a different but well-formed map: only the error type is checked there.
 */
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import type { Engine } from '../../src/engine/engine.ts';
import { buildPermissionMaps } from '../../src/permission-map/build-maps.ts';
import { dataBytes, shardMap, type PermissionMapWrite } from '../../src/permission-map/shard.ts';
import { PermissionMapError, parsePermissionMap, type PermissionMap } from '../../src/reader/permission-reader.ts';
import { changeArb } from './engine/arbitraries.ts';
import { NOW, modelOfScenario, scenarioArb } from './engine/scenario-arbitraries.ts';
import { engineOf } from './engine/support.ts';
import { differences, filesOf, resealed } from './permission-map.support.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = any;

/** Two updates of one namespace's map: before and after a random change; budgets small enough to shard. */
const updatesArb = fc
  .record({ scenario: scenarioArb, changes: fc.array(changeArb, { minLength: 1, maxLength: 6 }), later: fc.boolean(), slack: fc.integer({ min: 300, max: 1500 }), pick: fc.nat() })
  .map(({ scenario, changes, later, slack, pick }) => {
    const a = engineOf(modelOfScenario(scenario), { adminRights: scenario.adminRights, now: NOW });
    const b = engineOf(modelOfScenario(scenario), { adminRights: scenario.adminRights, now: NOW });
    b.apply(changes);
    if (later) b.advanceTime(NOW + 2000);
    const before = buildPermissionMaps(a);
    const after = buildPermissionMaps(b);
    const all = [...before.keys()];
    if (all.length === 0) return undefined;
    // A namespace whose map the changes touched, when there is one: torn mixes are then mixes of different content.
    const touched = all.filter((ns) => JSON.stringify(before.get(ns)?.rows) !== JSON.stringify(after.get(ns)?.rows));
    const namespaces = touched.length > 0 ? touched : all;
    const ns = namespaces[pick % namespaces.length]!;
    const write = (engine: Engine): PermissionMapWrite | undefined => {
      const map = buildPermissionMaps(engine).get(ns);
      if (!map) return undefined;
      const indexBytes = dataBytes({ 'index.json': shardMap(map).configMaps[0]!.data['index.json']! });
      return shardMap(map, { budgetBytes: indexBytes + slack, maxShards: 1_000_000 });
    };
    return { ns, versions: [{ engine: a, write: write(a) }, { engine: b, write: write(b) }].filter((v) => v.write !== undefined) as Array<{ engine: Engine; write: PermissionMapWrite }> };
  })
  .filter((u): u is NonNullable<typeof u> => u !== undefined && u.versions.length > 0);

/** Every path to a value inside a document (object keys and array positions), the root excluded. */
function pathsOf(doc: unknown, prefix: Array<string | number> = [], out: Array<Array<string | number>> = []): Array<Array<string | number>> {
  if (Array.isArray(doc)) doc.forEach((v, i) => (out.push([...prefix, i]), pathsOf(v, [...prefix, i], out)));
  else if (doc !== null && typeof doc === 'object') for (const [k, v] of Object.entries(doc)) (out.push([...prefix, k]), pathsOf(v, [...prefix, k], out));
  return out;
}

type Op = 'replace' | 'delete' | 'duplicate' | 'swap' | 'stringify' | 'number';

/** Applies one edit at a path of `doc` (in place). */
function mutate(doc: Doc, path: Array<string | number>, op: Op, value: unknown): void {
  const parent: Doc = path.slice(0, -1).reduce((d: Doc, k) => d[k], doc);
  const key = path.at(-1)!;
  if (op === 'replace') parent[key] = value;
  else if (op === 'delete') Array.isArray(parent) ? parent.splice(key as number, 1) : delete parent[key];
  else if (op === 'duplicate') Array.isArray(parent) ? parent.splice(key as number, 0, structuredClone(parent[key as number])) : (parent[`${String(key)}_`] = parent[key]);
  else if (op === 'swap' && Array.isArray(parent) && parent.length > 1) [parent[0], parent[parent.length - 1]] = [parent[parent.length - 1], parent[0]];
  else if (op === 'stringify') parent[key] = JSON.stringify(parent[key]) ?? 'x';
  else if (op === 'number' && typeof parent[key] === 'number') parent[key] = parent[key] + 1;
}

const editArb = fc.record({
  target: fc.nat(),
  path: fc.nat(),
  op: fc.constantFrom<Op>('replace', 'delete', 'duplicate', 'swap', 'stringify', 'number'),
  value: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(-1, 0, 1, 2 ** 31, 0.5, '', 'Application', '__proto__', '../x', 'fff', [], {})),
});

/** Files to load: a torn mix of the two updates, an edited document (sealed or not), or raw bytes in place of a file. */
const caseArb = fc.oneof(
  fc.record({ kind: fc.constant('torn' as const), index: fc.constantFrom(0, 1), choices: fc.array(fc.constantFrom(0, 1, 1, 2), { minLength: 12, maxLength: 12 }) }),
  fc.record({ kind: fc.constant('edit' as const), edits: fc.array(editArb, { minLength: 1, maxLength: 3 }), reseal: fc.boolean() }),
  fc.record({ kind: fc.constant('bytes' as const), target: fc.nat(), bytes: fc.oneof(fc.string({ maxLength: 40 }), fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('latin1')), fc.constantFrom('{', '[]', 'null', '\uFEFF{}', '{"format":"charter.dev/permission-map-index","version":1}', `${'['.repeat(20000)}${']'.repeat(20000)}`)) }),
);

function load(files: ReadonlyMap<string, string>): PermissionMap | PermissionMapError {
  try {
    return parsePermissionMap((key) => files.get(key));
  } catch (error) {
    if (!(error instanceof PermissionMapError)) throw new Error(`not a PermissionMapError: ${(error as Error)?.stack ?? String(error)}`);
    return error;
  }
}

describe('the map reader on generated map data', () => {
  test('PermissionMapError or a map; an unsealed map is one of the updates and answers as its engine', () => {
    const outcomes = new Map<string, number>();
    fc.assert(
      fc.property(updatesArb, caseArb, ({ ns, versions }, c) => {
        const files = versions.map((v) => filesOf(v.write));
        let input: Map<string, string>;
        let sealed = false;
        if (c.kind === 'torn') {
          // The index of one update, each shard from the other (mostly), the same one, or absent.
          const keys = [...new Set(files.flatMap((f) => [...f.keys()]))].filter((k) => k !== 'index.json').sort();
          input = new Map();
          const index = files[c.index]?.get('index.json');
          if (index !== undefined) input.set('index.json', index);
          keys.forEach((key, i) => {
            const choice = c.choices[i % c.choices.length]!;
            const from = files[choice === 2 ? 2 : choice === 1 ? 1 - c.index : c.index];
            const value = from?.get(key);
            if (value !== undefined) input.set(key, value);
          });
        } else if (c.kind === 'edit') {
          const base = files[0]!;
          const keys = [...base.keys()].sort();
          const edit = (index: Doc, shards: Map<string, Doc>): void => {
            for (const e of c.edits) {
              const key = keys[e.target % keys.length]!;
              const doc = key === 'index.json' ? index : shards.get(key);
              const paths = pathsOf(doc);
              if (paths.length > 0) mutate(doc, paths[e.path % paths.length]!, e.op, e.value);
            }
          };
          if (c.reseal) {
            sealed = true;
            try {
              input = resealed(base, edit);
            } catch {
              return; // the edit broke the index's shape too much to re-seal it: nothing to load
            }
          } else {
            const index = JSON.parse(base.get('index.json')!) as Doc;
            const shards = new Map([...base].filter(([k]) => k !== 'index.json').map(([k, v]) => [k, JSON.parse(v) as Doc]));
            const before = new Map([...shards].map(([k, v]) => [k, JSON.stringify(v)]));
            edit(index, shards);
            input = new Map(base);
            input.set('index.json', JSON.stringify(index));
            for (const [k, v] of shards) if (JSON.stringify(v) !== before.get(k)) input.set(k, JSON.stringify(v));
          }
        } else {
          input = new Map(files[0]!);
          const keys = [...input.keys()].sort();
          input.set(keys[c.target % keys.length]!, c.bytes);
        }
        const result = load(input);
        const outcome = result instanceof PermissionMapError ? result.reason : sealed ? 'loaded (sealed)' : 'loaded';
        outcomes.set(`${c.kind}: ${outcome}`, (outcomes.get(`${c.kind}: ${outcome}`) ?? 0) + 1);
        if (result instanceof PermissionMapError || sealed) return;
        const version = versions.find((v) => v.write.contentHash === result.contentHash);
        expect(version).toBeDefined();
        expect(differences(version!.engine, ns, result)).toEqual([]);
      }),
      { numRuns: 1000, interruptAfterTimeLimit: 60_000 },
    );
    // Each kind of case reaches both outcomes: the generators test what they claim to.
    const seen = [...outcomes.keys()];
    for (const expected of ['torn: loaded', 'torn: Torn', 'edit: Invalid', 'edit: loaded', 'edit: loaded (sealed)', 'bytes: Invalid']) expect(seen).toContain(expected);
  }, 120_000);
});
