/**
 * The examples of examples/ against the real API server, as people and programs apply them:
 *
 * - kubectl, as a user or a GitOps pipeline runs it: `kubectl apply --dry-run=server` of everything passes and
 *   creates nothing; `kubectl apply -R -f examples/` creates every object; `kubectl get charter -A` lists them
 *   with the CRDs' printer columns; `kubectl explain` explains the fields. All with `--validate=strict`, so an
 *   unknown field anywhere fails the run instead of being dropped with a warning.
 * - @kubernetes/client-node, as a program does: the YAML parsed with `yaml`, Namespaces first, each object
 *   created or server-side applied with KubernetesObjectApi; every spec reads back as written (plus the CRDs'
 *   defaults), e.g. an explicit `ownerRights: []` survives; applying again changes nothing.
 *
 * The examples' namespaces (acme, media, tenant, ...) and cluster-scoped names are fixed, and this control
 * plane has no namespace controller: a deleted namespace stays Terminating for the rest of the run. So this
 * file is the only one that may use them, runs its steps in order, and deletes what it created at the end.
 * (Against an outside cluster, CHARTER_TEST_KUBECONFIG, it runs once per cluster for the same reason.)
 */
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiException, KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
import type { KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { readCRDs } from '../../src/devcluster/crds.ts';
import { kubeConfig, kubectl } from './support/cluster.ts';

jest.setTimeout(60_000); // ~100 objects, several passes, on a small shared machine

type Obj = Record<string, any>;

/** A manifest of the examples, and where it came from. */
interface Manifest {
  set: string;
  file: string;
  obj: Obj;
}

const examplesDir = fileURLToPath(new URL('../../examples', import.meta.url));
const crdsDir = fileURLToPath(new URL('../../crds', import.meta.url));
const FIELD_MANAGER = 'charter-examples-test';

/** Every object of one example set, in file order, as `kubectl apply -R -f` reads it (.yaml/.yml/.json). */
function readSet(set: string): Manifest[] {
  const dir = join(examplesDir, set);
  const out: Manifest[] = [];
  for (const file of readdirSync(dir).filter((f) => /\.(ya?ml|json)$/.test(f)).sort()) {
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
      if (doc.errors.length) throw new Error(`examples/${set}/${file}: ${doc.errors[0]?.message}`);
      const obj = doc.toJS() as Obj | null;
      if (obj) out.push({ set, file, obj });
    }
  }
  return out;
}

const setNames = readdirSync(examplesDir, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();
const sets = new Map(setNames.map((s) => [s, readSet(s)]));
const all = [...sets.values()].flat();
const isNamespace = (m: Manifest): boolean => m.obj.apiVersion === 'v1' && m.obj.kind === 'Namespace';
const namespaces = all.filter(isNamespace);
const charterObjects = all.filter((m) => !isNamespace(m));

/** `<kind>.<group>/<name>`, `namespace/<name>`: how kubectl names an object in apply's output. */
function kubectlName(obj: Obj): string {
  const group = String(obj.apiVersion).includes('/') ? `.${String(obj.apiVersion).split('/')[0]}` : '';
  return `${String(obj.kind).toLowerCase()}${group}/${obj.metadata.name}`;
}
const describeObj = (m: Manifest): string => {
  const ns = m.obj.metadata.namespace ? `${m.obj.metadata.namespace}/` : '';
  return `${m.obj.kind} ${ns}${m.obj.metadata.name} (examples/${m.set}/${m.file})`;
};

// The CRDs the harness installed, by kind.
const crds = new Map<string, Obj>(readCRDs([crdsDir]).map((crd: Obj) => [crd.spec.names.kind as string, crd]));
function crdOf(kind: string): Obj {
  const crd = crds.get(kind);
  if (!crd) throw new Error(`no CRD in crds/ for kind ${kind}`);
  return crd;
}
const servedVersion = (crd: Obj): Obj => crd.spec.versions.find((v: Obj) => v.storage) ?? crd.spec.versions[0];
const specSchema = (kind: string): Obj => servedVersion(crdOf(kind)).schema.openAPIV3Schema.properties.spec;

/** `value` with the schema's defaults filled in, as the API server defaults an object it stores. */
function withDefaults(schema: Obj | undefined, value: unknown): unknown {
  if (!schema) return value;
  if (Array.isArray(value)) return value.map((v) => withDefaults(schema.items, v));
  if (value === null || typeof value !== 'object') return value;
  const out: Obj = { ...(value as Obj) };
  for (const [key, prop] of Object.entries((schema.properties ?? {}) as Record<string, Obj>)) {
    if (out[key] === undefined && 'default' in prop) out[key] = structuredClone(prop.default);
    if (out[key] !== undefined) out[key] = withDefaults(prop, out[key]);
  }
  return out;
}
const expectedSpec = (obj: Obj): unknown => withDefaults(specSchema(obj.kind), obj.spec ?? {});

const api = (): KubernetesObjectApi => KubernetesObjectApi.makeApiClient(kubeConfig());
const header = (obj: Obj): { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } } => ({
  apiVersion: obj.apiVersion,
  kind: obj.kind,
  metadata: { name: obj.metadata.name, ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}) },
});

