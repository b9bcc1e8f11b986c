/**
 * Changes propagate: with the operator running, each kind of change to the cluster shows in the published
 * permission maps (read through the workload reader, src/reader) and, after each step, every status and map of
 * this file's objects equals `charter render` of the objects as they now are (the incremental path agrees with a
 * full offline computation). Then a grant that expires a few seconds after it is applied leaves the map on time.
 *
 * Objects are named `<prefix>-…`, namespaces are fresh: other test files' objects do not interfere.
 */
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import type { ApiClient } from '../../src/controller/api-client.ts';
import type { Operator } from '../../src/controller/operator.ts';
import { newNamespace } from './support/cluster.ts';
import {
  adminApi,
  apply,
  deleteAll,
  eventually,
  expectParity,
  keyOf,
  mapRights,
  clusterMap,
  randomId,
  failedKeys,
  startOperator,
  applyAll,
  type Obj,
} from './support/operator.ts';

jest.setTimeout(60_000);

const P = `chg-${randomId()}`;
const n = (name: string): string => `${P}-${name}`;

const user = (name: string, labels: Record<string, string> = {}): Obj => ({
  apiVersion: 'charter.dev/v1alpha1',
  kind: 'User',
  metadata: { name: n(name), labels },
  spec: { displayName: name },
});
const organization = (name: string, namespaces: string[], parent?: string): Obj => ({
  apiVersion: 'charter.dev/v1alpha1',
  kind: 'Organization',
  metadata: { name: n(name) },
  spec: { namespaces, ...(parent ? { parent: n(parent) } : {}) },
});
const group = (name: string, members: { users?: string[]; groups?: string[]; selector?: Obj }): Obj => ({
  apiVersion: 'charter.dev/v1alpha1',
  kind: 'UserGroup',
  metadata: { name: n(name) },
  spec: {
    members: {
      ...(members.users ? { users: members.users.map(n) } : {}),
      ...(members.groups ? { groups: members.groups.map(n) } : {}),
      ...(members.selector ? { selector: members.selector } : {}),
    },
  },
});
const collaboration = (namespace: string, name: string, subject: { kind: string; name: string }, target: { kind: string; name: string }, rights: string[], expiresAt?: string): Obj => ({
  apiVersion: 'charter.dev/v1alpha1',
  kind: 'Collaboration',
  metadata: { name, namespace },
  spec: {
    subject: { kind: subject.kind, name: n(subject.name) },
    target: target.kind === 'Organization' ? { kind: 'Organization', name: n(target.name) } : target,
    rights,
    ...(expiresAt ? { expiresAt } : {}),
  },
});

let api: ApiClient;
let operator: Operator;
let nsA: string; // owned by org1
let nsB: string; // owned by org2
let nsC: string; // owned by nobody (at first)
/** What this file applied and has not deleted, by key: the input of every parity check. */
const current = new Map<string, Obj>();
const namespaceObjects: Obj[] = [];

const put = async (...objects: Obj[]): Promise<void> => {
  for (const o of objects) {
    await apply(api, o);
    current.set(keyOf(o), o);
  }
};
const remove = async (...objects: Obj[]): Promise<void> => {
  await deleteAll(api, objects);
  for (const o of objects) current.delete(keyOf(o));
};
const checkParity = async (): Promise<void> => {
  await expectParity(api, [...namespaceObjects, ...current.values()]);
};
/** The rights of `who` on `entity` in namespace `ns`'s published map, once they satisfy `check`. */
const rightsEventually = (ns: string, who: string, entity: string, check: (rights: string[]) => void, what: string): Promise<unknown> =>
  eventually(async () => check(await mapRights(api, ns, n(who), entity)), `${who} on ${entity}: ${what}`, { timeoutMs: 15_000 });

const app = (ns: string, name = 'any-app'): string => `Application/${ns}/${name}`;

