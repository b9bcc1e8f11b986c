/**
 * Fail closed: random malformed admission requests — junk in every field, objects that do not read, another kind or
 * name than the request's, a missing side — never throw and are never allowed, whoever sends them (here an admin and
 * a member holding every right, so that only the malformation can deny). A valid old object already read
 * (`oldModelObject`, as the webhook passes its informer's conversion) rescues none of them.
 */
import { expect, test } from '@jest/globals';
import fc from 'fast-check';
import { decide, DEFAULT_ADMISSION_OPTIONS, type AdmissionDecision, type AdmissionRequest } from '../../../src/admission/decide.ts';
import { objects as o, world } from './fixture.ts';
import { manifest } from './support.ts';

const valid = [o.cCarol, o.devs, o.acme, o.carol].map((x) => ({ object: x, raw: manifest(x) }));

/** A way to break a well-formed request; each one makes it unreadable. */
const breakArb: fc.Arbitrary<(r: AdmissionRequest) => AdmissionRequest> = fc.oneof(
  fc.anything().map((junk) => (r: AdmissionRequest) => ({ ...r, object: typeof junk === 'object' && junk !== null && !Array.isArray(junk) ? { junk } : junk, oldObject: r.operation === 'CREATE' ? undefined : r.oldObject })),
  fc.string().filter((s) => !['CREATE', 'UPDATE', 'DELETE'].includes(s)).map((operation) => (r: AdmissionRequest) => ({ ...r, operation: operation as never })),
  fc.constantFrom('Pod', 'user', '', 'Catalog').map((kind) => (r: AdmissionRequest) => ({ ...r, kind: kind as never })),
  fc.constant((r: AdmissionRequest) => ({ ...r, name: `${r.name}-other` })),
  fc.constant((r: AdmissionRequest) => ({ ...r, operation: 'UPDATE' as const, oldObject: undefined })),
  fc.constant((r: AdmissionRequest) => ({ ...r, operation: 'DELETE' as const, object: undefined, oldObject: undefined })),
  fc
    .tuple(fc.constantFrom('spec', 'metadata', 'apiVersion', 'kind'), fc.oneof(fc.integer(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 }), fc.constant('x')))
    .map(([field, value]) => (r: AdmissionRequest) => ({ ...r, object: { ...(r.object as object), [field]: field === 'spec' && value === null ? 5 : value } })),
  fc.constant((r: AdmissionRequest) => ({ ...r, object: { ...(r.object as Record<string, unknown>), spec: { ...((r.object as Record<string, { spec: object }>).spec as object), bogusField: true } } })),
);

test('malformed requests never throw and are never allowed', () => {
  const engine = world();
  fc.assert(
    fc.property(fc.constantFrom(...valid), breakArb, fc.constantFrom('User/root', 'User/alice', 'alice@example.com'), ({ object, raw }, breakIt, as) => {
      const base: AdmissionRequest = {
        operation: 'CREATE',
        kind: object.kind,
        name: object.name,
        ...(object.kind === 'Collaboration' ? { namespace: object.namespace } : {}),
        object: raw,
        requester: as.startsWith('User/') ? { username: '', groups: [], user: as.slice(5) } : { username: as, groups: [] },
      };
      const broken = breakIt(base);
      for (const request of [broken, { ...broken, oldModelObject: object }]) {
        let decision: AdmissionDecision | undefined;
        expect(() => (decision = decide({ engine }, request, DEFAULT_ADMISSION_OPTIONS))).not.toThrow();
        expect({ request, allowed: decision!.allowed }).toEqual({ request, allowed: false });
        expect(decision!.denials.map((d) => d.reason)).toContain('InvalidRequest');
      }
    }),
    { numRuns: 500 },
  );
});

test('junk for the whole request or its requester never throws and never allows', () => {
  const engine = world();
  fc.assert(
    fc.property(fc.anything(), fc.anything(), (junk, requester) => {
      const requests = [junk, { ...(typeof junk === 'object' && junk !== null ? junk : {}), requester }, { operation: 'CREATE', kind: 'Collaboration', name: 'x', namespace: 'acme', object: junk, requester }];
      for (const request of requests) {
        let decision: AdmissionDecision | undefined;
        expect(() => (decision = decide({ engine }, request as AdmissionRequest, DEFAULT_ADMISSION_OPTIONS))).not.toThrow();
        expect(decision!.allowed).toBe(false);
      }
    }),
    { numRuns: 500 },
  );
});
