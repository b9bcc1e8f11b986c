/**
 * Runs the cases of an access test file (docs/access-tests.md):
 * - `check` (can / cannot / exact rights / paths) and `who` against the manifests, with the engine at the file's
 *   (or the case's) evaluation time;
 * - `admit` through the admission decision (src/admission/decide.ts), against the manifests' state before the change;
 * - with a `RightsSource` (charter test --cluster), the rights of `check` cases from the published maps instead; the
 *   cases a map cannot answer (paths, who, admit, a case's own time) are not run, and counted as such.
 * It records what each case exercised (users, groups, Collaborations) for `--coverage`. Bad input throws
 * AccessTestError naming the file, case and field: whatever would make a case pass without testing anything — an
 * unknown kind, right, user, Organization or admit requester, an object to delete that the manifests lack, a right
 * the catalog lacks in an applied Collaboration, an applied object admission cannot read (InvalidRequest).
 */
import { decide, type AdmissionRequest } from '../admission/decide.ts';
import { isKindName, type KindName } from '../api/kinds.ts';
import { entityAccess, type PathCategory } from '../engine/access-views.ts';
import { parseEntity, type EntityRef } from '../engine/entities.ts';
import { evaluate, type Provenance } from '../engine/evaluate.ts';
import { documentObjects, manifestFiles, parseManifestDocuments, readManifestText } from '../model/load-manifests.ts';
import { classifyDocument } from '../model/to-model-object.ts';
import { openWorkspace, problemLines, type Workspace } from '../cli/workspace.ts';
import type { AdmitCase } from './access-test.generated.ts';
import { AccessTestError, caseTitle, type LoadedAccessTest } from './load-access-test.ts';
import { pathKey } from './path-keys.ts';

/** Where `--cluster` takes rights from: undefined when no map covers the entity. */
export interface RightsSource {
  rights(user: string, entity: string): Promise<string[] | undefined>;
}

export interface CaseResult {
  title: string;
  status: 'passed' | 'failed' | 'not run';
  /** Why it failed, or why it was not run. */
  messages: string[];
}

export interface Exercised {
  users: Set<string>;
  groups: Set<string>;
  collaborations: Set<string>;
}

export interface FileResult {
  file: string;
  cases: CaseResult[];
  exercised: Exercised;
  /** Every user, group and Collaboration of the manifests, for coverage. */
  universe: { users: string[]; groups: string[]; collaborations: string[] };
}

const sorted = (items: Iterable<string>): string[] => [...items].sort();
const list = (items: readonly string[]): string => (items.length === 0 ? '(none)' : items.join(', '));

/** Records the objects a path goes through. */
function exercise(exercised: Exercised, path: Provenance): void {
  if (path.type === 'direct') exercised.collaborations.add(path.collaboration);
  if (path.type === 'group') {
    exercised.collaborations.add(path.collaboration);
    for (const g of path.chain) exercised.groups.add(g);
  }
  if (path.type === 'organization') {
    if (path.grant.startsWith('Collaboration/')) exercised.collaborations.add(path.grant.slice('Collaboration/'.length));
    for (const m of path.memberships) {
      exercised.collaborations.add(m.collaboration);
      for (const g of m.chain ?? []) exercised.groups.add(g);
    }
  }
}

/** Raw manifests by object key (`Kind/name`, `Collaboration/ns/name`): what an admission request carries as oldObject. */
function rawObjects(paths: readonly string[]): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  // Read with the manifest loader's own reader (the workspace loaded these files without a problem already).
  for (const file of manifestFiles(paths).files) {
    const read = readManifestText(file);
    if ('problem' in read) continue;
    for (const doc of parseManifestDocuments(read.text)) {
      if (!('value' in doc)) continue;
      for (const value of documentObjects(doc.value)) {
        if (classifyDocument(value).type !== 'object') continue;
        const raw = value as Record<string, unknown> & { kind: string };
        const meta = (raw.metadata ?? {}) as { name?: string; namespace?: string };
        const key = raw.kind === 'Collaboration' ? `${raw.kind}/${meta.namespace}/${meta.name}` : `${raw.kind}/${meta.name}`;
        if (!out.has(key)) out.set(key, raw);
      }
    }
  }
  return out;
}

