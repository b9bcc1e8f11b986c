/**
 * Values Kubernetes refuses are refused offline too (names, namespaces, labels, annotations), and charter.dev
 * documents that are not quite Charter objects are reported, not silently ignored (kubectl apply --validate=strict).
 */
import { describe, expect, test } from '@jest/globals';
import { isDns1123Label, isDns1123Subdomain, isLabelValue, isQualifiedName } from '../../../src/api/kubernetes-names.ts';
import { classifyDocument, toModelObject } from '../../../src/model/to-model-object.ts';

const collaboration = (metadata: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  apiVersion: 'charter.dev/v1alpha1',
  kind: 'Collaboration',
  metadata: { name: 'c', ...metadata },
  spec: { subject: { kind: 'User', name: 'alice' }, target: { kind: 'Application', name: 'app1' }, rights: ['RIGHT_APPLICATION_INFO'] },
  ...extra,
});
const user = (metadata: Record<string, unknown>): Record<string, unknown> => ({ apiVersion: 'charter.dev/v1alpha1', kind: 'User', metadata: { name: 'alice', ...metadata } });
const problemsOf = (raw: Record<string, unknown>): string[] => {
  const result = toModelObject(raw);
  return result.ok ? [] : result.problems;
};

describe('Kubernetes name rules, as the API server applies them', () => {
  test.each(['acme', 'a', 'a-b', '0', 'x'.repeat(63)])('namespace %s is accepted', (ns) => {
    expect(isDns1123Label(ns)).toBe(true);
    expect(problemsOf(collaboration({ namespace: ns }))).toEqual([]);
  });
  test.each(['acme/x', '..', '.', 'Acme', '__proto__', 'a_b', '-a', 'a-', 'x'.repeat(64), 'a.b', ''])('namespace %j is refused, naming the field', (ns) => {
    expect(isDns1123Label(ns)).toBe(false);
    const problems = problemsOf(collaboration({ namespace: ns }));
    expect(problems).toContain(`metadata.namespace: expected a namespace name: at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit (RFC 1123 label); found ${JSON.stringify(ns)}`);
    expect(problems.every((p) => p.startsWith('metadata.namespace: '))).toBe(true);
  });
  test.each(['alice', 'a.b', 'a-b.c-d', 'x'.repeat(253)])('name %s is accepted', (name) => {
    expect(isDns1123Subdomain(name)).toBe(true);
    expect(problemsOf(user({ name }))).toEqual([]);
  });
  test.each(['Alice', '__proto__', '..', 'a..b', 'a/b', 'x'.repeat(254), 'a_b'])('name %j is refused', (name) => {
    expect(problemsOf(user({ name }))).toEqual([expect.stringMatching(/^metadata\.name: /)]);
  });
  test.each([
    ['team', 'iot'],
    ['app.kubernetes.io/name', 'charter'],
    ['Team_1.x', 'A-b_c.D'],
    ['k', ''],
    [`${'p'.repeat(253)}/${'n'.repeat(63)}`, 'v'.repeat(63)],
  ])('label %s=%j is accepted', (key, value) => {
    expect(isQualifiedName(key) && isLabelValue(value)).toBe(true);
    expect(problemsOf(user({ labels: { [key]: value } }))).toEqual([]);
  });
  test.each([
    ['__proto__', 'x', /key "__proto__": expected a label key/],
    ['a_b/x', 'x', /key "a_b\/x": expected a label key/],
    ['a/b/c', 'x', /expected a label key/],
    ['/x', 'x', /expected a label key/],
    ['Bad.Prefix/x', 'x', /expected a label key/],
    ['n'.repeat(64), 'x', /expected a label key/],
    [`${'p'.repeat(254)}/n`, 'x', /expected a label key/],
    ['team', 'v'.repeat(64), /^metadata\.labels\.team: expected a label value/],
    ['team', 'has space', /^metadata\.labels\.team: expected a label value/],
    ['team', '-x', /expected a label value/],
  ])('label %j=%j is refused', (key, value, message) => {
    expect(problemsOf(user({ labels: { [key]: value } }))).toEqual([expect.stringMatching(message)]);
  });
  test('a label value that is not a string, and annotation keys', () => {
    expect(problemsOf(user({ labels: { team: 5 } }))).toEqual(['metadata.labels.team: expected string; found 5']);
    expect(problemsOf(user({ annotations: { 'Example.COM/Note': 'anything at all' } }))).toEqual([]);
    expect(problemsOf(user({ annotations: { 'a b': 'x' } }))).toEqual([expect.stringMatching(/^metadata\.annotations: key "a b": expected an annotation key/)]);
  });
  test('__proto__ in labels (as YAML or JSON gives it: an own property) is a problem, never a prototype', () => {
    const labels = JSON.parse('{"__proto__": "x", "team": "iot"}') as Record<string, string>;
    expect(problemsOf(user({ labels }))).toEqual([expect.stringMatching(/key "__proto__"/)]);
  });
});

