/**
 * Who a User is outside the rights model: the Kubernetes identities that act as it (admission.md §1) and the
 * Organization that owns it (spec.organization). Kept up to date with the model; a status that depends on it (two
 * Users listing one identity report AmbiguousIdentity; an owner counts its owned users) is named on every change.
 */
import type { Model, UserObject } from '../model/model.ts';
import { addTo, removeFrom } from './set-index.ts';

export class UserIndex {
  /**
   * Identity → the User listing it, or the Users when several do (AmbiguousIdentity): nearly every identity is one
   * User's, and a set for each cost 18 MiB at the large tier.
   */
  private readonly byIdentity = new Map<string, string | Set<string>>();
  /** Organization → Users naming it in spec.organization (whether it exists or not). */
  private readonly byOwner = new Map<string, Set<string>>();

  constructor(model: Model) {
    for (const user of model.users.values()) this.add(user);
  }

  /** The Users that list an identity. */
  usersWithIdentity(identity: string): ReadonlySet<string> {
    const users = this.byIdentity.get(identity);
    return typeof users === 'string' ? new Set([users]) : (users ?? new Set());
  }

  /** The Users whose spec.organization names the organization. */
  ownedUsers(org: string): ReadonlySet<string> {
    return this.byOwner.get(org) ?? new Set();
  }

  /** For each of the user's identities listed by other Users too: those other Users, sorted. */
  ambiguities(user: UserObject): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const identity of user.identities) {
      const others = [...this.usersWithIdentity(identity)].filter((u) => u !== user.name);
      if (others.length > 0) out.set(identity, others.sort());
    }
    return out;
  }

  /** Call after the model's User changed; returns the statuses (`User/x`, `Organization/o`) that may have moved. */
  userChanged(before: UserObject | undefined, after: UserObject | undefined): Set<string> {
    const statuses = new Set<string>();
    if (before) this.remove(before);
    if (after) this.add(after);
    const identities = new Set([...(before?.identities ?? []), ...(after?.identities ?? [])]);
    const sameIdentities = before && after && before.identities.length === after.identities.length && before.identities.every((i) => after.identities.includes(i));
    if (!sameIdentities) for (const identity of identities) for (const u of this.usersWithIdentity(identity)) statuses.add(`User/${u}`);
    if (before?.organization !== after?.organization) {
      if (before?.organization !== undefined) statuses.add(`Organization/${before.organization}`);
      if (after?.organization !== undefined) statuses.add(`Organization/${after.organization}`);
    }
    return statuses;
  }

  private add(user: UserObject): void {
    for (const identity of user.identities) {
      const users = this.byIdentity.get(identity);
      if (users === undefined) this.byIdentity.set(identity, user.name);
      else if (typeof users !== 'string') users.add(user.name);
      else if (users !== user.name) this.byIdentity.set(identity, new Set([users, user.name]));
    }
    if (user.organization !== undefined) addTo(this.byOwner, user.organization, user.name);
  }

  private remove(user: UserObject): void {
    for (const identity of user.identities) {
      const users = this.byIdentity.get(identity);
      if (users === user.name) this.byIdentity.delete(identity);
      else if (typeof users !== 'string' && users?.delete(user.name)) {
        if (users.size === 1) this.byIdentity.set(identity, users.values().next().value!);
      }
    }
    if (user.organization !== undefined) removeFrom(this.byOwner, user.organization, user.name);
  }
}
