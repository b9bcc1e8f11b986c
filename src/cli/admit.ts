/**
 * `charter admit <before> <after> --as <user>` (admission.md §5): judges every object that differs between the two
 * trees (created, changed, deleted) as the admission webhook would judge that request from the requester, against
 * the <before> state. One line per denial `<file>: <Kind>/<name>: <reason>: <message>`; exit 1 when anything is
 * denied, 0 when everything is allowed, 2 on unreadable input.
 */
import { decide, DEFAULT_ADMISSION_OPTIONS, type AdmissionDecision, type AdmissionOperation, type AdmissionRequest, type Requester } from '../admission/decide.ts';
import { canonical } from '../model/canonical-json.ts';
import { loadManifests } from '../model/load-manifests.ts';
import { parseObjectKey } from '../model/model.ts';
import type { Output } from './output.ts';
import { InputError, openWorkspace, problemLines, type WorkspaceOptions } from './workspace.ts';

export interface AdmitOptions extends WorkspaceOptions {
  as: string;
  asGroups?: string;
  output?: 'text' | 'json';
}

export interface AdmitResult {
  file: string;
  object: string;
  operation: AdmissionOperation;
  allowed: boolean;
  actingAs: string;
  denials: AdmissionDecision['denials'];
}

/** What a change compares: the fields an admission request is about (not status, not server-set metadata). */
function comparable(raw: Record<string, unknown>): string {
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

/** Judges the changes between the trees; results sorted by object. */
export function admitChanges(beforePath: string, afterPath: string, options: AdmitOptions, out: Output): AdmitResult[] | undefined {
  const requester = requesterOf(options.as, options.asGroups);
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
  const keys = [...new Set([...before.manifests.keys(), ...after.manifests.keys()])].sort();
  const results: AdmitResult[] = [];
  for (const key of keys) {
    const old = before.manifests.get(key);
    const now = after.manifests.get(key);
    if (old && now && comparable(old) === comparable(now)) continue;
    const operation: AdmissionOperation = old && now ? 'UPDATE' : now ? 'CREATE' : 'DELETE';
    const object = parseObjectKey(key);
    if (!object) throw new Error(`Not an object key: ${JSON.stringify(key)}`); // the loader names every object by objectKey
    const request: AdmissionRequest = {
      operation,
      kind: object.kind,
      name: object.name,
      ...(object.namespace !== undefined ? { namespace: object.namespace } : {}),
      ...(now ? { object: now } : {}),
      ...(old ? { oldObject: old } : {}),
      requester,
    };
    const decision = decide({ engine: before.engine }, request, DEFAULT_ADMISSION_OPTIONS);
    const file = (now ? after.sources.get(key) : before.sources.get(key)) ?? '(unknown file)';
    results.push({ file, object: key, operation, allowed: decision.allowed, actingAs: decision.actingAs, denials: decision.denials });
  }
  return results;
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