beforeAll(async () => {
  api = adminApi();
  [nsA, nsB, nsC] = await Promise.all([newNamespace(`${P}-a`), newNamespace(`${P}-b`), newNamespace(`${P}-c`)]);
  for (const ns of [nsA, nsB, nsC]) namespaceObjects.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  operator = await startOperator();
  const initial = [
    user('alice', { team: `${P}-red` }),
    user('bob'),
    user('carol'),
    user('dave'),
    user('erin'),
    organization('org1', [nsA]),
    organization('org2', [nsB]),
    group('devs', { users: ['bob'] }),
    group('red', { selector: { matchLabels: { team: `${P}-red` } } }),
    collaboration(nsA, 'm-devs', { kind: 'UserGroup', name: 'devs' }, { kind: 'Organization', name: 'org1' }, ['RIGHT_APPLICATION_ALL']),
    collaboration(nsA, 'c-red', { kind: 'UserGroup', name: 'red' }, { kind: 'Application', name: 'app1' }, ['RIGHT_APPLICATION_INFO']),
    collaboration(nsB, 'm-erin', { kind: 'User', name: 'erin' }, { kind: 'Organization', name: 'org2' }, ['RIGHT_APPLICATION_INFO']),
    collaboration(nsC, 'c-dave', { kind: 'User', name: 'dave' }, { kind: 'Gateway', name: 'gw1' }, ['RIGHT_GATEWAY_INFO']),
  ];
  await applyAll(api, initial);
  for (const o of initial) current.set(keyOf(o), o);
});

afterAll(async () => {
  await deleteAll(api, [...current.values()]);
  await operator?.stop();
  api?.close();
});

describe('changes propagate to the maps', () => {
  test('the initial state', async () => {
    await rightsEventually(nsA, 'bob', app(nsA), (r) => expect(r).toContain('RIGHT_APPLICATION_DELETE'), 'devs are members of org1, which owns nsA');
    await rightsEventually(nsA, 'alice', app(nsA, 'app1'), (r) => expect(r).toContain('RIGHT_APPLICATION_INFO'), 'through the selector group');
    await rightsEventually(nsB, 'erin', app(nsB), (r) => expect(r).toContain('RIGHT_APPLICATION_INFO'), 'member of org2');
    await rightsEventually(nsC, 'dave', `Gateway/${nsC}/gw1`, (r) => expect(r).toContain('RIGHT_GATEWAY_INFO'), 'direct grant');
    await checkParity();
  });

  test('a group member added, then removed', async () => {
    await put(group('devs', { users: ['bob', 'carol'] }));
    await rightsEventually(nsA, 'carol', app(nsA), (r) => expect(r).toContain('RIGHT_APPLICATION_DELETE'), 'added to devs');
    await checkParity();
    await put(group('devs', { users: ['carol'] }));
    await rightsEventually(nsA, 'bob', app(nsA), (r) => expect(r).toEqual([]), 'removed from devs');
    await checkParity();
  });

  test('a User matched by a selector relabelled out, another relabelled in', async () => {
    await put(user('alice', { team: `${P}-blue` }), user('dave', { team: `${P}-red` }));
    await rightsEventually(nsA, 'alice', app(nsA, 'app1'), (r) => expect(r).toEqual([]), 'no longer team=red');
    await rightsEventually(nsA, 'dave', app(nsA, 'app1'), (r) => expect(r).toContain('RIGHT_APPLICATION_INFO'), 'now team=red');
    await checkParity();
  });

  test('a namespace added to an Organization, then removed', async () => {
    await put(organization('org1', [nsA, nsC]));
    await rightsEventually(nsC, 'carol', app(nsC), (r) => expect(r).toContain('RIGHT_APPLICATION_DELETE'), 'org1 now owns nsC');
    expect((await clusterMap(api, nsC))?.organization).toBe(n('org1'));
    await checkParity();
    await put(organization('org1', [nsA]));
    await rightsEventually(nsC, 'carol', app(nsC), (r) => expect(r).toEqual([]), 'org1 no longer owns nsC');
    expect((await clusterMap(api, nsC))?.organization).toBeUndefined();
    await checkParity();
  });

  test('a parent set, then removed', async () => {
    // Membership flows down: org1's members become members of org2, which owns nsB.
    await put(organization('org2', [nsB], 'org1'));
    await rightsEventually(nsB, 'carol', app(nsB), (r) => expect(r).toContain('RIGHT_APPLICATION_DELETE'), 'member of org2 through its parent org1');
    await checkParity();
    await put(organization('org2', [nsB]));
    await rightsEventually(nsB, 'carol', app(nsB), (r) => expect(r).toEqual([]), 'org2 has no parent any more');
    await checkParity();
  });

  test('rights changed', async () => {
    await put(collaboration(nsC, 'c-dave', { kind: 'User', name: 'dave' }, { kind: 'Gateway', name: 'gw1' }, ['RIGHT_GATEWAY_INFO', 'RIGHT_GATEWAY_STATUS_READ']));
    await rightsEventually(nsC, 'dave', `Gateway/${nsC}/gw1`, (r) => expect(r).toContain('RIGHT_GATEWAY_STATUS_READ'), 'right added');
    await checkParity();
    await put(collaboration(nsB, 'm-erin', { kind: 'User', name: 'erin' }, { kind: 'Organization', name: 'org2' }, ['RIGHT_GATEWAY_INFO']));
    await rightsEventually(nsB, 'erin', app(nsB), (r) => expect(r).toEqual([]), 'application right taken away');
    await rightsEventually(nsB, 'erin', `Gateway/${nsB}/gw9`, (r) => expect(r).toContain('RIGHT_GATEWAY_INFO'), 'gateway right given');
    await checkParity();
  });

  test('objects deleted', async () => {
    // The only grant of nsC, which no organization owns: its map is replaced by the empty map (never deleted: a
    // workload may mount it), which covers nothing.
    await remove(current.get(`Collaboration/${nsC}/c-dave`)!);
    await eventually(async () => (await clusterMap(api, nsC))?.isEmpty === true, 'the map of nsC published empty', { timeoutMs: 15_000 });
    expect((await clusterMap(api, nsC))?.covers(`Gateway/${nsC}/gw1`)).toBe(false);
    // A selector group: dave loses what it gave.
    await remove(current.get(`UserGroup/${n('red')}`)!);
    await rightsEventually(nsA, 'dave', app(nsA, 'app1'), (r) => expect(r).toEqual([]), 'group red deleted');
    // A user, and an organization.
    await remove(current.get(`User/${n('erin')}`)!);
    await rightsEventually(nsB, 'erin', `Gateway/${nsB}/gw9`, (r) => expect(r).toEqual([]), 'user erin deleted');
    await remove(current.get(`Organization/${n('org1')}`)!);
    await rightsEventually(nsA, 'carol', app(nsA), (r) => expect(r).toEqual([]), 'org1 deleted');
    await checkParity();
    expect(failedKeys(operator, [P])).toEqual([]);
  });
});

