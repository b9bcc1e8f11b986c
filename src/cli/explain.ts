/**
 * `charter explain`: every right with the paths that grant it (semantics §6) — as text, as JSON (with each path's key,
 * the form access tests use: src/testing/path-keys.ts), or as a graph (Graphviz DOT, Mermaid).
 */
import { evaluate, type Provenance } from '../engine/evaluate.ts';
import { holdsRights } from '../engine/user-states.ts';
import { pathKey } from '../testing/path-keys.ts';
import { provenanceGraph, toDot, toMermaid } from './explain-graph.ts';
import type { Output } from './output.ts';
import { openForQuestion, type WorkspaceOptions } from './workspace.ts';

export interface ExplainOptions extends WorkspaceOptions {
  user: string;
  on: string;
  output?: 'text' | 'json' | 'dot' | 'mermaid';
}

const chainText = (chain: string[] | undefined, user: string): string => (chain ? `${chain.map((g) => `UserGroup/${g}`).join(' ⊃ ')} ∋ User/${user}` : `User/${user}`);

/** One line describing a path, e.g. `group: Collaboration/acme/c-devs via UserGroup/staff ⊃ UserGroup/devs ∋ User/bob`. */
export function describePath(path: Provenance, user: string): string {
  switch (path.type) {
    case 'self':
      return `self: User/${user} is ${path.state}`;
    case 'state':
      return `state: User/${user} is ${path.state} and keeps only this on itself`;
    case 'admin':
      return `admin: User/${user} is an Approved administrator`;
    case 'direct':
      return `direct: Collaboration/${path.collaboration}`;
    case 'group':
      return `group: Collaboration/${path.collaboration} via ${chainText(path.chain, user)}`;
    case 'organization': {
      const how = path.memberships
        .map((m) => `Collaboration/${m.collaboration}${m.organization !== path.organization ? ` (in parent Organization/${m.organization})` : ''}${m.chain ? ` via ${chainText(m.chain, user)}` : ''}`)
        .join(', ');
      const grant = path.grant === 'ownership' ? 'ownership of the namespace (ownerRights)' : path.grant === 'membership' ? 'the membership itself' : path.grant;
      return `organization: Organization/${path.organization} holds it by ${grant}; User/${user} is a member through ${how || 'no active membership'}`;
    }
  }
}

export function runExplain(paths: string[], options: ExplainOptions, out: Output): number {
  const opened = openForQuestion(paths, options, out);
  if (!opened) return 2;
  const { workspace, entity } = opened;
  const evaluation = evaluate(workspace.engine, options.user, entity);
  const rights = workspace.engine.sets.rightNames(evaluation.rights);
  const user = workspace.model.users.get(options.user);
  const at = new Date(workspace.now).toISOString();
  if (options.output === 'json') {
    const paths = Object.fromEntries(rights.map((r) => [r, (evaluation.paths.get(r) ?? []).map((p) => ({ key: pathKey(p), ...p }))]));
    out.out(JSON.stringify({ user: options.user, entity: options.on, at, state: user?.state, rights: paths }, null, 2));
    return 0;
  }
  if (options.output === 'dot' || options.output === 'mermaid') {
    const graph = provenanceGraph(options.user, options.on, evaluation.paths);
    const title = `User/${options.user} on ${options.on} at ${at}: ${rights.length} right${rights.length === 1 ? '' : 's'}`;
    out.out(options.output === 'dot' ? toDot(graph, title) : toMermaid(graph, title));
    return 0;
  }
  out.out(`User/${options.user} on ${options.on} at ${new Date(workspace.now).toISOString()}: ${rights.length} right${rights.length === 1 ? '' : 's'}`);
  if (!user) out.out(`  (User/${options.user} does not exist, so it holds nothing)`);
  else if (user.state !== 'Approved') out.out(`  (User/${options.user} is ${user.state}${holdsRights(user) && user.admin ? ': admin rights do not apply' : ''})`);
  for (const right of rights) {
    out.out(right);
    for (const path of evaluation.paths.get(right) ?? []) out.out(`  ← ${describePath(path, options.user)}`);
  }
  return 0;
}
