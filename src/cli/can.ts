/** `charter can`: the effective rights of a user on an entity (cli.md). */
import { evaluate } from '../engine/evaluate.ts';
import { openForQuestion, type WorkspaceOptions } from './workspace.ts';
import type { Output } from './output.ts';

export interface CanOptions extends WorkspaceOptions {
  user: string;
  on: string;
  output?: 'text' | 'json';
}

export function runCan(paths: string[], options: CanOptions, out: Output): number {
  const opened = openForQuestion(paths, options, out);
  if (!opened) return 2;
  const { workspace, entity } = opened;
  const rights = workspace.engine.sets.rightNames(evaluate(workspace.engine, options.user, entity).rights);
  if (options.output === 'json') out.out(JSON.stringify(rights));
  else for (const right of rights) out.out(right);
  return 0;
}
