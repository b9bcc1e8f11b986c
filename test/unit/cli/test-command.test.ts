/**
 * `charter test`: access test files run offline; the summary line is exactly `N passed, N failed` (last line), exit 1
 * on a failing case or coverage below --min-coverage, exit 2 on bad input naming the file, the case and the field.
 * Each class of bad input has a case here; a property test holds that a check passes exactly when evaluate agrees.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { charter } from './support.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'charter-test-'));
  writeFileSync(join(dir, 'objects.yaml'), MANIFESTS);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MANIFESTS = `apiVersion: charter.dev/v1alpha1
kind: Organization
metadata: { name: acme }
spec: { namespaces: [acme] }
---
apiVersion: charter.dev/v1alpha1
kind: User
metadata: { name: alice }
---
apiVersion: charter.dev/v1alpha1
kind: User
metadata: { name: bob }
---
apiVersion: charter.dev/v1alpha1
kind: UserGroup
metadata: { name: devs }
spec: { members: { users: [bob] } }
---
apiVersion: charter.dev/v1alpha1
kind: Collaboration
metadata: { name: m-alice, namespace: acme }
spec:
  subject: { kind: User, name: alice }
  target: { kind: Organization, name: acme }
  rights: [RIGHT_APPLICATION_INFO]
---
apiVersion: charter.dev/v1alpha1
kind: Collaboration
metadata: { name: c-devs, namespace: acme }
spec:
  subject: { kind: UserGroup, name: devs }
  target: { kind: Application, name: app1 }
  rights: [RIGHT_APPLICATION_LINK]
  expiresAt: "2027-01-01T00:00:00Z"
`;

let n = 0;
/** Writes a test file (a document, or raw text) beside the manifests; returns its path. */
function file(doc: unknown): string {
  const path = join(dir, `t${n++}.yaml`);
  writeFileSync(path, typeof doc === 'string' ? doc : stringify(doc));
  return path;
}
const suite = (cases: unknown[], spec: Record<string, unknown> = {}): Record<string, unknown> => ({
  apiVersion: 'charter.dev/v1alpha1',
  kind: 'AccessTest',
  spec: { manifests: ['objects.yaml'], at: '2026-06-01T00:00:00Z', ...spec, cases },
});

