/**
 * The stream of changes the incremental benchmark applies: 70 % memberships, 20 % collaborations, 10 % rights
 * edits, each drawn from the engine's current model (so a removal removes something that is there). Every change
 * says whether it touches a hot group (or an ancestor of one, or an organization such a group is a member of) and
 * how many users it fans out to, so that hot changes can be reported apart and per user touched.
 */
import { loadCatalog } from '../src/catalog/load-catalog.ts';
import { Engine, type Change } from '../src/engine/engine.ts';
import type { CollaborationObject, UserGroupObject } from '../src/model/model.ts';
import { copyModel, drawGrant, drawRights, generateWorkload, type GrantType, type TierName, type Workload } from './generate-model.ts';

export type ChangeCategory = 'groupMembership' | 'groupNesting' | 'organizationMembership' | 'collaboration' | 'rights';

export interface MixChange {
  change: Change;
  category: ChangeCategory;
  /** Touches a hot group, an ancestor of one, or an organization one of those is a member of. */
  hot: boolean;
  /** Users whose profiles the change can affect (the subject's members; 1 for a user). */
  fanOut: number;
  /** For group edits: how many users the edited group lists (the engine re-reads the list). */
  listed: number;
  label: string;
}

/** The mix: 70 % memberships (group members, nesting, organization memberships), 20 % collaborations, 10 % rights. */
export const CHANGE_MIX: Readonly<Record<ChangeCategory, number>> = {
  groupMembership: 70 * 0.75,
  groupNesting: 70 * 0.05,
  organizationMembership: 70 * 0.2,
  collaboration: 20,
  rights: 10,
};

const ENTITY_GRANTS: Readonly<Record<Exclude<GrantType, 'membership'>, number>> = { userEntity: 40, groupEntity: 20, organizationEntity: 15 };

/** A list with O(1) add, remove and uniform pick. */
class IndexedList {
  private readonly items: string[] = [];
  private readonly position = new Map<string, number>();

  get size(): number {
    return this.items.length;
  }

  add(item: string): void {
    if (this.position.has(item)) return;
    this.position.set(item, this.items.length);
    this.items.push(item);
  }

  remove(item: string): void {
    const i = this.position.get(item);
    if (i === undefined) return;
    const last = this.items.pop()!;
    this.position.delete(item);
    if (last !== item) {
      this.items[i] = last;
      this.position.set(last, i);
    }
  }

  pick(next: () => number): string {
    return this.items[Math.floor(next() * this.items.length)]!;
  }
}

const keyOf = (c: CollaborationObject): string => `${c.namespace}/${c.name}`;

export class ChangeMix {
  private readonly w: Workload;
  private readonly engine: Engine;
  /** user → groups listing it by name. */
  private readonly directGroups = new Map<string, Set<string>>();
  private readonly usersWithGroups = new IndexedList();
  private readonly entityGrants = new IndexedList();
  private readonly userMemberships = new IndexedList();
  private readonly all = new IndexedList();
  private hotClosure = new Set<string>();
  private hotOrganizations = new Set<string>();
  /** The parts hot groups nest to hold their users beyond the schema's list limit. */
  private readonly parts: ReadonlySet<string>;

  constructor(w: Workload, engine: Engine) {
    this.w = w;
    this.parts = new Set([...w.hotParts.values()].flat());
    this.engine = engine;
    for (const group of engine.model.groups.values()) for (const user of group.users) this.listUser(user, group.name);
    for (const c of engine.model.collaborations.values()) this.track(c);
    this.computeHot();
  }

  /** Hot groups, their ancestors and the parts they nest to hold their users (generate-model.ts). */
  get hotGroups(): ReadonlySet<string> {
    return this.hotClosure;
  }

  /** Draws the next change (not applied: the caller applies it and times that). */
  next(): MixChange {
    const category = this.w.random.weighted(CHANGE_MIX);
    switch (category) {
      case 'groupMembership':
        return this.groupMembership();
      case 'groupNesting':
        return this.groupNesting();
      case 'organizationMembership':
        return this.organizationMembership();
      case 'collaboration':
        return this.collaboration();
      case 'rights':
        return this.rightsEdit(this.modelCollaboration(this.all.pick(() => this.w.random.next())));
    }
  }

