/**
 * Available users (admission.md §3.4, Aspera): an Organization listing spec.availableUsers limits whom a
 * Collaboration in a namespace it owns, or targeting it, may name: each user of the subject must be available or
 * already a member, unless the requester is an admin or holds the catalog's seeAllUsers right on the organization.
 */
import type { EngineView } from '../engine/engine-view.ts';
import { selectorMatches } from '../engine/label-selector.ts';
import type { CollaborationObject, MemberSet } from '../model/model.ts';
import type { Denial } from './decide.ts';
import type { Holdings } from './holdings.ts';
import { denial } from './reasons.ts';

export function isAvailable(engine: EngineView, available: MemberSet, user: string): boolean {
  if (available.users.includes(user)) return true;
  const object = engine.model.users.get(user);
  if (!object) return false;
  if (available.selector && selectorMatches(available.selector, object.labels)) return true;
  const groups = engine.groups.groupsOf(user);
  return available.groups.some((g) => groups.has(g));
}

export function subjectNotAvailable(engine: EngineView, holdings: Holdings, c: CollaborationObject): Denial[] {
  if (holdings.admin || c.subject.kind === 'Organization') return [];
  const organizations = new Set<string>();
  const owner = engine.organizations.owner.get(c.namespace);
  if (owner !== undefined) organizations.add(owner);
  if (c.target.kind === 'Organization') organizations.add(c.target.name);
  const seeAll = engine.catalog.administration.seeAllUsers;
  const denials: Denial[] = [];
  for (const org of [...organizations].sort()) {
    const available = engine.model.organizations.get(org)?.availableUsers;
    if (!available) continue;
    if (seeAll !== undefined && holdings.holds(seeAll, `Organization/${org}`)) continue;
    const users = c.subject.kind === 'User' ? [c.subject.name] : [...engine.groups.membersOf(c.subject.name)];
    const unavailable = users.filter((u) => !isAvailable(engine, available, u) && engine.membership(u, org) === undefined).sort();
    if (unavailable.length === 0) continue;
    const shown = unavailable.length > 10 ? `${unavailable.slice(0, 10).map((u) => `User/${u}`).join(', ')} and ${unavailable.length - 10} more` : unavailable.map((u) => `User/${u}`).join(', ');
    const via = c.subject.kind === 'UserGroup' ? ` (members of UserGroup/${c.subject.name})` : '';
    const lift = seeAll !== undefined ? `holding ${seeAll} on Organization/${org} or being an admin` : 'being an admin';
    denials.push(denial('SubjectNotAvailable', `${shown}${via} ${unavailable.length === 1 ? 'is' : 'are'} neither available to Organization/${org} (spec.availableUsers) nor a member of it; naming ${unavailable.length === 1 ? 'it' : 'them'} requires ${lift}`));
  }
  return denials;
}
