/** A real control plane (etcd + kube-apiserver) on loopback for tests and development: see docs/control-plane.md. */
export { startControlPlane, installCRDs, installCRDsWithKubeconfig, readCRDs, requesterFromKubeconfig, sweepStale, ADMIN, DEFAULT_IDENTITIES } from './controlplane.ts';
export type { ControlPlane, ControlPlaneOptions, Identity, ApiResponse, Requester } from './controlplane.ts';
export { findControlPlaneBinaries } from './binaries.ts';
export type { ControlPlaneBinaries } from './binaries.ts';
export { useDevCluster, runningDevCluster, devKubeconfigPath } from './devcluster.ts';
export type { DevClusterState } from './devcluster.ts';