  /** Adds a user to (or removes one from) a group. */
  groupMembership(forcedGroup?: string): MixChange {
    const { random } = this.w;
    const model = this.engine.model;
    // A random listing, so that groups are edited in proportion to their size (big groups churn the most).
    const someone = this.usersWithGroups.pick(() => random.next());
    const group = model.groups.get(forcedGroup ?? random.pick([...this.directGroups.get(someone)!]))!;
    let users: string[];
    let label: string;
    if (forcedGroup === undefined && random.chance(0.5)) {
      users = group.users.filter((u) => u !== someone);
      this.unlistUser(someone, group.name);
      label = `remove ${someone} from ${group.name}`;
    } else {
      const listed = new Set(group.users);
      let user: string;
      do user = random.pick(this.w.userNames);
      while (listed.has(user));
      users = [...group.users, user];
      this.listUser(user, group.name);
      label = `add ${user} to ${group.name}`;
    }
    const after: UserGroupObject = { ...group, generation: group.generation + 1, users };
    return { change: { type: 'upsert', object: after }, category: 'groupMembership', hot: this.hotClosure.has(group.name), fanOut: 1, listed: users.length, label };
  }

  /** Nests a group in another one level or two up, or un-nests one (levels keep the graph acyclic). */
  private groupNesting(): MixChange {
    const { random, groupNames, groupLevel } = this.w;
    const model = this.engine.model;
    let parent: UserGroupObject;
    let groups: string[];
    let child: string;
    if (random.chance(0.5)) {
      do child = random.pick(groupNames);
      while (groupLevel.get(child)! < 2 || child.startsWith('hot-'));
      const level = groupLevel.get(child)! - random.int(1, 2);
      do parent = model.groups.get(random.pick(groupNames))!;
      while (groupLevel.get(parent.name) !== level || parent.groups.includes(child));
      groups = [...parent.groups, child];
    } else {
      // Not a hot group's part: that would take thousands of its users out at once (its users, not a nesting choice).
      const nested = (g: UserGroupObject): string[] => g.groups.filter((c) => !this.parts.has(c));
      do parent = model.groups.get(random.pick(groupNames))!;
      while (nested(parent).length === 0);
      child = random.pick(nested(parent));
      groups = parent.groups.filter((g) => g !== child);
    }
    const hot = this.hotClosure.has(parent.name);
    const label = `${groups.length > parent.groups.length ? 'nest' : 'un-nest'} ${child} in ${parent.name}`;
    const after: UserGroupObject = { ...parent, generation: parent.generation + 1, groups };
    return { change: { type: 'upsert', object: after }, category: 'groupNesting', hot, fanOut: this.engine.groups.membersOf(child).size, listed: parent.users.length, label };
  }

  /** Nesting changes move the ancestors of hot groups: call after applying one. */
  afterApply(change: MixChange): void {
    if (change.category === 'groupNesting') this.computeHot();
  }

  /** A user joins an organization (a new membership Collaboration) or leaves one. */
  private organizationMembership(): MixChange {
    const { random } = this.w;
    if (random.chance(0.5) && this.userMemberships.size > 0) {
      const c = this.modelCollaboration(this.userMemberships.pick(() => random.next()));
      this.untrack(c);
      return { change: { type: 'delete', kind: 'Collaboration', namespace: c.namespace, name: c.name }, category: 'organizationMembership', hot: false, fanOut: 1, listed: 0, label: `${c.subject.name} leaves ${c.target.name}` };
    }
    let c: CollaborationObject;
    do c = drawGrant(this.w, 'membership');
    while (c.subject.kind !== 'User');
    this.track(c);
    return { change: { type: 'upsert', object: c }, category: 'organizationMembership', hot: false, fanOut: 1, listed: 0, label: `${c.subject.name} joins ${c.target.name}` };
  }

  /** A grant on an entity appears or disappears. */
  private collaboration(): MixChange {
    const { random } = this.w;
    let c: CollaborationObject;
    let change: Change;
    if (random.chance(0.5) && this.entityGrants.size > 0) {
      c = this.modelCollaboration(this.entityGrants.pick(() => random.next()));
      this.untrack(c);
      change = { type: 'delete', kind: 'Collaboration', namespace: c.namespace, name: c.name };
    } else {
      c = drawGrant(this.w, random.weighted(ENTITY_GRANTS));
      this.track(c);
      change = { type: 'upsert', object: c };
    }
    const label = `${change.type === 'delete' ? 'revoke' : 'grant'} ${c.subject.kind}/${c.subject.name} → ${c.target.kind}/${c.target.name}`;
    return { change, category: 'collaboration', hot: this.isHotSubject(c), fanOut: this.fanOut(c), listed: 0, label };
  }

