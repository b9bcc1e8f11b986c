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

interface Grant {
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
 * The classes of users holding some right in a namespace through its grants or its owner's memberships (users that
 * hold rights: Approved or Flagged). Users reached by nothing (administrators only through admin rights) are in none.
 */
export function namespaceClasses(state: EngineState, namespace: string): RightsClass[] {
  const { sets, restricted, groups, memberships, model, ownership } = state;
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

  // Signatures: each user's tokens, subject by subject in a fixed order, so equal signatures mean equal rights.
  const tokens = new Map<string, number[]>();
  const push = (user: string, a: number, b?: number): void => {
    let list = tokens.get(user);
    if (!list) tokens.set(user, (list = []));
    list.push(a);
    if (b !== undefined) list.push(b);
  };
  const owner = state.organizations.owner.get(namespace);
  if (owner !== undefined) for (const [user, m] of memberships.membersOf(owner)) if (!restricted.has(user)) push(user, OWNER, m.mask);
  const organizations = [...byOrganization.keys()];
  organizations.forEach((org, j) => {
    for (const [user, m] of memberships.membersOf(org)) if (!restricted.has(user)) push(user, ORGANIZATION - j, m.mask);
  });
  const groupNames = [...byGroup.keys()];
  groupNames.forEach((group, k) => {
    for (const user of groups.membersOf(group)) if (!restricted.has(user)) push(user, k);
  });
  for (const user of direct.keys()) if (model.users.has(user) && !restricted.has(user)) push(user, DIRECT);
  for (const admin of state.admins) tokens.get(admin)?.push(ADMIN);

  const bySignature = new Map<string, { tokens: number[]; user: string; users: string[] }>();
  const classes: RightsClass[] = [];
  for (const [user, list] of tokens) {
    // A user named directly by a grant has rights of its own: its class is itself.
    const signature = list.includes(DIRECT) ? `${user}\u0000` : list.join(',');
    const entry = bySignature.get(signature);
    if (entry) entry.users.push(user);
    else bySignature.set(signature, { tokens: list, user, users: [user] });
  }
  for (const { tokens: list, user, users } of bySignature.values()) {
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
    classes.push({ users, admin: list.at(-1) === ADMIN, organization, defaults, entities });
  }
  return classes;
}
