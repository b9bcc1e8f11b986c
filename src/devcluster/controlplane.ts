/**
 * A real, throwaway Kubernetes control plane on loopback: etcd + kube-apiserver, as envtest runs for
 * Go operators. Used by the integration tests (one per test run), `npm run cluster:up`, and `npm start`
 * when no cluster is configured. See docs/control-plane.md.
 *
 * What it sets up, in a fresh temporary folder:
 * - its own CA; a serving certificate for 127.0.0.1/localhost/kubernetes.default...; client certificates
 *   for an admin (group system:masters) and a few ordinary identities (no rights until RBAC grants some);
 *   the same identities also have static bearer tokens;
 * - an ECDSA service-account signing key pair, so TokenRequest and TokenReview work;
 * - authorization mode RBAC;
 * - a kubeconfig with one context per identity (`admin` is current);
 * - the CustomResourceDefinitions found in the given files/folders, applied and waited on until Established.
 *
 * Cleanup: stop() stops both processes and removes the folder. If this process dies instead (SIGKILL,
 * crash), the children die with it (PR_SET_PDEATHSIG through `setpriv`, where present) and a detached
 * watchdog process, which notices its stdin pipe from this process closing, kills whatever is left and
 * removes the folder. SIGINT/SIGTERM/SIGHUP stop the control plane before the process goes.
 * A later start also sweeps folders left by control planes whose owner is gone.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';
import { findControlPlaneBinaries, repoRoot } from './binaries.ts';
import type { ControlPlaneBinaries } from './binaries.ts';
import { issueCert, newKeyPair, privateKeyPem, publicKeyPem } from './x509.ts';
import type { CertRequest, IssuedCert } from './x509.ts';

export interface Identity {
  name: string;
  groups: string[];
}

/** The admin: group system:masters, which RBAC lets do anything. Its context is the kubeconfig's current one. */
export const ADMIN: Identity = { name: 'charter-admin', groups: ['system:masters'] };
/** Ordinary identities: authenticated, and allowed nothing beyond what RBAC gives every authenticated user. */
export const DEFAULT_IDENTITIES: Identity[] = [
  { name: 'alice', groups: ['charter:testers'] },
  { name: 'bob', groups: ['charter:testers'] },
  { name: 'carol', groups: [] },
];

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

export interface ApiResponse {
  status: number;
  body: any;
}

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
const WATCHDOG = fileURLToPath(new URL('./watchdog.ts', import.meta.url));
const DIR_PREFIX = 'charter-cp-';
const OWNER_FILE = 'owner.json';

// ---------------------------------------------------------------------------------------------------------

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

class PortInUseError extends Error {}

