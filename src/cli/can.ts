/** `charter can`: the effective rights of a user on an entity (cli.md). */
import { parseEntity } from '../engine/entities.ts';
import { evaluate } from '../engine/evaluate.ts';
import { InputError, openWorkspace, problemLines, type WorkspaceOptions } from './workspace.ts';
import type { Output } from './output.ts';

export interface CanOptions extends WorkspaceOptions {
  user: string;
  on: string;
  output?: 'text' | 'json';
}

export function runCan(paths: string[], options: CanOptions, out: Output): number {
  const workspace = openWorkspace(paths, options);
  const problems = problemLines(workspace);
  if (problems.length > 0) {
    for (const line of problems) out.err(line);
    return 2;
  }
  let entity;
  try {
    entity = parseEntity(options.on, workspace.catalog);
  } catch (error) {
    throw new InputError(`--on: ${(error as Error).message}`);
  }
  const rights = workspace.engine.sets.rightNames(evaluate(workspace.engine, options.user, entity).rights);
  if (options.output === 'json') out.out(JSON.stringify(rights));
  else for (const right of rights) out.out(right);
  return 0;
}
