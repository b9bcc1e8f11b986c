/** `charter admit` (admission.md §5): every change between two trees judged as the webhook would, from one requester. */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
