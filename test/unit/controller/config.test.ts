import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { ConfigError, loadKubeConfig, OPTIONS, parseConfig } from '../../../src/controller/config.ts';

let home: string;
let emptyHome: string;
const kubeconfigYaml = (name: string, server: string): string => `apiVersion: v1
kind: Config
clusters: [{ name: ${name}, cluster: { server: '${server}' } }]
users: [{ name: ${name}, user: { token: t-${name} } }]
contexts: [{ name: ${name}, context: { cluster: ${name}, user: ${name} } }]
current-context: ${name}
`;

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'charter-config-'));
  mkdirSync(join(home, '.kube'));
  writeFileSync(join(home, '.kube', 'config'), kubeconfigYaml('home', 'https://home.example:6443'));
  writeFileSync(join(home, 'a.yaml'), kubeconfigYaml('a', 'https://a.example:6443'));
  writeFileSync(join(home, 'b.yaml'), kubeconfigYaml('b', 'https://b.example:6443'));
  emptyHome = mkdtempSync(join(tmpdir(), 'charter-config-empty-'));
});
afterAll(() => {
  rmSync(home, { recursive: true, force: true });
  rmSync(emptyHome, { recursive: true, force: true });
});

/** parseConfig's error for these inputs. */
function errorOf(argv: string[], env: NodeJS.ProcessEnv = {}): ConfigError {
  try {
    parseConfig(argv, { HOME: emptyHome, ...env });
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig', () => {
  test('defaults', () => {
    expect(parseConfig([], { HOME: emptyHome })).toEqual({
      kubeconfig: { source: 'dev-cluster' },
      context: undefined,
      leaderElect: true,
      leaseNamespace: 'charter-system',
      leaseName: 'charter-leader',
      identity: `${hostname()}-${process.pid}`,
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      catalog: undefined,
      adminRights: 'default',
      workers: 4,
      metricsPort: 8080,
      logLevel: 'info',
      stallTimeoutMs: 60_000,
      stalenessLimitMs: 120_000,
      maxShards: 8,
      admission: { port: 9443, certFile: undefined, keyFile: undefined, bypassUsers: ['system:kube-controller-manager'], bypassGroups: ['system:masters', 'system:serviceaccounts:kube-system'], selfRegistration: true },
    });
  });

  test('admission webhook: a certificate folder, or files; bypass lists; self-registration', () => {
    const a = parseConfig(['--admission-cert-dir', '/certs', '--admission-port', '0', '--admission-bypass-users', 'argocd, flux ', '--admission-self-registration=false'], { HOME: emptyHome });
    expect(a.admission).toEqual({ port: 0, certFile: '/certs/tls.crt', keyFile: '/certs/tls.key', bypassUsers: ['argocd', 'flux'], bypassGroups: ['system:masters', 'system:serviceaccounts:kube-system'], selfRegistration: false });
    const b = parseConfig(['--admission-cert-dir', '/certs', '--admission-key-file', '/k.pem', '--admission-bypass-groups', ''], {
      HOME: emptyHome,
      CHARTER_ADMISSION_SELF_REGISTRATION: 'true',
      CHARTER_ADMISSION_BYPASS_USERS: 'ci',
    });
    expect(b.admission).toMatchObject({ certFile: '/certs/tls.crt', keyFile: '/k.pem', bypassUsers: ['ci'], bypassGroups: [], selfRegistration: true });
    const c = parseConfig(['--admission-self-registration'], { HOME: emptyHome, CHARTER_ADMISSION_CERT_FILE: '/c.pem', CHARTER_ADMISSION_KEY_FILE: '/k.pem', CHARTER_ADMISSION_BYPASS_GROUPS: 'platform,system:masters' });
    expect(c.admission).toMatchObject({ certFile: '/c.pem', keyFile: '/k.pem', bypassGroups: ['platform', 'system:masters'], selfRegistration: true });
  });

  test('admission webhook: a certificate without a key, a bad port or a bad boolean is an error', () => {
    expect(errorOf(['--admission-cert-file', '/c.pem']).message).toBe(
      'The admission webhook needs both a certificate and a key; found only the certificate (set --admission-cert-dir, or both --admission-cert-file and --admission-key-file)',
    );
    expect(errorOf(['--admission-port', '70000']).message).toBe('--admission-port must be a port from 0 to 65535; found "70000"');
    expect(errorOf([], { CHARTER_ADMISSION_SELF_REGISTRATION: 'maybe' }).message).toBe('CHARTER_ADMISSION_SELF_REGISTRATION must be true or false; found "maybe"');
    expect(errorOf(['--admission-self-registration=nah']).message).toBe('--admission-self-registration must be true or false; found "nah"');
  });

  test('every flag', () => {
    const c = parseConfig(
      [
        '--kubeconfig', join(home, 'a.yaml'),
        '--context', 'a',
        '--no-leader-elect',
        '--lease-namespace', 'ops',
        '--lease-name', 'charter',
        '--identity', 'pod-1',
        '--lease-duration', '30',
        '--renew-deadline', '20',
        '--retry-period', '0.5',
        '--catalog', 'catalog.yaml',
        '--admin-rights', 'all',
        '--workers', '16',
        '--metrics-port', '0',
        '--log-level', 'debug',
        '--stall-timeout', '90',
        '--staleness-limit', '300',
        '--max-shards', '12',
        '--admission-port', '8443',
        '--admission-cert-dir', '/certs',
        '--admission-cert-file', '/c.pem',
        '--admission-key-file', '/k.pem',
        '--admission-bypass-users', 'argocd',
        '--admission-bypass-groups', 'platform',
        '--admission-self-registration', 'false',
      ],
      { HOME: emptyHome },
    );
    expect(c).toEqual({
      kubeconfig: { source: 'files', paths: [join(home, 'a.yaml')] },
      context: 'a',
      leaderElect: false,
      leaseNamespace: 'ops',
      leaseName: 'charter',
      identity: 'pod-1',
      leaseDurationMs: 30_000,
      renewDeadlineMs: 20_000,
      retryPeriodMs: 500,
      catalog: 'catalog.yaml',
      adminRights: 'all',
      workers: 16,
      metricsPort: 0,
      logLevel: 'debug',
      stallTimeoutMs: 90_000,
      stalenessLimitMs: 300_000,
      maxShards: 12,
      admission: { port: 8443, certFile: '/c.pem', keyFile: '/k.pem', bypassUsers: ['argocd'], bypassGroups: ['platform'], selfRegistration: false },
    });
  });

  test('every environment variable, and flags win over them', () => {
    const env = {
      HOME: emptyHome,
      KUBECONFIG: join(home, 'b.yaml'),
      CHARTER_CONTEXT: 'b',
      CHARTER_LEADER_ELECT: 'false',
      CHARTER_LEASE_NAMESPACE: 'env-ns',
      CHARTER_LEASE_NAME: 'env-lease',
      CHARTER_IDENTITY: 'env-id',
      CHARTER_LEASE_DURATION: '20',
      CHARTER_RENEW_DEADLINE: '12',
      CHARTER_RETRY_PERIOD: '3',
      CHARTER_CATALOG: '/etc/charter/catalog.yaml',
      CHARTER_ADMIN_RIGHTS: 'all',
      CHARTER_WORKERS: '8',
      CHARTER_METRICS_PORT: '9090',
      CHARTER_LOG_LEVEL: 'warn',
      CHARTER_STALL_TIMEOUT: '120',
      CHARTER_STALENESS_LIMIT: '45.5',
      CHARTER_MAX_SHARDS: '4',
      CHARTER_ADMISSION_PORT: '7443',
      CHARTER_ADMISSION_CERT_DIR: '/env-certs',
      CHARTER_ADMISSION_BYPASS_USERS: 'flux,argocd',
      CHARTER_ADMISSION_BYPASS_GROUPS: 'ops',
      CHARTER_ADMISSION_SELF_REGISTRATION: 'false',
    };
    expect(parseConfig([], env)).toEqual({
      kubeconfig: { source: 'files', paths: [join(home, 'b.yaml')] },
      context: 'b',
      leaderElect: false,
      leaseNamespace: 'env-ns',
      leaseName: 'env-lease',
      identity: 'env-id',
      leaseDurationMs: 20_000,
      renewDeadlineMs: 12_000,
      retryPeriodMs: 3_000,
      catalog: '/etc/charter/catalog.yaml',
      adminRights: 'all',
      workers: 8,
      metricsPort: 9090,
      logLevel: 'warn',
      stallTimeoutMs: 120_000,
      stalenessLimitMs: 45_500,
      maxShards: 4,
      admission: { port: 7443, certFile: '/env-certs/tls.crt', keyFile: '/env-certs/tls.key', bypassUsers: ['flux', 'argocd'], bypassGroups: ['ops'], selfRegistration: false },
    });
    const c = parseConfig(['--workers', '2', '--leader-elect', '--log-level', 'error', '--kubeconfig', 'in-cluster'], env);
    expect(c).toMatchObject({ workers: 2, leaderElect: true, logLevel: 'error', kubeconfig: { source: 'in-cluster' }, metricsPort: 9090 });
  });

  test.each([
    ['a flag', ['--kubeconfig', '/x/config'], {}, { source: 'files', paths: ['/x/config'] }],
    ['KUBECONFIG with several files', [], { KUBECONFIG: `/x/a${delimiter}/x/b` }, { source: 'files', paths: ['/x/a', '/x/b'] }],
    ['"none"', ['--kubeconfig', 'none'], { KUBERNETES_SERVICE_HOST: '10.0.0.1' }, { source: 'dev-cluster' }],
    ['"in-cluster"', [], { KUBECONFIG: 'in-cluster' }, { source: 'in-cluster' }],
    ['a pod (KUBERNETES_SERVICE_HOST)', [], { KUBERNETES_SERVICE_HOST: '10.0.0.1', HOME: 'HOME' }, { source: 'in-cluster' }],
    ['~/.kube/config when it exists', [], { HOME: 'HOME' }, { source: 'files', paths: ['HOME/.kube/config'] }],
    ['nothing at all', [], {}, { source: 'dev-cluster' }],
  ])('kubeconfig from %s', (_name, argv, env, expected) => {
    const withHome = { HOME: emptyHome, ...env } as NodeJS.ProcessEnv;
    if (withHome.HOME === 'HOME') withHome.HOME = home;
    const want = JSON.parse(JSON.stringify(expected).replaceAll('HOME', home));
    expect(parseConfig(argv as string[], withHome).kubeconfig).toEqual(want);
  });

  test.each([
    [['--workers', '0'], {}, '--workers must be an integer from 1 to 1024; found "0"'],
    [['--workers', '2.5'], {}, '--workers must be an integer from 1 to 1024; found "2.5"'],
    [[], { CHARTER_WORKERS: 'many' }, 'CHARTER_WORKERS must be an integer from 1 to 1024; found "many"'],
    [['--metrics-port', '70000'], {}, '--metrics-port must be a port from 0 to 65535; found "70000"'],
    [['--stall-timeout', '-1'], {}, '--stall-timeout must be a number of seconds from 0.001 to 3600; found "-1"'],
    [['--stall-timeout', '5m'], {}, '--stall-timeout must be a number of seconds from 0.001 to 3600; found "5m"'],
    // Each duration becomes a timer: past 2^31 − 1 ms Node would fire it after 1 ms (a watch "stalled" at once).
    [['--stall-timeout', '2500000'], {}, '--stall-timeout must be a number of seconds from 0.001 to 3600; found "2500000"'],
    [['--staleness-limit', '3601'], {}, '--staleness-limit must be a number of seconds from 0.001 to 3600; found "3601"'],
    [[], { CHARTER_STALENESS_LIMIT: '0' }, 'CHARTER_STALENESS_LIMIT must be a number of seconds from 0.001 to 3600; found "0"'],
    [['--lease-duration', '2500000'], {}, '--lease-duration must be a number of seconds from 0.001 to 3600; found "2500000"'],
    [['--renew-deadline', '3600.5'], {}, '--renew-deadline must be a number of seconds from 0.001 to 3600; found "3600.5"'],
    [['--retry-period', '86400'], {}, '--retry-period must be a number of seconds from 0.001 to 3600; found "86400"'],
    [['--admin-rights', 'some'], {}, '--admin-rights must be "default" or "all"; found "some"'],
    [[], { CHARTER_ADMIN_RIGHTS: 'none' }, 'CHARTER_ADMIN_RIGHTS must be "default" or "all"; found "none"'],
    [['--log-level', 'loud'], {}, '--log-level must be one of error, warn, info, http, verbose, debug, silly, silent; found "loud"'],
    [[], { CHARTER_LEADER_ELECT: 'maybe' }, 'CHARTER_LEADER_ELECT must be true or false; found "maybe"'],
    [['--renew-deadline', '15'], {}, 'The lease duration must exceed the renew deadline; found 15 s ≤ 15 s'],
    [['--retry-period', '9'], {}, 'The renew deadline must exceed 1.2 × the retry period; found 10 s and 9 s'],
    [['--identity', ''], {}, 'The identity must not be empty'],
    [['--frobnicate'], {}, "unknown option '--frobnicate'"],
    [['--workers'], {}, "option '--workers <n>' argument missing"],
    [['extra'], {}, 'too many arguments'],
  ])('rejects %j %j', (argv, env, message) => {
    const e = errorOf(argv, env);
    expect(e.message).toContain(message);
    expect(e.exitCode).toBe(2);
  });

  test('lease timings are not checked without leader election', () => {
    expect(parseConfig(['--no-leader-elect', '--renew-deadline', '20'], { HOME: emptyHome }).renewDeadlineMs).toBe(20_000);
  });

  test('--help: exit code 0 and every option with its variable and default', () => {
    const e = errorOf(['--help']);
    expect(e.exitCode).toBe(0);
    expect(e.message).toContain('Usage: charter-operator [options]');
    expect(e.message).toMatch(/--workers <n>\s+keys reconciled at the same time \(permission maps get as many again of\s+their own\) \(default: 4\) \[env CHARTER_WORKERS\]/);
    for (const o of OPTIONS) expect(e.message).toContain(o.flags);
  });

  test('docs/operator.md documents every flag and environment variable', () => {
    const doc = readFileSync(new URL('../../../docs/operator.md', import.meta.url), 'utf8');
    const rows = doc.split('\n').filter((line) => line.startsWith('| `--'));
    for (const o of OPTIONS) {
      const flag = o.flags.split(' ')[0]!;
      const row = rows.find((r) => [' ', '`'].some((end) => r.split('|')[1]!.includes(`\`${flag}${end}`)));
      expect(row ? flag : `no table row for ${flag}`).toBe(flag);
      if (o.env) expect(row).toContain(`\`${o.env}\``);
    }
  });
});

describe('loadKubeConfig', () => {
  test('loads one file, or merges several; --context picks a context', () => {
    expect(loadKubeConfig({ source: 'files', paths: [join(home, 'a.yaml')] }).getCurrentCluster()?.server).toBe('https://a.example:6443');
    const merged = loadKubeConfig({ source: 'files', paths: [join(home, 'a.yaml'), join(home, 'b.yaml')] }, 'b');
    expect(merged.getContexts().map((c) => c.name)).toEqual(['a', 'b']);
    expect(merged.getCurrentCluster()?.server).toBe('https://b.example:6443');
  });

  test('names the contexts there are when the one asked for is missing', () => {
    expect(() => loadKubeConfig({ source: 'files', paths: [join(home, 'a.yaml')] }, 'prod')).toThrow('The kubeconfig has no context "prod"; it has "a"');
  });

  test('the dev-cluster source has no kubeconfig of its own', () => {
    expect(() => loadKubeConfig({ source: 'dev-cluster' })).toThrow('The dev-cluster source has no kubeconfig until the development control plane runs');
  });
});
