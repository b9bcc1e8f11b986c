/**
 * Jest globalSetup for the `integration` project: one real control plane (etcd + kube-apiserver) for the
 * whole run, with the CRDs of crds/ installed. Tests reach it through ./cluster.ts.
 *
 * Set CHARTER_TEST_KUBECONFIG to a kubeconfig to run the tests against that cluster instead (for example
 * .charter/kubeconfig from `npm run cluster:up`, to skip the start-up while iterating).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startControlPlane } from '../../../src/devcluster/controlplane.ts';
import type { ControlPlane } from '../../../src/devcluster/controlplane.ts';
import type { ControlPlaneInfo } from './cluster.ts';

declare global {
  var __charterControlPlane: ControlPlane | undefined;
}

export default async function globalSetup(): Promise<void> {
  if (process.env.CHARTER_TEST_KUBECONFIG) {
    process.stderr.write(`\nintegration tests use the cluster of CHARTER_TEST_KUBECONFIG=${process.env.CHARTER_TEST_KUBECONFIG}\n`);
    return;
  }
  const started = Date.now();
  const cp = await startControlPlane({ log: (m) => process.stderr.write(`control plane: ${m}\n`) });
  globalThis.__charterControlPlane = cp;
  const info: ControlPlaneInfo = {
    server: cp.server,
    dir: cp.dir,
    kubeconfigPath: cp.kubeconfigPath,
    binariesDir: cp.binaries.dir,
    tokens: cp.tokens,
    admin: cp.admin,
    identities: cp.identities,
    pids: cp.pids,
    ports: cp.ports,
  };
  const infoPath = join(cp.dir, 'controlplane.json');
  writeFileSync(infoPath, JSON.stringify(info, null, 2));
  // Environment variables set here reach every test (workers and in-band alike).
  process.env.CHARTER_TEST_KUBECONFIG = cp.kubeconfigPath;
  process.env.CHARTER_TEST_CONTROLPLANE_INFO = infoPath;
  process.stderr.write(`control plane: up in ${Date.now() - started} ms at ${cp.server}\n`);
}
