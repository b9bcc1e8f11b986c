/**
 * The model of the end-to-end benchmark (bench/e2e.bench.ts), as manifests to apply to a cluster: the engine
 * benchmark's tier sizes (small: 2 000 users, 500 groups, 100 organizations, 3 000 entities, 10 000 Collaborations;
 * medium ten times that; tiny a tenth), from a fixed seed, with
 * the same shape as the engine benchmark's generator (bench/generate-model.ts): organizations in a forest owning 1–3
 * namespaces each, entities spread unevenly over the namespaces, groups nested a few levels with a few label
 * selectors, and Collaborations 40 % User→entity, 20 % UserGroup→entity, 15 % Organization→entity, 25 % memberships.
 * Expiring grants expire 1–90 days after the run starts, so that none does during it.
 */
import { Random } from './random.ts';

export type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
};

export interface E2eTier {
  users: number;
  groups: number;
  organizations: number;
  entities: number;
  collaborations: number;
}

export const E2E_TIERS: Readonly<Record<'tiny' | 'small' | 'medium', E2eTier>> = {
  tiny: { users: 200, groups: 50, organizations: 10, entities: 300, collaborations: 1_000 },
  small: { users: 2_000, groups: 500, organizations: 100, entities: 3_000, collaborations: 10_000 },
  medium: { users: 20_000, groups: 5_000, organizations: 1_000, entities: 30_000, collaborations: 100_000 },
};

/** The benchmark's seeded PRNG (bench/random.ts), plus the skew this generator draws with. */
export class Rng extends Random {
  /** An index in [0, n) skewed towards 0 (a few large, many small). */
  skewed(n: number, power = 1.8): number {
    return Math.min(n - 1, Math.floor(n * this.next() ** power));
  }
}

export interface Entity {
  kind: string;
  namespace: string;
  name: string;
}

export interface E2eModel {
  namespaces: string[];
  users: string[];
  groups: string[];
  organizations: string[];
  /** Organization → the namespaces it owns. */
  namespacesOf: Map<string, string[]>;
  entities: Entity[];
  /** Every object, in an order that applies cleanly (Users, Organizations, UserGroups, Collaborations). */
  manifests: Manifest[];
}

const API = 'charter.dev/v1alpha1';
const KINDS: Array<[string, number]> = [
  ['Application', 55],
  ['Gateway', 35],
  ['Client', 10],
];
const PREFIX: Record<string, string> = { Application: 'app', Gateway: 'gw', Client: 'client' };
export const PRESETS: Readonly<Record<string, readonly (readonly string[])[]>> = {
  Application: [
    ['RIGHT_APPLICATION_ALL'],
    ['RIGHT_APPLICATION_LINK'],
    ['RIGHT_APPLICATION_INFO'],
    ['RIGHT_APPLICATION_INFO', 'RIGHT_APPLICATION_DEVICES_READ', 'RIGHT_APPLICATION_TRAFFIC_READ'],
    ['RIGHT_APPLICATION_INFO', 'RIGHT_APPLICATION_SETTINGS_BASIC', 'RIGHT_APPLICATION_SETTINGS_COLLABORATORS', 'RIGHT_APPLICATION_DELETE'],
  ],
  Gateway: [['RIGHT_GATEWAY_ALL'], ['RIGHT_GATEWAY_LINK'], ['RIGHT_GATEWAY_INFO', 'RIGHT_GATEWAY_STATUS_READ', 'RIGHT_GATEWAY_LOCATION_READ']],
  Client: [['RIGHT_CLIENT_ALL'], ['RIGHT_CLIENT_INFO'], ['RIGHT_CLIENT_INFO', 'RIGHT_CLIENT_SETTINGS_BASIC']],
  Organization: [
    ['RIGHT_ORGANIZATION_INFO', 'RIGHT_APPLICATION_INFO', 'RIGHT_GATEWAY_INFO'],
    ['RIGHT_APPLICATION_ALL', 'RIGHT_GATEWAY_ALL'],
    ['RIGHT_ORGANIZATION_ALL', 'RIGHT_APPLICATION_ALL', 'RIGHT_GATEWAY_ALL', 'RIGHT_CLIENT_ALL'],
    ['RIGHT_APPLICATION_INFO', 'RIGHT_APPLICATION_DEVICES_READ'],
  ],
};
const REGIONS = ['emea', 'amer', 'apac'];
const SUFFIXES = ['prod', 'dev', 'lab'];

function weighted(rng: Rng, table: Array<[string, number]>): string {
  const total = table.reduce((s, [, w]) => s + w, 0);
  let x = rng.next() * total;
  for (const [value, w] of table) if ((x -= w) < 0) return value;
  return table[table.length - 1]![0];
}

