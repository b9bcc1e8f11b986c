/**
 * Bad objects get a clear condition and never block the others.
 *
 * Semantically bad objects pass the CRD schema (rights and roles are patterns, not enums): an unknown right, an
 * unknown role, a target kind the catalog does not have, a membership in a namespace the organization does not own,
 * a subject that does not exist, a cycle of parents, a group with a missing member. Each gets its reason.
 *
 * A schema-invalid object: the API server enforces the CRD's schema whatever the request says (`fieldValidation=
 * Ignore` only lets unknown fields through, and they are pruned before storage), so "validation off" cannot store
 * an object the CRD refuses. What can be stored is a value the CRD accepts and Charter's own schema (ajv, the one
 * `charter validate` uses) refuses: an `email` of `a@b` — Kubernetes' email format takes it, ajv-formats' does not.
 * That User is created through a raw request with fieldValidation=Ignore and an unknown field besides; the operator
 * reports Ready=False/SchemaInvalid naming spec.email and leaves the user out, as `charter render` does.
 *
 * Throughout, the good objects' statuses and the maps equal `charter render` of the same manifests, a good change
 * made after the bad objects reaches the map promptly, and no reconcile fails.
 */
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import type { ApiClient } from '../../src/controller/api-client.ts';
import type { Operator } from '../../src/controller/operator.ts';
import { newNamespace } from './support/cluster.ts';
import {
  adminApi,
  apply,
  applyAll,
  deleteAll,
  eventually,
  expectParity,
  getObject,
  keyOf,
  mapRights,
  randomId,
  failedKeys,
  startOperator,
  type Obj,
} from './support/operator.ts';

jest.setTimeout(60_000);

const P = `bad-${randomId()}`;
const n = (name: string): string => `${P}-${name}`;

let api: ApiClient;
let operator: Operator;
let ns: string;
let elsewhere: string;
const current = new Map<string, Obj>();
const namespaceObjects: Obj[] = [];

const user = (name: string, spec: Obj = {}): Obj => ({ apiVersion: 'charter.dev/v1alpha1', kind: 'User', metadata: { name: n(name) }, spec });
const grant = (namespace: string, name: string, spec: Obj): Obj => ({ apiVersion: 'charter.dev/v1alpha1', kind: 'Collaboration', metadata: { name, namespace }, spec });
const toUser = (name: string): Obj => ({ kind: 'User', name: n(name) });
const app1 = (): Obj => ({ kind: 'Application', name: 'app1' });

async function conditionsOf(o: Obj): Promise<Obj[]> {
  return ((await getObject(api, o))?.status?.conditions ?? []) as Obj[];
}
/** Waits until object `o` has condition `type` with these fields. */
async function expectCondition(o: Obj, type: string, fields: Obj): Promise<void> {
  await eventually(async () => expect((await conditionsOf(o)).find((c) => c.type === type)).toMatchObject(fields), `${keyOf(o)} ${type}`, { timeoutMs: 15_000 });
}
const checkParity = (): Promise<unknown> => expectParity(api, [...namespaceObjects, ...current.values()]);

beforeAll(async () => {
  api = adminApi();
  ns = await newNamespace(`${P}-ns`);
  elsewhere = await newNamespace(`${P}-other`);
  for (const name of [ns, elsewhere]) namespaceObjects.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  operator = await startOperator();
  const good = [
    user('good1'),
    user('good2'),
    { apiVersion: 'charter.dev/v1alpha1', kind: 'Organization', metadata: { name: n('org') }, spec: { namespaces: [ns], ownerRights: [] } },
    grant(ns, 'c-good', { subject: toUser('good2'), target: app1(), rights: ['RIGHT_APPLICATION_INFO'] }),
  ];
  await applyAll(api, good);
  for (const o of good) current.set(keyOf(o), o);
  await eventually(async () => expect(await mapRights(api, ns, n('good2'), `Application/${ns}/app1`)).toContain('RIGHT_APPLICATION_INFO'), 'the good grant');
});

afterAll(async () => {
  await deleteAll(api, [...current.values()]);
  await operator?.stop();
  api?.close();
});

