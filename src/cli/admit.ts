/**
 * `charter admit <before> <after> --as <user>` (admission.md §5): judges every object that differs between the two
 * trees (created, changed, deleted) as the admission webhook would judge that request from the requester, twice:
 * against the <before> state (§5), and against the state where every OTHER change of the set is already applied
 * (<after> with this one change undone). A change is allowed only when both allow, so a set cannot pass what its
 * changes could not do together: both owners of an organization removed, both admins demoted, rights removed in one
 * file and used in another. The second judgement's denials say "(with the other changes of this set applied)".
 * One engine: <before>'s, judged against first, then brought to <after> by applying the changes (Engine.apply, as the
 * operator applies object changes) and each change undone and re-applied on it; never rebuilt per change.
 * One line per denial `<file>: <Kind>/<name>: <reason>: <message>`; exit 1 when anything is denied, 0 when everything
 * is allowed, 2 on unreadable input. The operator's admission flags that change decisions (bypass users and groups,
 * self-registration) are admit's too, with the same names and defaults.
 */
import { decide, PLATFORM_GROUPS, PLATFORM_USERS, type AdmissionDecision, type AdmissionOperation, type AdmissionOptions, type AdmissionRequest, type Requester } from '../admission/decide.ts';
import { ordered } from '../admission/reasons.ts';
import { commaList, parseBoolean } from '../controller/config.ts';
import { currentObject } from '../admission/what-if.ts';
import type { Change } from '../engine/engine.ts';
import { canonical } from '../model/canonical-json.ts';
import { loadManifests, type LoadedManifests } from '../model/load-manifests.ts';
import { getObject, parseObjectKey, type ModelObject } from '../model/model.ts';
import type { Output } from './output.ts';
import { InputError, openWorkspace, problemLines, type Workspace, type WorkspaceOptions } from './workspace.ts';

export interface AdmitOptions extends WorkspaceOptions {
  as: string;
  asGroups?: string;
  output?: 'text' | 'json';
  /** `--admission-bypass-users`, as the operator's: comma-separated, "" for none; default PLATFORM_USERS. */
  admissionBypassUsers?: string;
  /** `--admission-bypass-groups`, as the operator's: comma-separated, "" for none; default PLATFORM_GROUPS. */
  admissionBypassGroups?: string;
  /** `--admission-self-registration [bool]`, as the operator's: true when given bare; default true. */
  admissionSelfRegistration?: boolean | string;
}

/** What the second judgement's denials say after their message. */
export const WITH_OTHERS = ' (with the other changes of this set applied)';

export interface AdmitResult {
  file: string;
  object: string;
  operation: AdmissionOperation;
  allowed: boolean;
  actingAs: string;
  denials: AdmissionDecision['denials'];
}

/** What a change compares: the fields an admission request is about (not status, not server-set metadata). */
export function comparable(raw: Record<string, unknown>): string {
  const metadata = (raw.metadata ?? {}) as Record<string, unknown>;
  return canonical(
    { apiVersion: raw.apiVersion, kind: raw.kind, name: metadata.name, namespace: metadata.namespace, labels: metadata.labels ?? {}, annotations: metadata.annotations ?? {}, finalizers: metadata.finalizers ?? [], ownerReferences: metadata.ownerReferences ?? [], spec: raw.spec ?? {} },
  );
}

export function requesterOf(as: string, groups: string | undefined): Requester {
  const list = (groups ?? '').split(',').map((g) => g.trim()).filter((g) => g !== '');
  if (as.startsWith('User/')) {
    const name = as.slice('User/'.length);
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name)) throw new InputError(`--as: expected User/<name> with a User's name; found ${JSON.stringify(as)}`);
    return { username: '', groups: list, user: name };
  }
  if (as.trim() === '') throw new InputError('--as: expected a Kubernetes username or User/<name>; found nothing');
  return { username: as, groups: list };
}

/** The operator's parse of a boolean flag (config.ts), its error as bad input. */
function parseBooleanFlag(value: boolean | string, flag: string): boolean {
  if (value === true || value === false) return value;
  try {
    return parseBoolean(value, flag);
  } catch (error) {
    throw new InputError((error as Error).message);
  }
}

/** The operator's admission flags that change decisions (config.ts: same names, same parse, same defaults). */
export function admissionOptionsOf(options: Pick<AdmitOptions, 'admissionBypassUsers' | 'admissionBypassGroups' | 'admissionSelfRegistration'>): AdmissionOptions {
  const list = (value: string | undefined, fallback: readonly string[]): readonly string[] => (value === undefined ? fallback : commaList(value));
  return {
    bypassUsers: list(options.admissionBypassUsers, PLATFORM_USERS),
    bypassGroups: list(options.admissionBypassGroups, PLATFORM_GROUPS),
    selfRegistration: options.admissionSelfRegistration === undefined ? true : parseBooleanFlag(options.admissionSelfRegistration, '--admission-self-registration'),
  };
}

