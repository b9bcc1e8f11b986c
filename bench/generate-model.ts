/**
 * Synthetic models for the benchmark, from a fixed seed. The shape choices (why a namespace holds ~15 entities,
 * why groups nest the way they do, which right sets occur) are explained in docs/performance.md.
 */
import type { Catalog } from '../src/catalog/catalog.ts';
import type { ModelView } from '../src/engine/engine-view.ts';
import type { LabelSelector } from '../src/api/types.generated.ts';
import {
  emptyModel,
  type CollaborationObject,
  type Model,
  type OrganizationObject,
  type SubjectKind,
  type UserGroupObject,
  type UserObject,
  type UserState,
} from '../src/model/model.ts';
import { readSchema } from '../src/api/kinds.ts';
import { Random } from './random.ts';

export type TierName = 'small' | 'medium' | 'large' | 'xlarge';

export interface Tier {
  name: TierName;
  users: number;
  groups: number;
  organizations: number;
  entities: number;
  collaborations: number;
}

export const TIERS: Readonly<Record<TierName, Tier>> = {
  small: { name: 'small', users: 2_000, groups: 500, organizations: 100, entities: 3_000, collaborations: 10_000 },
  medium: { name: 'medium', users: 20_000, groups: 5_000, organizations: 1_000, entities: 30_000, collaborations: 100_000 },
  large: { name: 'large', users: 100_000, groups: 20_000, organizations: 5_000, entities: 150_000, collaborations: 500_000 },
  /** Measured for the cold build and the heap only (bench/engine.bench.ts): where one operator stops being enough. */
  xlarge: { name: 'xlarge', users: 1_000_000, groups: 200_000, organizations: 50_000, entities: 1_500_000, collaborations: 5_000_000 },
};

/** The evaluation time of every generated model: grants expire relative to it. */
export const BENCH_NOW = Date.parse('2026-06-01T00:00:00Z');

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** An entity reference; entities are not objects, only targets of Collaborations. */
export interface Entity {
  kind: string;
  namespace: string;
  name: string;
  /** `Application/acme-prod/app-12` */
  key: string;
}

export type GrantType = 'userEntity' | 'groupEntity' | 'organizationEntity' | 'membership';

/** semantics §1 kinds whose entities live in namespaces, with how common each is. */
const ENTITY_KINDS = { Application: 55, Gateway: 35, Client: 10 } as const;
const ENTITY_PREFIX: Record<string, string> = { Application: 'app', Gateway: 'gw', Client: 'client' };

/** Share of each Collaboration type, from the issue: 40 % User→entity, 20 % UserGroup→entity, 15 % Organization→entity, 25 % memberships. */
export const GRANT_MIX: Readonly<Record<GrantType, number>> = { userEntity: 40, groupEntity: 20, organizationEntity: 15, membership: 25 };

/**
 * The right sets people actually pick (console presets) for each target kind; 10 % of grants instead draw 1–3
 * random concrete rights of the kind. Real deployments have a few dozen distinct right sets, not thousands.
 */
