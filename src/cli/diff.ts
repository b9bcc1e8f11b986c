/**
 * `charter diff`: which users gain or lose which rights on which entities between two versions of the manifests, now
 * (or at --at) and at every later `expiresAt` of either version: a removed, added or moved expiry changes rights
 * later, not now, and a change that holds only from or until some time says when.
 */
import type { Engine } from '../engine/engine.ts';
import { selfRights } from '../engine/evaluate.ts';
import { EMPTY, type RightSetId } from '../engine/right-sets.ts';
import type { Output } from './output.ts';
import { openWorkspace, problemLines, type WorkspaceOptions } from './workspace.ts';

export interface DiffOptions extends WorkspaceOptions {
  exitCode?: boolean;
  output?: 'text' | 'json';
}

export interface RightsChange {
  user: string;
  /** An entity key, or `Kind/namespace/*` for every entity of a kind in a namespace (ownership), or `*` (admin). */
  entity: string;
  added: string[];
  removed: string[];
  /** When the change starts (RFC 3339), if later than the time compared at; it holds from then on (or until `until`). */
  from?: string;
  /** When the change ends (RFC 3339): from then on both versions agree again. */
  until?: string;
}

/** Everything a user holds, as `entity → right names`, in a form two engines can be compared on. */
function holdings(engine: Engine, user: string): Map<string, readonly string[]> {
  const out = new Map<string, readonly string[]>();
  const profile = engine.profile(user);
  if (!profile) return out;
  const names = (set: RightSetId): readonly string[] => engine.sets.rightNames(set);
  for (const [ns, byKind] of profile.defaults) for (const [kind, set] of byKind) out.set(`${kind}/${ns}/*`, names(set));
  for (const [key, set] of profile.entities) {
    const parts = key.split('/');
    const fallback = parts.length === 3 ? (profile.defaults.get(parts[1]!)?.get(parts[0]!) ?? EMPTY) : EMPTY;
    const extra = engine.sets.subtract(set, fallback);
    if (extra !== EMPTY) out.set(key, names(extra));
  }
  if (profile.admin) {
    for (const kind of engine.catalog.kinds.keys()) out.set(`${kind}/* (admin)`, names(engine.adminRightsOf(kind)));
  }
  const self = selfRights(engine, user);
  if (self !== EMPTY) out.set(`User/${user}`, names(self));
  return out;
}

/** One user's changes at the engines' current time: `entity \t +|- \t right` keys. */
function userChanges(before: Engine, after: Engine, user: string): Set<string> {
  const a = holdings(before, user);
  const b = holdings(after, user);
  const out = new Set<string>();
  for (const entity of new Set([...a.keys(), ...b.keys()])) {
    const x = new Set(a.get(entity) ?? []);
    const y = new Set(b.get(entity) ?? []);
    for (const r of y) if (!x.has(r)) out.add(`${entity}\t+\t${r}`);
    for (const r of x) if (!y.has(r)) out.add(`${entity}\t-\t${r}`);
  }
  return out;
}

/** The `expiresAt` times of a model after `now`, ascending: the only times at which its rights change by themselves. */
function expiries(engine: Engine, now: number): number[] {
  const out = new Set<number>();
  for (const c of engine.model.collaborations.values()) if (c.expiresAt !== undefined && c.expiresAt > now) out.add(c.expiresAt);
  return [...out];
}

const rfc3339 = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

/**
 * The changes between two engines built at the same time, then at each later `expiresAt` of either (both engines are
 * moved there: they are the caller's to spend). Between two such times neither version's rights change, so this is
 * every difference from now on. Sorted by user, entity, then start.
 */
export function rightsChanges(before: Engine, after: Engine): RightsChange[] {
  const start = before.now;
  const users = [...new Set([...before.model.users.keys(), ...after.model.users.keys()])];
  /** Per user, the changes holding at the current time → since when (undefined: since the start). */
  const open = new Map<string, Map<string, number | undefined>>();
  const closed: Array<{ user: string; key: string; from: number | undefined; until: number | undefined }> = [];
  const update = (user: string, at: number | undefined): void => {
    const now = userChanges(before, after, user);
    const held = open.get(user) ?? new Map<string, number | undefined>();
    for (const [key, from] of held) if (!now.has(key)) { closed.push({ user, key, from, until: at }); held.delete(key); }
    for (const key of now) if (!held.has(key)) held.set(key, at);
    if (held.size > 0) open.set(user, held);
    else open.delete(user);
  };
  for (const user of users) update(user, undefined);
  const times = [...new Set([...expiries(before, start), ...expiries(after, start)])].sort((x, y) => x - y);
  for (const time of times) {
    const moved = new Set([...before.advanceTime(time).users, ...after.advanceTime(time).users]);
    for (const user of moved) update(user, time);
  }
  for (const [user, held] of open) for (const [key, from] of held) closed.push({ user, key, from, until: undefined });

  const grouped = new Map<string, RightsChange>();
  for (const { user, key, from, until } of closed) {
    const [entity, sign, right] = key.split('\t') as [string, string, string];
    const id = `${user}\t${entity}\t${from ?? ''}\t${until ?? ''}`;
    let change = grouped.get(id);
    if (!change) {
      change = { user, entity, added: [], removed: [], ...(from !== undefined ? { from: rfc3339(from) } : {}), ...(until !== undefined ? { until: rfc3339(until) } : {}) };
      grouped.set(id, change);
    }
    (sign === '+' ? change.added : change.removed).push(right);
  }
  const order = (c: RightsChange): string => `${c.user}\t${c.entity}\t${c.from ?? ''}\t${c.until ?? ''}`;
  const changes = [...grouped.values()].sort((x, y) => (order(x) < order(y) ? -1 : order(x) > order(y) ? 1 : 0));
  for (const c of changes) {
    c.added.sort();
    c.removed.sort();
  }
  return changes;
}

export function runDiff(pathA: string, pathB: string, options: DiffOptions, out: Output): number {
  const a = openWorkspace([pathA], options, out.progress?.bind(out));
  const b = openWorkspace([pathB], options, out.progress?.bind(out));
  const problems = [...problemLines(a), ...problemLines(b)];
  if (problems.length > 0) {
    for (const line of problems) out.err(line);
    return 2;
  }
  const changes = rightsChanges(a.engine, b.engine);
  if (options.output === 'json') out.out(JSON.stringify(changes, null, 2));
  else if (changes.length === 0) out.out('No user gains or loses any right.');
  else {
    for (const c of changes) {
      const where = c.entity.endsWith('/*') ? `every ${c.entity.split('/')[0]} in namespace ${c.entity.split('/')[1]}` : c.entity.endsWith('(admin)') ? `every ${c.entity.split('/')[0]} (as administrator)` : c.entity;
      const when = c.from !== undefined ? ` (from ${c.from}${c.until !== undefined ? ` until ${c.until}` : ''})` : c.until !== undefined ? ` (until ${c.until})` : '';
      out.out(`${c.user} on ${where}${when}:`);
      for (const r of c.added) out.out(`  + ${r}`);
      for (const r of c.removed) out.out(`  - ${r}`);
    }
    const gained = new Set(changes.filter((c) => c.added.length).map((c) => c.user)).size;
    const lost = new Set(changes.filter((c) => c.removed.length).map((c) => c.user)).size;
    out.err(`${changes.length} changes: ${gained} users gain rights, ${lost} users lose rights`);
  }
  return options.exitCode && changes.length > 0 ? 1 : 0;
}