describe('passing and failing cases', () => {
  test('every kind of case passes; the last line is exactly "N passed, N failed"', async () => {
    const path = file(
      suite([
        { check: { user: 'alice', on: 'Application/acme/app1' }, rights: ['RIGHT_APPLICATION_INFO'] },
        { check: { user: 'bob', on: 'Application/acme/app1' }, can: ['RIGHT_APPLICATION_LINK'], cannot: ['RIGHT_APPLICATION_DELETE'] },
        { check: { user: 'bob', on: 'Application/acme/app1', at: '2027-01-01T00:00:00Z' }, rights: [] },
        { check: { user: 'bob', on: 'Application/acme/app1' }, paths: { RIGHT_APPLICATION_LINK: ['group Collaboration/acme/c-devs via UserGroup/devs'] } },
        { check: { user: 'alice', on: 'Application/acme/app9' }, paths: { RIGHT_APPLICATION_INFO: ['organization Organization/acme by ownership through Collaboration/acme/m-alice'] } },
        { who: { on: 'Application/acme/app1' }, users: ['alice', 'bob'], via: { alice: ['organization'], bob: ['group'] } },
        { who: { on: 'Application/acme/app1', right: 'RIGHT_APPLICATION_LINK' }, users: ['bob'] },
        { admit: { as: 'root', asGroups: ['system:masters'], delete: 'Collaboration/acme/c-devs' }, allowed: true },
      ]),
    );
    const run = await charter('test', path);
    expect(run).toEqual({ code: 0, stdout: ['8 passed, 0 failed'], stderr: [] });
  });
  test('failures say why, per expectation; exit 1', async () => {
    const path = file(
      suite([
        { name: 'too much', check: { user: 'bob', on: 'Application/acme/app1' }, can: ['RIGHT_APPLICATION_DELETE'], cannot: ['RIGHT_APPLICATION_LINK'] },
        { check: { user: 'bob', on: 'Application/acme/app1' }, rights: ['RIGHT_APPLICATION_INFO'] },
        { check: { user: 'bob', on: 'Application/acme/app1' }, paths: { RIGHT_APPLICATION_LINK: ['direct Collaboration/acme/c-devs'] } },
        { who: { on: 'Application/acme/app1' }, users: ['bob'], via: { bob: ['direct'] } },
        { admit: { as: 'User/bob', delete: 'Collaboration/acme/c-devs' }, allowed: true },
        { admit: { as: 'root', asGroups: ['system:masters'], delete: 'Collaboration/acme/c-devs' }, allowed: false },
      ]),
    );
    const run = await charter('test', path);
    expect(run.code).toBe(1);
    expect(run.stdout).toEqual([
      `FAIL ${path}: cases[0] (too much)`,
      '  can: bob does not hold RIGHT_APPLICATION_DELETE on Application/acme/app1',
      '  cannot: bob holds RIGHT_APPLICATION_LINK on Application/acme/app1',
      `FAIL ${path}: cases[1] (bob on Application/acme/app1)`,
      '  rights: expected RIGHT_APPLICATION_INFO; found RIGHT_APPLICATION_INFO, RIGHT_APPLICATION_LINK, RIGHT_APPLICATION_TRAFFIC_DOWN_WRITE, RIGHT_APPLICATION_TRAFFIC_READ (missing: (none); unexpected: RIGHT_APPLICATION_LINK, RIGHT_APPLICATION_TRAFFIC_DOWN_WRITE, RIGHT_APPLICATION_TRAFFIC_READ)',
      `FAIL ${path}: cases[2] (bob on Application/acme/app1)`,
      '  paths.RIGHT_APPLICATION_LINK: expected "direct Collaboration/acme/c-devs"; found "group Collaboration/acme/c-devs via UserGroup/devs"',
      `FAIL ${path}: cases[3] (who on Application/acme/app1)`,
      '  users: expected bob; found alice, bob (missing: (none); unexpected: alice)',
      '  via.bob: expected direct; found group',
      `FAIL ${path}: cases[4]`,
      expect.stringMatching(/^ {2}allowed: expected allowed; it was denied \(NotPermitted: /),
      `FAIL ${path}: cases[5]`,
      '  allowed: expected denied; it was allowed',
      '0 passed, 6 failed',
    ]);
  });
});

describe('manifests in a List', () => {
  test('an admit case deletes an object that a List item defines (the request carries it as oldObject)', async () => {
    writeFileSync(
      join(dir, 'list-objects.yaml'),
      `${MANIFESTS}---\napiVersion: v1\nkind: List\nitems:\n- { apiVersion: charter.dev/v1alpha1, kind: Collaboration, metadata: { name: c-listed, namespace: acme }, spec: { subject: { kind: User, name: bob }, target: { kind: Application, name: app2 }, rights: [RIGHT_APPLICATION_INFO] } }\n`,
    );
    const path = file(suite([{ admit: { as: 'root', asGroups: ['system:masters'], delete: 'Collaboration/acme/c-listed' }, allowed: true }], { manifests: ['list-objects.yaml'] }));
    expect(await charter('test', path)).toEqual({ code: 0, stdout: ['1 passed, 0 failed'], stderr: [] });
  });
});

describe('an admit case checks the expected reason', () => {
  test('a denial for another reason than the one expected fails; the right reason passes', async () => {
    const denied = { as: 'User/bob', delete: 'Collaboration/acme/c-devs' };
    const path = file(suite([{ admit: denied, allowed: false, reason: 'LastOwner' }, { admit: denied, allowed: false, reason: 'NotPermitted' }]));
    const run = await charter('test', path);
    expect(run.code).toBe(1);
    expect(run.stdout).toEqual([`FAIL ${path}: cases[0]`, expect.stringMatching(/^ {2}reason: expected LastOwner; it was denied \(NotPermitted: /), '1 passed, 1 failed']);
  });
});

describe('bad input: exit 2, naming the file, the case and the field', () => {
  const bad = async (doc: unknown, ...args: string[]): Promise<string> => {
    const path = file(doc);
    const run = await charter('test', path, ...args);
    expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 2, stdout: [] });
    return run.stderr.join('\n').replaceAll(path, 'FILE');
  };
  const check = { check: { user: 'bob', on: 'Application/acme/app1' }, can: ['RIGHT_APPLICATION_LINK'] };
  test('unreadable file, invalid YAML, not an AccessTest', async () => {
    expect((await charter('test', join(dir, 'nope.yaml'))).stderr).toEqual([`${join(dir, 'nope.yaml')}: cannot be read: ENOENT`]);
    expect(await bad('a: [1\n')).toMatch(/^FILE: not valid YAML: /);
    expect(await bad({ apiVersion: 'charter.dev/v1alpha1', kind: 'Test', spec: { manifests: ['x'], cases: [check] } })).toBe('FILE: kind: expected "AccessTest"; found "Test"');
  });
  test('a case: an unknown field, a wrong type, none or two of check/who/admit, no expectation', async () => {
    expect(await bad(suite([{ ...check, cna: [] }]))).toBe('FILE: cases[0] (bob on Application/acme/app1): cna: unknown field (not in the schema)');
    expect(await bad(suite([{ check: { user: 'bob', on: 'Application/acme/app1' }, can: 'RIGHT_APPLICATION_LINK' }]))).toBe('FILE: cases[0] (bob on Application/acme/app1): can: expected array; found "RIGHT_APPLICATION_LINK"');
    expect(await bad(suite([{ can: [] }]))).toBe('FILE: cases[0]: expected exactly one of check, who, admit; found none');
    expect(await bad(suite([{ ...check, who: { on: 'Organization/acme' } }]))).toBe('FILE: cases[0] (bob on Application/acme/app1): expected exactly one of check, who, admit; found check, who');
    expect(await bad(suite([{ check: { user: 'bob', on: 'Application/acme/app1' } }]))).toBe('FILE: cases[0] (bob on Application/acme/app1): (case): expected at least one of can, cannot, rights, paths; found none');
    expect(await bad(suite([{ admit: { as: 'x', delete: 'User/bob', apply: { apiVersion: 'charter.dev/v1alpha1', kind: 'User', metadata: { name: 'x' } } }, allowed: true }]))).toBe('FILE: cases[0]: admit: expected exactly one of apply, delete');
  });
  test('names that do not resolve: a right of another kind, a misspelt right or user, an entity of no kind', async () => {
    expect(await bad(suite([{ ...check, cannot: ['RIGHT_GATEWAY_INFO'] }]))).toBe('FILE: cases[0] (bob on Application/acme/app1): cannot[0]: RIGHT_GATEWAY_INFO is not a right of kind Application in catalog the-things-stack');
    expect(await bad(suite([{ ...check, can: ['RIGHT_APPLICATION_LNK'] }]))).toContain('can[0]: RIGHT_APPLICATION_LNK is not a right of kind Application');
    expect(await bad(suite([{ ...check, paths: { RIGHT_APPLICATION_LNK: [] } }]))).toContain('paths.RIGHT_APPLICATION_LNK: RIGHT_APPLICATION_LNK is not a right of kind Application');
    expect(await bad(suite([{ check: { user: 'bbo', on: 'Application/acme/app1' }, cannot: ['RIGHT_APPLICATION_LINK'] }]))).toContain('check.user: User bbo is not in the manifests');
    expect(await bad(suite([{ check: { user: 'bob', on: 'Widget/acme/w' }, rights: [] }]))).toContain('check.on: Entity "Widget/acme/w": expected a kind of the catalog');
    expect(await bad(suite([{ who: { on: 'Application/acme/app1', right: 'RIGHT_NOPE' }, users: [] }]))).toContain('who.right: RIGHT_NOPE is not a right of kind Application');
  });
  test('admit: a deleted object the manifests lack, an object of another kind', async () => {
    expect(await bad(suite([{ admit: { as: 'x', delete: 'Collaboration/acme/nope' }, allowed: false }]))).toBe('FILE: cases[0]: admit.delete: Collaboration/acme/nope is not in the manifests');
    expect(await bad(suite([{ admit: { as: 'x', delete: 'Collaboration/nope' }, allowed: false }]))).toContain('admit.delete: expected <Kind>/<name> or Collaboration/<namespace>/<name>');
    expect(await bad(suite([{ admit: { as: 'x', apply: { apiVersion: 'charter.dev/v1alpha1', kind: 'Widget', metadata: { name: 'w' } } }, allowed: false }]))).toContain('admit.apply.kind: expected one of');
  });
  test('expectations that test nothing: an unknown requester, an object admission cannot read, a misspelt right applied, a missing Organization or User, empty lists', async () => {
    const grant = (spec: Record<string, unknown>): Record<string, unknown> => ({ apiVersion: 'charter.dev/v1alpha1', kind: 'Collaboration', metadata: { name: 'c-new', namespace: 'acme' }, spec });
    const toBob = { subject: { kind: 'User', name: 'bob' }, target: { kind: 'Organization', name: 'acme' } };
    expect(await bad(suite([{ admit: { as: 'User/bbo', delete: 'Collaboration/acme/c-devs' }, allowed: false }]))).toBe(
      'FILE: cases[0]: admit.as: User bbo is not in the manifests (every change it asks for is denied: an expected denial would test nothing)',
    );
    expect(await bad(suite([{ admit: { as: 'bob@example.com', delete: 'Collaboration/acme/c-devs' }, allowed: false }]))).toBe(
      'FILE: cases[0]: admit.as: bob@example.com is not an identity of any User in the manifests: every change it asks for is denied (UnknownRequester), so the case would test nothing; expect reason: UnknownRequester if that is what it tests',
    );
    expect(await bad(suite([{ admit: { as: 'User/alice', apply: grant({ subjet: toBob.subject, target: toBob.target, rights: ['RIGHT_APPLICATION_INFO'] }) }, allowed: false }]))).toMatch(
      /^FILE: cases\[0\]: admit.apply: admission cannot read the request \(InvalidRequest: .*subjet.*\), so the case would test nothing; expect reason: InvalidRequest if that is what it tests$/,
    );
    expect(await bad(suite([{ admit: { as: 'User/alice', apply: grant({ ...toBob, rights: ['RIGHT_APPLICATION_DELET'] }) }, allowed: false }]))).toBe(
      'FILE: cases[0]: admit.apply.spec.rights[0]: RIGHT_APPLICATION_DELET is not a right of catalog the-things-stack',
    );
    expect(await bad(suite([{ admit: { as: 'User/alice', apply: grant({ ...toBob, role: 'ROLE_NOPE' }) }, allowed: false }]))).toBe('FILE: cases[0]: admit.apply.spec.role: ROLE_NOPE is not a role of catalog the-things-stack');
    expect(await bad(suite([{ check: { user: 'alice', on: 'Organization/acmee' }, cannot: ['RIGHT_ORGANIZATION_DELETE'] }]))).toBe(
      'FILE: cases[0] (alice on Organization/acmee): check.on: Organization acmee is not in the manifests (nobody holds anything on it: every "cannot" would pass)',
    );
    expect(await bad(suite([{ check: { user: 'alice', on: 'User/bbo' }, cannot: ['RIGHT_USER_DELETE'] }]))).toContain('check.on: User bbo is not in the manifests');
    expect(await bad(suite([{ who: { on: 'Organization/acmee' }, users: [] }]))).toContain('who.on: Organization acmee is not in the manifests');
    expect(await bad(suite([{ ...check, can: [] }]))).toBe('FILE: cases[0] (bob on Application/acme/app1): can: expected at least 1 item; found 0');
    expect(await bad(suite([{ ...check, cannot: [] }]))).toContain('cannot: expected at least 1 item');
    expect(await bad(suite([{ ...check, paths: {} }]))).toBe('FILE: cases[0] (bob on Application/acme/app1): paths: expected at least 1 entry; found 0');
  });
  test('an expected UnknownRequester or InvalidRequest is a test; admission judges what they allow', async () => {
    const run = await charter(
      'test',
      file(
        suite([
          { admit: { as: 'bob@example.com', delete: 'Collaboration/acme/c-devs' }, allowed: false, reason: 'UnknownRequester' },
          { admit: { as: 'User/alice', apply: { apiVersion: 'charter.dev/v1alpha1', kind: 'User', metadata: { name: 'alice' }, spec: { colour: 'blue' } } }, allowed: false, reason: 'InvalidRequest' },
          { check: { user: 'alice', on: 'Organization/acme' }, cannot: ['RIGHT_ORGANIZATION_DELETE'] },
        ]),
      ),
    );
    expect(run).toEqual({ code: 0, stdout: ['3 passed, 0 failed'], stderr: [] });
  });
  test('spec: missing manifests or catalog, invalid manifests, a bad time', async () => {
    expect(await bad(suite([check], { manifests: ['missing'] }))).toMatch(/^FILE: spec.manifests\[0\]: missing does not exist/);
    expect(await bad(suite([check], { catalog: 'missing.yaml' }))).toMatch(/^FILE: spec.catalog: missing.yaml does not exist/);
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'apiVersion: charter.dev/v1alpha1\nkind: User\nmetadata: { name: eve }\nspec: { state: Happy }\n');
    expect(await bad(suite([check], { manifests: ['objects.yaml', 'broken.yaml'] }))).toBe(`FILE: spec.manifests: ${broken}: User/eve: spec.state: expected one of Requested, Approved, Rejected, Flagged, Suspended; found "Happy"`);
    expect(await bad(suite([check], { at: 'tomorrow' }))).toContain('spec.at: expected a string matching');
  });
  test('--min-coverage that is not a percentage', async () => {
    const run = await charter('test', file(suite([check])), '--min-coverage', 'most');
    expect(run).toEqual({ code: 2, stdout: [], stderr: ['charter: --min-coverage: expected a percentage from 0 to 100; found "most"'] });
  });
});

