/**
 * The chart's aggregated ClusterRoles (charts/charter/templates/aggregated-roles.yaml) on the real API server, with
 * impersonated users: a namespace admin or editor manages that namespace's Collaborations through Kubernetes' own
 * `admin` / `edit` roles, a cluster viewer sees every Charter object through `view`, and nobody gets more.
 *
 * The aggregation itself is kube-controller-manager's work (its clusterrole-aggregation controller), and this control
 * plane runs no kube-controller-manager (docs/control-plane.md: `admin`, `edit` and `view` have no rules here). So
 * `aggregate()` below does that controller's one job in its place: for each of them, the union of the rules of the
 * ClusterRoles its own aggregationRule selects — the selectors are read from the API server, and the API server does
 * the label matching. Everything else (the roles, the bindings, every authorization decision) is the real thing.
 *
 * The roles are rendered by the real helm (test/unit/chart/helm-template.support.ts; without the binary this file is
 * skipped, unless CHARTER_REQUIRE_NODE=1 or CI): with the defaults, and with the webhook disabled, where the chart
 * does not aggregate Collaboration writes (a namespace editor could otherwise make themselves a full member).
 */
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { stringify } from 'yaml';
import { ApiClient } from '../../src/controller/api-client.ts';
import { findHelm, helmTemplate } from '../unit/chart/helm-template.support.ts';
import { kubeConfig, kubectl, newNamespace } from './support/cluster.ts';

jest.setTimeout(90_000);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;

const suffix = randomBytes(3).toString('hex');
const release = `charter-agg-${suffix}`;
const people = { admin: `nadia-${suffix}`, editor: `eddie-${suffix}`, viewer: `vera-${suffix}`, outsider: `otto-${suffix}` };
const RBAC = '/apis/rbac.authorization.k8s.io/v1';
const api = new ApiClient(kubeConfig());
let roles: Obj[];
let releaseNs: string;

const helm = await findHelm();
const maybe = helm ? describe : describe.skip;

/** The chart's ClusterRoles for people (templates/aggregated-roles.yaml), rendered by helm with these --set values. */
function renderRoles(set: string[] = []): Obj[] {
  const r = helmTemplate(helm!, { releaseName: release, namespace: releaseNs, set });
  if (r.status !== 0) throw new Error(`helm template failed: ${r.stderr}`);
  return r.objects.filter((o) => o.kind === 'ClusterRole' && [`${release}-view`, `${release}-edit`].includes(o.metadata.name));
}
let team: string;
let other: string;

function apply(objects: Obj[], as?: string): { status: number | null; stderr: string } {
  const r = kubectl(['apply', '--server-side', '--field-manager=aggregated-roles-test', ...(as ? [`--as=${as}`] : []), '-f', '-'], {
    input: objects.map((o) => stringify(o)).join('---\n'),
  });
  return { status: r.status, stderr: r.stderr };
}

/** `kubectl auth can-i` as an impersonated user: "yes" or "no". */
const canI = (user: string, ...args: string[]): string => kubectl(['auth', 'can-i', ...args, `--as=${user}`]).stdout.trim();

/**
 * What kube-controller-manager's clusterrole-aggregation controller does, for admin, edit and view (see the header):
 * until nothing changes, as that controller does (edit is itself aggregated into admin, view into edit: a rule
 * removed from a selected role leaves admin only once edit has lost it).
 */
async function aggregate(): Promise<void> {
  for (let round = 0; round < 3 && (await aggregateOnce()); round++);
}

/** One pass over admin, edit and view; whether any of them changed. */
async function aggregateOnce(): Promise<boolean> {
  let changed = false;
  for (const name of ['admin', 'edit', 'view']) {
    const role = await api.request<Obj>('GET', `${RBAC}/clusterroles/${name}`);
    const rules: Obj[] = [];
    const seen = new Set<string>();
    for (const selector of role.aggregationRule.clusterRoleSelectors as Obj[]) {
      if (selector.matchExpressions) throw new Error(`${name}: a selector with matchExpressions; extend aggregate()`);
      const labelSelector = Object.entries(selector.matchLabels as Record<string, string>).map(([k, v]) => `${k}=${v}`).join(',');
      const selected = await api.request<{ items: Obj[] }>('GET', `${RBAC}/clusterroles`, { query: { labelSelector } });
      for (const source of selected.items.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))) {
        for (const rule of source.rules ?? []) {
          const key = JSON.stringify(rule);
          if (!seen.has(key)) rules.push(rule);
          seen.add(key);
        }
      }
    }
    if (JSON.stringify(rules) === JSON.stringify(role.rules ?? [])) continue;
    await api.request('PUT', `${RBAC}/clusterroles/${name}`, { body: { ...role, rules } });
    changed = true;
  }
  return changed;
}

const collaboration = (namespace: string, name: string): Obj => ({
  apiVersion: 'charter.dev/v1alpha1',
  kind: 'Collaboration',
  metadata: { name, namespace },
  spec: { subject: { kind: 'User', name: `someone-${suffix}` }, target: { kind: 'Application', name: 'app1' }, rights: ['RIGHT_APPLICATION_INFO'] },
});

beforeAll(async () => {
  if (!helm) return;
  releaseNs = await newNamespace('charter-system');
  team = await newNamespace('team');
  other = await newNamespace('other');
  roles = renderRoles();
  const binding = (kind: 'RoleBinding' | 'ClusterRoleBinding', role: string, user: string, namespace?: string): Obj => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind,
    metadata: { name: `${role}-${user}`, ...(namespace ? { namespace } : {}) },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
  });
  const bindings = [binding('RoleBinding', 'admin', people.admin, team), binding('RoleBinding', 'edit', people.editor, team), binding('ClusterRoleBinding', 'view', people.viewer)];
  expect(apply(bindings)).toMatchObject({ status: 0 });
  // Before the chart's roles exist, the usual roles give nothing on Charter's kinds.
  await aggregate();
  expect(canI(people.admin, 'create', 'collaborations.charter.dev', '-n', team)).toBe('no');
  expect(apply(roles)).toMatchObject({ status: 0 });
  await aggregate();
});

