/**
 * The status of each object (api.md), computed from the engine's state. Conditions carry no lastTransitionTime
 * here: `withTransitionTimes` (conditions.ts) merges them with the previous status, so that times move only when a
 * condition's status flips.
 *
 * Health as GitOps tools read it (kstatus, docs/deploy.md#health-in-flux-and-argo-cd): observedGeneration is the
 * generation the engine computed the status from; Ready=True is Current; `Stalled=True` (abnormal-true, present only
 * when true) marks an object that only a change to its own spec can make Ready; Ready=False without it is an object
 * waiting for other objects (a subject, an owning organization), or a grant waiting for its namespace's permission map
 * (`MapProblem`, an input from the controller), which kstatus reports as InProgress.
 */
import type { EngineView } from './engine-view.ts';
import { clipMessage } from './conditions.ts';
import { MAX_ANCESTORS } from './organizations.ts';
import { EMPTY } from './right-sets.ts';
import { NameIdSet } from './name-id-set.ts';
import { PackedIdMap } from './packed-id-map.ts';
import { lowerBound } from './sorted-search.ts';
import { holdsRights, isAdmin, restrictedState } from './user-states.ts';

export interface ConditionValue {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  observedGeneration: number;
}

export type Severity = 'error' | 'warning';

export interface Finding {
  object: string;
  severity: Severity;
  reason: string;
  message: string;
}

export const LIST_LIMIT = 100;

/**
 * Why a namespace's permission map is not in effect as the engine computes it, an input the controller passes in (the
 * engine knows nothing of writes): the map is withheld (it would need more shards than --max-shards: the namespace
 * holds the empty map), or its last write failed (workloads there read an older map). A Collaboration of that
 * namespace that the engine accepts is then Ready=False with this reason, without Stalled: no change to its own spec
 * can clear it, and the operator retries (docs/deploy.md#health-in-flux-and-argo-cd).
 */
export interface MapProblem {
  reason: 'MapWithheld' | 'MapNotWritten';
  message: string;
}

/** What a status is computed from beside the engine's state: the publication of the Collaboration's namespace map. */
export interface StatusInputs {
  mapProblem?: MapProblem | undefined;
}

/**
 * The first LIST_LIMIT of distinct names in sorted order (what `[...items].sort().slice(0, LIST_LIMIT)` gives),
 * without sorting them all: a name goes into the kept sorted list only when it comes before its last one, so a
 * group of 10,000 members costs about one comparison per member.
 */
export function bounded(items: Iterable<string>): string[] {
  const top: string[] = [];
  for (const item of items) {
    if (top.length < LIST_LIMIT) {
      top.push(item);
      if (top.length === LIST_LIMIT) top.sort();
      continue;
    }
    if (item >= top[LIST_LIMIT - 1]!) continue;
    top.splice(lowerBound(top, item, LIST_LIMIT - 1), 0, item);
    top.pop();
  }
  if (top.length < LIST_LIMIT) top.sort();
  return top;
}
/**
 * `bounded` of a set or map of names the engine keeps as ids (name-id-set.ts, packed-id-map.ts): its first ids' names
 * when its table numbers in name order (as the engine's build does), with no name compared; else `bounded`.
 */
function boundedNames(items: ReadonlySet<string> | ReadonlyMap<string, unknown>): string[] {
  const first = items instanceof NameIdSet || items instanceof PackedIdMap ? items.firstInNameOrder(LIST_LIMIT) : undefined;
  return first ?? bounded(items.keys());
}
const listText = (items: string[]): string => (items.length > 10 ? `${items.slice(0, 10).join(', ')} and ${items.length - 10} more` : items.join(', '));

function condition(type: string, ok: boolean, reason: string, message: string, generation: number): ConditionValue {
  return { type, status: ok ? 'True' : 'False', reason, message: clipMessage(message), observedGeneration: generation };
}

/** kstatus's Stalled condition: the object cannot become Ready until its spec changes. */
export function stalledCondition(reason: string, message: string, generation: number): ConditionValue {
  return condition('Stalled', true, reason, message, generation);
}

/**
 * The reasons a Collaboration fails that only its own spec can clear (rights, role, target, expiry, checked against
 * the catalog). The others, SubjectNotFound and NamespaceNotOwned, wait for other objects: in a GitOps apply those
 * often arrive in the same commit, a moment later, so they are not reported as a failure.
 */
