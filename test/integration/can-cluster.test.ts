/**
 * `charter can --cluster` answers from the permission maps the operator published, like a workload, and exits 3
 * when no map covers the entity; without `--on` it lists what the user holds in every published map.
 */
import { afterAll, beforeAll, expect, jest, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { main } from '../../src/cli/main.ts';
import type { ApiClient } from '../../src/controller/api-client.ts';
import type { Operator } from '../../src/controller/operator.ts';
import { kubeconfigPath, newNamespace } from './support/cluster.ts';
import { adminApi, applyAll, deleteAll, eventually, mapRights, randomId, repoRoot, startOperator, type Obj } from './support/operator.ts';

jest.setTimeout(60_000);

const P = `cc-${randomId()}`;
let api: ApiClient;
let operator: Operator;
let ns: string;
let objects: Obj[];

async function charter(...argv: string[]): Promise<{ code: number; stdout: string[]; stderr: string[] }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await main(argv, { out: (l) => stdout.push(l), err: (l) => stderr.push(l) });
  return { code, stdout, stderr };
}

beforeAll(async () => {
  api = adminApi();
  ns = await newNamespace(P);
  objects = [
    { apiVersion: 'charter.dev/v1alpha1', kind: 'Organization', metadata: { name: `${P}-org` }, spec: { namespaces: [ns] } },
    { apiVersion: 'charter.dev/v1alpha1', kind: 'User', metadata: { name: `${P}-bob` } },
    {
      apiVersion: 'charter.dev/v1alpha1',
      kind: 'Collaboration',
      metadata: { name: 'm-bob', namespace: ns },
      spec: { subject: { kind: 'User', name: `${P}-bob` }, target: { kind: 'Organization', name: `${P}-org` }, rights: ['RIGHT_APPLICATION_INFO', 'RIGHT_ORGANIZATION_INFO'] },
    },
  ];
  operator = await startOperator();
  await applyAll(api, objects);
  await eventually(async () => expect(await mapRights(api, ns, `${P}-bob`, `Application/${ns}/any`)).toEqual(['RIGHT_APPLICATION_INFO']), 'map published');
});

afterAll(async () => {
  await operator?.stop();
  await deleteAll(api, objects);
  api?.close();
});

test('rights on an entity of a mapped namespace, text and json', async () => {
  const text = await charter('can', '--cluster', '--kubeconfig', kubeconfigPath(), '--user', `${P}-bob`, '--on', `Application/${ns}/app7`);
  expect(text).toEqual({ code: 0, stdout: ['RIGHT_APPLICATION_INFO'], stderr: [] });
  const json = await charter('can', '--cluster', '--kubeconfig', kubeconfigPath(), '--user', `${P}-bob`, '--on', `Organization/${P}-org`, '-o', 'json');
  expect(json.code).toBe(0);
  expect(JSON.parse(json.stdout.join(''))).toEqual(['RIGHT_ORGANIZATION_INFO']);
});

test('exit 3 when no map covers the entity', async () => {
  const run = await charter('can', '--cluster', '--kubeconfig', kubeconfigPath(), '--user', `${P}-bob`, '--on', `Application/${P}-nowhere/app`);
  expect(run.code).toBe(3);
  expect(run.stderr.join('\n')).toContain('no permission map covers');
});

test('without --on: what the user holds in every map, by namespace (ownership as "every <Kind>")', async () => {
  const run = await charter('can', '--cluster', '--kubeconfig', kubeconfigPath(), '--user', `${P}-bob`, '-o', 'json');
  expect(run.code).toBe(0);
  expect(JSON.parse(run.stdout.join('\n'))).toEqual({
    user: `${P}-bob`,
    source: 'cluster',
    namespaces: [{ namespace: ns, organization: `${P}-org`, every: { Application: ['RIGHT_APPLICATION_INFO'] }, entities: {} }],
    cluster: { [`Organization/${P}-org`]: ['RIGHT_ORGANIZATION_INFO'] },
  });
  const text = await charter('can', '--cluster', '--kubeconfig', kubeconfigPath(), '--user', `${P}-bob`);
  expect(text.stdout).toEqual([
    `User/${P}-bob (from the published permission maps): 1 entity named, 1 namespace`,
    `namespace ${ns} (owned by Organization/${P}-org)`,
    '  every Application: RIGHT_APPLICATION_INFO',
    'cluster-scoped',
    `  Organization/${P}-org: RIGHT_ORGANIZATION_INFO`,
  ]);
  const nobody = await charter('can', '--cluster', '--kubeconfig', kubeconfigPath(), '--user', `${P}-nobody`, '-o', 'json');
  expect(JSON.parse(nobody.stdout.join('\n'))).toMatchObject({ namespaces: [], cluster: {} });
});

