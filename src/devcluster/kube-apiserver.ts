/**
 * The control plane's kube-apiserver: on https://127.0.0.1:<port>, RBAC, client certificates and static tokens,
 * service-account tokens; ready when /readyz answers 200 to the admin.
 */
import { join } from 'node:path';
import { apiRequest, type Requester } from './api-request.ts';
import { startChild, waitFor, type Child } from './child-processes.ts';
import type { Credentials } from './credentials.ts';

export interface RunningApiserver {
  child: Child;
  /** https://127.0.0.1:<port> */
  server: string;
  /** Requests as the admin (client certificate). */
  request: Requester;
}

/** Starts kube-apiserver against etcd; `own` takes the child before the wait, so that a failed start is cleaned up too. */
export async function startApiserver(
  bin: string,
  dir: string,
  port: number,
  etcdUrl: string,
  credentials: Credentials,
  adminName: string,
  extraArgs: string[],
  deadline: number,
  own: (child: Child) => void,
): Promise<RunningApiserver> {
  const server = `https://127.0.0.1:${port}`;
  const { files } = credentials;
  const child = startChild('kube-apiserver', bin, dir, [
    `--etcd-servers=${etcdUrl}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${port}`,
    `--cert-dir=${join(dir, 'apiserver-certs')}`,
    `--tls-cert-file=${files.servingCert}`,
    `--tls-private-key-file=${files.servingKey}`,
    `--client-ca-file=${files.ca}`,
    `--token-auth-file=${files.tokens}`,
    '--authorization-mode=RBAC',
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${files.saPub}`,
    `--service-account-signing-key-file=${files.saKey}`,
    '--service-cluster-ip-range=10.0.0.0/24',
    '--allow-privileged=true',
    // The "kubernetes" Service's endpoints would be 127.0.0.1, which Endpoints validation rejects.
    '--endpoint-reconciler-type=none',
    '--enable-priority-and-fairness=false',
    '--profiling=false',
    '--v=0',
    ...extraArgs,
  ]);
  own(child);
  const adminCert = credentials.clientCerts.get(adminName)!;
  const tls = { ca: credentials.ca.certPem, cert: adminCert.certPem, key: adminCert.keyPem };
  const request: Requester = (method, path, body, contentType) => apiRequest(server, tls, method, path, body, contentType);
  await waitFor('kube-apiserver', child, dir, deadline, async () => (await request('GET', '/readyz')).status === 200);
  return { child, server, request };
}
