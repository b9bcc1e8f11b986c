/**
 * A Collaboration's verdict: whether it counts (the checks of collaboration-checks.ts) and the rights it grants
 * (semantics §3: expand(rights ∪ role), intersected with the target kind's rights for entity targets).
 */
import type { Catalog } from '../catalog/catalog.ts';
import type { CollaborationObject } from '../model/model.ts';
import { checkCollaboration, type CheckContext, type CollaborationCheck, type Failure } from './collaboration-checks.ts';
import { EMPTY, type RightSets, type RightSetId } from './right-sets.ts';

export interface CollaborationVerdict {
  active: boolean;
  failures: Failure[];
  /** expand(rights ∪ role) — intersected with the target kind's rights for entity targets; EMPTY when inactive. */
  granted: RightSetId;
  /** Same, computed whether or not the collaboration is active (for status and explain). */
  wouldGrant: RightSetId;
}

/** Judges a collaboration by the checks against the current model and time. */
export function judge(c: CollaborationObject, ctx: CheckContext, sets: RightSets, checks: readonly CollaborationCheck[]): CollaborationVerdict {
  const failures = checkCollaboration(c, ctx, checks);
  const catalog: Catalog = ctx.catalog;
  const names = c.role !== undefined && catalog.roles.has(c.role) ? [...c.rights, ...catalog.roles.get(c.role)!] : c.rights;
  let wouldGrant = sets.expand(names);
  if (c.target.kind !== 'Organization') wouldGrant = sets.intersect(wouldGrant, sets.kindRights(c.target.kind));
  if (failures.length === 0) return activeVerdict(sets, wouldGrant);
  return { active: false, failures, granted: EMPTY, wouldGrant };
}

/**
 * Active verdicts are shared, one per set of rights granted (per engine's `RightSets`): nearly every Collaboration
 * counts, and a verdict of its own each cost ~90 bytes (the object and an empty failure list), 42 MiB at the large
 * tier. Frozen, since many records hold each.
 */
const ACTIVE = new WeakMap<RightSets, CollaborationVerdict[]>();
const NO_FAILURES: Failure[] = Object.freeze([]) as unknown as Failure[];

function activeVerdict(sets: RightSets, granted: RightSetId): CollaborationVerdict {
  let byGranted = ACTIVE.get(sets);
  if (!byGranted) ACTIVE.set(sets, (byGranted = []));
  return (byGranted[granted] ??= Object.freeze({ active: true, failures: NO_FAILURES, granted, wouldGrant: granted }));
}

/** Whether a re-judgement moved what the collaboration grants (its subject's users' rights). */
export function grantMoved(before: CollaborationVerdict, after: CollaborationVerdict): boolean {
  return before.active !== after.active || before.granted !== after.granted;
}

/** Whether a re-judgement moved anything its status shows (grants or failure messages). */
export function verdictMoved(before: CollaborationVerdict, after: CollaborationVerdict): boolean {
  return grantMoved(before, after) || JSON.stringify(before.failures) !== JSON.stringify(after.failures);
}
