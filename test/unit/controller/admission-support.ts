/** Admission reviews for the webhook's unit tests. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Obj = Record<string, any>;

/** A review as kube-apiserver 1.33 sends it for a Collaboration update. */
export function review(overrides: Obj = {}): Obj {
  const object = {
    apiVersion: 'charter.dev/v1alpha1',
    kind: 'Collaboration',
    metadata: { name: 'c1', namespace: 'acme', uid: 'u-1', resourceVersion: '42' },
    spec: { subject: { kind: 'User', name: 'bob' }, target: { kind: 'Application', name: 'app1' }, rights: ['RIGHT_APPLICATION_INFO'] },
  };
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: '705ab4f5-6393-11e8-b7cc-42010a800002',
      kind: { group: 'charter.dev', version: 'v1alpha1', kind: 'Collaboration' },
      resource: { group: 'charter.dev', version: 'v1alpha1', resource: 'collaborations' },
      requestKind: { group: 'charter.dev', version: 'v1alpha1', kind: 'Collaboration' },
      name: 'c1',
      namespace: 'acme',
      operation: 'UPDATE',
      userInfo: { username: 'alice', uid: 'x', groups: ['system:authenticated'] },
      object,
      oldObject: structuredClone(object),
      dryRun: false,
      options: { apiVersion: 'meta.k8s.io/v1', kind: 'UpdateOptions' },
      ...overrides,
    },
  };
}