describe('unknown fields, like kubectl apply --validate=strict', () => {
  test('at the top level and in metadata', () => {
    expect(problemsOf(collaboration({ namespace: 'acme' }, { spce: {} }))).toEqual(['spce: unknown field (not in the schema)']);
    expect(problemsOf(collaboration({ namespace: 'acme', lables: { a: 'b' } }))).toEqual(['metadata.lables: unknown field (not in the schema)']);
  });
  test('every ObjectMeta field a server-exported object carries is known', () => {
    const exported = {
      namespace: 'acme',
      uid: 'x',
      resourceVersion: '1',
      generation: 2,
      creationTimestamp: '2026-01-01T00:00:00Z',
      managedFields: [{}],
      finalizers: ['f'],
      ownerReferences: [{}],
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
    };
    expect(problemsOf(collaboration(exported, { status: { anything: true } }))).toEqual([]);
  });
});

describe('which documents are Charter’s', () => {
  test.each<[string, unknown, string]>([
    ['a typo in a Charter kind', { apiVersion: 'charter.dev/v1alpha1', kind: 'Colaboration', metadata: { name: 'x' } }, 'unknown-kind'],
    ['a kind in lower case', { apiVersion: 'charter.dev/v1alpha1', kind: 'user', metadata: { name: 'x' } }, 'unknown-kind'],
    ['no kind', { apiVersion: 'charter.dev/v1alpha1', metadata: { name: 'x' } }, 'unknown-kind'],
    ['another version of the group', { apiVersion: 'charter.dev/v2', kind: 'Colaboration' }, 'unknown-kind'],
    ['a Charter kind without apiVersion', { kind: 'User', metadata: { name: 'x' } }, 'object'],
    ['a Charter kind of another version', { apiVersion: 'charter.dev/v1', kind: 'User', metadata: { name: 'x' } }, 'object'],
    ['a ConfigMap', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }, 'ignored'],
    ['a User of another API group', { apiVersion: 'iam.example.com/v1', kind: 'User', metadata: { name: 'x' } }, 'ignored'],
    ['a catalog beside the manifests', { apiVersion: 'charter.dev/v1alpha1', kind: 'Catalog', metadata: { name: 'x' } }, 'ignored'],
    ['a plain list', [1, 2], 'ignored'],
    ['an empty document', null, 'ignored'],
    ['a lookalike group', { apiVersion: 'charter.dev.example.com/v1', kind: 'Colaboration' }, 'ignored'],
  ])('%s', (_name, raw, type) => {
    expect(classifyDocument(raw).type).toBe(type);
  });
  test('a Charter kind with a missing or other apiVersion names the field', () => {
    expect(problemsOf({ kind: 'User', metadata: { name: 'alice' } })).toEqual(['apiVersion: expected a value, found nothing (the field is required)']);
    expect(problemsOf({ apiVersion: 'charter.dev/v1', kind: 'User', metadata: { name: 'alice' } })).toEqual(['apiVersion: expected "charter.dev/v1alpha1"; found "charter.dev/v1"']);
  });
});
