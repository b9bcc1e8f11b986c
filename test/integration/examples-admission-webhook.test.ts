/**
 * The examples' "Who may change what" tables, replayed through Charter's admission webhook by the real kube-apiserver:
 * every row that test/unit/examples-admission.test.ts judges offline with `charter admit` is made here as
 * `kubectl --as <row's identity> ... --dry-run=server` (apply for a create or an update, delete for a delete), and
 * kubectl must succeed (`allowed`) or fail with Charter's webhook naming the row's reasons, in the row's order.
 *
 * Each example runs on its own, with an operator of its catalog serving the webhook (URL-style
 * ValidatingWebhookConfiguration with a CA of this file, system:masters left out as the chart does), the example
 * applied by the admin (who bypasses the webhook) with its namespaces renamed `<name>-<suffix>` (see
 * renameNamespaces), and RBAC letting the rows' identities write Charter objects. Dry runs persist nothing, so every
 * row is judged against the example as written; afterwards the objects (waited for: examples.test.ts makes the same
 * cluster-scoped names), the RBAC and the webhook configuration are deleted.
 */
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { DEFAULT_ADMISSION_OPTIONS } from '../../src/admission/decide.ts';
import { loadCatalog } from '../../src/catalog/load-catalog.ts';
import type { ApiClient } from '../../src/controller/api-client.ts';
import { PLURALS } from '../../src/api/kinds.ts';
import type { Operator } from '../../src/controller/operator.ts';
import { webhookConfiguration, WEBHOOK_NAME } from '../../src/devcluster/admission.ts';
import { issueCert } from '../../src/devcluster/x509.ts';
import { readChangeTable, type ChangeRow } from '../unit/examples-changes.support.ts';
import { charterWriterRbac, kubeconfigPath } from './support/cluster.ts';
import { adminApi, deleteAll, eventually, getObject, randomId, readManifests, repoRoot, startOperator, type Obj } from './support/operator.ts';

jest.setTimeout(120_000);

const SETS: Array<{ set: string; catalog: string | undefined }> = [
  { set: 'the-things-stack', catalog: undefined },
  { set: 'thingsboard', catalog: 'catalogs/thingsboard.yaml' },
  { set: 'aspera', catalog: 'catalogs/aspera.yaml' },
];

