/**
 * The chart's privileges, rendered with the real helm (helm-template.support.ts): the operator's ClusterRole may
 * replace and delete only the permission maps' ConfigMaps (by name: the index and the shards -0 … -63, or up to
 * permissionMaps.maxShards when larger), never every ConfigMap of the cluster.
 * test/integration/rbac.test.ts applies the same render to a real API server.
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
