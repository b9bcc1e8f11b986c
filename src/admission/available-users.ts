/**
 * Available users (admission.md §3.4, Aspera): an Organization listing spec.availableUsers limits whom a
 * Collaboration in a namespace it owns, or targeting it, may name: each user of the subject must be available or
 * already a member, unless the requester is an admin or holds the catalog's seeAllUsers right on the organization.
 * A Collaboration naming a group names the users who join it (or a group it contains) later too: they are judged
 * when they join (`joinersNotAvailable`).
 */
import type { EngineView } from '../engine/engine-view.ts';
import { selectorMatches } from '../engine/label-selector.ts';
import type { CollaborationObject, MemberSet } from '../model/model.ts';
import type { Denial } from './decide.ts';
import type { Holdings } from './holdings.ts';
import { ancestorGroups } from './group-members.ts';
import { denial } from './reasons.ts';

export function isAvailable(engine: EngineView, available: MemberSet, user: string): boolean {
  if (available.users.includes(user)) return true;
  const object = engine.model.users.get(user);
  if (!object) return false;
  if (available.selector && selectorMatches(available.selector, object.labels)) return true;
  const groups = engine.groups.groupsOf(user);
  return available.groups.some((g) => groups.has(g));
}

/** The organizations limiting whom a Collaboration names (its namespace's owner, its target), that the requester may not see past. */
function limiting(engine: EngineView, holdings: Holdings, c: CollaborationObject): string[] {
  const organizations = new Set<string>();
  const owner = engine.organizations.owner.get(c.namespace);
  if (owner !== undefined) organizations.add(owner);
  if (c.target.kind === 'Organization') organizations.add(c.target.name);
  const seeAll = engine.catalog.administration.seeAllUsers;
  return [...organizations].filter((org) => engine.model.organizations.get(org)?.availableUsers !== undefined && !(seeAll !== undefined && holdings.holds(seeAll, `Organization/${org}`)));
}

const showUsers = (users: readonly string[]): string =>
  users.length > 10 ? `${users.slice(0, 10).map((u) => `User/${u}`).join(', ')} and ${users.length - 10} more` : users.map((u) => `User/${u}`).join(', ');

/**
 * SubjectNotAvailable for users joining groups (admission.md §3.4 through §3.3's joins: listed users, nested groups,
 * users a selector newly matches): a user joining `groups` joins them and every group containing them, and so becomes
 * named by every Collaboration naming one of those it was not a member of already. Each such user must be available
 * to the organizations limiting that Collaboration — judged after the join: a user joining a group `availableUsers`
 * lists is available — or already a member of them. Admins and holders of seeAllUsers are exempt, as when naming a
 * user directly. `users` is called only when some Collaboration naming the groups is limited for the requester.
 * (usergroup-rules.ts, and user-rules.ts for a User created into selector groups; a User's labels are changed by
 * admins only, who are exempt.)
 */
export function joinersNotAvailable(engine: EngineView, holdings: Holdings, groups: Iterable<string>, users: () => Iterable<string>): Denial[] {
  if (holdings.admin) return [];
  const joined = new Set<string>();
  for (const g of groups) for (const a of ancestorGroups(engine, g)) joined.add(a);
  /** Organization → the groups (and a Collaboration naming each) whose joiners it limits. */
  const limits = new Map<string, Map<string, string>>();
  for (const g of [...joined].sort()) {
    for (const key of [...engine.collaborationsWithSubject(`UserGroup/${g}`)].sort()) {
      const c = engine.model.collaborations.get(key);
      if (!c) continue;
      for (const org of limiting(engine, holdings, c)) {
        let named = limits.get(org);
        if (!named) limits.set(org, (named = new Map()));
        if (!named.has(g)) named.set(g, key);
      }
    }
  }
  if (limits.size === 0) return [];
  const joiners = [...new Set(users())].sort();
  const seeAll = engine.catalog.administration.seeAllUsers;
  const denials: Denial[] = [];
  for (const org of [...limits.keys()].sort()) {
    const available = engine.model.organizations.get(org)!.availableUsers!;
    const named = limits.get(org)!;
    const unavailable: string[] = [];
    const via = new Set<string>();
    for (const u of joiners) {
      if (engine.membership(u, org) !== undefined || isAvailable(engine, available, u) || available.groups.some((g) => joined.has(g))) continue;
      const before = engine.groups.groupsOf(u);
      const naming = [...named].filter(([g]) => !before.has(g));
      if (naming.length === 0) continue;
      unavailable.push(u);
      const [g, key] = naming[0]!;
      via.add(`UserGroup/${g}, named by Collaboration/${key}`);
    }
    if (unavailable.length === 0) continue;
    const lift = seeAll !== undefined ? `holding ${seeAll} on Organization/${org} or being an admin` : 'being an admin';
    const one = unavailable.length === 1;
    denials.push(denial('SubjectNotAvailable', `${showUsers(unavailable)} ${one ? 'joins' : 'join'} ${[...via].sort().join('; ')}, and ${one ? 'is' : 'are'} neither available to Organization/${org} (spec.availableUsers) nor a member of it; naming ${one ? 'it' : 'them'} requires ${lift}`));
  }
  return denials;
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