export async function runAccessTest(test: LoadedAccessTest, options: { source?: RightsSource; progress?: (text: string) => void } = {}): Promise<FileResult> {
  const spec = test.doc.spec;
  const workspaces = new Map<string, Workspace>();
  const workspaceAt = (at: string | undefined): Workspace => {
    const key = at ?? '';
    let w = workspaces.get(key);
    if (!w) {
      w = openWorkspace(test.manifests, { catalog: test.catalog, at, adminRights: spec.adminRights }, options.progress);
      const problems = problemLines(w);
      if (problems.length > 0) throw new AccessTestError(problems.map((l) => `${test.file}: spec.manifests: ${l}`));
      workspaces.set(key, w);
    }
    return w;
  };
  const base = workspaceAt(spec.at);
  const engine = base.engine;
  const exercised: Exercised = { users: new Set(), groups: new Set(), collaborations: new Set() };
  const results: CaseResult[] = [];
  let raw: Map<string, Record<string, unknown>> | undefined;

  for (const [index, c] of spec.cases.entries()) {
    options.progress?.(`${test.file}: case ${index + 1}/${spec.cases.length}`);
    const title = caseTitle(c, index);
    const bad = (field: string, message: string): AccessTestError => new AccessTestError([`${test.file}: ${title}: ${field}: ${message}`]);
    const entityOf = (text: string, field: string, w: Workspace): EntityRef => {
      try {
        return parseEntity(text, w.catalog);
      } catch (error) {
        throw bad(field, (error as Error).message);
      }
    };
    /** Every right named must be a right of the entity's kind: a misspelt right would pass every "cannot". */
    const checkRights = (names: readonly string[] | undefined, field: (i: number, right: string) => string, kind: string, w: Workspace): void => {
      const known = new Set(w.engine.sets.rightNames(w.engine.sets.kindRights(kind)));
      names?.forEach((r, i) => {
        if (!known.has(r)) throw bad(field(i, r), `${r} is not a right of kind ${kind} in catalog ${w.catalog.name}`);
      });
    };
    const at = (name: string) => (i: number): string => `${name}[${i}]`;
    const knownUser = (user: string, field: string): void => {
      if (!engine.model.users.has(user)) throw bad(field, `User ${user} is not in the manifests (a misspelt user would pass every "cannot")`);
    };
    /** An Organization or User entity must exist: nobody holds anything on one that does not, so every "cannot" passes. */
    const knownEntity = (entity: EntityRef, field: string, w: Workspace): void => {
      const table = entity.kind === 'Organization' ? w.model.organizations : entity.kind === 'User' ? w.model.users : undefined;
      if (table !== undefined && !table.has(entity.name)) throw bad(field, `${entity.kind} ${entity.name} is not in the manifests (nobody holds anything on it: every "cannot" would pass)`);
    };
    let messages: string[] = [];
    let status: CaseResult['status'] = 'passed';

    if ('check' in c) {
      const k = c;
      const w = workspaceAt(k.check.at ?? spec.at);
      const entity = entityOf(k.check.on, 'check.on', w);
      knownEntity(entity, 'check.on', w);
      knownUser(k.check.user, 'check.user');
      checkRights(k.can, at('can'), entity.kind, w);
      checkRights(k.cannot, at('cannot'), entity.kind, w);
      checkRights(k.rights, at('rights'), entity.kind, w);
      checkRights(Object.keys(k.paths ?? {}), (_i, r) => `paths.${r}`, entity.kind, w);
      exercised.users.add(k.check.user);
      const evaluation = evaluate(w.engine, k.check.user, entity);
      for (const paths of evaluation.paths.values()) for (const p of paths) exercise(exercised, p);
      let held: string[] | undefined = [...w.engine.sets.rightNames(evaluation.rights)];
      if (options.source) {
        if (k.check.at !== undefined || k.paths !== undefined) {
          results.push({ title, status: 'not run', messages: [k.check.at !== undefined ? 'its own time (at): the maps are as of now' : 'paths: the maps do not publish provenance'] });
          continue;
        }
        held = await options.source.rights(k.check.user, k.check.on);
        if (held === undefined) {
          results.push({ title, status: 'failed', messages: [`no permission map covers ${k.check.on}`] });
          continue;
        }
      }
      const has = new Set(held);
      const lacking = (k.can ?? []).filter((r) => !has.has(r));
      if (lacking.length) messages.push(`can: ${k.check.user} does not hold ${list(lacking)} on ${k.check.on}`);
      const extra = (k.cannot ?? []).filter((r) => has.has(r));
      if (extra.length) messages.push(`cannot: ${k.check.user} holds ${list(extra)} on ${k.check.on}`);
      if (k.rights !== undefined) {
        const want = sorted(new Set(k.rights));
        const missing = want.filter((r) => !has.has(r));
        const unexpected = held.filter((r) => !want.includes(r));
        if (missing.length + unexpected.length > 0) messages.push(`rights: expected ${list(want)}; found ${list(held)} (missing: ${list(missing)}; unexpected: ${list(unexpected)})`);
      }
      for (const [right, keys] of Object.entries(k.paths ?? {})) {
        const actual = sorted((evaluation.paths.get(right) ?? []).map(pathKey));
        const want = sorted(new Set(keys));
        if (actual.join('\n') !== want.join('\n')) messages.push(`paths.${right}: expected ${want.length ? want.map((p) => `"${p}"`).join(', ') : '(none)'}; found ${actual.length ? actual.map((p) => `"${p}"`).join(', ') : '(none)'}`);
      }
    } else if ('who' in c) {
      const k = c;
      if (options.source) {
        results.push({ title, status: 'not run', messages: ['who: the maps are per namespace; ask the manifests'] });
        continue;
      }
      const w = workspaceAt(k.who.at ?? spec.at);
      const entity = entityOf(k.who.on, 'who.on', w);
      knownEntity(entity, 'who.on', w);
      if (k.who.right !== undefined) checkRights([k.who.right], () => 'who.right', entity.kind, w);
      const holders = entityAccess(w.engine, entity, k.who.right);
      for (const h of holders) {
        exercised.users.add(h.user);
        for (const paths of evaluate(w.engine, h.user, entity).paths.values()) for (const p of paths) exercise(exercised, p);
      }
      const actual = holders.map((h) => h.user);
      const want = sorted(new Set(k.users));
      if (actual.join(',') !== want.join(',')) {
        messages.push(`users: expected ${list(want)}; found ${list(actual)} (missing: ${list(want.filter((u) => !actual.includes(u)))}; unexpected: ${list(actual.filter((u) => !want.includes(u)))})`);
      }
      for (const [user, via] of Object.entries(k.via ?? {})) {
        const holder = holders.find((h) => h.user === user);
        const expected = (['admin', 'direct', 'group', 'organization', 'self'] as PathCategory[]).filter((v) => via.includes(v));
        if (!holder) messages.push(`via.${user}: ${user} holds nothing there`);
        else if (holder.via.join(',') !== expected.join(',')) messages.push(`via.${user}: expected ${list(expected)}; found ${list(holder.via)}`);
      }
    } else {
      const k = c;
      if (options.source) {
        results.push({ title, status: 'not run', messages: ['admit: judged against the manifests, not the cluster'] });
        continue;
      }
      const w = workspaceAt(k.admit.at ?? spec.at);
      raw ??= rawObjects(test.manifests);
      const request = admissionRequest(k, raw, (field, message) => bad(field, message));
      if (request.requester.user !== undefined && !w.model.users.has(request.requester.user)) {
        throw bad('admit.as', `User ${request.requester.user} is not in the manifests (every change it asks for is denied: an expected denial would test nothing)`);
      }
      if (request.kind === 'Collaboration' && request.object !== undefined) unknownCatalogNames(request.object, w, bad);
      if (request.requester.user !== undefined) exercised.users.add(request.requester.user);
      else for (const u of w.model.users.values()) if (u.identities.includes(request.requester.username)) exercised.users.add(u.name);
      if (request.kind === 'Collaboration') exercised.collaborations.add(`${request.namespace}/${request.name}`);
      if (request.kind === 'UserGroup') exercised.groups.add(request.name);
      if (request.kind === 'User') exercised.users.add(request.name);
      const decision = decide({ engine: w.engine }, request);
      // A denial for these reasons says nothing about the rule a case means to test: bad input, unless it expects that reason.
      const reasons = new Set(decision.denials.map((d) => d.reason));
      if (reasons.has('UnknownRequester') && k.reason !== 'UnknownRequester') {
        throw bad('admit.as', `${k.admit.as} is not an identity of any User in the manifests: every change it asks for is denied (UnknownRequester), so the case would test nothing; expect reason: UnknownRequester if that is what it tests`);
      }
      if (reasons.has('InvalidRequest') && k.reason !== 'InvalidRequest') {
        const message = decision.denials.find((d) => d.reason === 'InvalidRequest')!.message;
        throw bad(k.admit.apply !== undefined ? 'admit.apply' : 'admit.delete', `admission cannot read the request (InvalidRequest: ${message}), so the case would test nothing; expect reason: InvalidRequest if that is what it tests`);
      }
      const said = decision.allowed ? 'allowed' : `denied (${decision.denials.map((d) => `${d.reason}: ${d.message}`).join('; ')})`;
      if (decision.allowed !== k.allowed) messages.push(`allowed: expected ${k.allowed ? 'allowed' : 'denied'}; it was ${said}`);
      else if (!k.allowed && k.reason !== undefined && decision.denials[0]?.reason !== k.reason) messages.push(`reason: expected ${k.reason}; it was ${said}`);
    }
    if (messages.length > 0) status = 'failed';
    results.push({ title, status, messages });
    messages = [];
  }
  options.progress?.('');
  const universe = {
    users: sorted(engine.model.users.keys()),
    groups: sorted(engine.model.groups.keys()),
    collaborations: sorted(engine.model.collaborations.keys()),
  };
  return { file: test.file, cases: results, exercised, universe };
}

