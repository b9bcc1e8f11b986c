/** The control plane's etcd: one member on loopback (plain HTTP), throwaway data without fsync; ready when /health says so. */
import { join } from 'node:path';
import { plainGet } from './api-request.ts';
import { startChild, waitFor, type Child } from './child-processes.ts';

export interface RunningEtcd {
  child: Child;
  /** http://127.0.0.1:<client port> */
  url: string;
}

/** Starts etcd; `own` takes the child before the wait, so that a failed start is cleaned up too. */
export async function startEtcd(
  bin: string,
  dir: string,
  ports: { client: number; peer: number },
  deadline: number,
  own: (child: Child) => void,
): Promise<RunningEtcd> {
  const url = `http://127.0.0.1:${ports.client}`;
  const peerUrl = `http://127.0.0.1:${ports.peer}`;
  const child = startChild('etcd', bin, dir, [
    '--name=charter',
    `--data-dir=${join(dir, 'etcd-data')}`,
    `--listen-client-urls=${url}`,
    `--advertise-client-urls=${url}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=charter=${peerUrl}`,
    '--initial-cluster-state=new',
    '--unsafe-no-fsync', // throwaway data: skip fsync, much faster on a busy disk
    '--log-level=warn',
  ]);
  own(child);
  await waitFor('etcd', child, dir, deadline, async () => {
    const r = await plainGet(`${url}/health`);
    return r.status === 200 && /"health":\s*"true"/.test(r.body);
  });
  return { child, url };
}
