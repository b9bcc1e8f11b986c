import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { answerReview, malformedAnswer, MAX_REVIEW_BYTES, parseReview, type MalformedReview } from '../../../src/controller/admission-review.ts';

import { review, type Obj } from './admission-support.ts';

const text = (o: unknown): string => JSON.stringify(o);
const malformed = (body: string | Uint8Array): MalformedReview => {
  const r = parseReview(body);
  if (r.ok) throw new Error(`expected a malformed review, got ${JSON.stringify(r)}`);
  return r;
};

describe('parseReview', () => {
  test('reads a review: uid, dry run, operation, kind, name, namespace, objects and requester', () => {
    const r = parseReview(text(review({ dryRun: true })));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.uid).toBe('705ab4f5-6393-11e8-b7cc-42010a800002');
    expect(r.dryRun).toBe(true);
    expect(r.request).toMatchObject({ operation: 'UPDATE', kind: 'Collaboration', name: 'c1', namespace: 'acme', requester: { username: 'alice', groups: ['system:authenticated'] } });
    expect(r.request.object).toMatchObject({ metadata: { name: 'c1' } });
    expect(r.request.oldObject).toMatchObject({ metadata: { name: 'c1' } });
    expect(r.existing).toEqual({ uid: 'u-1', resourceVersion: '42' });
  });

  test('CREATE carries no old object, DELETE no object; a cluster-scoped kind has no namespace', () => {
    const user = { apiVersion: 'charter.dev/v1alpha1', kind: 'User', metadata: { name: 'bob' }, spec: {} };
    const base = { kind: { group: 'charter.dev', version: 'v1alpha1', kind: 'User' }, name: 'bob', namespace: '' };
    const created = parseReview(text(review({ ...base, operation: 'CREATE', object: user, oldObject: null })));
    expect(created.ok && created.request).toMatchObject({ operation: 'CREATE', kind: 'User', name: 'bob' });
    expect(created.ok && 'oldObject' in created.request).toBe(false);
    expect(created.ok && created.request.namespace).toBeUndefined();
    expect(created.ok && created.existing).toBeUndefined();
    const deleted = parseReview(text(review({ ...base, operation: 'DELETE', object: null, oldObject: user })));
    expect(deleted.ok && deleted.request).toMatchObject({ operation: 'DELETE', kind: 'User', name: 'bob' });
    expect(deleted.ok && 'object' in deleted.request).toBe(false);
  });

  test('takes the name from the object when the request has none; groups may be left out', () => {
    const body = review({ name: undefined, userInfo: { username: 'alice' } });
    const r = parseReview(text(body));
    expect(r.ok && r.request.name).toBe('c1');
    expect(r.ok && r.request.requester.groups).toEqual([]);
  });

  test('reads bytes as well as text', () => {
    expect(parseReview(new TextEncoder().encode(text(review()))).ok).toBe(true);
  });

  const cases: [string, unknown, RegExp, string][] = [
    ['not JSON', 'apiVersion: admission.k8s.io/v1', /the body is not JSON/, ''],
    ['an empty body', '', /the body is not JSON/, ''],
    ['a JSON array', '[]', /not a JSON object/, ''],
    ['JSON null', 'null', /not a JSON object/, ''],
    ['the wrong apiVersion', { ...review(), apiVersion: 'admission.k8s.io/v1beta1' }, /apiVersion must be admission.k8s.io\/v1; found "admission.k8s.io\/v1beta1"/, '705ab4f5-6393-11e8-b7cc-42010a800002'],
    ['the wrong kind', { ...review(), kind: 'TokenReview' }, /kind must be AdmissionReview/, '705ab4f5-6393-11e8-b7cc-42010a800002'],
    ['no request', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }, /request is missing/, ''],
    ['no uid', review({ uid: undefined }), /request.uid is missing/, ''],
    ['an empty uid', review({ uid: '' }), /request.uid is missing/, ''],
    ['a uid that is not a string', review({ uid: 7 }), /request.uid is missing/, ''],
    ['another group', review({ kind: { group: 'apps', version: 'v1', kind: 'Deployment' } }), /request.kind must be a charter.dev\/v1alpha1/, '705ab4f5-6393-11e8-b7cc-42010a800002'],
    ['another version', review({ kind: { group: 'charter.dev', version: 'v1', kind: 'User' } }), /request.kind must be/, '705ab4f5-6393-11e8-b7cc-42010a800002'],
    ['an unknown kind', review({ kind: { group: 'charter.dev', version: 'v1alpha1', kind: 'Team' } }), /request.kind must be/, '705ab4f5-6393-11e8-b7cc-42010a800002'],
    ['CONNECT', review({ operation: 'CONNECT' }), /request.operation must be CREATE, UPDATE or DELETE; found "CONNECT"/, '705ab4f5-6393-11e8-b7cc-42010a800002'],
    ['a status subresource', review({ subResource: 'status' }), /not their "status" subresource/, '705ab4f5-6393-11e8-b7cc-42010a800002'],
    ['no userInfo', review({ userInfo: undefined }), /request.userInfo.username is missing/, '705ab4f5-6393-11e8-b7cc-42010a800002'],
    ['an empty username', review({ userInfo: { username: '' } }), /request.userInfo.username is missing/, '705ab4f5-6393-11e8-b7cc-42010a800002'],
    ['groups that are not strings', review({ userInfo: { username: 'a', groups: [1] } }), /groups must be a list of strings/, '705ab4f5-6393-11e8-b7cc-42010a800002'],
    ['dryRun that is not a boolean', review({ dryRun: 'yes' }), /request.dryRun must be true or false/, '705ab4f5-6393-11e8-b7cc-42010a800002'],
    ['a Collaboration without a namespace', review({ namespace: undefined }), /request.namespace is missing/, '705ab4f5-6393-11e8-b7cc-42010a800002'],
    [
      'a User with a namespace',
      review({ kind: { group: 'charter.dev', version: 'v1alpha1', kind: 'User' }, namespace: 'acme', name: 'c1' }),
      /a User is cluster-scoped/,
      '705ab4f5-6393-11e8-b7cc-42010a800002',
    ],
    ['an UPDATE without object', review({ object: null }), /request.object must be the object \(UPDATE carries it\)/, '705ab4f5-6393-11e8-b7cc-42010a800002'],
    ['an UPDATE without oldObject', review({ oldObject: undefined }), /request.oldObject must be the object/, '705ab4f5-6393-11e8-b7cc-42010a800002'],
    ['an object of another kind', review({ object: { kind: 'User', metadata: { name: 'c1' } } }), /request.object.kind must be Collaboration/, '705ab4f5-6393-11e8-b7cc-42010a800002'],
    ['an object of another apiVersion', review({ object: { apiVersion: 'charter.dev/v1', kind: 'Collaboration', metadata: { name: 'c1' } } }), /request.object.apiVersion must be charter.dev\/v1alpha1/, '705ab4f5-6393-11e8-b7cc-42010a800002'],
    ['an object without metadata', review({ object: { apiVersion: 'charter.dev/v1alpha1', kind: 'Collaboration' } }), /request.object.metadata is missing/, '705ab4f5-6393-11e8-b7cc-42010a800002'],
    ['an object without a name', review({ object: { apiVersion: 'charter.dev/v1alpha1', kind: 'Collaboration', metadata: {} } }), /request.object.metadata.name is missing/, '705ab4f5-6393-11e8-b7cc-42010a800002'],
    ['an object of another name', review({ name: 'c2' }), /request.object.metadata.name is "c1", but the request is about "c2"/, '705ab4f5-6393-11e8-b7cc-42010a800002'],
    [
      'an object in another namespace',
      review({ object: { apiVersion: 'charter.dev/v1alpha1', kind: 'Collaboration', metadata: { name: 'c1', namespace: 'other' } } }),
      /request.object.metadata.namespace is "other", but the request is in "acme"/,
      '705ab4f5-6393-11e8-b7cc-42010a800002',
    ],
  ];
  test.each(cases)('denies %s with a clear message (and the uid when it could be read)', (_what, body, message, uid) => {
    const r = malformed(typeof body === 'string' ? body : text(body));
    expect(r.message).toMatch(message);
    expect(r.uid).toBe(uid);
    const answer = malformedAnswer(r);
    expect(answer.response).toEqual({ uid, allowed: false, status: { code: 403, reason: 'Malformed', message: `Malformed: Charter could not read the admission review: ${r.message}` } });
  });

  test('denies a body over the size limit without parsing it', () => {
    const huge = text(review({ object: { metadata: { name: 'c1', namespace: 'acme' }, spec: { pad: 'x'.repeat(MAX_REVIEW_BYTES) } } }));
    expect(malformed(huge).message).toBe(`the review is larger than ${MAX_REVIEW_BYTES} bytes`);
  });

  test('names the kind and operation of a malformed review when it said them plainly (for the metrics)', () => {
    const r = malformed(text(review({ userInfo: undefined })));
    expect([r.kind, r.operation]).toEqual(['Collaboration', 'UPDATE']);
    expect([malformed('{}').kind, malformed('{}').operation]).toEqual(['unknown', 'unknown']);
  });
});