const SPEC_FAILURES = new Set(['UnknownRight', 'UnknownRole', 'RightsNotApplicable', 'InvalidTarget', 'NestedOrganizations', 'Expired']);

export interface UserStatus {
  observedGeneration: number;
  conditions: ConditionValue[];
  organizations: string[];
  organizationCount: number;
  groups: string[];
  groupCount: number;
  rightsSummary: { entities: number; byKind: Record<string, number>; namespaces: string[]; admin: boolean };
}

export function userStatus(engine: EngineView, name: string): UserStatus | undefined {
  const user = engine.model.users.get(name);
  if (!user) return undefined;
  const summary = engine.holdingsSummary(name, LIST_LIMIT);
  const organizations = engine.membershipsOf(name);
  const groups = engine.groups.groupsOf(name);
  let reason = 'RightsComputed';
  let message = "Effective rights are computed (whether a namespace's permission map carries them: its grants' Ready)";
  const restricted = restrictedState(user.state);
  if (restricted) {
    reason = 'Restricted';
    message = `The user is ${restricted}: it holds only ${listText(engine.catalog.stateRights[restricted].map((i) => engine.catalog.rights[i]!)) || 'nothing'} on itself`;
  } else if (user.admin && !isAdmin(user)) {
    reason = 'FlaggedAdmin';
    message = 'The user is Flagged: admin rights do not apply';
  }
  const conditions = [condition('Ready', true, reason, message, user.generation)];
  const ambiguities = engine.userIndex.ambiguities(user);
  if (ambiguities.size > 0) {
    const text = [...ambiguities].map(([identity, others]) => `${identity} is also listed by ${others.map((u) => `User/${u}`).join(', ')}`).join('; ');
    conditions.push(condition('AmbiguousIdentity', true, 'AmbiguousIdentity', `spec.identities: ${text}: every request from it is denied at admission`, user.generation));
  }
  return {
    observedGeneration: user.generation,
    conditions,
    organizations: boundedNames(organizations),
    organizationCount: organizations.size,
    groups: boundedNames(groups),
    groupCount: groups.size,
    rightsSummary: {
      entities: summary.entities,
      byKind: summary.byKind,
      namespaces: summary.namespaces,
      admin: engine.admins.has(name),
    },
  };
}

export interface OrganizationStatus {
  observedGeneration: number;
  conditions: ConditionValue[];
  members: number;
  memberNames: string[];
  namespaces: string[];
  ancestors: string[];
  authorizedUsers: AuthorizedUsers;
  ownedUsers: number;
}

/**
 * Aspera's authorized-users filters, as counts (docs/semantics-notes.md): `all` is every member holding rights plus
 * every user a grant on an entity of the organization's namespaces gives rights; the others are filters of it.
 */
export interface AuthorizedUsers {
  all: number;
  /** Members holding every Organization right. */
  admins: number;
  /** Members through a global UserGroup (no spec.organization): Aspera's groups. */
  throughGroups: number;
  /** Members through a UserGroup owned by an organization: Aspera's teams. */
  throughTeams: number;
  /** Members through a Collaboration naming the user. */
  throughCollaborations: number;
  /** Kind → users that grants on entities of that kind in the organization's namespaces give rights (Through Shares, Through Projects); kinds with none left out. */
  throughEntities: Record<string, number>;
}

export function organizationProblems(engine: EngineView, name: string): Finding[] {
  const org = engine.model.organizations.get(name);
  if (!org) return [];
  const object = `Organization/${name}`;
  const findings: Finding[] = [];
  if (engine.organizations.cyclic.has(name)) {
    findings.push({ object, severity: 'warning', reason: 'ParentCycle', message: `spec.parent: ${name} is on a cycle of parents, so it has no ancestors` });
  } else if (org.parent !== undefined && !engine.model.organizations.has(org.parent)) {
    findings.push({ object, severity: 'warning', reason: 'ParentNotFound', message: `spec.parent: Organization ${org.parent} does not exist` });
  } else if (engine.organizations.tooDeep.has(name)) {
    findings.push({
      object,
      severity: 'warning',
      reason: 'ParentChainTooDeep',
      message: `spec.parent: more than ${MAX_ANCESTORS} ancestors; only the nearest ${MAX_ANCESTORS} count (members of farther ancestors are not members here)`,
    });
  }
  const conflicts = org.namespaces.filter((ns) => engine.organizations.conflicts.has(ns));
  for (const ns of conflicts) {
    const others = engine.organizations.conflicts.get(ns)!.filter((o) => o !== name);
    findings.push({ object, severity: 'warning', reason: 'NamespaceConflict', message: `spec.namespaces: ${ns} is also claimed by ${others.join(', ')}, so neither owns it` });
  }
  return findings;
}

