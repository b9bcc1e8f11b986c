/**
 * The admission phase of `npm run bench`: decisions (`decide`, src/admission) on the benchmark model, timed one by
 * one, for a mix of requests: new grants on entities from a member of the owner (30 %), edits of large groups —
 * the hot groups, tens of thousands of members, one user added or removed — by an admin (35 %, every rule runs:
 * the group's and its ancestors' grants are judged, LastOwner when members leave), and removals of memberships,
 * those of full members first (35 %: LastOwner, with the state after the change when the owner is at risk).
 */
import { decide, DEFAULT_ADMISSION_OPTIONS, type AdmissionRequest } from '../src/admission/decide.ts';
import type { Engine } from '../src/engine/engine.ts';
import type { CollaborationObject, ModelObject, UserGroupObject } from '../src/model/model.ts';
import { toManifest } from '../src/model/to-manifest.ts';
import type { Workload } from './generate-model.ts';
import { Random } from './random.ts';
import { msSince } from './stats.ts';

export type AdmissionCategory = 'grant' | 'groupEdit' | 'membershipRemoval';

export interface TimedDecision {
  category: AdmissionCategory;
  ms: number;
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
    ...(before ? { oldObject: toManifest(before) } : {}),
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
  // Memberships of full members first: their removal is what LastOwner looks at hardest.
  const ownerships = memberships.filter((c) => engine.sets.isSubset(orgKind, engine.verdict(c.namespace, c.name)?.wouldGrant ?? 0));
  const largeGroups = w.hotGroups.filter((g) => engine.model.groups.has(g));
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
      const requester = members.length > 0 ? random.pick(members) : random.pick(w.userNames);
      const grant: CollaborationObject = {
        kind: 'Collaboration', namespace: entity.namespace, name: `admission-${id++}`, generation: 1,
        subject: { kind: 'User', name: random.pick(w.userNames) }, target: { kind: entity.kind, name: entity.name },
        rights: random.sample(kindRights(entity.kind), random.int(1, 3)).sort(), role: undefined, expiresAt: undefined,
      };
      req = request('CREATE', undefined, grant, requester);
      label = `${requester} grants ${grant.rights.join(',')} on ${entity.key}`;
    } else if (roll < 0.65 && largeGroups.length > 0) {
      category = 'groupEdit';
      const group = engine.model.groups.get(random.pick(largeGroups))!;
      const remove = random.chance(0.5) && group.users.length > 0;
      const users = remove ? group.users.filter((u) => u !== group.users[random.int(0, group.users.length - 1)]) : [...group.users, random.pick(w.userNames)];
      const after: UserGroupObject = { ...group, users: [...new Set(users)] };
      req = request('UPDATE', group, after, random.pick(admins));
      label = `${remove ? 'remove a member from' : 'add a member to'} ${group.name} (${group.users.length} listed)`;
    } else {
      category = 'membershipRemoval';
      const c = ownerships.length > 0 && random.chance(0.7) ? random.pick(ownerships) : random.pick(memberships);
      req = request('DELETE', c, undefined, random.pick(admins));
      label = `delete ${c.namespace}/${c.name}: ${c.subject.kind}/${c.subject.name} → Organization/${c.target.name} ${c.rights.join(',')}`;
    }
    const t0 = process.hrtime.bigint();
    const decision = decide({ engine }, req, DEFAULT_ADMISSION_OPTIONS);
    if (i < WARMUP) continue;
    out.push({ category, ms: msSince(t0), allowed: decision.allowed, reasons: [...new Set(decision.denials.map((d) => d.reason))], label });
  }
  return out;
}
