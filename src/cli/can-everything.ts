/**
 * `charter can --user U` without `--on`: every entity and right the user holds, grouped by namespace (text or JSON).
 * The same shape from manifests (userAccess) and from the published maps (can-cluster.ts).
 */
import { userAccess, type UserAccess } from '../engine/access-views.ts';
import type { Output } from './output.ts';
import { openWorkspace, problemLines, type WorkspaceOptions } from './workspace.ts';

export interface CanEverythingOptions extends WorkspaceOptions {
  user: string;
  output?: 'text' | 'json';
}

/** What `can` without `--on` prints; `at` is the evaluation time (manifests) or undefined (maps: each has its own). */
export interface AccessReport extends UserAccess {
  source: 'manifests' | 'cluster';
  at: string | undefined;
}

export function printAccess(report: AccessReport, output: 'text' | 'json' | undefined, out: Output): void {
  if (output === 'json') {
    out.out(JSON.stringify(report, null, 2));
    return;
  }
  const entities = report.namespaces.reduce((n, ns) => n + Object.keys(ns.entities).length, 0) + Object.keys(report.cluster).length;
  const state = report.state === undefined ? (report.source === 'cluster' ? '' : ' (no such user)') : ` (${report.state})`;
  const when = report.at ? ` at ${report.at}` : ' (from the published permission maps)';
  out.out(`User/${report.user}${state}${when}: ${entities} entit${entities === 1 ? 'y' : 'ies'} named, ${report.namespaces.length} namespace${report.namespaces.length === 1 ? '' : 's'}${report.admin ? ', administrator' : ''}`);
  const line = (what: string, rights: readonly string[]): void => out.out(`  ${what}: ${rights.join(', ')}`);
  if (report.admin) {
    out.out('everywhere (administrator)');
    for (const [kind, rights] of Object.entries(report.admin)) line(`every ${kind}`, rights);
  }
  for (const ns of report.namespaces) {
    out.out(`namespace ${ns.namespace}${ns.organization ? ` (owned by Organization/${ns.organization})` : ''}`);
    for (const [kind, rights] of Object.entries(ns.every)) line(`every ${kind}`, rights);
    for (const [key, rights] of Object.entries(ns.entities)) line(key, rights);
  }
  if (Object.keys(report.cluster).length > 0) {
    out.out('cluster-scoped');
    for (const [key, rights] of Object.entries(report.cluster)) line(key, rights);
  }
}

export function runCanEverything(paths: string[], options: CanEverythingOptions, out: Output): number {
  const workspace = openWorkspace(paths, options, out.progress?.bind(out));
  const problems = problemLines(workspace);
  if (problems.length > 0) {
    for (const line of problems) out.err(line);
    return 2;
  }
  const { user, state, admin, namespaces, cluster } = userAccess(workspace.engine, options.user);
  printAccess({ user, state, source: 'manifests', at: new Date(workspace.now).toISOString(), admin, namespaces, cluster }, options.output, out);
  return 0;
}
