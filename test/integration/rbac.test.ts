/**
 * The Helm chart's RBAC, proven against the real API server: the chart's RBAC templates
 * (charts/charter/templates/rbac.yaml and leader-election-rbac.yaml) are rendered with a test namespace as the
 * release namespace and applied; a ServiceAccount gets a token (TokenRequest); an in-process Operator runs with
 * exactly that identity, with leader election on a Lease in the release namespace. It converges — statuses
 * written, the permission map published in another namespace (taking over an unlabelled ConfigMap of its name),
 * sharded and shrunk again (its leftover shards deleted), Events recorded and updated — with no write failing and no
 * request forbidden. The same identity cannot change what people declare, read Secrets, take another Lease, or read,
 * replace or delete any ConfigMap but the permission maps' (kube-system's, a workload's beside the map).
 *
 * The templates are rendered by the real helm (test/unit/chart/helm-template.support.ts: the binary
 * scripts/node-build.sh builds; without it this file is skipped, unless CHARTER_REQUIRE_NODE=1 or CI).
 */
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { AuthorizationV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { parse, stringify } from 'yaml';
import { loadCatalog } from '../../src/catalog/load-catalog.ts';
import { ApiClient, ApiError } from '../../src/controller/api-client.ts';
import { createLogger } from '../../src/controller/logger.ts';
import { Operator } from '../../src/controller/operator.ts';
import { parsePermissionMap } from '../../src/reader/permission-reader.ts';
import { chartDir, findHelm, helmTemplate } from '../unit/chart/helm-template.support.ts';
import { kubeConfig, kubeConfigWithToken, kubectl, newNamespace } from './support/cluster.ts';

jest.setTimeout(90_000);

type Obj = Record<string, any>;

const helm = await findHelm();
const maybe = helm ? describe : describe.skip;

/** The operator's RBAC of a release (templates/rbac.yaml and leader-election-rbac.yaml), rendered by helm. */
function renderRbac(release: { name: string; namespace: string }): Obj[] {
  const r = helmTemplate(helm!, { releaseName: release.name, namespace: release.namespace });
  if (r.status !== 0) throw new Error(`helm template failed: ${r.stderr}`);
  const names = { ClusterRole: release.name, ClusterRoleBinding: release.name, Role: `${release.name}-leader-election`, RoleBinding: `${release.name}-leader-election` };
  return r.objects.filter((o) => names[o.kind as keyof typeof names] === o.metadata?.name);
}

// ---------------------------------------------------------------------------------------------------------------

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function eventually<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(100);
  }
}

/** The HTTP status of a request (200 when it succeeds). */
async function statusOf(request: () => Promise<unknown>): Promise<number> {
  try {
    await request();
    return 200;
  } catch (error) {
    if (error instanceof ApiError) return error.status;
    throw error;
  }
}

const suffix = randomBytes(3).toString('hex');
const release = `charter-${suffix}`;
const LEASE_MS = 3000;
const names = {
  alice: `alice-${suffix}`,
  bob: `bob-${suffix}`,
  ghost: `ghost-${suffix}`,
  devs: `devs-${suffix}`,
  org: `acme-${suffix}`,
  /** Users granted in bulk, so that the map needs shards at MAP_BUDGET. */
  many: Array.from({ length: 40 }, (_, i) => `many-${i}-${suffix}`),
};
/** The operator's map budget here: the first map fits one ConfigMap, with 40 more grants it needs shards. */
const MAP_BUDGET = 2500;

let releaseNs: string;
let tenantNs: string;
let rbacObjects: Obj[];
let serviceAccount: string;
let leaseName: string;
let asOperator: KubeConfig;
let operatorApi: ApiClient;
let operator: Operator | undefined;
const admin = new ApiClient(kubeConfig());
const logLines: string[] = [];

function applyAsAdmin(objects: Obj[]): void {
  const r = kubectl(['apply', '--server-side', '--field-manager=rbac-test', '-f', '-'], { input: objects.map((o) => stringify(o)).join('---\n') });
  if (r.status !== 0) throw new Error(`kubectl apply failed: ${r.stderr}`);
}

async function writeCount(kind: string, verb: string, result: string): Promise<number> {
  return (await operator!.metrics.apiWrites.get()).values.find((v) => v.labels.kind === kind && v.labels.verb === verb && v.labels.result === result)?.value ?? 0;
}

