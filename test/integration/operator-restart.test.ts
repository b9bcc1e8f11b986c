/**
 * Restart: the operator, as a process (`node src/controller/main.ts`), is killed (SIGKILL) part-way through a large
 * apply, after it has started writing; the apply goes on; a new process takes the lease once the dead one's expires
 * and converges to the same result — every status and map equal to `charter render` of everything applied.
 *
 * Short lease timings (3 s lease, 2 s renew deadline, 0.5 s retry) keep the wait for the dead leader's lease short.
 */
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import type { ApiClient } from '../../src/controller/api-client.ts';
import { newNamespace } from './support/cluster.ts';
import {
  adminApi,
  apply,
  deleteAll,
  eventually,
  expectParity,
  inParallel,
  leaseHolder,
  randomId,
  scrapeMetric,
  spawnOperator,
  stopSpawned,
  type Obj,
  type OperatorProcess,
} from './support/operator.ts';

jest.setTimeout(120_000);

const P = `rst-${randomId()}`;
const LEASE = ['--lease-duration', '3', '--renew-deadline', '2', '--retry-period', '0.5'];

let api: ApiClient;
let leaseNs: string;
const namespaces: string[] = [];
const objects: Obj[] = [];

/** A deterministic model of ~500 objects over four namespaces: users, groups (some nested), organizations, grants. */
function largeModel(): Obj[] {
  const out: Obj[] = [];
  const USERS = 80;
  const GROUPS = 12;
  const rights = [['RIGHT_APPLICATION_INFO'], ['RIGHT_APPLICATION_LINK'], ['RIGHT_APPLICATION_INFO', 'RIGHT_APPLICATION_DEVICES_READ'], ['RIGHT_APPLICATION_ALL']];
  for (let i = 0; i < USERS; i++) {
    out.push({ apiVersion: 'charter.dev/v1alpha1', kind: 'User', metadata: { name: `${P}-u${i}`, labels: { [`${P}-shift`]: String(i % 3) } }, spec: { ...(i % 17 === 5 ? { state: 'Suspended' } : {}) } });
  }
  for (let g = 0; g < GROUPS; g++) {
    const members = Array.from({ length: 6 }, (_, k) => `${P}-u${(g * 7 + k * 3) % USERS}`);
    const spec: Obj = { members: { users: members, ...(g > 0 && g % 4 === 0 ? { groups: [`${P}-g${g - 1}`] } : {}) } };
    if (g === GROUPS - 1) spec.members = { selector: { matchLabels: { [`${P}-shift`]: '1' } } };
    out.push({ apiVersion: 'charter.dev/v1alpha1', kind: 'UserGroup', metadata: { name: `${P}-g${g}` }, spec });
  }
  out.push({ apiVersion: 'charter.dev/v1alpha1', kind: 'Organization', metadata: { name: `${P}-o0` }, spec: { namespaces: [namespaces[0]] } });
  out.push({ apiVersion: 'charter.dev/v1alpha1', kind: 'Organization', metadata: { name: `${P}-o1` }, spec: { namespaces: [namespaces[1]], parent: `${P}-o0` } });
  out.push({ apiVersion: 'charter.dev/v1alpha1', kind: 'Organization', metadata: { name: `${P}-o2` }, spec: { namespaces: [namespaces[2]], ownerRights: ['RIGHT_APPLICATION_INFO', 'RIGHT_GATEWAY_INFO'] } });
  for (let c = 0; c < 400; c++) {
    const nsIndex = c % 4;
    const ns = namespaces[nsIndex]!;
    const subject = c % 5 === 0 ? { kind: 'UserGroup', name: `${P}-g${c % GROUPS}` } : { kind: 'User', name: `${P}-u${(c * 13) % USERS}` };
    const membership = c % 10 === 3 && nsIndex < 3;
    out.push({
      apiVersion: 'charter.dev/v1alpha1',
      kind: 'Collaboration',
      metadata: { name: `c${c}`, namespace: ns },
      spec: {
        subject,
        target: membership ? { kind: 'Organization', name: `${P}-o${nsIndex}` } : { kind: 'Application', name: `app${c % 37}` },
        rights: rights[c % rights.length],
        ...(c % 50 === 7 ? { expiresAt: '2099-01-01T00:00:00Z' } : {}),
      },
    });
  }
  return out;
}

beforeAll(async () => {
  api = adminApi();
  leaseNs = await newNamespace(`${P}-lease`);
  for (let i = 0; i < 4; i++) namespaces.push(await newNamespace(`${P}-n${i}`));
  objects.push(...largeModel());
});

afterAll(async () => {
  await stopSpawned();
  await deleteAll(api, objects);
  api?.close();
});

const spawn = (identity: string): OperatorProcess => spawnOperator(identity, ['--lease-namespace', leaseNs, '--lease-name', P, ...LEASE]);

describe('restart', () => {
  test('killed mid-way through a large apply, a new process converges to the same result', async () => {
    const first = spawn(`${P}-first`);
    await eventually(async () => (await leaseHolder(api, leaseNs, P)) === first.identity, 'the first process to lead', { timeoutMs: 30_000 });
    await eventually(() => first.metricsPort() !== undefined, 'its metrics port');
    let applied = 0;
    let killedAt = -1;
    let statusWritesAtKill = 0;
    const applying = inParallel(objects, 4, async (o) => {
      await apply(api, o);
      applied++;
    });
    // Kill it once it has written some statuses, with a good part of the apply still to go.
    await eventually(
      async () => {
        statusWritesAtKill = await scrapeMetric(first.metricsPort()!, 'charter_api_writes_total', { kind: 'status', result: 'success' });
        return statusWritesAtKill >= 20 && applied >= objects.length / 4;
      },
      'the first process to have written some statuses',
      { timeoutMs: 60_000, intervalMs: 20 },
    );
    process.kill(first.child.pid!, 'SIGKILL');
    killedAt = applied;
    expect(await first.exited).toBe('SIGKILL');
    expect(killedAt).toBeLessThan(objects.length * 0.9);
    await applying;
    const second = spawn(`${P}-second`);
    await eventually(async () => (await leaseHolder(api, leaseNs, P)) === second.identity, 'the second process to take the lease', { timeoutMs: 30_000 });
    const report = await expectParity(api, [...namespaces.map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } })), ...objects], { timeoutMs: 60_000 });
    expect(report.compared.statuses).toBe(objects.length);
    expect(report.compared.configMaps).toBe(namespaces.length);
    expect(await scrapeMetric(second.metricsPort()!, 'charter_reconcile_errors_total')).toBe(0);
    process.stderr.write(
      `restart: killed after ${killedAt}/${objects.length} objects applied and ${statusWritesAtKill} status writes; ` +
        `the new process wrote ${await scrapeMetric(second.metricsPort()!, 'charter_api_writes_total', { kind: 'status', result: 'success' })} statuses\n`,
    );
  });
});
