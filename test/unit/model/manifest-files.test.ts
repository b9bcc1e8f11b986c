/**
 * Shapes and sizes of input: special files, symbolic links, encodings, aliases, duplicate keys. Every problem names
 * its file, the other files are still read, nothing blocks or throws.
 */
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadManifests, MAX_EXPANDED_NODES } from '../../../src/model/load-manifests.ts';
import { charter } from '../cli/support.ts';

const USER = (name: string): string => `apiVersion: charter.dev/v1alpha1\nkind: User\nmetadata: { name: ${name} }\n`;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'charter-files-'));
  writeFileSync(join(dir, 'good.yaml'), USER('alice'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** `file: object: message` lines relative to the folder, and the users loaded. */
function load(...paths: string[]): { lines: string[]; users: string[] } {
  const { model, problems } = loadManifests(paths.length ? paths : [dir]);
  return { lines: problems.map((p) => `${p.file.slice(dir.length + 1)}: ${p.object}: ${p.message}`), users: [...model.users.keys()].sort() };
}

describe('special files and links', () => {
  test('a FIFO named *.yaml is reported by path, never opened (a read would block forever)', () => {
    execFileSync('mkfifo', [join(dir, 'pipe.yaml')]);
    expect(load()).toEqual({ lines: ['pipe.yaml: (file): not a regular file (a FIFO): skipped'], users: ['alice'] });
    expect(load(join(dir, 'pipe.yaml')).lines).toEqual(['pipe.yaml: (file): not a regular file (a FIFO): skipped']);
  });
  test('a symbolic link loop is reported and the rest is read', () => {
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'bob.yaml'), USER('bob'));
    symlinkSync('..', join(dir, 'sub', 'up'));
    symlinkSync('self.yaml', join(dir, 'self.yaml'));
    const { lines, users } = load();
    expect(users).toEqual(['alice', 'bob']);
    expect(lines).toEqual([
      'self.yaml: (file): cannot be followed: a loop of symbolic links',
      expect.stringMatching(/^sub\/up: \(file\): a symbolic link loop: leads back to .*, which is being read; skipped$/),
    ]);
  });
  test('links to files and folders are followed; what is reached twice is read once; a dangling link is reported', () => {
    mkdirSync(join(dir, 'real'));
    writeFileSync(join(dir, 'real', 'bob.yaml'), USER('bob'));
    symlinkSync('real', join(dir, 'alias-dir'));
    symlinkSync('good.yaml', join(dir, 'link.yaml'));
    symlinkSync('nowhere.yaml', join(dir, 'dangling.yaml'));
    expect(load()).toEqual({ lines: ['dangling.yaml: (file): cannot be followed: a symbolic link to nothing'], users: ['alice', 'bob'] });
  });
  test('the CLI exits 2 naming the FIFO, and does not hang', async () => {
    execFileSync('mkfifo', [join(dir, 'pipe.yaml')]);
    const run = await charter('can', dir, '--user', 'alice', '--on', 'User/alice');
    expect(run.code).toBe(2);
    expect(run.stderr).toEqual([`${join(dir, 'pipe.yaml')}: (file): not a regular file (a FIFO): skipped`]);
  });
});

describe('FIFOs given as access test files and catalogs are refused, never read (a read blocks forever)', () => {
  /** The CLI in a child process: without the fix it blocks in a synchronous read, which only a timeout ends. */
  const cli = (...args: string[]): { status: number | null; stderr: string } => {
    const run = spawnSync(process.execPath, [join(process.cwd(), 'bin', 'charter.js'), ...args], { encoding: 'utf8', timeout: 60_000 });
    return { status: run.status, stderr: run.stderr.replaceAll(dir, 'DIR') };
  };
  test('charter test <fifo>', () => {
    execFileSync('mkfifo', [join(dir, 'test.yaml')]);
    expect(cli('test', join(dir, 'test.yaml'))).toEqual({ status: 2, stderr: 'DIR/test.yaml: not a regular file (a FIFO): skipped\n' });
  });
  test('--catalog <fifo>', () => {
    execFileSync('mkfifo', [join(dir, 'catalog.fifo')]);
    const run = cli('can', join(dir, 'good.yaml'), '--user', 'alice', '--on', 'User/alice', '--catalog', join(dir, 'catalog.fifo'));
    expect(run.status).toBe(2);
    expect(run.stderr).toBe('charter: Catalog DIR/catalog.fifo is invalid:\n  - not a regular file (a FIFO): skipped\n');
  });
  test("an access test's spec.catalog that is a FIFO", () => {
    execFileSync('mkfifo', [join(dir, 'catalog.fifo')]);
    writeFileSync(
      join(dir, 'access.test'),
      'apiVersion: charter.dev/v1alpha1\nkind: AccessTest\nspec:\n  manifests: [good.yaml]\n  catalog: catalog.fifo\n  cases:\n  - check: { user: alice, on: User/alice }\n    rights: []\n',
    );
    const run = cli('test', join(dir, 'access.test'));
    expect(run.status).toBe(2);
    expect(run.stderr).toBe('charter: Catalog DIR/catalog.fifo is invalid:\n  - not a regular file (a FIFO): skipped\n');
  });
});

