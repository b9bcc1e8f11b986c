/**
 * What ownership gives (semantics §5.4): a member of organization o holds expand(ownerRights(o)) ∩ M*(u, o) on every
 * entity of each namespaced kind in the namespaces o owns. Cached per (organization, mask), since many members share
 * a mask; the cache is dropped when an Organization changes (its ownerRights may have).
 */
import type { Catalog } from '../catalog/catalog.ts';
import type { Model } from '../model/model.ts';
import { EMPTY, type RightSets, type RightSetId } from './right-sets.ts';

export class OwnershipRights {
  private readonly catalog: Catalog;
  private readonly sets: RightSets;
  private readonly model: Model;
  /** Organization → mask → kind → what ownership gives on every entity of the kind. */
  private cache = new Map<string, Map<RightSetId, ReadonlyMap<string, RightSetId>>>();

  constructor(catalog: Catalog, sets: RightSets, model: Model) {
    this.catalog = catalog;
    this.sets = sets;
    this.model = model;
  }

  /** Kind → expand(ownerRights) ∩ mask ∩ kind rights, for the namespaced kinds where it is not empty. */
  of(org: string, mask: RightSetId): ReadonlyMap<string, RightSetId> {
    let byMask = this.cache.get(org);
    if (!byMask) this.cache.set(org, (byMask = new Map()));
    let byKind = byMask.get(mask);
    if (!byKind) {
      const sets = this.sets;
      const object = this.model.organizations.get(org);
      const kinds = new Map<string, RightSetId>();
      if (object) {
        const own = sets.intersect(mask, sets.expand(object.ownerRights ?? (this.catalog.allRight ? [this.catalog.allRight] : [])));
        if (own !== EMPTY) {
          for (const kind of this.catalog.kinds.values()) {
            if (kind.scope !== 'Namespaced') continue;
            const set = sets.intersect(own, sets.kindRights(kind.name));
            if (set !== EMPTY) kinds.set(kind.name, set);
          }
        }
      }
      byMask.set(mask, (byKind = kinds));
    }
    return byKind;
  }

  /** Call after an Organization changed. */
  forget(): void {
    this.cache = new Map();
  }
}
