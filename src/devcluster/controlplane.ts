/**
 * A real, throwaway Kubernetes control plane on loopback: etcd + kube-apiserver, as envtest runs for
 * Go operators. Used by the integration tests (one per test run), `npm run cluster:up`, and `npm start`
 * when no cluster is configured. See docs/control-plane.md.
 *
 * What it sets up, in a fresh temporary folder (each step in a file of its own):
 * - credentials (./credentials.ts): its own CA; a serving certificate for 127.0.0.1/localhost/kubernetes.default...;
 *   client certificates for an admin (group system:masters) and a few ordinary identities (no rights until RBAC grants
 *   some); the same identities also have static bearer tokens; an ECDSA service-account signing key pair, so
 *   TokenRequest and TokenReview work;
 * - etcd (./etcd.ts), then kube-apiserver with authorization mode RBAC (./kube-apiserver.ts);
 * - a kubeconfig with one context per identity (`admin` is current) (./kubeconfig.ts);
 * - the CustomResourceDefinitions found in the given files/folders, applied and waited on until Established (./crds.ts).
 *
 * Cleanup (./teardown.ts): stop() stops both processes and removes the folder. If this process dies instead
 * (SIGKILL, crash), the children die with it (PR_SET_PDEATHSIG through `setpriv`, where present) and a detached
 * watchdog process, which notices its stdin pipe from this process closing, kills whatever is left and
 * removes the folder. SIGINT/SIGTERM/SIGHUP stop the control plane before the process goes.
 * A later start also sweeps folders left by control planes whose owner is gone (./stale-folders.ts).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiResponse } from './api-request.ts';
import { findControlPlaneBinaries, repoRoot } from './binaries.ts';
import type { ControlPlaneBinaries } from './binaries.ts';
import { PortInUseError, tail } from './child-processes.ts';
import { installCRDs } from './crds.ts';
import { ADMIN, DEFAULT_IDENTITIES, writeCredentials, type Identity } from './credentials.ts';
import { startEtcd } from './etcd.ts';
import { startApiserver } from './kube-apiserver.ts';
import { kubeconfigYaml } from './kubeconfig.ts';
import { freePorts } from './loopback-ports.ts';
import { DIR_PREFIX, sweepStale, writeOwner } from './stale-folders.ts';
import { prepareTeardown } from './teardown.ts';
import { issueCert } from './x509.ts';
import type { CertRequest, IssuedCert } from './x509.ts';

export interface ControlPlaneOptions {
  /** The binaries to run; default: found, or built once, by scripts/controlplane-build.sh. */
  binaries?: ControlPlaneBinaries;
  /** Build the binaries when they are missing (default true; the first build takes many minutes). */
  build?: boolean;
  /** CRD files or folders of *.yaml/*.yml/*.json to install (default: the repository's crds/). */
  crds?: string[];
  /** Ordinary identities besides the admin (default DEFAULT_IDENTITIES). */
  identities?: Identity[];
  /** Where the temporary folder goes (default: the OS temp folder). */
  baseDir?: string;
  /** How long etcd + kube-apiserver may take to get ready (default 180 s). */
  startTimeoutMs?: number;
  /** Stop on SIGINT/SIGTERM/SIGHUP, then re-raise the signal if nobody else listens (default true). */
  handleSignals?: boolean;
  /** Copy etcd's and kube-apiserver's logs here on stop (default: $CHARTER_CONTROLPLANE_LOGS, else not kept). */
  keepLogsIn?: string;
  /** More kube-apiserver flags. */
  apiserverArgs?: string[];
  /** Progress messages (default: none). */
  log?: (message: string) => void;
}

export interface ControlPlane {
  /** The temporary folder holding certificates, keys, etcd's data, logs and the kubeconfig. */
  dir: string;
  /** https://127.0.0.1:<port> */
  server: string;
  kubeconfigPath: string;
  /** The cluster CA (PEM), which signed the serving and client certificates. */
  caPem: string;
  /** A certificate signed by the cluster CA (e.g. the admission webhook's serving certificate). */
  issueCert(req: CertRequest): IssuedCert;
  admin: Identity;
  identities: Identity[];
  /** Static bearer tokens, by identity name (admin included). */
  tokens: Record<string, string>;
  ports: { apiserver: number; etcdClient: number; etcdPeer: number };
  pids: { etcd: number; apiserver: number; watchdog?: number };
  binaries: ControlPlaneBinaries;
  /** Applies CRDs (files or folders) and waits until they are Established and served; returns their names. */
  installCRDs(paths: string[], timeoutMs?: number): Promise<string[]>;
  /** A request as the admin: JSON in and out. */
  request(method: string, path: string, body?: unknown, contentType?: string): Promise<ApiResponse>;
  /** Resolves when etcd or kube-apiserver exits without stop() having been called. */
  unexpectedExit: Promise<string>;
  /** Stops both processes and removes the folder. Idempotent. */
  stop(): Promise<void>;
}