async function startOnce(
  binaries: ControlPlaneBinaries,
  baseDir: string,
  opts: ControlPlaneOptions,
  log: (m: string) => void,
): Promise<ControlPlane> {
  mkdirSync(baseDir, { recursive: true });
  const dir = mkdtempSync(join(baseDir, DIR_PREFIX));
  const children: Child[] = [];
  let stopped = false;
  let stopping: Promise<void> | undefined;
  let watchdog: ChildProcess | undefined;
  const signalHandlers: [NodeJS.Signals, () => void][] = [];
  let reportUnexpected: (why: string) => void = () => {};
  const unexpectedExit = new Promise<string>((r) => (reportUnexpected = r));

  // Last resort if the process exits without stop(): 'exit' handlers must be synchronous.
  const onExit = (): void => {
    if (stopped) return;
    for (const c of [...children].reverse()) if (!c.exited) killGroup(c.proc.pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', onExit);

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      stopped = true;
      for (const [sig, h] of signalHandlers) process.off(sig, h);
      for (const c of [...children].reverse()) await stopChild(c);
      const keep = opts.keepLogsIn ?? process.env.CHARTER_CONTROLPLANE_LOGS;
      if (keep) {
        mkdirSync(keep, { recursive: true });
        for (const f of ['etcd.log', 'kube-apiserver.log']) {
          if (existsSync(join(dir, f))) cpSync(join(dir, f), join(keep, f));
        }
      }
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
      process.off('exit', onExit);
      if (watchdog?.stdin && !watchdog.stdin.destroyed) {
        watchdog.stdin.end(JSON.stringify({ done: true }) + '\n');
      }
    })();
    return stopping;
  };

  try {
    // The watchdog first, so that nothing started after it can outlive this process.
    watchdog = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', WATCHDOG], {
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    watchdog.unref();
    const wd = watchdog;
    const tellWatchdog = (msg: object): void => {
      if (wd.stdin && !wd.stdin.destroyed) wd.stdin.write(JSON.stringify(msg) + '\n');
    };
    wd.stdin?.on('error', () => {});
    tellWatchdog({ dir });
    (wd.stdin as unknown as { unref?: () => void } | null)?.unref?.();

    if (opts.handleSignals ?? true) {
      for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
        const h = (): void => {
          void stop().finally(() => {
            if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
          });
        };
        signalHandlers.push([sig, h]);
        process.on(sig, h);
      }
    }

    // ---- certificates, keys, identities ----
    const pki = join(dir, 'pki');
    mkdirSync(pki, { mode: 0o700 });
    const ca = issueCert({ commonName: 'charter-devcluster-ca', usage: 'ca' });
    const serving = issueCert(
      {
        commonName: 'kube-apiserver',
        usage: 'server',
        hosts: [
          '127.0.0.1',
          'localhost',
          '10.0.0.1',
          'kubernetes',
          'kubernetes.default',
          'kubernetes.default.svc',
          'kubernetes.default.svc.cluster.local',
        ],
      },
      ca,
    );
    const sa = newKeyPair();
    const identities = opts.identities ?? DEFAULT_IDENTITIES;
    const everyone = [ADMIN, ...identities];
    const clientCerts = new Map<string, IssuedCert>();
    const tokens: Record<string, string> = {};
    for (const id of everyone) {
      clientCerts.set(id.name, issueCert({ commonName: id.name, organizations: id.groups, usage: 'client' }, ca));
      tokens[id.name] = randomBytes(24).toString('hex');
    }
    const write = (name: string, content: string): string => {
      const p = join(pki, name);
      writeFileSync(p, content, { mode: 0o600 });
      return p;
    };
    const caFile = write('ca.crt', ca.certPem);
    const servingCert = write('apiserver.crt', serving.certPem);
    const servingKey = write('apiserver.key', serving.keyPem);
    const saKey = write('sa.key', privateKeyPem(sa.privateKey));
    const saPub = write('sa.pub', publicKeyPem(sa.publicKey));
    const tokenFile = write(
      'tokens.csv',
      everyone.map((id) => `${tokens[id.name]},${id.name},${id.name},"${id.groups.join(',')}"`).join('\n') + '\n',
    );

    // ---- etcd ----
    const [apiPort, etcdClient, etcdPeer] = (await freePorts(3)) as [number, number, number];
    const etcdUrl = `http://127.0.0.1:${etcdClient}`;
    const peerUrl = `http://127.0.0.1:${etcdPeer}`;
    const etcd = startChild('etcd', binaries.etcd, dir, [
      '--name=charter',
      `--data-dir=${join(dir, 'etcd-data')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=charter=${peerUrl}`,
      '--initial-cluster-state=new',
      '--unsafe-no-fsync', // throwaway data: skip fsync, much faster on a busy disk
      '--log-level=warn',
    ]);
    children.push(etcd);
    tellWatchdog({ pid: etcd.proc.pid, match: dir });
    watchChild(etcd, () => stopped, reportUnexpected);
    const startTimeout = opts.startTimeoutMs ?? 180_000;
    const deadline = Date.now() + startTimeout;
    await waitFor('etcd', etcd, dir, deadline, async () => {
      const r = await plainGet(`${etcdUrl}/health`);
      return r.status === 200 && /"health":\s*"true"/.test(r.body);
    });
    log(`etcd ready on ${etcdUrl}`);

    // ---- kube-apiserver ----
    const server = `https://127.0.0.1:${apiPort}`;
    const apiserver = startChild('kube-apiserver', binaries.kubeApiserver, dir, [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      `--cert-dir=${join(dir, 'apiserver-certs')}`,
      `--tls-cert-file=${servingCert}`,
      `--tls-private-key-file=${servingKey}`,
      `--client-ca-file=${caFile}`,
      `--token-auth-file=${tokenFile}`,
      '--authorization-mode=RBAC',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${saPub}`,
      `--service-account-signing-key-file=${saKey}`,
      '--service-cluster-ip-range=10.0.0.0/24',
      '--allow-privileged=true',
      // The "kubernetes" Service's endpoints would be 127.0.0.1, which Endpoints validation rejects.
      '--endpoint-reconciler-type=none',
      '--enable-priority-and-fairness=false',
      '--profiling=false',
      '--v=0',
      ...(opts.apiserverArgs ?? []),
    ]);
    children.push(apiserver);
    tellWatchdog({ pid: apiserver.proc.pid, match: dir });
    watchChild(apiserver, () => stopped, reportUnexpected);

    const adminCert = clientCerts.get(ADMIN.name)!;
    const tls = { ca: ca.certPem, cert: adminCert.certPem, key: adminCert.keyPem };
    const request = (method: string, path: string, body?: unknown, contentType?: string): Promise<ApiResponse> =>
      apiRequest(server, tls, method, path, body, contentType);
    await waitFor('kube-apiserver', apiserver, dir, deadline, async () => {
      const r = await request('GET', '/readyz');
      return r.status === 200;
    });
    log(`kube-apiserver ready on ${server}`);

    // ---- kubeconfig ----
    const kubeconfigPath = join(dir, 'kubeconfig');
    writeFileSync(kubeconfigPath, kubeconfigYaml(server, ca.certPem, everyone, clientCerts), { mode: 0o600 });

    writeFileSync(
      join(dir, OWNER_FILE),
      JSON.stringify({ pid: process.pid, etcd: etcd.proc.pid, apiserver: apiserver.proc.pid, watchdog: wd.pid }),
    );

    return {
      dir,
      server,
      kubeconfigPath,
      caPem: ca.certPem,
      issueCert: (req) => issueCert(req, ca),
      admin: ADMIN,
      identities,
      tokens,
      ports: { apiserver: apiPort, etcdClient, etcdPeer },
      pids: { etcd: etcd.proc.pid!, apiserver: apiserver.proc.pid!, ...(wd.pid ? { watchdog: wd.pid } : {}) },
      binaries,
      installCRDs: (paths, timeoutMs) => installCRDs(request, paths, timeoutMs),
      request,
      unexpectedExit,
      stop,
    };
  } catch (e) {
    const logs = children.map((c) => `--- ${c.name}.log (last lines) ---\n${tail(join(dir, `${c.name}.log`), 25)}`);
    await stop();
    if (e instanceof PortInUseError) throw e;
    const err = e instanceof Error ? e : new Error(String(e));
    err.message += logs.length ? `\n${logs.join('\n')}` : '';
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------------------
// processes

export interface Child {
  name: string;
  proc: ChildProcess;
  exited: boolean;
  exitCode?: number | null;
  exitSignal?: NodeJS.Signals | null;
}

export function startChild(name: string, bin: string, dir: string, args: string[]): Child {
  const logFd = openSync(join(dir, `${name}.log`), 'a');
  // setpriv --pdeathsig: the kernel kills the child when this process dies, however it dies.
  // (CHARTER_CONTROLPLANE_NO_PDEATHSIG=1 leaves it to the watchdog alone: the cleanup test uses it.)
  const setpriv = process.env.CHARTER_CONTROLPLANE_NO_PDEATHSIG ? undefined : SETPRIV;
  const [cmd, argv] = setpriv ? [setpriv, ['--pdeathsig', 'KILL', '--', bin, ...args]] : [bin, args];
  const proc = spawn(cmd, argv, {
    cwd: dir,
    // Its own process group: a terminal's ^C reaches only this process, which then stops the children
    // in order (kube-apiserver, then etcd).
    detached: true,
    stdio: ['ignore', logFd, logFd],
  });
  closeSync(logFd);
  proc.unref();
  const child: Child = { name, proc, exited: false };
  proc.on('exit', (code, signal) => {
    child.exited = true;
    child.exitCode = code;
    child.exitSignal = signal;
  });
  proc.on('error', () => {
    child.exited = true;
  });
  return child;
}

export function watchChild(c: Child, stopped: () => boolean, report: (why: string) => void): void {
  c.proc.on('exit', (code, signal) => {
    if (!stopped()) report(`${c.name} exited (${signal ?? `code ${code}`})`);
  });
}

export function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

export async function stopChild(c: Child): Promise<void> {
  if (c.exited || !c.proc.pid) return;
  const exited = new Promise<void>((r) => {
    if (c.exited) r();
    c.proc.once('exit', () => r());
  });
  killGroup(c.proc.pid, 'SIGTERM');
  if (!(await within(exited, 10_000))) {
    killGroup(c.proc.pid, 'SIGKILL');
    await within(exited, 5_000);
  }
}

/** Whether `p` settles within `ms`; the timer is cleared so that it keeps no process alive. */
export async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)));
  try {
    return await Promise.race([p.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function waitFor(
  name: string,
  c: Child,
  dir: string,
  deadline: number,
  ready: () => Promise<boolean>,
): Promise<void> {
  for (;;) {
    if (c.exited) {
      const logTail = tail(join(dir, `${name}.log`), 40);
      if (/address already in use/i.test(logTail)) throw new PortInUseError(`${name}: address already in use`);
      throw new Error(`${name} exited while starting (${c.exitSignal ?? `code ${c.exitCode}`})`);
    }
    try {
      if (await ready()) return;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`${name} was not ready in time`);
    await sleep(200);
  }
}

export function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Distinct free loopback ports: all listened on at once, then released. */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes folders (and stops processes) of control planes whose owning process is gone. */
export function sweepStale(baseDir: string, log: (m: string) => void = () => {}): void {
  let entries: string[];
  try {
    entries = readdirSync(baseDir).filter((e) => e.startsWith(DIR_PREFIX));
  } catch {
    return;
  }
  for (const e of entries) {
    const dir = join(baseDir, e);
    let owner: { pid?: number; etcd?: number; apiserver?: number } | undefined;
    try {
      owner = JSON.parse(readFileSync(join(dir, OWNER_FILE), 'utf8'));
    } catch {
      // No owner file: still starting, or it died while starting. Leave young folders alone.
      try {
        if (Date.now() - statSync(dir).mtimeMs < 10 * 60_000) continue;
      } catch {
        continue;
      }
    }
    if (owner?.pid && pidAlive(owner.pid)) continue;
    for (const pid of [owner?.apiserver, owner?.etcd]) {
      if (!pid) continue;
      try {
        if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir)) killGroup(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    rmSync(dir, { recursive: true, force: true });
    log(`removed a stale control plane folder: ${dir}`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// HTTP

function plainGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

function apiRequest(
  server: string,
  tls: { ca: string; cert?: string; key?: string; token?: string },
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<ApiResponse> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = httpsRequest(
      new URL(path, server),
      {
        method,
        ca: tls.ca,
        ...(tls.cert && tls.key ? { cert: tls.cert, key: tls.key } : {}),
        timeout: 10_000,
        headers: {
          Accept: 'application/json',
          ...(tls.token ? { Authorization: `Bearer ${tls.token}` } : {}),
          ...(payload !== undefined ? { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(payload) } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => {
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            /* not JSON (e.g. /readyz) */
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timeout`)));
    req.on('error', reject);
    req.end(payload);
  });
}

