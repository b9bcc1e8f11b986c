/**
 * The conditions GitOps tools judge (docs/deploy.md#health-in-flux-and-argo-cd): Stalled=True (kstatus: Failed) only
 * when the object's own spec must change; objects waiting for others are Ready=False without it (InProgress).
 */
import { describe, expect, test } from '@jest/globals';
import { invalidStatus } from '../../../src/controller/status-writer.ts';
import { allObjectKeys, collaborationStatus, statusOf, type ConditionValue } from '../../../src/engine/status.ts';
import { collab, engineOf, group, modelOf, org, user } from './support.ts';

const T = Date.parse('2026-06-01T00:00:00Z');
const base = [org('acme', { namespaces: ['acme'] }), org('beta', { namespaces: ['acme'] }), user('alice'), group('devs', { users: ['alice', 'ghost'] })];
const stalledOf = (conditions: ConditionValue[]): ConditionValue | undefined => conditions.find((c) => c.type === 'Stalled');
const grantStatus = (c: ReturnType<typeof collab>) => collaborationStatus(engineOf(modelOf(...base, c), { now: T }), c.namespace, c.name)!;

describe('Stalled: only a change to the object\'s own spec can make it Ready', () => {
  test.each([
    ['UnknownRight', collab('acme/c', 'User/alice', 'Application/app', ['RIGHT_NOPE'])],
    ['UnknownRole', collab('acme/c', 'User/alice', 'Application/app', [], { role: 'nope' })],
    ['RightsNotApplicable', collab('acme/c', 'User/alice', 'Application/app', ['RIGHT_GATEWAY_INFO'])],
    ['InvalidTarget', collab('acme/c', 'User/alice', 'Spaceship/x', ['RIGHT_ALL'])],
    ['NestedOrganizations', collab('acme/c', 'Organization/beta', 'Organization/acme', ['RIGHT_ALL'])],
    ['Expired', collab('acme/c', 'User/alice', 'Application/app', ['RIGHT_APPLICATION_INFO'], { expiresAt: T - 1, generation: 3 })],
  ])('a Collaboration failing with %s is Stalled, with the reason and message of that failure', (reason, c) => {
    const status = grantStatus(c);
    const ready = status.conditions.find((x) => x.type === 'Ready')!;
    expect(ready.status).toBe('False');
    expect(stalledOf(status.conditions)).toEqual({ type: 'Stalled', status: 'True', reason, message: expect.any(String), observedGeneration: c.generation });
    expect(ready.message).toContain(stalledOf(status.conditions)!.message);
  });

  test.each([
    ['SubjectNotFound', collab('acme2/c', 'User/ghost', 'Application/app', ['RIGHT_APPLICATION_INFO'])],
    ['NamespaceNotOwned', collab('other/m', 'User/alice', 'Organization/acme', ['RIGHT_ALL'])],
  ])('a Collaboration failing with %s waits for other objects: Ready=False, not Stalled', (reason, c) => {
    const status = grantStatus(c);
    expect(status.conditions.find((x) => x.type === 'Ready')).toMatchObject({ status: 'False', reason });
    expect(stalledOf(status.conditions)).toBeUndefined();
  });

  test('a spec failure beside a missing subject is Stalled, naming the spec failures only', () => {
    const status = grantStatus(collab('acme/c', 'User/ghost', 'Application/app', ['RIGHT_NOPE']));
    expect(stalledOf(status.conditions)).toMatchObject({ reason: 'UnknownRight' });
    expect(stalledOf(status.conditions)!.message).not.toContain('ghost');
  });

  test('an accepted grant, and every User, Organization and UserGroup (even Ready=False or with warnings), is never Stalled', () => {
    const engine = engineOf(modelOf(...base, collab('acme/ok', 'User/alice', 'Application/app', ['RIGHT_APPLICATION_INFO'])), { now: T });
    const keys = allObjectKeys(engine);
    expect(keys).toEqual(expect.arrayContaining(['Collaboration/acme/ok', 'Organization/acme', 'UserGroup/devs', 'User/alice']));
    expect(statusOf(engine, 'Organization/acme')!.conditions[0]).toMatchObject({ type: 'Ready', status: 'False', reason: 'NamespaceConflict' });
    for (const key of keys) expect(stalledOf(statusOf(engine, key)!.conditions)).toBeUndefined();
  });

  test('an object the schema refuses (SchemaInvalid) is Stalled, for every kind', () => {
    for (const kind of ['User', 'Organization', 'UserGroup', 'Collaboration'] as const) {
      const status = invalidStatus(kind, ['spec.email: expected an email address'], 4);
      expect(status.observedGeneration).toBe(4);
      expect(stalledOf(status.conditions)).toEqual({ type: 'Stalled', status: 'True', reason: 'SchemaInvalid', message: 'spec.email: expected an email address', observedGeneration: 4 });
      expect(status.conditions.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'SchemaInvalid' });
    }
  });
});

describe("a Collaboration's Ready requires its namespace's permission map in effect (an input: the controller's record of the map's writes)", () => {
  const ok = collab('acme/c', 'User/alice', 'Application/app', ['RIGHT_APPLICATION_INFO'], { generation: 2 });
  const engine = engineOf(modelOf(...base, ok), { now: T });
  test.each([
    ['MapWithheld', "namespace acme's permission map is withheld (too big): workloads there read the empty map"],
    ['MapNotWritten', "namespace acme's permission map could not be written (403): workloads there read the map written before; retried"],
  ] as const)('%s: Accepted, but Ready=False with that reason (waiting, not Stalled); no problem: Ready=True', (reason, message) => {
    const status = collaborationStatus(engine, 'acme', 'c', { mapProblem: { reason, message } })!;
    expect(status.conditions.find((x) => x.type === 'Accepted')).toMatchObject({ status: 'True', message: 'Grants 1 right' });
    expect(status.conditions.find((x) => x.type === 'Ready')).toEqual({ type: 'Ready', status: 'False', reason, message: `Grants 1 right, but ${message}`, observedGeneration: 2 });
    expect(stalledOf(status.conditions)).toBeUndefined();
    expect(statusOf(engine, 'Collaboration/acme/c', { mapProblem: { reason, message } })).toEqual(status);
    expect(collaborationStatus(engine, 'acme', 'c')!.conditions.find((x) => x.type === 'Ready')).toMatchObject({ status: 'True', reason: 'Accepted' });
  });

  test('a grant that fails keeps its own reason', () => {
    const bad = collab('acme/c', 'User/alice', 'Application/app', ['RIGHT_NOPE']);
    const status = collaborationStatus(engineOf(modelOf(...base, bad), { now: T }), 'acme', 'c', { mapProblem: { reason: 'MapWithheld', message: 'withheld' } })!;
    expect(status.conditions.find((x) => x.type === 'Ready')).toMatchObject({ status: 'False', reason: 'UnknownRight' });
  });

  test("a User's Ready does not claim its rights are published", () => {
    expect(statusOf(engine, 'User/alice')!.conditions[0]!.message).not.toMatch(/published/);
  });
});
