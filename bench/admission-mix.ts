/**
 * The admission phase of `npm run bench`: decisions (`decide`, src/admission) on the benchmark model, timed one by
 * one, for a mix of valid requests (each passes the schema, as the API server has checked before it calls a webhook):
 * - new grants (30 %) on a random entity, by a member of its owner, preferably one who holds the collaborators right;
 * - group edits with a large fan-out (35 %): the hot groups, the parts they nest to hold their users beyond the
 *   schema's 5,000 listed names (`members.users` maxItems; generate-model.ts) and the groups nesting them; one user
 *   added, removed or replaced, or a nested group taken out or put in; by an admin. Every rule runs: the group's and
 *   its ancestors' grants are judged, LastOwner when members leave;
 * - removals of memberships (35 %), those of full members first (LastOwner, with the state after the change when the
 *   owner is at risk), by another full member of the organization or by an admin.
 * Requests carry what the webhook gives decide(): the raw object and old object, and the old object as the replica's
 * informer already converted it (`oldModelObject`: the engine's object, of the same resourceVersion), so the old
 * object is not read again; `charter admit`, reading files, reads both.
 */
import { decide, DEFAULT_ADMISSION_OPTIONS, type AdmissionRequest } from '../src/admission/decide.ts';
import { ancestorGroups } from '../src/admission/group-members.ts';
import { Holdings } from '../src/admission/holdings.ts';
import type { Engine } from '../src/engine/engine.ts';
import type { CollaborationObject, ModelObject, UserGroupObject } from '../src/model/model.ts';
import { toManifest } from '../src/model/to-manifest.ts';
import { MAX_LISTED, type Workload } from './generate-model.ts';
import { Random } from './random.ts';
import { msSince } from './stats.ts';

export type AdmissionCategory = 'grant' | 'groupEdit' | 'membershipRemoval';

export interface TimedDecision {
  category: AdmissionCategory;
  ms: number;
  /** CPU time of the process during the decision (user + system): what the decision cost without the waits of a shared machine. */
  cpuMs: number;
  allowed: boolean;
  reasons: string[];
  label: string;
}

const request = (operation: AdmissionRequest['operation'], before: ModelObject | undefined, after: ModelObject | undefined, user: string): AdmissionRequest => {
  const o = (after ?? before)!;
  return {
    operation,
    kind: o.kind,
    name: o.name,
    ...(o.kind === 'Collaboration' ? { namespace: o.namespace } : {}),
    ...(after ? { object: toManifest(after) } : {}),
    ...(before ? { oldObject: toManifest(before), oldModelObject: before } : {}),
    requester: { username: '', groups: [], user },
  };
};


/**
 * Runs `count` decisions after 100 untimed ones (the first compiles the schema validators and warms the JIT, as a
 * replica does once); its own random sequence (from `seed`), so that the phases after it see the same changes.
 */