describe('--cluster: cases not run', () => {
  test('exit 3 when no case failed but some were not run, even when none ran (it exited 0)', async () => {
    // Nothing here asks the cluster (who, paths, admit, a case's own time are not run): an address nothing serves.
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      'apiVersion: v1\nkind: Config\nclusters: [{ name: c, cluster: { server: "https://127.0.0.1:1" } }]\nusers: [{ name: u, user: { token: t } }]\ncontexts: [{ name: x, context: { cluster: c, user: u } }]\ncurrent-context: x\n',
    );
    const path = file(
      suite([
        { who: { on: 'Application/acme/app1' }, users: ['alice', 'bob'] },
        { check: { user: 'bob', on: 'Application/acme/app1' }, paths: { RIGHT_APPLICATION_LINK: ['group Collaboration/acme/c-devs via UserGroup/devs'] } },
        { admit: { as: 'root', asGroups: ['system:masters'], delete: 'Collaboration/acme/c-devs' }, allowed: true },
      ]),
    );
    const run = await charter('test', path, '--cluster', '--kubeconfig', kubeconfig);
    expect(run).toEqual({
      code: 3,
      stdout: ["3 cases not run against the cluster (paths, who, admit, or a case's own time: only the manifests answer them)", '0 passed, 0 failed'],
      stderr: [],
    });
  });
});

