/** Jest globalTeardown for the `integration` project: stops the control plane globalSetup started. */
import type { ControlPlane } from '../../../src/devcluster/controlplane.ts';

export default async function globalTeardown(): Promise<void> {
  const cp = (globalThis as { __charterControlPlane?: ControlPlane }).__charterControlPlane;
  if (!cp) return;
  await cp.stop();
  delete (globalThis as { __charterControlPlane?: ControlPlane }).__charterControlPlane;
}
