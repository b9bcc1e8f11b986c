/**
 * semantics §5 and §6 for one (user, entity): the effective rights and, for each right, every path that grants it.
 * This is the reference the bulk profiles (engine.ts) and the permission maps are tested against; `charter can`
 * and `charter explain` use it.
 */
import type { EngineView } from './engine-view.ts';
import type { EntityRef } from './entities.ts';
import { EMPTY, type RightSetId } from './right-sets.ts';
import { isAdmin, restrictedState } from './user-states.ts';

export type Provenance =
  | { type: 'self'; state: string }
  | { type: 'state'; state: string }
  | { type: 'admin' }
  | { type: 'direct'; collaboration: string }
  | { type: 'group'; collaboration: string; chain: string[] }
  | {
      type: 'organization';
      organization: string;
      /** How the user is a member: the membership collaboration, the group chain if any, the organization it names (o or an ancestor). */
      memberships: Array<{ collaboration: string; organization: string; chain?: string[] }>;
      /** What the organization holds on the entity: `ownership` or a Collaboration, or `membership` for Organization/o itself. */
      grant: string;
    };

export interface Evaluation {
  rights: RightSetId;
  /** Per right name: the paths that grant it. */
  paths: Map<string, Provenance[]>;
}

/** Effective rights of `user` on `entity` with provenance, straight from semantics §5. */
export function evaluate(engine: EngineView, user: string, entity: EntityRef): Evaluation {
  const sets = engine.sets;
  const kindRights = sets.kindRights(entity.kind);
  const contributions: Array<{ set: RightSetId; path: Provenance }> = [];
  const result = (): Evaluation => {
    let rights = EMPTY;
    const paths = new Map<string, Provenance[]>();
    for (const { set, path } of contributions) {
      const masked = sets.intersect(set, kindRights);
      rights = sets.union(rights, masked);
      for (const name of sets.rightNames(masked)) {
        const list = paths.get(name);
        if (list) list.push(path);
        else paths.set(name, [path]);
      }
    }
    return { rights, paths };
  };
  const object = engine.model.users.get(user);
  if (!object) return result();
  const key = entity.namespace === undefined ? `${entity.kind}/${entity.name}` : `${entity.kind}/${entity.namespace}/${entity.name}`;
  // §5.1 State.
  const restricted = restrictedState(object.state);
  if (restricted) {
    if (entity.kind === 'User' && entity.name === user) {
      contributions.push({ set: sets.fromIndices(engine.catalog.stateRights[restricted]), path: { type: 'state', state: restricted } });
    }
    return result();
  }
  // §5.2 Self.
  if (entity.kind === 'User' && entity.name === user) contributions.push({ set: kindRights, path: { type: 'self', state: object.state } });
  // §5.3 Direct and §5.4 Groups.
  const groups = engine.groups.groupsOf(user);
  const matches = (subject: string): Array<{ key: string; granted: RightSetId }> => {
    const out: Array<{ key: string; granted: RightSetId }> = [];
    for (const ck of engine.collaborationsWithSubject(subject)) {
      const c = engine.model.collaborations.get(ck)!;
      const verdict = engine.verdict(c.namespace, c.name)!;
      if (verdict.active && engine.targetKey(c) === key) out.push({ key: ck, granted: verdict.granted });
    }
    return out;
  };
  for (const m of matches(`User/${user}`)) contributions.push({ set: m.granted, path: { type: 'direct', collaboration: m.key } });
  for (const g of [...groups].sort()) {
    for (const m of matches(`UserGroup/${g}`)) contributions.push({ set: m.granted, path: { type: 'group', collaboration: m.key, chain: engine.groups.chainTo(g, user) } });
  }
  // §5.5 Organizations.
  for (const org of [...engine.model.organizations.keys()].sort()) {
    const memberships = membershipPaths(engine, user, org);
    if (memberships.mask === EMPTY && memberships.paths.length === 0) continue;
    if (entity.kind === 'Organization') {
      if (entity.name === org) contributions.push({ set: memberships.mask, path: { type: 'organization', organization: org, memberships: memberships.paths, grant: 'membership' } });
      continue;
    }
    const orgObject = engine.model.organizations.get(org)!;
    if (entity.namespace !== undefined && engine.organizations.owner.get(entity.namespace) === org) {
      const own = sets.expand(orgObject.ownerRights ?? (engine.catalog.allRight ? [engine.catalog.allRight] : []));
      contributions.push({ set: sets.intersect(memberships.mask, own), path: { type: 'organization', organization: org, memberships: memberships.paths, grant: 'ownership' } });
    }
    for (const m of matches(`Organization/${org}`)) {
      contributions.push({ set: sets.intersect(memberships.mask, m.granted), path: { type: 'organization', organization: org, memberships: memberships.paths, grant: `Collaboration/${m.key}` } });
    }
  }
  // §5.6 Administrators.
  if (isAdmin(object)) contributions.push({ set: engine.adminRightsOf(entity.kind), path: { type: 'admin' } });
  return result();
}

/**
 * A user's rights on itself, `evaluate(engine, user, User/<user>).rights` without walking the grants: a restricted
 * user holds its state's rights, any other every right of kind User (self, §5.2 — every other path adds a subset of
 * it). `charter diff` asks this for every user at every expiry; test/unit/engine/self-rights.test.ts holds it equal
 * to evaluate.
 */
export function selfRights(engine: EngineView, user: string): RightSetId {
  const object = engine.model.users.get(user);
  if (!object) return EMPTY;
  const kindRights = engine.sets.kindRights('User');
  const restricted = restrictedState(object.state);
  return restricted ? engine.sets.intersect(engine.sets.fromIndices(engine.catalog.stateRights[restricted]), kindRights) : kindRights;
}

/** expand(M*(u, o)) and the membership collaborations behind it (in o and its ancestors). */
export function membershipPaths(engine: EngineView, user: string, org: string): { mask: RightSetId; paths: Array<{ collaboration: string; organization: string; chain?: string[] }> } {
  let mask = EMPTY;
  const paths: Array<{ collaboration: string; organization: string; chain?: string[] }> = [];
  const groups = engine.groups.groupsOf(user);
  for (const o of [org, ...(engine.organizations.ancestors.get(org) ?? [])]) {
    for (const ck of [...engine.membershipCollaborations(o)].sort()) {
      const c = engine.model.collaborations.get(ck)!;
      const verdict = engine.verdict(c.namespace, c.name)!;
      if (!verdict.active) continue;
      if (c.subject.kind === 'User' && c.subject.name === user) {
        mask = engine.sets.union(mask, verdict.granted);
        paths.push({ collaboration: ck, organization: o });
      } else if (c.subject.kind === 'UserGroup' && groups.has(c.subject.name)) {
        mask = engine.sets.union(mask, verdict.granted);
        paths.push({ collaboration: ck, organization: o, chain: engine.groups.chainTo(c.subject.name, user) });
      }
    }
  }
  return { mask, paths };
}
