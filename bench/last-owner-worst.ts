/**
 * `node bench/last-owner-worst.ts [--collaborations 1000,10000] [--removals 200] [--tree /path/to/other/checkout ...]`:
 * LastOwner's worst case for a membership removal (docs/performance.md, "Admission decisions"): an organization
 * whose members own nothing through the ownership of its namespace, so that no member settles a kind for every
 * entity at once (before the touched users' grants bounded it, each removal searched every entity of the namespace).
 * Three organizations, each owning one namespace of `--collaborations` Collaborations (half on entities with a full
 * collaborator of their own, half giving pieces of the kind to a group and to the members, so that some members are
 * full on some entities only through a grant and ownership together, and their removal is denied):
 * - `partial`: `ownerRights` covers Application only in part (RIGHT_APPLICATION_DELETE); members hold RIGHT_ALL;
 * - `orgOnly`: `ownerRights` default (every right); members hold Organization rights only;
 * - `group`: as `partial`, but the membership removed names a group of 20 members.
 * Each removal is `decide` on the deletion of one membership (not applied), requested by an admin (the engine's
 * `adminRights: all`, so that only LastOwner can deny), timed one by one (wall time, after 20 untimed ones); with
 * `--tree`, each checkout's own engine and rules judge the same requests, alternated request by request, and their
 * decisions must be equal. One line per tree, case and size on stdout.
 */
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { msSince, round, summarize } from './stats.ts';

const { values: args } = parseArgs({
  options: {
    collaborations: { type: 'string', default: '1000,10000' },
    removals: { type: 'string', default: '200' },
    tree: { type: 'string', multiple: true, default: [] },
  },
});
const sizes = args.collaborations.split(',').map(Number);
const removals = Number(args.removals);
const WARMUP = 20;
const MEMBERS = 50;

async function load(root: string) {
  const module = (path: string) => import(pathToFileURL(resolve(root, path)).href);
  return {
    root,
    catalog: (await module('src/catalog/load-catalog.ts')).loadCatalog(),
    Engine: (await module('src/engine/engine.ts')).Engine,
    model: await module('src/model/model.ts'),
    decide: (await module('src/admission/decide.ts')).decide,
    toManifest: (await module('src/model/to-manifest.ts')).toManifest,
  };
}
const trees = await Promise.all([resolve(import.meta.dirname, '..'), ...args.tree].map(load));

type Case = 'partial' | 'orgOnly' | 'group';
const CASES: Case[] = ['partial', 'orgOnly', 'group'];
const NOW = Date.parse('2026-06-01T00:00:00Z');
/** Application in two pieces: what the group's grants give, and the rest, which a member's grant gives. */
const APP_PIECE = ['RIGHT_APPLICATION_DELETE', 'RIGHT_APPLICATION_INFO'];
const APP_REST = ['RIGHT_APPLICATION_INFO', 'RIGHT_APPLICATION_LINK', 'RIGHT_APPLICATION_SETTINGS_BASIC', 'RIGHT_APPLICATION_SETTINGS_API_KEYS', 'RIGHT_APPLICATION_SETTINGS_COLLABORATORS', 'RIGHT_APPLICATION_SETTINGS_PACKAGES', 'RIGHT_APPLICATION_DEVICES_READ', 'RIGHT_APPLICATION_DEVICES_WRITE', 'RIGHT_APPLICATION_DEVICES_READ_KEYS', 'RIGHT_APPLICATION_DEVICES_WRITE_KEYS', 'RIGHT_APPLICATION_TRAFFIC_READ', 'RIGHT_APPLICATION_TRAFFIC_UP_WRITE', 'RIGHT_APPLICATION_TRAFFIC_DOWN_WRITE'];

const user = (name: string, admin = false) => ({ kind: 'User', name, generation: 1, labels: {}, admin, state: 'Approved', identities: [], organization: undefined });
const collab = (namespace: string, name: string, subject: [string, string], target: [string, string], rights: string[]) => ({
  kind: 'Collaboration', namespace, name, generation: 1, subject: { kind: subject[0], name: subject[1] }, target: { kind: target[0], name: target[1] }, rights, role: undefined, expiresAt: undefined,
});