/** The users behind each authorized-users count (`authorizedUsers` counts them; tests and docs name them). */
export interface AuthorizedUserSets {
  all: Set<string>;
  admins: Set<string>;
  throughGroups: Set<string>;
  throughTeams: Set<string>;
  throughCollaborations: Set<string>;
  throughEntities: Map<string, Set<string>>;
}

/**
 * The authorized users of an organization by filter. Costs its members, the members of the groups its memberships
 * name (once per group) and the distinct users its namespaces' entity grants reach per kind (the engine keeps those
 * per namespace: `Engine.entityReach`).
 */
export function authorizedUserSets(engine: EngineView, name: string): AuthorizedUserSets {
  const orgKind = engine.sets.kindRights('Organization');
  const out: AuthorizedUserSets = { all: new Set(), admins: new Set(), throughGroups: new Set(), throughTeams: new Set(), throughCollaborations: new Set(), throughEntities: new Map() };
  for (const [user, membership] of engine.organizationMembers(name)) {
    if (!holdsRights(engine.model.users.get(user))) continue;
    out.all.add(user);
    if (membership.direct) out.throughCollaborations.add(user);
    const rights = engine.rightsOn(user, { kind: 'Organization', namespace: undefined, key: `Organization/${name}` });
    if (rights === orgKind) out.admins.add(user);
  }
  // Which members came through a group, and which through a team: the active memberships naming a UserGroup, in the
  // organization or an ancestor (memberships flow down).
  for (const o of [name, ...(engine.organizations.ancestors.get(name) ?? [])]) {
    for (const key of engine.membershipCollaborations(o)) {
      const c = engine.model.collaborations.get(key)!;
      if (c.subject.kind !== 'UserGroup' || !engine.verdict(c.namespace, c.name)?.active) continue;
      const into = engine.model.groups.get(c.subject.name)?.organization === undefined ? out.throughGroups : out.throughTeams;
      for (const user of engine.groups.membersOf(c.subject.name)) if (out.all.has(user)) into.add(user);
    }
  }
  // The users the grants on its namespaces' entities reach, by kind: kept per namespace by the engine (entity-reach.ts).
  for (const ns of engine.organizations.owned.get(name) ?? []) {
    for (const [kind, reached] of engine.entityReach(ns)) {
      let users = out.throughEntities.get(kind);
      if (!users) out.throughEntities.set(kind, (users = new Set()));
      for (const user of reached) {
        users.add(user);
        out.all.add(user);
      }
    }
  }
  return out;
}

/**
 * The authorized-users counts of an organization's status: the sizes of `authorizedUserSets`, from what the engine
 * keeps (`Engine.organizationCounts`): its members holding rights by filter, as ids with a few bits each, moved by the
 * users each change names (organization-counts.ts), and the users its namespaces' entity grants reach, counted with
 * marks in a typed array, not sets of names (entity-reach.ts).
 */
export function authorizedUsers(engine: EngineView, name: string): AuthorizedUsers {
  const { members, reach } = engine.organizationCounts(name);
  return {
    all: reach.all,
    admins: members.admins,
    throughGroups: members.throughGroups,
    throughTeams: members.throughTeams,
    throughCollaborations: members.throughCollaborations,
    throughEntities: reach.byKind,
  };
}

