/**
 * The cluster model's decisions: which informer events are engine changes and which are no-ops (the operator's own
 * status write echoed back, server-set metadata), and what happens to objects that fail the schema (kept aside with
 * their problems, removed from the model while broken: fail closed). Stored objects it refuses for a timestamp are
 * in cluster-model-invalid.test.ts.
 */
import { describe, expect, test } from '@jest/globals';
import type { KindName } from '../../../src/api/kinds.ts';
import { ClusterModel, type RawObject } from '../../../src/controller/cluster-model.ts';
import { rawCollaboration, rawGroup, rawOrganization, rawUser } from './builders.ts';

const bob = rawUser('bob', { identities: ['bob@example.com'] });
const grant = rawCollaboration('acme/c-bob', 'User/bob', 'Application/app1', ['RIGHT_APPLICATION_INFO']);

/** The object as the API server returns it: with the metadata it sets. */
function withServerFields(raw: RawObject): RawObject {
  const metadata = { ...raw.metadata, resourceVersion: '99', creationTimestamp: '2026-01-01T00:00:00Z', managedFields: [{ manager: 'kubectl' }] };
  return { ...raw, metadata };
}

/** A cluster model that has seen `objects` (a build, as on start). */
function seen(...objects: RawObject[]): ClusterModel {
  const cluster = new ClusterModel();
  cluster.build(objects.map((raw) => ({ kind: raw.kind as KindName, raw })));
  return cluster;
}

describe('build', () => {
  test('each kind goes to its map, Collaborations keyed by namespace/name; broken objects are kept aside', () => {
    const cluster = new ClusterModel();
    const model = cluster.build([
      { kind: 'User', raw: bob },
      { kind: 'Organization', raw: rawOrganization('acme', { namespaces: ['acme'] }) },
      { kind: 'UserGroup', raw: rawGroup('devs', { members: { users: ['bob'] } }) },
      { kind: 'Collaboration', raw: grant },
      { kind: 'User', raw: rawUser('eve', { state: 'Sleepy' }) },
    ]);
    expect([...model.users.keys()]).toEqual(['bob']);
    expect([...model.organizations.keys()]).toEqual(['acme']);
    expect([...model.groups.keys()]).toEqual(['devs']);
    expect([...model.collaborations.keys()]).toEqual(['acme/c-bob']);
    expect([...cluster.invalid.keys()]).toEqual(['User/eve']);
    expect(cluster.invalid.get('User/eve')?.problems.join()).toMatch(/spec\.state/);
  });

  test('a rebuild forgets what the last one saw', () => {
    const cluster = seen(rawUser('eve', { state: 'Sleepy' }));
    cluster.build([{ kind: 'User', raw: bob }]);
    expect(cluster.invalid.size).toBe(0);
    expect(cluster.changeFor('User', 'MODIFIED', bob).change).toBeUndefined();
  });
});

