/**
 * CustomResourceDefinitions for the control plane: read from files or folders, applied by server-side apply (field
 * manager `charter-devcluster`), and waited on until Established and listed by discovery (which kubectl reads first).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { requesterFromKubeconfig, type Requester } from './api-request.ts';
import { sleep } from './child-processes.ts';

/** What the installer reads of a CRD; the document is applied whole. */
export interface CrdDocument {
  kind: 'CustomResourceDefinition';
  metadata: { name: string };
  spec: { group: string; names: { plural: string }; versions?: { name: string; served: boolean }[] };
  [field: string]: unknown;
}

const isCrd = (doc: unknown): doc is CrdDocument => (doc as { kind?: unknown } | null)?.kind === 'CustomResourceDefinition';

/** Every CustomResourceDefinition document in these files, or in the *.yaml/*.yml/*.json files of these folders. */
export function readCRDs(paths: string[]): CrdDocument[] {
  const files: string[] = [];
  for (const p of paths.map((x) => resolve(x))) {
    if (!existsSync(p)) continue;
    if (statSync(p).isDirectory()) {
      for (const f of readdirSync(p).sort()) if (/\.(ya?ml|json)$/.test(f)) files.push(join(p, f));
    } else files.push(p);
  }
  const crds: CrdDocument[] = [];
  for (const f of files) {
    for (const doc of parseAllDocuments(readFileSync(f, 'utf8'))) {
      if (doc.errors.length) throw new Error(`${f}: ${doc.errors[0]?.message}`);
      const obj: unknown = doc.toJS();
      if (isCrd(obj)) crds.push(obj);
    }
  }
  return crds;
}

/** installCRDs against the cluster of a kubeconfig (its current context, which must be allowed to). */
export function installCRDsWithKubeconfig(kubeconfigPath: string, paths: string[], timeoutMs?: number): Promise<string[]> {
  return installCRDs(requesterFromKubeconfig(kubeconfigPath), paths, timeoutMs);
}

/** Applies the CRDs of `paths` and waits until each is Established and served; returns their names. */
export async function installCRDs(request: Requester, paths: string[], timeoutMs = 60_000): Promise<string[]> {
  const crds = readCRDs(paths);
  const base = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
  for (const crd of crds) {
    const name = crd.metadata.name;
    const r = await request('PATCH', `${base}/${name}?fieldManager=charter-devcluster&force=true`, crd, 'application/apply-patch+yaml');
    if (r.status >= 300) throw new Error(`applying CRD ${name}: ${r.status} ${r.body?.message ?? JSON.stringify(r.body)}`);
  }
  const deadline = Date.now() + timeoutMs;
  for (const crd of crds) {
    const name = crd.metadata.name;
    // Established: the API server serves it. Then wait for discovery, which kubectl reads first.
    for (;;) {
      const r = await request('GET', `${base}/${name}`);
      const conds: { type: string; status: string; message?: string }[] = r.body?.status?.conditions ?? [];
      if (conds.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (Date.now() > deadline) {
        throw new Error(`CRD ${name} not Established in time: ${JSON.stringify(conds)}`);
      }
      await sleep(100);
    }
    const { group } = crd.spec;
    const { plural } = crd.spec.names;
    for (const v of crd.spec.versions ?? []) {
      if (!v.served) continue;
      for (;;) {
        const r = await request('GET', `/apis/${group}/${v.name}`);
        if (r.status === 200 && (r.body?.resources ?? []).some((x: { name: string }) => x.name === plural)) break;
        if (Date.now() > deadline) throw new Error(`${plural}.${group}/${v.name} not in discovery in time`);
        await sleep(100);
      }
    }
  }
  return crds.map((c) => c.metadata.name);
}