export async function startControlPlane(opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const log = opts.log ?? (() => {});
  const baseDir = opts.baseDir ?? tmpdir();
  sweepStale(baseDir, log);
  const binaries = opts.binaries ?? (await findControlPlaneBinaries({ build: opts.build ?? true }));
  const crds = opts.crds ?? [join(repoRoot, 'crds')];
  let lastError: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      const cp = await startOnce(binaries, baseDir, opts, log);
      if (crds.length) {
        const names = await cp.installCRDs(crds).catch(async (e: unknown) => {
          await cp.stop();
          throw e;
        });
        if (names.length) log(`installed CRDs: ${names.join(', ')}`);
      }
      return cp;
    } catch (e) {
      lastError = e;
      // A port taken between choosing and binding it is the one failure worth another try.
      if (!(e instanceof PortInUseError) || attempt === 3) throw e;
      log(`a port was taken meanwhile; starting again (${attempt}/3)`);
    }
  }
  throw lastError;
}

/** One attempt: on failure everything started is stopped and the error carries the children's last log lines. */
async function startOnce(binaries: ControlPlaneBinaries, baseDir: string, opts: ControlPlaneOptions, log: (m: string) => void): Promise<ControlPlane> {
  mkdirSync(baseDir, { recursive: true });
  const dir = mkdtempSync(join(baseDir, DIR_PREFIX));
  const teardown = prepareTeardown(dir, { handleSignals: opts.handleSignals ?? true, keepLogsIn: opts.keepLogsIn ?? process.env.CHARTER_CONTROLPLANE_LOGS });
  try {
    const identities = opts.identities ?? DEFAULT_IDENTITIES;
    const credentials = writeCredentials(dir, identities);
    const [apiPort, etcdClient, etcdPeer] = (await freePorts(3)) as [number, number, number];
    const deadline = Date.now() + (opts.startTimeoutMs ?? 180_000);
    const own = teardown.own;
    const etcd = await startEtcd(binaries.etcd, dir, { client: etcdClient, peer: etcdPeer }, deadline, own);
    log(`etcd ready on ${etcd.url}`);
    const apiserver = await startApiserver(binaries.kubeApiserver, dir, apiPort, etcd.url, credentials, ADMIN.name, opts.apiserverArgs ?? [], deadline, own);
    const { server, request } = apiserver;
    log(`kube-apiserver ready on ${server}`);

    const kubeconfigPath = join(dir, 'kubeconfig');
    writeFileSync(kubeconfigPath, kubeconfigYaml(server, credentials.ca.certPem, credentials.everyone, credentials.clientCerts), { mode: 0o600 });
    writeOwner(dir, { pid: process.pid, etcd: etcd.child.proc.pid, apiserver: apiserver.child.proc.pid, watchdog: teardown.watchdogPid });

    const watchdog = teardown.watchdogPid;
    return {
      dir,
      server,
      kubeconfigPath,
      caPem: credentials.ca.certPem,
      issueCert: (req) => issueCert(req, credentials.ca),
      admin: ADMIN,
      identities,
      tokens: credentials.tokens,
      ports: { apiserver: apiPort, etcdClient, etcdPeer },
      pids: { etcd: etcd.child.proc.pid!, apiserver: apiserver.child.proc.pid!, ...(watchdog ? { watchdog } : {}) },
      binaries,
      installCRDs: (paths, timeoutMs) => installCRDs(request, paths, timeoutMs),
      request,
      unexpectedExit: teardown.unexpectedExit,
      stop: teardown.stop,
    };
  } catch (e) {
    const logs = teardown.children.map((c) => `--- ${c.name}.log (last lines) ---\n${tail(join(dir, `${c.name}.log`), 25)}`);
    await teardown.stop();
    if (e instanceof PortInUseError) throw e;
    const err = e instanceof Error ? e : new Error(String(e));
    err.message += logs.length ? `\n${logs.join('\n')}` : '';
    throw err;
  }
}
