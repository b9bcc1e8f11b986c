/**
 * What an integration test needs from the run's control plane (started by ./global-setup.ts):
 *
 *   const ns = await newNamespace('users');           // a fresh namespace, as the admin
 *   const kc = kubeConfig();                          // @kubernetes/client-node KubeConfig, context `admin`
 *   const asAlice = kubeConfig('alice');              // an ordinary identity: RBAC allows it nothing yet
 *   const r = kubectl(['get', 'users', '-n', ns]);     // plain kubectl with the run's kubeconfig
 *
 * Contexts: `admin` (group system:masters), and one per ordinary identity: `alice`, `bob` (group
 * charter:testers) and `carol` (no group).
 */
import { spawnSync } from 'node:child_process';
import type { SpawnSyncOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { API_GROUP, KINDS, PLURALS } from '../../../src/api/kinds.ts';

export interface ControlPlaneInfo {
  server: string;
  dir: string;
  kubeconfigPath: string;
  binariesDir: string;
  /** Static bearer tokens by identity name. */
  tokens: Record<string, string>;
  admin: { name: string; groups: string[] };
  identities: { name: string; groups: string[] }[];
  pids: { etcd: number; apiserver: number; watchdog?: number };
  ports: { apiserver: number; etcdClient: number; etcdPeer: number };
}

/** The kubeconfig of this run's cluster. */
export function kubeconfigPath(): string {
  const p = process.env.CHARTER_TEST_KUBECONFIG;
  if (!p) {
    throw new Error(
      'no control plane: CHARTER_TEST_KUBECONFIG is unset. Run integration tests with `npm run test:integration` ' +
        '(its globalSetup starts one), or point CHARTER_TEST_KUBECONFIG at a kubeconfig.',
    );
  }
  return p;
}

/** Details of the control plane globalSetup started; undefined when the tests use an outside cluster. */
export function controlPlaneInfo(): ControlPlaneInfo | undefined {
  const p = process.env.CHARTER_TEST_CONTROLPLANE_INFO;
  return p ? (JSON.parse(readFileSync(p, 'utf8')) as ControlPlaneInfo) : undefined;
}

/** A KubeConfig for the run's cluster, set to `context` (default: the kubeconfig's current one, `admin`). */
export function kubeConfig(context?: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath());
  if (context) kc.setCurrentContext(context);
  return kc;
}

/** A KubeConfig that authenticates with a bearer token (e.g. a ServiceAccount's), trusting the run's CA. */
export function kubeConfigWithToken(token: string): KubeConfig {
  const base = kubeConfig();
  const cluster = base.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [cluster],
    users: [{ name: 'token', token }],
    contexts: [{ name: 'token', cluster: cluster.name, user: 'token' }],
    currentContext: 'token',
  });
  return kc;
}

/**
 * Creates a namespace with a fresh name (`<prefix>-<random>`) as the admin and returns its name.
 * Namespaces are not deleted afterwards: the control plane is thrown away after the run (and, with no
 * kube-controller-manager, a deleted namespace would stay Terminating anyway).
 */
export async function newNamespace(prefix = 'test'): Promise<string> {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 50) || 'test';
  const name = `${clean}-${randomBytes(4).toString('hex')}`;
  await kubeConfig().makeApiClient(CoreV1Api).createNamespace({
    body: { metadata: { name, labels: { 'charter.dev/test-namespace': 'true' } } },
  });
  return name;
}

export interface KubectlResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs kubectl against the run's cluster (`--kubeconfig` added); never throws on a non-zero exit. */
export function kubectl(args: string[], opts: { input?: string; context?: string } = {}): KubectlResult {
  const argv = ['--kubeconfig', kubeconfigPath(), ...(opts.context ? ['--context', opts.context] : []), ...args];
  const spawnOpts: SpawnSyncOptions = { encoding: 'utf8', timeout: 60_000 };
  if (opts.input !== undefined) spawnOpts.input = opts.input;
  const r = spawnSync('kubectl', argv, spawnOpts);
  if (r.error) throw r.error;
  return { status: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** `kc` with its current cluster's server replaced by a loopback proxy's port (same CA: the proxy passes TLS through). */
export function throughProxy(kc: KubeConfig, port: number): KubeConfig {
  const current = kc.getCurrentCluster()!;
  const out = new KubeConfig();
  out.loadFromOptions({
    clusters: kc.getClusters().map((c) => (c.name === current.name ? { ...c, server: `https://127.0.0.1:${port}` } : c)),
    users: kc.getUsers(),
    contexts: kc.getContexts(),
    currentContext: kc.getCurrentContext(),
  });
  return out;
}

/**
 * A ClusterRole `name` that lets `users` write every Charter kind, and its binding: Kubernetes RBAC lets them in, so
 * what they may change is the admission webhook's to decide.
 */
export function charterWriterRbac(name: string, users: readonly string[]): Record<string, unknown>[] {
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name },
      rules: [{ apiGroups: [API_GROUP], resources: KINDS.map((kind) => PLURALS[kind]), verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: users.map((user) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user })),
    },
  ];
}
