/**
 * An object the API server stored but the model refuses (stored under an older CRD, or by a looser server): the
 * operator converts it with the same code as the CLI, so it is kept aside with its problems (Ready=False,
 * SchemaInvalid) and blocks nothing; conversion never throws. The older CRD had no pattern on expiresAt, and the API
 * server's date-time format alone accepts `+99:99` (test/integration/offline-equals-online.test.ts), which the
 * runtime read as NaN.
 */
import { describe, expect, test } from '@jest/globals';
import { ClusterModel, type RawObject } from '../../../src/controller/cluster-model.ts';
import { Engine } from '../../../src/engine/engine.ts';
import { evaluate } from '../../../src/engine/evaluate.ts';
import { loadCatalog } from '../../../src/catalog/load-catalog.ts';

const stored = (name: string, expiresAt: string): RawObject => ({
  apiVersion: 'charter.dev/v1alpha1',
  kind: 'Collaboration',
  metadata: { name, namespace: 'acme', uid: 'u', generation: 3, labels: { team: 'iot' } },
  spec: { subject: { kind: 'User', name: 'alice' }, target: { kind: 'Application', name: 'app1' }, rights: ['RIGHT_APPLICATION_INFO'], expiresAt },
});
const alice: RawObject = { apiVersion: 'charter.dev/v1alpha1', kind: 'User', metadata: { name: 'alice', uid: 'a', generation: 1 }, spec: {} };

describe('objects the API server stored and the model refuses', () => {
  test('a timestamp the older CRD let through: kept aside with its problem; the good grant counts', () => {
    const cluster = new ClusterModel();
    const model = cluster.build([
      { kind: 'User', raw: alice },
      { kind: 'Collaboration', raw: stored('bad', '2027-01-01T00:00:00+99:99') },
      { kind: 'Collaboration', raw: stored('good', '2099-01-01T00:00:00Z') },
    ]);
    expect([...model.collaborations.keys()]).toEqual(['acme/good']);
    expect(cluster.invalid.get('Collaboration/acme/bad')).toEqual({ problems: [expect.stringMatching(/^spec\.expiresAt: expected an RFC 3339 date-time/)], generation: 3 });
    const engine = new Engine(model, loadCatalog(), {}, Date.parse('2026-06-01T00:00:00Z'));
    expect(engine.sets.rightNames(evaluate(engine, 'alice', { kind: 'Application', namespace: 'acme', name: 'app1' }).rights)).toEqual(['RIGHT_APPLICATION_INFO']);
  });

  test('an update that breaks a good object removes it from the model (fail closed); a fix brings it back', () => {
    const cluster = new ClusterModel();
    cluster.build([{ kind: 'User', raw: alice }, { kind: 'Collaboration', raw: stored('c', '2099-01-01T00:00:00Z') }]);
    expect(cluster.changeFor('Collaboration', 'MODIFIED', stored('c', '2016-12-31T23:59:60Z'))).toEqual({ key: 'Collaboration/acme/c', change: { type: 'delete', kind: 'Collaboration', name: 'c', namespace: 'acme' } });
    expect(cluster.invalid.has('Collaboration/acme/c')).toBe(true);
    expect(cluster.changeFor('Collaboration', 'MODIFIED', stored('c', '2099-01-01T00:00:00Z')).change).toMatchObject({ type: 'upsert' });
    expect(cluster.invalid.has('Collaboration/acme/c')).toBe(false);
  });
});
