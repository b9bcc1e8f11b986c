/**
 * Which Collaborations count (semantics §3): a chain of small decisions, each returning the reason and message of
 * a failure, or nothing. All failures are reported; the first one is the condition's reason.
 *
 * Each check declares what it reads besides the Collaboration itself and the catalog (`reads`): the engine
 * re-judges a Collaboration when one of those inputs moves (propagation.ts), and only then. A check that reads a
 * new input declares it here; an input no `CheckInput` names needs a new one, honoured in propagation.ts.
 */
import type { Catalog } from '../catalog/catalog.ts';
import type { CollaborationObject, Model } from '../model/model.ts';
import type { OrganizationStructure } from './organizations.ts';

export type CollaborationReason =
  | 'UnknownRight'
  | 'UnknownRole'
  | 'RightsNotApplicable'
  | 'InvalidTarget'
  | 'NestedOrganizations'
  | 'NamespaceNotOwned'
  | 'Expired'
  | 'SubjectNotFound';

export interface Failure {
  reason: CollaborationReason;
  message: string;
}

export interface CheckContext {
  catalog: Catalog;
  model: Model;
  organizations: OrganizationStructure;
  now: number;
}

/**
 * What a check may read besides the Collaboration and the catalog (neither changes under the engine: a changed
 * Collaboration is judged anew whole). Each names a part of the engine's state whose change re-judges the
 * Collaborations of the checks that declare it.
 */
export type CheckInput =
  /** Whether the User, UserGroup or Organization that spec.subject names exists. */
  | 'subjectExistence'
  /** The object spec.subject names: whether it exists and every field of it (a User's state, a group's members list). */
  | 'subject'
  /** For a membership, the Organization spec.target names: whether it exists and every field of it. */
  | 'targetOrganization'
  /** Which Organizations claim the Collaboration's namespace, hence which one owns it (semantics §4). */
  | 'namespaceClaims'
  /** The evaluation time, against spec.expiresAt (the engine re-judges when time passes an expiresAt). */
  | 'expiry';

export interface CollaborationCheck {
  /** For messages and tests. */
  name: string;
  /** Everything the check reads besides the Collaboration and the catalog. */
  reads: readonly CheckInput[];
  /** The failure, or undefined when the Collaboration passes. */
  check: (collab: CollaborationObject, ctx: CheckContext) => Failure | undefined;
}

type Check = CollaborationCheck['check'];

const isRight = (catalog: Catalog, right: string): boolean => catalog.rightIndex.has(right) || catalog.pseudoRights.has(right);

const knownRights: Check = (c, { catalog }) => {
  let unknown: string[] | undefined; // made only for a failure: nearly every Collaboration passes
  for (const r of c.rights) if (!isRight(catalog, r)) (unknown ??= []).push(r);
  if (unknown === undefined) return undefined;
  return { reason: 'UnknownRight', message: `spec.rights: ${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not in the catalog ${catalog.name}` };
};

const knownRole: Check = (c, { catalog }) => {
  if (c.role === undefined || catalog.roles.has(c.role)) return undefined;
  const roles = [...catalog.roles.keys()];
  return { reason: 'UnknownRole', message: `spec.role: ${c.role} is not a role of the catalog ${catalog.name}${roles.length ? ` (roles: ${roles.join(', ')})` : ' (it defines no roles)'}` };
};

const validTarget: Check = (c, { catalog }) => {
  if (c.target.kind === 'User') return { reason: 'InvalidTarget', message: 'spec.target: a User cannot be the target of a Collaboration (users hold rights on themselves)' };
  if (c.target.kind !== 'Organization' && !catalog.kinds.has(c.target.kind)) {
    return { reason: 'InvalidTarget', message: `spec.target.kind: ${c.target.kind} is not an entity kind of the catalog ${catalog.name} (kinds: ${[...catalog.kinds.keys()].join(', ')})` };
  }
  return undefined;
};