  /** The rights of an existing Collaboration change (another preset of its target kind). */
  rightsEdit(c: CollaborationObject): MixChange {
    let rights: string[];
    let attempts = 0;
    do rights = drawRights(this.w, c.target.kind);
    while (rights.join() === c.rights.join() && ++attempts < 10);
    const after: CollaborationObject = { ...c, generation: c.generation + 1, rights };
    const label = `rights of ${c.subject.kind}/${c.subject.name} → ${c.target.kind}/${c.target.name}: ${rights.join(',')}`;
    return { change: { type: 'upsert', object: after }, category: 'rights', hot: this.isHotSubject(c), fanOut: this.fanOut(c), listed: 0, label };
  }

  /** Collaborations of a subject (for the hot-group probes). */
  collaborationsOf(subjectKey: string): CollaborationObject[] {
    return [...this.engine.collaborationsWithSubject(subjectKey)].map((key) => this.modelCollaboration(key));
  }

  private modelCollaboration(key: string): CollaborationObject {
    return this.engine.model.collaborations.get(key)!;
  }

  private fanOut(c: CollaborationObject): number {
    const { kind, name } = c.subject;
    if (kind === 'User') return 1;
    if (kind === 'UserGroup') return this.engine.groups.membersOf(name).size;
    return this.engine.organizationMembers(name).size;
  }

  private isHotSubject(c: CollaborationObject): boolean {
    return c.subject.kind === 'UserGroup' ? this.hotClosure.has(c.subject.name) : c.subject.kind === 'Organization' && this.hotOrganizations.has(c.subject.name);
  }

  private computeHot(): void {
    // A part's members are its hot group's: editing its list is editing the hot group's users.
    const closure = new Set<string>(this.parts);
    const stack = [...this.w.hotGroups];
    while (stack.length > 0) {
      const g = stack.pop()!;
      if (closure.has(g)) continue;
      closure.add(g);
      stack.push(...this.engine.groups.parentsOf(g));
    }
    const organizations = new Set<string>();
    for (const g of closure) {
      for (const c of this.collaborationsOf(`UserGroup/${g}`)) {
        if (c.target.kind !== 'Organization') continue;
        organizations.add(c.target.name);
        for (const d of this.engine.organizations.descendants.get(c.target.name) ?? []) organizations.add(d);
      }
    }
    this.hotClosure = closure;
    this.hotOrganizations = organizations;
  }

  private listUser(user: string, group: string): void {
    let set = this.directGroups.get(user);
    if (!set) this.directGroups.set(user, (set = new Set()));
    set.add(group);
    this.usersWithGroups.add(user);
  }

  private unlistUser(user: string, group: string): void {
    const set = this.directGroups.get(user);
    if (!set) return;
    set.delete(group);
    if (set.size === 0) {
      this.directGroups.delete(user);
      this.usersWithGroups.remove(user);
    }
  }

  private track(c: CollaborationObject): void {
    const key = keyOf(c);
    this.all.add(key);
    if (c.target.kind !== 'Organization') this.entityGrants.add(key);
    else if (c.subject.kind === 'User') this.userMemberships.add(key);
  }

  private untrack(c: CollaborationObject): void {
    const key = keyOf(c);
    this.all.remove(key);
    this.entityGrants.remove(key);
    this.userMemberships.remove(key);
  }
}

/**
 * The tier's model built into an engine that has then absorbed `warm` changes of the mix (what bench/map-refresh.ts
 * and bench/kept-maps-heap.ts start from), and the mix to draw the next changes from.
 */
export function warmedEngine(tier: TierName, seed: number, warm: number): { live: Engine; mix: ChangeMix } {
  const catalog = loadCatalog();
  const w = generateWorkload(tier, seed, catalog);
  const live = new Engine(copyModel(w.model), catalog, {}, w.now);
  const mix = new ChangeMix(w, live);
  for (let i = 0; i < warm; i++) {
    const mc = mix.next();
    live.apply([mc.change]);
    mix.afterApply(mc);
  }
  return { live, mix };
}
