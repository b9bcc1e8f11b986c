/** A plain, comparable picture of everything the engine publishes: profiles, views, statuses, verdicts. */
import type { Engine } from '../../../src/engine/engine.ts';
import { allObjectKeys, statusOf } from '../../../src/engine/status.ts';

export interface Snapshot {
  profiles: Record<string, unknown>;
  namespaces: Record<string, unknown>;
  statuses: Record<string, unknown>;
  admins: string[];
}

const sortedEntries = <V>(m: ReadonlyMap<string, V>): Array<[string, V]> => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : 1));

export function snapshot(engine: Engine): Snapshot {
  const names = (id: number): string => engine.sets.rightNames(id).join(',');
  const profiles: Record<string, unknown> = {};
  for (const user of [...engine.model.users.keys()].sort()) {
    const p = engine.profile(user)!;
    profiles[user] = {
      admin: p.admin,
      entities: sortedEntries(p.entities).map(([k, v]) => [k, names(v)]),
      defaults: sortedEntries(p.defaults).map(([ns, byKind]) => [ns, sortedEntries(byKind).map(([k, v]) => [k, names(v)])]),
      organizations: sortedEntries(p.organizations).map(([o, m]) => [o, names(m.mask), m.direct, m.viaGroup]),
    };
  }
  const namespaces: Record<string, unknown> = {};
  for (const ns of engine.mapNamespaces()) {
    const owner = engine.organizations.owner.get(ns);
    namespaces[ns] = {
      owner,
      ownerRows: owner ? sortedEntries(engine.organizationRows(owner)).map(([u, v]) => [u, names(v)]) : [],
      entities: sortedEntries(engine.namespaceEntities(ns)).map(([e, rows]) => [e, sortedEntries(rows).map(([u, v]) => [u, names(v)])]),
      defaults: sortedEntries(engine.namespaceDefaults(ns)).map(([k, rows]) => [k, sortedEntries(rows).map(([u, v]) => [u, names(v)])]),
    };
  }
  const statuses: Record<string, unknown> = {};
  for (const key of allObjectKeys(engine)) statuses[key] = statusOf(engine, key);
  return { profiles, namespaces, statuses, admins: [...engine.admins].sort() };
}
