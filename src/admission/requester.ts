/**
 * Who a request acts as (admission.md §1): the platform (bypass lists), the Charter User whose spec.identities list
 * the username, or nobody. Two Users listing the same username: ambiguous, every request denied.
 * `charter admit --as User/<name>` names the User directly (Requester.user).
 */
import type { EngineView } from '../engine/engine-view.ts';
import type { AdmissionOptions, Requester } from './decide.ts';

export type Acting =
  | { type: 'platform' }
  | { type: 'user'; name: string }
  | { type: 'nobody'; username: string }
  | { type: 'ambiguous'; username: string; users: string[] };

export function actingAs(engine: EngineView, requester: Requester, options: AdmissionOptions): Acting {
  const username = typeof requester?.username === 'string' ? requester.username : '';
  const groups = Array.isArray(requester?.groups) ? requester.groups.filter((g): g is string => typeof g === 'string') : [];
  if ((username !== '' && options.bypassUsers.includes(username)) || groups.some((g) => options.bypassGroups.includes(g))) return { type: 'platform' };
  if (typeof requester?.user === 'string') {
    return engine.model.users.has(requester.user) ? { type: 'user', name: requester.user } : { type: 'nobody', username: `User/${requester.user}` };
  }
  const users = username === '' ? [] : [...engine.userIndex.usersWithIdentity(username)].sort();
  if (users.length > 1) return { type: 'ambiguous', username, users };
  if (users.length === 1) return { type: 'user', name: users[0]! };
  return { type: 'nobody', username };
}

/** `User/alice`, `platform`, `nobody`: what the decision reports as `actingAs`. */
export function actingLabel(acting: Acting): string {
  return acting.type === 'user' ? `User/${acting.name}` : acting.type === 'platform' ? 'platform' : 'nobody';
}
