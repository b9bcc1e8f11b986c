import { describe, expect, test } from '@jest/globals';
import { organizationStatus, userGroupProblems, userGroupStatus, userStatus } from '../../../src/engine/status.ts';
import { collab, engineOf, group, modelOf, org, rights, user } from './support.ts';

describe('semantics §4 memberships', () => {
  test('groupMembers = users ∪ selector ∪ members of nested groups, transitively', () => {
    const engine = engineOf(
      modelOf(
        user('a'),
        user('b', { labels: { team: 'iot' } }),
        user('c'),
        user('d', { labels: { team: 'web' } }),
        group('top', { groups: ['mid'] }),
        group('mid', { users: ['a'], groups: ['leaf'] }),
        group('leaf', { users: ['c'], selector: { matchLabels: { team: 'iot' } } }),
      ),
    );
    expect([...engine.groups.membersOf('top')].sort()).toEqual(['a', 'b', 'c']);
    expect([...engine.groups.groupsOf('c')].sort()).toEqual(['leaf', 'mid', 'top']);
    expect(userGroupStatus(engine, 'top')!.memberCount).toBe(3);
    expect(userStatus(engine, 'b')!.groups).toEqual(['leaf', 'mid', 'top']);
  });
  test('selector matchExpressions', () => {
    const engine = engineOf(
      modelOf(user('a', { labels: { tier: 'gold' } }), user('b', { labels: { tier: 'silver' } }), user('c'), group('g', { selector: { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['silver'] }] } })),
    );
    expect([...engine.groups.membersOf('g')].sort()).toEqual(['a', 'c']);
  });
  test('cycles are legal: the closure is well defined, every group on the cycle reports MembershipCycle', () => {
    const engine = engineOf(modelOf(user('a'), user('b'), group('x', { users: ['a'], groups: ['y'] }), group('y', { users: ['b'], groups: ['x'] }), group('z', { groups: ['x'] })));
    expect([...engine.groups.membersOf('x')].sort()).toEqual(['a', 'b']);
    expect([...engine.groups.membersOf('y')].sort()).toEqual(['a', 'b']);
    expect([...engine.groups.membersOf('z')].sort()).toEqual(['a', 'b']);
    expect(userGroupProblems(engine, 'x').map((f) => f.reason)).toEqual(['MembershipCycle']);
    expect(userGroupProblems(engine, 'y').map((f) => f.reason)).toEqual(['MembershipCycle']);
    expect(userGroupProblems(engine, 'z')).toEqual([]);
  });
  test('missing users and groups are skipped and reported', () => {
    const engine = engineOf(modelOf(user('a'), group('g', { users: ['a', 'ghost'], groups: ['nowhere'] })));
    expect([...engine.groups.membersOf('g')]).toEqual(['a']);
    const [finding] = userGroupProblems(engine, 'g');
    expect(finding!.reason).toBe('MissingMembers');
    expect(finding!.message).toContain('ghost');
    expect(finding!.message).toContain('nowhere');
  });
  test('a namespace claimed by two organizations is owned by neither; both report NamespaceConflict', () => {
    const engine = engineOf(
      modelOf(
        user('a'),
        org('x', { namespaces: ['shared', 'x'] }),
        org('y', { namespaces: ['shared'] }),
        collab('x/m', 'User/a', 'Organization/x', ['RIGHT_ALL']),
      ),
    );
    expect(engine.organizations.owner.has('shared')).toBe(false);
    expect(organizationStatus(engine, 'x')!.conditions[0]).toMatchObject({ status: 'False', reason: 'NamespaceConflict' });
    expect(organizationStatus(engine, 'y')!.conditions[0]).toMatchObject({ status: 'False', reason: 'NamespaceConflict' });
    expect(rights(engine, 'a', 'Application/shared/app')).toEqual([]);
    expect(rights(engine, 'a', 'Application/x/app')).toHaveLength(14);
  });

  test('a membership in a namespace two organizations claim is NamespaceNotOwned and gives nothing, not even below', () => {
    const engine = engineOf(
      modelOf(
        user('a'),
        org('x', { namespaces: ['shared'] }),
        org('y', { namespaces: ['shared'] }),
        org('z', { namespaces: ['zz'], parent: 'x' }),
        collab('shared/m', 'User/a', 'Organization/x', ['RIGHT_ALL']),
        collab('zz/g', 'Organization/x', 'Application/app', ['RIGHT_APPLICATION_ALL']),
      ),
    );
    expect(engine.verdict('shared', 'm')!.failures.map((f) => f.reason)).toEqual(['NamespaceNotOwned']);
    expect(rights(engine, 'a', 'Organization/x')).toEqual([]);
    expect(rights(engine, 'a', 'Organization/z')).toEqual([]);
    expect(rights(engine, 'a', 'Application/zz/app')).toEqual([]);
    expect(rights(engine, 'a', 'Application/zz/other')).toEqual([]);
  });
  test('M(u, o) is the union of the rights of memberships naming u or a group containing u', () => {
    const engine = engineOf(
      modelOf(
        user('a'),
        group('g', { users: ['a'] }),
        org('o', { namespaces: ['o'] }),
        collab('o/m1', 'User/a', 'Organization/o', ['RIGHT_APPLICATION_INFO']),
        collab('o/m2', 'UserGroup/g', 'Organization/o', ['RIGHT_APPLICATION_DELETE']),
      ),
    );
    expect(rights(engine, 'a', 'Application/o/app')).toEqual(['RIGHT_APPLICATION_DELETE', 'RIGHT_APPLICATION_INFO']);
  });
  test('M*(u, o) inherits membership downward through parent', () => {
    const engine = engineOf(
      modelOf(
        user('a'),
        org('tenant', { namespaces: ['tenant'] }),
        org('customer', { parent: 'tenant', namespaces: ['customer'] }),
        org('sub', { parent: 'customer', namespaces: ['sub'] }),
        collab('customer/m', 'User/a', 'Organization/customer', ['RIGHT_APPLICATION_INFO']),
      ),
    );
    expect(rights(engine, 'a', 'Application/sub/app')).toEqual(['RIGHT_APPLICATION_INFO']);
    expect(rights(engine, 'a', 'Application/customer/app')).toEqual(['RIGHT_APPLICATION_INFO']);
    expect(rights(engine, 'a', 'Application/tenant/app')).toEqual([]);
    expect(organizationStatus(engine, 'sub')!.ancestors).toEqual(['customer', 'tenant']);
    expect(userStatus(engine, 'a')!.organizations).toEqual(['customer', 'sub']);
  });
  test('a cycle of parents is an error on each organization in it; such organizations have no ancestors', () => {
    const engine = engineOf(
      modelOf(
        user('a'),
        org('p', { parent: 'q', namespaces: ['p'] }),
        org('q', { parent: 'p', namespaces: ['q'] }),
        org('child', { parent: 'p', namespaces: ['child'] }),
        collab('q/m', 'User/a', 'Organization/q', ['RIGHT_ALL']),
      ),
    );
    expect(organizationStatus(engine, 'p')!.conditions[0]).toMatchObject({ status: 'False', reason: 'ParentCycle' });
    expect(organizationStatus(engine, 'q')!.conditions[0]).toMatchObject({ status: 'False', reason: 'ParentCycle' });
    expect(engine.organizations.ancestors.get('p')).toEqual([]);
    // a is a member of q only: p, on the cycle, does not inherit from q.
    expect(rights(engine, 'a', 'Application/p/app')).toEqual([]);
    expect(rights(engine, 'a', 'Application/q/app')).toHaveLength(14);
    expect(engine.organizations.ancestors.get('child')).toEqual(['p']);
  });
});
