/** fast-check arbitraries for random models and random changes over small universes (so that names collide). */
import fc from 'fast-check';
import type { Change } from '../../../src/engine/engine.ts';
import type { CollaborationObject, Model, ModelObject, OrganizationObject, UserGroupObject, UserObject } from '../../../src/model/model.ts';
import { emptyModel, putObject, removeObject } from '../../../src/model/model.ts';

export const T0 = Date.parse('2026-06-01T00:00:00Z');
const USERS = ['u0', 'u1', 'u2', 'u3', 'u4', 'u5'];
const GROUPS = ['g0', 'g1', 'g2', 'g3', 'g4'];
const ORGS = ['o0', 'o1', 'o2', 'o3'];
const NAMESPACES = ['n0', 'n1', 'n2', 'n3'];
const ENTITIES = ['e0', 'e1', 'e2'];
/** Rights the random Collaborations draw from, an unknown one among them. */
export const RIGHTS = [
  'RIGHT_ALL',
  'RIGHT_APPLICATION_ALL',
  'RIGHT_APPLICATION_INFO',
  'RIGHT_APPLICATION_LINK',
  'RIGHT_APPLICATION_DEVICES_READ_KEYS',
  'RIGHT_APPLICATION_TRAFFIC_READ',
  'RIGHT_GATEWAY_ALL',
  'RIGHT_GATEWAY_LINK',
  'RIGHT_GATEWAY_INFO',
  'RIGHT_ORGANIZATION_INFO',
  'RIGHT_ORGANIZATION_ALL',
  'RIGHT_USER_INFO',
  'RIGHT_NOT_A_RIGHT',
];

const generation = fc.integer({ min: 1, max: 5 });

export const userArb: fc.Arbitrary<UserObject> = fc.record({
  kind: fc.constant('User' as const),
  name: fc.constantFrom(...USERS),
  generation,
  labels: fc.dictionary(fc.constantFrom('team', 'tier'), fc.constantFrom('x', 'y'), { maxKeys: 2 }),
  admin: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
  state: fc.constantFrom('Approved', 'Approved', 'Approved', 'Flagged', 'Requested', 'Rejected', 'Suspended' as const) as fc.Arbitrary<UserObject['state']>,
  // Few identities, so that two users sometimes list the same one (AmbiguousIdentity in both statuses).
  identities: fc.uniqueArray(fc.constantFrom('id-a', 'id-b', 'id-c'), { maxLength: 2 }),
  organization: fc.option(fc.constantFrom(...ORGS), { nil: undefined, freq: 3 }),
});

export const groupArb: fc.Arbitrary<UserGroupObject> = fc.record({
  kind: fc.constant('UserGroup' as const),
  name: fc.constantFrom(...GROUPS),
  generation,
  organization: fc.option(fc.constantFrom(...ORGS), { nil: undefined }),
  users: fc.uniqueArray(fc.constantFrom(...USERS, 'ghost'), { maxLength: 4 }),
  groups: fc.uniqueArray(fc.constantFrom(...GROUPS, 'nogroup'), { maxLength: 3 }),
  selector: fc.option(
    fc.oneof(
      fc.record({ matchLabels: fc.dictionary(fc.constantFrom('team'), fc.constantFrom('x', 'y'), { minKeys: 1, maxKeys: 1 }) }),
      fc.record({ matchExpressions: fc.tuple(fc.constantFrom('In', 'NotIn', 'Exists', 'DoesNotExist' as const), fc.constantFrom('x', 'y')).map(([operator, v]) => [{ key: 'tier', operator, values: operator === 'In' || operator === 'NotIn' ? [v] : [] }]) }),
    ),
    { nil: undefined, freq: 3 },
  ),
});

export const orgArb: fc.Arbitrary<OrganizationObject> = fc.record({
  kind: fc.constant('Organization' as const),
  name: fc.constantFrom(...ORGS),
  generation,
  parent: fc.option(fc.constantFrom(...ORGS, 'noorg'), { nil: undefined }),
  namespaces: fc.uniqueArray(fc.constantFrom(...NAMESPACES), { maxLength: 2 }),
  ownerRights: fc.option(fc.subarray(['RIGHT_ALL', 'RIGHT_APPLICATION_INFO', 'RIGHT_GATEWAY_ALL', 'RIGHT_APPLICATION_LINK']), { nil: undefined }),
  availableUsers: fc.constant(undefined),
  createdBy: fc.option(fc.constantFrom(...USERS), { nil: undefined, freq: 3 }),
});

export const collabArb: fc.Arbitrary<CollaborationObject> = fc.record({
  kind: fc.constant('Collaboration' as const),
  namespace: fc.constantFrom(...NAMESPACES),
  name: fc.constantFrom('c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7'),
  generation,
  subject: fc.oneof(
    fc.record({ kind: fc.constant('User' as const), name: fc.constantFrom(...USERS, 'ghost') }),
    fc.record({ kind: fc.constant('UserGroup' as const), name: fc.constantFrom(...GROUPS) }),
    fc.record({ kind: fc.constant('Organization' as const), name: fc.constantFrom(...ORGS) }),
  ),
  target: fc.oneof(
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('Organization'), name: fc.constantFrom(...ORGS) }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constantFrom('Application', 'Gateway'), name: fc.constantFrom(...ENTITIES) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('User', 'Client'), name: fc.constantFrom(...USERS) }) },
  ),
  rights: fc.uniqueArray(fc.constantFrom(...RIGHTS), { minLength: 0, maxLength: 3 }),
  role: fc.constant(undefined),
  expiresAt: fc.option(fc.constantFrom(T0 - 1000, T0 + 1000, T0 + 5000), { nil: undefined, freq: 3 }),
});

export const objectArb: fc.Arbitrary<ModelObject> = fc.oneof(userArb, userArb, groupArb, orgArb, collabArb, collabArb, collabArb);

export const changeArb: fc.Arbitrary<Change> = fc.oneof(
  { weight: 4, arbitrary: objectArb.map((object) => ({ type: 'upsert' as const, object })) },
  {
    weight: 1,
    arbitrary: objectArb.map((o) => ({ type: 'delete' as const, kind: o.kind, name: o.name, ...(o.kind === 'Collaboration' ? { namespace: o.namespace } : {}) })),
  },
);

/** A model of random objects (later ones with the same name replace earlier ones). */
export const modelArb: fc.Arbitrary<Model> = fc.array(objectArb, { maxLength: 30 }).map((objects) => {
  const model = emptyModel();
  for (const o of objects) applyToModel(model, { type: 'upsert', object: o });
  return model;
});

export function applyToModel(model: Model, change: Change): void {
  if (change.type === 'upsert') putObject(model, change.object);
  else removeObject(model, change.kind, change.name, change.namespace);
}

export function cloneModel(model: Model): Model {
  return {
    users: new Map(model.users),
    organizations: new Map(model.organizations),
    groups: new Map(model.groups),
    collaborations: new Map(model.collaborations),
  };
}

export const ALL_ENTITIES = [
  ...ORGS.map((o) => `Organization/${o}`),
  ...USERS.map((u) => `User/${u}`),
  ...NAMESPACES.flatMap((ns) => [...ENTITIES, 'other'].flatMap((e) => [`Application/${ns}/${e}`, `Gateway/${ns}/${e}`, `Client/${ns}/${e}`])),
];
export const ALL_USERS = [...USERS, 'ghost'];