/** Builds the model of a tier; `now` only places the expiry times. */
export function generateE2eModel(tier: E2eTier, seed: number, now: number): E2eModel {
  const rng = new Rng(seed);
  const m: E2eModel = { namespaces: [], users: [], groups: [], organizations: [], namespacesOf: new Map(), entities: [], manifests: [] };
  const users: Manifest[] = [];
  for (let i = 0; i < tier.users; i++) {
    const labels: Record<string, string> = {};
    if (rng.chance(0.6)) labels.region = rng.pick(REGIONS);
    if (rng.chance(0.3)) labels.team = `t${rng.int(0, 9)}`;
    const state = rng.chance(0.95) ? undefined : rng.pick(['Requested', 'Suspended', 'Flagged']);
    const name = `user-${i}`;
    m.users.push(name);
    users.push({ apiVersion: API, kind: 'User', metadata: { name, labels }, spec: { ...(state ? { state } : {}), ...(i % 1000 === 7 ? { admin: true } : {}) } });
  }
  const organizations: Manifest[] = [];
  const depth: number[] = [];
  for (let i = 0; i < tier.organizations; i++) {
    const name = `org-${i}`;
    let parent: string | undefined;
    depth.push(0);
    if (i > 0 && rng.chance(0.3)) {
      const j = rng.int(0, i - 1);
      if (depth[j]! < 3) {
        parent = `org-${j}`;
        depth[i] = depth[j]! + 1;
      }
    }
    const namespaces = SUFFIXES.slice(0, rng.int(1, 3)).map((s) => `${name}-${s}`);
    m.organizations.push(name);
    m.namespacesOf.set(name, namespaces);
    m.namespaces.push(...namespaces);
    organizations.push({ apiVersion: API, kind: 'Organization', metadata: { name }, spec: { namespaces, ...(parent ? { parent } : {}) } });
  }
  for (let i = 0; i < tier.entities; i++) {
    const kind = weighted(rng, KINDS);
    m.entities.push({ kind, namespace: m.namespaces[rng.skewed(m.namespaces.length)]!, name: `${PREFIX[kind]}-${i}` });
  }
  // Groups: level 0 (departments) to 3 (teams); a group lists a few users and, below level 0, sits in a parent group.
  const groups: Manifest[] = [];
  const level = (i: number): number => (i < tier.groups * 0.05 ? 0 : i < tier.groups * 0.2 ? 1 : i < tier.groups * 0.5 ? 2 : 3);
  const children = new Map<number, string[]>();
  for (let i = 0; i < tier.groups; i++) {
    const l = level(i);
    if (l === 0) continue;
    let parent = rng.int(0, i - 1);
    while (level(parent) !== l - 1) parent = rng.int(0, i - 1);
    const list = children.get(parent) ?? [];
    list.push(`grp-${i}`);
    children.set(parent, list);
  }
  for (let i = 0; i < tier.groups; i++) {
    const name = `grp-${i}`;
    m.groups.push(name);
    const members: Record<string, unknown> = {};
    if (i % 97 === 13) {
      members.selector = { matchLabels: { region: rng.pick(REGIONS), team: `t${rng.int(0, 9)}` } };
    } else {
      members.users = [...new Set(Array.from({ length: rng.int(1, level(i) === 3 ? 12 : 4) }, () => m.users[rng.skewed(m.users.length, 1.3)]!))].sort();
    }
    if (children.has(i)) members.groups = children.get(i);
    groups.push({ apiVersion: API, kind: 'UserGroup', metadata: { name }, spec: { ...(rng.chance(0.5) ? { organization: rng.pick(m.organizations) } : {}), members } });
  }
  const collaborations: Manifest[] = [];
  for (let c = 0; c < tier.collaborations; c++) {
    collaborations.push(drawCollaboration(m, rng, `c-${c}`, now));
  }
  m.manifests = [...users, ...organizations, ...groups, ...collaborations];
  return m;
}

const DAY = 86_400_000;

/** A new Collaboration drawn like the generator draws them (also used for the changes of the benchmark). */
export function drawCollaboration(m: E2eModel, rng: Rng, name: string, now: number, type = weighted(rng, [['user', 40], ['group', 20], ['org', 15], ['membership', 25]])): Manifest {
  const expiresAt = rng.chance(0.05) ? new Date(Math.floor((now + rng.int(1, 90) * DAY) / 1000) * 1000).toISOString().replace('.000Z', 'Z') : undefined;
  const withExpiry = (spec: Record<string, unknown>): Record<string, unknown> => (expiresAt ? { ...spec, expiresAt } : spec);
  if (type === 'membership') {
    const org = m.organizations[rng.skewed(m.organizations.length, 1.5)]!;
    const subject = rng.chance(0.85) ? { kind: 'User', name: m.users[rng.skewed(m.users.length, 1.3)]! } : { kind: 'UserGroup', name: rng.pick(m.groups.slice(Math.floor(m.groups.length * 0.2))) };
    return {
      apiVersion: API,
      kind: 'Collaboration',
      metadata: { name, namespace: rng.pick(m.namespacesOf.get(org)!) },
      spec: withExpiry({ subject, target: { kind: 'Organization', name: org }, rights: [...rng.pick(PRESETS.Organization!)] }),
    };
  }
  const entity = rng.pick(m.entities);
  const subject =
    type === 'user'
      ? { kind: 'User', name: m.users[rng.skewed(m.users.length, 1.3)]! }
      : type === 'group'
        ? { kind: 'UserGroup', name: rng.pick(m.groups.slice(Math.floor(m.groups.length * 0.5))) }
        : { kind: 'Organization', name: rng.pick(m.organizations) };
  return {
    apiVersion: API,
    kind: 'Collaboration',
    metadata: { name, namespace: entity.namespace },
    spec: withExpiry({ subject, target: { kind: entity.kind, name: entity.name }, rights: [...rng.pick(PRESETS[entity.kind]!)] }),
  };
}
