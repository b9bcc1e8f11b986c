/**
 * The chart's privileges, rendered with the real helm (helm-template.support.ts): the operator's ClusterRole may
 * replace and delete only the permission maps' ConfigMaps (by name: the index and the shards -0 … -63, or up to
 * permissionMaps.maxShards when larger), never every ConfigMap of the cluster; Collaboration writes are aggregated
 * into Kubernetes' edit and admin only while the admission webhook enforces Charter's rules, or when a value opts in;
 * NOTES.txt warns about every setting that lets writes of the four kinds through unjudged.
 * test/integration/rbac.test.ts and aggregated-roles.test.ts apply the same renders to a real API server.
 */
import { describe, expect, test } from '@jest/globals';
import { findHelm, helmTemplate, only, type Obj } from './helm-template.support.ts';

const helm = await findHelm();
const maybe = helm ? describe : describe.skip;

const render = (set: string[] = []): ReturnType<typeof helmTemplate> => {
  const r = helmTemplate(helm!, { set });
  if (r.status !== 0) throw new Error(`helm template --set ${set.join(' ')} failed: ${r.stderr}`);
  return r;
};

/** The operator's ClusterRole (named <fullname>, not -view / -edit) rules on core ConfigMaps. */
const configMapRules = (objects: Obj[]): Obj[] =>
  (only(objects, 'ClusterRole', 'charter').rules as Obj[]).filter((r) => r.apiGroups.includes('') && r.resources.includes('configmaps'));

const shardNames = (n: number): string[] => Array.from({ length: n }, (_, i) => `charter-permissions-${i}`);

const aggregation = (objects: Obj[]): string[] =>
  Object.keys(only(objects, 'ClusterRole', '-edit').metadata.labels ?? {}).filter((l) => l.startsWith('rbac.authorization.k8s.io/aggregate-to-'));

maybe("the operator's ClusterRole: ConfigMaps", () => {
  test('list, watch and create cluster-wide; get, update and delete only of the map names (index, shards -0 … -63)', () => {
    expect(configMapRules(render().objects)).toEqual([
      { apiGroups: [''], resources: ['configmaps'], verbs: ['list', 'watch', 'create'] },
      { apiGroups: [''], resources: ['configmaps'], resourceNames: ['charter-permissions', ...shardNames(64)], verbs: ['get', 'update', 'delete'] },
    ]);
  });

  test('a maxShards over 64 names its shards too; a smaller one keeps the 64 (leftover shards stay deletable after lowering it)', () => {
    expect(configMapRules(render(['permissionMaps.maxShards=100']).objects)[1]!.resourceNames).toEqual(['charter-permissions', ...shardNames(100)]);
    expect(configMapRules(render(['permissionMaps.maxShards=2']).objects)[1]!.resourceNames).toEqual(['charter-permissions', ...shardNames(64)]);
  });

  test('no rule gives any verb but list, watch or create on ConfigMaps without resourceNames, nor a wildcard', () => {
    for (const set of [[], ['permissionMaps.maxShards=100'], ['webhook.enabled=false']]) {
      const rules = (only(render(set).objects, 'ClusterRole', 'charter').rules as Obj[]).filter((r) => r.apiGroups.includes('') && (r.resources.includes('configmaps') || r.resources.includes('*')));
      for (const rule of rules) {
        expect(rule.resources).not.toContain('*');
        expect(rule.verbs).not.toContain('*');
        if (!rule.resourceNames) expect(rule.verbs.filter((v: string) => !['list', 'watch', 'create'].includes(v))).toEqual([]);
      }
    }
  });
});

maybe("Collaboration writes aggregated into Kubernetes' edit and admin", () => {
  const AGGREGATED = ['rbac.authorization.k8s.io/aggregate-to-edit', 'rbac.authorization.k8s.io/aggregate-to-admin'];

  test('while the webhook enforces (the defaults): aggregated', () => {
    const r = render();
    expect(aggregation(r.objects)).toEqual(AGGREGATED);
    expect(only(r.objects, 'ClusterRole', '-edit').rules).toEqual([{ apiGroups: ['charter.dev'], resources: ['collaborations'], verbs: ['create', 'update', 'patch', 'delete', 'deletecollection'] }]);
  });

  test.each([
    ['the webhook disabled', ['webhook.enabled=false']],
    ['failurePolicy Ignore', ['webhook.failurePolicy=Ignore']],
    ['system:authenticated bypassed', ['webhook.bypassGroups={system:masters,system:authenticated}']],
    ['system:serviceaccounts bypassed', ['webhook.bypassGroups={system:serviceaccounts}']],
    ['system:unauthenticated bypassed', ['webhook.bypassGroups={system:masters,system:unauthenticated}']],
    ['system:anonymous bypassed', ['webhook.bypassUsers={system:anonymous}']],
  ])('%s: <fullname>-edit rendered, not aggregated', (_, set) => {
    const r = render(set);
    expect(aggregation(r.objects)).toEqual([]);
    // the read-only role stays aggregated everywhere
    expect(Object.keys(only(r.objects, 'ClusterRole', '-view').metadata.labels)).toContain('rbac.authorization.k8s.io/aggregate-to-view');
  });

  test('rbac.aggregateCollaborationWritesUnenforced=true: aggregated anyway', () => {
    expect(aggregation(render(['webhook.enabled=false', 'rbac.aggregateCollaborationWritesUnenforced=true']).objects)).toEqual(AGGREGATED);
  });

  test('values without an rbac section (helm upgrade --reuse-values from an older release) render as the default', () => {
    expect(aggregation(render(['rbac=null']).objects)).toEqual(AGGREGATED);
    expect(aggregation(render(['rbac=null', 'webhook.enabled=false']).objects)).toEqual([]);
  });
});

maybe('NOTES.txt warnings', () => {
  const warnings = (notes: string): string[] => notes.split('\n').filter((l) => l.startsWith('WARNING:'));

  test('none with the defaults', () => {
    expect(warnings(render().notes)).toEqual([]);
  });

  test('the webhook disabled: a warning, and that Collaboration writes are not aggregated', () => {
    const { notes } = render(['webhook.enabled=false']);
    expect(warnings(notes)).toEqual([expect.stringContaining('admission webhook is disabled')]);
    expect(notes).toMatch(/decided by RBAC alone/);
    expect(notes).toMatch(/ClusterRole charter-edit \(Collaboration writes\) is not aggregated/);
  });

  test('failurePolicy Ignore: a warning', () => {
    expect(warnings(render(['webhook.failurePolicy=Ignore']).notes)).toEqual([expect.stringContaining('failurePolicy is Ignore, not Fail')]);
  });

  test.each(['system:authenticated', 'system:serviceaccounts', 'system:unauthenticated'])('a bypass of group %s: a warning naming it', (group) => {
    expect(warnings(render([`webhook.bypassGroups={system:masters,${group}}`]).notes)).toEqual([expect.stringContaining(`group ${group}`)]);
  });

  test('a bypass of narrower groups (system:serviceaccounts:kube-system): no warning', () => {
    expect(warnings(render(['webhook.bypassGroups={system:masters,system:serviceaccounts:kube-system,system:serviceaccounts:argocd}']).notes)).toEqual([]);
  });

  test('the aggregation opted in without enforcement: a second warning', () => {
    const w = warnings(render(['webhook.failurePolicy=Ignore', 'rbac.aggregateCollaborationWritesUnenforced=true']).notes);
    expect(w).toEqual([expect.stringContaining('failurePolicy is Ignore'), expect.stringContaining('rbac.aggregateCollaborationWritesUnenforced=true')]);
  });
});
