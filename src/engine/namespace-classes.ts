/**
 * The users of a namespace grouped by what reaches them there (what a permission map's rows are made of): users that
 * the same grant subjects reach — the same subject groups, the same masks M*(u, o) in the organizations involved
 * (the owner, and the organizations granted entities there), no grant naming them directly, the same admin flag —
 * hold the same rights in the namespace, so their rights are computed once per class instead of once per user.
 *
 * The walk visits each subject's members once (a group granted ten entities of the namespace: its members once, not
 * ten times) and gives each user a signature: the subjects that reach it, in a fixed order. Rights are then derived
 * per signature from the subjects' grants (semantics §5.2–§5.4), the same as `Engine.namespaceEntities`,
 * `namespaceDefaults` and `organizationRows` give user by user (the permission-map tests hold the two equal).
 * One user's class can also be found from the user's side (`userClassIn`, over the namespace's `namespaceSubjects`):
 * what the incremental permission maps use to move only the users a change names.
 */
import type { EngineState } from './engine-state.ts';
import { EMPTY, type RightSetId } from './right-sets.ts';

/** Users holding the same rights in a namespace. */
export interface RightsClass {
  /** In no particular order. */
  users: string[];
  /** Approved administrators (whose admin rights the map takes into account). */
  admin: boolean;
  /** Rights on `Organization/<owner>`: M*(u, owner) ∩ the Organization kind's rights; EMPTY when none. */
  organization: RightSetId;
  /** Kind → rights on every entity of the kind (ownership, §5.4), kinds with none left out. */
  defaults: ReadonlyMap<string, RightSetId>;
  /** Entity key → rights from the grants on it (not ∩ kind rights), entities with none left out. */
  entities: ReadonlyMap<string, RightSetId>;
}

export interface Grant {
  key: string;
  granted: RightSetId;
}

const NO_DEFAULTS: ReadonlyMap<string, RightSetId> = new Map();

/** Signature tokens below the group indices (which are ≥ 0). */
const OWNER = -1;
const ADMIN = -2;
const DIRECT = -3;
/** Organization subject j is the token ORGANIZATION - j, followed by the member's mask. */
const ORGANIZATION = -4;

/**
 * What reaches users in a namespace: its active entity grants by subject (a user directly, a group, an organization)
 * and its owner. Computed from the namespace's grants alone (a few look-ups per grant), so it is cheap to recompute
 * after a change; a user's class is then found from the user's own groups and memberships (`userClassIn`).
 */
export interface NamespaceSubjects {
  readonly namespace: string;
  readonly owner: string | undefined;
  readonly direct: ReadonlyMap<string, readonly Grant[]>;
  readonly byGroup: ReadonlyMap<string, readonly Grant[]>;
  readonly byOrganization: ReadonlyMap<string, readonly Grant[]>;
  /** `byGroup`'s keys in order: a group's token is its position. */
  readonly groupNames: readonly string[];
  readonly groupToken: ReadonlyMap<string, number>;
  /** `byOrganization`'s keys in order: organization j's token is ORGANIZATION - j. */
  readonly organizations: readonly string[];
}

export function namespaceSubjects(state: EngineState, namespace: string): NamespaceSubjects {
  const direct = new Map<string, Grant[]>();
  const byGroup = new Map<string, Grant[]>();
  const byOrganization = new Map<string, Grant[]>();
  const add = (into: Map<string, Grant[]>, subject: string, grant: Grant): void => {
    const list = into.get(subject);
    if (list) list.push(grant);
    else into.set(subject, [grant]);
  };
  for (const record of state.grants.inNamespace(namespace)) {
    const verdict = record.verdict;
    if (!verdict.active || verdict.granted === EMPTY || record.target.organization !== undefined) continue;
    const subject = record.collab.subject;
    const grant = { key: record.target.key, granted: verdict.granted };
    if (subject.kind === 'User') add(direct, subject.name, grant);
    else if (subject.kind === 'UserGroup') add(byGroup, subject.name, grant);
    else add(byOrganization, subject.name, grant);
  }
  const groupNames = [...byGroup.keys()];
  return {
    namespace,
    owner: state.organizations.owner.get(namespace),
    direct,
    byGroup,
    byOrganization,
    groupNames,
    groupToken: new Map(groupNames.map((g, k) => [g, k])),
    organizations: [...byOrganization.keys()],
  };
}

/**
 * The classes of users holding some right in a namespace through its grants or its owner's memberships (users that
 * hold rights: Approved or Flagged). Users reached by nothing (administrators only through admin rights) are in none.
 */
