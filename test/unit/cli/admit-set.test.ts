/**
 * `charter admit` judges a set of changes, not each change alone: every change is judged against <before> (admission.md
 * §5) AND against the state where every other change of the set is applied (docs/admission.md §GitOps). Without the
 * second judgement, deleting both full members of an organization, demoting both admins, or giving up one's rights in
 * one file while using them in another all passed, each change being fine on its own.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_ADMISSION_OPTIONS } from '../../../src/admission/decide.ts';
import { admitChanges, judgeChanges, requesterOf } from '../../../src/cli/admit.ts';
import { openWorkspace } from '../../../src/cli/workspace.ts';
import { loadManifests } from '../../../src/model/load-manifests.ts';
import { charter } from './support.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'charter-admit-set-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const user = (name: string, admin = false): string => `apiVersion: charter.dev/v1alpha1\nkind: User\nmetadata: { name: ${name} }\nspec: { identities: [${name}@x], admin: ${admin} }\n`;
const org = (name: string): string => `apiVersion: charter.dev/v1alpha1\nkind: Organization\nmetadata: { name: ${name} }\nspec: { namespaces: [${name}] }\n`;
const grant = (name: string, ns: string, subject: string, target: string, rights: string[]): string =>
  `apiVersion: charter.dev/v1alpha1\nkind: Collaboration\nmetadata: { name: ${name}, namespace: ${ns} }\nspec:\n  subject: { kind: User, name: ${subject} }\n  target: { ${target} }\n  rights: [${rights.join(', ')}]\n`;
const membership = (subject: string, rights: string[], organization = 'acme'): string => grant(`m-${subject}`, organization, subject, `kind: Organization, name: ${organization}`, rights);

let trees = 0;
/** A tree of files (name → documents), written under a fresh folder. */
function tree(files: Record<string, string[]>): string {
  const root = join(dir, `t${trees++}`);
  mkdirSync(root);
  for (const [file, docs] of Object.entries(files)) writeFileSync(join(root, file), docs.join('---\n'));
  return root;
}

/** acme with two full members (o1, o2), carol and dave without rights, root and a2 admins. */
const BASE = {
  users: [user('o1'), user('o2'), user('carol'), user('dave'), user('root', true), user('a2', true)],
  acme: [org('acme'), membership('o1', ['RIGHT_ALL']), membership('o2', ['RIGHT_ALL'])],
};
const OTHERS = '(with the other changes of this set applied)';

