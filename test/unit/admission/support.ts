/** Builders for admission tests: model objects (the engine test builders) turned into the manifests a request carries. */
import { decide, DEFAULT_ADMISSION_OPTIONS, type AdmissionDecision, type AdmissionOptions, type AdmissionOperation } from '../../../src/admission/decide.ts';
import type { Engine } from '../../../src/engine/engine.ts';
import type { ModelObject } from '../../../src/model/model.ts';
import { toManifest } from '../../../src/model/to-manifest.ts';

export { collab, engineOf, group, modelOf, org, user } from '../engine/support.ts';

/** The manifest of a model object, as the API server would send it. */
export const manifest = toManifest;

export interface Judge {
  /** `User/alice` acts as that User directly; anything else is a Kubernetes username. */
  as: string;
  groups?: string[];
  options?: Partial<AdmissionOptions>;
  beforeExtra?: { displayName?: string; email?: string };
  afterExtra?: { displayName?: string; email?: string };
}

/** Judges CREATE (after only), DELETE (before only) or UPDATE (both). */
export function judge(engine: Engine, who: Judge, before: ModelObject | undefined, after: ModelObject | undefined): AdmissionDecision {
  const o = (after ?? before)!;
  const operation: AdmissionOperation = before && after ? 'UPDATE' : after ? 'CREATE' : 'DELETE';
  const requester = who.as.startsWith('User/') ? { username: '', groups: who.groups ?? [], user: who.as.slice(5) } : { username: who.as, groups: who.groups ?? [] };
  return decide(
    { engine },
    {
      operation,
      kind: o.kind,
      name: o.name,
      ...(o.kind === 'Collaboration' ? { namespace: o.namespace } : {}),
      ...(after ? { object: manifest(after, who.afterExtra) } : {}),
      ...(before ? { oldObject: manifest(before, who.beforeExtra) } : {}),
      requester,
    },
    { ...DEFAULT_ADMISSION_OPTIONS, ...who.options },
  );
}

/** `['NoEscalation: User/alice does not hold ...']`, for exact expectations. */
export const lines = (d: AdmissionDecision): string[] => d.denials.map((x) => `${x.reason}: ${x.message}`);
export const reasons = (d: AdmissionDecision): string[] => d.denials.map((x) => x.reason);