describe('which events are changes', () => {
  interface Row {
    name: string;
    before: RawObject[];
    kind: KindName;
    type: 'ADDED' | 'MODIFIED' | 'DELETED';
    raw: RawObject;
    change: 'upsert' | 'delete' | undefined;
    key: string;
  }
  const rows: Row[] = [
    { name: 'a new User: upsert', before: [], kind: 'User', type: 'ADDED', raw: bob, change: 'upsert', key: 'User/bob' },
    { name: 'a spec change: upsert', before: [bob], kind: 'User', type: 'MODIFIED', raw: rawUser('bob', { identities: ['robert@example.com'] }), change: 'upsert', key: 'User/bob' },
    { name: 'a label change (selectors read labels): upsert', before: [bob], kind: 'User', type: 'MODIFIED', raw: rawUser('bob', { identities: ['bob@example.com'] }, { labels: { team: 'iot' } }), change: 'upsert', key: 'User/bob' },
    { name: 'a generation change (statuses report it): upsert', before: [bob], kind: 'User', type: 'MODIFIED', raw: rawUser('bob', { identities: ['bob@example.com'] }, { generation: 2 }), change: 'upsert', key: 'User/bob' },
    {
      name: "the operator's own status write echoed back: no change",
      before: [bob],
      kind: 'User',
      type: 'MODIFIED',
      raw: rawUser('bob', { identities: ['bob@example.com'] }, { status: { conditions: [{ type: 'Ready', status: 'True' }] } }),
      change: undefined,
      key: 'User/bob',
    },
    {
      name: 'server-set metadata the schema does not describe (resourceVersion, managedFields, creationTimestamp): dropped, no change',
      before: [bob],
      kind: 'User',
      type: 'MODIFIED',
      raw: withServerFields(rawUser('bob', { identities: ['bob@example.com'] })),
      change: undefined,
      key: 'User/bob',
    },
    { name: 'server-set metadata only (uid): no change', before: [bob], kind: 'User', type: 'MODIFIED', raw: rawUser('bob', { identities: ['bob@example.com'] }, { uid: 'other' }), change: undefined, key: 'User/bob' },
    { name: 'a resync of the same object (ADDED again): no change', before: [grant], kind: 'Collaboration', type: 'ADDED', raw: grant, change: undefined, key: 'Collaboration/acme/c-bob' },
    { name: 'a deleted object it had: delete', before: [grant], kind: 'Collaboration', type: 'DELETED', raw: grant, change: 'delete', key: 'Collaboration/acme/c-bob' },
    { name: 'a deleted object it never had: no change', before: [], kind: 'User', type: 'DELETED', raw: bob, change: undefined, key: 'User/bob' },
    { name: 'a good object updated into a broken one: delete (fail closed)', before: [bob], kind: 'User', type: 'MODIFIED', raw: rawUser('bob', { state: 'Sleepy' }), change: 'delete', key: 'User/bob' },
    { name: 'a broken object fixed: upsert', before: [rawUser('bob', { state: 'Sleepy' })], kind: 'User', type: 'MODIFIED', raw: bob, change: 'upsert', key: 'User/bob' },
    { name: 'a broken object still broken: no change', before: [rawUser('bob', { state: 'Sleepy' })], kind: 'User', type: 'MODIFIED', raw: rawUser('bob', { state: 'Sleepy' }), change: undefined, key: 'User/bob' },
    { name: 'a broken object deleted: no change (it was never in the model)', before: [rawUser('bob', { state: 'Sleepy' })], kind: 'User', type: 'DELETED', raw: rawUser('bob', { state: 'Sleepy' }), change: undefined, key: 'User/bob' },
  ];
  test.each(rows)('$name', ({ before, kind, type, raw, change, key }) => {
    const result = seen(...before).changeFor(kind, type, raw);
    expect(result.key).toBe(key);
    expect(result.change?.type).toBe(change);
  });

  test('a delete names the object; an upsert carries the converted object', () => {
    expect(seen(grant).changeFor('Collaboration', 'DELETED', grant).change).toEqual({ type: 'delete', kind: 'Collaboration', name: 'c-bob', namespace: 'acme' });
    const upsert = seen().changeFor('User', 'ADDED', bob).change;
    expect(upsert).toMatchObject({ type: 'upsert', object: { kind: 'User', name: 'bob', identities: ['bob@example.com'] } });
  });

  test('problems come and go with the object', () => {
    const cluster = seen(bob);
    cluster.changeFor('User', 'MODIFIED', rawUser('bob', { state: 'Sleepy' }, { generation: 5 }));
    expect(cluster.invalid.get('User/bob')).toEqual({ problems: [expect.stringMatching(/^spec\.state/)], generation: 5 });
    cluster.changeFor('User', 'MODIFIED', bob);
    expect(cluster.invalid.has('User/bob')).toBe(false);
    cluster.changeFor('User', 'MODIFIED', rawUser('bob', { state: 'Sleepy' }));
    cluster.changeFor('User', 'DELETED', rawUser('bob', { state: 'Sleepy' }));
    expect(cluster.invalid.has('User/bob')).toBe(false);
  });
});

describe('objects being deleted (a finalizer holds them Terminating) are not modelled: deleting revokes at once', () => {
  const terminating = (raw: RawObject): RawObject => ({ ...raw, metadata: { ...raw.metadata, deletionTimestamp: '2026-06-01T00:00:00Z', finalizers: ['example.com/keep'] } as RawObject['metadata'] });
  test('the deletion marked on a modelled grant is its delete; the later DELETED changes nothing more', () => {
    const cluster = seen(bob, grant);
    expect(cluster.changeFor('Collaboration', 'MODIFIED', terminating(grant)).change).toEqual({ type: 'delete', kind: 'Collaboration', name: 'c-bob', namespace: 'acme' });
    expect(cluster.changeFor('Collaboration', 'MODIFIED', terminating({ ...grant, metadata: { ...grant.metadata, labels: { x: 'y' } } })).change).toBeUndefined();
    expect(cluster.changeFor('Collaboration', 'DELETED', terminating(grant)).change).toBeUndefined();
    expect(cluster.resourceVersionOf('Collaboration/acme/c-bob')).toBeUndefined();
  });
  test('a User marked for deletion leaves the model (its rights go with it)', () => {
    const cluster = seen(bob, grant);
    expect(cluster.changeFor('User', 'MODIFIED', terminating(bob)).change).toEqual({ type: 'delete', kind: 'User', name: 'bob' });
  });
  test('a build (start, relist) leaves out objects being deleted; one seen first being deleted is no change', () => {
    const cluster = new ClusterModel();
    const model = cluster.build([{ kind: 'User', raw: bob }, { kind: 'Collaboration', raw: terminating(grant) }, { kind: 'UserGroup', raw: terminating(rawGroup('devs', { members: { users: ['bob'] } })) }]);
    expect([...model.users.keys()]).toEqual(['bob']);
    expect(model.collaborations.size).toBe(0);
    expect(model.groups.size).toBe(0);
    expect(cluster.changeFor('Organization', 'ADDED', terminating(rawOrganization('acme', { namespaces: ['acme'] }))).change).toBeUndefined();
  });
});