const PRESETS: Readonly<Record<string, readonly (readonly string[])[]>> = {
  Application: [
    ['RIGHT_APPLICATION_ALL'],
    ['RIGHT_APPLICATION_LINK'],
    ['RIGHT_APPLICATION_INFO'],
    ['RIGHT_APPLICATION_INFO', 'RIGHT_APPLICATION_DEVICES_READ', 'RIGHT_APPLICATION_TRAFFIC_READ'],
    ['RIGHT_APPLICATION_INFO', 'RIGHT_APPLICATION_DEVICES_READ', 'RIGHT_APPLICATION_DEVICES_WRITE', 'RIGHT_APPLICATION_TRAFFIC_READ', 'RIGHT_APPLICATION_TRAFFIC_DOWN_WRITE'],
    ['RIGHT_APPLICATION_INFO', 'RIGHT_APPLICATION_SETTINGS_BASIC', 'RIGHT_APPLICATION_SETTINGS_COLLABORATORS', 'RIGHT_APPLICATION_DELETE'],
  ],
  Gateway: [
    ['RIGHT_GATEWAY_ALL'],
    ['RIGHT_GATEWAY_LINK'],
    ['RIGHT_GATEWAY_INFO', 'RIGHT_GATEWAY_STATUS_READ', 'RIGHT_GATEWAY_LOCATION_READ'],
    ['RIGHT_GATEWAY_INFO', 'RIGHT_GATEWAY_SETTINGS_BASIC', 'RIGHT_GATEWAY_TRAFFIC_READ'],
    ['RIGHT_GATEWAY_INFO', 'RIGHT_GATEWAY_READ_SECRETS', 'RIGHT_GATEWAY_WRITE_SECRETS'],
  ],
  Client: [['RIGHT_CLIENT_ALL'], ['RIGHT_CLIENT_INFO'], ['RIGHT_CLIENT_INFO', 'RIGHT_CLIENT_SETTINGS_BASIC'], ['RIGHT_CLIENT_INFO', 'RIGHT_CLIENT_SETTINGS_COLLABORATORS', 'RIGHT_CLIENT_DELETE']],
  /** Membership rights: organization rights plus rights of other kinds acting as a mask (§5). */
  Organization: [
    ['RIGHT_ALL'],
    ['RIGHT_ORGANIZATION_ALL', 'RIGHT_APPLICATION_ALL', 'RIGHT_GATEWAY_ALL', 'RIGHT_CLIENT_ALL'],
    ['RIGHT_ORGANIZATION_INFO', 'RIGHT_APPLICATION_ALL'],
    ['RIGHT_ORGANIZATION_INFO', 'RIGHT_GATEWAY_ALL'],
    ['RIGHT_ORGANIZATION_INFO', 'RIGHT_APPLICATION_INFO', 'RIGHT_GATEWAY_INFO', 'RIGHT_CLIENT_INFO'],
    ['RIGHT_ORGANIZATION_INFO', 'RIGHT_ORGANIZATION_APPLICATIONS_LIST', 'RIGHT_APPLICATION_INFO', 'RIGHT_APPLICATION_TRAFFIC_READ', 'RIGHT_APPLICATION_DEVICES_READ'],
    ['RIGHT_ORGANIZATION_INFO'],
  ],
};

/** Restricted ownership for 10 % of organizations (the rest own with the default [RIGHT_ALL]). */
const OWNER_RIGHTS: readonly (readonly string[])[] = [
  ['RIGHT_APPLICATION_ALL', 'RIGHT_GATEWAY_ALL', 'RIGHT_CLIENT_ALL', 'RIGHT_ORGANIZATION_INFO'],
  ['RIGHT_APPLICATION_ALL', 'RIGHT_ORGANIZATION_ALL'],
];

const STATES: Readonly<Record<UserState, number>> = { Approved: 965, Requested: 15, Flagged: 5, Rejected: 5, Suspended: 10 };
const REGIONS = ['eu', 'us', 'apac'] as const;
const TEAMS = 30;
const NAMESPACE_SUFFIXES = ['prod', 'staging', 'dev'] as const;

/**
 * Group nesting: 8 levels (0 = top), each ~1.6× the one above. Hot groups sit near the top (levels 2, 1, 1): big
 * groups are company-wide ones ("engineering", "all staff"), nested in a few top groups.
 */
const GROUP_LEVELS = 8;
const LEVEL_GROWTH = 1.6;
const HOT_FRACTIONS = [0.1, 0.25, 0.5] as const;
const HOT_LEVELS = [2, 1, 1] as const;
/** `members.users` maxItems in the UserGroup schema (src/api/common.schema.json): the most names one group lists. */
export const MAX_LISTED = (readSchema('common.schema.json') as { $defs: { members: { properties: { users: { maxItems: number } } } } }).$defs.members.properties.users.maxItems;
/** Groups that hold grants on entities are departments and teams (level ≥ 3); organization members are teams (≥ 6). */
const ENTITY_GRANT_MIN_LEVEL = 3;
const MEMBERSHIP_MIN_LEVEL = 6;

/** Selector groups are narrow (0.2–1 % of users each), like "eu contractors" or "team t7 staff". */
const SELECTORS: readonly LabelSelector[] = [
  { matchLabels: { region: 'eu' }, matchExpressions: [{ key: 'team', operator: 'In', values: ['t1', 't2'] }] },
  { matchLabels: { contractor: 'true', region: 'us' } },
  { matchLabels: { region: 'apac', team: 't3' } },
  { matchLabels: { team: 't7' }, matchExpressions: [{ key: 'contractor', operator: 'DoesNotExist' }] },
];

