/** The control plane the integration tests run against: a real kube-apiserver + etcd, RBAC, TokenRequest, CRDs. */
import { beforeAll, describe, expect, jest, test } from '@jest/globals';
import {
  ApiException,
  AuthenticationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  RbacAuthorizationV1Api,
  VersionApi,
} from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { fileURLToPath } from 'node:url';
import { installCRDsWithKubeconfig, readCRDs } from '../../src/devcluster/crds.ts';
import {
  controlPlaneInfo,
  kubeConfig,
  kubeConfigWithToken,
  kubeconfigPath,
  kubectl,
  newNamespace,
} from './support/cluster.ts';

jest.setTimeout(30_000); // a real API server on a small, shared machine

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const repoCrds = fileURLToPath(new URL('../../crds', import.meta.url));

/** The HTTP status of a failed call (client-node 2.x throws ApiException), or 200 when it succeeds. */
async function statusOf(call: () => Promise<unknown>): Promise<number> {
  try {
    await call();
    return 200;
  } catch (e) {
    if (e instanceof ApiException) return e.code;
    throw e;
  }
}

async function whoAmI(kc: KubeConfig): Promise<{ username?: string; groups?: string[] }> {
  const r = await kc.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
  });
  return r.status?.userInfo ?? {};
}

describe('the control plane', () => {
  test('serves the pinned Kubernetes version and is ready', async () => {
    const v = await kubeConfig().makeApiClient(VersionApi).getCode();
    expect(v.gitVersion).toMatch(/^v1\.33\.\d+$/);
    const ready = kubectl(['get', '--raw', '/readyz']);
    expect(ready.stdout.trim()).toBe('ok');
  });

  test('plain kubectl works with the kubeconfig', () => {
    const r = kubectl(['get', 'namespaces', '-o', 'name']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('namespace/kube-system');
  });

  test('each test gets a fresh namespace', async () => {
    const a = await newNamespace('fresh');
    const b = await newNamespace('fresh');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^fresh-[0-9a-f]{8}$/);
    const ns = await kubeConfig().makeApiClient(CoreV1Api).readNamespace({ name: a });
    expect(ns.status?.phase).toBe('Active');
  });
});

describe('authentication and RBAC', () => {
  let ns: string;
  beforeAll(async () => {
    ns = await newNamespace('rbac');
  });

  test('client certificates identify the admin and the ordinary identities', async () => {
    expect(await whoAmI(kubeConfig())).toMatchObject({
      username: 'charter-admin',
      groups: expect.arrayContaining(['system:masters', 'system:authenticated']),
    });
    expect(await whoAmI(kubeConfig('alice'))).toMatchObject({
      username: 'alice',
      groups: expect.arrayContaining(['charter:testers', 'system:authenticated']),
    });
    expect((await whoAmI(kubeConfig('carol'))).username).toBe('carol');
  });

  test('static tokens identify the same identities', async () => {
    const info = controlPlaneInfo();
    if (!info) return; // an outside cluster (CHARTER_TEST_KUBECONFIG): no tokens known
    expect((await whoAmI(kubeConfigWithToken(info.tokens.bob!))).username).toBe('bob');
    const bad = kubeConfigWithToken('not-a-token');
    expect(await statusOf(() => whoAmI(bad))).toBe(401);
  });

  test('RBAC denies an ordinary identity and allows the admin', async () => {
    const cm = { metadata: { name: 'settings' }, data: { a: '1' } };
    expect(await statusOf(() => kubeConfig().makeApiClient(CoreV1Api).createNamespacedConfigMap({ namespace: ns, body: cm }))).toBe(200);
    const alice = kubeConfig('alice').makeApiClient(CoreV1Api);
    expect(await statusOf(() => alice.readNamespacedConfigMap({ name: 'settings', namespace: ns }))).toBe(403);
    expect(await statusOf(() => alice.listNamespace())).toBe(403);
    const denied = kubectl(['get', 'configmaps', '-n', ns], { context: 'alice' });
    expect(denied.status).not.toBe(0);
    expect(denied.stderr).toMatch(/forbidden: User "alice" cannot list resource "configmaps"/);
  });

  test('a RoleBinding grants an ordinary identity exactly its rights, in its namespace only', async () => {
    const rbac = kubeConfig().makeApiClient(RbacAuthorizationV1Api);
    // A Role of its own: the aggregated ClusterRoles (view, edit, admin) stay empty here, since their
    // rules are filled in by kube-controller-manager, which this control plane does not run.
    await rbac.createNamespacedRole({
      namespace: ns,
      body: {
        metadata: { name: 'configmap-reader' },
        rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: {
        metadata: { name: 'bob-reads-configmaps' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'configmap-reader' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'bob' }],
      },
    });
    const bob = kubeConfig('bob').makeApiClient(CoreV1Api);
    // RBAC's authorizer reads bindings from an informer: give it a moment.
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = await statusOf(() => bob.listNamespacedConfigMap({ namespace: ns }));
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
    expect(await statusOf(() => bob.deleteNamespacedConfigMap({ name: 'settings', namespace: ns }))).toBe(403);
    expect(await statusOf(() => bob.listNamespacedConfigMap({ namespace: 'default' }))).toBe(403);
    expect(kubectl(['auth', 'can-i', 'list', 'configmaps', '-n', ns], { context: 'bob' }).stdout.trim()).toBe('yes');
    expect(kubectl(['auth', 'can-i', 'list', 'configmaps', '-n', ns], { context: 'alice' }).stdout.trim()).toBe('no');
  });
});