describe('answerReview', () => {
  test('an allowed answer carries the uid and nothing else', () => {
    expect(answerReview('u1', { allowed: true, denials: [] })).toEqual({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'u1', allowed: true } });
  });

  test('a denial: code 403, the first reason, every denial as "<reason>: <message>"', () => {
    const a = answerReview('u1', {
      allowed: false,
      denials: [
        { reason: 'NoEscalation', message: 'User/alice does not hold RIGHT_APPLICATION_DELETE on Application/acme/app1' },
        { reason: 'LastOwner', message: 'Organization/acme would have no owner' },
      ],
    });
    expect(a.response).toEqual({
      uid: 'u1',
      allowed: false,
      status: {
        code: 403,
        reason: 'NoEscalation',
        message: 'NoEscalation: User/alice does not hold RIGHT_APPLICATION_DELETE on Application/acme/app1; LastOwner: Organization/acme would have no owner',
      },
    });
  });

  test('a denial without reasons is still a denial', () => {
    expect(answerReview('u1', { allowed: false, denials: [] }).response).toMatchObject({ allowed: false, status: { code: 403, reason: 'NotPermitted' } });
  });
});

/** Every path into the review, to break one at a time. */
function paths(o: unknown, prefix: string[] = []): string[][] {
  if (!o || typeof o !== 'object') return [prefix];
  return [prefix, ...Object.entries(o).flatMap(([k, v]) => paths(v, [...prefix, k]))];
}

