/** Small object builders for engine tests (cert-manager style): `user('alice', { admin: true })`. */
import { loadCatalog } from '../../../src/catalog/load-catalog.ts';
import { Engine, type EngineOptions, type HoldingsSummary } from '../../../src/engine/engine.ts';
import { parseEntity } from '../../../src/engine/entities.ts';
import { evaluate } from '../../../src/engine/evaluate.ts';
import type { CollaborationObject, Model, OrganizationObject, UserGroupObject, UserObject } from '../../../src/model/model.ts';
import { emptyModel, putObject } from '../../../src/model/model.ts';

export function user(name: string, opts: Partial<Omit<UserObject, 'kind' | 'name'>> = {}): UserObject {
  return { kind: 'User', name, generation: 1, labels: {}, admin: false, state: 'Approved', identities: [], organization: undefined, ...opts };
}

export function org(name: string, opts: Partial<Omit<OrganizationObject, 'kind' | 'name'>> = {}): OrganizationObject {
  return { kind: 'Organization', name, generation: 1, parent: undefined, namespaces: [], ownerRights: undefined, availableUsers: undefined, createdBy: undefined, ...opts };
}

export function group(name: string, opts: Partial<Omit<UserGroupObject, 'kind' | 'name'>> = {}): UserGroupObject {
  return { kind: 'UserGroup', name, generation: 1, organization: undefined, users: [], groups: [], selector: undefined, ...opts };
}

/** `collab('acme/m-alice', 'User/alice', 'Organization/acme', ['RIGHT_ORGANIZATION_INFO'])` */
export function collab(id: string, subject: string, target: string, rights: string[], opts: Partial<CollaborationObject> = {}): CollaborationObject {
  const [namespace, name] = id.split('/') as [string, string];
  const [sk, sn] = subject.split('/') as [CollaborationObject['subject']['kind'], string];
  const [tk, tn] = target.split('/') as [string, string];
  return { kind: 'Collaboration', namespace, name, generation: 1, subject: { kind: sk, name: sn }, target: { kind: tk, name: tn }, rights, role: undefined, expiresAt: undefined, ...opts };
}

export function modelOf(...objects: Array<UserObject | OrganizationObject | UserGroupObject | CollaborationObject>): Model {
  const model = emptyModel();
  for (const o of objects) putObject(model, o);
  return model;
}

export function engineOf(model: Model, options: EngineOptions & { now?: number } = {}): Engine {
  return new Engine(model, loadCatalog(), options, options.now ?? Date.parse('2026-06-01T00:00:00Z'));
}

/** The rights of a user on an entity, by the reference evaluation; also checks the profile path agrees. */
export function rights(engine: Engine, userName: string, entity: string): string[] {
  const ref = parseEntity(entity, engine.catalog);
  const reference = [...engine.sets.rightNames(evaluate(engine, userName, ref).rights)];
  if (ref.kind !== 'User') {
    const key = ref.namespace === undefined ? `${ref.kind}/${ref.name}` : `${ref.kind}/${ref.namespace}/${ref.name}`;
    const fromProfile = [...engine.sets.rightNames(engine.rightsOn(userName, { kind: ref.kind, namespace: ref.namespace, key }))];
    if (fromProfile.join() !== reference.join()) {
      throw new Error(`profile and evaluation disagree for ${userName} on ${entity}: ${fromProfile.join()} vs ${reference.join()}`);
    }
  }
  return reference;
}

/** Strips the RIGHT_<KIND>_ prefix, for readable expectations. */
export const short = (list: string[]): string[] => list.map((r) => r.replace(/^RIGHT_(APPLICATION|GATEWAY|CLIENT|ORGANIZATION|USER)_/, ''));

/** Rights each target kind accepts, for generated grants (a Collaboration naming a right of another kind counts for nothing). */
export const APPLICABLE_RIGHTS: Record<string, string[]> = {
  Application: ['RIGHT_APPLICATION_INFO', 'RIGHT_APPLICATION_LINK', 'RIGHT_ALL'],
  Gateway: ['RIGHT_GATEWAY_INFO', 'RIGHT_GATEWAY_LINK', 'RIGHT_ALL'],
  Organization: ['RIGHT_ORGANIZATION_INFO', 'RIGHT_APPLICATION_INFO', 'RIGHT_GATEWAY_INFO', 'RIGHT_ALL'],
};

/** The summary as derived from `holdings`: every entity once, by kind; the namespaces of entities, organizations and ownership. */
export function summaryFromHoldings(engine: Engine, name: string): HoldingsSummary {
  const holdings = engine.holdings(name);
  const byKind: Record<string, number> = {};
  const namespaces = new Set<string>(holdings.defaultNamespaces);
  for (const entity of holdings.entities) {
    byKind[entity.kind] = (byKind[entity.kind] ?? 0) + 1;
    if (entity.namespace !== undefined) namespaces.add(entity.namespace);
    else for (const ns of engine.organizations.owned.get(entity.organization!) ?? []) namespaces.add(ns);
  }
  return {
    entities: Object.values(byKind).reduce((a, b) => a + b, 0),
    byKind: Object.fromEntries(Object.entries(byKind).sort(([a], [b]) => (a < b ? -1 : 1))),
    namespaces: [...namespaces].sort(),
  };
}
