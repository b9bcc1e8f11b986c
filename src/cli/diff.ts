/** `charter diff`: which users gain or lose which rights on which entities between two versions of the manifests. */
import type { Engine } from '../engine/engine.ts';
import { evaluate } from '../engine/evaluate.ts';
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
  const self = evaluate(engine, user, { kind: 'User', namespace: undefined, name: user }).rights;
  if (self !== EMPTY) out.set(`User/${user}`, names(self));
  return out;
}

/** The changes between two engines, sorted by user then entity. */
export function rightsChanges(before: Engine, after: Engine): RightsChange[] {
  const users = [...new Set([...before.model.users.keys(), ...after.model.users.keys()])].sort();
  const changes: RightsChange[] = [];
  for (const user of users) {
    const a = holdings(before, user);
    const b = holdings(after, user);
    for (const entity of [...new Set([...a.keys(), ...b.keys()])].sort()) {
      const x = new Set(a.get(entity) ?? []);
      const y = new Set(b.get(entity) ?? []);
      const added = [...y].filter((r) => !x.has(r));
      const removed = [...x].filter((r) => !y.has(r));
      if (added.length + removed.length > 0) changes.push({ user, entity, added, removed });
    }
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
      out.out(`${c.user} on ${where}:`);
      for (const r of c.added) out.out(`  + ${r}`);
      for (const r of c.removed) out.out(`  - ${r}`);
    }
    const gained = new Set(changes.filter((c) => c.added.length).map((c) => c.user)).size;
    const lost = new Set(changes.filter((c) => c.removed.length).map((c) => c.user)).size;
    out.err(`${changes.length} changes: ${gained} users gain rights, ${lost} users lose rights`);
  }
  return options.exitCode && changes.length > 0 ? 1 : 0;
}
