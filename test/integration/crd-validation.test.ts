/**
 * The CRDs of crds/ reject bad input at the API server, each with a message that names the field:
 * `kubectl apply --dry-run=server --validate=strict`, as a user would run it.
 */
import { beforeAll, describe, expect, jest, test } from '@jest/globals';
import { requesterFromKubeconfig } from '../../src/devcluster/api-request.ts';
import { kubeconfigPath, kubectl, newNamespace } from './support/cluster.ts';

jest.setTimeout(30_000);

type Obj = Record<string, any>;

const collaboration = (spec: Obj = {}): Obj => ({
  apiVersion: 'charter.dev/v1alpha1',
  kind: 'Collaboration',
  metadata: { name: 'alice-on-app1' },
  spec: {
    subject: { kind: 'User', name: 'alice' },
    target: { kind: 'Application', name: 'app1' },
    rights: ['RIGHT_APPLICATION_INFO'],
    ...spec,
  },
});

const user = (spec: Obj = {}): Obj => ({
  apiVersion: 'charter.dev/v1alpha1',
  kind: 'User',
  metadata: { name: 'alice' },
  spec: { displayName: 'Alice', email: 'alice@example.com', state: 'Approved', ...spec },
});

const userGroup = (selector: Obj): Obj => ({
  apiVersion: 'charter.dev/v1alpha1',
  kind: 'UserGroup',
  metadata: { name: 'selected' },
  spec: { members: { selector } },
});

/** `obj` without the spec field `field`. */
function without(obj: Obj, field: string): Obj {
  const copy = structuredClone(obj);
  delete copy.spec[field];
  return copy;
}

let ns: string;
beforeAll(async () => {
  ns = await newNamespace('validation');
});

function dryRunApply(obj: Obj): { status: number | null; output: string } {
  const r = kubectl(['apply', '--dry-run=server', '--validate=strict', '-n', ns, '-f', '-'], {
    input: JSON.stringify(obj),
  });
  return { status: r.status, output: r.stdout + r.stderr };
}

describe('CRD validation (server-side dry run)', () => {
  test.each([
    ['a valid Collaboration', collaboration()],
    ['a valid User', user()],
    ['a Collaboration with a role and no rights', without(collaboration({ role: 'application-viewer' }), 'rights')],
    ['a UserGroup selecting NotIn with values and Exists without', userGroup({ matchExpressions: [{ key: 'team', operator: 'NotIn', values: ['iot'] }, { key: 'region', operator: 'Exists' }] })],
  ])('accepts %s', (_name, obj) => {
    const r = dryRunApply(obj);
    expect(r).toEqual({ status: 0, output: expect.stringContaining('(server dry run)') });
  });

  test.each<[string, Obj, RegExp]>([
    ['missing subject', without(collaboration(), 'subject'), /spec\.subject: Required value/],
    ['missing target', without(collaboration(), 'target'), /spec\.target: Required value/],
    [
      'unknown subject kind',
      collaboration({ subject: { kind: 'Team', name: 'alice' } }),
      /spec\.subject\.kind: Unsupported value: "Team": supported values: "User", "UserGroup", "Organization"/,
    ],
    [
      'both rights and role empty',
      collaboration({ rights: [], role: '' }),
      /spec\.rights: Invalid value: .*rights and role are both empty/,
    ],
    ['neither rights nor role', without(collaboration(), 'rights'), /spec\.rights: Invalid value: .*both empty/],
    ['bad state', user({ state: 'Frozen' }), /spec\.state: Unsupported value: "Frozen"/],
    ['malformed email', user({ email: 'alice-at-example' }), /spec\.email: Invalid value: "alice-at-example": .*must be of type email/],
    [
      'malformed expiresAt',
      collaboration({ expiresAt: 'next tuesday' }),
      /spec\.expiresAt: Invalid value: "next tuesday": .*must be of type date-time/,
    ],
    [
      'too many list items',
      collaboration({ rights: Array.from({ length: 129 }, (_, i) => `RIGHT_${i}`) }),
      /spec\.rights: Too many: 129: must have at most 128 items/,
    ],
    ['an unknown field (strict field validation)', collaboration({ colour: 'blue' }), /unknown field "spec\.colour"/],
    ['an unknown field in a User', user({ nickname: 'al' }), /unknown field "spec\.nickname"/],
    // Kubernetes' own label selectors refuse these; read as written, `NotIn` of nothing would select every user.
    [
      'a selector NotIn without values',
      userGroup({ matchExpressions: [{ key: 'team', operator: 'NotIn' }] }),
      /spec\.members\.selector\.matchExpressions\[0\]\.values: Invalid value: .*In and NotIn need at least one value/,
    ],
    [
      'a selector In with an empty values list',
      userGroup({ matchExpressions: [{ key: 'team', operator: 'In', values: [] }] }),
      /matchExpressions\[0\]\.values: Invalid value: .*In and NotIn need at least one value/,
    ],
    [
      'a selector Exists with values',
      userGroup({ matchExpressions: [{ key: 'team', operator: 'Exists', values: ['iot'] }] }),
      /matchExpressions\[0\]\.values: Invalid value: .*Exists and DoesNotExist take none/,
    ],
  ])('rejects %s, naming the field', (_name, obj, message) => {
    const r = dryRunApply(obj);
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(message);
  });

  test('rejects a Collaboration without a namespace', async () => {
    // kubectl puts a manifest without metadata.namespace into the context's namespace, so the API server
    // only sees a Collaboration without one when it is sent to the cluster-wide collection, which refuses
    // creation (404, no field to name: a namespace-less Collaboration is the manifest reader's to report).
    const request = requesterFromKubeconfig(kubeconfigPath());
    const obj = collaboration();
    const clusterWide = await request('POST', '/apis/charter.dev/v1alpha1/collaborations?dryRun=All', obj);
    expect(clusterWide.status).toBe(404);
    // A namespace in the object that differs from the request's is refused, naming the namespace.
    const other = { ...obj, metadata: { ...obj.metadata, namespace: 'kube-public' } };
    const mismatch = await request('POST', `/apis/charter.dev/v1alpha1/namespaces/${ns}/collaborations?dryRun=All`, other);
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.message).toMatch(/namespace of the provided object does not match the namespace sent on the request/);
  });
});