describe('expiry', () => {
  test('a grant that expires a few seconds after it is applied leaves the map at its time, woken by its own timer', async () => {
    const expiresMs = Math.ceil((Date.now() + 4000) / 1000) * 1000;
    const expiresAt = new Date(expiresMs).toISOString().replace('.000Z', 'Z');
    const grant = collaboration(nsA, 'c-expiring', { kind: 'User', name: 'dave' }, { kind: 'Client', name: 'cli1' }, ['RIGHT_CLIENT_INFO'], expiresAt);
    const entity = `Client/${nsA}/cli1`;
    await put(grant);
    await rightsEventually(nsA, 'dave', entity, (r) => expect(r).toContain('RIGHT_CLIENT_INFO'), 'granted until ' + expiresAt);
    expect(Date.now()).toBeLessThan(expiresMs); // otherwise the test shows nothing
    let lastSeen = 0;
    let goneAt = 0;
    await eventually(
      async () => {
        const rights = await mapRights(api, nsA, n('dave'), entity);
        const now = Date.now();
        if (rights.includes('RIGHT_CLIENT_INFO')) {
          lastSeen = now;
          return false;
        }
        goneAt = now;
        return true;
      },
      'the expired grant to leave the map',
      { timeoutMs: 15_000, intervalMs: 25 },
    );
    // Gone at its time, not before (same clock: the operator runs in this process). The upper bound is a liveness
    // bound, not a latency figure: the expiry's own wake-up removes it within a second or two on a quiet machine;
    // without that wake-up nothing would change before the next resync. 10 s leaves room for a loaded CI machine.
    expect(goneAt).toBeGreaterThanOrEqual(expiresMs);
    expect(goneAt - expiresMs).toBeLessThanOrEqual(10_000);
    expect(lastSeen).toBeLessThan(goneAt);
    // The status is written after the map (separate work keys): wait for it rather than read it once.
    await eventually(
      async () => {
        const status = (await api.request<Obj>('GET', `/apis/charter.dev/v1alpha1/namespaces/${nsA}/collaborations/c-expiring`)).status;
        return status?.conditions?.find((c: Obj) => c.type === 'Accepted')?.status === 'False';
      },
      'the expired grant\'s Accepted condition to turn False',
      { timeoutMs: 15_000 },
    );
    await checkParity();
  });
});
