/**
 * A small The Things Stack world the admission tests judge changes against:
 * - Organization acme owns namespace acme; alice is its only full member (RIGHT_ALL); group devs (bob) is a member
 *   with RIGHT_APPLICATION_ALL; fred manages members (SETTINGS_MEMBERS, ORGANIZATION_INFO).
 * - On Application/acme/app1: carol holds LINK, dan manages collaborators (SETTINGS_COLLABORATORS, INFO).
 * - Namespace lab has no owner: kim holds RIGHT_APPLICATION_ALL on Application/lab/hub (its only full collaborator).
 * - root is the admin; eve has no rights and the identity eve@example.com.
 */
import type { ModelObject } from '../../../src/model/model.ts';
import { collab, engineOf, group, modelOf, org, user } from './support.ts';

export const objects = {
  acme: org('acme', { namespaces: ['acme'] }),
  alice: user('alice', { identities: ['alice@example.com'] }),
  bob: user('bob'),
  carol: user('carol'),
  dan: user('dan'),
  eve: user('eve', { identities: ['eve@example.com'] }),
  fred: user('fred'),
  kim: user('kim'),
  root: user('root', { admin: true }),
  devs: group('devs', { organization: 'acme', users: ['bob'] }),
  mAlice: collab('acme/m-alice', 'User/alice', 'Organization/acme', ['RIGHT_ALL']),
  mDevs: collab('acme/m-devs', 'UserGroup/devs', 'Organization/acme', ['RIGHT_APPLICATION_ALL']),
  mFred: collab('acme/m-fred', 'User/fred', 'Organization/acme', ['RIGHT_ORGANIZATION_SETTINGS_MEMBERS', 'RIGHT_ORGANIZATION_INFO']),
  cCarol: collab('acme/c-carol', 'User/carol', 'Application/app1', ['RIGHT_APPLICATION_LINK']),
  cDan: collab('acme/c-dan', 'User/dan', 'Application/app1', ['RIGHT_APPLICATION_SETTINGS_COLLABORATORS', 'RIGHT_APPLICATION_INFO']),
  cKim: collab('lab/c-kim', 'User/kim', 'Application/hub', ['RIGHT_APPLICATION_ALL']),
};

/** The world, plus (or replacing, by name) the given objects. */
export function world(...extra: ModelObject[]) {
  const byKey = new Map<string, ModelObject>();
  const key = (o: ModelObject): string => (o.kind === 'Collaboration' ? `Collaboration/${o.namespace}/${o.name}` : `${o.kind}/${o.name}`);
  for (const o of [...Object.values(objects), ...extra]) byKey.set(key(o), o);
  return engineOf(modelOf(...(byKey.values() as Iterable<never>)));
}