/** A generated model plus the indexes the change mix draws from. */
export interface Workload {
  tier: Tier;
  seed: number;
  now: number;
  model: Model;
  entities: Entity[];
  /** Namespace → entities in it. */
  entitiesIn: Map<string, Entity[]>;
  /** Organization → namespaces it claims. */
  namespacesOf: Map<string, readonly string[]>;
  userNames: string[];
  groupNames: string[];
  organizationNames: string[];
  /** The organizations in a random order, most popular first (memberships are skewed towards the front). */
  organizationsByPopularity: string[];
  /** Group → nesting level (0 = top). */
  groupLevel: Map<string, number>;
  /**
   * The three hot groups, holding 10 %, 25 % and 50 % of the users: listed directly, at most MAX_LISTED (the schema's
   * limit) in the hot group itself and the rest in parts it nests (`hotParts`).
   */
  hotGroups: string[];
  /** Hot group → the groups it nests to hold its users beyond MAX_LISTED (`hot-50-part-1`, …), each listing ≤ MAX_LISTED. */
  hotParts: Map<string, string[]>;
  /** Further draws (new grants in the change mix) continue the same sequence. */
  random: Random;
  catalog: Catalog;
  nextCollaborationId: () => number;
}

/** Builds the model of a tier; the same (tier, seed) always gives the same model. */
export function generateWorkload(tierName: TierName, seed: number, catalog: Catalog): Workload {
  const tier = TIERS[tierName];
  const random = new Random(seed);
  const model = emptyModel();
  let collaborationId = 0;
  const workload: Workload = {
    tier,
    seed,
    now: BENCH_NOW,
    model,
    entities: [],
    entitiesIn: new Map(),
    namespacesOf: new Map(),
    userNames: [],
    groupNames: [],
    organizationNames: [],
    organizationsByPopularity: [],
    groupLevel: new Map(),
    hotGroups: [],
    hotParts: new Map(),
    random,
    catalog,
    nextCollaborationId: () => collaborationId++,
  };
  generateUsers(workload);
  generateOrganizations(workload);
  generateEntities(workload);
  generateGroups(workload);
  generateCollaborations(workload);
  return workload;
}

function generateUsers(w: Workload): void {
  const { random, tier, model } = w;
  const admins = Math.max(2, Math.round(tier.users / 1000));
  for (let i = 0; i < tier.users; i++) {
    const labels: Record<string, string> = {};
    if (random.chance(0.6)) labels['region'] = random.pick(REGIONS);
    if (random.chance(0.3)) labels['team'] = `t${random.int(0, TEAMS - 1)}`;
    if (random.chance(0.05)) labels['contractor'] = 'true';
    const user: UserObject = {
      kind: 'User',
      name: `user-${i}`,
      generation: 1,
      labels,
      admin: false,
      state: random.weighted(STATES),
      identities: [`user-${i}@example.com`],
      organization: undefined,
    };
    model.users.set(user.name, user);
    w.userNames.push(user.name);
  }
  for (const name of random.sample(w.userNames, admins)) model.users.set(name, { ...model.users.get(name)!, admin: true });
}

function generateOrganizations(w: Workload): void {
  const { random, tier, model } = w;
  const depth: number[] = [];
  for (let i = 0; i < tier.organizations; i++) {
    const name = `org-${i}`;
    let parent: string | undefined;
    depth.push(0);
    // A forest: ~30 % have a parent, at most 4 levels deep.
    if (i > 0 && random.chance(0.3)) {
      for (let attempt = 0; attempt < 5; attempt++) {
        const j = random.int(0, i - 1);
        if (depth[j]! < 3) {
          parent = `org-${j}`;
          depth[i] = depth[j]! + 1;
          break;
        }
      }
    }
    const namespaces = NAMESPACE_SUFFIXES.slice(0, random.int(1, 3)).map((suffix) => `${name}-${suffix}`);
    const org: OrganizationObject = {
      kind: 'Organization',
      name,
      generation: 1,
      parent,
      namespaces,
      ownerRights: random.chance(0.1) ? random.pick(OWNER_RIGHTS) : undefined,
      availableUsers: undefined,
      createdBy: undefined,
    };
    model.organizations.set(name, org);
    w.organizationNames.push(name);
  }
  // A few misconfigurations: an organization also claims another's namespace, so neither owns it (NamespaceConflict).
  const conflicts = Math.max(1, Math.round(tier.organizations / 500));
  for (let k = 0; k < conflicts; k++) {
    const a = model.organizations.get(random.pick(w.organizationNames))!;
    const b = model.organizations.get(random.pick(w.organizationNames))!;
    if (a === b) continue;
    model.organizations.set(a.name, { ...a, namespaces: [...a.namespaces, b.namespaces[0]!] });
  }
  for (const org of model.organizations.values()) w.namespacesOf.set(org.name, org.namespaces);
  // Independent of the index, so that popular organizations are not also the ones with the most descendants.
  w.organizationsByPopularity = random.shuffle([...w.organizationNames]);
}

