/**
 * admission.md §3.2, a User created, changed or deleted: admins; self-registration (no User yet, state Requested,
 * its own identity); owned users (spec.organization: the organization's member managers, except of an owned user
 * with admin: true, whose state and deletion stay with admins); the user itself for its
 * displayName, email and deletion; AdminOnly fields (and metadata: labels, annotations but kubectl apply's, finalizers,
 * ownerReferences); NameInUse; LastAdmin; and no escalation through selector groups
 * when labels change.
 */
import type { EngineView } from '../engine/engine-view.ts';
import { isAdmin } from '../engine/user-states.ts';
import { CREATED_BY_ANNOTATION, type UserObject } from '../model/model.ts';
import type { AdmissionOptions, Denial } from './decide.ts';
import type { Context } from './context.ts';
import { joinersNotAvailable } from './available-users.ts';
import { throughGroups } from './group-escalation.ts';
import { userGroupToggles } from './group-members.ts';
import { lastOwner } from './last-owner.ts';
import { denial } from './reasons.ts';
import { LAST_APPLIED_ANNOTATION, metadataChanges, specField, type ParsedRequest } from './request.ts';

/** States the managers of an owner organization may move an owned user that is no admin between (activation). */
const ACTIVATION_STATES = new Set(['Requested', 'Approved', 'Suspended']);

/** Annotations anyone who may edit the User may change: kubectl apply's own record of what it applied. */
const IGNORED_ANNOTATIONS: ReadonlySet<string> = new Set([LAST_APPLIED_ANNOTATION]);

const sameList = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x) => b.includes(x));
const sameLabels = (a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);

const shownList = (names: readonly string[]): string => (names.length > 10 ? `${names.slice(0, 10).join(', ')} and ${names.length - 10} more` : names.join(', '));

/**
 * NameInUse: Collaborations or groups naming the new user (it would inherit their rights), or Organizations naming it
 * as their creator (charter.dev/created-by: it could add their first members — a deleted creator's name taken over).
 */
function nameInUse(engine: EngineView, name: string): Denial[] {
  const denials: Denial[] = [];
  const names = [...[...engine.collaborationsWithSubject(`User/${name}`)].map((k) => `Collaboration/${k}`), ...[...engine.groups.listing('User', name)].map((g) => `UserGroup/${g}`)].sort();
  if (names.length > 0) {
    denials.push(denial('NameInUse', `${shownList(names)} already ${names.length === 1 ? 'names' : 'name'} User/${name}: a new user of that name would inherit ${names.length === 1 ? 'its' : 'their'} rights (only an admin may create it)`));
  }
  // No index: a User create by a non-admin is rare, and organizations are few next to users and Collaborations.
  const created = [...engine.model.organizations.values()].filter((o) => o.createdBy === name).map((o) => `Organization/${o.name}`).sort();
  if (created.length > 0) {
    denials.push(denial('NameInUse', `${shownList(created)} already ${created.length === 1 ? 'names' : 'name'} User/${name} as ${created.length === 1 ? 'its' : 'their'} creator (metadata.annotations[${CREATED_BY_ANNOTATION}]): a new user of that name could add ${created.length === 1 ? 'its' : 'their'} first members (only an admin may create it)`));
  }
  return denials;
}

function identitiesInUse(engine: EngineView, user: UserObject): Denial[] {
  const denials: Denial[] = [];
  for (const identity of user.identities) {
    const others = [...engine.userIndex.usersWithIdentity(identity)].filter((u) => u !== user.name).sort();
    if (others.length > 0) denials.push(denial('AmbiguousIdentity', `spec.identities: ${identity} is already listed by ${others.map((u) => `User/${u}`).join(', ')} (an identity acts as one user only)`));
  }
  return denials;
}

function lastAdmin(engine: EngineView, name: string, after: UserObject | undefined): Denial | undefined {
  const stillAdmin = isAdmin(after);
  if (!engine.admins.has(name) || stillAdmin || engine.admins.size > 1) return undefined;
  return denial('LastAdmin', `User/${name} is the last admin (admin: true, state: Approved); ${after ? 'demoting it' : 'deleting it'} would leave none`);
}

/** A user without a User of its own registering one (The Things Stack: registration awaits approval). */
export function judgeSelfRegistration(engine: EngineView, username: string, request: ParsedRequest, options: AdmissionOptions): Denial[] {
  const user = request.after as UserObject;
  if (!options.selfRegistration) return [denial('UnknownRequester', `${username} is not an identity of any User, and self-registration is turned off`)];
  if (!user.identities.includes(username)) {
    return [denial('UnknownRequester', `${username} is not an identity of any User; a self-registration must list it in spec.identities`)];
  }
  const denials: Denial[] = [];
  const fields: string[] = [];
  if (user.admin) fields.push('spec.admin');
  if (user.state !== 'Requested') fields.push(`spec.state ${user.state} (a registration is Requested until an admin approves it)`);
  if (Object.keys(user.labels).length > 0) fields.push('metadata.labels');
  if (user.identities.some((i) => i !== username)) fields.push('spec.identities other than the requester\'s own');
  if (fields.length > 0) denials.push(denial('AdminOnly', `a self-registration may not set ${fields.join(', ')} (admins only)`));
  denials.push(...nameInUse(engine, user.name));
  return denials;
}