afterAll(async () => {
  if (!helm) return api.close();
  for (const role of roles ?? []) await api.request('DELETE', `${RBAC}/clusterroles/${role.metadata.name}`).catch(() => undefined);
  await api.request('DELETE', `${RBAC}/clusterrolebindings/view-${people.viewer}`).catch(() => undefined);
  await aggregate().catch(() => undefined); // the usual roles without the removed ones again
  api.close();
});

maybe('the chart\'s aggregated ClusterRoles', () => {
  test('render to <fullname>-view and <fullname>-edit, labelled for aggregation into view, edit and admin', () => {
    expect(roles.map((r) => [r.kind, r.metadata.name])).toEqual([
      ['ClusterRole', `${release}-view`],
      ['ClusterRole', `${release}-edit`],
    ]);
    const labels = (r: Obj): string[] => Object.keys(r.metadata.labels).filter((k) => k.startsWith('rbac.authorization.k8s.io/aggregate-to-')).sort();
    expect(labels(roles[0]!)).toEqual(['rbac.authorization.k8s.io/aggregate-to-admin', 'rbac.authorization.k8s.io/aggregate-to-edit', 'rbac.authorization.k8s.io/aggregate-to-view']);
    expect(labels(roles[1]!)).toEqual(['rbac.authorization.k8s.io/aggregate-to-admin', 'rbac.authorization.k8s.io/aggregate-to-edit']);
    const verbs = roles.flatMap((r) => r.rules.flatMap((rule: Obj) => rule.verbs));
    expect(verbs).not.toContain('*');
  });

  test('a namespace admin and a namespace editor manage the Collaborations of their namespace, and only those', () => {
    for (const user of [people.admin, people.editor]) {
      for (const verb of ['create', 'update', 'patch', 'delete', 'get', 'list', 'watch']) expect([user, verb, canI(user, verb, 'collaborations.charter.dev', '-n', team)]).toEqual([user, verb, 'yes']);
      expect(canI(user, 'create', 'collaborations.charter.dev', '-n', other)).toBe('no');
      expect(canI(user, 'patch', 'collaborations.charter.dev', '--subresource=status', '-n', team)).toBe('no');
      expect(canI(user, 'create', 'users.charter.dev')).toBe('no');
      expect(canI(user, 'update', 'organizations.charter.dev')).toBe('no');
    }
    // And for real: a Collaboration applied and deleted as the namespace admin; refused in another namespace.
    expect(apply([collaboration(team, `by-admin-${suffix}`)], people.admin)).toMatchObject({ status: 0 });
    expect(kubectl(['-n', team, 'delete', 'collaboration', `by-admin-${suffix}`, `--as=${people.admin}`]).status).toBe(0);
    const refused = apply([collaboration(other, `by-admin-${suffix}`)], people.admin);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/forbidden/);
  });

  test('a cluster viewer sees every Charter object, status included, and changes none', () => {
    for (const resource of ['users', 'organizations', 'usergroups', 'collaborations']) {
      expect(canI(people.viewer, 'list', `${resource}.charter.dev`, '-A')).toBe('yes');
      expect(canI(people.viewer, 'get', `${resource}.charter.dev`, '--subresource=status', ...(resource === 'collaborations' ? ['-n', team] : []))).toBe('yes');
    }
    const listed = kubectl(['get', 'users.charter.dev,organizations.charter.dev,usergroups.charter.dev,collaborations.charter.dev', '-A', `--as=${people.viewer}`]);
    expect(listed.status).toBe(0);
    expect(canI(people.viewer, 'create', 'collaborations.charter.dev', '-n', team)).toBe('no');
    expect(canI(people.viewer, 'delete', 'users.charter.dev')).toBe('no');
  });

  test('somebody with none of the usual roles gets nothing', () => {
    expect(canI(people.outsider, 'list', 'collaborations.charter.dev', '-n', team)).toBe('no');
    expect(canI(people.outsider, 'list', 'users.charter.dev')).toBe('no');
  });

  // Last: it changes the roles applied (afterAll deletes them).
  test('with the webhook disabled, a namespace admin or editor may not write Collaborations; viewers still see them', async () => {
    const unenforced = renderRoles(['webhook.enabled=false']);
    expect(apply(unenforced)).toMatchObject({ status: 0 });
    await aggregate();
    for (const user of [people.admin, people.editor]) {
      for (const verb of ['create', 'update', 'patch', 'delete']) expect([user, verb, canI(user, verb, 'collaborations.charter.dev', '-n', team)]).toEqual([user, verb, 'no']);
      expect(canI(user, 'list', 'collaborations.charter.dev', '-n', team)).toBe('yes');
    }
    const refused = apply([collaboration(team, `unenforced-${suffix}`)], people.editor);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/forbidden/);
    expect(canI(people.viewer, 'list', 'collaborations.charter.dev', '-A')).toBe('yes');
    // Opted in: aggregated again.
    expect(apply(renderRoles(['webhook.enabled=false', 'rbac.aggregateCollaborationWritesUnenforced=true']))).toMatchObject({ status: 0 });
    await aggregate();
    expect(canI(people.editor, 'create', 'collaborations.charter.dev', '-n', team)).toBe('yes');
  });
});