function generateEntities(w: Workload): void {
  const { random, tier } = w;
  // Tenants differ in size: namespaces in random order, then a skewed draw (the largest holds ~1–2 % of entities).
  const namespaces = random.shuffle([...new Set([...w.namespacesOf.values()].flat())]);
  for (let i = 0; i < tier.entities; i++) {
    const kind = random.weighted(ENTITY_KINDS);
    const namespace = namespaces[random.skewedIndex(namespaces.length, 1.8)]!;
    const name = `${ENTITY_PREFIX[kind]}-${i}`;
    const entity: Entity = { kind, namespace, name, key: `${kind}/${namespace}/${name}` };
    w.entities.push(entity);
    let list = w.entitiesIn.get(namespace);
    if (!list) w.entitiesIn.set(namespace, (list = []));
    list.push(entity);
  }
}

function generateGroups(w: Workload): void {
  const { random, tier, model } = w;
  const weights = Array.from({ length: GROUP_LEVELS }, (_, level) => LEVEL_GROWTH ** level);
  const total = weights.reduce((a, b) => a + b, 0);
  const sizes = weights.map((weight) => Math.max(1, Math.round((tier.groups * weight) / total)));
  sizes[GROUP_LEVELS - 1]! += tier.groups - sizes.reduce((a, b) => a + b, 0);
  const hot = new Map<string, number>(); // `level/index` → fraction
  HOT_LEVELS.forEach((level, k) => {
    let slot: string;
    do slot = `${level}/${random.int(0, sizes[level]! - 1)}`;
    while (hot.has(slot));
    hot.set(slot, HOT_FRACTIONS[k]!);
  });
  const levels: string[][] = sizes.map((size, level) =>
    Array.from({ length: size }, (_, i) => {
      const fraction = hot.get(`${level}/${i}`);
      return fraction === undefined ? `grp-${level}-${i}` : `hot-${Math.round(fraction * 100)}`;
    }),
  );
  const children = new Map<string, string[]>();
  for (let level = 0; level < GROUP_LEVELS; level++) {
    for (const [i, name] of levels[level]!.entries()) {
      w.groupNames.push(name);
      w.groupLevel.set(name, level);
      children.set(name, []);
      if (level === 0) continue;
      // 1–3 parents (75 % one, 20 % two, 5 % three): the aligned group one level up (a department's team), plus
      // cross-links to its neighbours one (sometimes two) levels up. With two parents on average the closures would
      // double at every level and a mid-level group would hold a third of the company; real directories are mostly trees.
      const parents = new Set<string>();
      const alignedIn = (l: number): number => Math.floor((i * sizes[l]!) / sizes[level]!);
      parents.add(levels[level - 1]![alignedIn(level - 1)]!);
      const extra = random.weighted({ 0: 75, 1: 20, 2: 5 });
      for (let k = 0; k < Number(extra); k++) {
        const l = level >= 2 && random.chance(0.1) ? level - 2 : level - 1;
        const index = Math.min(sizes[l]! - 1, Math.max(0, alignedIn(l) + random.int(-1, 1)));
        parents.add(levels[l]![index]!);
      }
      for (const parent of parents) children.get(parent)!.push(name);
    }
  }
  w.hotGroups = HOT_FRACTIONS.map((f) => `hot-${Math.round(f * 100)}`);
  const hotSet = new Set(w.hotGroups);
  const deepest = levels[GROUP_LEVELS - 1]!.filter((g) => !hotSet.has(g));
  const selectorGroups = new Map<string, LabelSelector>(random.sample(deepest, SELECTORS.length).map((g, k) => [g, SELECTORS[k]!]));
  const ordinary = w.groupNames.filter((g) => !hotSet.has(g) && !selectorGroups.has(g));
  const usersOf = new Map<string, string[]>(w.groupNames.map((g) => [g, []]));
  const hotMembers = HOT_FRACTIONS.map((f) => new Set(random.sample(w.userNames, Math.round(f * tier.users))));
  for (const user of w.userNames) {
    let hotCount = 0;
    hotMembers.forEach((members, k) => {
      if (members.has(user)) {
        usersOf.get(w.hotGroups[k]!)!.push(user);
        hotCount++;
      }
    });
    // 1–5 groups per user, hot groups included.
    const wanted = random.int(1, 5) - hotCount;
    const chosen = new Set<string>();
    while (chosen.size < wanted) chosen.add(random.pick(ordinary));
    for (const g of chosen) usersOf.get(g)!.push(user);
  }
  // A hot group lists at most MAX_LISTED users (the schema's maxItems); the rest it holds through parts it nests, each
  // listing at most as many, one level below it: the model stays valid against the schema (so admission can edit
  // every list), and each hot group keeps its members. No random draws here: the rest of the model stays the same.
  const parts: string[] = [];
  for (const hotGroup of w.hotGroups) {
    const listed = usersOf.get(hotGroup)!;
    if (listed.length <= MAX_LISTED) continue;
    const chunks = Math.ceil(listed.length / MAX_LISTED);
    const size = Math.ceil(listed.length / chunks);
    const names: string[] = [];
    for (let k = 1; k < chunks; k++) {
      const part = `${hotGroup}-part-${k}`;
      usersOf.set(part, listed.slice(k * size, (k + 1) * size));
      children.set(part, []);
      children.get(hotGroup)!.push(part);
      w.groupLevel.set(part, w.groupLevel.get(hotGroup)! + 1);
      names.push(part);
    }
    usersOf.set(hotGroup, listed.slice(0, size));
    w.hotParts.set(hotGroup, names);
    parts.push(...names);
  }
  for (const name of w.groupNames) {
    const group: UserGroupObject = {
      kind: 'UserGroup',
      name,
      generation: 1,
      organization: random.chance(0.6) ? random.pick(w.organizationNames) : undefined,
      users: usersOf.get(name)!,
      groups: children.get(name)!,
      selector: selectorGroups.get(name),
    };
    model.groups.set(name, group);
  }
  // The parts are not in groupNames: nothing draws them (grants, nesting changes), as nothing draws a hot group.
  for (const name of parts) model.groups.set(name, { kind: 'UserGroup', name, generation: 1, organization: undefined, users: usersOf.get(name)!, groups: [], selector: undefined });
}

