/**
 * `npm start`: runs the operator against the configured cluster (flags and environment: docs/operator.md).
 * With no cluster configured, the embedded default: a local control plane (src/devcluster) with the CRDs
 * installed and examples/the-things-stack applied, and the kubectl commands that show the result.
 */
import { join, resolve } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { repoRoot } from '../api/generated-files.ts';
import { loadCatalog } from '../catalog/load-catalog.ts';
import { CatalogError } from '../catalog/catalog.ts';
import { ApiClient, isNotFound } from './api-client.ts';
import { applyManifests } from './apply-manifests.ts';
import { ConfigError, loadKubeConfig, parseConfig, type OperatorConfig } from './config.ts';
import { createLogger, type Logger } from './logger.ts';
import { Operator, type AdmissionServing } from './operator.ts';
import { ServingCertificateError } from './serving-certificate.ts';
import { DEV_BYPASS_USERS, type DevAdmission } from '../devcluster/admission.ts';

const EXAMPLES = join(repoRoot, 'examples', 'the-things-stack');

async function ensureNamespace(api: ApiClient, name: string): Promise<void> {
  try {
    await api.request('GET', `/api/v1/namespaces/${name}`);
  } catch (error) {
    if (!isNotFound(error)) throw error;
    await api.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } });
  }
}

/** The embedded default: a local control plane with the CRDs, the example applied and the webhook registered. */
async function devCluster(
  config: OperatorConfig,
  log: Logger,
): Promise<{ kubeConfig: KubeConfig; kubeconfigPath: string; admission: DevAdmission | undefined; stop: () => Promise<void> }> {
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
  return { kubeConfig, kubeconfigPath: dev.kubeconfigPath, admission: dev.admission, stop: dev.stop };
}

/** The development control plane's webhook (`npm run cluster:up`), when the kubeconfig is its .charter/kubeconfig. */
async function devClusterAdmission(config: OperatorConfig): Promise<DevAdmission | undefined> {
  if (config.kubeconfig.source !== 'files' || config.kubeconfig.paths.length !== 1) return undefined;
  const { runningDevCluster, devKubeconfigPath } = await import('../devcluster/devcluster.ts');
  if (resolve(config.kubeconfig.paths[0]!) !== devKubeconfigPath) return undefined;
  return runningDevCluster()?.admission;
}

/** What the webhook serves: the flags' certificate, else the development control plane's (bypassing its admin). */
function admissionServing(config: OperatorConfig, dev: DevAdmission | undefined): AdmissionServing | undefined {
  const options = { bypassUsers: config.admission.bypassUsers, bypassGroups: config.admission.bypassGroups, selfRegistration: config.admission.selfRegistration };
  if (config.admission.certFile && config.admission.keyFile) {
    return { port: config.admission.port, certFile: config.admission.certFile, keyFile: config.admission.keyFile, options };
  }
  if (!dev) return undefined;
  return {
    port: dev.port,
    host: '127.0.0.1',
    certFile: join(dev.certDir, 'tls.crt'),
    keyFile: join(dev.certDir, 'tls.key'),
    options: { ...options, bypassUsers: [...new Set([...options.bypassUsers, ...DEV_BYPASS_USERS])] },
  };
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
  let devAdmission: DevAdmission | undefined;
  if (config.kubeconfig.source === 'dev-cluster') {
    const dev = await devCluster(config, log);
    kubeConfig = dev.kubeConfig;
    stopDev = dev.stop;
    devKubeconfig = dev.kubeconfigPath;
    devAdmission = dev.admission;
  } else {
    kubeConfig = loadKubeConfig(config.kubeconfig, config.context);
    devAdmission = await devClusterAdmission(config);
    if (devAdmission) devKubeconfig = config.kubeconfig.source === 'files' ? config.kubeconfig.paths[0] : undefined;
  }
  const admission = admissionServing(config, devAdmission);
  if (!admission) log.info('admission webhook off: no serving certificate (--admission-cert-dir)');
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
    stalenessLimitMs: config.stalenessLimitMs,
    maxShards: config.maxShards,
    leaderElection: config.leaderElect
      ? { namespace: config.leaseNamespace, name: config.leaseName, identity: config.identity, leaseDurationMs: config.leaseDurationMs, renewDeadlineMs: config.renewDeadlineMs, retryPeriodMs: config.retryPeriodMs }
      : false,
    onLostLeadership: () => {
      exitCode = 1;
      resolveDone();
    },
    ...(admission ? { admission } : {}),
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
      const error = outcome.error;
      const code = (error as NodeJS.ErrnoException).code;
      if (error instanceof ServingCertificateError) log.error(error.message);
      else if (code === 'EADDRINUSE' || code === 'EACCES') log.error(`cannot serve the admission webhook on port ${admission?.port}: ${code}`);
      else log.error('the operator could not start', { error: error instanceof Error ? error.message : String(error) });
      exitCode = error instanceof ServingCertificateError || code === 'EADDRINUSE' || code === 'EACCES' ? 2 : 1;
    }
    await operator.stop();
    await stopDev?.();
    return exitCode;
  }
  log.info('operator started', { metricsPort: operator.port, admissionPort: operator.admissionPort, leaderElection: config.leaderElect });
  if (devKubeconfig) {
    const k = `kubectl --kubeconfig ${devKubeconfig}`;
    process.stdout.write(
      [
        '',
        'Charter runs against a local control plane. In another terminal:',
        // After `npm run cluster:up` nothing is applied yet: the commands below speak of the example.
        ...(stopDev ? [] : [`  ${k} apply -R -f examples/the-things-stack   # the example, if not applied yet`]),
        `  ${k} get charter -A`,
        `  ${k} get user bob -o yaml`,
        `  ${k} -n acme get configmap charter-permissions -o yaml`,
        `  npx charter can --cluster --kubeconfig ${devKubeconfig} --user bob --on Application/acme/app1`,
        ...(devAdmission && operator.admissionPort
          ? [
              '',
              `Charter's admission webhook is registered and enforced (${devAdmission.url}). RBAC lets every user write`,
              'Charter objects here; Charter decides. Try, as users of the example (their spec.identities) and as the',
              'admin (who bypasses it):',
              `  ${k} --as alice@example.com patch user bob --type merge -p '{"spec":{"admin":true}}' --dry-run=server   # AdminOnly`,
              `  ${k} --as alice@example.com -n acme delete collaborations --all --dry-run=server   # NotPermitted`,
              `  ${k} --as bob@example.com -n acme delete collaboration c-carol --dry-run=server   # allowed`,
              `  ${k} --as mallory -n acme delete collaboration c-carol --dry-run=server   # UnknownRequester`,
              `  ${k} patch user bob --type merge -p '{"spec":{"admin":true}}' --dry-run=server   # the admin: allowed`,
            ]
          : []),
        '',
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
