/**
 * The chain from chart to workload on a real node: the image built from the Dockerfile, the chart installed with
 * Helm, the operator's Pod run by a kubelet, and a workload Pod reading its mounted permission map with src/reader.
 *
 * This file starts its own control plane (not the run's shared one: a kube-controller-manager would change what the
 * other tests rely on — no garbage collector, no namespace controller, empty aggregated roles) and a node beside it
 * (src/devcluster/node.ts: containerd, kubelet, kube-scheduler, kube-controller-manager, dockerd for the build), once,
 * in a child process (fixtures/node-child.ts), for every case: the last one kills that process outright (SIGKILL) and
 * checks that no container, process, mount or folder of the node is left.
 * The chart is installed as a user of such a cluster would: only the image (built here, pull policy Never), the host
 * network and its tolerations (there is no pod network), one replica (the metrics port is a port of the node), where
 * the API server is (there is no kube-proxy to reach the `kubernetes` Service), and where the API server calls the
 * admission webhook: by URL, https://127.0.0.1:<port>/validate, not through its Service — without kube-proxy nothing
 * routes a Service's address, and a Pod on the host network has the node's address, 127.0.0.1, which EndpointSlices
 * refuse (docs/deploy.md, "A cluster without a pod network").
 *
 * Needs root, cgroups and Debian's containerd, runc, docker.io, containernetworking-plugins, debootstrap and gcc. Where
 * they are missing the tests are skipped with a message saying so (CHARTER_REQUIRE_NODE=1, as CI sets, fails instead).
 *
 * Measured and printed (not asserted): the time from `kubectl apply`/`delete` of a Collaboration to the changed map
 * in the ConfigMap (the operator) and to the workload's changed answer (the kubelet's refresh of the volume, default
 * sync period). The later cases (failover, upgrade) check the published ConfigMap, read with src/reader, so that they
 * do not wait a kubelet sync period each.
 */
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { parsePermissionMap } from '../../src/reader/permission-reader.ts';
import { repoRoot } from '../../src/devcluster/binaries.ts';
import { heldPort } from '../../src/devcluster/loopback-ports.ts';
import { mountsUnder, pidsMentioning, runcRoots, shimSockets } from '../../src/devcluster/node-cleanup.ts';
import { nodeClients, nodePrerequisites } from '../../src/devcluster/node.ts';
import type { NodeClients } from '../../src/devcluster/node.ts';

const missing = nodePrerequisites();
const required = process.env.CHARTER_REQUIRE_NODE === '1';
if (missing) {
  const line = '='.repeat(100);
  process.stderr.write(
    `\n${line}\nNODE TESTS ${required ? 'CANNOT RUN (CHARTER_REQUIRE_NODE=1: failing)' : 'NOT RUN (skipped)'}: ${missing}.\n` +
      `test/integration/node.test.ts builds the image, installs the chart and runs Pods on a real kubelet; see README.md.\n${line}\n\n`,
  );
}

jest.setTimeout(15 * 60_000);

const RELEASE = 'charter';
const RELEASE_NS = 'charter-system';
const IMAGE_REPO = 'charter';
const IMAGE_TAG = 'node-test';
const IMAGE = `${IMAGE_REPO}:${IMAGE_TAG}`;
/** A node without a pod network: the not-ready and network-unavailable taints are tolerated. */
const TOLERATIONS = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists' },
  { key: 'node.kubernetes.io/network-unavailable', operator: 'Exists' },
];
/** The check the grant and revocation change: carol has RIGHT_APPLICATION_LINK on app1 in the example, nothing more. */
const CHECK = { user: 'carol', right: 'RIGHT_APPLICATION_DEVICES_READ', entity: 'Application/acme/app1' };

