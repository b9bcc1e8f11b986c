/**
 * Incremental == full: compares an engine that absorbed a stream of changes with one built from scratch on the
 * same model, item by item (profiles, group and organization members, namespace views, statuses), by right names
 * (each engine interns its own right-set ids). Streaming rather than one big snapshot, so the large tier fits.
 */
import type { Engine } from '../src/engine/engine.ts';
import type { RightSetId } from '../src/engine/right-sets.ts';
import { allObjectKeys, statusOf } from '../src/engine/status.ts';
import { buildNamespaceMap } from '../src/permission-map/build-maps.ts';
import type { IncrementalMaps } from '../src/permission-map/incremental-maps.ts';
import { shardMap } from '../src/permission-map/shard.ts';

export interface Verification {
  verified: boolean;
  /** Items compared, by family. */
  compared: Record<string, number>;
  /** The first differences found (at most 10). */
  mismatches: string[];
}

const sorted = (items: Iterable<string>): string[] => [...items].sort();

function rowsText(engine: Engine, rows: ReadonlyMap<string, RightSetId>): string {
  return sorted([...rows].map(([user, set]) => `${user}=${engine.sets.rightNames(set).join(',')}`)).join(' ');
}

function tableText(engine: Engine, table: ReadonlyMap<string, ReadonlyMap<string, RightSetId>>): string {
  return sorted([...table].map(([key, rows]) => `${key}: ${rowsText(engine, rows)}`)).join('\n');
}

function profileText(engine: Engine, user: string): string {
  const p = engine.profile(user);
  if (!p) return 'none';
  const names = (set: RightSetId): string => engine.sets.rightNames(set).join(',');
  const entities = sorted([...p.entities].map(([key, set]) => `${key}=${names(set)}`));
  const defaults = sorted([...p.defaults].flatMap(([ns, byKind]) => [...byKind].map(([kind, set]) => `${ns}/${kind}=${names(set)}`)));
  const organizations = sorted([...p.organizations].map(([o, m]) => `${o}=${names(m.mask)}${m.direct ? ' direct' : ''}${m.viaGroup ? ' viaGroup' : ''}`));
  return `admin=${p.admin}\n${entities.join('\n')}\n--\n${defaults.join('\n')}\n--\n${organizations.join('\n')}`;
}

/** Compares everything the two engines publish; `incremental` is the one that applied changes. */
export function verifyEngines(incremental: Engine, full: Engine): Verification {
  const mismatches: string[] = [];
  const compared: Record<string, number> = {};
  const compare = (family: string, item: string, a: string, b: string): void => {
    compared[family] = (compared[family] ?? 0) + 1;
    if (a !== b && mismatches.length < 10) mismatches.push(`${family} ${item}: incremental ${JSON.stringify(a.slice(0, 300))} vs full ${JSON.stringify(b.slice(0, 300))}`);
  };
  const users = sorted(new Set([...incremental.model.users.keys(), ...full.model.users.keys()]));
  for (const user of users) {
    compare('profile', user, profileText(incremental, user), profileText(full, user));
    compare('userGroups', user, sorted(incremental.groups.groupsOf(user)).join(), sorted(full.groups.groupsOf(user)).join());
  }
  for (const group of sorted(new Set([...incremental.model.groups.keys(), ...full.model.groups.keys()]))) {
    compare('groupMembers', group, sorted(incremental.groups.membersOf(group)).join(), sorted(full.groups.membersOf(group)).join());
  }
  compare('cyclicGroups', '', sorted(incremental.groups.cyclic).join(), sorted(full.groups.cyclic).join());
  for (const org of sorted(new Set([...incremental.model.organizations.keys(), ...full.model.organizations.keys()]))) {
    compare('organizationMembers', org, sorted(incremental.organizationMembers(org).keys()).join(), sorted(full.organizationMembers(org).keys()).join());
    compare('organizationRows', org, rowsText(incremental, incremental.organizationRows(org)), rowsText(full, full.organizationRows(org)));
  }
  const namespaces = incremental.mapNamespaces();
  compare('mapNamespaces', '', namespaces.join(), full.mapNamespaces().join());
  for (const ns of namespaces) {
    compare('namespaceEntities', ns, tableText(incremental, incremental.namespaceEntities(ns)), tableText(full, full.namespaceEntities(ns)));
    compare('namespaceDefaults', ns, tableText(incremental, incremental.namespaceDefaults(ns)), tableText(full, full.namespaceDefaults(ns)));
  }
  compare('admins', '', sorted(incremental.admins).join(), sorted(full.admins).join());
  const keys = allObjectKeys(incremental);
  compare('objectKeys', '', keys.join('\n'), allObjectKeys(full).join('\n'));
  for (const key of keys) compare('status', key, JSON.stringify(statusOf(incremental, key)), JSON.stringify(statusOf(full, key)));
  return { verified: mismatches.length === 0, compared, mismatches };
}

/**
 * The permission maps kept beside `incremental` (brought up to date change by change) against `full`'s maps built
 * whole: every namespace's ConfigMaps, byte for byte (both engines are at the same time, so `evaluatedAt` is equal).
 */
export function verifyMaps(kept: IncrementalMaps, incremental: Engine, full: Engine): { compared: number; mismatches: string[] } {
  const mismatches: string[] = [];
  let compared = 0;
  for (const ns of full.mapNamespaces()) {
    compared++;
    if (!incremental.hasMap(ns)) {
      if (mismatches.length < 10) mismatches.push(`map ${ns}: the incremental engine gives it none`);
      continue;
    }
    const a = kept.write(ns);
    const b = shardMap(buildNamespaceMap(full, ns));
    if (JSON.stringify(a.configMaps) !== JSON.stringify(b.configMaps) && mismatches.length < 10) mismatches.push(`map ${ns}: kept ${a.contentHash} vs built fresh ${b.contentHash}`);
  }
  return { compared, mismatches };
}