/**
 * The rights and role of an applied Collaboration must be the catalog's: a misspelt right is denied (NoEscalation:
 * nobody holds it) or grants nothing, so an expected denial or a "cannot" after it would test nothing.
 */
function unknownCatalogNames(object: unknown, w: Workspace, bad: (field: string, message: string) => Error): void {
  const spec = (object as { spec?: { rights?: unknown; role?: unknown } }).spec;
  const rights = Array.isArray(spec?.rights) ? spec.rights : [];
  rights.forEach((r, i) => {
    if (typeof r === 'string' && !w.catalog.rightIndex.has(r) && !w.catalog.pseudoRights.has(r)) throw bad(`admit.apply.spec.rights[${i}]`, `${r} is not a right of catalog ${w.catalog.name}`);
  });
  if (typeof spec?.role === 'string' && !w.catalog.roles.has(spec.role)) throw bad('admit.apply.spec.role', `${spec.role} is not a role of catalog ${w.catalog.name}`);
}

/** The admission request an `admit` case describes: apply = create or update of what the manifests hold; delete. */
function admissionRequest(k: AdmitCase, raw: Map<string, Record<string, unknown>>, bad: (field: string, message: string) => Error): AdmissionRequest {
  // `User/<name>` names the User directly (as `charter admit --as User/<name>`); anything else is a Kubernetes username.
  const groups = k.admit.asGroups ?? [];
  const requester = k.admit.as.startsWith('User/') ? { username: '', groups, user: k.admit.as.slice('User/'.length) } : { username: k.admit.as, groups };
  if (k.admit.apply !== undefined) {
    const object = k.admit.apply as Record<string, unknown>;
    const kind = object.kind;
    if (!isKindName(kind)) throw bad('admit.apply.kind', `expected one of User, Organization, UserGroup, Collaboration; found ${JSON.stringify(kind)}`);
    const meta = (object.metadata ?? {}) as { name?: unknown; namespace?: unknown };
    if (typeof meta.name !== 'string') throw bad('admit.apply.metadata.name', 'expected the object\'s name');
    if (kind === 'Collaboration' && typeof meta.namespace !== 'string') throw bad('admit.apply.metadata.namespace', 'expected the Collaboration\'s namespace');
    const namespace = kind === 'Collaboration' ? (meta.namespace as string) : undefined;
    const key = namespace === undefined ? `${kind}/${meta.name}` : `${kind}/${namespace}/${meta.name}`;
    const old = raw.get(key);
    return { operation: old ? 'UPDATE' : 'CREATE', kind, name: meta.name, namespace, object, oldObject: old, requester };
  }
  const parts = k.admit.delete!.split('/');
  const kind = parts[0] as KindName;
  if (!isKindName(kind) || parts.length !== (kind === 'Collaboration' ? 3 : 2)) {
    throw bad('admit.delete', `expected <Kind>/<name> or Collaboration/<namespace>/<name>; found ${JSON.stringify(k.admit.delete)}`);
  }
  const old = raw.get(k.admit.delete!);
  if (!old) throw bad('admit.delete', `${k.admit.delete} is not in the manifests`);
  return { operation: 'DELETE', kind, name: parts[parts.length - 1]!, namespace: kind === 'Collaboration' ? parts[1] : undefined, oldObject: old, requester };
}

/** Coverage of one file's manifests by its cases: per kind, what was exercised and what was not. */
export interface Coverage {
  users: { covered: number; total: number; missed: string[] };
  groups: { covered: number; total: number; missed: string[] };
  collaborations: { covered: number; total: number; missed: string[] };
  /** All three together, 0–100 (100 when the manifests hold none). */
  percent: number;
}

export function coverageOf(result: FileResult): Coverage {
  const part = (all: string[], seen: Set<string>) => {
    const missed = all.filter((x) => !seen.has(x));
    return { covered: all.length - missed.length, total: all.length, missed };
  };
  const users = part(result.universe.users, result.exercised.users);
  const groups = part(result.universe.groups, result.exercised.groups);
  const collaborations = part(result.universe.collaborations, result.exercised.collaborations);
  const total = users.total + groups.total + collaborations.total;
  const covered = users.covered + groups.covered + collaborations.covered;
  return { users, groups, collaborations, percent: total === 0 ? 100 : Math.floor((covered * 1000) / total) / 10 };
}
