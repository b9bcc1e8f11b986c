/**
 * `node --expose-gc bench/admit-set.ts [--tier medium] [--changes 100] [--rounds 3] [--profile <file>]`: what `charter admit` costs on
 * a pull request of `--changes` changes to a tier's model written as manifests (a third of them rights changed on
 * existing Collaborations, a third deleted, a third new grants drawn like the generator's), judged as an Approved
 * admin. Prints the time to read both trees and build <before>'s engine (once), then per round the judgement of the
 * set (judgeChanges: <after>'s engine built, each change judged against <before> and against <after> with it undone)
 * next to the judgement against <before> alone (what admit did before it judged sets), on the same loaded trees.
 * `--profile` writes a CPU profile of the first round's judgeChanges (read it with bench/hotspots.ts).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { decide, DEFAULT_ADMISSION_OPTIONS, type AdmissionRequest } from '../src/admission/decide.ts';
import { loadCatalog } from '../src/catalog/load-catalog.ts';
import { comparable, judgeChanges, requesterOf } from '../src/cli/admit.ts';
import { openWorkspace } from '../src/cli/workspace.ts';
import { loadManifests } from '../src/model/load-manifests.ts';
import { parseObjectKey } from '../src/model/model.ts';
import type { CollaborationObject, ModelObject } from '../src/model/model.ts';
import { toManifest } from '../src/model/to-manifest.ts';
import { PhaseProfiler } from './cpu-profile.ts';
import { BENCH_NOW, drawGrant, generateWorkload, type TierName } from './generate-model.ts';
import { collectGarbage, round } from './stats.ts';

const { values: args } = parseArgs({
  options: {
    tier: { type: 'string', default: 'medium' },
    changes: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '3' },
    seed: { type: 'string', default: '1' },
    profile: { type: 'string' },
  },
});
const tier = args.tier as TierName;
const changes = Number(args.changes);
const rounds = Number(args.rounds);

const w = generateWorkload(tier, Number(args.seed), loadCatalog());
const dir = mkdtempSync(join(tmpdir(), 'charter-admit-bench-'));

/** Writes the objects as manifests (JSON documents, which are YAML), collaborations 10,000 to a file. */
function writeTree(root: string, collaborations: CollaborationObject[]): void {
  mkdirSync(root);
  const write = (file: string, objects: ModelObject[]): void => writeFileSync(join(root, file), objects.map((o) => JSON.stringify(toManifest(o))).join('\n---\n') + '\n');
  write('users.yaml', [...w.model.users.values()]);
  write('organizations.yaml', [...w.model.organizations.values()]);
  write('groups.yaml', [...w.model.groups.values()]);
  for (let i = 0; i < collaborations.length; i += 10_000) write(`collaborations-${i / 10_000}.yaml`, collaborations.slice(i, i + 10_000));
}

const original = [...w.model.collaborations.values()];
writeTree(join(dir, 'before'), original);
const after = [...original];
const touched = new Set<number>();
const pickIndex = (): number => {
  for (;;) {
    const i = w.random.int(0, after.length - 1);
    if (!touched.has(i)) return (touched.add(i), i);
  }
};
let changed = 0;
let deleted = 0;
let created = 0;
for (let k = 0; k < changes; k++) {
  if (k % 3 === 0) {
    const i = pickIndex();
    const c = after[i]!;
    after[i] = { ...c, rights: c.rights.length > 1 ? c.rights.slice(1) : ['RIGHT_APPLICATION_INFO', ...c.rights].slice(0, 1).concat(c.rights).filter((r, j, a) => a.indexOf(r) === j) };
    changed++;
  } else if (k % 3 === 1) {
    touched.add(pickIndex());
    deleted++;
  } else {
    after.push(drawGrant(w, w.random.pick(['userEntity', 'groupEntity', 'organizationEntity', 'membership'] as const)));
    created++;
  }
}
const deletedSet = new Set([...touched].filter((i) => after[i] === original[i]));
writeTree(join(dir, 'after'), after.filter((_, i) => !deletedSet.has(i)));
const admin = [...w.model.users.values()].find((u) => u.admin && u.state === 'Approved')!.name;

console.log(`${tier}: ${w.model.users.size} users, ${original.length} collaborations; PR: ${changed} changed, ${deleted} deleted, ${created} created; as User/${admin}`);
const at = new Date(BENCH_NOW).toISOString();
let start = performance.now();
const before = openWorkspace([join(dir, 'before')], { at });
const afterTree = loadManifests([join(dir, 'after')]);
console.log(`reading both trees and building <before>'s engine: ${round((performance.now() - start) / 1000)} s (once, as before this change)`);
const requester = requesterOf(`User/${admin}`, undefined);
const whole: number[] = [];
const alone: number[] = [];
const cpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
for (let r = 0; r < rounds; r++) {
  // Alternated: odd rounds judge against <before> alone first, so that neither always runs on a warmer JIT.
  const order = r % 2 === 0 ? ['both', 'alone'] : ['alone', 'both'];
  let judged = 0;
  let denied = 0;
  let deniedAlone = 0;
  const times: Record<string, string> = {};
  for (const which of order) {
    collectGarbage();
    const profiler = which === 'both' && r === 0 && args.profile ? new PhaseProfiler() : undefined;
    await profiler?.start();
    start = performance.now();
    const cpuStart = cpu();
    if (which === 'both') {
      const results = judgeChanges(before, afterTree, requester, DEFAULT_ADMISSION_OPTIONS);
      judged = results.length;
      denied = results.filter((x) => !x.allowed).length;
      whole.push(performance.now() - start);
    } else {
      // The first judgement only (what admit did before): each change against <before>.
      for (const key of new Set([...before.manifests.keys(), ...afterTree.manifests.keys()])) {
        const old = before.manifests.get(key);
        const now = afterTree.manifests.get(key);
        if (old && now && comparable(old) === comparable(now)) continue;
        const o = parseObjectKey(key)!;
        const request: AdmissionRequest = { operation: old && now ? 'UPDATE' : now ? 'CREATE' : 'DELETE', kind: o.kind, name: o.name, ...(o.namespace !== undefined ? { namespace: o.namespace } : {}), ...(now ? { object: now } : {}), ...(old ? { oldObject: old } : {}), requester };
        if (!decide({ engine: before.engine }, request, DEFAULT_ADMISSION_OPTIONS).allowed) deniedAlone++;
      }
      alone.push(performance.now() - start);
    }
    times[which] = `${round(performance.now() - start)} ms (CPU ${round(cpu() - cpuStart)} ms)`;
    await profiler?.stop(args.profile!);
  }
  console.log(`round ${r + 1} (${order.join(' then ')}): both judgements ${times.both} (${judged} judged, ${denied} denied); against <before> only ${times.alone} (${deniedAlone} denied)`);
}
const median = (list: number[]): number => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]!;
console.log(`median: both judgements ${round(median(whole))} ms, against <before> only ${round(median(alone))} ms`);
if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true }); else console.log(dir);