describe('charter admit: the set of changes', () => {
  test('both RIGHT_ALL memberships deleted: LastOwner, though each deletion alone leaves an owner', async () => {
    const before = tree({ 'users.yaml': BASE.users, 'acme.yaml': BASE.acme });
    const after = tree({ 'users.yaml': BASE.users, 'acme.yaml': [org('acme')] });
    const run = await charter('admit', before, after, '--as', 'o1@x');
    expect(run.code).toBe(1);
    const acme = join(before, 'acme.yaml');
    expect(run.stdout).toContain(`${acme}: Collaboration/acme/m-o1: LastOwner: Organization/acme would be left without a member holding every Organization right (an organization keeps at least one) ${OTHERS}`);
    expect(run.stdout).toContain(`${acme}: Collaboration/acme/m-o2: LastOwner: Organization/acme would be left without a member holding every Organization right (an organization keeps at least one) ${OTHERS}`);
    expect(run.stderr).toEqual(['2 changes judged as User/o1: 0 allowed, 2 denied']);
    // Each deletion alone is allowed.
    const one = tree({ 'users.yaml': BASE.users, 'acme.yaml': [org('acme'), membership('o1', ['RIGHT_ALL'])] });
    expect((await charter('admit', before, one, '--as', 'o1@x')).code).toBe(0);
  });

  test('both admins demoted: LastAdmin', async () => {
    const before = tree({ 'users.yaml': [user('a1', true), user('a2', true)] });
    const after = tree({ 'users.yaml': [user('a1'), user('a2')] });
    const run = await charter('admit', before, after, '--as', 'a1@x');
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`${join(after, 'users.yaml')}: User/a1: LastAdmin: User/a1 is the last admin (admin: true, state: Approved); demoting it would leave none ${OTHERS}`);
    expect(run.stdout.some((l) => l.includes('User/a2: LastAdmin: ') && l.endsWith(OTHERS))).toBe(true);
    // One of two demoted: allowed.
    expect((await charter('admit', before, tree({ 'users.yaml': [user('a1', true), user('a2')] }), '--as', 'a1@x')).code).toBe(0);
  });

  test('a requester demoting themselves in one file may not grant with the old rights in another', async () => {
    const before = tree({ 'users.yaml': BASE.users, 'acme.yaml': BASE.acme });
    const after = tree({
      'users.yaml': BASE.users,
      'acme.yaml': [org('acme'), membership('o1', ['RIGHT_ORGANIZATION_INFO']), membership('o2', ['RIGHT_ALL'])],
      'grants.yaml': [grant('c-carol', 'acme', 'carol', 'kind: Application, name: app1', ['RIGHT_APPLICATION_INFO'])],
    });
    const run = await charter('admit', before, after, '--as', 'o1@x');
    expect(run.code).toBe(1);
    expect(run.stdout).toEqual([
      `${join(after, 'grants.yaml')}: Collaboration/acme/c-carol: NotPermitted: User/o1 does not hold RIGHT_APPLICATION_SETTINGS_COLLABORATORS on Application/acme/app1 (managing its collaborators requires it) ${OTHERS}`,
      `${join(after, 'grants.yaml')}: Collaboration/acme/c-carol: NoEscalation: User/o1 does not hold RIGHT_APPLICATION_INFO on Application/acme/app1 (granting or revoking a right requires holding it) ${OTHERS}`,
    ]);
    // The grant alone, without the demotion: allowed.
    const grantOnly = tree({ 'users.yaml': BASE.users, 'acme.yaml': BASE.acme, 'grants.yaml': [grant('c-carol', 'acme', 'carol', 'kind: Application, name: app1', ['RIGHT_APPLICATION_INFO'])] });
    expect((await charter('admit', before, grantOnly, '--as', 'o1@x')).code).toBe(0);
  });

  test('everyday sets stay allowed: one owner of two removed; a member added and granted together; an org created with its first membership by an admin', async () => {
    const before = tree({ 'users.yaml': BASE.users, 'acme.yaml': BASE.acme });
    const removeOne = tree({ 'users.yaml': BASE.users, 'acme.yaml': [org('acme'), membership('o1', ['RIGHT_ALL'])] });
    expect(await charter('admit', before, removeOne, '--as', 'o1@x')).toEqual({ code: 0, stdout: [], stderr: ['1 changes judged as User/o1: 1 allowed, 0 denied'] });
    const addAndGrant = tree({
      'users.yaml': BASE.users,
      'acme.yaml': [...BASE.acme, membership('carol', ['RIGHT_APPLICATION_INFO'])],
      'grants.yaml': [grant('c-carol', 'acme', 'carol', 'kind: Application, name: app1', ['RIGHT_APPLICATION_LINK'])],
    });
    expect(await charter('admit', before, addAndGrant, '--as', 'o1@x')).toEqual({ code: 0, stdout: [], stderr: ['2 changes judged as User/o1: 2 allowed, 0 denied'] });
    // An admin adds a new User and makes them a member of acme, in one set.
    const newMember = tree({ 'users.yaml': [...BASE.users, user('erin')], 'acme.yaml': [...BASE.acme, membership('erin', ['RIGHT_APPLICATION_INFO'])] });
    expect(await charter('admit', before, newMember, '--as', 'root@x')).toEqual({ code: 0, stdout: [], stderr: ['2 changes judged as User/root: 2 allowed, 0 denied'] });
    const newOrg = tree({ 'users.yaml': BASE.users, 'acme.yaml': BASE.acme, 'beta.yaml': [org('beta'), membership('dave', ['RIGHT_ORGANIZATION_INFO', 'RIGHT_ORGANIZATION_SETTINGS_MEMBERS'], 'beta')] });
    expect(await charter('admit', before, newOrg, '--as', 'root@x')).toEqual({ code: 0, stdout: [], stderr: ['2 changes judged as User/root: 2 allowed, 0 denied'] });
  });

  test('stricter than the cluster, as documented: renaming one\'s own membership is denied (the creation is judged without either)', async () => {
    const before = tree({ 'users.yaml': BASE.users, 'acme.yaml': BASE.acme });
    const after = tree({ 'users.yaml': BASE.users, 'acme.yaml': [org('acme'), grant('m-o1-2', 'acme', 'o1', 'kind: Organization, name: acme', ['RIGHT_ALL']), membership('o2', ['RIGHT_ALL'])] });
    const run = await charter('admit', before, after, '--as', 'o1@x');
    expect(run.code).toBe(1);
    expect(run.stdout[0]).toBe(`${join(after, 'acme.yaml')}: Collaboration/acme/m-o1-2: NotPermitted: User/o1 does not hold RIGHT_ORGANIZATION_SETTINGS_MEMBERS on Organization/acme (managing its members requires it) ${OTHERS}`);
    expect(run.stderr).toEqual(['2 changes judged as User/o1: 1 allowed, 1 denied']);
  });

  test('the judgement brings <before>\'s engine to <after> and puts it back: judged again, the same answers', () => {
    const before = tree({ 'users.yaml': BASE.users, 'acme.yaml': BASE.acme });
    const after = tree({ 'users.yaml': [...BASE.users.slice(0, 4), user('root'), user('a2', true)], 'acme.yaml': [org('acme'), membership('o1', ['RIGHT_ORGANIZATION_INFO'])], 'grants.yaml': [grant('c-carol', 'acme', 'carol', 'kind: Application, name: app1', ['RIGHT_APPLICATION_INFO'])] });
    const workspace = openWorkspace([before], {});
    const loaded = loadManifests([after]);
    const objects = (): string[] => [...workspace.engine.model.collaborations.keys(), ...[...workspace.engine.model.users.values()].map((u) => `${u.name}:${u.admin}`)].sort();
    const was = objects();
    const first = judgeChanges(workspace, loaded, requesterOf('o1@x', undefined), DEFAULT_ADMISSION_OPTIONS);
    expect(first.filter((r) => !r.allowed).length).toBeGreaterThan(0);
    expect(objects()).toEqual(was);
    expect(judgeChanges(workspace, loaded, requesterOf('o1@x', undefined), DEFAULT_ADMISSION_OPTIONS)).toEqual(first);
  });

  test('property: whenever admit allows a set, an organization that had a full member keeps one, and an admin remains when there was one', () => {
    const MASKS = [['RIGHT_ALL'], ['RIGHT_ORGANIZATION_SETTINGS_MEMBERS', 'RIGHT_ORGANIZATION_INFO', 'RIGHT_APPLICATION_ALL'], ['RIGHT_ORGANIZATION_INFO']];
    const USERS = ['u0', 'u1', 'u2', 'u3'];
    // Per user: admin or not; per user: no membership of acme, or one with a mask.
    const state = fc.record({ admins: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), masks: fc.array(fc.integer({ min: -1, max: MASKS.length - 1 }), { minLength: 4, maxLength: 4 }) });
    type State = { admins: boolean[]; masks: number[] };
    const write = (s: State): string =>
      tree({
        'users.yaml': USERS.map((u, i) => user(u, s.admins[i])),
        'acme.yaml': [org('acme'), ...USERS.flatMap((u, i) => (s.masks[i]! >= 0 ? [membership(u, MASKS[s.masks[i]!]!)] : []))],
      });
    const hasOwner = (s: State): boolean => s.masks.some((m) => m === 0);
    const hasAdmin = (s: State): boolean => s.admins.some((a) => a);
    let allowedSets = 0;
    fc.assert(
      fc.property(state, state, fc.integer({ min: 0, max: 3 }), (b, a, who) => {
        const results = admitChanges(write(b), write(a), { as: `${USERS[who]}@x` }, { out: () => {}, err: () => {} });
        if (!results || results.some((r) => !r.allowed)) return;
        allowedSets++;
        if (hasOwner(b)) expect(hasOwner(a)).toBe(true);
        if (hasAdmin(b)) expect(hasAdmin(a)).toBe(true);
      }),
      { numRuns: 300, seed: 13 },
    );
    expect(allowedSets).toBeGreaterThan(10); // the property is not vacuous
  });
});