function setPath(o: Obj, path: string[], value: unknown): Obj {
  const copy = structuredClone(o);
  if (path.length === 0) return value as Obj;
  let at: Obj = copy;
  for (const k of path.slice(0, -1)) at = at[k];
  if (value === undefined) delete at[path.at(-1)!];
  else at[path.at(-1)!] = value;
  return copy;
}

/** Paths whose value the parser does not read (or reads leniently by design): breaking them leaves a valid review. */
const IGNORED = /^request\.(resource|requestKind|options|userInfo\.uid|object\.(spec|metadata\.(uid|resourceVersion))|oldObject\.(spec|metadata\.(uid|resourceVersion|namespace))|object\.metadata\.namespace|name|dryRun|namespace|kind\.kind|operation|subResource)(\.|$)/;

describe('parseReview (fuzz)', () => {
  test('never throws on any text or bytes, and never returns a review from one that is not JSON of a review', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.uint8Array({ maxLength: 200 })), (s) => {
        if (parseReview(s).ok) throw new Error(`read as a review: ${JSON.stringify(s)}`);
      }),
      { numRuns: 300 },
    );
  });

  test('never throws on arbitrary JSON, and accepts none of it as a review', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => {
        const r = parseReview(JSON.stringify(v));
        expect(r.ok).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  test('a review with one required field broken (removed or of another type) is never read as valid', () => {
    const base = review();
    const required = paths(base).filter((p) => p.length > 0 && !IGNORED.test(p.join('.')));
    const breakage = fc.oneof(fc.constant(undefined), fc.constant(null), fc.integer(), fc.constant([]), fc.constant({}), fc.boolean());
    fc.assert(
      fc.property(fc.constantFrom(...required), breakage, (path, value) => {
        const before = path.reduce<unknown>((o, k) => (o as Obj)?.[k], base);
        fc.pre(JSON.stringify(before) !== JSON.stringify(value));
        // The API server leaves out an empty groups list (omitempty): no groups is a valid review.
        fc.pre(!(path.join('.') === 'request.userInfo.groups' && (value === undefined || value === null || (Array.isArray(value) && value.length === 0))));
        const broken = setPath(base, path, value);
        const r = parseReview(JSON.stringify(broken));
        expect({ path: path.join('.'), ok: r.ok }).toEqual({ path: path.join('.'), ok: false });
      }),
      { numRuns: 1000 },
    );
  });

  test('a valid review with any field changed is either read exactly as sent or denied, never thrown on', () => {
    const base = review();
    fc.assert(
      fc.property(fc.constantFrom(...paths(base).filter((p) => p.length > 0)), fc.jsonValue({ maxDepth: 2 }), (path, value) => {
        const r = parseReview(JSON.stringify(setPath(base, path, value)));
        if (r.ok) {
          expect(r.uid).not.toBe('');
          expect(['CREATE', 'UPDATE', 'DELETE']).toContain(r.request.operation);
          expect(['User', 'Organization', 'UserGroup', 'Collaboration']).toContain(r.request.kind);
          expect(r.request.requester.username).not.toBe('');
        } else {
          expect(malformedAnswer(r).response.allowed).toBe(false);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
