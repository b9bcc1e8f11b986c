/**
 * Label selector requirements Kubernetes refuses — In or NotIn without values, Exists or DoesNotExist with values —
 * are refused by the schema (the CRDs' CEL rule, and ajv offline, naming the field), and if one reaches the engine
 * anyway it selects nobody: a `NotIn` of nothing read as written would put every user in the group.
 */
import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LabelSelector } from '../../../src/api/types.generated.ts';
import { selectorMatcher, selectorMatches } from '../../../src/engine/label-selector.ts';
import { loadManifests } from '../../../src/model/load-manifests.ts';
import { collab, engineOf, group, modelOf, rights, user } from './support.ts';

const malformed: Array<[string, LabelSelector]> = [
  ['NotIn without values', { matchExpressions: [{ key: 'team', operator: 'NotIn' }] }],
  ['NotIn with an empty values list', { matchExpressions: [{ key: 'team', operator: 'NotIn', values: [] }] }],
  ['In without values', { matchExpressions: [{ key: 'team', operator: 'In' }] }],
  ['DoesNotExist with values', { matchExpressions: [{ key: 'team', operator: 'DoesNotExist', values: ['iot'] }] }],
  ['Exists with values', { matchExpressions: [{ key: 'team', operator: 'Exists', values: ['iot'] }] }],
  ['an unknown operator', { matchExpressions: [{ key: 'team', operator: 'Gt' as 'In', values: ['1'] }] }],
];

describe.each(malformed)('a selector requirement %s', (_label, selector) => {
  test('matches no labels at all', () => {
    for (const labels of [{}, { team: 'iot' }, { team: 'other' }, { region: 'eu' }] as Array<Record<string, string>>) {
      expect(selectorMatches(selector, labels)).toBe(false);
      expect(selectorMatcher(selector)(labels)).toBe(false);
    }
  });

  test('gives no user any right through the group', () => {
    const engine = engineOf(
      modelOf(
        user('alice', { labels: { team: 'iot' } }),
        user('mallory'),
        group('selected', { selector }),
        collab('acme/c', 'UserGroup/selected', 'Application/app1', ['RIGHT_APPLICATION_ALL']),
      ),
    );
    expect(rights(engine, 'mallory', 'Application/acme/app1')).toEqual([]);
    expect(rights(engine, 'alice', 'Application/acme/app1')).toEqual([]);
  });
});

describe('the schema refuses them offline, naming the field', () => {
  test.each(malformed.filter(([label]) => label !== 'an unknown operator'))('%s', (_label, selector) => {
    const dir = mkdtempSync(join(tmpdir(), 'charter-selector-'));
    try {
      const manifest = { apiVersion: 'charter.dev/v1alpha1', kind: 'UserGroup', metadata: { name: 'selected' }, spec: { members: { selector } } };
      writeFileSync(join(dir, 'group.yaml'), JSON.stringify(manifest));
      const { model, problems } = loadManifests([dir]);
      expect(model.groups.size).toBe(0);
      expect(problems.map((p) => `${p.object}: ${p.message}`)).toEqual([
        "UserGroup/selected: spec.members.selector.matchExpressions[0].values: In and NotIn need at least one value; Exists and DoesNotExist take none (as in Kubernetes' label selectors)",
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the well-formed ones pass', () => {
    const dir = mkdtempSync(join(tmpdir(), 'charter-selector-'));
    try {
      const selector = { matchExpressions: [{ key: 'team', operator: 'NotIn', values: ['iot'] }, { key: 'region', operator: 'Exists' }, { key: 'x', operator: 'DoesNotExist', values: [] }] };
      writeFileSync(join(dir, 'group.yaml'), JSON.stringify({ apiVersion: 'charter.dev/v1alpha1', kind: 'UserGroup', metadata: { name: 'selected' }, spec: { members: { selector } } }));
      const { model, problems } = loadManifests([dir]);
      expect(problems).toEqual([]);
      expect(model.groups.size).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
