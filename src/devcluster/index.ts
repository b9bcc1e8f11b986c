/** A real control plane (etcd + kube-apiserver) on loopback for tests and development: see docs/control-plane.md. */
export { startControlPlane } from './controlplane.ts';
export type { ControlPlane, ControlPlaneOptions } from './controlplane.ts';
export { installCRDs, installCRDsWithKubeconfig, readCRDs } from './crds.ts';
export { requesterFromKubeconfig } from './api-request.ts';
export type { ApiResponse, Requester } from './api-request.ts';
export { ADMIN, DEFAULT_IDENTITIES } from './credentials.ts';
export type { Identity } from './credentials.ts';
export { sweepStale } from './stale-folders.ts';
export { findControlPlaneBinaries } from './binaries.ts';
export type { ControlPlaneBinaries } from './binaries.ts';
export { useDevCluster, runningDevCluster, devKubeconfigPath } from './devcluster.ts';
export type { DevClusterState } from './devcluster.ts';
