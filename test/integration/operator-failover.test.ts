/**
 * Failover: two operator processes on one lease; only the leader writes. The leader is killed (SIGKILL: no release),
 * the other takes the lease within the lease duration plus a retry, catches up with the changes made while nobody
 * led, and keeps the maps equal to `charter render`. A replacement process joins as a follower and writes nothing.
 *
 * Lease timings: 3 s lease, 2 s renew deadline, 0.5 s retry.
 */
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import type { ApiClient } from '../../src/controller/api-client.ts';
import { newNamespace } from './support/cluster.ts';
import {
  adminApi,
  apply,
  applyAll,
  deleteAll,
  eventually,
  expectParity,
  keyOf,
  leaseHolder,
  mapRights,
  randomId,
  scrapeMetric,
  sleep,
  spawnOperator,
  stopSpawned,
  type Obj,
  type OperatorProcess,
} from './support/operator.ts';

jest.setTimeout(90_000);

const P = `fo-${randomId()}`;
const LEASE_MS = 3000;
const RETRY_MS = 500;
const LEASE = ['--lease-duration', String(LEASE_MS / 1000), '--renew-deadline', '2', '--retry-period', String(RETRY_MS / 1000)];

let api: ApiClient;
let leaseNs: string;
let ns: string;
const current = new Map<string, Obj>();
const namespaceObjects: Obj[] = [];

const user = (name: string): Obj => ({ apiVersion: 'charter.dev/v1alpha1', kind: 'User', metadata: { name: `${P}-${name}` }, spec: {} });
const group = (users: string[]): Obj => ({ apiVersion: 'charter.dev/v1alpha1', kind: 'UserGroup', metadata: { name: `${P}-team` }, spec: { members: { users: users.map((u) => `${P}-${u}`) } } });
const grant = (name: string, subject: Obj, target: Obj, rights: string[]): Obj => ({ apiVersion: 'charter.dev/v1alpha1', kind: 'Collaboration', metadata: { name, namespace: ns }, spec: { subject, target, rights } });

const spawn = (identity: string): OperatorProcess => spawnOperator(identity, ['--lease-namespace', leaseNs, '--lease-name', P, ...LEASE]);
/** Writes of statuses, ConfigMaps and events (not the lease) a process has made. */
const objectWrites = async (p: OperatorProcess): Promise<number> =>
  (await scrapeMetric(p.metricsPort()!, 'charter_api_writes_total')) - (await scrapeMetric(p.metricsPort()!, 'charter_api_writes_total', { kind: 'lease' }));
const checkParity = (): Promise<unknown> => expectParity(api, [...namespaceObjects, ...current.values()]);

beforeAll(async () => {
  api = adminApi();
  leaseNs = await newNamespace(`${P}-lease`);
  ns = await newNamespace(`${P}-ns`);
  namespaceObjects.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
});

afterAll(async () => {
  await stopSpawned();
  await deleteAll(api, [...current.values()]);
  api?.close();
});

describe('failover', () => {
  test('the leader killed, the other replica takes over and keeps the maps correct', async () => {
    const replicas = [spawn(`${P}-a`), spawn(`${P}-b`)];
    const holder = await eventually(async () => (await leaseHolder(api, leaseNs, P)) ?? false, 'a leader', { timeoutMs: 30_000 });
    await eventually(() => replicas.every((r) => r.metricsPort() !== undefined), 'both metrics ports');
    const leader = replicas.find((r) => r.identity === holder)!;
    const follower = replicas.find((r) => r.identity !== holder)!;
    expect(await scrapeMetric(leader.metricsPort()!, 'charter_leader')).toBe(1);
    expect(await scrapeMetric(follower.metricsPort()!, 'charter_leader')).toBe(0);

    const initial = [
      user('ann'),
      user('ben'),
      user('cid'),
      group(['ann']),
      grant('c-team', { kind: 'UserGroup', name: `${P}-team` }, { kind: 'Application', name: 'app1' }, ['RIGHT_APPLICATION_INFO']),
      grant('c-cid', { kind: 'User', name: `${P}-cid` }, { kind: 'Gateway', name: 'gw1' }, ['RIGHT_GATEWAY_INFO']),
    ];
    await applyAll(api, initial);
    for (const o of initial) current.set(keyOf(o), o);
    await checkParity();
    // Only the leader wrote.
    expect(await objectWrites(leader)).toBeGreaterThan(0);
    expect(await objectWrites(follower)).toBe(0);

    process.kill(leader.child.pid!, 'SIGKILL');
    const killed = Date.now();
    expect(await leader.exited).toBe('SIGKILL');
    // Changes while nobody leads.
    const changes = [group(['ann', 'ben']), grant('c-cid', { kind: 'User', name: `${P}-cid` }, { kind: 'Gateway', name: 'gw1' }, ['RIGHT_GATEWAY_INFO', 'RIGHT_GATEWAY_STATUS_READ'])];
    for (const o of changes) {
      await apply(api, o);
      current.set(keyOf(o), o);
    }
    await eventually(async () => (await leaseHolder(api, leaseNs, P)) === follower.identity, 'the follower to take the lease', { timeoutMs: 15_000, intervalMs: 20 });
    const takeover = Date.now() - killed;
    // The dead leader's last renewal was at most a retry period before the kill.
    expect(takeover).toBeLessThanOrEqual(LEASE_MS + 2 * RETRY_MS + 1500);
    await eventually(async () => expect(await mapRights(api, ns, `${P}-ben`, `Application/${ns}/app1`)).toContain('RIGHT_APPLICATION_INFO'), 'ben, added while nobody led');
    await eventually(async () => expect(await mapRights(api, ns, `${P}-cid`, `Gateway/${ns}/gw1`)).toContain('RIGHT_GATEWAY_STATUS_READ'), 'cid, changed while nobody led');
    await checkParity();
    expect(await scrapeMetric(follower.metricsPort()!, 'charter_leader')).toBe(1);

    // A replacement joins as a follower: it writes nothing while the new leader keeps the maps up to date.
    const replacement = spawn(`${P}-c`);
    await eventually(() => replacement.metricsPort() !== undefined, 'the replacement to start');
    const later = grant('c-later', { kind: 'User', name: `${P}-ann` }, { kind: 'Client', name: 'cli1' }, ['RIGHT_CLIENT_INFO']);
    await apply(api, later);
    current.set(keyOf(later), later);
    await eventually(async () => expect(await mapRights(api, ns, `${P}-ann`, `Client/${ns}/cli1`)).toContain('RIGHT_CLIENT_INFO'), 'a change after the failover');
    await checkParity();
    await sleep(2 * RETRY_MS);
    expect(await leaseHolder(api, leaseNs, P)).toBe(follower.identity);
    expect(await scrapeMetric(replacement.metricsPort()!, 'charter_leader')).toBe(0);
    expect(await objectWrites(replacement)).toBe(0);
    expect(await scrapeMetric(follower.metricsPort()!, 'charter_reconcile_errors_total')).toBe(0);
    process.stderr.write(`failover: the follower took the lease ${takeover} ms after the leader was killed\n`);
  });
});
