/**
 * No escalation (admission.md §3.1, §3.3): granting or revoking a right requires holding it. What a Collaboration
 * grants is judged whether or not it is active (expired, dangling: what it would grant); a right or role the catalog
 * does not know cannot be held, so it cannot be granted.
 */
import type { EngineView } from '../engine/engine-view.ts';
import { EMPTY, type RightSetId } from '../engine/right-sets.ts';
import type { CollaborationObject } from '../model/model.ts';
import type { Denial } from './decide.ts';
import type { Holdings } from './holdings.ts';
import { denial, rightList } from './reasons.ts';

export interface Grant {
  /** expand(rights ∪ role), ∩ kindRights(K) for an entity target (what it would grant). */
  set: RightSetId;
  /** Names the catalog does not know: `RIGHT_X`, `role x`. */
  unknown: string[];
  /** `Application/acme/app1` or `Organization/acme`. */
  target: string;
}

export function grantOf(engine: EngineView, c: CollaborationObject): Grant {
  const catalog = engine.catalog;
  const unknown: string[] = [];
  const names = [...c.rights];
  for (const r of c.rights) if (!catalog.rightIndex.has(r) && !catalog.pseudoRights.has(r)) unknown.push(r);
  if (c.role !== undefined) {
    const role = catalog.roles.get(c.role);
    if (role) names.push(...role);
    else unknown.push(`role ${c.role}`);
  }
  let set = engine.sets.expand(names);
  if (c.target.kind !== 'Organization') set = engine.sets.intersect(set, engine.sets.kindRights(c.target.kind));
  return { set, unknown, target: engine.targetKey(c) };
}

/** The rights of `required` the requester does not hold for the target, sorted by name. */
export function missing(holdings: Holdings, target: string, required: RightSetId): string[] {
  if (required === EMPTY) return [];
  const sets = holdings.engine.sets;
  const lacking = sets.subtract(required, sets.intersect(required, holdings.forTarget(target)));
  return [...sets.rightNames(lacking)];
}

/**
 * A NoEscalation denial when the requester lacks any of the rights, or undefined. `why` ends the parenthesis (e.g.
 * which group grants it); unknown names count as not held only when granting (revoking them revokes nothing).
 */
export function noEscalation(holdings: Holdings, grant: Grant, granting: boolean, why?: string): Denial | undefined {
  const lacking = [...missing(holdings, grant.target, grant.set), ...(granting ? grant.unknown : [])];
  if (lacking.length === 0) return undefined;
  const reason = `granting or revoking a right requires holding it${why ? `; ${why}` : ''}`;
  return denial('NoEscalation', `User/${holdings.user} does not hold ${rightList(lacking)} on ${grant.target} (${reason})`);
}