beforeAll(async () => {
  if (!helm) return;
  releaseNs = await newNamespace('charter-system');
  tenantNs = await newNamespace('acme');
  rbacObjects = renderRbac({ name: release, namespace: releaseNs });
  applyAsAdmin(rbacObjects);

  const binding = rbacObjects.find((o) => o.kind === 'ClusterRoleBinding')!;
  serviceAccount = binding.subjects[0].name;
  const core = kubeConfig().makeApiClient(CoreV1Api);
  await core.createNamespacedServiceAccount({ namespace: releaseNs, body: { metadata: { name: serviceAccount } } });
  const token = (await core.createNamespacedServiceAccountToken({ name: serviceAccount, namespace: releaseNs, body: { spec: { audiences: [], expirationSeconds: 3600 } } }))
    .status?.token;
  asOperator = kubeConfigWithToken(token!);
  operatorApi = new ApiClient(asOperator);
  leaseName = (parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as Obj).leaderElection.leaseName;

  // The authorizer's caches take a moment to see new bindings.
  const authz = asOperator.makeApiClient(AuthorizationV1Api);
  await eventually('the RBAC bindings to take effect', async () => {
    const allowed = async (resourceAttributes: Obj): Promise<boolean> =>
      (await authz.createSelfSubjectAccessReview({ body: { spec: { resourceAttributes } } })).status?.allowed === true;
    return (
      (await allowed({ group: 'charter.dev', resource: 'users', verb: 'watch' })) &&
      (await allowed({ group: 'coordination.k8s.io', resource: 'leases', verb: 'create', namespace: releaseNs }))
    );
  });
});

afterAll(async () => {
  await operator?.stop();
  operatorApi?.close();
  if (!helm) return admin.close();
  // Remove what this file made, so that other files' operators do not meet it (the namespaces stay: support/cluster.ts).
  for (const path of [
    ...['m-alice', 'm-devs', 'c-ghost'].map((n) => `/apis/charter.dev/v1alpha1/namespaces/${tenantNs}/collaborations/${n}`),
    ...names.many.map((n) => `/apis/charter.dev/v1alpha1/namespaces/${tenantNs}/collaborations/c-${n}`),
    ...[names.alice, names.bob, names.ghost, ...names.many].map((n) => `/apis/charter.dev/v1alpha1/users/${n}`),
    `/apis/charter.dev/v1alpha1/usergroups/${names.devs}`,
    `/apis/charter.dev/v1alpha1/organizations/${names.org}`,
    `/api/v1/namespaces/kube-system/configmaps/victim-${suffix}`,
    ...(rbacObjects ?? []).filter((o) => o.kind.startsWith('Cluster')).map((o) => `/apis/rbac.authorization.k8s.io/v1/${o.kind === 'ClusterRole' ? 'clusterroles' : 'clusterrolebindings'}/${o.metadata.name}`),
  ]) {
    await admin.request('DELETE', path).catch(() => undefined);
  }
  if (tenantNs) {
    await admin.request('DELETE', `/api/v1/namespaces/${tenantNs}/configmaps`, { query: { labelSelector: 'charter.dev/permission-map=true' } }).catch(() => undefined);
  }
  admin.close();
});