describe('encodings', () => {
  test.each<[string, Buffer, RegExp]>([
    ['UTF-16 LE with a byte-order mark', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(USER('bob'), 'utf16le')]), /^not UTF-8: it starts with a UTF-16 or UTF-32 byte-order mark/],
    ['UTF-16 BE with a byte-order mark', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(USER('bob'), 'utf16le').swap16()]), /^not UTF-8: it starts with a UTF-16/],
    ['UTF-16 without a byte-order mark', Buffer.from(USER('bob'), 'utf16le'), /^not UTF-8 text: a NUL byte at line 1/],
    ['invalid UTF-8', Buffer.concat([Buffer.from(USER('bob')), Buffer.from('# caf\xe9\n', 'latin1')]), /^not valid UTF-8: an invalid byte sequence at line 4$/],
    ['a byte-order mark in the middle', Buffer.from(`${USER('bob')}---\n\uFEFF${USER('carol')}`), /^a byte-order mark \(U\+FEFF\) in the middle of the file, at line 5/],
  ])('%s is reported, naming the file', (_name, bytes, message) => {
    writeFileSync(join(dir, 'bad.yaml'), bytes);
    const { lines, users } = load();
    expect(users).toEqual(['alice']);
    expect(lines).toEqual([expect.stringMatching(/^bad\.yaml: \(file\): /)]);
    expect(lines[0]!.replace('bad.yaml: (file): ', '')).toMatch(message);
  });
  test('a byte-order mark at the start is fine', () => {
    writeFileSync(join(dir, 'bom.yaml'), `\uFEFF${USER('bob')}`);
    expect(load()).toEqual({ lines: [], users: ['alice', 'bob'] });
  });
});

describe('aliases and keys', () => {
  test('a merge key (<<:) is refused saying merge keys are not supported (it was "spec.<<: unknown field"); a quoted "<<" is a field', () => {
    writeFileSync(join(dir, 'merge.yaml'), `${USER('bob')}spec:\n  <<: { email: bob@example.com }\n`);
    writeFileSync(join(dir, 'quoted.yaml'), `${USER('carol')}spec:\n  "<<": 1\n`);
    expect(load()).toEqual({
      lines: [
        'merge.yaml: (document 1): not valid YAML: merge keys are not supported: a <<: key (line 5) (kubectl\'s YAML would merge it, Charter would read a field named "<<"); write the merged fields out',
        'quoted.yaml: User/carol: spec.<<: unknown field (not in the schema)',
      ],
      users: ['alice'],
    });
  });
  test('an anchor reused 150 times is fine', () => {
    const users = Array.from({ length: 150 }, () => '*u').join(', ');
    writeFileSync(join(dir, 'group.yaml'), `apiVersion: charter.dev/v1alpha1\nkind: UserGroup\nmetadata: { name: g, labels: { x: &u alice } }\nspec: { members: { users: [${users}] } }\n`);
    expect(load().lines).toEqual([]);
  });
  test('a billion laughs is refused in its document, naming the file; the other documents and files go on', () => {
    const levels = ['a: &l0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) levels.push(`l${i}: &l${i} [${Array.from({ length: 10 }, () => `*l${i - 1}`).join(', ')}]`);
    writeFileSync(join(dir, 'laughs.yaml'), `${USER('bob')}---\napiVersion: charter.dev/v1alpha1\nkind: User\nmetadata: { name: carol }\nspec:\n${levels.map((l) => `  ${l}`).join('\n')}\n`);
    const { lines, users } = load();
    expect(users).toEqual(['alice', 'bob']);
    expect(lines).toEqual([`laughs.yaml: (document 2): too large once its aliases are expanded: more than ${MAX_EXPANDED_NODES} values (aliases used to multiply data)`]);
  });
  test('an alias to an anchor that does not exist names the file', () => {
    writeFileSync(join(dir, 'alias.yaml'), `${USER('bob')}spec: { displayName: *nothing }\n`);
    expect(load().lines).toEqual([expect.stringMatching(/^alias\.yaml: \(document 1\): not valid YAML: /)]);
  });
  test('a key that is a mapping or a sequence (a YAML complex key) is refused with its line, in one line; the rest loads', () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      writeFileSync(join(dir, 'complex.yaml'), `${USER('bob')}---\n${USER('carol')}spec:\n?  members:\n    users: [alice, bob]\n: x\n---\n${USER('dave')}spec:\n  ? [a, b]\n  : y\n---\napiVersion: charter.dev/v1alpha1\nkind: User\nmetadata: { name: erin, labels: { &k team: iot, *k : again } }\n`);
      const { lines, users } = load();
      expect(users).toEqual(['alice', 'bob']);
      expect(lines).toEqual([
        'complex.yaml: (document 2): not valid YAML: map keys must be strings: a key (line 9) is a mapping (a YAML complex key)',
        'complex.yaml: (document 3): not valid YAML: map keys must be strings: a key (line 17) is a sequence (a YAML complex key)',
        // An alias key is its anchor's value: here a second "team".
        'complex.yaml: (document 4): not valid YAML: map keys must be unique: "team" appears twice (line 22)',
      ]);
    } finally {
      process.off('warning', onWarning);
    }
    // Refused before the value is made: the yaml package never turns the key into a string (and warns on stderr).
    expect(warnings.filter((w) => w.includes('stringified'))).toEqual([]);
  });
  test('a duplicate key is refused with its line, also among many labels', () => {
    const labels = Array.from({ length: 1000 }, (_, i) => `    k${i}: v`).join('\n');
    writeFileSync(join(dir, 'dup.yaml'), `${USER('bob').replace('metadata: { name: bob }', 'metadata:\n  name: bob\n  labels:')}\n${labels}\n    k7: again\n`);
    expect(load().lines).toEqual(['dup.yaml: (document 1): not valid YAML: map keys must be unique: "k7" appears twice (line 1007)']);
  });
});