// ---------------------------------------------------------------------------------------------------------
// kubeconfig

function kubeconfigYaml(
  server: string,
  caPem: string,
  identities: Identity[],
  certs: Map<string, IssuedCert>,
): string {
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const contextName = (id: Identity): string => (id.name === ADMIN.name ? 'admin' : id.name);
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'charter', cluster: { server, 'certificate-authority-data': b64(caPem) } }],
    users: identities.map((id) => ({
      name: id.name,
      user: {
        'client-certificate-data': b64(certs.get(id.name)!.certPem),
        'client-key-data': b64(certs.get(id.name)!.keyPem),
      },
    })),
    contexts: identities.map((id) => ({
      name: contextName(id),
      context: { cluster: 'charter', user: id.name, namespace: 'default' },
    })),
    'current-context': 'admin',
    preferences: {},
  });
}

// ---------------------------------------------------------------------------------------------------------
// CRDs

/** Every CustomResourceDefinition document in these files, or in the *.yaml/*.yml/*.json files of these folders. */
export function readCRDs(paths: string[]): any[] {
  const files: string[] = [];
  for (const p of paths.map((x) => resolve(x))) {
    if (!existsSync(p)) continue;
    if (statSync(p).isDirectory()) {
      for (const f of readdirSync(p).sort()) if (/\.(ya?ml|json)$/.test(f)) files.push(join(p, f));
    } else files.push(p);
  }
  const crds: any[] = [];
  for (const f of files) {
    for (const doc of parseAllDocuments(readFileSync(f, 'utf8'))) {
      if (doc.errors.length) throw new Error(`${f}: ${doc.errors[0]?.message}`);
      const obj = doc.toJS() as any;
      if (obj?.kind === 'CustomResourceDefinition') crds.push(obj);
    }
  }
  return crds;
}

