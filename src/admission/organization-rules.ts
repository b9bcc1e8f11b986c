/**
 * admission.md §3.3, an Organization created, changed or deleted: the create right on oneself (namespaces, parent
 * and ownerRights by admins only; the creator names itself in charter.dev/created-by, immutable afterwards);
 * displayName with the basic-settings right, everything else (metadata too: labels, annotations, finalizers,
 * ownerReferences; not kubectl apply's last-applied annotation) by admins; deletion with the delete right; LastOwner
 * for the organizations below it.
 */
import { CREATED_BY_ANNOTATION, type OrganizationObject } from '../model/model.ts';
import type { Context } from './context.ts';
import type { Denial } from './decide.ts';
import { lastOwner } from './last-owner.ts';
import { denial } from './reasons.ts';
import { LAST_APPLIED_ANNOTATION, metadataChanges, specField, type ParsedRequest } from './request.ts';

/** spec fields only admins set or change (everything but displayName). */
const ADMIN_FIELDS = ['namespaces', 'parent', 'ownerRights', 'availableUsers'] as const;

/** Annotations not judged as metadata changes: created-by (immutable, its own rule) and kubectl apply's record. */
const IGNORED_ANNOTATIONS: ReadonlySet<string> = new Set([CREATED_BY_ANNOTATION, LAST_APPLIED_ANNOTATION]);

export function judgeOrganization(ctx: Context, request: ParsedRequest): Denial[] {
  const { engine, holdings } = ctx;
  const administration = engine.catalog.administration;
  const before = request.before as OrganizationObject | undefined;
  const after = request.after as OrganizationObject | undefined;
  const name = (after ?? before)!.name;
  const requester = `User/${holdings.user}`;
  const denials: Denial[] = [];

  if (request.operation === 'CREATE') {
    // Claiming a namespace another organization owns takes its memberships there and its entities' ownership.
    if (holdings.admin) return lastOwner(engine, { kind: 'Organization', name }, after);
    const create = administration.organizationCreate;
    if (create === undefined) denials.push(denial('NotPermitted', `${requester} is not an admin, and only admins create organizations (the catalog ${engine.catalog.name} names no right for it)`));
    else if (!holdings.holds(create, `User/${holdings.user}`)) denials.push(denial('NotPermitted', `${requester} does not hold ${create} on ${requester} (creating an organization requires it)`));
    const set = (['namespaces', 'parent', 'ownerRights'] as const).filter((f) => specField(request.rawAfter, f) !== undefined);
    if (set.length > 0) denials.push(denial('AdminOnly', `${set.map((f) => `spec.${f}`).join(', ')} of Organization/${name} ${set.length === 1 ? 'is' : 'are'} set by admins only (claiming a namespace hands over every entity in it)`));
    if (after!.createdBy !== holdings.user) {
      denials.push(denial('NotPermitted', `metadata.annotations[${CREATED_BY_ANNOTATION}]: a non-admin creator names itself; expected ${JSON.stringify(holdings.user)}; found ${after!.createdBy === undefined ? 'nothing' : JSON.stringify(after!.createdBy)}`));
    }
    return denials;
  }

  if (request.operation === 'DELETE') {
    const del = administration.organizationDelete;
    if (!holdings.admin && !(del !== undefined && holdings.holds(del, `Organization/${name}`))) {
      denials.push(denial('NotPermitted', del === undefined ? `${requester} is not an admin, and only admins delete organizations` : `${requester} does not hold ${del} on Organization/${name} (deleting it requires it)`));
    }
    if (!holdings.admin) {
      // A namespace two organizations claim is owned by neither; deleting one claimant hands it to the other.
      for (const ns of before!.namespaces) {
        const others = (engine.organizations.conflicts.get(ns) ?? []).filter((o) => o !== name);
        if (others.length > 0) denials.push(denial('AdminOnly', `deleting Organization/${name} hands namespace ${ns} to ${others.map((o) => `Organization/${o}`).join(', ')} (it claims it too): admins only`));
      }
    }
    denials.push(...lastOwner(engine, { kind: 'Organization', name }, undefined));
    return denials;
  }

  // UPDATE
  if (before!.createdBy !== after!.createdBy) {
    denials.push(denial('NotPermitted', `metadata.annotations[${CREATED_BY_ANNOTATION}] of Organization/${name} is immutable (found ${JSON.stringify(before!.createdBy ?? null)}, then ${JSON.stringify(after!.createdBy ?? null)})`));
  }
  if (!holdings.admin) {
    if (specField(request.rawBefore, 'displayName') !== specField(request.rawAfter, 'displayName')) {
      const settings = administration.organizationSettings;
      if (settings === undefined || !holdings.holds(settings, `Organization/${name}`)) {
        denials.push(denial('NotPermitted', settings === undefined ? `${requester} is not an admin, and only admins change an organization's displayName` : `${requester} does not hold ${settings} on Organization/${name} (changing its displayName requires it)`));
      }
    }
    // Metadata too: labels, annotations (but created-by, judged above, and kubectl apply's), finalizers, ownerReferences.
    const changed = [...ADMIN_FIELDS.filter((f) => specField(request.rawBefore, f) !== specField(request.rawAfter, f)).map((f) => `spec.${f}`), ...metadataChanges(request.rawBefore, request.rawAfter, IGNORED_ANNOTATIONS)];
    if (changed.length > 0) denials.push(denial('AdminOnly', `${changed.join(', ')} of Organization/${name} ${changed.length === 1 ? 'is' : 'are'} changed by admins only`));
  }
  const structural = before!.parent !== after!.parent || specField(request.rawBefore, 'namespaces') !== specField(request.rawAfter, 'namespaces') || specField(request.rawBefore, 'ownerRights') !== specField(request.rawAfter, 'ownerRights');
  if (structural) denials.push(...lastOwner(engine, { kind: 'Organization', name }, after));
  return denials;
}