/** kubectl, awaited: the operator answers the API server from this process, so a synchronous spawn would block it. */
function kubectl(args: string[], input = ''): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('kubectl', ['--kubeconfig', kubeconfigPath(), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

const DENIED = `admission webhook "${WEBHOOK_NAME}" denied the request: `;

/** The reasons of Charter's denial in kubectl's message (`<Reason>: <message>` joined by `; `), each once, in order. */
function reasonsOf(stderr: string): string[] | undefined {
  const at = stderr.indexOf(DENIED);
  if (at < 0) return undefined;
  const text = stderr.slice(at + DENIED.length);
  const reasons = [...text.matchAll(/(?:^|; )([A-Z][A-Za-z]+): /g)].map((m) => m[1]!);
  return [...new Set(reasons)];
}

const kindOf = (o: Obj): string => o.kind as string;

/**
 * A copy of an example manifest with every namespace `<name>-<suffix>` (a Namespace, a Collaboration's, an
 * Organization's spec.namespaces): a deleted namespace stays Terminating here, so the examples' own are
 * examples.test.ts's to make. Cluster-scoped names stay (renaming them all would change what some rows test), and
 * are deleted afterwards.
 */
function renameNamespaces(original: Obj, suffix: string): Obj {
  const o = structuredClone(original);
  const r = (name: string): string => `${name}-${suffix}`;
  if (o.kind === 'Namespace') o.metadata.name = r(o.metadata.name);
  if (o.metadata.namespace) o.metadata.namespace = r(o.metadata.namespace);
  if (o.kind === 'Organization' && Array.isArray(o.spec?.namespaces)) o.spec.namespaces = o.spec.namespaces.map(r);
  return o;
}
const resource = (kind: string): string => `${PLURALS[kind as keyof typeof PLURALS]}.charter.dev`;

describe.each(SETS)('examples/$set: who may change what, through the webhook', ({ set, catalog }) => {
  const id = randomId();
  const suffix = `adm${randomId(4)}`;
  const rename = (o: Obj): Obj => renameNamespaces(o, suffix);
  const objects: Obj[] = readManifests(join(repoRoot, 'examples', set)).map(rename);
  const rows = readChangeTable(readFileSync(join(repoRoot, 'examples', set, 'README.md'), 'utf8'));
  const VWC = `charter-examples-webhook-${id}`;
  const ROLE = `charter-examples-writers-${id}`;
  let api: ApiClient;
  let operator: Operator | undefined;
  let certDir: string | undefined;

  /** The row's change as kubectl arguments and input, on the renamed copy. */
  const change = (row: ChangeRow): { args: string[]; input: string } => {
    if (row.operation === 'delete') {
      const [kind, ...rest] = row.object.split('/');
      const [namespace, name] = rest.length === 2 ? rest : [undefined, rest[0]];
      return { args: ['delete', resource(kind!), name!, ...(namespace ? ['-n', `${namespace}-${suffix}`] : []), '--dry-run=server'], input: '' };
    }
    return { args: ['apply', '--dry-run=server', '-f', '-'], input: stringify(rename(parse(row.yaml!) as Obj)) };
  };

  beforeAll(async () => {
    api = adminApi();
    const ca = issueCert({ commonName: 'charter-examples-webhook-ca', usage: 'ca' });
    const serving = issueCert({ commonName: 'charter-admission', usage: 'server', hosts: ['127.0.0.1'] }, ca);
    certDir = mkdtempSync(join(tmpdir(), 'charter-examples-webhook-'));
    writeFileSync(join(certDir, 'tls.crt'), serving.certPem);
    writeFileSync(join(certDir, 'tls.key'), serving.keyPem);
    operator = await startOperator({
      ...(catalog ? { catalog: loadCatalog(join(repoRoot, catalog)) } : {}),
      admission: { port: 0, host: '127.0.0.1', certFile: join(certDir, 'tls.crt'), keyFile: join(certDir, 'tls.key'), options: DEFAULT_ADMISSION_OPTIONS },
    });

    // The example, by the admin with kubectl (so an update row's `kubectl apply` diffs against it), Namespaces first.
    const ordered = [...objects.filter((o) => o.kind === 'Namespace'), ...objects.filter((o) => o.kind !== 'Namespace')];
    const applied = await kubectl(['apply', '-f', '-'], ordered.map((o) => stringify(o)).join('---\n'));
    expect({ status: applied.status, stderr: applied.stderr }).toEqual({ status: 0, stderr: '' });
    const rbac = charterWriterRbac(ROLE, [...new Set(rows.map((r) => r.as))]);
    const bound = await kubectl(['apply', '-f', '-'], rbac.map((o) => stringify(o)).join('---\n'));
    expect({ status: bound.status, stderr: bound.stderr }).toEqual({ status: 0, stderr: '' });

    // The operator's engine holds the whole example before any row is judged.
    const model = (): NonNullable<Operator['reconciler']['engine']>['model'] | undefined => operator!.reconciler.engine?.model;
    await eventually(() => {
      const m = model();
      const missing = objects.filter((o) => {
        if (!m) return true;
        const name = o.metadata.name as string;
        switch (kindOf(o)) {
          case 'User':
            return !m.users.has(name);
          case 'Organization':
            return !m.organizations.has(name);
          case 'UserGroup':
            return !m.groups.has(name);
          case 'Collaboration':
            return !m.collaborations.has(`${o.metadata.namespace}/${name}`);
          default:
            return false;
        }
      });
      if (missing.length > 0) throw new Error(`not yet in the engine: ${missing.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
    }, 'the example in the operator\'s engine', { timeoutMs: 30_000, intervalMs: 100 });

    const configuration = webhookConfiguration({
      name: VWC,
      url: `https://127.0.0.1:${operator.admissionPort!}/validate`,
      caBundle: ca.certPem,
      failurePolicy: 'Fail',
      skipGroups: ['system:masters'],
      timeoutSeconds: 10,
    });
    await api.request('PATCH', `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${VWC}`, {
      contentType: 'application/apply-patch+yaml',
      query: { fieldManager: 'charter-examples-webhook-test', force: true },
      body: configuration,
    });
    // The API server picks up a new webhook configuration within a moment: wait until Charter denies the first
    // denied row (in dry run: nothing changes).
    const probe = change(rows.find((r) => r.expected.length > 0)!);
    const as = rows.find((r) => r.expected.length > 0)!.as;
    await eventually(async () => {
      const r = await kubectl(['--as', as, ...probe.args], probe.input);
      if (!r.stderr.includes(DENIED)) throw new Error(`kubectl: ${r.status} ${r.stdout} ${r.stderr}`);
    }, 'the webhook to be called', { timeoutMs: 30_000, intervalMs: 300 });
  });

  afterAll(async () => {
    await api?.request('DELETE', `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${VWC}`).catch(() => undefined);
    await kubectl(['delete', 'clusterrolebinding,clusterrole', ROLE, '--ignore-not-found']);
    if (api) {
      // Gone before the next file runs: examples.test.ts makes these names and expects none of them.
      await deleteAll(api, objects);
      await eventually(async () => {
        const left = [];
        for (const o of objects.filter((x) => x.kind !== 'Namespace')) if (await getObject(api, o)) left.push(`${o.kind}/${o.metadata.name}`);
        if (left.length > 0) throw new Error(`still there: ${left.join(', ')}`);
      }, 'the example objects to be deleted');
    }
    await operator?.stop();
    api?.close();
    if (certDir) rmSync(certDir, { recursive: true, force: true });
  });

  test('the table has rows, some allowed and some denied', () => {
    expect(rows.length).toBeGreaterThanOrEqual(6);
    expect(rows.some((r) => r.expected.length === 0)).toBe(true);
    expect(rows.some((r) => r.expected.length > 0)).toBe(true);
  });

  test.each(rows.map((row) => [`${row.as} ${row.operation}s ${row.object} (README.md line ${row.line})`, row] as const))('kubectl --as: %s', async (_title, row) => {
    const { args, input } = change(row);
    const command = `kubectl --as ${row.as} ${args.join(' ')}`;
    const r = await kubectl(['--as', row.as, ...args], input);
    if (row.expected.length === 0) {
      expect({ command, status: r.status, stdout: r.stdout, stderr: r.stderr.split('\n').filter((l) => l && !/last-applied-configuration/.test(l)) }).toEqual({
        command,
        status: 0,
        stdout: expect.stringContaining('(server dry run)'),
        stderr: [],
      });
    } else {
      expect({ command, status: r.status === 0 ? 0 : 'failed', reasons: reasonsOf(r.stderr) ?? r.stderr }).toEqual({ command, status: 'failed', reasons: row.expected });
    }
  });
});
