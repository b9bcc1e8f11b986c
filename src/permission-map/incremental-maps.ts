/**
 * Permission maps kept between changes: each namespace's rows (users grouped by published content, build-maps.ts's
 * `NamespaceRows`) stay in memory beside the engine, and a change moves only the users its `Impact` names, in the
 * namespaces it names, each to the row of its class now (`Engine.userClassIn`); rows whose users did not move keep
 * their rendered JSON (shard.ts's `RowRenderCache`). A namespace's first rows are made from the engine's walk in name
 * order (`Engine.namespaceClassesInOrder`, `NamespaceRows.addKeptClasses`: users numbered by their walk numbers, rows
 * filled without merging and put in order without a sort, each made once, the users' index without a sort). Each namespace's `namespaceSubjects` is kept from its build (the
 * classes' walk computes them) and computed again only when the engine says its
 * grants on entities or its owner moved (`Engine.namespaceSubjects` with the last ones), and its
 * next expiry only when the engine's `expiryStamp` moved. What `map` returns equals `buildNamespaceMap` on the same engine
 * (the incremental map property tests and the benchmark's verification hold the two equal, ConfigMaps byte for byte).
 *
 * Why this holds: a user's row depends only on its own rights in the namespace (and the admin flag), and change
 * propagation names every user whose rights moved and every namespace whose map moved (the engine's incremental
 * property tests). A namespace whose owner changed, or for which more users are named than its rows hold, is rebuilt
 * whole (cheaper then). Pure: no I/O; the engine calls back with each Impact (`Engine.onImpact`).
 */
import type { Engine, Impact } from '../engine/engine.ts';
import type { NamespaceSubjects } from '../engine/namespace-classes.ts';
import { MaskWriter, NamespaceRows, type NamespaceMap } from './build-maps.ts';
import { UserTable } from './kept-users.ts';
import { DEFAULT_MAP_NAME, keptRowRanges, RowRenderCache, shardMap, writeFromParts, writeParts, type PermissionMapWrite, type ShardOptions, type WriteParts } from './shard.ts';

/** Counters of how maps were brought up to date (for the benchmark and the tests). */
export interface IncrementalMapStats {
  /** Namespaces built whole (first time, new owner, or too many users named). */
  rebuilt: number;
  /** Namespaces brought up to date by moving the users named. */
  updated: number;
  /** Users looked at by updates, and those that changed rows. */
  usersChecked: number;
  usersMoved: number;
}

export class IncrementalMaps {
  readonly stats: IncrementalMapStats = { rebuilt: 0, updated: 0, usersChecked: 0, usersMoved: 0 };
  private readonly engine: Engine;
  private readonly masks: MaskWriter;
  /** Users numbered once for every kept namespace's rows (kept-users.ts). */
  private readonly users = new UserTable();
  private readonly kept = new Map<string, NamespaceRows>();
  /** Namespace → its subjects as last used (`Engine.namespaceSubjects` returns them again while they hold). */
  private readonly subjects = new Map<string, NamespaceSubjects>();
  /** Namespace → its next expiry as last computed, and the engine's `expiryStamp` then. */
  private readonly expiries = new Map<string, { stamp: readonly [number, number, object]; next: number | undefined }>();
  /** Namespace → the user sets of the Impacts naming it since its rows were last brought up to date. */
  private readonly pending = new Map<string, Array<ReadonlySet<string>>>();
  private readonly rendered = new RowRenderCache();
  /**
   * Namespace → its last write's parts (with the map and options it was made from): while neither changed, the same
   * write is made again from them (`writeFromParts`), without rendering or hashing. Its shards' texts only, not its
   * ConfigMap objects and index text (~3 kB a namespace, mostly the rights list: 61 MiB at large); a withheld write whole.
   */
  private readonly writes = new Map<string, { map: NamespaceMap; options: string; name: string; parts: WriteParts | undefined; withheld: PermissionMapWrite | undefined }>();
  private readonly stop: () => void;

  constructor(engine: Engine) {
    this.engine = engine;
    this.masks = new MaskWriter(engine);
    // Numbered in name order (as the engine's walks meet them), so that a namespace's users' numbers ascend with
    // their names and its users' index needs no sort (`NamespaceRows.addKeptClasses`).
    this.users.numberInNameOrder(engine.numberedUsers());
    this.stop = engine.onImpact((impact) => this.note(impact));
  }