/** The object as the API server has it, or undefined when it does not exist. */
async function readOrUndefined(client: KubernetesObjectApi, obj: Obj): Promise<Obj | undefined> {
  try {
    return (await client.read(header(obj))) as Obj;
  } catch (e) {
    if (e instanceof ApiException && e.code === 404) return undefined;
    throw e;
  }
}

/** Server-side apply of `obj` (no force: a conflict with another field manager fails). */
async function serverSideApply(client: KubernetesObjectApi, obj: Obj): Promise<Obj> {
  const body = structuredClone(obj) as KubernetesObject;
  return (await client.patch(body, undefined, undefined, FIELD_MANAGER, false, PatchStrategy.ServerSideApply)) as Obj;
}

/** What a program does to apply a manifest: create it when it is not there, else server-side apply it. */
async function createOrApply(client: KubernetesObjectApi, obj: Obj): Promise<Obj> {
  if ((await readOrUndefined(client, obj)) === undefined) {
    return (await client.create(structuredClone(obj) as KubernetesObject, undefined, undefined, FIELD_MANAGER)) as Obj;
  }
  return serverSideApply(client, obj);
}

/** Deletes `objs` (those that exist) and waits until they are gone. */
async function deleteAndWait(client: KubernetesObjectApi, objs: Obj[]): Promise<void> {
  for (const obj of objs) {
    try {
      await client.delete(header(obj));
    } catch (e) {
      if (!(e instanceof ApiException && e.code === 404)) throw e;
    }
  }
  await eventually(async () => {
    const left: string[] = [];
    for (const obj of objs) if (await readOrUndefined(client, obj)) left.push(kubectlName(obj));
    expect(left).toEqual([]);
  });
}

