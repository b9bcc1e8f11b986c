/**
 * admission.md §3.1, a Collaboration created, changed or deleted: NotPermitted (the manage right on the target, old
 * and new), NoEscalation (the rights granted and revoked), LastOwner, SubjectNotAvailable. The creator of an
 * Organization may add its first members (§3.3) while it holds rights (Approved or Flagged).
 */
import { holdsRights } from '../engine/user-states.ts';
import type { CollaborationObject } from '../model/model.ts';
import type { Context } from './context.ts';
import type { Denial } from './decide.ts';
import { grantOf, noEscalation } from './escalation.ts';
import { subjectNotAvailable } from './available-users.ts';
import { lastOwner, standingFor } from './last-owner.ts';
import type { ParsedRequest } from './request.ts';
import { denial } from './reasons.ts';

/**
 * The creator of an Organization adding members while it has none (The Things Stack makes the creator a member), if
 * it holds rights (Approved or Flagged): a Requested, Rejected or Suspended creator holds only its self rights.
 */
function creatorBootstrap(ctx: Context, c: CollaborationObject): boolean {
  if (c.target.kind !== 'Organization') return false;
  const org = ctx.engine.model.organizations.get(c.target.name);
  return org !== undefined && org.createdBy === ctx.holdings.user && holdsRights(ctx.engine.model.users.get(ctx.holdings.user)) && ctx.engine.organizationMembers(org.name).size === 0;
}

function notPermitted(ctx: Context, c: CollaborationObject): Denial | undefined {
  const { engine, holdings } = ctx;
  if (holdings.admin || creatorBootstrap(ctx, c)) return undefined;
  const target = engine.targetKey(c);
  const isMembership = c.target.kind === 'Organization';
  const right = isMembership ? engine.catalog.administration.members : engine.catalog.administration.collaborators.get(c.target.kind);
  const what = isMembership ? 'its members' : 'its collaborators';
  if (right === undefined) {
    return denial('NotPermitted', `User/${holdings.user} is not an admin, and only admins manage ${isMembership ? 'the members of organizations' : `the collaborators of ${c.target.kind} entities`} (the catalog ${engine.catalog.name} names no administration right for it)`);
  }
  if (holdings.holds(right, target)) return undefined;
  return denial('NotPermitted', `User/${holdings.user} does not hold ${right} on ${target} (managing ${what} requires it)`);
}

export function judgeCollaboration(ctx: Context, request: ParsedRequest): Denial[] {
  const before = request.before as CollaborationObject | undefined;
  const after = request.after as CollaborationObject | undefined;
  const { engine, holdings } = ctx;
  const denials: Denial[] = [];
  for (const c of [after, before]) {
    if (!c) continue;
    const d = notPermitted(ctx, c);
    if (d) denials.push(d);
  }
  if (after && !creatorBootstrap(ctx, after)) {
    const d = noEscalation(holdings, grantOf(engine, after), true);
    if (d) denials.push(d);
  }
  if (before && !creatorBootstrap(ctx, before)) {
    const d = noEscalation(holdings, grantOf(engine, before), false);
    if (d) denials.push(d);
  }
  const c = (after ?? before)!;
  const current = engine.model.collaborations.get(`${c.namespace}/${c.name}`);
  if (current) {
    // Only the users the old and new subjects stand for can lose rights or memberships.
    denials.push(...lastOwner(engine, { kind: 'Collaboration', name: c.name, namespace: c.namespace }, after, standingFor(engine, [current.subject, after?.subject])));
  }
  // Judged whenever the subject or the target (kind or name) is new: the same subject on another target is a new naming.
  if (after && (!before || before.subject.kind !== after.subject.kind || before.subject.name !== after.subject.name || before.namespace !== after.namespace || before.target.kind !== after.target.kind || before.target.name !== after.target.name)) {
    denials.push(...subjectNotAvailable(engine, holdings, after));
  }
  return denials;
}