export function judgeUser(ctx: Context, request: ParsedRequest): Denial[] {
  const { engine, holdings } = ctx;
  const before = request.before as UserObject | undefined;
  const after = request.after as UserObject | undefined;
  const name = (after ?? before)!.name;
  const requester = `User/${holdings.user}`;
  const members = engine.catalog.administration.members;
  const manages = (org: string | undefined): boolean => org !== undefined && members !== undefined && holdings.holds(members, `Organization/${org}`);
  const denials: Denial[] = [];

  if (request.operation === 'CREATE') {
    const user = after!;
    if (!holdings.admin) {
      if (!manages(user.organization)) {
        const how = members === undefined ? 'an admin' : `an admin, or holding ${members} on the Organization named in spec.organization`;
        denials.push(denial('NotPermitted', `${requester} may not create User/${name}: creating a user requires being ${how}${user.organization !== undefined ? ` (it does not hold it on Organization/${user.organization})` : ''}`));
      } else {
        const fields: string[] = [];
        if (user.admin) fields.push('spec.admin');
        if (!ACTIVATION_STATES.has(user.state)) fields.push(`spec.state ${user.state}`);
        if (Object.keys(user.labels).length > 0) fields.push('metadata.labels');
        if (fields.length > 0) denials.push(denial('AdminOnly', `${fields.join(', ')} of User/${name} are set by admins only`));
      }
      denials.push(...identitiesInUse(engine, user));
      denials.push(...nameInUse(engine, name));
      // Selector groups the new user falls into at once (e.g. an empty selector): no escalation through them, and
      // available to the organizations limiting the Collaborations that name them (§3.4).
      const joined = userGroupToggles(engine, name, undefined, user).joined;
      denials.push(...throughGroups(engine, holdings, joined, true), ...joinersNotAvailable(engine, holdings, joined, () => [name]));
    }
    return denials;
  }

  if (request.operation === 'DELETE') {
    const user = before!;
    const userDelete = engine.catalog.administration.userDelete;
    const permitted = holdings.admin || (userDelete !== undefined && holdings.holds(userDelete, `User/${name}`));
    if (!permitted && manages(user.organization) && user.admin) {
      denials.push(denial('AdminOnly', `User/${name} has spec.admin: true: deleting an admin is for admins only, not for the holders of ${members} on Organization/${user.organization}`));
    } else if (!permitted && !manages(user.organization)) {
      denials.push(denial('NotPermitted', `${requester} may not delete User/${name}: that requires being an admin${userDelete ? `, holding ${userDelete} on it (the user itself)` : ''}${members ? `, or holding ${members} on its spec.organization` : ''}`));
    }
    const d = lastAdmin(engine, name, undefined);
    if (d) denials.push(d);
    denials.push(...lastOwner(engine, { kind: 'User', name }, undefined, { touches: (u) => u === name, users: () => [name] }));
    return denials;
  }

  // UPDATE
  const old = before!;
  const now = after!;
  const labelsChanged = !sameLabels(old.labels, now.labels);
  const stateChanged = old.state !== now.state;
  if (!holdings.admin) {
    const adminOnly: string[] = [];
    if (old.admin !== now.admin) adminOnly.push('spec.admin');
    if (!sameList(old.identities, now.identities)) adminOnly.push('spec.identities');
    if (labelsChanged) adminOnly.push('metadata.labels');
    // Activation by the owner's managers, of a user that is no admin (before or after): managing an admin is an escalation.
    if (stateChanged && !(manages(old.organization) && !old.admin && !now.admin && ACTIVATION_STATES.has(old.state) && ACTIVATION_STATES.has(now.state))) adminOnly.push('spec.state');
    if (old.organization !== now.organization && !(manages(old.organization) && (now.organization === undefined || manages(now.organization)))) adminOnly.push('spec.organization');
    // Annotations, finalizers (one on its own User kept it, and its rights, after an admin deleted it), ownerReferences.
    adminOnly.push(...metadataChanges(request.rawBefore, request.rawAfter, IGNORED_ANNOTATIONS).filter((c) => c !== 'metadata.labels'));
    if (adminOnly.length > 0) {
      denials.push(denial('AdminOnly', `${adminOnly.join(', ')} of User/${name} ${adminOnly.length === 1 ? 'is' : 'are'} changed by admins only${old.organization !== undefined && members ? ` (or, for spec.state between Requested, Approved and Suspended of a user without spec.admin: true, by holders of ${members} on Organization/${old.organization})` : ''}`));
    }
    const basic = specField(request.rawBefore, 'displayName') !== specField(request.rawAfter, 'displayName') || specField(request.rawBefore, 'email') !== specField(request.rawAfter, 'email');
    const userSettings = engine.catalog.administration.userSettings;
    if (basic && !manages(old.organization) && !(userSettings !== undefined && holdings.holds(userSettings, `User/${name}`))) {
      denials.push(denial('NotPermitted', `${requester} may not change the displayName or email of User/${name}: that requires being the user${userSettings ? ` (holding ${userSettings} on it)` : ''}, an admin${members ? `, or holding ${members} on its spec.organization` : ''}`));
    }
  }
  if (labelsChanged) {
    const toggles = userGroupToggles(engine, name, old, now);
    denials.push(...throughGroups(engine, holdings, toggles.joined, true), ...throughGroups(engine, holdings, toggles.left, false));
  }
  const d = lastAdmin(engine, name, now);
  if (d) denials.push(d);
  // A label change moves the user between selector groups; a state change can take its rights: only its own.
  if (labelsChanged || stateChanged) denials.push(...lastOwner(engine, { kind: 'User', name }, now, { touches: (u) => u === name, users: () => [name] }));
  return denials;
}
