/**
 * An organization's counts computed whole read its members by number (organization-counts.ts `whole`): who is
 * restricted from marks the class scratch space makes once per state (namespace-classes.ts `idOfUserNumber`), the
 * bits once per distinct M*(u, o) value, an administrator found by name. These hold them to what is true now after
 * a permission map's walk marked the users of the state before (the marks must be dropped at the change), and to the
 * sizes of `authorizedUserSets` when members share a membership value but not the admin flag.
 */
import { expect, test } from '@jest/globals';
import { authorizedUserSets, authorizedUsers } from '../../../src/engine/status.ts';
import { collab, engineOf, group, modelOf, org, user } from './support.ts';

const ORG_INFO = ['RIGHT_ORGANIZATION_INFO'];

const sizes = (s: ReturnType<typeof authorizedUserSets>): number[] => [s.all.size, s.admins.size, s.throughCollaborations.size, s.throughGroups.size, s.throughTeams.size];
const counts = (c: ReturnType<typeof authorizedUsers>): number[] => [c.all, c.admins, c.throughCollaborations, c.throughGroups, c.throughTeams];

test('counts computed whole after a change read who is restricted now, not what a map walk before it marked', () => {
  const engine = engineOf(
    modelOf(
      user('u0'),
      user('u1'),
      user('u2'),
      group('global', { users: ['u1', 'u2'] }),
      group('team', { users: ['u2'], organization: 'acme' }),
      org('acme', { namespaces: ['n0'] }),
      collab('n0/m-u0', 'User/u0', 'Organization/acme', ORG_INFO),
      collab('n0/m-global', 'UserGroup/global', 'Organization/acme', ORG_INFO),
      collab('n0/m-team', 'UserGroup/team', 'Organization/acme', ORG_INFO),
    ),
  );
  engine.namespaceClasses('n0'); // the maps' walk: marks the restricted users of this state (none)
  expect(counts(authorizedUsers(engine, 'acme'))).toEqual([3, 0, 1, 2, 1]);
  // u2 suspended, and a new organization (a new structure: the counts are computed whole, not moved user by user).
  engine.apply([
    { type: 'upsert', object: user('u2', { state: 'Suspended' }) },
    { type: 'upsert', object: org('other', { namespaces: ['n1'] }) },
  ]);
  expect(counts(authorizedUsers(engine, 'acme'))).toEqual([2, 0, 1, 1, 0]);
  expect(counts(authorizedUsers(engine, 'acme'))).toEqual(sizes(authorizedUserSets(engine, 'acme')));
});

test('members sharing one membership value: only the Approved administrator among them counts as an admin', () => {
  // What admin rights withhold (its API keys) and one right more: every Organization right for an administrator only.
  const someOrgRights = ['RIGHT_ORGANIZATION_INFO', 'RIGHT_ORGANIZATION_SETTINGS_API_KEYS'];
  const engine = engineOf(
    modelOf(
      user('a', { admin: true }),
      user('b'),
      user('c', { admin: true, state: 'Flagged' }),
      group('all', { users: ['a', 'b', 'c'] }),
      org('acme', { namespaces: ['n0'] }),
      collab('n0/m-all', 'UserGroup/all', 'Organization/acme', someOrgRights),
    ),
  );
  const c = authorizedUsers(engine, 'acme');
  expect(counts(c)).toEqual(sizes(authorizedUserSets(engine, 'acme')));
  expect(c.admins).toBe(1);
});
