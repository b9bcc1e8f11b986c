/**
 * A real, throwaway Kubernetes node beside a control plane of ./controlplane.ts: containerd (CRI), a kubelet,
 * kube-scheduler and kube-controller-manager, all on 127.0.0.1, plus a Docker engine (dockerd on the same containerd)
 * to build images with. See docs/control-plane.md, "The node". test/integration/node.test.ts runs the image, the chart
 * and a workload on it (in CI); nodeClients() gives another process docker, ctr and helm on a running node's folder.
 *
 * The network: none. dockerd runs with --bridge=none and no iptables; containerd's only CNI network is `loopback`
 * (so the runtime reports its network ready and the node becomes Ready), and Pods run on the host network. The node's
 * name is `127.0.0.1`, which is also its address: the kubelet takes an IP given as its hostname as the node's address
 * (it refuses a loopback --node-ip), so probes, `kubectl logs` and `exec` and the Pods' IPs stay on loopback.
 * There is no registry: images are built or imported with docker, then copied into containerd's `k8s.io` namespace
 * (`docker save | ctr import`), where the kubelet finds them (imagePullPolicy Never or IfNotPresent).
 *
 * Everything lives in a fresh temporary folder (`$TMPDIR/charter-node-*`, a tmpfs of its own, so that teardown is an
 * unmount, not the deletion of thousands of files): containerd's and dockerd's state, runc's state, the kubelet's root
 * and the Pods' logs. stop() ends it all and removes the folder (./node-cleanup.ts); if this
 * process dies instead, the processes die with it (parent-death signal) and the watchdog (./watchdog.ts) tears down the
 * containers, mounts and folder; a later start sweeps folders whose owner is gone.
 *
 * Needs: Linux, root, cgroups, and Debian's containerd, runc, docker.io and containernetworking-plugins (for
 * /usr/lib/cni/loopback); nodePrerequisites() says what is missing.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess, SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { findNodeBinaries } from './binaries.ts';
import type { NodeBinaries } from './binaries.ts';
import { requesterFromKubeconfig } from './api-request.ts';
import { pidAlive, startChild, stopChild, tail, unrefPipe, waitFor, watchChild } from './child-processes.ts';
import type { Child } from './child-processes.ts';
import { freePorts } from './loopback-ports.ts';
import { destroyNodeDir } from './node-cleanup.ts';

/** The node's name and address. */
export const NODE_NAME = '127.0.0.1';
const DIR_PREFIX = 'charter-node-';
const OWNER_FILE = 'owner.json';
const WATCHDOG = fileURLToPath(new URL('./watchdog.ts', import.meta.url));
const CNI_BIN_DIRS = ['/usr/lib/cni', '/opt/cni/bin'];
const TMPFS_SIZE = '8g';
/** The client of Debian's docker.io (another `docker` on PATH may be newer than its dockerd 20.10). */
const DOCKER_BIN = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';
/** Legacy builder: BuildKit is not part of Debian's dockerd 20.10. */
const dockerEnvFor = (dir: string): NodeJS.ProcessEnv => ({ ...process.env, DOCKER_HOST: `unix://${join(dir, 'docker.sock')}`, DOCKER_BUILDKIT: '0' });

export interface NodeOptions {
  /** The control plane the node joins: its API server, an admin kubeconfig, and its folder (pki/ca.crt, pki/sa.key). */
  controlPlane: { server: string; kubeconfigPath: string; dir: string };
  /** Default: found, or built once, by scripts/node-build.sh. */
  binaries?: NodeBinaries;
  /** Build what is missing (default true; the first build takes many minutes). */
  build?: boolean;
  /** Where the temporary folder goes (default: the OS temp folder). */
  baseDir?: string;
  /** Fields merged into the kubelet's KubeletConfiguration, e.g. { syncFrequency: '10s' }. */
  kubelet?: Record<string, unknown>;
  /** How long the node may take to become Ready (default 300 s). */
  startTimeoutMs?: number;
  /** Copy the components' logs here on stop (default: $CHARTER_NODE_LOGS, else not kept). */
  keepLogsIn?: string;
  log?: (message: string) => void;
}

