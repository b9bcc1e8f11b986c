/**
 * The old object already read (`oldModelObject`: the webhook's informer conversion of the same resourceVersion) gives
 * the very decision that reading `oldObject` gives, for random updates and deletes on random models by random
 * requesters; one that is not the request's object (another kind, name or namespace) is ignored, and oldObject is read.
 * It never rescues a request that does not read: a broken new object, or an oldObject that is no object, still denies.
 */
import { expect, test } from '@jest/globals';
import fc from 'fast-check';
import { decide, DEFAULT_ADMISSION_OPTIONS, type AdmissionRequest } from '../../../src/admission/decide.ts';
import { loadCatalog } from '../../../src/catalog/load-catalog.ts';
import { Engine } from '../../../src/engine/engine.ts';
import { putObject, type ModelObject } from '../../../src/model/model.ts';
import { toManifest } from '../../../src/model/to-manifest.ts';
import { toModelObject } from '../../../src/model/to-model-object.ts';
import { ALL_USERS, modelArb, objectArb, T0 } from '../engine/arbitraries.ts';

const catalog = loadCatalog(undefined);

/** Two objects of one kind and name: before and after a change. */
const changeArb = fc
  .tuple(objectArb, objectArb)
  .filter(([a, b]) => a.kind === b.kind)
  .map(([before, after]) => [{ ...before, name: after.name, ...(after.kind === 'Collaboration' ? { namespace: after.namespace } : {}) } as ModelObject, after] as const);

const extraArb = fc.record({ displayName: fc.constantFrom('A', 'B'), email: fc.constantFrom('a@x.org', 'b@x.org') }, { requiredKeys: [] });

const requesterArb = fc.oneof(
  fc.constantFrom(...ALL_USERS).map((user) => ({ username: '', groups: [] as string[], user })),
  fc.constantFrom('id-a', 'id-b', 'nobody').map((username) => ({ username, groups: [] as string[] })),
);

function request(operation: 'UPDATE' | 'DELETE', before: ModelObject, after: ModelObject, extras: [object, object], requester: AdmissionRequest['requester']): AdmissionRequest {
  return {
    operation,
    kind: after.kind,
    name: after.name,
    ...(after.kind === 'Collaboration' ? { namespace: after.namespace } : {}),
    ...(operation === 'UPDATE' ? { object: toManifest(after, extras[1]) } : {}),
    oldObject: toManifest(before, extras[0]),
    requester,
  };
}

test('the old object already read decides as reading oldObject does', () => {
  fc.assert(
    fc.property(modelArb, changeArb, fc.constantFrom('UPDATE', 'DELETE' as const), fc.tuple(extraArb, extraArb), requesterArb, fc.boolean(), (model, [before, after], operation, extras, requester, stored) => {
      const read = request(operation, before, after, extras, requester);
      const converted = toModelObject(read.oldObject as Record<string, unknown>);
      fc.pre(converted.ok);
      const oldModelObject = (converted as { object: ModelObject }).object;
      // The engine usually holds the stored object (it is what its informer converted); not always (a watch behind).
      if (stored) putObject(model, oldModelObject);
      const engine = new Engine(model, catalog, {}, T0);
      expect(decide({ engine }, { ...read, oldModelObject }, DEFAULT_ADMISSION_OPTIONS)).toEqual(decide({ engine }, read, DEFAULT_ADMISSION_OPTIONS));
    }),
    { numRuns: 400 },
  );
});

test("an old object that is not the request's is ignored: oldObject is read", () => {
  fc.assert(
    fc.property(modelArb, changeArb, objectArb, requesterArb, (model, [before, after], other, requester) => {
      fc.pre(other.kind !== after.kind || other.name !== after.name || (other.kind === 'Collaboration' && after.kind === 'Collaboration' && other.namespace !== after.namespace));
      const engine = new Engine(model, catalog, {}, T0);
      const read = request('UPDATE', before, after, [{}, {}], requester);
      expect(decide({ engine }, { ...read, oldModelObject: other }, DEFAULT_ADMISSION_OPTIONS)).toEqual(decide({ engine }, read, DEFAULT_ADMISSION_OPTIONS));
    }),
    { numRuns: 300 },
  );
});

test('it never rescues a request that does not read', () => {
  fc.assert(
    fc.property(modelArb, changeArb, fc.anything(), fc.constantFrom('object', 'oldObject'), (model, [before, after], junk, broken) => {
      const engine = new Engine(model, catalog, {}, T0);
      const read = request('UPDATE', before, after, [{}, {}], { username: '', groups: [], user: 'u0' });
      const object = broken === 'object' ? { ...(read.object as object), spec: { junk } } : read.object;
      const oldObject = broken === 'oldObject' ? (junk !== null && typeof junk === 'object' && !Array.isArray(junk) ? undefined : junk) : read.oldObject;
      const decision = decide({ engine }, { ...read, object, oldObject, oldModelObject: before }, DEFAULT_ADMISSION_OPTIONS);
      expect(decision.allowed).toBe(false);
      expect(decision.denials.map((d) => d.reason)).toContain('InvalidRequest');
    }),
    { numRuns: 300 },
  );
});
