/** admission.md §1: the requester — platform, a User through spec.identities, nobody; malformed requests. */
import { describe, expect, test } from '@jest/globals';
import { decide } from '../../../src/admission/decide.ts';
import { world } from './fixture.ts';
import { collab, judge, lines, reasons, user } from './support.ts';

const grant = collab('acme/c-x', 'User/eve', 'Application/app1', ['RIGHT_APPLICATION_DELETE']);

describe('who a request acts as', () => {
  test('a bypass group (default system:masters) is the platform: everything is allowed', () => {
    const d = judge(world(), { as: 'kubernetes-admin', groups: ['system:masters'] }, undefined, grant);
    expect(d).toEqual({ allowed: true, actingAs: 'platform', denials: [] });
  });
  test("Kubernetes' own controllers are the platform by default: the namespace controller deleting a deleted namespace's objects, the garbage collector removing a deletion's finalizers, the controller manager as itself", () => {
    const kubeSystem = (controller: string) => ({ as: `system:serviceaccount:kube-system:${controller}`, groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'] });
    expect(judge(world(), kubeSystem('namespace-controller'), grant, undefined).actingAs).toBe('platform');
    expect(judge(world(), kubeSystem('generic-garbage-collector'), grant, grant).actingAs).toBe('platform');
    expect(judge(world(), { as: 'system:kube-controller-manager', groups: ['system:authenticated'] }, grant, undefined).actingAs).toBe('platform');
    // Another namespace's service accounts are not: a workload's token is judged as nobody's.
    const other = judge(world(), { as: 'system:serviceaccount:acme:app', groups: ['system:serviceaccounts', 'system:serviceaccounts:acme', 'system:authenticated'] }, grant, undefined);
    expect(reasons(other)).toEqual(['UnknownRequester']);
  });
  test('a bypass user is the platform', () => {
    expect(judge(world(), { as: 'system:serviceaccount:flux:kustomize', options: { bypassUsers: ['system:serviceaccount:flux:kustomize'] } }, undefined, grant).actingAs).toBe('platform');
  });
  test('the User whose spec.identities list the username', () => {
    const d = judge(world(), { as: 'alice@example.com' }, undefined, grant);
    expect(d).toEqual({ allowed: true, actingAs: 'User/alice', denials: [] });
  });
  test('two Users listing the same identity: AmbiguousIdentity, whatever the request', () => {
    const d = judge(world(user('alice2', { identities: ['alice@example.com'] })), { as: 'alice@example.com' }, undefined, grant);
    expect(lines(d)).toEqual(['AmbiguousIdentity: alice@example.com is listed in spec.identities of User/alice, User/alice2: every request from it is denied until only one lists it']);
  });
  test('nobody: UnknownRequester', () => {
    const d = judge(world(), { as: 'mallory@example.com' }, undefined, grant);
    expect(lines(d)).toEqual(['UnknownRequester: mallory@example.com is not an identity of any User (spec.identities), so it may not change Charter objects']);
    expect(d.actingAs).toBe('nobody');
  });
  test('User/<name> names a User directly (charter admit --as User/alice); an unknown one is nobody', () => {
    expect(judge(world(), { as: 'User/alice' }, undefined, grant).actingAs).toBe('User/alice');
    expect(reasons(judge(world(), { as: 'User/ghost' }, undefined, grant))).toEqual(['UnknownRequester']);
  });
});

describe('a request that does not read is denied (fail closed)', () => {
  const base = { operation: 'CREATE', kind: 'Collaboration', name: 'c-x', namespace: 'acme', requester: { username: 'alice@example.com', groups: [] } } as const;
  test.each([
    ['no object', { ...base }],
    ['an unknown operation', { ...base, operation: 'CONNECT', object: {} }],
    ['another kind', { ...base, kind: 'Pod', object: {} }],
    ['a schema-invalid object', { ...base, object: { apiVersion: 'charter.dev/v1alpha1', kind: 'Collaboration', metadata: { name: 'c-x', namespace: 'acme' }, spec: { subject: { kind: 'User', name: 'eve' } } } }],
    ['a name that is not the request\'s', { ...base, object: { apiVersion: 'charter.dev/v1alpha1', kind: 'Collaboration', metadata: { name: 'other', namespace: 'acme' }, spec: { subject: { kind: 'User', name: 'eve' }, target: { kind: 'Application', name: 'app1' }, rights: ['RIGHT_APPLICATION_INFO'] } } }],
  ])('%s', (_what, request) => {
    const d = decide({ engine: world() }, request as never);
    expect(d.allowed).toBe(false);
    expect(reasons(d)).toEqual(['InvalidRequest']);
  });
});
