import { describe, expect, test } from '@jest/globals';
import { collaborationStatus } from '../../../src/engine/status.ts';
import { collab, engineOf, modelOf, org, rights, user } from './support.ts';

const T = Date.parse('2026-06-01T00:00:00Z');
const base = [org('acme', { namespaces: ['acme'] }), org('other', { namespaces: ['other'] }), user('alice')];
const reasonsOf = (c: ReturnType<typeof collab>, extra: Parameters<typeof modelOf> = []): string[] => {
  const engine = engineOf(modelOf(...base, ...extra, c), { now: T });
  return engine.verdict(c.namespace, c.name)!.failures.map((f) => f.reason);
};

describe('semantics §3 which collaborations count', () => {
  test('1. rights must exist in the catalog [UnknownRight]', () => {
    expect(reasonsOf(collab('acme/c', 'User/alice', 'Application/app', ['RIGHT_APPLICATION_FLY']))).toEqual(['UnknownRight']);
  });
  test('1. a role must exist in the catalog [UnknownRole]', () => {
    expect(reasonsOf(collab('acme/c', 'User/alice', 'Application/app', [], { role: 'viewer' }))).toEqual(['UnknownRole']);
  });
  test('2. on an entity of kind K every right is of kind K, RIGHT_K_ALL or RIGHT_ALL [RightsNotApplicable]', () => {
    expect(reasonsOf(collab('acme/c', 'User/alice', 'Application/app', ['RIGHT_GATEWAY_INFO']))).toEqual(['RightsNotApplicable']);
    expect(reasonsOf(collab('acme/c', 'User/alice', 'Application/app', ['RIGHT_APPLICATION_ALL', 'RIGHT_ALL']))).toEqual([]);
    expect(reasonsOf(collab('acme/c', 'User/alice', 'Application/app', ['RIGHT_GATEWAY_ALL']))).toEqual(['RightsNotApplicable']);
  });
  test('2. on an Organization target any right may appear (it is a mask)', () => {
    expect(reasonsOf(collab('acme/m', 'User/alice', 'Organization/acme', ['RIGHT_GATEWAY_INFO', 'RIGHT_APPLICATION_INFO']))).toEqual([]);
  });
  test('3. the target is not a User [InvalidTarget]', () => {
    expect(reasonsOf(collab('acme/c', 'User/alice', 'User/bob', ['RIGHT_USER_INFO']))).toContain('InvalidTarget');
  });
  test('3. an Organization subject does not target an Organization [NestedOrganizations]', () => {
    expect(reasonsOf(collab('acme/c', 'Organization/other', 'Organization/acme', ['RIGHT_ORGANIZATION_INFO']))).toEqual(['NestedOrganizations']);
  });
  test('4. a target Organization owns the Collaboration namespace [NamespaceNotOwned]', () => {
    expect(reasonsOf(collab('other/m', 'User/alice', 'Organization/acme', ['RIGHT_ALL']))).toEqual(['NamespaceNotOwned']);
    expect(reasonsOf(collab('acme/m', 'User/alice', 'Organization/acme', ['RIGHT_ALL']))).toEqual([]);
  });
  test('5. expiresAt must be after the evaluation time [Expired]; exactly at it, the grant has expired', () => {
    expect(reasonsOf(collab('acme/c', 'User/alice', 'Application/app', ['RIGHT_APPLICATION_INFO'], { expiresAt: T }))).toEqual(['Expired']);
    expect(reasonsOf(collab('acme/c', 'User/alice', 'Application/app', ['RIGHT_APPLICATION_INFO'], { expiresAt: T + 1 }))).toEqual([]);
  });
  test('6. the subject exists [SubjectNotFound], and the grant heals when it appears', () => {
    const c = collab('acme/c', 'User/bob', 'Application/app', ['RIGHT_APPLICATION_INFO']);
    const engine = engineOf(modelOf(...base, c), { now: T });
    expect(engine.verdict('acme', 'c')!.failures.map((f) => f.reason)).toEqual(['SubjectNotFound']);
    expect(collaborationStatus(engine, 'acme', 'c')!.conditions.find((x) => x.type === 'ResolvedRefs')!.status).toBe('False');
    engine.apply([{ type: 'upsert', object: user('bob') }]);
    expect(engine.verdict('acme', 'c')!.active).toBe(true);
    expect(rights(engine, 'bob', 'Application/acme/app')).toEqual(['RIGHT_APPLICATION_INFO']);
  });
  test('an inactive collaboration grants nothing, and its status says why', () => {
    const c = collab('acme/c', 'User/alice', 'Application/app', ['RIGHT_APPLICATION_INFO', 'RIGHT_NOPE']);
    const engine = engineOf(modelOf(...base, c), { now: T });
    expect(rights(engine, 'alice', 'Application/acme/app')).toEqual([]);
    const status = collaborationStatus(engine, 'acme', 'c')!;
    expect(status.conditions.find((x) => x.type === 'Accepted')).toMatchObject({ status: 'False', reason: 'UnknownRight' });
    expect(status.conditions.find((x) => x.type === 'Accepted')!.message).toContain('RIGHT_NOPE');
    expect(status.grantedRights).toEqual([]);
  });
  test('a failure names every right it is about, in the order of spec.rights', () => {
    const c = collab('acme/c', 'User/alice', 'Application/app', ['RIGHT_GATEWAY_INFO', 'RIGHT_NOPE', 'RIGHT_APPLICATION_INFO', 'RIGHT_CLIENT_ALL', 'RIGHT_FLY']);
    const engine = engineOf(modelOf(...base, c), { now: T });
    expect(engine.verdict('acme', 'c')!.failures.map((f) => f.message)).toEqual([
      'spec.rights: RIGHT_NOPE, RIGHT_FLY are not in the catalog ' + engine.catalog.name,
      'spec.rights: RIGHT_GATEWAY_INFO, RIGHT_CLIENT_ALL are not rights of kind Application',
    ]);
  });
  test('every failure is reported, the first of §3 order being the reason', () => {
    const c = collab('acme/c', 'User/ghost', 'Application/app', ['RIGHT_GATEWAY_INFO'], { expiresAt: T - 1 });
    expect(reasonsOf(c)).toEqual(['RightsNotApplicable', 'Expired', 'SubjectNotFound']);
  });
});