/** The tools that work on a running node, given its folder: usable from another process than the one that started it. */
export interface NodeClients {
  /** unix:///…/docker.sock, for DOCKER_HOST. */
  dockerHost: string;
  /** containerd's socket (CRI and `ctr --address`). */
  containerdAddress: string;
  /** Runs docker against the node's engine. */
  docker(args: string[], opts?: { input?: string; timeoutMs?: number }): SpawnSyncReturns<string>;
  /** `docker build` (legacy builder, host network for the build's own downloads), then copies the image into the node. */
  buildImage(opts: { tag: string; context: string; buildArgs?: Record<string, string> }): Promise<void>;
  /** Copies an image docker has into containerd's k8s.io namespace, where the kubelet looks. */
  importImage(tag: string): Promise<void>;
  /** Runs helm against the control plane (its own config and cache folders inside the node's folder). */
  helm(args: string[], opts?: { timeoutMs?: number }): SpawnSyncReturns<string>;
}

export interface TestNode extends NodeClients {
  dir: string;
  name: string;
  binaries: NodeBinaries;
  /** The base image imported from the cached debootstrap tarball, e.g. localhost/charter-base:bookworm-node24.11.1. */
  baseImage: string;
  pauseImage: string;
  pids: Record<string, number>;
  /** Resolves when a component exits without stop() having been called. */
  unexpectedExit: Promise<string>;
  /** Stops everything and removes the folder. Idempotent. */
  stop(): Promise<void>;
}

function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/** Why a node cannot run on this machine, or undefined when it can. */
export function nodePrerequisites(): string | undefined {
  if (process.platform !== 'linux') return `a node needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'a node needs root (containerd, runc and the kubelet mount and make cgroups)';
  const cgroups = existsSync('/sys/fs/cgroup/cgroup.controllers') || existsSync('/sys/fs/cgroup/memory');
  if (!cgroups) return 'a node needs cgroups mounted at /sys/fs/cgroup (v1 with cpu, memory, pids, or v2)';
  const missing = ['containerd', 'ctr', 'runc', 'dockerd', 'docker', 'tar', 'umount', 'debootstrap', 'gcc'].filter((c) => !hasCommand(c));
  if (!CNI_BIN_DIRS.some((d) => existsSync(join(d, 'loopback')))) missing.push('the CNI loopback plugin');
  if (missing.length) {
    return (
      `a node needs ${missing.join(', ')}: ` +
      'apt-get install containerd runc docker.io containernetworking-plugins debootstrap gcc libc6-dev'
    );
  }
  return undefined;
}

/** Removes folders (and stops processes, containers, mounts) of nodes whose owning process is gone. */
export function sweepStaleNodes(baseDir: string, log: (m: string) => void = () => {}): void {
  let entries: string[];
  try {
    entries = readdirSync(baseDir).filter((e) => e.startsWith(DIR_PREFIX));
  } catch {
    return;
  }
  for (const e of entries) {
    const dir = join(baseDir, e);
    let owner: { pid?: number } | undefined;
    try {
      owner = JSON.parse(readFileSync(join(dir, OWNER_FILE), 'utf8'));
    } catch {
      try {
        if (Date.now() - statSync(dir).mtimeMs < 10 * 60_000) continue;
      } catch {
        continue;
      }
    }
    if (owner?.pid && pidAlive(owner.pid)) continue;
    const r = destroyNodeDir(dir);
    log(`removed a stale node folder: ${dir} (${r.containers} containers, ${r.processes} processes, ${r.mounts} mounts)`);
  }
}

function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, {
    encoding: 'utf8',
    env: opts.env ?? process.env,
    timeout: opts.timeoutMs ?? 120_000,
    maxBuffer: 64 * 1024 * 1024,
    ...(opts.input !== undefined ? { input: opts.input } : {}),
  });
}

function check(what: string, r: SpawnSyncReturns<string>): SpawnSyncReturns<string> {
  if (r.error) throw new Error(`${what}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}):\n${(r.stderr || r.stdout).trim().split('\n').slice(-20).join('\n')}`);
  return r;
}

/** Runs a shell pipeline asynchronously (so that the event loop, and the other processes' timers, go on). */
function pipeline(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const p: ChildProcess = spawn('bash', ['-o', 'pipefail', '-c', script, 'pipeline', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', reject);
    p.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${script} ${args.join(' ')} failed (exit ${code}):\n${out.trim().split('\n').slice(-30).join('\n')}`)),
    );
  });
}