describe('service accounts', () => {
  test('TokenRequest issues a token that authenticates as the ServiceAccount, and TokenReview accepts it', async () => {
    const ns = await newNamespace('tokens');
    const core = kubeConfig().makeApiClient(CoreV1Api);
    await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'operator' } } });
    const tr = await core.createNamespacedServiceAccountToken({
      name: 'operator',
      namespace: ns,
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    const token = tr.status?.token;
    expect(token).toMatch(/^ey[\w-]+\.[\w-]+\.[\w-]+$/);

    const asSa = kubeConfigWithToken(token!);
    expect(await whoAmI(asSa)).toMatchObject({
      username: `system:serviceaccount:${ns}:operator`,
      groups: expect.arrayContaining(['system:serviceaccounts', `system:serviceaccounts:${ns}`]),
    });
    // Authenticated, but RBAC grants a fresh ServiceAccount nothing.
    expect(await statusOf(() => asSa.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: ns }))).toBe(403);

    const review = await kubeConfig().makeApiClient(AuthenticationV1Api).createTokenReview({
      body: { spec: { token: token! } },
    });
    expect(review.status?.authenticated).toBe(true);
    expect(review.status?.user?.username).toBe(`system:serviceaccount:${ns}:operator`);
  });
});

describe('CRDs', () => {
  test("crds/*.yaml are installed and Established by the run's setup", async () => {
    const names = readCRDs([repoCrds]).map((c) => c.metadata.name as string);
    if (!controlPlaneInfo()) await installCRDsWithKubeconfig(kubeconfigPath(), [repoCrds]);
    for (const name of names) {
      const r = kubectl(['get', 'crd', name, '-o', 'jsonpath={.status.conditions[?(@.type=="Established")].status}']);
      expect({ name, established: r.stdout }).toEqual({ name, established: 'True' });
    }
  });

  test('a CRD gets Established and served, and its schema is enforced', async () => {
    const installed = await installCRDsWithKubeconfig(kubeconfigPath(), [fixture('widgets.crd.yaml')]);
    expect(installed).toEqual(['widgets.fixtures.charter.dev']);
    const ns = await newNamespace('crd');
    const objects = kubeConfig().makeApiClient(CustomObjectsApi);
    const widget = (name: string, size: number) => ({
      apiVersion: 'fixtures.charter.dev/v1',
      kind: 'Widget',
      metadata: { name },
      spec: { size },
    });
    const base = { group: 'fixtures.charter.dev', version: 'v1', namespace: ns, plural: 'widgets' };
    await objects.createNamespacedCustomObject({ ...base, body: widget('ok', 3) });
    expect(await statusOf(() => objects.createNamespacedCustomObject({ ...base, body: widget('too-small', 0) }))).toBe(422);
    const list = kubectl(['get', 'widgets', '-n', ns, '-o', 'name']);
    expect(list.stdout.trim()).toBe('widget.fixtures.charter.dev/ok');
  });
});