test('charter test --cluster: can / cannot / rights from the maps; what a map cannot answer is not run', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'charter-test-cluster-'));
  try {
    writeFileSync(join(dir, 'objects.yaml'), objects.map((o) => stringify(o)).join('---\n'));
    const bob = `${P}-bob`;
    const cases = [
      { check: { user: bob, on: `Application/${ns}/app7` }, rights: ['RIGHT_APPLICATION_INFO'] },
      { check: { user: bob, on: `Organization/${P}-org` }, can: ['RIGHT_ORGANIZATION_INFO'] },
      { name: 'wrong on purpose', check: { user: bob, on: `Application/${ns}/app7` }, cannot: ['RIGHT_APPLICATION_INFO'] },
      { check: { user: bob, on: `Application/${P}-nowhere/app` }, rights: [] },
      { check: { user: bob, on: `Application/${ns}/app7` }, paths: { RIGHT_APPLICATION_INFO: [] } },
      { who: { on: `Application/${ns}/app7` }, users: [bob] },
    ];
    writeFileSync(join(dir, 'test.yaml'), stringify({ apiVersion: 'charter.dev/v1alpha1', kind: 'AccessTest', spec: { manifests: ['objects.yaml'], cases } }));
    const file = join(dir, 'test.yaml');
    const run = await charter('test', file, '--cluster', '--kubeconfig', kubeconfigPath());
    expect(run).toEqual({
      code: 1,
      stderr: [],
      stdout: [
        `FAIL ${file}: cases[2] (wrong on purpose)`,
        `  cannot: ${bob} holds RIGHT_APPLICATION_INFO on Application/${ns}/app7`,
        `FAIL ${file}: cases[3] (${bob} on Application/${P}-nowhere/app)`,
        `  no permission map covers Application/${P}-nowhere/app`,
        "2 cases not run against the cluster (paths, who, admit, or a case's own time: only the manifests answer them)",
        '2 passed, 2 failed',
      ],
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('manifest paths and --cluster do not mix', async () => {
  const run = await charter('can', 'examples', '--cluster', '--user', 'bob', '--on', 'Organization/acme');
  expect(run.code).toBe(2);
});

/** Runs a command without blocking the event loop (the in-process operator's connections must keep being served). */
function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { env, encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ status: code, stdout, stderr });
    });
  });
}

test('kubectl charter: the same answers through kubectl\'s plugin mechanism, from the current context', async () => {
  // "Installed": an executable named kubectl-charter on PATH (what `npm install -g` or `npm link` puts there).
  const dir = mkdtempSync(join(tmpdir(), 'charter-plugin-'));
  try {
    symlinkSync(join(repoRoot, 'bin', 'kubectl-charter.js'), join(dir, 'kubectl-charter'));
    const env = { ...process.env, PATH: [dir, dirname(process.execPath), process.env.PATH].join(':'), KUBECONFIG: kubeconfigPath() };
    const kubectl = (...args: string[]) => run('kubectl', args, env);
    expect((await kubectl('plugin', 'list')).stdout).toContain(join(dir, 'kubectl-charter'));
    const text = await kubectl('charter', 'can', '--cluster', '--user', `${P}-bob`, '--on', `Application/${ns}/app7`);
    expect({ status: text.status, stdout: text.stdout, stderr: text.stderr }).toEqual({ status: 0, stdout: 'RIGHT_APPLICATION_INFO\n', stderr: '' });
    const json = await kubectl('charter', 'can', '--cluster', '--user', `${P}-bob`, '--on', `Organization/${P}-org`, '-o', 'json');
    expect(JSON.parse(json.stdout)).toEqual(['RIGHT_ORGANIZATION_INFO']);
    // The current context decides who asks: carol may not list ConfigMaps (exit 2, the server's answer in one line).
    const config = parse(readFileSync(kubeconfigPath(), 'utf8')) as Obj;
    writeFileSync(join(dir, 'carol.kubeconfig'), stringify({ ...config, 'current-context': 'carol' }));
    const carolEnv = { ...env, KUBECONFIG: join(dir, 'carol.kubeconfig') };
    const asCarol = await run('kubectl', ['charter', 'can', '--cluster', '--user', `${P}-bob`, '--on', `Application/${ns}/app7`], carolEnv);
    expect(asCarol.status).toBe(2);
    expect(asCarol.stderr).toMatch(/^charter: the API server https:\/\/127\.0\.0\.1:\d+ answered GET \/api\/v1\/namespaces\/.*\/configmaps: 403 Forbidden: configmaps is forbidden: User "carol" cannot list/);
    // --context (given to the plugin, after `charter`) picks another context of the same kubeconfig.
    const back = await run('kubectl', ['charter', 'can', '--cluster', '--context', 'admin', '--user', `${P}-bob`, '--on', `Application/${ns}/app7`], carolEnv);
    expect(back.stdout).toBe('RIGHT_APPLICATION_INFO\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 240_000); // five kubectl + node process starts: slow on a busy machine