/** The objects of one case at one size: the organization, its members and its namespace's Collaborations. */
function objectsOf(c: Case, n: number): { objects: object[]; removed: object[] } {
  const org = `org-${c}`;
  const ns = org;
  const objects: object[] = [user('root', true)];
  objects.push({ kind: 'Organization', name: org, generation: 1, parent: undefined, namespaces: [ns], ownerRights: c === 'orgOnly' ? undefined : ['RIGHT_APPLICATION_DELETE'], availableUsers: undefined, createdBy: undefined });
  const memberRights = c === 'orgOnly' ? ['RIGHT_ORGANIZATION_ALL'] : ['RIGHT_ALL'];
  const removed: object[] = [];
  for (let i = 0; i < MEMBERS; i++) {
    objects.push(user(`${c}-m${i}`));
    const m = collab(ns, `m-${i}`, ['User', `${c}-m${i}`], ['Organization', org], memberRights);
    objects.push(m);
    if (c !== 'group') removed.push(m);
  }
  // The group's members (20 of the members) are a member as a group too, with the members' rights.
  objects.push({ kind: 'UserGroup', name: `${c}-staff`, generation: 1, organization: org, users: Array.from({ length: 20 }, (_, i) => `${c}-m${i}`), groups: [], selector: undefined });
  const staff = collab(ns, 'm-staff', ['UserGroup', `${c}-staff`], ['Organization', org], memberRights);
  objects.push(staff);
  if (c === 'group') removed.push(staff);
  // Half the Collaborations: an entity and its own full collaborator. The other half: pieces of the kind to the group
  // and to members (each member full on a few entities only together with a grant of the rest, or with ownership).
  const apps = Math.floor(n / 2);
  for (let j = 0; j < apps; j++) {
    objects.push(user(`${c}-c${j}`));
    objects.push(collab(ns, `own-${j}`, ['User', `${c}-c${j}`], ['Application', `app-${j}`], ['RIGHT_APPLICATION_ALL']));
  }
  for (let j = 0; j < n - apps; j++) {
    const app = `shared-${Math.floor(j / 2)}`;
    const member = `${c}-m${j % MEMBERS}`;
    // One shared entity in five without the group's piece: its member is full only through ownership (partial).
    if (j % 2 === 0) {
      if (Math.floor(j / 2) % 5 !== 0) objects.push(collab(ns, `piece-${j}`, ['UserGroup', `${c}-staff`], ['Application', app], APP_PIECE));
    }
    else objects.push(collab(ns, `rest-${j}`, ['User', member], ['Application', app], APP_REST));
  }
  return { objects, removed };
}

const log = (m: string): void => void process.stderr.write(`[last-owner-worst] ${m}\n`);
for (const n of sizes) {
  for (const c of CASES) {
    const { objects, removed } = objectsOf(c, n);
    const engines = trees.map((t) => {
      const model = t.model.emptyModel();
      for (const o of objects) t.model.putObject(model, structuredClone(o));
      // An admin holding every right, so that only LastOwner can deny (the default withholds the _KEYS rights).
      return new t.Engine(model, t.catalog, { adminRights: 'all' }, NOW);
    });
    const times: number[][] = trees.map(() => []);
    const denied: number[] = trees.map(() => 0);
    const load = [loadavg()[0]!];
    for (let i = 0; i < removals + WARMUP; i++) {
      const m = removed[i % removed.length] as { namespace: string; name: string; kind: 'Collaboration' };
      const answers: string[] = [];
      // Alternated request by request; every other request the other tree first.
      const order = i % 2 === 0 ? trees.map((_, k) => k) : trees.map((_, k) => trees.length - 1 - k);
      for (const k of order) {
        const t = trees[k]!;
        const request = { operation: 'DELETE', kind: 'Collaboration', name: m.name, namespace: m.namespace, oldObject: t.toManifest(m), oldModelObject: engines[k]!.model.collaborations.get(`${m.namespace}/${m.name}`), requester: { username: '', groups: [], user: 'root' } };
        const start = process.hrtime.bigint();
        const d = t.decide({ engine: engines[k] }, request);
        const ms = msSince(start);
        if (i >= WARMUP) {
          times[k]!.push(ms);
          if (!d.allowed) denied[k]!++;
        }
        answers[k] = JSON.stringify(d);
      }
      if (answers.some((a) => a !== answers[0])) throw new Error(`the trees decide ${m.namespace}/${m.name} differently:\n${answers.join('\n')}`);
    }
    load.push(loadavg()[0]!);
    trees.forEach((t, k) => {
      const s = summarize(times[k]!);
      console.log(JSON.stringify({ tree: t.root, case: c, collaborations: n, removals: s.count, denied: denied[k], p50Ms: round(s.p50), p99Ms: round(s.p99), maxMs: round(s.max), load: load.map(round) }));
    });
    log(`${c} at ${n}: ${trees.map((t, k) => `${t.root}: p50 ${round(summarize(times[k]!).p50)} / p99 ${round(summarize(times[k]!).p99)} ms`).join('; ')} (load ${load.map(round).join(' → ')})`);
  }
}