/** Draws the rights of a grant on a target kind (Organization: membership rights). */
export function drawRights(w: Workload, targetKind: string): string[] {
  const { random, catalog } = w;
  if (targetKind !== 'Organization' && random.chance(0.01)) return ['RIGHT_ALL'];
  if (random.chance(0.1)) {
    const pool = targetKind === 'Organization' ? ['Organization', 'Application', 'Gateway'] : [targetKind];
    const rights = pool.flatMap((k) => catalog.kinds.get(k)!.rights.map((i) => catalog.rights[i]!));
    return random.sample(rights, random.int(1, 3)).sort();
  }
  return [...random.pick(PRESETS[targetKind]!)];
}

/** ~5 % of grants expire: a fifth of those already have (they count as Expired), the rest within 90 days. */
function drawExpiry(w: Workload): number | undefined {
  const { random } = w;
  if (!random.chance(0.05)) return undefined;
  return random.chance(0.2) ? w.now - random.int(HOUR, 30 * DAY) : w.now + random.int(HOUR, 90 * DAY);
}

export function collaboration(
  w: Workload,
  namespace: string,
  subject: { kind: SubjectKind; name: string },
  target: { kind: string; name: string },
  rights: string[],
): CollaborationObject {
  const prefix = target.kind === 'Organization' ? 'm' : 'g';
  return {
    kind: 'Collaboration',
    namespace,
    name: `${prefix}-${w.nextCollaborationId()}`,
    generation: 1,
    subject,
    target,
    rights,
    role: undefined,
    expiresAt: drawExpiry(w),
  };
}