describe('coverage', () => {
  test('--coverage lists what the cases exercised; --min-coverage fails below', async () => {
    const path = file(suite([{ check: { user: 'bob', on: 'Application/acme/app1' }, can: ['RIGHT_APPLICATION_LINK'] }]));
    const report = [
      `coverage of ${path}: 60%`,
      '  users: 1/2 (not exercised: alice)',
      '  groups: 1/1',
      '  collaborations: 1/2 (not exercised: acme/m-alice)',
    ];
    expect(await charter('test', path, '--coverage')).toEqual({ code: 0, stdout: [...report, '1 passed, 0 failed'], stderr: [] });
    expect(await charter('test', path, '--min-coverage', '60')).toEqual({ code: 0, stdout: [...report, '1 passed, 0 failed'], stderr: [] });
    const low = await charter('test', path, '--min-coverage', '61%');
    expect(low).toEqual({ code: 1, stdout: [...report, `coverage of ${path} is 60%, below --min-coverage 61%`, '1 passed, 0 failed'], stderr: [] });
  });
});

describe('a check passes exactly when the engine agrees (never a wrong pass)', () => {
  const RIGHTS = ['RIGHT_APPLICATION_INFO', 'RIGHT_APPLICATION_LINK', 'RIGHT_APPLICATION_DELETE', 'RIGHT_APPLICATION_TRAFFIC_READ'];
  const HELD: Record<string, string[]> = {
    alice: ['RIGHT_APPLICATION_INFO'],
    bob: ['RIGHT_APPLICATION_INFO', 'RIGHT_APPLICATION_LINK', 'RIGHT_APPLICATION_TRAFFIC_DOWN_WRITE', 'RIGHT_APPLICATION_TRAFFIC_READ'],
  };
  test('random can / cannot / rights expectations', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('alice', 'bob'),
        fc.subarray(RIGHTS),
        fc.subarray(RIGHTS),
        fc.option(fc.subarray([...RIGHTS, 'RIGHT_APPLICATION_TRAFFIC_DOWN_WRITE']), { nil: undefined }),
        async (user, can, cannot, rights) => {
          const held = new Set(HELD[user]);
          const ok = can.every((r) => held.has(r)) && cannot.every((r) => !held.has(r)) && (rights === undefined || [...rights].sort().join() === [...held].sort().join());
          const run = await charter('test', file(suite([{ check: { user, on: 'Application/acme/app1' }, can, cannot, ...(rights ? { rights } : {}) }])));
          // An empty can or cannot tests nothing: bad input, whatever else the case says.
          const want = can.length === 0 || cannot.length === 0 ? { code: 2, last: undefined } : ok ? { code: 0, last: '1 passed, 0 failed' } : { code: 1, last: '0 passed, 1 failed' };
          expect({ code: run.code, last: run.stdout.at(-1) }).toEqual(want);
        },
      ),
      { numRuns: 60 },
    );
  });
  test('random documents: exit 0, 1 or 2 with messages, never a crash', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), fc.jsonValue({ maxDepth: 3 }), async (a, b) => {
        for (const doc of [a, suite([a]), suite([{ check: a, can: b }]), suite([{ who: a, users: b }]), suite([{ admit: a, allowed: b }])]) {
          const run = await charter('test', file(doc));
          expect([0, 1, 2]).toContain(run.code);
          if (run.code === 2) expect(run.stderr.length).toBeGreaterThan(0);
          else expect(run.stdout.at(-1)).toMatch(/^\d+ passed, \d+ failed$/);
        }
      }),
      { numRuns: 40 },
    );
  });
});
