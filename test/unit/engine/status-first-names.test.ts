/**
 * Statuses list a set's first names from its first ids while the engine's tables number names in name order (the
 * build numbers every user, group and organization sorted: status.ts `boundedNames`). A name met later that sorts
 * first turns that off (`NameIds.inNameOrder`): the lists stay in name order, as `bounded` makes them.
 */
import { expect, test } from '@jest/globals';
import { statusOf, type OrganizationStatus, type UserGroupStatus, type UserStatus } from '../../../src/engine/status.ts';
import { collab, engineOf, group, modelOf, org, user } from './support.ts';

const INFO = ['RIGHT_ORGANIZATION_INFO'];

test('member, group and organization names stay sorted after a user, a group and an organization that sort first are added', () => {
  const engine = engineOf(
    modelOf(
      user('u1'),
      user('u2'),
      group('g1', { users: ['u1', 'u2'] }),
      org('o1', { namespaces: ['n1'] }),
      collab('n1/m-g1', 'UserGroup/g1', 'Organization/o1', INFO),
    ),
  );
  expect((statusOf(engine, 'UserGroup/g1') as UserGroupStatus).memberNames).toEqual(['u1', 'u2']);
  engine.apply([
    { type: 'upsert', object: user('a0') },
    { type: 'upsert', object: group('a-group', { users: ['u1'] }) },
    { type: 'upsert', object: org('a-org', { namespaces: ['n0'] }) },
    { type: 'upsert', object: group('g1', { users: ['u1', 'u2', 'a0'] }) },
    { type: 'upsert', object: collab('n0/m-u1', 'User/u1', 'Organization/a-org', INFO) },
    { type: 'upsert', object: collab('n1/m-a0', 'User/a0', 'Organization/o1', INFO) },
  ]);
  expect((statusOf(engine, 'UserGroup/g1') as UserGroupStatus).memberNames).toEqual(['a0', 'u1', 'u2']);
  expect((statusOf(engine, 'Organization/o1') as OrganizationStatus).memberNames).toEqual(['a0', 'u1', 'u2']);
  const u1 = statusOf(engine, 'User/u1') as UserStatus;
  expect(u1.groups).toEqual(['a-group', 'g1']);
  expect(u1.organizations).toEqual(['a-org', 'o1']);
});
