/**
 * Which Collaborations count (semantics §3): a chain of small decisions, each returning the reason and message of
 * a failure, or nothing. All failures are reported; the first one is the condition's reason.
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

type Check = (collab: CollaborationObject, ctx: CheckContext) => Failure | undefined;

const isRight = (catalog: Catalog, right: string): boolean => catalog.rightIndex.has(right) || catalog.pseudoRights.has(right);

const knownRights: Check = (c, { catalog }) => {
  const unknown = c.rights.filter((r) => !isRight(catalog, r));
  if (unknown.length === 0) return undefined;
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
  const bad = c.rights.filter((r) => {
    if (!isRight(catalog, r) || r === catalog.allRight || r === info.allRight) return false;
    const i = catalog.rightIndex.get(r);
    return i === undefined || catalog.kindOfRight[i] !== kind;
  });
  if (bad.length > 0) return { reason: 'RightsNotApplicable', message: `spec.rights: ${bad.join(', ')} ${bad.length === 1 ? 'is not a right' : 'are not rights'} of kind ${kind}` };
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

/** The checks in the order of semantics §3. */
const CHECKS: readonly Check[] = [knownRights, knownRole, applicableRights, validTarget, notNested, namespaceOwned, notExpired, subjectExists];

/** Every failure of the collaboration, in the order of §3; empty when it is active. */
export function checkCollaboration(collab: CollaborationObject, ctx: CheckContext): Failure[] {
  const failures: Failure[] = [];
  for (const check of CHECKS) {
    const failure = check(collab, ctx);
    if (failure) failures.push(failure);
  }
  return failures;
}
