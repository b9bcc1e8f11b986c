/**
 * `npm start`: runs the operator against the configured cluster (flags and environment: docs/operator.md).
 * With no cluster configured, the embedded default: a local control plane (src/devcluster) with the CRDs
 * installed and examples/the-things-stack applied, and the kubectl commands that show the result.
 */
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { repoRoot } from '../api/generated-files.ts';
import { loadCatalog } from '../catalog/load-catalog.ts';
import { CatalogError } from '../catalog/catalog.ts';
import { ApiClient, isNotFound } from './api-client.ts';
import { applyManifests } from './apply-manifests.ts';
import { ConfigError, loadKubeConfig, parseConfig, type OperatorConfig } from './config.ts';
import { createLogger, type Logger } from './logger.ts';
import { Operator } from './operator.ts';

const EXAMPLES = join(repoRoot, 'examples', 'the-things-stack');

async function ensureNamespace(api: ApiClient, name: string): Promise<void> {
  try {
    await api.request('GET', `/api/v1/namespaces/${name}`);
  } catch (error) {
    if (!isNotFound(error)) throw error;
    await api.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } });
  }
}

/** The embedded default: a local control plane with the CRDs and the example applied. */
async function devCluster(config: OperatorConfig, log: Logger): Promise<{ kubeConfig: KubeConfig; kubeconfigPath: string; stop: () => Promise<void> }> {
  log.info('no cluster configured: starting the local control plane (the first run builds kube-apiserver and etcd; see docs/control-plane.md)');
  const { useDevCluster } = await import('../devcluster/index.ts');
  // main() stops it, after the operator has released the Lease (a control plane stopped first makes that fail).
  const dev = await useDevCluster({ handleSignals: false });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(dev.kubeconfigPath);
  const api = new ApiClient(kubeConfig);
  try {
    await ensureNamespace(api, config.leaseNamespace);
    const applied = await applyManifests(api, [EXAMPLES]);
    log.info('applied the example', { path: EXAMPLES, objects: applied });
  } finally {
    api.close();
  }
  return { kubeConfig, kubeconfigPath: dev.kubeconfigPath, stop: dev.stop };
}

export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let config: OperatorConfig;
  try {
    config = parseConfig(argv, env);
  } catch (error) {
    if (error instanceof ConfigError) {
      (error.exitCode === 0 ? process.stdout : process.stderr).write(`${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  }
  const log = createLogger(config.logLevel);
  let catalog;
  try {
    catalog = loadCatalog(config.catalog);
  } catch (error) {
    if (error instanceof CatalogError) {
      log.error(error.message);
      return 2;
    }
    throw error;
  }
  let stopDev: (() => Promise<void>) | undefined;
  let kubeConfig: KubeConfig;
  let devKubeconfig: string | undefined;
  if (config.kubeconfig.source === 'dev-cluster') {
    const dev = await devCluster(config, log);
    kubeConfig = dev.kubeConfig;
    stopDev = dev.stop;
    devKubeconfig = dev.kubeconfigPath;
  } else {
    kubeConfig = loadKubeConfig(config.kubeconfig, config.context);
  }
  let exitCode = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const operator = new Operator({
    kubeConfig,
    catalog,
    logger: log,
    adminRights: config.adminRights,
    workers: config.workers,
    port: config.metricsPort,
    stallTimeoutMs: config.stallTimeoutMs,
    maxShards: config.maxShards,
    leaderElection: config.leaderElect
      ? { namespace: config.leaseNamespace, name: config.leaseName, identity: config.identity, leaseDurationMs: config.leaseDurationMs, renewDeadlineMs: config.renewDeadlineMs, retryPeriodMs: config.retryPeriodMs }
      : false,
    onLostLeadership: () => {
      exitCode = 1;
      resolveDone();
    },
  });
  const stop = (signal: string): void => {
    log.info('stopping', { signal });
    resolveDone();
  };
  // Once: a second Ctrl-C ends the process at once (the control plane's children die with it, see control-plane.md).
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  // A start that cannot finish (a kind the API server does not serve, a list forbidden) keeps retrying, unready
  // (/readyz says why); a signal meanwhile still stops in order.
  const outcome = await Promise.race([
    operator.start().then(
      () => 'started' as const,
      (error: unknown) => ({ error }),
    ),
    done.then(() => 'stopping' as const),
  ]);
  if (outcome !== 'started') {
    if (outcome !== 'stopping') {
      log.error('the operator could not start', { error: outcome.error instanceof Error ? outcome.error.message : String(outcome.error) });
      exitCode = 1;
    }
    await operator.stop();
    await stopDev?.();
    return exitCode;
  }
  log.info('operator started', { metricsPort: operator.port, leaderElection: config.leaderElect });
  if (devKubeconfig) {
    process.stdout.write(
      [
        '',
        'Charter runs against a local control plane. In another terminal:',
        `  kubectl --kubeconfig ${devKubeconfig} get charter -A`,
        `  kubectl --kubeconfig ${devKubeconfig} get user bob -o yaml`,
        `  kubectl --kubeconfig ${devKubeconfig} -n acme get configmap charter-permissions -o yaml`,
        `  npx charter can --cluster --kubeconfig ${devKubeconfig} --user bob --on Application/acme/app1`,
        'Ctrl-C stops the operator (and the control plane it started).',
        '',
      ].join('\n'),
    );
  }
  await done;
  // In this order: the operator finishes its keys and releases the Lease while the API server still answers.
  await operator.stop();
  await stopDev?.();
  return exitCode;
}

process.exitCode = await main(process.argv.slice(2), process.env);
