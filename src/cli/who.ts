/**
 * `charter who --on ENTITY [--right R]`: the users holding rights on an entity, with the kind of path each holds
 * them by (admin, direct, group, organization, self) and the `charter explain` command that shows the paths.
 */
import { entityAccess } from '../engine/access-views.ts';
import type { Output } from './output.ts';
import { InputError, openForQuestion, type WorkspaceOptions } from './workspace.ts';

export interface WhoOptions extends WorkspaceOptions {
  on: string;
  right?: string;
  output?: 'text' | 'json';
}

/** The explain command for one user, with the same manifests, catalog and time as this run. */
function explainCommand(paths: readonly string[], options: WhoOptions, user: string): string {
  const quote = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  const args = ['charter', 'explain', ...paths, ...(options.catalog ? ['--catalog', options.catalog] : []), ...(options.at ? ['--at', options.at] : []), '--user', user, '--on', options.on];
  return args.map(quote).join(' ');
}

export function runWho(paths: string[], options: WhoOptions, out: Output): number {
  const opened = openForQuestion(paths, options, out);
  if (!opened) return 2;
  const { workspace, entity } = opened;
  if (options.right !== undefined && !workspace.engine.sets.rightNames(workspace.engine.sets.kindRights(entity.kind)).includes(options.right)) {
    throw new InputError(`--right: ${options.right} is not a right of kind ${entity.kind} in catalog ${workspace.catalog.name}`);
  }
  const holders = entityAccess(workspace.engine, entity, options.right);
  const at = new Date(workspace.now).toISOString();
  if (options.output === 'json') {
    const users = holders.map((h) => ({ ...h, explain: explainCommand(paths, options, h.user) }));
    out.out(JSON.stringify({ entity: options.on, at, ...(options.right ? { right: options.right } : {}), users }, null, 2));
    return 0;
  }
  out.out(`${options.on} at ${at}: ${holders.length} user${holders.length === 1 ? '' : 's'}${options.right ? ` holding ${options.right}` : ' holding rights'}`);
  if (holders.length === 0) return 0;
  const width = Math.max(4, ...holders.map((h) => h.user.length));
  const viaWidth = Math.max(3, ...holders.map((h) => h.via.join(', ').length));
  out.out(`${'USER'.padEnd(width)}  ${'VIA'.padEnd(viaWidth)}  RIGHTS`);
  for (const h of holders) out.out(`${h.user.padEnd(width)}  ${h.via.join(', ').padEnd(viaWidth)}  ${h.rights.length}`);
  out.out(`why: ${explainCommand(paths, options, 'USER')}`);
  return 0;
}