  /** The namespace's map now (the namespace must get one: `engine.hasMap`). */
  map(namespace: string): NamespaceMap {
    const engine = this.engine;
    let rows = this.kept.get(namespace);
    const named = this.pending.get(namespace);
    this.pending.delete(namespace);
    if (rows !== undefined && named !== undefined) {
      let count = 0;
      for (const users of named) count += users.size;
      // Moving a user costs more than visiting it in a build: past the rows' size, rebuilding is cheaper.
      if (rows.owner !== engine.organizations.owner.get(namespace) || count > Math.max(64, rows.userCount)) {
        rows = undefined;
        this.writes.delete(namespace);
      }
      else {
        const subjects = engine.namespaceSubjects(namespace, this.subjects.get(namespace));
        this.subjects.set(namespace, subjects);
        for (const users of named) {
          for (const user of users) {
            this.stats.usersChecked++;
            if (rows.move(user, engine.userClassIn(subjects, user))) this.stats.usersMoved++;
          }
        }
        this.stats.updated++;
      }
    }
    if (rows === undefined) {
      rows = new NamespaceRows(engine, namespace, this.masks, true, this.users);
      const built = engine.namespaceClassesInOrder(namespace);
      rows.addKeptClasses(built.classes, built.order, built.walkIds);
      this.subjects.set(namespace, built.subjects);
      this.kept.set(namespace, rows);
      this.stats.rebuilt++;
    }
    return rows.toMap(this.nextExpiry(namespace));
  }

  /** `Engine.nextExpiryIn`, computed again only when the engine's `expiryStamp` moved since the last time. */
  private nextExpiry(namespace: string): number | undefined {
    const stamp = this.engine.expiryStamp();
    const last = this.expiries.get(namespace);
    if (last !== undefined && last.stamp[0] === stamp[0] && last.stamp[1] === stamp[1] && last.stamp[2] === stamp[2]) return last.next;
    const next = this.engine.nextExpiryIn(namespace);
    this.expiries.set(namespace, { stamp, next });
    return next;
  }

  /**
   * The namespace's ConfigMaps now (`shardMap` of `map`, rows rendered before reused); the same write as last time,
   * made again from its parts, when no row moved and the header is the same (a change may name a namespace whose map
   * it leaves as it was).
   */
  write(namespace: string, options: Omit<ShardOptions, 'rendered'> = {}): PermissionMapWrite {
    const map = this.map(namespace);
    const key = JSON.stringify(options);
    const last = this.writes.get(namespace);
    if (last !== undefined && last.options === key && sameMap(last.map, map)) return last.withheld ?? writeFromParts(map, last.name, last.parts!);
    const write = shardMap(map, { ...options, rendered: this.rendered });
    const name = options.name ?? DEFAULT_MAP_NAME;
    this.writes.set(namespace, write.withheld ? { map, options: key, name, parts: undefined, withheld: write } : { map, options: key, name, parts: writeParts(write), withheld: undefined });
    return write;
  }

  /** Drops what is kept for a namespace (it gets no map any more). */
  forget(namespace: string): void {
    this.kept.delete(namespace);
    this.subjects.delete(namespace);
    this.expiries.delete(namespace);
    this.pending.delete(namespace);
    this.writes.delete(namespace);
    this.rendered.forget(namespace);
  }

  /** For the tests: where the kept renderings of the namespace's last write point (shard.ts's `keptRowRanges`). */
  rowRanges(namespace: string): ReturnType<typeof keptRowRanges> {
    return keptRowRanges(this.rendered, namespace);
  }

  /** Namespaces whose rows are kept. */
  keptNamespaces(): string[] {
    return [...this.kept.keys()];
  }

  /** Stops following the engine's changes (what is kept is then stale: drop this object). */
  close(): void {
    this.stop();
  }

  private note(impact: Impact): void {
    for (const ns of impact.namespaces) {
      if (!this.kept.has(ns)) continue;
      const list = this.pending.get(ns);
      if (list) list.push(impact.users);
      else this.pending.set(ns, [impact.users]);
    }
  }
}

/** Same rows (the same array: `NamespaceRows` keeps it while no row changes) and the same header. */
function sameMap(a: NamespaceMap, b: NamespaceMap): boolean {
  return (
    a.rows === b.rows &&
    a.evaluatedAt === b.evaluatedAt &&
    a.nextExpiry === b.nextExpiry &&
    a.organization === b.organization &&
    a.catalog === b.catalog &&
    sameList(a.admins.users, b.admins.users) &&
    sameRecord(a.admins.rights, b.admins.rights) &&
    sameList(a.rights, b.rights) &&
    sameList(a.kinds, b.kinds)
  );
}

/** The same strings in the same order (compared in place: no joined copies). */
function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The same keys in the same order with the same values (what equal `JSON.stringify` texts of them say). */
function sameRecord(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  const others = Object.keys(b);
  if (!sameList(keys, others)) return false;
  for (const key of keys) if (a[key] !== b[key]) return false;
  return true;
}