/** The engine change that makes the object `o` (undefined: absent). */
function changeTo(object: { kind: ModelObject['kind']; name: string; namespace?: string }, o: ModelObject | undefined): Change {
  return o ? { type: 'upsert', object: o } : { type: 'delete', kind: object.kind, name: object.name, ...(object.namespace !== undefined ? { namespace: object.namespace } : {}) };
}

/** Judges the changes between the trees; results sorted by object. */
export function admitChanges(beforePath: string, afterPath: string, options: AdmitOptions, out: Output): AdmitResult[] | undefined {
  const requester = requesterOf(options.as, options.asGroups);
  const admission = admissionOptionsOf(options);
  const before = openWorkspace([beforePath], options);
  let after;
  try {
    after = loadManifests([afterPath]);
  } catch (error) {
    throw new InputError((error as Error).message);
  }
  const problems = [...problemLines(before), ...problemLines(after)];
  if (problems.length > 0) {
    for (const line of problems) out.err(line);
    return undefined;
  }
  return judgeChanges(before, after, requester, admission);
}

/**
 * Judges every change between the loaded trees; results sorted by object. First each against <before>'s engine; then
 * that engine is brought to <after> (the changes applied, as the operator applies object changes to its live engine;
 * the engine's incremental updates equal a fresh build) and each change is undone on it, judged, and applied again.
 * Then the engine is put back to <before>.
 */
export function judgeChanges(before: Workspace, after: LoadedManifests, requester: Requester, admission: AdmissionOptions): AdmitResult[] {
  const changes = [...new Set([...before.manifests.keys(), ...after.manifests.keys()])]
    .sort()
    .flatMap((key) => {
      const old = before.manifests.get(key);
      const now = after.manifests.get(key);
      if (old && now && comparable(old) === comparable(now)) return [];
      const object = parseObjectKey(key);
      if (!object) throw new Error(`Not an object key: ${JSON.stringify(key)}`); // the loader names every object by objectKey
      const request: AdmissionRequest = {
        operation: old && now ? 'UPDATE' : now ? 'CREATE' : 'DELETE',
        kind: object.kind,
        name: object.name,
        ...(object.namespace !== undefined ? { namespace: object.namespace } : {}),
        ...(now ? { object: now } : {}),
        ...(old ? { oldObject: old } : {}),
        requester,
      };
      const file = (now ? after.sources.get(key) : before.sources.get(key)) ?? '(unknown file)';
      return [{ key, object, request, file }];
    });
  const engine = before.engine;
  const alone = changes.map((c) => decide({ engine }, c.request, admission));
  // The second judgement, against the state with every other change applied. With one change that state is <before>;
  // the platform is the platform in any state (the bypass lists name Kubernetes identities, not objects).
  const others: Array<AdmissionDecision | undefined> = [];
  if (changes.length > 1 && alone.some((d) => d.actingAs !== 'platform')) {
    const models = changes.map((c) => ({ was: currentObject(engine, c.object.kind, c.object.name, c.object.namespace), is: getObject(after.model, c.object) }));
    engine.apply(changes.map((c, i) => changeTo(c.object, models[i]!.is)));
    try {
      changes.forEach((c, i) => {
        if (alone[i]!.actingAs === 'platform') return;
        engine.apply([changeTo(c.object, models[i]!.was)]);
        try {
          others[i] = decide({ engine }, c.request, admission);
        } finally {
          engine.apply([changeTo(c.object, models[i]!.is)]);
        }
      });
    } finally {
      engine.apply(changes.map((c, i) => changeTo(c.object, models[i]!.was)));
    }
  }
  return changes.map((c, i) => {
    const first = alone[i]!;
    const second = others[i];
    // Both judgements' denials; the second's say so, unless the first found the same.
    const seen = new Set(first.denials.map((d) => `${d.reason}\u0000${d.message}`));
    const denials = second ? ordered([...first.denials, ...second.denials.filter((d) => !seen.has(`${d.reason}\u0000${d.message}`)).map((d) => ({ reason: d.reason, message: d.message + WITH_OTHERS }))]) : first.denials;
    return { file: c.file, object: c.key, operation: c.request.operation, allowed: first.allowed && (second?.allowed ?? true), actingAs: first.actingAs, denials };
  });
}

export function runAdmit(beforePath: string, afterPath: string, options: AdmitOptions, out: Output): number {
  const results = admitChanges(beforePath, afterPath, options, out);
  if (!results) return 2;
  const denied = results.filter((r) => !r.allowed);
  if (options.output === 'json') {
    out.out(JSON.stringify(results, null, 2));
  } else {
    for (const r of denied) for (const d of r.denials) out.out(`${r.file}: ${r.object}: ${d.reason}: ${d.message}`);
    const actingAs = results[0]?.actingAs ?? options.as;
    out.err(`${results.length} changes judged as ${actingAs}: ${results.length - denied.length} allowed, ${denied.length} denied`);
  }
  return denied.length > 0 ? 1 : 0;
}