/** docker, ctr and helm on the node in `dir` (started by startNode, in this process or another). */
export function nodeClients(node: { dir: string; helmBinary: string; kubeconfigPath: string }): NodeClients {
  const { dir } = node;
  const containerdSock = join(dir, 'containerd.sock');
  const dockerEnv = dockerEnvFor(dir);
  const dockerBin = DOCKER_BIN;
  const importImage = (tag: string): Promise<void> =>
    pipeline('"$1" save "$2" | ctr --address "$3" --namespace k8s.io images import -', [dockerBin, tag, containerdSock], dockerEnv);
  const helmHome = join(dir, 'helm');
  const helmEnv = {
    ...process.env,
    KUBECONFIG: node.kubeconfigPath,
    HELM_CACHE_HOME: join(helmHome, 'cache'),
    HELM_CONFIG_HOME: join(helmHome, 'config'),
    HELM_DATA_HOME: join(helmHome, 'data'),
  };
  return {
    dockerHost: dockerEnv.DOCKER_HOST!,
    containerdAddress: containerdSock,
    docker: (args, o = {}) => run(dockerBin, args, { env: dockerEnv, ...o }),
    importImage,
    async buildImage({ tag, context, buildArgs }) {
      const args = ['build', '--network=host', '--tag', tag];
      for (const [k, v] of Object.entries(buildArgs ?? {})) args.push('--build-arg', `${k}=${v}`);
      await pipeline('"$@"', [dockerBin, ...args, context], dockerEnv);
      await importImage(tag);
    },
    helm: (args, o = {}) => run(node.helmBinary, args, { env: helmEnv, timeoutMs: o.timeoutMs ?? 300_000 }),
  };
}

