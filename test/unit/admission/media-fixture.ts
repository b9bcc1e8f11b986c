/**
 * The Aspera organization `media` that lists `availableUsers` (victor, the group freelancers: fay), and its people:
 * the admin sysop; ann, who authorizes users and holds every share right but may not "see all users"; olga, who may
 * (org-admin); walt, a member; zed, neither available nor a member. Shared by the tests of admission.md §3.4.
 */
import { loadCatalog } from '../../../src/catalog/load-catalog.ts';
import type { ModelObject } from '../../../src/model/model.ts';
import { collab, group, org, user } from './support.ts';

export const aspera = loadCatalog('catalogs/aspera.yaml');
export const available = { users: ['victor'], groups: ['freelancers'], selector: undefined };
export const media = org('media', { namespaces: ['media'], availableUsers: available });

/** media, its people and their memberships; `more` go after them (a group `mixed`, grants, …). */
export function mediaObjects(...more: ModelObject[]): ModelObject[] {
  return [
    media,
    user('sysop', { admin: true }),
    user('ann'),
    user('olga'),
    user('victor'),
    user('zed'),
    user('fay'),
    user('walt'),
    group('freelancers', { users: ['fay'] }),
    collab('media/m-ann', 'User/ann', 'Organization/media', ['RIGHT_ORGANIZATION_USERS_AUTHORIZE', 'RIGHT_SHARE_ALL']),
    collab('media/m-olga', 'User/olga', 'Organization/media', [], { role: 'org-admin' }),
    collab('media/m-walt', 'User/walt', 'Organization/media', ['RIGHT_ORGANIZATION_INFO']),
    ...more,
  ];
}
