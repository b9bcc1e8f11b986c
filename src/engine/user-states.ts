/**
 * Which user states hold rights (semantics §5.1): Approved and Flagged users hold what their grants, groups and
 * organizations give; Requested, Rejected and Suspended users hold only their state's rights on themselves. Only an
 * Approved administrator gets admin rights (a Flagged one does not). The one definition the engine, the statuses,
 * `evaluate` and `charter explain` use.
 */
import type { RestrictedState } from '../catalog/catalog.ts';
import type { UserObject, UserState } from '../model/model.ts';

/** The states in which a user holds rights. */
export const RIGHTS_STATES: ReadonlySet<UserState> = new Set<UserState>(['Approved', 'Flagged']);

/** The restricted state of a user that holds no rights, or undefined for Approved and Flagged users. */
export function restrictedState(state: UserState): RestrictedState | undefined {
  return RIGHTS_STATES.has(state) ? undefined : (state as RestrictedState);
}

/** An existing user in a state that holds rights. */
export function holdsRights(user: UserObject | undefined): boolean {
  return user !== undefined && RIGHTS_STATES.has(user.state);
}

/** An Approved administrator (a Flagged one gets no admin rights). */
export function isAdmin(user: UserObject | undefined): boolean {
  return user !== undefined && user.admin && user.state === 'Approved';
}