/** Retries `check` until it passes, for up to `ms`. */
async function eventually(check: () => Promise<void> | void, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      await check();
      return;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** The tables of `kubectl get` (one per kind, separated by a blank line), cells cut at the header's columns. */
function parseTables(output: string): { header: string[]; rows: Record<string, string>[] }[] {
  return output
    .trim()
    .split(/\n\s*\n/)
    .map((block) => {
      const [head = '', ...lines] = block.split('\n');
      const cols = [...head.matchAll(/\S+/g)].map((m) => ({ name: m[0], start: m.index }));
      const rows = lines.map((line) =>
        Object.fromEntries(cols.map((c, i) => [c.name, line.slice(c.start, cols[i + 1]?.start).trim()])),
      );
      return { header: cols.map((c) => c.name), rows };
    });
}

/** `expect(actual).toEqual(expected)`, naming `what` in a failure's diff. */
function expectOf(what: string, actual: unknown, expected: unknown): void {
  expect({ what, actual }).toEqual({ what, actual: expected });
}

/** Sorted, so that two multisets of output lines compare as equal lists. */
const sortedLines = (text: string): string[] => text.split('\n').filter((l) => l.trim() !== '').sort();

describe('the examples against the real API server', () => {
  const namespaceNames = namespaces.map((m) => m.obj.metadata.name as string);

  afterAll(async () => {
    // Whatever the tests got to; the last test does the same and checks it.
    const client = api();
    await deleteAndWait(client, charterObjects.map((m) => m.obj)).catch(() => undefined);
    for (const m of namespaces) await client.delete(header(m.obj)).catch(() => undefined);
  });

  test('the example sets use namespaces and names of their own, not yet in the cluster', async () => {
    expect(setNames).toEqual(expect.arrayContaining(['aspera', 'the-things-stack', 'thingsboard']));
    for (const [set, manifests] of sets) {
      const inNamespacesFile = manifests.filter(isNamespace).every((m) => m.file === '00-namespaces.yaml');
      expectOf(`${set}: Namespaces in 00-namespaces.yaml`, inNamespacesFile, true);
      // Every namespace an object names is one of the set's own 00-namespaces.yaml.
      const own = new Set(manifests.filter(isNamespace).map((m) => m.obj.metadata.name));
      const used = manifests.flatMap((m) => (m.obj.metadata.namespace ? [m.obj.metadata.namespace as string] : []));
      expectOf(`${set}: namespaces used but not made`, [...new Set(used)].filter((n) => !own.has(n)), []);
    }
    // No two objects (across all sets) are the same object: kind, namespace and name.
    const keys = all.map((m) => `${m.obj.kind} ${m.obj.metadata.namespace ?? ''}/${m.obj.metadata.name}`);
    expect(keys.filter((k, i) => keys.indexOf(k) !== i)).toEqual([]);
    // None is a name newNamespace() makes for other tests (`<prefix>-<8 hex>`).
    expect(namespaceNames.filter((n) => /-[0-9a-f]{8}$/.test(n))).toEqual([]);
    // And nothing of them exists yet: this file is the first and only one to make them.
    const client = api();
    const existing: string[] = [];
    for (const m of all) if (await readOrUndefined(client, m.obj)) existing.push(describeObj(m));
    expect(existing).toEqual([]);
  });

  describe('with kubectl', () => {
    test('apply --dry-run=server --validate=strict -R -f examples/ passes, and creates nothing', async () => {
      // A server-side dry run of a Collaboration in a namespace that does not exist fails (the namespace
      // is not created by the dry run of its Namespace), so, as a GitOps pipeline finds them, the
      // namespaces are there first.
      const nsFiles = setNames.flatMap((s) => ['-f', join(examplesDir, s, '00-namespaces.yaml')]);
      const ns = kubectl(['apply', '--validate=strict', ...nsFiles]);
      expect({ status: ns.status, stderr: ns.stderr }).toEqual({ status: 0, stderr: '' });
      expect(sortedLines(ns.stdout)).toEqual(namespaces.map((m) => `${kubectlName(m.obj)} created`).sort());

      const r = kubectl(['apply', '--dry-run=server', '--validate=strict', '-R', '-f', examplesDir]);
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
      expect(sortedLines(r.stdout)).toEqual(
        all.map((m) => `${kubectlName(m.obj)} ${isNamespace(m) ? 'unchanged' : 'created'} (server dry run)`).sort(),
      );

      const client = api();
      const created: string[] = [];
      for (const m of charterObjects) if (await readOrUndefined(client, m.obj)) created.push(describeObj(m));
      expect(created).toEqual([]);
    });

    test('apply --validate=strict -R -f examples/ creates every example object, without a warning', () => {
      const r = kubectl(['apply', '--validate=strict', '-R', '-f', examplesDir]);
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
      expect(sortedLines(r.stdout)).toEqual(
        all.map((m) => `${kubectlName(m.obj)} ${isNamespace(m) ? 'unchanged' : 'created'}`).sort(),
      );
    });

    test.each([
      ['get charter -A', false],
      ['get charter -A -o wide', true],
    ])('%s lists them with the printer columns', (_name, wide) => {
      const r = kubectl(['get', 'charter', '-A', ...(wide ? ['-o', 'wide'] : [])]);
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
      const tables = parseTables(r.stdout);
      const kindOfTable = (t: { rows: Record<string, string>[] }): string => {
        const singular = t.rows[0]?.NAME?.split('.')[0];
        const crd = [...crds.values()].find((c) => c.spec.names.singular === singular);
        if (!crd) throw new Error(`a table of kubectl get charter with no known kind: ${singular}`);
        return crd.spec.names.kind;
      };
      expect(tables.map(kindOfTable).sort()).toEqual([...new Set(charterObjects.map((m) => m.obj.kind))].sort());

      for (const table of tables) {
        const kind = kindOfTable(table);
        const columns = (servedVersion(crdOf(kind)).additionalPrinterColumns as Obj[]).filter((c) => wide || !c.priority);
        // e.g. users: NAMESPACE NAME STATE ADMIN READY ORGS GROUPS AGE
        expect({ kind, header: table.header }).toEqual({
          kind,
          header: ['NAMESPACE', 'NAME', ...columns.map((c) => String(c.name).toUpperCase())],
        });
        // Every example object of the kind is a row, and the columns that show its spec show what it says.
        const specColumns = columns.filter((c) => /^\.spec(\.[A-Za-z]+)+$/.test(c.jsonPath) && c.type !== 'date');
        for (const m of charterObjects.filter((x) => x.obj.kind === kind)) {
          const row = table.rows.find(
            (row) => row.NAME === kubectlName(m.obj) && row.NAMESPACE === (m.obj.metadata.namespace ?? ''),
          );
          expectOf(`${describeObj(m)} listed`, row !== undefined, true);
          const spec = expectedSpec(m.obj);
          for (const c of specColumns) {
            const value = String(c.jsonPath)
              .split('.')
              .slice(2)
              .reduce<unknown>((v, key) => (v && typeof v === 'object' ? (v as Obj)[key] : undefined), spec);
            const cell = row?.[String(c.name).toUpperCase()];
            expectOf(`${describeObj(m)}, column ${c.name}`, cell, value === undefined ? '' : String(value));
          }
        }
      }
      // The headers the issue names, spelled out once.
      expect(tables.map((t) => t.header.join(' '))).toContain('NAMESPACE NAME STATE ADMIN READY ORGS GROUPS AGE');
    });

    /** The type as `kubectl explain` prints it: <string>, <[]string>, <Object>, ... */
    const explainType = (s: Obj): string =>
      s.type === 'array' ? `[]${explainType(s.items ?? {})}` : s.type === 'object' ? 'Object' : String(s.type);
    const squash = (text: string): string => text.replace(/\s+/g, ' ').trim();

    test.each([
      ['users.spec', 'User', []],
      ['collaborations.spec.subject', 'Collaboration', ['subject']],
    ])('explain %s explains the fields', async (path, kind, below) => {
      const schema = (below as string[]).reduce<Obj>((s, key) => s.properties[key], specSchema(kind as string));
      const fields = Object.entries(schema.properties as Record<string, Obj>);
      expect(fields.length).toBeGreaterThan(0);
      // The OpenAPI document of a new CRD is published a moment after it is Established.
      await eventually(() => {
        const r = kubectl(['explain', path as string]);
        expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
        expect(r.stdout).toContain(`KIND:       ${kind}`);
        expect(squash(r.stdout)).toContain(squash(schema.description));
        for (const [name, prop] of fields) {
          const required = (schema.required ?? []).includes(name) ? ' -required-' : '';
          const type = explainType(prop).replace(/[[\]]/g, '\\$&');
          expect(r.stdout).toMatch(new RegExp(`^  ${name}\\t<${type}>${required}$`, 'm'));
          expectOf(`the description of ${name}`, squash(r.stdout).includes(squash(prop.description ?? '')), true);
        }
      });
    });
  });

  describe('with @kubernetes/client-node (server-side apply)', () => {
    beforeAll(async () => {
      // Start over from what kubectl made: the charter objects go, the namespaces stay (they could not be
      // made again: a deleted namespace stays Terminating here).
      await deleteAndWait(api(), charterObjects.map((m) => m.obj));
    });

    test.each(setNames)('examples/%s: Namespaces first, then each object; the specs read back unchanged', async (set) => {
      const client = api();
      const manifests = sets.get(set) ?? [];
      const kinds = ['Namespace', 'Organization', 'UserGroup', 'User', 'Collaboration'];
      const rank = (m: Manifest): number => kinds.indexOf(m.obj.kind);
      const ordered = [...manifests].sort((a, b) => rank(a) - rank(b)); // stable: file order within a kind
      expect(ordered.map(rank)).not.toContain(-1);

      for (const m of ordered) {
        const returned = await createOrApply(client, m.obj);
        expectOf(`${describeObj(m)} has a uid`, typeof returned.metadata?.uid, 'string');
      }
      for (const m of ordered.filter((x) => !isNamespace(x))) {
        const stored = await readOrUndefined(client, m.obj);
        expectOf(`${describeObj(m)} spec`, stored?.spec, expectedSpec(m.obj));
        const labels = expect.objectContaining(m.obj.metadata.labels ?? {});
        expectOf(`${describeObj(m)} labels`, stored?.metadata?.labels ?? {}, labels);
      }
    });

    test('an explicit ownerRights: [] survives; one left out stays out (the engine defaults it, not the API)', async () => {
      const explicit = charterObjects.filter(
        (m) => m.obj.kind === 'Organization' && m.obj.spec?.ownerRights?.length === 0,
      );
      expect(explicit.map((m) => m.obj.metadata.name)).toContain('partners');
      const client = api();
      for (const m of explicit) {
        const stored = await readOrUndefined(client, m.obj);
        expectOf(`${describeObj(m)} ownerRights`, stored?.spec?.ownerRights, []);
      }
      // acme leaves it out, for the default [RIGHT_ALL]: an empty list stored for it would mean nothing by ownership.
      const acme = charterObjects.find((m) => m.obj.kind === 'Organization' && m.obj.metadata.name === 'acme');
      expect(acme?.obj.spec).toBeDefined();
      expect(acme?.obj.spec.ownerRights).toBeUndefined();
      expect((await readOrUndefined(client, acme?.obj ?? {}))?.spec).not.toHaveProperty('ownerRights');
    });

    test('server-side applying every manifest again keeps the specs, and a further apply changes nothing', async () => {
      const client = api();
      const ordered = [...namespaces, ...charterObjects];
      const versions = new Map<Manifest, string | undefined>();
      for (const m of ordered) {
        const returned = await serverSideApply(client, m.obj);
        if (!isNamespace(m)) {
          expectOf(`${describeObj(m)} spec`, returned.spec, expectedSpec(m.obj));
        }
        versions.set(m, returned.metadata?.resourceVersion);
      }
      const changed: string[] = [];
      for (const m of ordered) {
        const returned = await serverSideApply(client, m.obj);
        if (returned.metadata?.resourceVersion !== versions.get(m)) changed.push(describeObj(m));
      }
      expect(changed).toEqual([]);
    });
  });

  test('deleting the examples removes every charter object; the namespaces go Terminating', async () => {
    const client = api();
    await deleteAndWait(client, charterObjects.map((m) => m.obj)); // the Collaborations too: no namespace controller
    for (const m of namespaces) await client.delete(header(m.obj));
    for (const m of namespaces) {
      const stored = await readOrUndefined(client, m.obj);
      const phase = stored?.status?.phase ?? 'gone';
      expectOf(`namespace ${m.obj.metadata.name}`, phase, expect.stringMatching(/^(Terminating|gone)$/));
    }
  });
});