export function organizationStatus(engine: EngineView, name: string): OrganizationStatus | undefined {
  const org = engine.model.organizations.get(name);
  if (!org) return undefined;
  const members = engine.organizationMembers(name);
  const problems = organizationProblems(engine, name);
  const first = problems[0];
  return {
    observedGeneration: org.generation,
    conditions: [
      first
        ? condition('Ready', false, first.reason, problems.map((p) => p.message).join('; '), org.generation)
        : condition('Ready', true, 'Reconciled', `${members.size} members; owns ${engine.organizations.owned.get(name)?.length ?? 0} namespaces`, org.generation),
    ],
    members: members.size,
    memberNames: boundedNames(members),
    namespaces: [...(engine.organizations.owned.get(name) ?? [])],
    ancestors: [...(engine.organizations.ancestors.get(name) ?? [])],
    authorizedUsers: authorizedUsers(engine, name),
    ownedUsers: engine.userIndex.ownedUsers(name).size,
  };
}

/** A UserGroup's findings, each published as a condition of its own (True while it lasts), and their severity. */
const USER_GROUP_FINDINGS = { MembershipCycle: 'warning', MissingMembers: 'warning', OrganizationNotFound: 'warning' } as const satisfies Record<string, Severity>;

/**
 * Condition types whose True status is a warning rather than health: the UserGroup findings of severity warning,
 * a User's AmbiguousIdentity (every request from that identity is denied at admission) and kstatus's Stalled. The
 * status writer records a Warning Event when one becomes True.
 */
export const WARNING_CONDITIONS: ReadonlySet<string> = new Set([
  ...Object.entries(USER_GROUP_FINDINGS).filter(([, severity]) => severity === 'warning').map(([reason]) => reason),
  'AmbiguousIdentity',
  'Stalled',
]);

export interface UserGroupStatus {
  observedGeneration: number;
  conditions: ConditionValue[];
  memberCount: number;
  memberNames: string[];
}

export function userGroupProblems(engine: EngineView, name: string): Finding[] {
  const group = engine.model.groups.get(name);
  if (!group) return [];
  const object = `UserGroup/${name}`;
  const findings: Finding[] = [];
  const finding = (reason: keyof typeof USER_GROUP_FINDINGS, message: string): void => void findings.push({ object, severity: USER_GROUP_FINDINGS[reason], reason, message });
  if (engine.groups.cyclic.has(name)) {
    finding('MembershipCycle', 'spec.members.groups: the group is on a cycle of nested groups; every group on it has the same members');
  }
  const missing = engine.groups.missingOf(group);
  if (missing.users.length + missing.groups.length > 0) {
    const parts = [];
    if (missing.users.length) parts.push(`spec.members.users: ${listText(missing.users)} ${missing.users.length === 1 ? 'does' : 'do'} not exist`);
    if (missing.groups.length) parts.push(`spec.members.groups: ${listText(missing.groups)} ${missing.groups.length === 1 ? 'does' : 'do'} not exist`);
    finding('MissingMembers', `${parts.join('; ')} (skipped)`);
  }
  if (group.organization !== undefined && !engine.model.organizations.has(group.organization)) {
    finding('OrganizationNotFound', `spec.organization: Organization ${group.organization} does not exist`);
  }
  return findings;
}

export function userGroupStatus(engine: EngineView, name: string): UserGroupStatus | undefined {
  const group = engine.model.groups.get(name);
  if (!group) return undefined;
  const members = engine.groups.membersOf(name);
  const problems = userGroupProblems(engine, name);
  return {
    observedGeneration: group.generation,
    conditions: [
      condition('Ready', true, 'Reconciled', `${members.size} members`, group.generation),
      ...problems.map((p) => ({ ...condition(p.reason, true, p.reason, p.message, group.generation) })),
    ],
    memberCount: members.size,
    memberNames: boundedNames(members),
  };
}

export interface CollaborationStatus {
  observedGeneration: number;
  conditions: ConditionValue[];
  grantedRights: string[];
}

export function collaborationProblems(engine: EngineView, namespace: string, name: string): Finding[] {
  const verdict = engine.verdict(namespace, name);
  if (!verdict) return [];
  return verdict.failures.map((f) => ({
    object: `Collaboration/${namespace}/${name}`,
    severity: 'error',
    reason: f.reason,
    message: f.message,
  }));
}

export function collaborationStatus(engine: EngineView, namespace: string, name: string, inputs?: StatusInputs): CollaborationStatus | undefined {
  return collaborationStatusOf(engine, `${namespace}/${name}`, inputs);
}

