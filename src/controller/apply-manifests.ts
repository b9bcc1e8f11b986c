/**
 * Server-side applies the manifests of files or folders (Namespaces first): how `npm start` loads `examples/`
 * into the local control plane, and how tests load fixtures, without depending on kubectl.
 */
import { isKindName } from '../api/kinds.ts';
import { documentObjects, manifestFiles, parseManifestDocuments, readManifestText } from '../model/load-manifests.ts';
import { APPLY_PATCH, type ApiClient } from './api-client.ts';
import { objectPath } from './resources.ts';

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}

function pathOf(m: Manifest): string {
  if (m.kind === 'Namespace') return `/api/v1/namespaces/${m.metadata.name}`;
  if (isKindName(m.kind) && m.apiVersion.startsWith('charter.dev/')) return objectPath(m.kind, m.metadata.name, m.kind === 'Collaboration' ? m.metadata.namespace : undefined);
  throw new Error(`${m.kind}/${m.metadata.name}: only Namespaces and charter.dev objects are applied here`);
}

/** Applies every Namespace and charter.dev object of the paths; returns how many objects were applied. */
export async function applyManifests(api: ApiClient, paths: readonly string[], fieldManager = 'charter-examples'): Promise<number> {
  const manifests: Manifest[] = [];
  const { files, problems } = manifestFiles(paths);
  if (problems.length > 0) throw new Error(problems.map((p) => `${p.file}: ${p.message}`).join('\n'));
  for (const file of files) {
    const read = readManifestText(file);
    if ('problem' in read) throw new Error(`${file}: ${read.problem}`);
    for (const doc of parseManifestDocuments(read.text)) {
      if ('problem' in doc) throw new Error(`${file}: ${doc.problem}`);
      for (const value of documentObjects(doc.value)) {
        const m = value as Manifest | null;
        if (!m?.kind || !m.metadata?.name) continue;
        if (m.kind === 'Namespace' || (isKindName(m.kind) && m.apiVersion?.startsWith('charter.dev/'))) manifests.push(m);
      }
    }
  }
  manifests.sort((a, b) => Number(b.kind === 'Namespace') - Number(a.kind === 'Namespace'));
  for (const m of manifests) {
    await api.request('PATCH', pathOf(m), { contentType: APPLY_PATCH, query: { fieldManager, force: true }, body: m });
  }
  return manifests.length;
}