const notNested: Check = (c) =>
  c.subject.kind === 'Organization' && c.target.kind === 'Organization'
    ? { reason: 'NestedOrganizations', message: `Organization ${c.subject.name} cannot be a member of Organization ${c.target.name}: organizations do not nest (use spec.parent for a hierarchy)` }
    : undefined;

const applicableRights: Check = (c, { catalog }) => {
  const kind = c.target.kind;
  if (kind === 'Organization' || !catalog.kinds.has(kind)) return undefined;
  const info = catalog.kinds.get(kind)!;
  let bad: string[] | undefined;
  for (const r of c.rights) {
    if (!isRight(catalog, r) || r === catalog.allRight || r === info.allRight) continue;
    const i = catalog.rightIndex.get(r);
    if (i === undefined || catalog.kindOfRight[i] !== kind) (bad ??= []).push(r);
  }
  if (bad !== undefined) return { reason: 'RightsNotApplicable', message: `spec.rights: ${bad.join(', ')} ${bad.length === 1 ? 'is not a right' : 'are not rights'} of kind ${kind}` };
  if (c.rights.length === 0 && c.role !== undefined && catalog.roles.has(c.role)) {
    const kindRights = new Set(info.rights);
    const expanded = catalog.roles.get(c.role)!.flatMap((r) => catalog.pseudoRights.get(r) ?? [catalog.rightIndex.get(r)!]);
    if (!expanded.some((i) => kindRights.has(i))) return { reason: 'RightsNotApplicable', message: `spec.role: role ${c.role} holds no right of kind ${kind}` };
  }
  return undefined;
};

const namespaceOwned: Check = (c, { organizations }) => {
  if (c.target.kind !== 'Organization') return undefined;
  if (organizations.owner.get(c.namespace) === c.target.name) return undefined;
  const conflict = organizations.conflicts.get(c.namespace);
  const why = conflict ? `it is claimed by ${conflict.join(' and ')}, so owned by none` : organizations.owner.has(c.namespace) ? `it is owned by ${organizations.owner.get(c.namespace)}` : 'no organization owns it';
  return { reason: 'NamespaceNotOwned', message: `Organization ${c.target.name} does not own namespace ${c.namespace} (${why}); a membership must live in a namespace of its organization` };
};

const notExpired: Check = (c, { now }) =>
  c.expiresAt !== undefined && !(c.expiresAt > now) ? { reason: 'Expired', message: `expired at ${new Date(c.expiresAt).toISOString()}` } : undefined;

const subjectExists: Check = (c, { model }) => {
  const { kind, name } = c.subject;
  const exists = kind === 'User' ? model.users.has(name) : kind === 'UserGroup' ? model.groups.has(name) : model.organizations.has(name);
  return exists ? undefined : { reason: 'SubjectNotFound', message: `${kind} ${name} does not exist (yet): the grant takes effect when it appears` };
};

/** The checks in the order of semantics §3, with what each reads. */
export const CHECKS: readonly CollaborationCheck[] = [
  { name: 'knownRights', reads: [], check: knownRights },
  { name: 'knownRole', reads: [], check: knownRole },
  { name: 'applicableRights', reads: [], check: applicableRights },
  { name: 'validTarget', reads: [], check: validTarget },
  { name: 'notNested', reads: [], check: notNested },
  { name: 'namespaceOwned', reads: ['namespaceClaims'], check: namespaceOwned },
  { name: 'notExpired', reads: ['expiry'], check: notExpired },
  { name: 'subjectExists', reads: ['subjectExistence'], check: subjectExists },
];

/** Every input some check reads: what a change must move for the engine to re-judge. */
export function inputsRead(checks: readonly CollaborationCheck[]): ReadonlySet<CheckInput> {
  return new Set(checks.flatMap((c) => c.reads));
}

/** Every failure of the collaboration, in the order of the checks; empty when it is active. */
export function checkCollaboration(collab: CollaborationObject, ctx: CheckContext, checks: readonly CollaborationCheck[] = CHECKS): Failure[] {
  const failures: Failure[] = [];
  for (const { check } of checks) {
    const failure = check(collab, ctx);
    if (failure) failures.push(failure);
  }
  return failures;
}