export function namespaceClasses(state: EngineState, namespace: string): RightsClass[] {
  const { restricted, groups, memberships, model } = state;
  const subjects = namespaceSubjects(state, namespace);
  const { owner, direct, groupNames, organizations } = subjects;

  // Signatures: each user's tokens, subject by subject in a fixed order, so equal signatures mean equal rights.
  const tokens = new Map<string, number[]>();
  const push = (user: string, a: number, b?: number): void => {
    let list = tokens.get(user);
    if (!list) tokens.set(user, (list = []));
    list.push(a);
    if (b !== undefined) list.push(b);
  };
  if (owner !== undefined) for (const [user, m] of memberships.membersOf(owner)) if (!restricted.has(user)) push(user, OWNER, m.mask);
  organizations.forEach((org, j) => {
    for (const [user, m] of memberships.membersOf(org)) if (!restricted.has(user)) push(user, ORGANIZATION - j, m.mask);
  });
  groupNames.forEach((group, k) => {
    for (const user of groups.membersOf(group)) if (!restricted.has(user)) push(user, k);
  });
  for (const user of direct.keys()) if (model.users.has(user) && !restricted.has(user)) push(user, DIRECT);
  for (const admin of state.admins) tokens.get(admin)?.push(ADMIN);

  const bySignature = new Map<string, { tokens: number[]; user: string; users: string[] }>();
  for (const [user, list] of tokens) {
    // A user named directly by a grant has rights of its own: its class is itself.
    const signature = list.includes(DIRECT) ? `${user}\u0000` : list.join(',');
    const entry = bySignature.get(signature);
    if (entry) entry.users.push(user);
    else bySignature.set(signature, { tokens: list, user, users: [user] });
  }
  const classes: RightsClass[] = [];
  for (const { tokens: list, user, users } of bySignature.values()) classes.push(classOf(state, subjects, list, user, users));
  return classes;
}

/**
 * The class one user is in within a namespace (with `users` just that user), found from the user's side: its
 * memberships, its groups, the grants naming it. Undefined when nothing reaches it there (as `namespaceClasses`
 * leaves it out). Same rights as the class `namespaceClasses` puts it in (the incremental map tests hold them equal).
 */
export function userClassIn(state: EngineState, subjects: NamespaceSubjects, user: string): RightsClass | undefined {
  if (state.restricted.has(user)) return undefined;
  const list: number[] = [];
  const memberships = state.memberships.of(user);
  if (memberships !== undefined) {
    if (subjects.owner !== undefined) {
      const m = memberships.get(subjects.owner);
      if (m) list.push(OWNER, m.mask);
    }
    subjects.organizations.forEach((org, j) => {
      const m = memberships.get(org);
      if (m) list.push(ORGANIZATION - j, m.mask);
    });
  }
  if (subjects.groupNames.length > 0) {
    const userGroups = state.groups.groupsOf(user);
    if (userGroups.size <= subjects.groupNames.length) {
      for (const group of userGroups) {
        const k = subjects.groupToken.get(group);
        if (k !== undefined) list.push(k);
      }
    } else {
      subjects.groupNames.forEach((group, k) => {
        if (userGroups.has(group)) list.push(k);
      });
    }
  }
  if (subjects.direct.has(user) && state.model.users.has(user)) list.push(DIRECT);
  if (list.length === 0) return undefined;
  if (state.admins.has(user)) list.push(ADMIN);
  return classOf(state, subjects, list, user, [user]);
}

/** The rights of the users with these tokens (`user`: whose direct grants count, when DIRECT is among them). */
function classOf(state: EngineState, subjects: NamespaceSubjects, list: readonly number[], user: string, users: string[]): RightsClass {
  const { sets, ownership } = state;
  const { byGroup, byOrganization, direct, groupNames, organizations, owner } = subjects;
  const entities = new Map<string, RightSetId>();
  const grant = (key: string, set: RightSetId): void => {
    if (set === EMPTY) return;
    const current = entities.get(key);
    entities.set(key, current === undefined ? set : sets.union(current, set));
  };
  let organization = EMPTY;
  let defaults = NO_DEFAULTS;
  for (let t = 0; t < list.length; t++) {
    const token = list[t]!;
    if (token >= 0) {
      for (const g of byGroup.get(groupNames[token]!)!) grant(g.key, g.granted);
    } else if (token === OWNER) {
      const mask = list[++t]!;
      organization = sets.intersect(mask, sets.kindRights('Organization'));
      defaults = ownership.of(owner!, mask);
    } else if (token === DIRECT) {
      for (const g of direct.get(user)!) grant(g.key, g.granted);
    } else if (token <= ORGANIZATION) {
      const mask = list[++t]!;
      for (const g of byOrganization.get(organizations[ORGANIZATION - token]!)!) grant(g.key, sets.intersect(mask, g.granted));
    }
  }
  return { users, admin: list.at(-1) === ADMIN, organization, defaults, entities };
}