/**
 * The status of the Collaboration `namespace/name`: one look-up of the key as given (`statusOf` passes a slice of
 * its own key), not two look-ups of keys built again from its parts — most of what these 100,000 statuses cost at
 * start was hashing those new strings.
 */
function collaborationStatusOf(engine: EngineView, key: string, inputs?: StatusInputs): CollaborationStatus | undefined {
  const record = engine.collaboration(key);
  if (!record) return undefined;
  const { collab, verdict } = record;
  const g = collab.generation;
  const first = verdict.failures[0];
  const subjectMissing = verdict.failures.find((f) => f.reason === 'SubjectNotFound');
  const targetMissing = collab.target.kind === 'Organization' && !engine.model.organizations.has(collab.target.name);
  const accepted = first
    ? condition('Accepted', false, first.reason, verdict.failures.map((f) => f.message).join('; '), g)
    : condition('Accepted', true, 'Accepted', `Grants ${rightCount(verdict.granted === EMPTY ? 0 : engine.sets.rightNames(verdict.granted).length)}`, g);
  const resolved = subjectMissing
    ? condition('ResolvedRefs', false, 'SubjectNotFound', subjectMissing.message, g)
    : targetMissing
      ? condition('ResolvedRefs', false, 'TargetNotFound', `Organization ${collab.target.name} does not exist`, g)
      : condition('ResolvedRefs', true, 'Resolved', 'The subject exists', g);
  const specFailures = verdict.failures.filter((f) => SPEC_FAILURES.has(f.reason));
  const stalled = specFailures.length > 0 ? [stalledCondition(specFailures[0]!.reason, specFailures.map((f) => f.message).join('; '), g)] : [];
  // Ready: accepted, and its namespace's permission map in effect (a withheld or unwritten map grants none of it).
  const problem = inputs?.mapProblem;
  const ready = accepted.status === 'True' && problem ? condition('Ready', false, problem.reason, `${accepted.message}, but ${problem.message}`, g) : { ...accepted, type: 'Ready' };
  return {
    observedGeneration: g,
    conditions: [accepted, resolved, ready, ...stalled],
    grantedRights: engine.sets.rightNames(verdict.granted).slice(),
  };
}

const rightCount = (n: number): string => (n === 0 ? 'no right' : n === 1 ? '1 right' : `${n} rights`);

/**
 * The status of any object by key (`User/alice`, `Collaboration/acme/m-alice`), or undefined if it does not exist;
 * `inputs` (a Collaboration's only) say whether its namespace's permission map is in effect.
 */
export function statusOf(engine: EngineView, key: string, inputs?: StatusInputs): UserStatus | OrganizationStatus | UserGroupStatus | CollaborationStatus | undefined {
  const slash = key.indexOf('/');
  const name = key.slice(slash + 1);
  switch (key.slice(0, slash)) {
    case 'User':
      return userStatus(engine, name);
    case 'Organization':
      return organizationStatus(engine, name);
    case 'UserGroup':
      return userGroupStatus(engine, name);
    case 'Collaboration':
      return collaborationStatusOf(engine, name, inputs);
    default:
      return undefined;
  }
}

/** Every object key of the model. */
export function allObjectKeys(engine: EngineView): string[] {
  const m = engine.model;
  return [
    ...[...m.users.keys()].map((n) => `User/${n}`),
    ...[...m.organizations.keys()].map((n) => `Organization/${n}`),
    ...[...m.groups.keys()].map((n) => `UserGroup/${n}`),
    ...[...m.collaborations.keys()].map((k) => `Collaboration/${k}`),
  ].sort();
}

/** semantics §3–§4 findings of every object: errors (inactive collaborations, cycles of parents, conflicts) and warnings. */
export function allFindings(engine: EngineView): Finding[] {
  const findings: Finding[] = [];
  for (const name of [...engine.model.organizations.keys()].sort()) findings.push(...organizationProblems(engine, name));
  for (const name of [...engine.model.groups.keys()].sort()) findings.push(...userGroupProblems(engine, name));
  for (const key of [...engine.model.collaborations.keys()].sort()) {
    const [ns, name] = key.split('/');
    findings.push(...collaborationProblems(engine, ns!, name!));
  }
  return findings;
}