describe('semantically bad objects', () => {
  const bad = (): Obj[] => [
    grant(ns, 'c-unknown-right', { subject: toUser('good1'), target: app1(), rights: ['RIGHT_APPLICATION_INFO', 'RIGHT_APPLICATION_FLY'] }),
    grant(ns, 'c-unknown-role', { subject: toUser('good1'), target: app1(), role: 'astronaut' }),
    grant(ns, 'c-unknown-kind', { subject: toUser('good1'), target: { kind: 'Spaceship', name: 'enterprise' }, rights: ['RIGHT_APPLICATION_INFO'] }),
    grant(ns, 'c-wrong-kind-right', { subject: toUser('good1'), target: app1(), rights: ['RIGHT_GATEWAY_INFO'] }),
    grant(elsewhere, 'm-not-owned', { subject: toUser('good1'), target: { kind: 'Organization', name: n('org') }, rights: ['RIGHT_APPLICATION_ALL'] }),
    grant(ns, 'c-ghost', { subject: toUser('ghost'), target: app1(), rights: ['RIGHT_APPLICATION_INFO'] }),
    { apiVersion: 'charter.dev/v1alpha1', kind: 'Organization', metadata: { name: n('cycle-a') }, spec: { parent: n('cycle-b'), namespaces: [] } },
    { apiVersion: 'charter.dev/v1alpha1', kind: 'Organization', metadata: { name: n('cycle-b') }, spec: { parent: n('cycle-a'), namespaces: [] } },
    { apiVersion: 'charter.dev/v1alpha1', kind: 'UserGroup', metadata: { name: n('partial') }, spec: { members: { users: [n('good1'), n('nobody')] } } },
  ];

  test('each gets its reason; none grants anything; the good grant is untouched', async () => {
    const objects = bad();
    await applyAll(api, objects);
    for (const o of objects) current.set(keyOf(o), o);
    const [unknownRight, unknownRole, unknownKind, wrongKind, notOwned, ghost, cycleA, , partial] = objects as [Obj, Obj, Obj, Obj, Obj, Obj, Obj, Obj, Obj];
    await expectCondition(unknownRight, 'Accepted', { status: 'False', reason: 'UnknownRight', message: expect.stringContaining('RIGHT_APPLICATION_FLY') });
    await expectCondition(unknownRight, 'Ready', { status: 'False', reason: 'UnknownRight' });
    await expectCondition(unknownRole, 'Accepted', { status: 'False', reason: 'UnknownRole', message: expect.stringContaining('astronaut') });
    await expectCondition(unknownKind, 'Accepted', { status: 'False', reason: 'InvalidTarget', message: expect.stringContaining('Spaceship') });
    await expectCondition(wrongKind, 'Accepted', { status: 'False', reason: 'RightsNotApplicable' });
    await expectCondition(notOwned, 'Accepted', { status: 'False', reason: 'NamespaceNotOwned' });
    await expectCondition(ghost, 'ResolvedRefs', { status: 'False', reason: 'SubjectNotFound' });
    await expectCondition(cycleA, 'Ready', { status: 'False', reason: 'ParentCycle' });
    await expectCondition(partial, 'MissingMembers', { status: 'True', message: expect.stringContaining(n('nobody')) });
    expect(await mapRights(api, ns, n('good1'), `Application/${ns}/app1`)).toEqual([]);
    expect(await mapRights(api, ns, n('good2'), `Application/${ns}/app1`)).toContain('RIGHT_APPLICATION_INFO');
    await checkParity();
  });

  test('a good change after them reaches the map promptly', async () => {
    const started = Date.now();
    const o = grant(ns, 'c-good-later', { subject: toUser('good1'), target: { kind: 'Gateway', name: 'gw1' }, rights: ['RIGHT_GATEWAY_INFO'] });
    await apply(api, o);
    current.set(keyOf(o), o);
    await eventually(async () => expect(await mapRights(api, ns, n('good1'), `Gateway/${ns}/gw1`)).toContain('RIGHT_GATEWAY_INFO'), 'the later good grant');
    expect(Date.now() - started).toBeLessThan(5000);
    // Fixing a bad object makes it count.
    const fixed = grant(ns, 'c-unknown-right', { subject: toUser('good1'), target: app1(), rights: ['RIGHT_APPLICATION_INFO'] });
    await apply(api, fixed);
    current.set(keyOf(fixed), fixed);
    await eventually(async () => expect(await mapRights(api, ns, n('good1'), `Application/${ns}/app1`)).toContain('RIGHT_APPLICATION_INFO'), 'the fixed grant');
    await expectCondition(fixed, 'Accepted', { status: 'True', observedGeneration: 2 });
    await checkParity();
    expect(failedKeys(operator, [P])).toEqual([]);
  });
});

describe('a schema-invalid object the API server accepts', () => {
  const bad = (): Obj => ({
    apiVersion: 'charter.dev/v1alpha1',
    kind: 'User',
    metadata: { name: n('bad-email') },
    spec: { displayName: 'Bad Email', email: 'a@b', nickname: 'pruned by the API server' },
  });
  const itsGrant = (): Obj => grant(ns, 'c-bad-email', { subject: toUser('bad-email'), target: app1(), rights: ['RIGHT_APPLICATION_DEVICES_READ'] });

  test('gets Ready=False/SchemaInvalid naming the field, and counts for nothing', async () => {
    const created = await api.request<Obj>('POST', '/apis/charter.dev/v1alpha1/users', { body: bad(), query: { fieldValidation: 'Ignore' } });
    // Stored: the CRD accepts the email (and adds its defaults); the unknown field is pruned.
    expect(created.spec).toMatchObject({ displayName: 'Bad Email', email: 'a@b' });
    expect(created.spec).not.toHaveProperty('nickname');
    const { nickname: _pruned, ...stored } = bad().spec;
    current.set(keyOf(bad()), { ...bad(), spec: stored });
    const g = itsGrant();
    await apply(api, g);
    current.set(keyOf(g), g);
    await expectCondition(bad(), 'Ready', { status: 'False', reason: 'SchemaInvalid', message: expect.stringContaining('spec.email') });
    // The user is not in the model: its grant waits for it, as it would for a user that does not exist.
    await expectCondition(g, 'ResolvedRefs', { status: 'False', reason: 'SubjectNotFound' });
    expect(await mapRights(api, ns, n('bad-email'), `Application/${ns}/app1`)).toEqual([]);
    const report = await checkParity();
    expect((report as { rendered: { problems: string[] } }).rendered.problems.join('\n')).toMatch(/bad-email.*spec\.email/);
    expect(failedKeys(operator, [P])).toEqual([]);
  });

  test('fixed, it counts', async () => {
    const fixed = { ...bad(), spec: { displayName: 'Bad Email', email: 'bad-email@example.com' } };
    await apply(api, fixed);
    current.set(keyOf(fixed), fixed);
    await expectCondition(fixed, 'Ready', { status: 'True' });
    await expectCondition(itsGrant(), 'ResolvedRefs', { status: 'True' });
    await eventually(async () => expect(await mapRights(api, ns, n('bad-email'), `Application/${ns}/app1`)).toContain('RIGHT_APPLICATION_DEVICES_READ'), 'the grant of the fixed user');
    await checkParity();
  });
});
