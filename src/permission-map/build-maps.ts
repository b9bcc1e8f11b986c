/**
 * The permission map of a namespace, from the engine: what every user holds on every entity of the namespace (named
 * by a grant or not) and on the Organization owning it. Pure: no I/O, the time is the engine's.
 *
 * Content, per user: defaults per kind (ownership), rights on the entities grants name, rights on the owning
 * Organization. The engine hands the users over in classes (namespace-classes.ts: users the same grant subjects
 * reach hold the same rights), so content is computed once per class; classes with identical content share one row
 * (the members of a big group usually do). Entries a
 * reader would find anyway are dropped: an entity entry within the user's default for its kind (or within what
 * administrators hold), an administrator's default or organization entry within the admin rights.
 * Sets are hexadecimal bitmasks over the map's own right list, so that a reader needs no catalog.
 * `shard.ts` turns this into the ConfigMaps the operator writes.
 */
import type { Engine } from '../engine/engine.ts';
import { EMPTY, type RightSetId } from '../engine/right-sets.ts';

/** Users sharing the same rights; sets are masks over `NamespaceMap.rights`. */
export interface MapRow {
  /** Sorted. */
  users: string[];
  /** Rights on `Organization/<organization>`. */
  organization?: string;
  /** Kind → rights on every entity of that kind in the namespace. */
  defaults?: Record<string, string>;
  /** Kind → entity name → rights on `Kind/<namespace>/<name>` (beyond the default). */
  entities?: Record<string, Record<string, string>>;
}

/** A namespace's permission map before it is split into ConfigMaps. */
export interface NamespaceMap {
  catalog: string;
  namespace: string;
  organization: string | undefined;
  /** Milliseconds since the epoch. */
  evaluatedAt: number;
  /** The earliest expiry of a grant this map depends on; undefined when none expires. */
  nextExpiry: number | undefined;
  /** Bit i of every mask is rights[i]: the concrete rights of the kinds covered, ascending. */
  rights: string[];
  /** The namespaced kinds covered (every entity of these kinds in the namespace). */
  kinds: string[];
  admins: { users: string[]; rights: Record<string, string> };
  /** Sorted by their first user. */
  rows: MapRow[];
  /** Set on a withheld map (no rows, no admins, nothing covered): why the rights are not published. */
  withheld?: { reason: string; message: string };
}

/** Builds the map of every namespace that gets one (`engine.mapNamespaces()`), keyed by namespace. */
export function buildPermissionMaps(engine: Engine): Map<string, NamespaceMap> {
  const masks = new MaskWriter(engine);
  const maps = new Map<string, NamespaceMap>();
  for (const ns of engine.mapNamespaces()) maps.set(ns, buildOne(engine, ns, masks));
  return maps;
}

/**
 * Builds the map of one namespace.
 * @example buildNamespaceMap(engine, 'acme').rows[0] // { users: ['bob'], defaults: { Application: '3fff' } }
 */
export function buildNamespaceMap(engine: Engine, namespace: string): NamespaceMap {
  return buildOne(engine, namespace, new MaskWriter(engine));
}

/**
 * The map a namespace gets when it has no map any more but workloads may still mount its ConfigMaps: it covers
 * nothing and grants nothing (every check false), so that a running reader drops the rights it had.
 * @example emptyNamespaceMap(engine, 'lab').rows // []
 */
export function emptyNamespaceMap(engine: Engine, namespace: string): NamespaceMap {
  return { catalog: engine.catalog.name, namespace, organization: undefined, evaluatedAt: engine.now, nextExpiry: undefined, rights: [], kinds: [], admins: { users: [], rights: {} }, rows: [] };
}

/** `map` with its rights withheld: the empty map, saying why. */
export function withheldMap(map: NamespaceMap, withheld: { reason: string; message: string }): NamespaceMap {
  return { catalog: map.catalog, namespace: map.namespace, organization: undefined, evaluatedAt: map.evaluatedAt, nextExpiry: undefined, rights: [], kinds: [], admins: { users: [], rights: {} }, rows: [], withheld };
}

