/**
 * The `charter` command line (docs: shared cli.md contract; README). Exit status 2 for unreadable input.
 */
import { Command, CommanderError, Option } from 'commander';
import { CatalogError } from '../catalog/catalog.ts';
import { PLATFORM_GROUPS, PLATFORM_USERS } from '../admission/decide.ts';
import { runAdmit } from './admit.ts';
import { runCan } from './can.ts';
import { runCanCluster, runCanClusterEverything } from './can-cluster.ts';
import { runCanEverything } from './can-everything.ts';
import { runDiff } from './diff.ts';
import { runExplain } from './explain.ts';
import { processOutput, type Output } from './output.ts';
import { runRender } from './render.ts';
import { runValidate } from './validate.ts';
import { runTest } from './test.ts';
import { runWho } from './who.ts';
import { InputError } from './workspace.ts';

function program(out: Output, setExit: (code: number) => void): Command {
  const root = new Command('charter')
    .description('Effective rights from Users, Organizations, UserGroups and Collaborations — offline, from manifests')
    .exitOverride()
    .configureOutput({ writeOut: (s) => out.out(s.trimEnd()), writeErr: (s) => out.err(s.trimEnd()) });
  const catalog = new Option('--catalog <file>', 'a catalog file (default: The Things Stack)');
  const adminRights = new Option('--admin-rights <mode>', 'what admins get: default (all but the withheld rights) or all').choices(['default', 'all']).default('default');
  const at = new Option('--at <time>', 'evaluation time, RFC 3339 (default: now)');
  root
    .command('can')
    .description('print the effective rights of a user on an entity, or without --on everything the user holds (from manifests, or with --cluster from the published maps)')
    .argument('[path...]', 'manifest files or folders (not with --cluster)')
    .option('--cluster', 'answer from the permission maps the operator published, as a workload would')
    .option('--kubeconfig <file>', 'with --cluster: the kubeconfig (default: KUBECONFIG, ~/.kube/config or in-cluster)')
    .option('--context <name>', "with --cluster: a context of the kubeconfig (default: its current context)")
    .option('--request-timeout <seconds>', 'with --cluster: give up on a request after this long (default: 15)')
    .requiredOption('--user <name>', 'the user')
    .option('--on <entity>', 'Organization/<name>, User/<name> or <Kind>/<namespace>/<name> (without it: every entity and right of the user)')
    .addOption(at)
    .addOption(catalog)
    .addOption(adminRights)
    .addOption(new Option('-o, --output <format>', 'text or json').choices(['text', 'json']).default('text'))
    .action(async (paths: string[], opts) => {
      if (opts.cluster) {
        if (paths.length > 0) throw new InputError('--cluster reads the cluster: give no manifest paths');
        setExit(opts.on === undefined ? await runCanClusterEverything(opts, out) : await runCanCluster(opts, out));
      } else {
        if (paths.length === 0) throw new InputError('expected at least one manifest path (or --cluster)');
        setExit(opts.on === undefined ? runCanEverything(paths, opts, out) : runCan(paths, opts, out));
      }
    });
  root
    .command('test')
    .description('run access test files: cases of who can do what (docs/access-tests.md); exit 1 on a failure, 3 when cases were not run (--cluster)')
    .argument('<file...>', 'access test files (YAML)')
    .option('--cluster', 'check the can/cannot/rights cases against the published permission maps')
    .option('--kubeconfig <file>', 'with --cluster: the kubeconfig')
    .option('--context <name>', 'with --cluster: a context of the kubeconfig other than its current one')
    .option('--request-timeout <seconds>', 'with --cluster: how long one request to the API server may take (default 15)')
    .option('--coverage', 'report which users, groups and Collaborations the cases exercise')
    .option('--min-coverage <percent>', 'exit 1 when the coverage of a file is below this')
    .action(async (files: string[], opts) => setExit(await runTest(files, opts, out)));
  root
    .command('who')
    .description('the users holding rights on an entity, with how they hold them (admin, direct, group, organization, self)')
    .argument('<path...>', 'manifest files or folders')
    .requiredOption('--on <entity>', 'the entity')
    .option('--right <right>', 'only the users holding this right (and how they hold it)')
    .addOption(at)
    .addOption(catalog)
    .addOption(adminRights)
    .addOption(new Option('-o, --output <format>', 'text or json').choices(['text', 'json']).default('text'))
    .action((paths: string[], opts) => setExit(runWho(paths, opts, out)));
  root
    .command('validate')
    .description('schema and semantic checks; exit 1 on errors (and warnings with --strict)')
    .argument('<path...>', 'manifest files or folders')
    .addOption(catalog)
    .addOption(at)
    .option('--strict', 'warnings fail too')
    .action((paths: string[], opts) => setExit(runValidate(paths, opts, out)));
  root
    .command('explain')
    .description('every right of a user on an entity, with the paths that grant it')
    .argument('<path...>', 'manifest files or folders')
    .requiredOption('--user <name>', 'the user')
    .requiredOption('--on <entity>', 'the entity')
    .addOption(at)
    .addOption(catalog)
    .addOption(adminRights)
    .addOption(new Option('-o, --output <format>', 'text, json (with path keys), dot (Graphviz) or mermaid').choices(['text', 'json', 'dot', 'mermaid']).default('text'))
    .action((paths: string[], opts) => setExit(runExplain(paths, opts, out)));
  root
    .command('render')
    .description('write the statuses and ConfigMaps the operator would write, as YAML files')
    .argument('<path...>', 'manifest files or folders')
    .requiredOption('--out <dir>', 'output folder')
    .addOption(at)
    .addOption(catalog)
    .addOption(adminRights)
    .action((paths: string[], opts) => setExit(runRender(paths, opts, out)));
  root
    .command('diff')
    .description('which users gain or lose which rights between two versions of the manifests, now and at every later expiresAt of either')
    .argument('<pathA>', 'the manifests before')
    .argument('<pathB>', 'the manifests after')
    .addOption(at)
    .addOption(catalog)
    .addOption(adminRights)
    .option('--exit-code', 'exit 1 when anything changed')
    .addOption(new Option('-o, --output <format>', 'text or json').choices(['text', 'json']).default('text'))
    .action((a: string, b: string, opts) => setExit(runDiff(a, b, opts, out)));
  root
    .command('admit')
    .description('judge every change between two versions of the manifests as the admission webhook would, from one requester; exit 1 when denied')
    .argument('<before>', 'the manifests before (the state the changes are judged against)')
    .argument('<after>', 'the manifests after')
    .requiredOption('--as <user>', 'the requester: a Kubernetes username (mapped through spec.identities) or User/<name>')
    .option('--as-groups <groups>', 'the requester\'s Kubernetes groups, comma-separated (system:masters bypasses the rules)')
    .addOption(at)
    .addOption(catalog)
    .addOption(adminRights)
    .option('--admission-bypass-users <names>', `as the operator's: comma-separated usernames always allowed ("" for none; default ${PLATFORM_USERS.join(',')})`)
    .option('--admission-bypass-groups <names>', `as the operator's: comma-separated groups whose members are always allowed ("" for none; default ${PLATFORM_GROUPS.join(',')})`)
    .option('--admission-self-registration [bool]', "as the operator's: let an identity with no User create its own User in state Requested (default true)")
    .addOption(new Option('-o, --output <format>', 'text or json').choices(['text', 'json']).default('text'))
    .action((a: string, b: string, opts) => setExit(runAdmit(a, b, opts, out)));
  return root;
}

/** Runs the command line; returns the exit status. */
export async function main(argv: string[], out: Output = processOutput): Promise<number> {
  let code = 0;
  try {
    await program(out, (c) => (code = c)).parseAsync(argv, { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof InputError || error instanceof CatalogError) {
      out.err(`charter: ${error.message}`);
      return 2;
    }
    throw error;
  }
}