export type Requester = (method: string, path: string, body?: unknown, contentType?: string) => Promise<ApiResponse>;

/**
 * A JSON requester for the cluster of a kubeconfig (as written by this harness: embedded CA, and a client
 * certificate or a token), for `context` or the current context.
 */
export function requesterFromKubeconfig(kubeconfigPath: string, context?: string): Requester {
  const cfg = parseAllDocuments(readFileSync(kubeconfigPath, 'utf8'))[0]?.toJS() as any;
  const ctxName = context ?? cfg?.['current-context'];
  const ctx = (cfg?.contexts ?? []).find((c: any) => c.name === ctxName)?.context;
  const cluster = (cfg?.clusters ?? []).find((c: any) => c.name === ctx?.cluster)?.cluster;
  const user = (cfg?.users ?? []).find((u: any) => u.name === ctx?.user)?.user ?? {};
  if (!ctx || !cluster?.server) throw new Error(`${kubeconfigPath}: no context '${ctxName}' with a cluster`);
  const unb64 = (s: string | undefined): string | undefined => (s ? Buffer.from(s, 'base64').toString() : undefined);
  const file = (p: string | undefined): string | undefined => (p ? readFileSync(p, 'utf8') : undefined);
  const tls = {
    ca: unb64(cluster['certificate-authority-data']) ?? file(cluster['certificate-authority']) ?? '',
    cert: unb64(user['client-certificate-data']) ?? file(user['client-certificate']) ?? '',
    key: unb64(user['client-key-data']) ?? file(user['client-key']) ?? '',
    ...(user.token ? { token: user.token as string } : {}),
  };
  return (method, path, body, contentType) => apiRequest(cluster.server, tls, method, path, body, contentType);
}

