/** `charter admit` (admission.md §5): every change between two trees judged as the webhook would, from one requester. */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { admissionOptionsOf } from '../../../src/cli/admit.ts';
import { parseConfig } from '../../../src/controller/config.ts';
import { charter } from './support.ts';

const TTS = 'examples/the-things-stack';
let dir: string;
let after: string;

const GRANT = `---
apiVersion: charter.dev/v1alpha1
kind: Collaboration
metadata: { name: c-carol-all, namespace: acme }
spec:
  subject: { kind: User, name: carol }
  target: { kind: Application, name: app1 }
  rights: [RIGHT_APPLICATION_INFO, RIGHT_APPLICATION_DELETE]
`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'charter-admit-'));
  after = join(dir, 'after');
  cpSync(TTS, after, { recursive: true });
  appendFileSync(join(after, 'collaborations-acme.yaml'), GRANT);
  // carol's own grant deleted: revoking LINK.
  const lab = join(after, 'collaborations-acme.yaml');
  writeFileSync(lab, readFileSync(lab, 'utf8').replace(/name: c-carol\n[\s\S]*?rights: \[RIGHT_APPLICATION_LINK\]\n/, 'name: c-carol-moved\n  namespace: acme\nspec:\n  subject: { kind: User, name: carol }\n  target: { kind: Application, name: app2 }\n  rights: [RIGHT_APPLICATION_INFO]\n'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('charter admit', () => {
  test('one line per denial, exit 1', async () => {
    const run = await charter('admit', TTS, after, '--as', 'User/carol');
    expect(run.code).toBe(1);
    const file = join(after, 'collaborations-acme.yaml');
    expect(run.stdout).toContain(`${file}: Collaboration/acme/c-carol-all: NotPermitted: User/carol does not hold RIGHT_APPLICATION_SETTINGS_COLLABORATORS on Application/acme/app1 (managing its collaborators requires it)`);
    expect(run.stdout).toContain(`${file}: Collaboration/acme/c-carol-all: NoEscalation: User/carol does not hold RIGHT_APPLICATION_DELETE on Application/acme/app1 (granting or revoking a right requires holding it)`);
    // The deleted grant is reported against the file it was in before.
    expect(run.stdout.some((l) => l.startsWith(`${join(TTS, 'collaborations-acme.yaml')}: Collaboration/acme/c-carol: NotPermitted: `))).toBe(true);
    expect(run.stderr).toEqual(['3 changes judged as User/carol: 0 allowed, 3 denied']);
  });
  test('a requester holding the rights: exit 0', async () => {
    const run = await charter('admit', TTS, after, '--as', 'User/bob');
    expect(run).toEqual({ code: 0, stdout: [], stderr: ['3 changes judged as User/bob: 3 allowed, 0 denied'] });
  });
  test('--as a Kubernetes username maps through spec.identities; unknown ones are UnknownRequester', async () => {
    const run = await charter('admit', TTS, after, '--as', 'nobody@example.com');
    expect(run.code).toBe(1);
    expect(run.stdout[0]).toMatch(/: UnknownRequester: nobody@example\.com is not an identity of any User/);
  });
  test('--as-groups system:masters is the platform', async () => {
    expect((await charter('admit', TTS, after, '--as', 'ci', '--as-groups', 'ci,system:masters')).code).toBe(0);
  });
  test('-o json lists every change', async () => {
    const run = await charter('admit', TTS, after, '--as', 'User/bob', '-o', 'json');
    const results = JSON.parse(run.stdout.join('\n')) as Array<{ object: string; operation: string; allowed: boolean }>;
    expect(results.map((r) => [r.object, r.operation, r.allowed])).toEqual([
      ['Collaboration/acme/c-carol', 'DELETE', true],
      ['Collaboration/acme/c-carol-all', 'CREATE', true],
      ['Collaboration/acme/c-carol-moved', 'CREATE', true],
    ]);
  });
  test('a User\'s own displayName edit in a file passes; a finalizer on it is for admins (AdminOnly)', async () => {
    const renamed = join(dir, 'renamed');
    cpSync(TTS, renamed, { recursive: true });
    const users = join(renamed, 'users.yaml');
    writeFileSync(users, readFileSync(users, 'utf8').replace('  name: carol\nspec:\n  identities: [carol@example.com]\n  displayName: Carol\n', '  name: carol\nspec:\n  identities: [carol@example.com]\n  displayName: Carol C.\n'));
    expect(await charter('admit', TTS, renamed, '--as', 'User/carol')).toEqual({ code: 0, stdout: [], stderr: ['1 changes judged as User/carol: 1 allowed, 0 denied'] });
    const kept = join(dir, 'kept');
    cpSync(TTS, kept, { recursive: true });
    writeFileSync(join(kept, 'users.yaml'), readFileSync(join(kept, 'users.yaml'), 'utf8').replace('  name: carol\nspec:', '  name: carol\n  finalizers: [carol.example.com/keep]\nspec:'));
    const run = await charter('admit', TTS, kept, '--as', 'User/carol');
    expect(run.stdout).toEqual([`${join(kept, 'users.yaml')}: User/carol: AdminOnly: metadata.finalizers of User/carol is changed by admins only`]);
    expect(run.code).toBe(1);
  });
  test('identical trees: nothing to judge, exit 0', async () => {
    expect(await charter('admit', TTS, TTS, '--as', 'User/carol')).toEqual({ code: 0, stdout: [], stderr: ['0 changes judged as User/carol: 0 allowed, 0 denied'] });
  });
  test('bad input: exit 2', async () => {
    expect((await charter('admit', TTS, join(dir, 'missing'), '--as', 'User/bob')).code).toBe(2);
    expect((await charter('admit', TTS, after)).code).toBe(2);
    expect((await charter('admit', TTS, after, '--as', 'User/Not_A_Name')).code).toBe(2);
    const broken = join(dir, 'broken');
    cpSync(TTS, broken, { recursive: true });
    appendFileSync(join(broken, 'users.yaml'), '---\napiVersion: charter.dev/v1alpha1\nkind: User\nmetadata: { name: x }\nspec: { state: Sleeping }\n');
    const run = await charter('admit', TTS, broken, '--as', 'User/bob');
    expect(run.code).toBe(2);
    expect(run.stderr.join('\n')).toMatch(/users\.yaml: User\/x: spec\.state/);
  });
});

describe('charter admit sees every field a request is about, and the options that change decisions', () => {
  const copy = (name: string, edit: (text: string) => string, file = 'users.yaml'): string => {
    const tree = join(dir, name);
    cpSync(TTS, tree, { recursive: true });
    writeFileSync(join(tree, file), edit(readFileSync(join(tree, file), 'utf8')));
    return tree;
  };

  test('a label on one\'s own User is for admins (AdminOnly metadata.labels), and here puts ivan in a group granting what he does not hold', async () => {
    const labelled = copy('labelled', (t) => t.replace('  name: ivan\nspec:', '  name: ivan\n  labels: {team: iot}\nspec:'));
    const run = await charter('admit', TTS, labelled, '--as', 'ivan@example.com');
    expect(run.code).toBe(1);
    const users = join(labelled, 'users.yaml');
    expect(run.stdout).toEqual([
      `${users}: User/ivan: NoEscalation: User/ivan does not hold RIGHT_APPLICATION_INFO, RIGHT_APPLICATION_TRAFFIC_READ on Application/lab/sensor-hub (granting or revoking a right requires holding it; UserGroup/iot-team gains members and Collaboration/lab/c-iot-team-sensor-hub grants it)`,
      `${users}: User/ivan: AdminOnly: metadata.labels of User/ivan is changed by admins only`,
    ]);
  });

  test('annotations and ownerReferences on one\'s own User are for admins', async () => {
    const annotated = copy('annotated', (t) => t.replace('  name: ivan\nspec:', '  name: ivan\n  annotations: {note: hi}\nspec:'));
    expect((await charter('admit', TTS, annotated, '--as', 'ivan@example.com')).stdout).toEqual([`${join(annotated, 'users.yaml')}: User/ivan: AdminOnly: metadata.annotations[note] of User/ivan is changed by admins only`]);
    const owned = copy('owned', (t) => t.replace('  name: ivan\nspec:', '  name: ivan\n  ownerReferences: [{apiVersion: v1, kind: ConfigMap, name: x, uid: "1234"}]\nspec:'));
    const run = await charter('admit', TTS, owned, '--as', 'ivan@example.com');
    expect(run.stdout).toEqual([`${join(owned, 'users.yaml')}: User/ivan: AdminOnly: metadata.ownerReferences of User/ivan is changed by admins only`]);
    expect(run.code).toBe(1);
  });

  test('--at: a grant made with a membership that has expired by then is denied', async () => {
    const member = (name: string, expires: string): string =>
      `---\napiVersion: charter.dev/v1alpha1\nkind: Collaboration\nmetadata: { name: m-${name}, namespace: acme }\nspec:\n  subject: { kind: User, name: ${name} }\n  target: { kind: Organization, name: acme }\n  rights: [RIGHT_ALL]\n${expires}`;
    const before = copy('expiring', (t) => t + member('carol', '  expiresAt: "2027-01-01T00:00:00Z"\n'), 'collaborations-acme.yaml');
    const after = join(dir, 'expiring-after');
    cpSync(before, after, { recursive: true });
    appendFileSync(join(after, 'collaborations-acme.yaml'), GRANT.replace('c-carol-all', 'c-carol-app1').replace('User, name: carol', 'User, name: erin').replace('RIGHT_APPLICATION_INFO, RIGHT_APPLICATION_DELETE', 'RIGHT_APPLICATION_INFO'));
    expect(await charter('admit', before, after, '--as', 'carol@example.com', '--at', '2026-12-31T23:59:59Z')).toEqual({ code: 0, stdout: [], stderr: ['1 changes judged as User/carol: 1 allowed, 0 denied'] });
    const late = await charter('admit', before, after, '--as', 'carol@example.com', '--at', '2027-01-01T00:00:00Z');
    expect(late.code).toBe(1);
    expect(late.stdout).toContain(`${join(after, 'collaborations-acme.yaml')}: Collaboration/acme/c-carol-app1: NotPermitted: User/carol does not hold RIGHT_APPLICATION_SETTINGS_COLLABORATORS on Application/acme/app1 (managing its collaborators requires it)`);
  });

  test('--admin-rights: an admin may not grant a _KEYS right under the default, and may with all', async () => {
    const keys = join(dir, 'keys');
    cpSync(TTS, keys, { recursive: true });
    appendFileSync(join(keys, 'collaborations-acme.yaml'), GRANT.replace('c-carol-all', 'c-erin-keys').replace('User, name: carol', 'User, name: erin').replace('RIGHT_APPLICATION_INFO, RIGHT_APPLICATION_DELETE', 'RIGHT_APPLICATION_DEVICES_READ_KEYS'));
    const run = await charter('admit', TTS, keys, '--as', 'root@example.com');
    expect(run.stdout).toEqual([`${join(keys, 'collaborations-acme.yaml')}: Collaboration/acme/c-erin-keys: NoEscalation: User/root does not hold RIGHT_APPLICATION_DEVICES_READ_KEYS on Application/acme/app1 (granting or revoking a right requires holding it)`]);
    expect(run.code).toBe(1);
    expect((await charter('admit', TTS, keys, '--as', 'root@example.com', '--admin-rights', 'all')).code).toBe(0);
  });
});

describe('charter admit takes the operator\'s admission flags (same names, same defaults)', () => {
  const register = (): string => {
    const tree = join(dir, 'register');
    cpSync(TTS, tree, { recursive: true });
    appendFileSync(join(tree, 'users.yaml'), '---\napiVersion: charter.dev/v1alpha1\nkind: User\nmetadata: { name: nora }\nspec: { identities: [nora@example.com], state: Requested }\n');
    return tree;
  };

  test('--admission-self-registration: on by default; false turns it off as on the operator', async () => {
    const tree = register();
    expect((await charter('admit', TTS, tree, '--as', 'nora@example.com')).code).toBe(0);
    expect((await charter('admit', TTS, tree, '--as', 'nora@example.com', '--admission-self-registration')).code).toBe(0);
    const off = await charter('admit', TTS, tree, '--as', 'nora@example.com', '--admission-self-registration', 'false');
    expect(off.stdout).toEqual([`${join(tree, 'users.yaml')}: User/nora: UnknownRequester: nora@example.com is not an identity of any User, and self-registration is turned off`]);
    expect(off.code).toBe(1);
    expect((await charter('admit', TTS, tree, '--as', 'nora@example.com', '--admission-self-registration', 'maybe')).code).toBe(2);
  });

  test('--admission-bypass-users and --admission-bypass-groups: the platform\'s identities, "" for none', async () => {
    expect((await charter('admit', TTS, after, '--as', 'ci-bot')).code).toBe(1);
    expect(await charter('admit', TTS, after, '--as', 'ci-bot', '--admission-bypass-users', 'argocd, ci-bot')).toEqual({ code: 0, stdout: [], stderr: ['3 changes judged as platform: 3 allowed, 0 denied'] });
    // The defaults: the controller manager, system:masters and kube-system's service accounts.
    expect((await charter('admit', TTS, after, '--as', 'system:kube-controller-manager')).code).toBe(0);
    expect((await charter('admit', TTS, after, '--as', 'system:kube-controller-manager', '--admission-bypass-users', '')).code).toBe(1);
    expect((await charter('admit', TTS, after, '--as', 'ci', '--as-groups', 'system:masters', '--admission-bypass-groups', '')).code).toBe(1);
    expect((await charter('admit', TTS, after, '--as', 'ci', '--as-groups', 'ci-runners', '--admission-bypass-groups', 'ci-runners')).code).toBe(0);
  });

  test('the same values give the same options as the operator\'s parse', () => {
    // Each flag as the operator takes it, and as commander hands it to admit (a bare boolean flag is true).
    const cases: Array<[string[], Parameters<typeof admissionOptionsOf>[0]]> = [
      [[], {}],
      [['--admission-bypass-users', ''], { admissionBypassUsers: '' }],
      [['--admission-bypass-users', 'a, b,,c'], { admissionBypassUsers: 'a, b,,c' }],
      [['--admission-bypass-groups', 'g'], { admissionBypassGroups: 'g' }],
      [['--admission-self-registration'], { admissionSelfRegistration: true }],
      [['--admission-self-registration', 'off'], { admissionSelfRegistration: 'off' }],
      [['--admission-self-registration', 'YES'], { admissionSelfRegistration: 'YES' }],
    ];
    for (const [flags, admitFlags] of cases) {
      const operator = parseConfig(flags, {}).admission;
      expect(admissionOptionsOf(admitFlags)).toEqual({ bypassUsers: operator.bypassUsers, bypassGroups: operator.bypassGroups, selfRegistration: operator.selfRegistration });
    }
  });
});