describe("what kubectl apply would create: List items and kubectl's file names", () => {
  const ACME = 'apiVersion: charter.dev/v1alpha1\nkind: Organization\nmetadata: { name: acme }\nspec: { namespaces: [acme] }\n';
  const GRANT = (name: string, user: string): string =>
    `{ apiVersion: charter.dev/v1alpha1, kind: Collaboration, metadata: { name: ${name}, namespace: acme }, spec: { subject: { kind: User, name: ${user} }, target: { kind: Organization, name: acme }, rights: [RIGHT_ALL] } }`;
  test('the items of a v1 List and of a *List kind are objects; other groups among them are ignored', () => {
    writeFileSync(join(dir, 'acme.yaml'), ACME);
    writeFileSync(join(dir, 'list.yaml'), `apiVersion: v1\nkind: List\nitems:\n- ${GRANT('c-evil', 'alice')}\n- { apiVersion: v1, kind: ConfigMap, metadata: { name: x } }\n`);
    writeFileSync(join(dir, 'users.yaml'), `apiVersion: charter.dev/v1alpha1\nkind: UserList\nitems:\n- { apiVersion: charter.dev/v1alpha1, kind: User, metadata: { name: bob } }\n`);
    const { model, problems } = loadManifests([dir]);
    expect(problems).toEqual([]);
    expect([...model.users.keys()].sort()).toEqual(['alice', 'bob']);
    expect([...model.collaborations.values()].map((c) => c.name)).toEqual(['c-evil']);
  });
  test("an item's problems name the file, the document and the item; a List inside a List is a problem; the rest loads", () => {
    writeFileSync(join(dir, 'list.yaml'), `${USER('carol')}---\napiVersion: v1\nkind: List\nitems:\n- { apiVersion: charter.dev/v1alpha1, kind: User, metadata: { name: bob } }\n- { apiVersion: charter.dev/v1alpha1, kind: User, metadata: { name: dave }, spec: { colour: blue } }\n- { apiVersion: v1, kind: List, items: [] }\n- { apiVersion: charter.dev/v1alpha1, kind: User, metadata: { name: carol } }\n`);
    expect(load()).toEqual({
      lines: [
        'list.yaml: (document 2) items[1] User/dave: spec.colour: unknown field (not in the schema)',
        'list.yaml: (document 2) items[2]: a List inside a List: not read; put its items in the outer List',
        `list.yaml: (document 2) items[3] User/carol: defined twice: the definition in ${join(dir, 'list.yaml')} is used`,
      ],
      users: ['alice', 'bob', 'carol'],
    });
  });
  test('*.json files are read; in a folder the names are matched as kubectl does, case-sensitively; a file named explicitly is read', () => {
    writeFileSync(join(dir, 'bob.json'), JSON.stringify({ apiVersion: 'charter.dev/v1alpha1', kind: 'User', metadata: { name: 'bob' } }, null, '\t'));
    writeFileSync(join(dir, 'carol.YAML'), USER('carol'));
    writeFileSync(join(dir, 'dave.Yml'), USER('dave'));
    writeFileSync(join(dir, 'erin.JSON'), USER('erin'));
    expect(load()).toEqual({ lines: [], users: ['alice', 'bob'] });
    expect(load(join(dir, 'carol.YAML')).users).toEqual(['carol']);
  });
  test('charter diff sees a grant given in a List item (it exited 0, "no user gains or loses any right")', async () => {
    mkdirSync(join(dir, 'before'));
    mkdirSync(join(dir, 'after'));
    writeFileSync(join(dir, 'before', 'all.yaml'), `${USER('alice')}---\n${ACME}`);
    writeFileSync(join(dir, 'after', 'all.yaml'), `${USER('alice')}---\n${ACME}`);
    writeFileSync(join(dir, 'after', 'list.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'charter.dev/v1alpha1', kind: 'Collaboration', metadata: { name: 'c-evil', namespace: 'acme' }, spec: { subject: { kind: 'User', name: 'alice' }, target: { kind: 'Organization', name: 'acme' }, rights: ['RIGHT_ALL'] } }] }));
    const run = await charter('diff', join(dir, 'before'), join(dir, 'after'), '--exit-code');
    expect(run.code).toBe(1);
    expect(run.stdout.join('\n')).toContain('alice');
  });
});