/** installCRDs against the cluster of a kubeconfig (its current context, which must be allowed to). */
export function installCRDsWithKubeconfig(kubeconfigPath: string, paths: string[], timeoutMs?: number): Promise<string[]> {
  return installCRDs(requesterFromKubeconfig(kubeconfigPath), paths, timeoutMs);
}

export async function installCRDs(request: Requester, paths: string[], timeoutMs = 60_000): Promise<string[]> {
  const crds = readCRDs(paths);
  const base = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
  for (const crd of crds) {
    const name = crd.metadata?.name as string;
    const r = await request(
      'PATCH',
      `${base}/${name}?fieldManager=charter-devcluster&force=true`,
      crd,
      'application/apply-patch+yaml',
    );
    if (r.status >= 300) throw new Error(`applying CRD ${name}: ${r.status} ${r.body?.message ?? JSON.stringify(r.body)}`);
  }
  const deadline = Date.now() + timeoutMs;
  for (const crd of crds) {
    const name = crd.metadata.name as string;
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
    const group = crd.spec.group as string;
    const plural = crd.spec.names.plural as string;
    for (const v of (crd.spec.versions ?? []) as { name: string; served: boolean }[]) {
      if (!v.served) continue;
      for (;;) {
        const r = await request('GET', `/apis/${group}/${v.name}`);
        if (r.status === 200 && (r.body?.resources ?? []).some((x: { name: string }) => x.name === plural)) break;
        if (Date.now() > deadline) throw new Error(`${plural}.${group}/${v.name} not in discovery in time`);
        await sleep(100);
      }
    }
  }
  return crds.map((c) => c.metadata.name as string);
}
