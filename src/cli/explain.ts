/** `charter explain`: every right with the paths that grant it (semantics §6). */
import { evaluate, type Provenance } from '../engine/evaluate.ts';
import type { Output } from './output.ts';
import { openForQuestion, type WorkspaceOptions } from './workspace.ts';

export interface ExplainOptions extends WorkspaceOptions {
  user: string;
  on: string;
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
  out.out(`User/${options.user} on ${options.on} at ${new Date(workspace.now).toISOString()}: ${rights.length} right${rights.length === 1 ? '' : 's'}`);
  if (!user) out.out(`  (User/${options.user} does not exist, so it holds nothing)`);
  else if (user.state !== 'Approved') out.out(`  (User/${options.user} is ${user.state}${user.state === 'Flagged' && user.admin ? ': admin rights do not apply' : ''})`);
  for (const right of rights) {
    out.out(right);
    for (const path of evaluation.paths.get(right) ?? []) out.out(`  ← ${describePath(path, options.user)}`);
  }
  return 0;
}
