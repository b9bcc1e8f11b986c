/**
 * The typed model the engine computes on: the four kinds, normalised (defaults applied, times parsed).
 * It is built the same way from manifest files (CLI) and from informer objects (controller).
 */
import { isKindName, type KindName } from '../api/kinds.ts';
import type { Collaboration, LabelSelector, Organization, User, UserGroup } from '../api/types.generated.ts';
import { parseTimestamp } from '../api/timestamp.ts';
import { uniqueNames } from './unique-names.ts';

export type UserState = 'Requested' | 'Approved' | 'Rejected' | 'Flagged' | 'Suspended';
export type SubjectKind = 'User' | 'UserGroup' | 'Organization';

export interface UserObject {
  kind: 'User';
  name: string;
  generation: number;
  labels: Readonly<Record<string, string>>;
  admin: boolean;
  state: UserState;
  /** Kubernetes usernames that act as this user at admission (admission.md §1). */
  identities: readonly string[];
  /** The owner Organization (ThingsBoard-style owned users, admission.md §3.2). */
  organization: string | undefined;
}

/** A set of users named the way a group's members are: listed users, nested groups, a label selector. */
export interface MemberSet {
  users: readonly string[];
  groups: readonly string[];
  selector: LabelSelector | undefined;
}

/** The annotation a non-admin creator sets on its Organization (admission.md §3.3). */
export const CREATED_BY_ANNOTATION = 'charter.dev/created-by';

export interface OrganizationObject {
  kind: 'Organization';
  name: string;
  generation: number;
  parent: string | undefined;
  namespaces: readonly string[];
  /** Default [RIGHT_ALL] (the catalog's all-right) is applied by the engine, which knows the catalog. */
  ownerRights: readonly string[] | undefined;
  /** Users the organization's administrators may authorize (admission.md §3.4); undefined: no limit. */
  availableUsers: MemberSet | undefined;
  /** The `charter.dev/created-by` annotation: the User that created it (admission.md §3.3). */
  createdBy: string | undefined;
}

export interface UserGroupObject {
  kind: 'UserGroup';
  name: string;
  generation: number;
  organization: string | undefined;
  users: readonly string[];
  groups: readonly string[];
  selector: LabelSelector | undefined;
}

export interface CollaborationObject {
  kind: 'Collaboration';
  namespace: string;
  name: string;
  generation: number;
  subject: { kind: SubjectKind; name: string };
  target: { kind: string; name: string };
  rights: readonly string[];
  role: string | undefined;
  /** Milliseconds since the epoch; undefined when the grant never expires. */
  expiresAt: number | undefined;
}

export type ModelObject = UserObject | OrganizationObject | UserGroupObject | CollaborationObject;

export interface Model {
  users: Map<string, UserObject>;
  organizations: Map<string, OrganizationObject>;
  groups: Map<string, UserGroupObject>;
  /** Keyed by `namespace/name`. */
  collaborations: Map<string, CollaborationObject>;
}

export function emptyModel(): Model {
  return { users: new Map(), organizations: new Map(), groups: new Map(), collaborations: new Map() };
}

/** The key of an object in its kind's table: `namespace/name` for a Collaboration, the name for the others. */
export function modelKey(object: { kind: string; name: string; namespace?: string | undefined }): string {
  return object.kind === 'Collaboration' ? `${object.namespace}/${object.name}` : object.name;
}

/** The model's four tables, read-only (a Model, or an engine's view of one). */
export type ModelTables = { readonly [K in 'users' | 'organizations' | 'groups' | 'collaborations']: ReadonlyMap<string, Model[K] extends Map<string, infer V> ? V : never> };

/** The model's object of this kind and key, or undefined. */
export function getObject(model: ModelTables, object: { kind: ModelObject['kind']; name: string; namespace?: string | undefined }): ModelObject | undefined {
  const key = modelKey(object);
  switch (object.kind) {
    case 'User':
      return model.users.get(key);
    case 'Organization':
      return model.organizations.get(key);
    case 'UserGroup':
      return model.groups.get(key);
    case 'Collaboration':
      return model.collaborations.get(key);
  }
}

/** Whether the model holds an object of this kind and key. */
export function hasObject(model: ModelTables, object: { kind: ModelObject['kind']; name: string; namespace?: string | undefined }): boolean {
  return getObject(model, object) !== undefined;
}

/** Puts an object into its kind's table, replacing one of the same key. */
export function putObject(model: Model, object: ModelObject): void {
  switch (object.kind) {
    case 'User':
      model.users.set(object.name, object);
      return;
    case 'Organization':
      model.organizations.set(object.name, object);
      return;
    case 'UserGroup':
      model.groups.set(object.name, object);
      return;
    case 'Collaboration':
      model.collaborations.set(modelKey(object), object);
      return;
  }
}