maybe('the chart RBAC templates', () => {
  test('render to a ClusterRole, a Role on leases in the release namespace, and bindings to one ServiceAccount', () => {
    const byKind = new Map(rbacObjects.map((o) => [o.kind as string, o]));
    expect([...byKind.keys()].sort()).toEqual(['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);
    expect(byKind.get('ClusterRole')!.metadata).toMatchObject({ name: release, labels: { 'app.kubernetes.io/instance': release, 'app.kubernetes.io/managed-by': 'Helm' } });
    expect(byKind.get('Role')!.metadata).toMatchObject({ name: `${release}-leader-election`, namespace: releaseNs });
    expect(byKind.get('Role')!.rules).toEqual([
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: [leaseName], verbs: ['get', 'update'] },
    ]);
    for (const kind of ['ClusterRoleBinding', 'RoleBinding']) {
      expect(byKind.get(kind)!.subjects).toEqual([{ kind: 'ServiceAccount', name: release, namespace: releaseNs }]);
    }
    // No wildcard anywhere.
    const rules = [...byKind.get('ClusterRole')!.rules, ...byKind.get('Role')!.rules] as Obj[];
    expect(rules.flatMap((r) => [...r.apiGroups, ...r.resources, ...r.verbs])).not.toContain('*');
    // ConfigMaps: replaced and deleted by name only (test/unit/chart/rbac-and-roles.test.ts has the rules in full).
    const byName = rules.find((r) => r.resources.includes('configmaps') && r.resourceNames);
    expect(byName).toMatchObject({ verbs: ['get', 'update', 'delete'], resourceNames: expect.arrayContaining(['charter-permissions', 'charter-permissions-0', 'charter-permissions-63']) });
  });
});

maybe('the operator with exactly the chart RBAC', () => {
  test('converges: statuses, the permission map in another namespace (taken over, sharded, shrunk), Events and the Lease, with no write failing', async () => {
    // Someone's own ConfigMap of the map's name, unlabelled: the operator takes it over (GET and PUT by name), with a warning.
    await admin.request('POST', `/api/v1/namespaces/${tenantNs}/configmaps`, { body: { metadata: { name: 'charter-permissions' }, data: { 'settings.yaml': 'mine' } } });
    const stream = new Writable({
      write(chunk, _encoding, done) {
        logLines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    operator = new Operator({
      kubeConfig: asOperator,
      catalog: loadCatalog(),
      logger: createLogger('info', { stream }),
      port: 0,
      registry: new Registry(),
      workers: 2,
      mapBudgetBytes: MAP_BUDGET,
      leaderElection: { namespace: releaseNs, name: leaseName, identity: `rbac-test-${suffix}`, leaseDurationMs: LEASE_MS, renewDeadlineMs: 2000, retryPeriodMs: 500 },
    });
    // Every informer lists with the ServiceAccount's rights: a 403 there would retry forever, so give up with the logs.
    let timer: NodeJS.Timeout | undefined;
    const startTimeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the operator did not start in 20 s:\n${logLines.filter((l) => /"level":"(warn|error)"/.test(l)).slice(0, 6).join('\n')}`)), 20_000);
    });
    await Promise.race([operator.start(), startTimeout]).finally(() => clearTimeout(timer));
    expect(operator.ready).toBe(true);
    await eventually('leadership', async () => operator!.isLeader);

    const users = [names.alice, names.bob].map((name) => ({ apiVersion: 'charter.dev/v1alpha1', kind: 'User', metadata: { name }, spec: { displayName: name } }));
    const collaboration = (name: string, spec: Obj): Obj => ({ apiVersion: 'charter.dev/v1alpha1', kind: 'Collaboration', metadata: { name, namespace: tenantNs }, spec });
    applyAsAdmin([
      ...users,
      { apiVersion: 'charter.dev/v1alpha1', kind: 'Organization', metadata: { name: names.org }, spec: { displayName: 'ACME', namespaces: [tenantNs] } },
      { apiVersion: 'charter.dev/v1alpha1', kind: 'UserGroup', metadata: { name: names.devs }, spec: { organization: names.org, members: { users: [names.bob] } } },
      collaboration('m-alice', { subject: { kind: 'User', name: names.alice }, target: { kind: 'Organization', name: names.org }, rights: ['RIGHT_ORGANIZATION_INFO', 'RIGHT_APPLICATION_INFO'] }),
      collaboration('m-devs', { subject: { kind: 'UserGroup', name: names.devs }, target: { kind: 'Organization', name: names.org }, rights: ['RIGHT_APPLICATION_ALL'] }),
      // A grant to a user who does not exist yet: a Warning Event.
      collaboration('c-ghost', { subject: { kind: 'User', name: names.ghost }, target: { kind: 'Application', name: 'app1' }, rights: ['RIGHT_APPLICATION_LINK'] }),
    ]);

    const ready = (o: Obj | undefined): string | undefined => o?.status?.conditions?.find((c: Obj) => c.type === 'Ready')?.status;
    const get = (path: string): Promise<Obj> => admin.request<Obj>('GET', path);
    for (const path of [
      `/apis/charter.dev/v1alpha1/users/${names.alice}`,
      `/apis/charter.dev/v1alpha1/users/${names.bob}`,
      `/apis/charter.dev/v1alpha1/organizations/${names.org}`,
      `/apis/charter.dev/v1alpha1/usergroups/${names.devs}`,
      `/apis/charter.dev/v1alpha1/namespaces/${tenantNs}/collaborations/m-alice`,
      `/apis/charter.dev/v1alpha1/namespaces/${tenantNs}/collaborations/m-devs`,
    ]) {
      await eventually(`Ready=True on ${path}`, async () => ready(await get(path)) === 'True');
    }
    const ghostGrant = `/apis/charter.dev/v1alpha1/namespaces/${tenantNs}/collaborations/c-ghost`;
    await eventually('c-ghost to report its missing subject', async () =>
      (await get(ghostGrant)).status?.conditions?.some((c: Obj) => c.reason === 'SubjectNotFound'),
    );

    // The permission map, written in the tenant namespace (not the release namespace), and what it answers.
    const map = await eventually('the permission map', async () => {
      const cm = await get(`/api/v1/namespaces/${tenantNs}/configmaps/charter-permissions`);
      const m = parsePermissionMap((key) => cm.data?.[key]);
      return m.can(names.bob, 'RIGHT_APPLICATION_DELETE', `Application/${tenantNs}/app1`) ? m : undefined;
    });
    expect(map.can(names.alice, 'RIGHT_APPLICATION_INFO', `Application/${tenantNs}/anything`)).toBe(true);
    expect(map.can(names.alice, 'RIGHT_APPLICATION_DELETE', `Application/${tenantNs}/app1`)).toBe(false);

    // The ghost appears (the grant takes effect), then goes again: the same Warning once more updates the first Event.
    const ghost = { apiVersion: 'charter.dev/v1alpha1', kind: 'User', metadata: { name: names.ghost }, spec: {} };
    applyAsAdmin([ghost]);
    await eventually('c-ghost Ready', async () => ready(await get(ghostGrant)) === 'True');
    await admin.request('DELETE', `/apis/charter.dev/v1alpha1/users/${names.ghost}`);
    await eventually('c-ghost to report its missing subject again', async () => ready(await get(ghostGrant)) === 'False');
    const dropped = async (): Promise<number> => (await operator!.metrics.eventsDropped.get()).values[0]?.value ?? 0;
    await eventually('an Event created and one patched', async () => {
      if ((await writeCount('event', 'create', 'success')) > 0 && (await writeCount('event', 'patch', 'success')) > 0) return true;
      throw new Error(`events dropped by the rate limit: ${await dropped()}`);
    });
    expect(await dropped()).toBe(0);
    const events = await get(`/apis/events.k8s.io/v1/namespaces/${tenantNs}/events`);
    expect(events.items.some((e: Obj) => e.regarding?.name === 'c-ghost' && e.reason === 'SubjectNotFound' && e.series?.count >= 2)).toBe(true);

    // The ConfigMap of the map's name that was someone else's: taken over, with a warning and a Warning Event on it.
    expect(logLines.filter((l) => l.includes('ConfigMap taken over'))).toEqual([expect.stringContaining(`"namespace":"${tenantNs}"`)]);
    expect(events.items.some((e: Obj) => e.regarding?.name === 'charter-permissions' && e.reason === 'TakenOver' && e.type === 'Warning')).toBe(true);

    // Shards: 40 grants more need more than one ConfigMap at MAP_BUDGET; revoked again, the map fits one and the
    // leftover shards are deleted — by name, as the ClusterRole names them.
    const mapConfigMaps = async (): Promise<Obj[]> =>
      (await admin.request<{ items: Obj[] }>('GET', `/api/v1/namespaces/${tenantNs}/configmaps`, { query: { labelSelector: 'charter.dev/permission-map=true' } })).items;
    applyAsAdmin([
      ...names.many.map((name) => ({ apiVersion: 'charter.dev/v1alpha1', kind: 'User', metadata: { name }, spec: {} })),
      ...names.many.map((name, i) => collaboration(`c-${name}`, { subject: { kind: 'User', name }, target: { kind: 'Application', name: `app${i}` }, rights: ['RIGHT_APPLICATION_INFO'] })),
    ]);
    const sharded = await eventually('the map in shards', async () => {
      const held = await mapConfigMaps();
      const data = Object.assign({}, ...held.map((cm) => cm.data)) as Record<string, string>;
      const m = parsePermissionMap((key) => data[key]);
      return held.length >= 3 && m.can(names.many[39]!, 'RIGHT_APPLICATION_INFO', `Application/${tenantNs}/app39`) ? held : undefined;
    });
    for (const name of names.many) await admin.request('DELETE', `/apis/charter.dev/v1alpha1/namespaces/${tenantNs}/collaborations/c-${name}`);
    await eventually('the leftover shards deleted', async () => {
      const held = await mapConfigMaps();
      return held.length === 1 && held[0]!.metadata.name === 'charter-permissions';
    });
    expect(await writeCount('configmap', 'delete', 'success')).toBeGreaterThanOrEqual(sharded.length - 1);

    // Leadership: the Lease in the release namespace, created and renewed by this identity.
    const lease = await get(`/apis/coordination.k8s.io/v1/namespaces/${releaseNs}/leases/${leaseName}`);
    expect(lease.spec.holderIdentity).toBe(`rbac-test-${suffix}`);
    await eventually('a Lease renewal', async () => (await writeCount('lease', 'update', 'success')) > 0, 10_000);

    // Every write the operator made succeeded, of every kind; nothing was forbidden on the way. ConfigMap conflicts
    // (409, retried) aside: the create that found the ConfigMap it then took over, and, while the map is sharded, a
    // PUT of the index that carries the version its sync listed when the echo of its previous write came during the
    // shard writes before it.
    const writes = (await operator.metrics.apiWrites.get()).values.filter((v) => v.value > 0);
    const failed = writes.filter((v) => v.labels.result !== 'success' && !(v.labels.kind === 'configmap' && v.labels.result === 'conflict'));
    expect(failed.map((v) => `${v.labels.kind} ${v.labels.verb} ${v.labels.result} ${v.value}`)).toEqual([]);
    expect(await writeCount('configmap', 'create', 'conflict')).toBe(1);
    for (const kind of ['status', 'configmap', 'event', 'lease']) expect(writes.some((v) => v.labels.kind === kind)).toBe(true);
    expect(await writeCount('configmap', 'create', 'success')).toBeGreaterThan(0);
    const restarts = (await operator.metrics.watchRestarts.get()).values.filter((v) => v.value > 0 && v.labels.reason === 'error');
    expect(restarts).toEqual([]);
    expect(logLines.filter((l) => /forbidden|\b403\b/i.test(l))).toEqual([]);
    expect(operator.isLeader).toBe(true);
  });

  test('the same identity cannot change what people declare, read Secrets, take another Lease, or touch ConfigMaps but the maps', async () => {
    const user = `/apis/charter.dev/v1alpha1/users/${names.alice}`;
    const current = await admin.request<Obj>('GET', user);
    // ConfigMaps that are not permission maps: one in kube-system (as aws-auth or coredns are), one beside the map.
    const victim = `/api/v1/namespaces/kube-system/configmaps/victim-${suffix}`;
    const beside = `/api/v1/namespaces/${tenantNs}/configmaps/app-config-${suffix}`;
    for (const path of [victim, beside]) {
      const [, namespace, name] = /namespaces\/([^/]+)\/configmaps\/(.+)$/.exec(path)!;
      await admin.request('POST', `/api/v1/namespaces/${namespace}/configmaps`, { body: { metadata: { name }, data: { config: 'x' } } });
    }
    const cm = (path: string, data: Obj): Obj => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: path.split('/').pop(), namespace: path.split('/')[4] }, data });
    const mergePatch = { contentType: 'application/merge-patch+json', body: { data: { config: 'owned' } } };
    const cases: Array<[string, () => Promise<unknown>]> = [
      ['delete a User', () => operatorApi.request('DELETE', user)],
      ['replace a User', () => operatorApi.request('PUT', user, { body: { ...current, spec: { displayName: 'mallory' } } })],
      ['patch a User spec', () => operatorApi.request('PATCH', user, { contentType: 'application/merge-patch+json', body: { spec: { admin: true } } })],
      ['create a User', () => operatorApi.request('POST', '/apis/charter.dev/v1alpha1/users', { body: { apiVersion: 'charter.dev/v1alpha1', kind: 'User', metadata: { name: `x-${suffix}` }, spec: {} } })],
      ['delete a Collaboration', () => operatorApi.request('DELETE', `/apis/charter.dev/v1alpha1/namespaces/${tenantNs}/collaborations/m-alice`)],
      ['read Secrets in its own namespace', () => operatorApi.request('GET', `/api/v1/namespaces/${releaseNs}/secrets`)],
      ['read Secrets cluster-wide', () => operatorApi.request('GET', '/api/v1/secrets')],
      ['list Pods', () => operatorApi.request('GET', `/api/v1/namespaces/${tenantNs}/pods`)],
      ['delete a Namespace', () => operatorApi.request('DELETE', `/api/v1/namespaces/${tenantNs}`)],
      ['change its own RBAC', () => operatorApi.request('DELETE', `/apis/rbac.authorization.k8s.io/v1/clusterroles/${release}`)],
      ['read a Lease of another name', () => operatorApi.request('GET', `/apis/coordination.k8s.io/v1/namespaces/${releaseNs}/leases/other`)],
      ['create a Lease in another namespace', () => operatorApi.request('POST', `/apis/coordination.k8s.io/v1/namespaces/${tenantNs}/leases`, { body: { metadata: { name: leaseName }, spec: {} } })],
      ['delete its Lease', () => operatorApi.request('DELETE', `/apis/coordination.k8s.io/v1/namespaces/${releaseNs}/leases/${leaseName}`)],
      ['read a kube-system ConfigMap', () => operatorApi.request('GET', victim)],
      ['replace a kube-system ConfigMap', () => operatorApi.request('PUT', victim, { body: cm(victim, { config: 'owned' }) })],
      ['patch a kube-system ConfigMap', () => operatorApi.request('PATCH', victim, mergePatch)],
      ['delete a kube-system ConfigMap', () => operatorApi.request('DELETE', victim)],
      ['replace a ConfigMap beside the map', () => operatorApi.request('PUT', beside, { body: cm(beside, { config: 'owned' }) })],
      ['delete a ConfigMap beside the map', () => operatorApi.request('DELETE', beside)],
      ['delete every ConfigMap of a namespace', () => operatorApi.request('DELETE', `/api/v1/namespaces/${tenantNs}/configmaps`)],
      ['patch the map (it only replaces it)', () => operatorApi.request('PATCH', `/api/v1/namespaces/${tenantNs}/configmaps/charter-permissions`, mergePatch)],
    ];
    const outcomes: Record<string, number> = {};
    for (const [what, request] of cases) outcomes[what] = await statusOf(request);
    expect(outcomes).toEqual(Object.fromEntries(cases.map(([what]) => [what, 403])));
    // And what it may do, it may do: kubectl's own view of the identity.
    const canI = (args: string[]): string => kubectl(['auth', 'can-i', ...args, `--as=system:serviceaccount:${releaseNs}:${serviceAccount}`]).stdout.trim();
    expect(canI(['patch', 'users.charter.dev', '--subresource=status'])).toBe('yes');
    expect(canI(['list', 'configmaps', '-A'])).toBe('yes');
    expect(canI(['create', 'configmaps', '-n', tenantNs])).toBe('yes');
    for (const name of ['charter-permissions', 'charter-permissions-0', 'charter-permissions-63']) {
      for (const verb of ['get', 'update', 'delete']) expect([verb, name, canI([verb, `configmaps/${name}`, '-n', tenantNs])]).toEqual([verb, name, 'yes']);
    }
    expect(canI(['delete', 'configmaps', '-n', tenantNs])).toBe('no');
    expect(canI(['update', 'configmaps/aws-auth', '-n', 'kube-system'])).toBe('no');
    expect(canI(['delete', 'configmaps/charter-permissions-64', '-n', tenantNs])).toBe('no');
    // Unchanged by all of this.
    expect((await admin.request<Obj>('GET', victim)).data).toEqual({ config: 'x' });
    expect((await admin.request<Obj>('GET', beside)).data).toEqual({ config: 'x' });
    expect(canI(['update', `leases/${leaseName}`, '-n', releaseNs])).toBe('yes');
    expect(canI(['update', 'users.charter.dev'])).toBe('no');
    expect(canI(['get', 'secrets', '-A'])).toBe('no');
  });
});
