import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { charter } from './support.ts';

const TTS = 'examples/the-things-stack';
let dir: string;

const write = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'charter-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ORG = `apiVersion: charter.dev/v1alpha1
kind: Organization
metadata: { name: acme }
spec: { namespaces: [acme] }
---
apiVersion: charter.dev/v1alpha1
kind: User
metadata: { name: alice }
---
apiVersion: charter.dev/v1alpha1
kind: Collaboration
metadata: { name: m-alice, namespace: acme }
spec:
  subject: { kind: User, name: alice }
  target: { kind: Organization, name: acme }
  rights: [RIGHT_APPLICATION_INFO]
`;

describe('charter can', () => {
  test('text: one right per line, sorted; json: one array', async () => {
    const path = write('can.yaml', ORG);
    const text = await charter('can', path, '--user', 'alice', '--on', 'Application/acme/app1');
    expect(text).toEqual({ code: 0, stdout: ['RIGHT_APPLICATION_INFO'], stderr: [] });
    const json = await charter('can', path, '--user', 'alice', '--on', 'Application/acme/app1', '-o', 'json');
    expect(JSON.parse(json.stdout.join(''))).toEqual(['RIGHT_APPLICATION_INFO']);
  });
  test('nothing printed (or []) when there are none', async () => {
    const path = write('none.yaml', ORG);
    expect((await charter('can', path, '--user', 'alice', '--on', 'Gateway/acme/gw')).stdout).toEqual([]);
    expect((await charter('can', path, '--user', 'nobody', '--on', 'Gateway/acme/gw', '-o', 'json')).stdout).toEqual(['[]']);
  });
  test('--at fixes the evaluation time', async () => {
    const path = write('at.yaml', `${ORG}  expiresAt: "2027-01-01T00:00:00Z"\n`);
    expect((await charter('can', path, '--user', 'alice', '--on', 'Application/acme/a', '--at', '2026-12-31T23:59:59Z')).stdout).toEqual(['RIGHT_APPLICATION_INFO']);
    expect((await charter('can', path, '--user', 'alice', '--on', 'Application/acme/a', '--at', '2027-01-01T00:00:00Z')).stdout).toEqual([]);
  });
  test('exit 2 with one message per problem, naming the file and the object', async () => {
    const path = write('bad.yaml', `${ORG}---\napiVersion: charter.dev/v1alpha1\nkind: User\nmetadata: { name: bob }\nspec: { state: Happy }\n`);
    const run = await charter('can', path, '--user', 'alice', '--on', 'Application/acme/app1');
    expect(run.code).toBe(2);
    expect(run.stderr).toEqual([`${path}: User/bob: spec.state: expected one of Requested, Approved, Rejected, Flagged, Suspended; found "Happy"`]);
  });
  test('a malformed entity or time is exit 2 with a clear message', async () => {
    const path = write('ok.yaml', ORG);
    const entity = await charter('can', path, '--user', 'alice', '--on', 'Application/app1');
    expect(entity.code).toBe(2);
    expect(entity.stderr.join('\n')).toContain('expected Application/<namespace>/<name>');
    const at = await charter('can', path, '--user', 'alice', '--on', 'Organization/acme', '--at', 'soon');
    expect(at.code).toBe(2);
    expect(at.stderr.join('\n')).toContain('--at: expected an RFC 3339 date-time');
  });
  test('an unreadable catalog is exit 2', async () => {
    const path = write('ok2.yaml', ORG);
    const catalog = write('catalog.yaml', 'apiVersion: charter.dev/v1alpha1\nkind: Catalog\nmetadata: { name: x }\nspec: { kinds: [] }\n');
    const run = await charter('can', path, '--user', 'alice', '--on', 'Organization/acme', '--catalog', catalog);
    expect(run.code).toBe(2);
    expect(run.stderr.join('\n')).toContain('spec.kinds: expected at least 2 items');
  });
});

describe('charter validate', () => {
  test('the examples are valid and warning-free', async () => {
    for (const [path, catalog] of [[TTS], ['examples/thingsboard', 'catalogs/thingsboard.yaml'], ['examples/aspera', 'catalogs/aspera.yaml']] as const) {
      const run = await charter('validate', path, '--strict', ...(catalog ? ['--catalog', catalog] : []));
      expect({ path, code: run.code, out: run.stdout }).toEqual({ path, code: 0, out: [] });
    }
  });
  test('an inactive Collaboration is exit 1, one line per finding: file: Kind/name: reason: message', async () => {
    const path = write('inactive.yaml', ORG.replace('RIGHT_APPLICATION_INFO', 'RIGHT_APPLICATION_FLY'));
    const run = await charter('validate', path);
    expect(run.code).toBe(1);
    expect(run.stdout).toEqual([`${path}: Collaboration/acme/m-alice: UnknownRight: spec.rights: RIGHT_APPLICATION_FLY is not in the catalog the-things-stack`]);
  });
  test('warnings exit 0, or 1 with --strict', async () => {
    const path = write('warn.yaml', `${ORG}---\napiVersion: charter.dev/v1alpha1\nkind: UserGroup\nmetadata: { name: g }\nspec: { members: { users: [ghost] } }\n`);
    const run = await charter('validate', path);
    expect(run.code).toBe(0);
    expect(run.stdout).toEqual([`${path}: UserGroup/g: MissingMembers: spec.members.users: ghost does not exist (skipped)`]);
    expect((await charter('validate', path, '--strict')).code).toBe(1);
  });
  test('schema-invalid objects are exit 1', async () => {
    const path = write('schema.yaml', `${ORG}---\napiVersion: charter.dev/v1alpha1\nkind: User\nmetadata: { name: bob }\nspec: { email: nope }\n`);
    const run = await charter('validate', path);
    expect(run.code).toBe(1);
    expect(run.stdout).toEqual([`${path}: User/bob: SchemaInvalid: spec.email: expected an email address; found "nope"`]);
  });
});

describe('charter explain', () => {
  test('every right with the paths that grant it', async () => {
    const run = await charter('explain', TTS, '--user', 'bob', '--on', 'Application/acme/app1');
    expect(run.code).toBe(0);
    const text = run.stdout.join('\n');
    expect(text).toMatch(/^User\/bob on Application\/acme\/app1 at .*: 14 rights/);
    expect(text).toContain('RIGHT_APPLICATION_DELETE\n  ← organization: Organization/acme holds it by ownership of the namespace (ownerRights); User/bob is a member through Collaboration/acme/m-devs via UserGroup/devs ∋ User/bob');
  });
});

describe('charter diff', () => {
  test('who gains and loses what; --exit-code', async () => {
    const before = join(dir, 'before');
    const after = join(dir, 'after');
    cpSync(TTS, before, { recursive: true });
    cpSync(TTS, after, { recursive: true });
    const collabs = join(after, 'collaborations-acme.yaml');
    writeFileSync(collabs, readFileSync(collabs, 'utf8').replace('rights: [RIGHT_APPLICATION_LINK]', 'rights: [RIGHT_APPLICATION_INFO]'));
    const same = await charter('diff', before, before, '--exit-code');
    expect(same).toMatchObject({ code: 0, stdout: ['No user gains or loses any right.'] });
    const changed = await charter('diff', before, after, '--exit-code', '-o', 'json');
    expect(changed.code).toBe(1);
    expect(JSON.parse(changed.stdout.join('\n'))).toEqual([
      { user: 'carol', entity: 'Application/acme/app1', added: [], removed: ['RIGHT_APPLICATION_LINK', 'RIGHT_APPLICATION_TRAFFIC_DOWN_WRITE', 'RIGHT_APPLICATION_TRAFFIC_READ'] },
    ]);
    expect((await charter('diff', before, after)).code).toBe(0);
  });
});

describe('charter diff: what the rights are made of', () => {
  /** Two folders: ORG plus `a` before, ORG plus `b` after; the changes as JSON at --at 2026-06-01. */
  const diff = async (name: string, a: string, b: string): Promise<{ code: number; changes: unknown; text: string[] }> => {
    const before = join(dir, `${name}-before.yaml`);
    const after = join(dir, `${name}-after.yaml`);
    writeFileSync(before, `${ORG}---\n${a}`);
    writeFileSync(after, `${ORG}---\n${b}`);
    const json = await charter('diff', before, after, '--at', '2026-06-01T00:00:00Z', '--exit-code', '-o', 'json');
    const text = await charter('diff', before, after, '--at', '2026-06-01T00:00:00Z');
    return { code: json.code, changes: JSON.parse(json.stdout.join('\n')), text: text.stdout };
  };
  const USER = (name: string, spec = '{}'): string => `apiVersion: charter.dev/v1alpha1\nkind: User\nmetadata: { name: ${name} }\nspec: ${spec}\n`;
  const MEMBER = (user: string, rights: string, expiresAt?: string): string =>
    `apiVersion: charter.dev/v1alpha1\nkind: Collaboration\nmetadata: { name: m-${user}, namespace: acme }\nspec:\n  subject: { kind: User, name: ${user} }\n  target: { kind: Organization, name: acme }\n  rights: [${rights}]\n${expiresAt ? `  expiresAt: "${expiresAt}"\n` : ''}`;
  const T1 = '2027-01-01T00:00:00Z';
  const T2 = '2027-06-01T00:00:00Z';
  /** RIGHT_APPLICATION_LINK with what it implies, sorted. */
  const LINK = ['RIGHT_APPLICATION_INFO', 'RIGHT_APPLICATION_LINK', 'RIGHT_APPLICATION_TRAFFIC_DOWN_WRITE', 'RIGHT_APPLICATION_TRAFFIC_READ'];

  test('an expiry removed, added or moved changes rights later, and diff says from when (it said nothing changed)', async () => {
    const removed = await diff('exp-removed', `${USER('leo')}---\n${MEMBER('leo', 'RIGHT_APPLICATION_LINK', T1)}`, `${USER('leo')}---\n${MEMBER('leo', 'RIGHT_APPLICATION_LINK')}`);
    expect(removed.code).toBe(1);
    expect(removed.changes).toEqual([{ user: 'leo', entity: 'Application/acme/*', added: LINK, removed: [], from: T1 }]);
    expect(removed.text).toEqual([`leo on every Application in namespace acme (from ${T1}):`, ...LINK.map((r) => `  + ${r}`)]);
    const added = await diff('exp-added', `${USER('leo')}---\n${MEMBER('leo', 'RIGHT_APPLICATION_LINK')}`, `${USER('leo')}---\n${MEMBER('leo', 'RIGHT_APPLICATION_LINK', T1)}`);
    expect(added.changes).toEqual([{ user: 'leo', entity: 'Application/acme/*', added: [], removed: LINK, from: T1 }]);
    const moved = await diff('exp-moved', `${USER('leo')}---\n${MEMBER('leo', 'RIGHT_APPLICATION_LINK', T1)}`, `${USER('leo')}---\n${MEMBER('leo', 'RIGHT_APPLICATION_LINK', T2)}`);
    expect(moved.changes).toEqual([{ user: 'leo', entity: 'Application/acme/*', added: LINK, removed: [], from: T1, until: T2 }]);
    expect(moved.text).toEqual([`leo on every Application in namespace acme (from ${T1} until ${T2}):`, ...LINK.map((r) => `  + ${r}`)]);
    const granted = await diff('exp-new', USER('leo'), `${USER('leo')}---\n${MEMBER('leo', 'RIGHT_APPLICATION_LINK', T1)}`);
    expect(granted.changes).toEqual([{ user: 'leo', entity: 'Application/acme/*', added: LINK, removed: [], until: T1 }]);
    expect(granted.text[0]).toBe(`leo on every Application in namespace acme (until ${T1}):`);
  });
  test('an expiry both versions share still counts: a grant added beside it shows from then on', async () => {
    const both = `${USER('leo')}---\n${MEMBER('leo', 'RIGHT_APPLICATION_LINK', T1)}`;
    const extra = `apiVersion: charter.dev/v1alpha1\nkind: Collaboration\nmetadata: { name: c-leo, namespace: acme }\nspec:\n  subject: { kind: User, name: leo }\n  target: { kind: Application, name: app1 }\n  rights: [RIGHT_APPLICATION_LINK]\n`;
    const run = await diff('exp-shared', both, `${both}---\n${extra}`);
    expect(run.changes).toEqual([{ user: 'leo', entity: 'Application/acme/app1', added: LINK, removed: [], from: T1 }]);
  });
  test('promoting a user to admin shows every kind as administrator', async () => {
    const run = await diff('admin', USER('ada'), USER('ada', '{ admin: true }'));
    expect(run.code).toBe(1);
    const changes = run.changes as Array<{ entity: string; added: string[]; removed: string[] }>;
    expect(changes.find((c) => c.entity === 'Application/* (admin)')).toMatchObject({ removed: [] });
    expect(changes.find((c) => c.entity === 'Application/* (admin)')!.added).toContain('RIGHT_APPLICATION_DELETE');
    expect(run.text).toContain('ada on every Application (as administrator):');
  });
  test("a new membership shows every entity of the organization's namespace", async () => {
    const run = await diff('member', USER('bob'), `${USER('bob')}---\n${MEMBER('bob', 'RIGHT_APPLICATION_INFO')}`);
    expect((run.changes as Array<{ user: string; entity: string }>).filter((c) => c.user === 'bob').map((c) => c.entity)).toContain('Application/acme/*');
    expect(run.text).toContain('bob on every Application in namespace acme:');
  });
  test('suspending a user removes its rights on itself', async () => {
    const run = await diff('suspend', USER('sue'), USER('sue', '{ state: Suspended }'));
    expect(run.code).toBe(1);
    const self = (run.changes as Array<{ user: string; entity: string; added: string[]; removed: string[] }>).find((c) => c.entity === 'User/sue');
    expect(self?.user).toBe('sue');
    expect(self!.removed.length).toBeGreaterThan(0);
  });
});

describe('charter render', () => {
  test('writes a status for every object and the ConfigMaps', async () => {
    const out = join(dir, 'render');
    const run = await charter('render', TTS, '--out', out, '--at', '2026-06-01T00:00:00Z');
    expect(run.code).toBe(0);
    const status = parse(readFileSync(join(out, 'status', 'Collaboration', 'acme', 'c-carol.yaml'), 'utf8'));
    expect(status.status.grantedRights).toEqual(['RIGHT_APPLICATION_INFO', 'RIGHT_APPLICATION_LINK', 'RIGHT_APPLICATION_TRAFFIC_DOWN_WRITE', 'RIGHT_APPLICATION_TRAFFIC_READ']);
    expect(status.status.conditions[0]).toMatchObject({ type: 'Accepted', status: 'True', lastTransitionTime: '2026-06-01T00:00:00.000Z' });
    expect(readdirSync(join(out, 'configmaps')).sort()).toContain('acme');
  });
});