/** Removes an object by kind and key (`namespace` for a Collaboration). */
export function removeObject(model: Model, kind: ModelObject['kind'], name: string, namespace?: string): void {
  const key = modelKey({ kind, name, namespace });
  switch (kind) {
    case 'User':
      model.users.delete(key);
      return;
    case 'Organization':
      model.organizations.delete(key);
      return;
    case 'UserGroup':
      model.groups.delete(key);
      return;
    case 'Collaboration':
      model.collaborations.delete(key);
      return;
  }
}

/** `User/alice`, `Collaboration/acme/m-alice`: how objects are named in messages, provenance and change reports. */
export function objectKey(object: { kind: string; name: string; namespace?: string | undefined }): string {
  return object.namespace ? `${object.kind}/${object.namespace}/${object.name}` : `${object.kind}/${object.name}`;
}

/** Which object: its kind, its name, and its namespace when the kind is namespaced (Collaboration). */
export interface ObjectRef {
  kind: KindName;
  name: string;
  namespace?: string | undefined;
}

/**
 * An objectKey read back (`Collaboration/acme/m-alice` → kind, namespace, name); undefined when the text is not one:
 * an unknown kind, or a namespace missing on a Collaboration or present on a cluster-scoped kind.
 */
export function parseObjectKey(key: string): ObjectRef | undefined {
  const [kind, a, b, ...rest] = key.split('/');
  if (!isKindName(kind) || !a || rest.length > 0) return undefined;
  if (kind === 'Collaboration') return b ? { kind, namespace: a, name: b } : undefined;
  return b === undefined ? { kind, name: a } : undefined;
}

/**
 * Converts a schema-valid User manifest. The `...From` functions take objects the schema accepted: every value
 * they convert (a timestamp) has already been checked by the same parser. Lists lose their repeats; `previous`, the
 * same object before a change (a model object), only makes that cheaper for long lists (unique-names.ts): the result
 * is the same with or without it.
 */
export function userFrom(raw: User, previous?: UserObject): UserObject {
  return {
    kind: 'User',
    name: raw.metadata.name,
    generation: raw.metadata.generation ?? 1,
    labels: { ...(raw.metadata.labels ?? {}) },
    admin: raw.spec?.admin ?? false,
    state: raw.spec?.state ?? 'Approved',
    identities: uniqueNames(raw.spec?.identities ?? [], previous?.identities),
    organization: raw.spec?.organization,
  };
}

export function organizationFrom(raw: Organization, previous?: OrganizationObject): OrganizationObject {
  return {
    kind: 'Organization',
    name: raw.metadata.name,
    generation: raw.metadata.generation ?? 1,
    parent: raw.spec?.parent,
    namespaces: uniqueNames(raw.spec?.namespaces ?? [], previous?.namespaces),
    ownerRights: raw.spec?.ownerRights ? [...raw.spec.ownerRights] : undefined,
    availableUsers: raw.spec?.availableUsers
      ? {
          users: uniqueNames(raw.spec.availableUsers.users ?? [], previous?.availableUsers?.users),
          groups: uniqueNames(raw.spec.availableUsers.groups ?? [], previous?.availableUsers?.groups),
          selector: raw.spec.availableUsers.selector,
        }
      : undefined,
    createdBy: raw.metadata.annotations?.[CREATED_BY_ANNOTATION],
  };
}

export function userGroupFrom(raw: UserGroup, previous?: UserGroupObject): UserGroupObject {
  return {
    kind: 'UserGroup',
    name: raw.metadata.name,
    generation: raw.metadata.generation ?? 1,
    organization: raw.spec?.organization,
    users: uniqueNames(raw.spec?.members?.users ?? [], previous?.users),
    groups: uniqueNames(raw.spec?.members?.groups ?? [], previous?.groups),
    selector: raw.spec?.members?.selector,
  };
}

export function collaborationFrom(raw: Collaboration, namespace: string): CollaborationObject {
  return {
    kind: 'Collaboration',
    namespace,
    name: raw.metadata.name,
    generation: raw.metadata.generation ?? 1,
    subject: { kind: raw.spec.subject.kind, name: raw.spec.subject.name },
    target: { kind: raw.spec.target.kind, name: raw.spec.target.name },
    rights: [...new Set(raw.spec.rights ?? [])],
    role: raw.spec.role || undefined,
    // The schema's date-time format is this parser, so it parses; were it ever not to, the grant counts as long
    // expired (the epoch), never as one that does not expire.
    expiresAt: raw.spec.expiresAt === undefined ? undefined : (parseTimestamp(raw.spec.expiresAt) ?? 0),
  };
}
