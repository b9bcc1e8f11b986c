/**
 * Offline validation accepts exactly what the API server accepts, for the values issue 8 found diverging:
 * timestamps (`expiresAt`, the one parser of src/api/timestamp.ts), object names, namespaces, label keys and values,
 * annotation keys. Each case is sent to the real API server as a dry-run create and checked offline with the same
 * code `charter validate` and the operator use (toModelObject); the two answers must agree.
 */
import { beforeAll, describe, expect, jest, test } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import { requesterFromKubeconfig, type Requester } from '../../src/devcluster/api-request.ts';
import { installCRDsWithKubeconfig } from '../../src/devcluster/crds.ts';
import { toModelObject } from '../../src/model/to-model-object.ts';
import { ACCEPTED, REFUSED } from '../unit/api/timestamp-cases.ts';
import { kubeconfigPath, newNamespace } from './support/cluster.ts';

jest.setTimeout(120_000);

type Obj = Record<string, any>;
let request: Requester;
let ns: string;

beforeAll(async () => {
  request = requesterFromKubeconfig(kubeconfigPath());
  ns = await newNamespace('offline-online');
  await installCRDsWithKubeconfig(kubeconfigPath(), [fileURLToPath(new URL('./fixtures/timestamps.crd.yaml', import.meta.url))]);
});

/** Whether the API server would create the object (a dry run), with its message when it would not. */
/**
 * The API server's verdict on creating obj (dry run). AlreadyExists counts as accepted: the registry validates an
 * object before storage finds its name taken, and other test files of this run may have created the same name
 * (namespace acme, User alice).
 */
async function online(path: string, obj: Obj): Promise<{ ok: boolean; message: string }> {
  const r = await request('POST', `${path}?dryRun=All&fieldValidation=Strict`, obj);
  const exists = r.status === 409 && (r.body as Obj)?.reason === 'AlreadyExists';
  return { ok: (r.status >= 200 && r.status < 300) || exists, message: String((r.body as Obj)?.message ?? '') };
}
function offline(obj: Obj): { ok: boolean; message: string } {
  const result = toModelObject(obj);
  return { ok: result.ok, message: result.ok ? '' : result.problems.join('; ') };
}

const collaboration = (expiresAt: string): Obj => ({
  apiVersion: 'charter.dev/v1alpha1',
  kind: 'Collaboration',
  metadata: { name: 'c', namespace: ns },
  spec: { subject: { kind: 'User', name: 'alice' }, target: { kind: 'Application', name: 'app1' }, rights: ['RIGHT_APPLICATION_INFO'], expiresAt },
});
const user = (metadata: Obj): Obj => ({ apiVersion: 'charter.dev/v1alpha1', kind: 'User', metadata: { name: 'alice', ...metadata } });

describe('expiresAt: the API server and the offline parser agree', () => {
  test.each([...ACCEPTED.map(([t]) => [t, true] as const), ...REFUSED.filter((t) => t !== '').map((t) => [t, false] as const)])('%j → accepted: %s', async (text, accepted) => {
    const obj = collaboration(text);
    const [on, off] = [await online(`/apis/charter.dev/v1alpha1/namespaces/${ns}/collaborations`, obj), offline(obj)];
    expect({ online: on.ok, offline: off.ok }).toEqual({ online: accepted, offline: accepted });
    if (!accepted) {
      expect(on.message).toMatch(/spec\.expiresAt/);
      expect(off.message).toMatch(/^spec\.expiresAt: /);
    }
  });

  test("the API server's date-time format alone is looser: that is what the schema's pattern closes", async () => {
    const stamp = (at: string): Obj => ({ apiVersion: 'fixtures.charter.dev/v1', kind: 'Stamp', metadata: { name: 's' }, spec: { at } });
    const verdicts: Record<string, boolean> = {};
    for (const at of ['2027-01-01T00:00:00+99:99', '2027-01-01T00:00:00x5Z', '2027-01-01T00:00:00Zt', '2016-12-31T23:59:60Z', '2027-02-30T00:00:00Z', '2027-01-01T00:00:00']) {
      verdicts[at] = (await online('/apis/fixtures.charter.dev/v1/stamps', stamp(at))).ok;
    }
    expect(verdicts).toEqual({
      '2027-01-01T00:00:00+99:99': true, // Date.parse: NaN — the crash issue 8 found
      '2027-01-01T00:00:00x5Z': true,
      '2027-01-01T00:00:00Zt': true,
      '2016-12-31T23:59:60Z': false,
      '2027-02-30T00:00:00Z': false,
      '2027-01-01T00:00:00': false,
    });
  });
});

describe('names, namespaces, labels, annotations: the API server and offline validation agree', () => {
  test.each(['alice', 'a.b-c', 'x'.repeat(253), 'Alice', '__proto__', 'a..b', 'a_b', '-a', 'x'.repeat(254), '.', '..'])('User name %j', async (name) => {
    const obj = user({ name });
    const [on, off] = [await online('/apis/charter.dev/v1alpha1/users', obj), offline(obj)];
    expect(off.ok).toBe(on.ok);
  });

  test.each(['acme', 'a-1', 'x'.repeat(63), 'Acme', 'a/b', '..', '__proto__', 'a.b', 'x'.repeat(64), '-a'])('namespace %j', async (name) => {
    // A namespace name is valid where a Namespace of that name can be created; offline, on a Collaboration.
    const on = await online('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    const off = offline({ ...collaboration('2027-01-01T00:00:00Z'), metadata: { name: 'c', namespace: name } });
    expect(off.ok).toBe(on.ok);
  });

  test.each<[string, string]>([
    ['team', 'iot'],
    ['app.kubernetes.io/name', 'charter'],
    ['Team_1.x', 'A-b_c.D'],
    ['k', ''],
    [`${'p'.repeat(253)}/${'n'.repeat(63)}`, 'v'.repeat(63)],
    ['__proto__', 'x'],
    ['a_b/x', 'x'],
    ['a/b/c', 'x'],
    ['/x', 'x'],
    ['Bad.Prefix/x', 'x'],
    ['n'.repeat(64), 'x'],
    [`${'p'.repeat(254)}/n`, 'x'],
    ['team', 'v'.repeat(64)],
    ['team', 'has space'],
    ['team', '-x'],
  ])('label %j=%j', async (key, value) => {
    const obj = user({ labels: { [key]: value } });
    const [on, off] = [await online('/apis/charter.dev/v1alpha1/users', obj), offline(obj)];
    expect({ key, value, offline: off.ok }).toEqual({ key, value, offline: on.ok });
  });

  test.each(['example.com/note', 'Example.COM/Note', 'note', 'a b', 'a/b/c', '_x'])('annotation key %j', async (key) => {
    const obj = user({ annotations: { [key]: 'anything' } });
    const [on, off] = [await online('/apis/charter.dev/v1alpha1/users', obj), offline(obj)];
    expect(off.ok).toBe(on.ok);
  });

  test('an unknown metadata field: refused by both (strict field validation)', async () => {
    const obj = user({ lables: { a: 'b' } });
    const [on, off] = [await online('/apis/charter.dev/v1alpha1/users', obj), offline(obj)];
    expect({ on: on.ok, off: off.ok }).toEqual({ on: false, off: false });
    expect(on.message).toMatch(/unknown field "metadata\.lables"/);
  });
});