function addCollaboration(w: Workload, c: CollaborationObject): void {
  w.model.collaborations.set(`${c.namespace}/${c.name}`, c);
}

/** A user subject: some users collaborate much more than others; 0.2 % name a user that does not exist. */
function drawUser(w: Workload): string {
  if (w.random.chance(0.002)) return `ghost-${w.random.int(0, 999)}`;
  return w.userNames[w.random.skewedIndex(w.userNames.length, 1.5)]!;
}

/**
 * A group subject at `minLevel` or deeper, never a hot group (their grants are placed on purpose). Grants go to
 * teams and departments, not to the top of the tree: a grant to a division is what the hot groups stand for.
 */
function drawGroup(w: Workload, minLevel: number): string {
  for (;;) {
    const g = w.random.pick(w.groupNames);
    if (!g.startsWith('hot-') && w.groupLevel.get(g)! >= minLevel) return g;
  }
}

/** A new grant of the given type, drawn like the generator draws them. */
export function drawGrant(w: Workload, type: GrantType): CollaborationObject {
  const { random } = w;
  switch (type) {
    case 'userEntity':
    case 'groupEntity': {
      const entity = random.pick(w.entities);
      const subject = type === 'userEntity' ? { kind: 'User' as const, name: drawUser(w) } : { kind: 'UserGroup' as const, name: drawGroup(w, ENTITY_GRANT_MIN_LEVEL) };
      return collaboration(w, entity.namespace, subject, { kind: entity.kind, name: entity.name }, drawRights(w, entity.kind));
    }
    case 'organizationEntity': {
      const org = random.pick(w.organizationNames);
      // A quarter target the organization's own entities (narrowing nothing, but common); the rest another tenant's.
      const own = w.namespacesOf.get(org)!.flatMap((ns) => w.entitiesIn.get(ns) ?? []);
      const entity = own.length > 0 && random.chance(0.25) ? random.pick(own) : random.pick(w.entities);
      return collaboration(w, entity.namespace, { kind: 'Organization', name: org }, { kind: entity.kind, name: entity.name }, drawRights(w, entity.kind));
    }
    case 'membership': {
      const org = w.organizationsByPopularity[random.skewedIndex(w.organizationNames.length, 1.5)]!;
      // Most memberships name a user (as in The Things Stack); 15 % name a team.
      const subject = random.chance(0.85) ? { kind: 'User' as const, name: drawUser(w) } : { kind: 'UserGroup' as const, name: drawGroup(w, MEMBERSHIP_MIN_LEVEL) };
      return collaboration(w, random.pick(w.namespacesOf.get(org)!), subject, { kind: 'Organization', name: org }, drawRights(w, 'Organization'));
    }
  }
}

function generateCollaborations(w: Workload): void {
  const { random, tier } = w;
  // The hot groups are what they are for a reason: each is a member of an organization and holds two grants.
  const owning = random.sample(
    w.organizationNames.filter((o) => w.namespacesOf.get(o)!.length > 0),
    w.hotGroups.length,
  );
  w.hotGroups.forEach((g, k) => {
    const org = owning[k]!;
    const viewer = ['RIGHT_ORGANIZATION_INFO', 'RIGHT_APPLICATION_INFO', 'RIGHT_GATEWAY_INFO', 'RIGHT_CLIENT_INFO'];
    addCollaboration(w, { ...collaboration(w, w.namespacesOf.get(org)![0]!, { kind: 'UserGroup', name: g }, { kind: 'Organization', name: org }, viewer), expiresAt: undefined });
    for (let i = 0; i < 2; i++) {
      const entity = random.pick(w.entities);
      addCollaboration(w, { ...collaboration(w, entity.namespace, { kind: 'UserGroup', name: g }, { kind: entity.kind, name: entity.name }, drawRights(w, entity.kind)), expiresAt: undefined });
    }
  });
  while (w.model.collaborations.size < tier.collaborations) addCollaboration(w, drawGrant(w, random.weighted(GRANT_MIX)));
}

/** A model sharing the (immutable) objects of another, in fresh maps: what a second engine can own. */
export function copyModel(model: ModelView): Model {
  return {
    users: new Map(model.users),
    organizations: new Map(model.organizations),
    groups: new Map(model.groups),
    collaborations: new Map(model.collaborations),
  };
}