export async function startNode(opts: NodeOptions): Promise<TestNode> {
  const log = opts.log ?? (() => {});
  const why = nodePrerequisites();
  if (why) throw new Error(why);
  const baseDir = opts.baseDir ?? tmpdir();
  sweepStaleNodes(baseDir, log);
  const binaries = opts.binaries ?? (await findNodeBinaries({ build: opts.build ?? true }));
  mkdirSync(baseDir, { recursive: true });
  const dir = mkdtempSync(join(baseDir, DIR_PREFIX));
  // The folder is a tmpfs of its own: images, layers and containers are thousands of files, and removing them from a
  // disk mounted with `discard` (these machines' /tmp) takes minutes; unmounting a tmpfs takes no time. It holds
  // about 1.5 GiB after the Dockerfile's build (the size is only a limit). CHARTER_NODE_TMPFS=0: on the disk.
  if (process.env.CHARTER_NODE_TMPFS !== '0') {
    const r = run('mount', ['-t', 'tmpfs', '-o', `mode=0700,size=${TMPFS_SIZE}`, 'charter-node', dir]);
    if (r.status !== 0) rmSync(dir, { recursive: true, force: true });
    check('mount -t tmpfs (the node folder)', r);
  }
  writeFileSync(join(dir, OWNER_FILE), JSON.stringify({ pid: process.pid }));
  const children: Child[] = [];
  let stopped = false;
  let stopping: Promise<void> | undefined;
  let reportUnexpected: (why: string) => void = () => {};
  const unexpectedExit = new Promise<string>((r) => (reportUnexpected = r));

  // The watchdog first: whatever starts after it cannot outlive this process.
  const watchdog = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', WATCHDOG], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  watchdog.unref();
  watchdog.stdin?.on('error', () => {});
  watchdog.stdin?.write(JSON.stringify({ nodeDir: dir }) + '\n');
  unrefPipe(watchdog.stdin);

  const onExit = (): void => {
    if (!stopped) destroyNodeDir(dir);
  };
  process.on('exit', onExit);

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      stopped = true;
      // The kubelet first (so it restarts nothing), then the controllers, then the runtimes.
      for (const c of [...children].reverse()) await stopChild(c);
      const keep = opts.keepLogsIn ?? process.env.CHARTER_NODE_LOGS;
      if (keep) {
        mkdirSync(keep, { recursive: true });
        for (const f of readdirSync(dir)) if (f.endsWith('.log')) writeFileSync(join(keep, f), readFileSync(join(dir, f)));
      }
      const r = destroyNodeDir(dir);
      log(`node stopped (${r.containers} containers, ${r.processes} processes, ${r.mounts} mounts cleaned up)`);
      process.off('exit', onExit);
      if (watchdog.stdin && !watchdog.stdin.destroyed) watchdog.stdin.end(JSON.stringify({ done: true }) + '\n');
    })();
    return stopping;
  };

  const start = (name: string, bin: string, args: string[]): Child => {
    const c = startChild(name, bin, dir, args);
    children.push(c);
    watchChild(c, () => stopped, reportUnexpected);
    return c;
  };

  const clients = nodeClients({ dir, helmBinary: binaries.helm, kubeconfigPath: opts.controlPlane.kubeconfigPath });
  const { docker, importImage } = clients;
  const containerdSock = clients.containerdAddress;
  const dockerSock = join(dir, 'docker.sock');
  const dockerEnv = dockerEnvFor(dir);
  const dockerBin = DOCKER_BIN;

  const startTimeout = opts.startTimeoutMs ?? 300_000;
  const deadline = Date.now() + startTimeout;
  try {
    const pauseImage = `localhost/pause:${binaries.pauseVersion}`;
    const cniBin = CNI_BIN_DIRS.find((d) => existsSync(join(d, 'loopback')))!;

    // ---- containerd: CRI for the kubelet, and the runtime under dockerd ----
    const cniConf = join(dir, 'cni');
    mkdirSync(cniConf);
    // The only network: the loopback interface. The runtime's network is then "ready" (so is the node), and no
    // bridge or address is ever made; Pods run on the host network.
    writeFileSync(
      join(cniConf, '10-loopback.conflist'),
      JSON.stringify({ cniVersion: '0.4.0', name: 'charter-loopback', plugins: [{ type: 'loopback' }] }, null, 2),
    );
    const toml = [
      'version = 2',
      `root = ${JSON.stringify(join(dir, 'containerd', 'root'))}`,
      `state = ${JSON.stringify(join(dir, 'containerd', 'state'))}`,
      '[grpc]',
      `  address = ${JSON.stringify(containerdSock)}`,
      '[plugins."io.containerd.internal.v1.opt"]',
      `  path = ${JSON.stringify(join(dir, 'containerd', 'opt'))}`,
      '[plugins."io.containerd.grpc.v1.cri"]',
      `  sandbox_image = ${JSON.stringify(pauseImage)}`,
      '  stream_server_address = "127.0.0.1"',
      '  stream_server_port = "0"',
      // The sandbox's oom_score_adj is -998 by default; lowering it needs CAP_SYS_RESOURCE, which a container or a
      // sandboxed machine may lack (runc then fails with "can't get final child's PID from pipe"). Never below ours.
      '  restrict_oom_score_adj = true',
      '  [plugins."io.containerd.grpc.v1.cri".containerd]',
      '    snapshotter = "overlayfs"',
      '    default_runtime_name = "runc"',
      '    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]',
      '      runtime_type = "io.containerd.runc.v2"',
      '      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]',
      `        Root = ${JSON.stringify(join(dir, 'runc'))}`,
      '  [plugins."io.containerd.grpc.v1.cri".cni]',
      `    bin_dir = ${JSON.stringify(cniBin)}`,
      `    conf_dir = ${JSON.stringify(cniConf)}`,
      '',
    ].join('\n');
    writeFileSync(join(dir, 'containerd.toml'), toml);
    const containerd = start('containerd', 'containerd', ['--config', join(dir, 'containerd.toml'), '--log-level', 'warn']);
    await waitFor('containerd', containerd, dir, deadline, async () =>
      run('ctr', ['--address', containerdSock, 'version'], { timeoutMs: 5000 }).status === 0,
    );
    log('containerd ready');

    // ---- dockerd, on that containerd: no bridge, no iptables ----
    const dockerd = start('dockerd', 'dockerd', [
      `--data-root=${join(dir, 'docker', 'root')}`,
      `--exec-root=${join(dir, 'docker', 'exec')}`,
      `--pidfile=${join(dir, 'docker', 'dockerd.pid')}`,
      `--host=unix://${dockerSock}`,
      `--containerd=${containerdSock}`,
      '--bridge=none',
      '--iptables=false',
      '--ip6tables=false',
      '--ip-forward=false',
      '--ip-masq=false',
      '--userland-proxy=false',
    ]);
    await waitFor('dockerd', dockerd, dir, deadline, async () => docker(['version'], { timeoutMs: 5000 }).status === 0);
    log('dockerd ready');

    // ---- images: pause (compiled from upstream's C source), the base image ----
    const pauseRoot = join(dir, 'pause-rootfs');
    mkdirSync(pauseRoot);
    writeFileSync(join(pauseRoot, 'pause'), readFileSync(binaries.pause), { mode: 0o755 });
    await pipeline(
      'tar -C "$1" -cf - pause | "$2" import --change \'ENTRYPOINT ["/pause"]\' --change "USER 65535:65535" - "$3" >/dev/null',
      [pauseRoot, dockerBin, pauseImage],
      dockerEnv,
    );
    await importImage(pauseImage);
    const baseImage = `localhost/charter-base:${binaries.baseImageTar.replace(/^.*\/base-|\.tar$/g, '')}`;
    check(
      'docker import (base image)',
      docker(
        [
          'import',
          '--change', 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
          // The machine's trust store, copied in by scripts/node-build.sh: npm in the build trusts what the machine does.
          '--change', 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt',
          binaries.baseImageTar,
          baseImage,
        ],
        { timeoutMs: 600_000 },
      ),
    );
    log(`images: ${pauseImage}, ${baseImage}`);

    // ---- kube-scheduler and kube-controller-manager (the admin's kubeconfig; nothing served) ----
    const kubeconfig = opts.controlPlane.kubeconfigPath;
    const pki = join(opts.controlPlane.dir, 'pki');
    start('kube-scheduler', binaries.kubeScheduler, [
      `--kubeconfig=${kubeconfig}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
      '--secure-port=0',
      '--v=1',
    ]);
    start('kube-controller-manager', binaries.kubeControllerManager, [
      `--kubeconfig=${kubeconfig}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
      '--secure-port=0',
      `--root-ca-file=${join(pki, 'ca.crt')}`,
      `--service-account-private-key-file=${join(pki, 'sa.key')}`,
      '--use-service-account-credentials=false',
      '--v=1',
    ]);

    // ---- kubelet ----
    const [kubeletPort, healthzPort] = (await freePorts(2)) as [number, number];
    const kubeletConfig = {
      apiVersion: 'kubelet.config.k8s.io/v1beta1',
      kind: 'KubeletConfiguration',
      address: '127.0.0.1',
      port: kubeletPort,
      readOnlyPort: 0,
      healthzBindAddress: '127.0.0.1',
      healthzPort,
      // Loopback only, and thrown away after the run: the API server's requests (logs, exec) are not authenticated.
      authentication: { anonymous: { enabled: true }, webhook: { enabled: false } },
      authorization: { mode: 'AlwaysAllow' },
      containerRuntimeEndpoint: `unix://${containerdSock}`,
      cgroupDriver: 'cgroupfs',
      // No QoS cgroup tree and no node-allocatable enforcement: the Pods' own limits still apply, and the kubelet
      // works under whatever cgroup this process runs in.
      cgroupsPerQOS: false,
      enforceNodeAllocatable: [],
      failSwapOn: false,
      makeIPTablesUtilChains: false,
      hairpinMode: 'none',
      podLogsDir: join(dir, 'pod-logs'),
      resolvConf: '/etc/resolv.conf',
      // A shared, busy test machine: never evict or collect images because its disk is fuller than a real node's.
      evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '1%', 'imagefs.available': '1%', 'nodefs.inodesFree': '1%' },
      imageGCHighThresholdPercent: 100,
      imageGCLowThresholdPercent: 99,
      serializeImagePulls: false,
      ...(opts.kubelet ?? {}),
    };
    writeFileSync(join(dir, 'kubelet.yaml'), stringify(kubeletConfig));
    const kubelet = start('kubelet', binaries.kubelet, [
      `--config=${join(dir, 'kubelet.yaml')}`,
      `--kubeconfig=${kubeconfig}`,
      `--root-dir=${join(dir, 'kubelet')}`,
      `--hostname-override=${NODE_NAME}`,
      `--pod-infra-container-image=${pauseImage}`,
      '--v=1',
    ]);
    const api = requesterFromKubeconfig(kubeconfig);
    await waitFor('kubelet', kubelet, dir, deadline, async () => {
      const r = await api('GET', `/api/v1/nodes/${NODE_NAME}`);
      const conds: { type: string; status: string }[] = r.body?.status?.conditions ?? [];
      return r.status === 200 && conds.some((c) => c.type === 'Ready' && c.status === 'True');
    });
    log(`node ${NODE_NAME} Ready`);

    const pids: Record<string, number> = { watchdog: watchdog.pid ?? 0 };
    for (const c of children) pids[c.name] = c.proc.pid ?? 0;
    writeFileSync(join(dir, OWNER_FILE), JSON.stringify({ pid: process.pid, ...pids }));

    return { ...clients, dir, name: NODE_NAME, binaries, baseImage, pauseImage, pids, unexpectedExit, stop };
  } catch (e) {
    const logs = children.map((c) => `--- ${c.name}.log (last lines) ---\n${tail(join(dir, `${c.name}.log`), 25)}`);
    await stop();
    const err = e instanceof Error ? e : new Error(String(e));
    err.message += logs.length ? `\n${logs.join('\n')}` : '';
    throw err;
  }
}
