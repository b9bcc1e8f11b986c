/**
 * "Holds R on X" (admission.md §1): the requester's effective rights (semantics.md §5) in the state before the
 * change, and, for a membership (a Collaboration targeting an Organization), its own membership rights
 * expand(M*(requester, o)) plus, for an admin, the admin rights. Restricted users hold only their self rights.
 */
import type { EngineView } from '../engine/engine-view.ts';
import { evaluate } from '../engine/evaluate.ts';
import { EMPTY, type RightSetId } from '../engine/right-sets.ts';
import { RIGHTS_STATES } from '../engine/user-states.ts';

export class Holdings {
  readonly engine: EngineView;
  readonly user: string;
  readonly admin: boolean;
  private adminAll: RightSetId | undefined;

  constructor(engine: EngineView, user: string) {
    this.engine = engine;
    this.user = user;
    this.admin = engine.admins.has(user);
  }

  /** Effective rights on an entity key (`Application/acme/app1`, `Organization/acme`, `User/bob`). */
  on(entityKey: string): RightSetId {
    const parts = entityKey.split('/');
    const kind = parts[0]!;
    const scope = this.engine.catalog.kinds.get(kind)?.scope;
    // A key that does not fit its kind's scope (a Collaboration naming a User as target) is no entity: nothing is held.
    if (scope === undefined || (scope === 'Cluster') !== (parts.length === 2)) return EMPTY;
    if (kind === 'User') return evaluate(this.engine, this.user, { kind, namespace: undefined, name: parts[1]! }).rights;
    const namespace = parts.length === 3 ? parts[1] : undefined;
    return this.engine.rightsOn(this.user, { kind, namespace, key: entityKey });
  }

  holds(right: string, entityKey: string): boolean {
    const index = this.engine.catalog.rightIndex.get(right);
    return index !== undefined && this.engine.sets.has(this.on(entityKey), index);
  }

  /** What the requester may grant or revoke as a membership of `org`: expand(M*) (∪ admin rights). */
  asMember(org: string): RightSetId {
    const engine = this.engine;
    const state = engine.model.users.get(this.user)?.state;
    let set = state !== undefined && RIGHTS_STATES.has(state) ? (engine.membership(this.user, org)?.mask ?? EMPTY) : EMPTY;
    if (this.admin) set = engine.sets.union(set, this.adminRights());
    return set;
  }

  /** What a membership needs to hold to grant or revoke (entity targets: rights on the entity; Organization: asMember). */
  forTarget(targetKey: string): RightSetId {
    return targetKey.startsWith('Organization/') ? this.asMember(targetKey.slice('Organization/'.length)) : this.on(targetKey);
  }

  /** Every right an admin gets anywhere (all concrete rights, without the withheld ones unless adminRights=all). */
  private adminRights(): RightSetId {
    if (this.adminAll === undefined) {
      const engine = this.engine;
      const all = engine.sets.fromIndices(engine.catalog.rights.map((_, i) => i));
      this.adminAll = engine.options.adminRights === 'all' ? all : engine.sets.subtract(all, engine.sets.fromIndices(engine.catalog.adminWithheld));
    }
    return this.adminAll;
  }
}