/** The workload: reads the mounted map with src/reader and answers can() on a loopback port (it runs on the host network). */
const WORKLOAD_SCRIPT = `
import { createServer } from 'node:http';
import { MountedPermissionMap } from '/app/src/reader/mounted-map.ts';
const map = MountedPermissionMap.open(process.env.CHARTER_PERMISSIONS, {
  onReload: (m) => console.log('reloaded', m.contentHash),
  onError: (e) => console.log('load failed:', e.message),
});
createServer((req, res) => {
  const q = new URL(req.url, 'http://workload').searchParams;
  const body = req.url.startsWith('/can')
    ? { can: map.can(q.get('user'), q.get('right'), q.get('entity')), contentHash: map.current?.contentHash ?? null }
    : { ok: true };
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(body));
}).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening on', process.env.PORT));
`;

const log = (m: string): void => void process.stderr.write(`node test: ${m}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const CHILD = fileURLToPath(new URL('./fixtures/node-child.ts', import.meta.url));

/** What fixtures/node-child.ts prints once its node is Ready. */
interface Started {
  cpDir: string;
  kubeconfigPath: string;
  apiserverPort: number;
  nodeDir: string;
  baseImage: string;
  pauseImage: string;
  helmBinary: string;
}

function processAlive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** The init pid of every container of the node (the kubelet's, and any left by docker build), from runc's state. */
function containerPids(nodeDir: string): number[] {
  const pids: number[] = [];
  for (const root of runcRoots(nodeDir)) {
    for (const ns of existsSync(root) ? readdirSync(root) : []) {
      for (const id of readdirSync(join(root, ns))) {
        try {
          pids.push(JSON.parse(readFileSync(join(root, ns, id, 'state.json'), 'utf8')).init_process_pid);
        } catch {
          /* not a container's folder */
        }
      }
    }
  }
  return pids;
}

function httpJson(port: number, path: string): Promise<any> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, timeout: 2000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        try {
          resolve(JSON.parse(text));
        } catch (e) {
          reject(e);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** The Pod layout docs/permission-map.md recommends ("Mounting it"), as it is written there. */
function documentedMount(): { env: any[]; volumeMounts: any[]; volumes: any[] } {
  const doc = readFileSync(join(repoRoot, 'docs', 'permission-map.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Mounting it'));
  const yamlBlock = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
  if (!yamlBlock) throw new Error('docs/permission-map.md: no yaml example under "Mounting it"');
  const pod = parse(yamlBlock);
  const container = pod.spec.containers[0];
  return { env: container.env ?? [], volumeMounts: container.volumeMounts, volumes: pod.spec.volumes };
}

const suite = missing && !required ? describe.skip : describe;

suite('a real node: the image, the chart, a workload reading its map', () => {
  let child: ChildProcess | undefined;
  let childExited: Promise<void>;
  let started: Started;
  let node: NodeClients;
  let metricsPort: number;
  let webhookPort: number;
  let workloadPort: number;

  const kubectl = (args: string[], input?: string): { status: number | null; stdout: string; stderr: string } => {
    const r = spawnSync('kubectl', ['--kubeconfig', started.kubeconfigPath, ...args], {
      encoding: 'utf8',
      timeout: 120_000,
      ...(input !== undefined ? { input } : {}),
    });
    return { status: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
  };
  const ok = (args: string[], input?: string): string => {
    const r = kubectl(args, input);
    if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr || r.stdout}`);
    return r.stdout;
  };
  const helm = (args: string[]): string => {
    const r = node.helm(args);
    if (r.status !== 0) throw new Error(`helm ${args.join(' ')}: ${r.stderr || r.stdout}`);
    return r.stdout;
  };
  /** The values a user of this cluster sets: the image, the host network, one replica, where the API server is. */
  const userValues = (): string[] => [
    '--set', `image.repository=${IMAGE_REPO}`,
    '--set', `image.tag=${IMAGE_TAG}`,
    '--set', 'image.pullPolicy=Never',
    '--set', 'hostNetwork=true',
    '--set', 'replicas=1',
    '--set', `metrics.port=${metricsPort}`,
    '--set', `webhook.port=${webhookPort}`,
    '--set', `webhook.url=https://127.0.0.1:${webhookPort}/validate`,
    '--set-json', `tolerations=${JSON.stringify(TOLERATIONS)}`,
    '--set-json', `extraEnv=${JSON.stringify([
      { name: 'KUBERNETES_SERVICE_HOST', value: '127.0.0.1' },
      { name: 'KUBERNETES_SERVICE_PORT', value: String(started.apiserverPort) },
    ])}`,
  ];
  const operatorPods = (): any[] =>
    JSON.parse(ok(['-n', RELEASE_NS, 'get', 'pods', '-l', `app.kubernetes.io/instance=${RELEASE}`, '-o', 'json'])).items;
  /** Waits until the only operator Pod is Ready and not one of `old`; returns it. */
  const waitForNewPod = async (old: string[]): Promise<any> => {
    for (const deadline = Date.now() + 300_000; ; ) {
      const pods = operatorPods();
      const ready = (p: any): boolean => (p.status.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');
      if (pods.length === 1 && !old.includes(pods[0].metadata.name) && ready(pods[0])) return pods[0];
      if (Date.now() > deadline) throw new Error(`no new Ready operator Pod: ${pods.map((p) => p.metadata.name).join(', ')}`);
      await sleep(500);
    }
  };
  /** Waits until the Deployment's Pods are all updated and Ready. (`helm --wait` does not: with one replica and the
   * host network's maxUnavailable 1, Helm counts the Deployment ready with no Pod ready.) */
  const rollout = (): void => void ok(['-n', RELEASE_NS, 'rollout', 'status', `deployment/${RELEASE}`, '--timeout=300s']);
  /** The check on the map the operator published in acme (its ConfigMaps, read with src/reader), not yet mounted. */
  const published = (): boolean => {
    const cms = JSON.parse(ok(['-n', 'acme', 'get', 'configmaps', '-l', 'charter.dev/permission-map', '-o', 'json'])).items;
    const data = new Map<string, Record<string, string>>(cms.map((c: any) => [c.metadata.name, c.data ?? {}]));
    return parsePermissionMap((key, cm) => data.get(cm)?.[key]).can(CHECK.user, CHECK.right, CHECK.entity);
  };
  /** Waits until the published map answers `want`; returns the milliseconds since `since`. */
  const waitForPublished = async (want: boolean, since: number, timeoutMs = 120_000): Promise<number> => {
    for (;;) {
      let got: boolean | string;
      try {
        got = published();
      } catch (e) {
        got = (e as Error).message;
      }
      if (got === want) return Date.now() - since;
      if (Date.now() - since > timeoutMs) throw new Error(`the published map still answers ${got} after ${timeoutMs} ms (wanted ${want})`);
      await sleep(200);
    }
  };
  const check = async (): Promise<{ can: boolean; contentHash: string | null }> =>
    httpJson(workloadPort, `/can?user=${CHECK.user}&right=${CHECK.right}&entity=${encodeURIComponent(CHECK.entity)}`);
  /** Waits until the workload answers `want`; returns the milliseconds since `since`. */
  const waitForAnswer = async (want: boolean, since: number, timeoutMs = 240_000): Promise<number> => {
    for (;;) {
      const a = await check().catch(() => undefined);
      if (a?.can === want) return Date.now() - since;
      if (Date.now() - since > timeoutMs) {
        throw new Error(`the workload still answers ${JSON.stringify(a)} after ${timeoutMs} ms (wanted can=${want})`);
      }
      await sleep(200);
    }
  };
  const grant = (name: string): string =>
    stringify({
      apiVersion: 'charter.dev/v1alpha1',
      kind: 'Collaboration',
      metadata: { name, namespace: 'acme' },
      spec: { subject: { kind: 'User', name: CHECK.user }, target: { kind: 'Application', name: 'app1' }, rights: [CHECK.right] },
    });

  beforeAll(async () => {
    if (missing) throw new Error(`the node tests cannot run here: ${missing}`);
    const t0 = Date.now();
    const c = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', CHILD], { stdio: ['pipe', 'pipe', 'pipe'] });
    child = c;
    childExited = new Promise<void>((r) => c.on('exit', () => r()));
    c.stderr!.setEncoding('utf8').on('data', (d: string) => process.stderr.write(d.replace(/^(?=.)/gm, 'node test: ')));
    let out = '';
    const line = await new Promise<string>((resolve, reject) => {
      c.stdout!.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        const nl = out.indexOf('\n');
        if (nl >= 0) resolve(out.slice(0, nl));
      });
      void childExited.then(() => reject(new Error('the node did not start (its log is above)')));
    });
    started = JSON.parse(line) as Started;
    node = nodeClients({ dir: started.nodeDir, helmBinary: started.helmBinary, kubeconfigPath: started.kubeconfigPath });
    const t1 = Date.now();
    await node.buildImage({ tag: IMAGE, context: repoRoot, buildArgs: { NODE_IMAGE: started.baseImage } });
    log(`node up in ${t1 - t0} ms; image ${IMAGE} built on ${started.baseImage} and imported in ${Date.now() - t1} ms`);
    // Ports the Pods listen on minutes later: below the ephemeral range, where no outgoing connection (the kubelet's,
    // kubectl's, the API server's) can take one meanwhile and make the operator's listen fail (heldPort).
    const held = new Set<number>();
    while (held.size < 3) held.add(await heldPort());
    [metricsPort, webhookPort, workloadPort] = [...held] as [number, number, number];
  }, 60 * 60_000);

  afterAll(async () => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    for (const ns of [RELEASE_NS, 'acme']) {
      const r = kubectl(['-n', ns, 'get', 'pods', '-o', 'wide']);
      log(`pods in ${ns} at the end:\n${r.stdout}${r.stderr}`);
    }
    // A case failed before the last one: stop the node the ordinary way (the child stops it when its stdin closes).
    child.stdin!.end();
    const timer = setTimeout(() => child?.kill('SIGKILL'), 120_000);
    await childExited;
    clearTimeout(timer);
  }, 180_000);

  test('the image: built on the local base (build argument), non-root, starts the operator, holds the reader', () => {
    const inspect = JSON.parse(node.docker(['image', 'inspect', IMAGE]).stdout)[0];
    const base = JSON.parse(node.docker(['image', 'inspect', started.baseImage]).stdout)[0];
    expect(inspect.RootFS.Layers.slice(0, base.RootFS.Layers.length)).toEqual(base.RootFS.Layers);
    expect(inspect.Config.User).toBe('1000:1000');
    expect(inspect.Config.Entrypoint).toEqual(['node', 'src/controller/main.ts']);
    const r = node.docker(['run', '--rm', '--network=none', '--read-only', '--entrypoint', 'node', IMAGE, '-e',
      "import('/app/src/reader/mounted-map.ts').then(m => console.log(typeof m.MountedPermissionMap.open, process.version, process.getuid()))"]);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toMatch(/^function v24\.\d+\.\d+ 1000$/);
  });

  test('helm install: CRDs and RBAC from the chart, the operator Pod Ready through its probes', () => {
    const out = helm(['install', RELEASE, join(repoRoot, 'charts', 'charter'), '--namespace', RELEASE_NS, '--create-namespace', ...userValues(), '--wait', '--timeout', '5m']);
    expect(out).toMatch(/STATUS: deployed/);
    rollout();
    const crds = ok(['get', 'crds', '-o', 'name']).trim().split('\n').sort();
    expect(crds).toEqual([
      'customresourcedefinition.apiextensions.k8s.io/collaborations.charter.dev',
      'customresourcedefinition.apiextensions.k8s.io/organizations.charter.dev',
      'customresourcedefinition.apiextensions.k8s.io/usergroups.charter.dev',
      'customresourcedefinition.apiextensions.k8s.io/users.charter.dev',
    ]);
    ok(['get', 'clusterrole', RELEASE]);
    ok(['get', 'clusterrolebinding', RELEASE]);
    const [pod] = operatorPods();
    expect(pod.spec.hostNetwork).toBe(true);
    expect(pod.status.podIP).toBe('127.0.0.1');
    const ready = pod.status.conditions.find((c: any) => c.type === 'Ready');
    expect(ready.status).toBe('True');
    const c = pod.spec.containers[0];
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
    expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(pod.status.containerStatuses[0].restartCount).toBe(0);
    // What the kubelet ran: uid 1000, and a root file system that refuses writes (the chart's /tmp is an emptyDir).
    const exec = ok(['-n', RELEASE_NS, 'exec', pod.metadata.name, '--', 'node', '-e',
      "const fs = require('node:fs'); let w; try { fs.writeFileSync('/app/x', ''); w = 'written'; } catch (e) { w = e.code; } " +
      "fs.writeFileSync('/tmp/x', ''); console.log(process.getuid(), process.getgid(), w)"]);
    expect(exec.trim()).toBe('1000 1000 EROFS');
    // The chart's heap limit (heapLimitMiB, through NODE_OPTIONS), not one Node derives from the memory limit, and its
    // semi-spaces (semiSpaceMiB): the heap limit counts the young generation, three semi-spaces (32 MiB each, not V8's
    // own 64 for this heap).
    const heap = JSON.parse(ok(['-n', RELEASE_NS, 'exec', pod.metadata.name, '--', 'node', '-e', "const v8 = require('v8'); console.log(JSON.stringify([process.env.NODE_OPTIONS, Math.round(v8.getHeapStatistics().heap_size_limit / 1048576)]))"])) as [string, number];
    expect(heap[0]).toBe('--max-old-space-size=1536 --max-semi-space-size=32');
    expect(heap[1]).toBeGreaterThanOrEqual(1536 + 3 * 32);
    expect(heap[1]).toBeLessThan(1536 + 3 * 64);
  });

  test('the examples applied; a workload mounting the map as documented answers through src/reader', async () => {
    ok(['apply', '-R', '-f', join(repoRoot, 'examples', 'the-things-stack')]);
    // The operator publishes the map of acme.
    for (const deadline = Date.now() + 120_000; ; ) {
      if (kubectl(['-n', 'acme', 'get', 'configmap', 'charter-permissions']).status === 0) break;
      if (Date.now() > deadline) throw new Error('no permission map in acme');
      await sleep(500);
    }
    const mount = documentedMount();
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'workload', namespace: 'acme' },
      spec: {
        hostNetwork: true,
        tolerations: TOLERATIONS,
        securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
        containers: [
          {
            name: 'workload',
            image: IMAGE,
            imagePullPolicy: 'Never',
            command: ['node', '--input-type=module', '-e', WORKLOAD_SCRIPT],
            env: [...mount.env, { name: 'PORT', value: String(workloadPort) }],
            volumeMounts: mount.volumeMounts,
            readinessProbe: { httpGet: { path: '/', port: workloadPort }, periodSeconds: 2 },
            securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
          },
        ],
        volumes: mount.volumes,
      },
    };
    ok(['apply', '-f', '-'], JSON.stringify(pod));
    ok(['-n', 'acme', 'wait', '--for=condition=Ready', 'pod/workload', '--timeout=180s']);
    // carol has RIGHT_APPLICATION_LINK on app1, and not the right the next test grants.
    const link = await httpJson(workloadPort, `/can?user=carol&right=RIGHT_APPLICATION_LINK&entity=${encodeURIComponent(CHECK.entity)}`);
    expect(link.can).toBe(true);
    expect((await check()).can).toBe(false);
    const logs = ok(['-n', 'acme', 'logs', 'workload']);
    expect(logs).toMatch(/listening on/);
    expect(logs).not.toMatch(/load failed/);
  });

  test('the admission webhook, called by URL, judges the writes of ordinary identities with the rules', () => {
    const vwc = JSON.parse(ok(['get', 'validatingwebhookconfigurations', '-o', 'json'])).items;
    expect(vwc.map((w: any) => w.webhooks[0].clientConfig.url)).toEqual([`https://127.0.0.1:${webhookPort}/validate`]);
    // RBAC lets them write Collaborations, so that what answers is Charter's rules (examples/the-things-stack/README.md,
    // "Who may change what": bob holds every application right in acme, carol only LINK on app1, stranger is no User).
    const writers = ['bob@example.com', 'carol@example.com', 'stranger@example.com'];
    ok(['create', 'clusterrole', 'node-test-writers', '--verb=get,list,create,update,patch,delete', '--resource=collaborations.charter.dev']);
    ok(['create', 'clusterrolebinding', 'node-test-writers', '--clusterrole=node-test-writers', ...writers.map((u) => `--user=${u}`)]);
    const asUser = (user: string) => kubectl(['--as', user, 'apply', '--dry-run=server', '-f', '-'], grant('node-test-webhook'));
    const bob = asUser('bob@example.com');
    expect({ status: bob.status, stderr: bob.stderr }).toEqual({ status: 0, stderr: '' });
    const carol = asUser('carol@example.com');
    expect(carol.status).not.toBe(0);
    expect(carol.stderr).toMatch(/admission webhook "validate\.charter\.dev" denied the request.*NotPermitted/s);
    const stranger = asUser('stranger@example.com');
    expect(stranger.status).not.toBe(0);
    expect(stranger.stderr).toMatch(/admission webhook "validate\.charter\.dev" denied the request.*UnknownRequester/s);
  });

  test('a grant and a revocation reach the workload (the time is measured)', async () => {
    const t0 = Date.now();
    ok(['apply', '-f', '-'], grant('node-test-grant'));
    const grantPublished = await waitForPublished(true, t0);
    const granted = await waitForAnswer(true, t0);
    const t1 = Date.now();
    ok(['-n', 'acme', 'delete', 'collaboration', 'node-test-grant']);
    const revokePublished = await waitForPublished(false, t1);
    const revoked = await waitForAnswer(false, t1);
    log(
      `MEASURED (kubelet defaults): kubectl apply → map published: ${grantPublished} ms, → workload allows: ${granted} ms; ` +
        `kubectl delete → map published: ${revokePublished} ms, → workload denies: ${revoked} ms`,
    );
    expect(ok(['-n', 'acme', 'logs', 'workload'])).not.toMatch(/load failed/);
  });

  test('the operator Pod deleted: its replacement takes over, and a change made meanwhile is not lost', async () => {
    const [old] = operatorPods();
    ok(['-n', RELEASE_NS, 'delete', 'pod', old.metadata.name, '--wait=false']);
    // The change lands while the old Pod stops and before the new one leads.
    const t0 = Date.now();
    ok(['apply', '-f', '-'], grant('node-test-failover'));
    const replacement = await waitForNewPod([old.metadata.name]);
    const ms = await waitForPublished(true, t0);
    log(`MEASURED: operator Pod deleted + grant applied → map published by the replacement: ${ms} ms`);
    const holder = ok(['-n', RELEASE_NS, 'get', 'lease', 'charter-leader', '-o', 'jsonpath={.spec.holderIdentity}']);
    expect(holder).toBe(replacement.metadata.name);
    ok(['-n', 'acme', 'delete', 'collaboration', 'node-test-failover']);
    await waitForPublished(false, Date.now());
  });

  test('helm upgrade with changed values rolls the operator, which goes on working', async () => {
    const [before] = operatorPods();
    helm(['upgrade', RELEASE, join(repoRoot, 'charts', 'charter'), '--namespace', RELEASE_NS, '--reuse-values',
      '--set', 'workers=2', '--set', 'logLevel=debug', '--wait', '--timeout', '5m']);
    const after = await waitForNewPod([before.metadata.name]);
    expect(after.spec.containers[0].args).toEqual(expect.arrayContaining(['--workers=2', '--log-level=debug']));
    rollout();
    const t0 = Date.now();
    ok(['apply', '-f', '-'], grant('node-test-upgrade'));
    await waitForPublished(true, t0);
    ok(['-n', 'acme', 'delete', 'collaboration', 'node-test-upgrade']);
    await waitForPublished(false, Date.now());
  });

  test('helm uninstall leaves the CRDs (as Helm documents) and nothing else of the chart', async () => {
    const manifest = helm(['get', 'manifest', RELEASE, '--namespace', RELEASE_NS]);
    const made = parseAllDocuments(manifest)
      .map((d) => d.toJS())
      .filter(Boolean)
      .map((o: any) => ({ kind: o.kind as string, name: o.metadata.name as string, namespace: o.metadata.namespace as string | undefined }));
    expect(made.map((o) => o.kind)).toEqual(expect.arrayContaining(['Deployment', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Service']));
    helm(['uninstall', RELEASE, '--namespace', RELEASE_NS, '--wait', '--timeout', '5m']);
    for (const o of made) {
      const r = kubectl(['get', o.kind, o.name, ...(o.namespace ? ['-n', o.namespace] : []), '--ignore-not-found', '-o', 'name']);
      expect({ ...o, left: r.stdout.trim() }).toEqual({ ...o, left: '' });
    }
    for (const deadline = Date.now() + 120_000; operatorPods().length; ) {
      if (Date.now() > deadline) throw new Error('operator Pods still there after helm uninstall');
      await sleep(500);
    }
    expect(ok(['get', 'crds', '-o', 'name']).trim().split('\n')).toHaveLength(4);
    expect(ok(['get', 'collaborations', '-A', '-o', 'name']).trim()).not.toBe('');
    expect(helm(['list', '--all-namespaces', '-q']).trim()).toBe('');
  });

  test('the process running the node killed (SIGKILL): no container, process, mount, folder or shim socket is left', async () => {
    // What there is to clean up: the workload's Pod (its sandbox and container, its projected volume) and the components.
    const containers = containerPids(started.nodeDir);
    expect(containers.length).toBeGreaterThanOrEqual(2);
    expect(containers.every(processAlive)).toBe(true);
    // containerd, dockerd, the kubelet (its --root-dir) and the workload's shim name the node's folder.
    expect(pidsMentioning(started.nodeDir).length).toBeGreaterThanOrEqual(4);
    expect(mountsUnder(started.nodeDir).some((m) => m.includes('kubernetes.io~projected'))).toBe(true);
    // The shims' sockets, outside the folder (containerd 1.6: /run/containerd/s/).
    const sockets = shimSockets(started.nodeDir);
    expect(sockets.length).toBeGreaterThanOrEqual(1);

    child!.kill('SIGKILL');
    await childExited;
    const left = (): unknown => ({
      containers: containers.filter(processAlive),
      processes: [...pidsMentioning(started.nodeDir), ...pidsMentioning(started.cpDir)].filter(processAlive),
      mounts: mountsUnder(started.nodeDir),
      folders: [started.nodeDir, started.cpDir].filter((d) => existsSync(d)),
      sockets: sockets.filter((p) => existsSync(p)),
    });
    const nothing = { containers: [], processes: [], mounts: [], folders: [], sockets: [] };
    for (const deadline = Date.now() + 60_000; Date.now() < deadline && JSON.stringify(left()) !== JSON.stringify(nothing); ) await sleep(250);
    expect(left()).toEqual(nothing);
  });
});
