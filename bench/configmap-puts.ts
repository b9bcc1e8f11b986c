/**
 * `node bench/configmap-puts.ts [--count 86] [--bytes 1000,19000] [--in-flight 1,4,8,16] [--rounds 5] [--kubeconfig f]`:
 * what `count` ConfigMap PUTs cost on this machine's API server with nothing else talking to it — the floor under a
 * group edit's change → map time (`bench:e2e`), which writes one ConfigMap per namespace the group reaches (50–86 at
 * medium, more at p99). Starts its own control plane (src/devcluster: kube-apiserver + etcd on loopback) unless given
 * a kubeconfig; makes `count` namespaces with one ConfigMap each (a value of `bytes` characters), then, per size and
 * number in flight, PUTs every ConfigMap once with a changed value (with the resourceVersion of its last write, as the
 * operator's writer does, through the same ApiClient) and prints the median, fastest and slowest of `rounds` rounds.
 * Deletes its namespaces at the end. Not a test; figures in docs/performance.md ("What a ConfigMap write costs").
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { ApiClient } from '../src/controller/api-client.ts';
import { startControlPlane, type ControlPlane } from '../src/devcluster/controlplane.ts';

const { values: args } = parseArgs({
  options: {
    count: { type: 'string', default: '86' },
    bytes: { type: 'string', default: '1000,19000' },
    'in-flight': { type: 'string', default: '1,4,8,16' },
    rounds: { type: 'string', default: '5' },
    kubeconfig: { type: 'string' },
  },
});
const numbers = (flag: string, text: string): number[] => {
  const xs = text.split(',').map(Number);
  if (xs.some((x) => !Number.isInteger(x) || x < 1)) {
    console.error(`--${flag}: expected positive integers separated by commas; found ${text}`);
    process.exit(2);
  }
  return xs;
};
const [count] = numbers('count', args.count);
const sizes = numbers('bytes', args.bytes);
const inFlight = numbers('in-flight', args['in-flight']);
const [rounds] = numbers('rounds', args.rounds);
const log = (m: string): void => void process.stderr.write(`[configmap-puts] ${m}\n`);

const NAME = 'charter-permissions';
const namespaces = Array.from({ length: count! }, (_, i) => `charter-put-bench-${i}`);
const value = (bytes: number, round: number, i: number): string => {
  const head = `${round}:${i}:`;
  return head + 'x'.repeat(Math.max(0, bytes - head.length));
};

let cp: ControlPlane | undefined;
const kubeConfig = new KubeConfig();
if (args.kubeconfig) kubeConfig.loadFromFile(args.kubeconfig);
else {
  cp = await startControlPlane({ log: (m) => log(`control plane: ${m}`) });
  kubeConfig.loadFromFile(cp.kubeconfigPath);
}
const api = new ApiClient(kubeConfig);
const path = (ns: string): string => `/api/v1/namespaces/${ns}/configmaps/${NAME}`;
const resourceVersions = new Map<string, string>();
let round = 0;

/** Every ConfigMap written once, `concurrency` at a time; the wall time in ms. */
async function putAll(bytes: number, concurrency: number): Promise<number> {
  round++;
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, namespaces.length) }, async () => {
      while (next < namespaces.length) {
        const i = next++;
        const ns = namespaces[i]!;
        const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: NAME, namespace: ns, resourceVersion: resourceVersions.get(ns) }, data: { [`${NAME}.json`]: value(bytes, round, i) } };
        const stored = await api.request<{ metadata: { resourceVersion: string } }>('PUT', path(ns), { body });
        resourceVersions.set(ns, stored.metadata.resourceVersion);
      }
    }),
  );
  return performance.now() - start;
}

try {
  for (const ns of namespaces) {
    await api.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } });
    const stored = await api.request<{ metadata: { resourceVersion: string } }>('POST', `/api/v1/namespaces/${ns}/configmaps`, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: NAME, namespace: ns }, data: { [`${NAME}.json`]: '' } } });
    resourceVersions.set(ns, stored.metadata.resourceVersion);
  }
  log(`${namespaces.length} namespaces, one ConfigMap each`);
  // One unmeasured pass per size first: the API server's and this process's first requests pay their warm-up.
  for (const bytes of sizes) await putAll(bytes, 8);
  for (const bytes of sizes) {
    for (const concurrency of inFlight) {
      const times: number[] = [];
      for (let r = 0; r < rounds!; r++) times.push(await putAll(bytes, concurrency));
      times.sort((a, b) => a - b);
      const median = times[Math.floor(times.length / 2)]!;
      console.log(`${count} PUTs of ${bytes} B, ${concurrency} in flight: median ${median.toFixed(0)} ms (${(median / count!).toFixed(1)} ms a write), fastest ${times[0]!.toFixed(0)}, slowest ${times.at(-1)!.toFixed(0)}; load ${loadavg()[0]!.toFixed(2)}`);
    }
  }
} finally {
  await Promise.all(namespaces.map((ns) => api.request('DELETE', `/api/v1/namespaces/${ns}`).catch(() => undefined)));
  api.close();
  await cp?.stop();
}