export function runAdmissionMix(w: Workload, engine: Engine, count: number, seed: number): TimedDecision[] {
  const random = new Random(seed);
  const kindRights = (kind: string): string[] => engine.catalog.kinds.get(kind)!.rights.map((i) => engine.catalog.rights[i]!);
  const admins = [...engine.admins];
  const orgKind = engine.sets.kindRights('Organization');
  const memberships = [...engine.model.collaborations.values()].filter((c) => c.target.kind === 'Organization');
  const fullMask = (c: CollaborationObject): boolean => engine.sets.isSubset(orgKind, engine.verdict(c.namespace, c.name)?.wouldGrant ?? 0);
  // Memberships of full members first: their removal is what LastOwner looks at hardest.
  const ownerships = memberships.filter(fullMask);
  const ownersOf = (org: string): string[] => [...engine.organizationMembers(org)].filter(([u, m]) => engine.model.users.has(u) && engine.sets.isSubset(orgKind, m.mask)).map(([u]) => u);
  // Groups with a large fan-out: the hot groups, their parts, and every group nesting one (every list fits the schema).
  const large = new Set<string>([...w.hotParts.values()].flat());
  for (const hot of w.hotGroups) for (const g of ancestorGroups(engine, hot)) large.add(g);
  const editable = [...large].filter((g) => engine.model.groups.get(g)!.users.length <= MAX_LISTED).sort();
  const collaboratorsRight = (kind: string): string | undefined => engine.catalog.administration.collaborators.get(kind);
  const out: TimedDecision[] = [];
  let id = 0;
  const WARMUP = 100;
  for (let i = 0; i < count + WARMUP; i++) {
    const roll = random.next();
    let category: AdmissionCategory;
    let req: AdmissionRequest;
    let label: string;
    if (roll < 0.3) {
      category = 'grant';
      const entity = random.pick(w.entities);
      const owner = engine.organizations.owner.get(entity.namespace);
      const members = owner === undefined ? [] : [...engine.organizationMembers(owner).keys()];
      // Of up to 20 members drawn, the first holding the collaborators right on the entity (else the first drawn).
      const drawn = random.sample(members, 20);
      const right = collaboratorsRight(entity.kind);
      const holder = right === undefined ? undefined : drawn.find((u) => new Holdings(engine, u).holds(right, entity.key));
      const requester = holder ?? drawn[0] ?? random.pick(w.userNames);
      const grant: CollaborationObject = {
        kind: 'Collaboration', namespace: entity.namespace, name: `admission-${id++}`, generation: 1,
        subject: { kind: 'User', name: random.pick(w.userNames) }, target: { kind: entity.kind, name: entity.name },
        rights: random.sample(kindRights(entity.kind), random.int(1, 3)).sort(), role: undefined, expiresAt: undefined,
      };
      req = request('CREATE', undefined, grant, requester);
      label = `${requester}${holder ? ' (holds the collaborators right)' : ''} grants ${grant.rights.join(',')} on ${entity.key}`;
    } else if (roll < 0.65 && editable.length > 0) {
      category = 'groupEdit';
      const group = engine.model.groups.get(random.pick(editable))!;
      const listed = group.users;
      const fanOut = engine.groups.membersOf(group.name).size;
      const edit = random.weighted({ add: 3, remove: 3, replace: 2, nesting: 2 });
      const other = (): string => {
        for (;;) {
          const u = random.pick(w.userNames);
          if (!listed.includes(u)) return u;
        }
      };
      let after: UserGroupObject;
      let what: string;
      if (edit === 'nesting') {
        // Take out one of its nested groups (its members leave), or put a hot group in (its members join).
        const nested = group.groups.filter((g) => engine.model.groups.has(g));
        const hot = w.hotGroups.filter((g) => g !== group.name && !group.groups.includes(g) && engine.model.groups.has(g));
        if (nested.length > 0 && (hot.length === 0 || random.chance(0.5))) {
          const out = random.pick(nested);
          after = { ...group, groups: group.groups.filter((g) => g !== out) };
          what = `take nested ${out} (${engine.groups.membersOf(out).size} members) out of`;
        } else {
          const put = random.pick(hot);
          after = { ...group, groups: [...group.groups, put] };
          what = `nest ${put} (${engine.groups.membersOf(put).size} members) in`;
        }
      } else if ((edit === 'remove' || (edit === 'replace' && listed.length > 0)) && listed.length > 0) {
        const gone = random.int(0, listed.length - 1);
        const users = listed.filter((_, k) => k !== gone);
        if (edit === 'replace') users.push(other());
        after = { ...group, users };
        what = edit === 'replace' ? 'replace a member of' : 'remove a member from';
      } else if (listed.length < MAX_LISTED) {
        after = { ...group, users: [...listed, other()] };
        what = 'add a member to';
      } else {
        after = { ...group, users: [...listed.slice(1), other()] };
        what = 'replace a member of';
      }
      req = request('UPDATE', group, after, random.pick(admins));
      label = `${what} ${group.name} (${listed.length} listed, ${fanOut} members)`;
    } else {
      category = 'membershipRemoval';
      const c = ownerships.length > 0 && random.chance(0.7) ? random.pick(ownerships) : random.pick(memberships);
      const owners = ownersOf(c.target.name).filter((u) => u !== c.subject.name || c.subject.kind !== 'User');
      const byOwner = owners.length > 0 && random.chance(0.5);
      const requester = byOwner ? random.pick(owners) : random.pick(admins);
      req = request('DELETE', c, undefined, requester);
      label = `${byOwner ? 'a full member' : 'an admin'} deletes ${c.namespace}/${c.name}: ${c.subject.kind}/${c.subject.name} → Organization/${c.target.name} ${c.rights.join(',')}${fullMask(c) ? ' (a full member)' : ''}`;
    }
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const decision = decide({ engine }, req, DEFAULT_ADMISSION_OPTIONS);
    const ms = msSince(t0);
    const cpu = process.cpuUsage(c0);
    if (i < WARMUP) continue;
    out.push({ category, ms, cpuMs: (cpu.user + cpu.system) / 1000, allowed: decision.allowed, reasons: [...new Set(decision.denials.map((d) => d.reason))], label });
  }
  return out;
}