function buildOne(engine: Engine, namespace: string, masks: MaskWriter): NamespaceMap {
  const sets = engine.sets;
  const organization = engine.organizations.owner.get(namespace);
  const kinds = masks.namespacedKinds;
  const covered = new Set(kinds);
  const admins = engine.admins;
  const adminSet = (kind: string): RightSetId => (kind === 'Organization' || covered.has(kind) ? engine.adminRightsOf(kind) : EMPTY);
  const orgKind = sets.kindRights('Organization');
  // Entities of covered kinds, numbered in the order met (rows sort them by kind and name when written).
  const entityIndex = new Map<string, number>();
  const entityList: Array<{ kind: string; name: string }> = [];
  const indexOf = (key: string): number => {
    let i = entityIndex.get(key);
    if (i === undefined) {
      const [kind, , name] = key.split('/') as [string, string, string];
      i = covered.has(kind) ? entityList.push({ kind, name }) - 1 : -1;
      entityIndex.set(key, i);
    }
    return i;
  };
  // Users holding the same rights come as one class (the engine's rights classes); classes whose published content
  // is the same share a row. The key is the content's right-set ids, entities in index order.
  const rows = new Map<string, { row: MapRow; users: string[][] }>();
  const kept: number[] = [];
  for (const c of engine.namespaceClasses(namespace)) {
    const content = { organization: EMPTY, defaults: undefined as Map<string, RightSetId> | undefined };
    const set = sets.intersect(c.organization, orgKind);
    if (set !== EMPTY && !(c.admin && sets.isSubset(set, adminSet('Organization')))) content.organization = set;
    for (const [kind, rights] of c.defaults) {
      if (!covered.has(kind)) continue;
      const masked = sets.intersect(rights, sets.kindRights(kind));
      if (masked === EMPTY || (c.admin && sets.isSubset(masked, adminSet(kind)))) continue;
      (content.defaults ??= new Map()).set(kind, masked);
    }
    kept.length = 0;
    for (const [key, rights] of c.entities) {
      const i = indexOf(key);
      if (i < 0) continue;
      const kind = entityList[i]!.kind;
      const masked = sets.intersect(rights, sets.kindRights(kind));
      let known = content.defaults?.get(kind) ?? EMPTY;
      if (c.admin) known = sets.union(known, adminSet(kind));
      if (masked === EMPTY || sets.isSubset(masked, known)) continue;
      kept.push(i, masked);
    }
    if (content.organization === EMPTY && content.defaults === undefined && kept.length === 0) continue;
    let key = `${content.organization}|`;
    if (content.defaults) for (const kind of [...content.defaults.keys()].sort()) key += `${kind}=${content.defaults.get(kind)},`;
    key += '|';
    if (kept.length > 2) sortPairs(kept);
    key += kept.join(',');
    const existing = rows.get(key);
    if (existing) existing.users.push(c.users);
    else rows.set(key, { row: rowOf(content.organization, content.defaults, kept, entityList, masks), users: [c.users] });
  }
  const sorted: MapRow[] = [];
  for (const { row, users } of rows.values()) {
    row.users = users.length === 1 ? users[0]!.slice().sort() : users.flat().sort();
    sorted.push(row);
  }
  sorted.sort((a, b) => (a.users[0]! < b.users[0]! ? -1 : 1));
  const adminKinds = organization === undefined ? kinds : [...kinds, 'Organization'].sort();
  return {
    catalog: engine.catalog.name,
    namespace,
    organization,
    evaluatedAt: engine.now,
    nextExpiry: engine.nextExpiryIn(namespace),
    rights: masks.rights,
    kinds: [...kinds],
    admins: { users: [...admins].sort(), rights: Object.fromEntries(adminKinds.map((k) => [k, masks.mask(adminSet(k))])) },
    rows: sorted,
  };
}

/** Sorts a flat array of (index, set) pairs by index. */
function sortPairs(pairs: number[]): void {
  const order: Array<[number, number]> = [];
  for (let j = 0; j < pairs.length; j += 2) order.push([pairs[j]!, pairs[j + 1]!]);
  order.sort((a, b) => a[0] - b[0]);
  order.forEach(([i, set], j) => ((pairs[2 * j] = i), (pairs[2 * j + 1] = set)));
}

/** A row's content (its users are set by the caller): kinds and names sorted, sets as masks. */
function rowOf(organization: RightSetId, defaults: ReadonlyMap<string, RightSetId> | undefined, kept: readonly number[], entityList: ReadonlyArray<{ kind: string; name: string }>, masks: MaskWriter): MapRow {
  const row: MapRow = { users: [] };
  if (organization !== EMPTY) row.organization = masks.mask(organization);
  if (defaults) row.defaults = Object.fromEntries([...defaults.keys()].sort().map((k) => [k, masks.mask(defaults.get(k)!)]));
  if (kept.length > 0) {
    const byKind = new Map<string, Array<[string, string]>>();
    for (let j = 0; j < kept.length; j += 2) {
      const { kind, name } = entityList[kept[j]!]!;
      let names = byKind.get(kind);
      if (!names) byKind.set(kind, (names = []));
      names.push([name, masks.mask(kept[j + 1]!)]);
    }
    row.entities = Object.fromEntries(
      [...byKind.keys()].sort().map((kind) => [kind, Object.fromEntries(byKind.get(kind)!.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))]),
    );
  }
  return row;
}

/** Right sets → hexadecimal masks over the rights of the covered kinds (namespaced kinds and Organization). */
class MaskWriter {
  readonly rights: string[];
  readonly namespacedKinds: string[];
  private readonly local: Int32Array;
  private readonly memo = new Map<RightSetId, string>();
  private readonly engine: Engine;

  constructor(engine: Engine) {
    this.engine = engine;
    const catalog = engine.catalog;
    this.namespacedKinds = [...catalog.kinds.values()].filter((k) => k.scope === 'Namespaced').map((k) => k.name).sort();
    const covered = new Set<number>();
    for (const kind of [...this.namespacedKinds, 'Organization']) for (const i of catalog.kinds.get(kind)?.rights ?? []) covered.add(i);
    const indices = [...covered].sort((a, b) => a - b); // catalog indices ascend with the names
    this.rights = indices.map((i) => catalog.rights[i]!);
    this.local = new Int32Array(catalog.rights.length).fill(-1);
    indices.forEach((catalogIndex, localIndex) => (this.local[catalogIndex] = localIndex));
  }

  mask(set: RightSetId): string {
    let hex = this.memo.get(set);
    if (hex === undefined) {
      const nibbles = new Uint8Array(Math.ceil(this.rights.length / 4) || 1);
      for (const i of this.engine.sets.indices(set)) {
        const bit = this.local[i]!;
        if (bit < 0) continue; // a right of no covered kind (sets are already ∩ kindRights: defensive)
        nibbles[bit >>> 2]! |= 1 << (bit & 3);
      }
      let top = nibbles.length - 1;
      while (top > 0 && nibbles[top] === 0) top--;
      hex = '';
      for (let n = top; n >= 0; n--) hex += nibbles[n]!.toString(16);
      this.memo.set(set, hex);
    }
    return hex;
  }
}
