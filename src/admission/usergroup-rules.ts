/**
 * admission.md §3.3, a UserGroup created, changed or deleted: the members right on its organization (old and new);
 * a group without one is managed by admins; no escalation through the group (members joining or leaving get or lose
 * what it and the groups containing it are granted); members joining are named by the Collaborations naming those
 * groups, so each must be available where an organization limits them (SubjectNotAvailable); LastOwner.
 */
import type { UserGroupObject } from '../model/model.ts';
import type { Context } from './context.ts';
import type { Denial } from './decide.ts';
import { joinersNotAvailable } from './available-users.ts';
import { throughGroups } from './group-escalation.ts';
import { GroupToggles } from './group-members.ts';
import { lastOwner } from './last-owner.ts';
import { denial } from './reasons.ts';
import type { ParsedRequest } from './request.ts';

export function judgeUserGroup(ctx: Context, request: ParsedRequest): Denial[] {
  const { engine, holdings } = ctx;
  const before = request.before as UserGroupObject | undefined;
  const after = request.after as UserGroupObject | undefined;
  const name = (after ?? before)!.name;
  const members = engine.catalog.administration.members;
  const denials: Denial[] = [];
  if (!holdings.admin) {
    const organizations = new Set<string | undefined>([after?.organization, before?.organization].filter((_, i) => (i === 0 ? after : before) !== undefined));
    for (const org of organizations) {
      if (org === undefined) {
        denials.push(denial('AdminOnly', `UserGroup/${name} has no spec.organization: a global group is managed by admins only`));
      } else if (members === undefined) {
        denials.push(denial('NotPermitted', `User/${holdings.user} is not an admin, and only admins manage groups (the catalog ${engine.catalog.name} names no members right)`));
      } else if (!holdings.holds(members, `Organization/${org}`)) {
        denials.push(denial('NotPermitted', `User/${holdings.user} does not hold ${members} on Organization/${org} (managing its groups requires it)`));
      }
    }
  }
  const toggles = new GroupToggles(engine, name, before, after);
  if (toggles.anyJoined()) denials.push(...throughGroups(engine, holdings, [name], true), ...joinersNotAvailable(engine, holdings, [name], () => toggles.joined()));
  const anyLeft = toggles.anyLeft();
  if (anyLeft) denials.push(...throughGroups(engine, holdings, [name], false));
  // Only members who leave can take an ownership with them.
  if (anyLeft && engine.model.groups.has(name)) denials.push(...lastOwner(engine, { kind: 'UserGroup', name }, after, { touches: (u) => toggles.leaves(u), users: () => toggles.leaveCandidates() }));
  return denials;
}
