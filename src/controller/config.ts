/**
 * The operator's settings, from flags and environment variables (a flag wins over its variable, a variable
 * over the default). Every option is listed in OPTIONS and documented in docs/operator.md.
 *
 *   const config = parseConfig(process.argv.slice(2), process.env);
 *   // { kubeconfig: { source: 'in-cluster' }, workers: 4, leaderElect: true, … }
 */
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { delimiter, join } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { KubeConfig } from '@kubernetes/client-node';
import { PLATFORM_GROUPS, PLATFORM_USERS } from '../admission/decide.ts';
import { LOG_LEVELS } from './logger.ts';
import type { LogLevel } from './logger.ts';

/** Where the cluster's address and credentials come from. */
export type KubeconfigSource =
  /** kubeconfig files (several, from KUBECONFIG, are merged as kubectl merges them). */
  | { source: 'files'; paths: string[] }
  /** The pod's service account: KUBERNETES_SERVICE_HOST and the mounted token. */
  | { source: 'in-cluster' }
  /** No cluster configured: the embedded development control plane (src/devcluster). */
  | { source: 'dev-cluster' };

export interface OperatorConfig {
  kubeconfig: KubeconfigSource;
  /** A kubeconfig context other than the current one. */
  context: string | undefined;
  leaderElect: boolean;
  leaseNamespace: string;
  leaseName: string;
  /** This replica's identity in the Lease. */
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  /** A catalog file; undefined: the built-in one (The Things Stack). */
  catalog: string | undefined;
  adminRights: 'default' | 'all';
  workers: number;
  /** The port of /metrics, /healthz and /readyz (0: any free port). */
  metricsPort: number;
  logLevel: LogLevel;
  stallTimeoutMs: number;
  /** The longest an informer's lists and watches may keep failing before the replica is unready and its webhook denies. */
  stalenessLimitMs: number;
  /** Most shard ConfigMaps of a namespace's permission map (the names workloads mount); a bigger map is withheld. */
  maxShards: number;
  /** The validating admission webhook (docs/admission.md); off when no serving certificate is configured. */
  admission: AdmissionConfig;
}

export interface AdmissionConfig {
  /** The HTTPS port of /validate (0: any free port). */
  port: number;
  /** The serving certificate and key (PEM files, re-read when they change); undefined: the webhook is off. */
  certFile: string | undefined;
  keyFile: string | undefined;
  bypassUsers: string[];
  bypassGroups: string[];
  selfRegistration: boolean;
}

/** The Lease's namespace unless told otherwise; `npm run cluster:up` creates it in the development cluster. */
export const DEFAULT_LEASE_NAMESPACE = 'charter-system';

/** A bad flag or variable (exit code 2), or --help (exit code 0, the help text in `message`). */
export class ConfigError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 2) {
    super(message);
    this.name = 'ConfigError';
    this.exitCode = exitCode;
  }
}

interface OptionSpec {
  /** Commander's flags, e.g. '--workers <n>'. */
  flags: string;
  /** The environment variable, if any. */
  env?: string;
  description: string;
  /** The default as shown in help and docs. */
  defaultText: string;
}

/** Every option of the operator, in the order of `--help` and docs/operator.md. */
export const OPTIONS: readonly OptionSpec[] = [
  {
    flags: '--kubeconfig <path>',
    env: 'KUBECONFIG',
    description: 'kubeconfig file(s); "in-cluster" for the service account; "none" for the embedded development cluster',
    defaultText: 'in-cluster when KUBERNETES_SERVICE_HOST is set, else ~/.kube/config if it exists, else none',
  },
  { flags: '--context <name>', env: 'CHARTER_CONTEXT', description: 'the kubeconfig context to use', defaultText: 'the current context' },
  { flags: '--leader-elect', env: 'CHARTER_LEADER_ELECT', description: 'hold a Lease so that only one replica writes', defaultText: 'on' },
  { flags: '--no-leader-elect', description: 'run without leader election (a single replica)', defaultText: '' },
  { flags: '--lease-namespace <ns>', env: 'CHARTER_LEASE_NAMESPACE', description: "the Lease's namespace (it must exist)", defaultText: DEFAULT_LEASE_NAMESPACE },
  { flags: '--lease-name <name>', env: 'CHARTER_LEASE_NAME', description: "the Lease's name", defaultText: 'charter-leader' },
  { flags: '--identity <id>', env: 'CHARTER_IDENTITY', description: "this replica's name in the Lease; unique per replica", defaultText: '<hostname>-<pid>' },
  { flags: '--lease-duration <seconds>', env: 'CHARTER_LEASE_DURATION', description: 'how long an unrenewed Lease holds', defaultText: '15' },
  { flags: '--renew-deadline <seconds>', env: 'CHARTER_RENEW_DEADLINE', description: 'the leader steps down when it could not renew for this long', defaultText: '10' },
  { flags: '--retry-period <seconds>', env: 'CHARTER_RETRY_PERIOD', description: 'the wait between Lease attempts', defaultText: '2' },
  { flags: '--catalog <file>', env: 'CHARTER_CATALOG', description: 'a catalog file', defaultText: 'the built-in catalog, The Things Stack' },
  { flags: '--admin-rights <mode>', env: 'CHARTER_ADMIN_RIGHTS', description: 'what admins get: default (all but the withheld rights) or all', defaultText: 'default' },
  { flags: '--workers <n>', env: 'CHARTER_WORKERS', description: 'keys reconciled at the same time (permission maps get as many again of their own)', defaultText: '4' },
  { flags: '--metrics-port <port>', env: 'CHARTER_METRICS_PORT', description: 'port of /metrics, /healthz and /readyz (0: any free port)', defaultText: '8080' },
  { flags: '--log-level <level>', env: 'CHARTER_LOG_LEVEL', description: `${LOG_LEVELS.join(', ')}`, defaultText: 'info' },
  {
    flags: '--stall-timeout <seconds>',
    env: 'CHARTER_STALL_TIMEOUT',
    description: 'restart a watch still open this long after its server-side deadline (5-10 min), with nothing received meanwhile',
    defaultText: '60',
  },
  {
    flags: '--staleness-limit <seconds>',
    env: 'CHARTER_STALENESS_LIMIT',
    description: 'a replica whose lists and watches of a resource have kept failing this long is unready, and its webhook denies (NotReady)',
    defaultText: '120',
  },
  {
    flags: '--max-shards <n>',
    env: 'CHARTER_MAX_SHARDS',
    description: 'most shard ConfigMaps of a permission map (charter-permissions-0 … -<n-1>: mount them all); a bigger map is withheld',
    defaultText: '8',
  },
  { flags: '--admission-port <port>', env: 'CHARTER_ADMISSION_PORT', description: 'HTTPS port of the admission webhook, /validate (0: any free port)', defaultText: '9443' },
  {
    flags: '--admission-cert-dir <dir>',
    env: 'CHARTER_ADMISSION_CERT_DIR',
    description: "the webhook's serving certificate: a folder with tls.crt and tls.key (a mounted kubernetes.io/tls Secret); re-read when it changes",
    defaultText: 'none: the webhook is off',
  },
  { flags: '--admission-cert-file <file>', env: 'CHARTER_ADMISSION_CERT_FILE', description: 'the serving certificate (PEM) instead of <cert-dir>/tls.crt', defaultText: '<cert-dir>/tls.crt' },
  { flags: '--admission-key-file <file>', env: 'CHARTER_ADMISSION_KEY_FILE', description: 'its private key (PEM) instead of <cert-dir>/tls.key', defaultText: '<cert-dir>/tls.key' },
  {
    flags: '--admission-bypass-users <names>',
    env: 'CHARTER_ADMISSION_BYPASS_USERS',
    description: 'comma-separated usernames the webhook always allows (platform identities: GitOps controllers, CI; "" for none)',
    defaultText: PLATFORM_USERS.join(','),
  },
  {
    flags: '--admission-bypass-groups <names>',
    env: 'CHARTER_ADMISSION_BYPASS_GROUPS',
    description: 'comma-separated groups whose members the webhook always allows ("" for none)',
    defaultText: PLATFORM_GROUPS.join(','),
  },
  {
    flags: '--admission-self-registration [bool]',
    env: 'CHARTER_ADMISSION_SELF_REGISTRATION',
    description: 'let an identity with no User create its own User in state Requested',
    defaultText: 'true',
  },
];

/**
 * Parses the operator's flags (`argv` without node and the script) and environment.
 *
 * @example
 *   parseConfig(['--workers', '8', '--no-leader-elect'], { CHARTER_LOG_LEVEL: 'debug' });
 *
 * @throws ConfigError for a bad value (exitCode 2), and for --help (exitCode 0, the help text in message).
 */
export function parseConfig(argv: string[], env: NodeJS.ProcessEnv): OperatorConfig {
  let output = '';
  const program = new Command('charter-operator')
    .description('The Charter operator: computes effective rights and publishes statuses and permission maps')
    .exitOverride()
    .configureOutput({ writeOut: (s) => (output += s), writeErr: (s) => (output += s) })
    .helpOption('-h, --help', 'show this help')
    .configureHelp({ helpWidth: 110 });
  for (const spec of OPTIONS) {
    const help = [spec.description, spec.defaultText && `(default: ${spec.defaultText})`, spec.env && `[env ${spec.env}]`].filter(Boolean).join(' ');
    program.addOption(new Option(spec.flags, help));
  }
  try {
    program.parse(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      const ok = e.exitCode === 0;
      throw new ConfigError(ok ? output.trimEnd() : e.message.replace(/^error: /, ''), ok ? 0 : 2);
    }
    throw e;
  }
  const cli = program.opts<Record<string, string | boolean | undefined>>();
  const fromCli = (key: string): boolean => program.getOptionValueSource(key) === 'cli';

  /** The raw value and where it came from (for error messages), or undefined for the default. */
  const raw = (key: string, flag: string, envName?: string): { value: string; from: string } | undefined => {
    if (fromCli(key) && typeof cli[key] === 'string') return { value: cli[key], from: flag };
    const v = envName ? env[envName] : undefined;
    if (v !== undefined && v !== '') return { value: v, from: envName! };
    return undefined;
  };
  const str = (key: string, flag: string, envName: string | undefined, fallback: string): string => raw(key, flag, envName)?.value ?? fallback;
  const num = (key: string, flag: string, envName: string, fallback: number, check: NumberCheck): number => {
    const r = raw(key, flag, envName);
    return r ? parseNumber(r.value, r.from, check) : fallback;
  };

  const leaderElect = ((): boolean => {
    if (fromCli('leaderElect')) return cli.leaderElect === true;
    const v = env.CHARTER_LEADER_ELECT;
    return v === undefined || v === '' ? true : parseBoolean(v, 'CHARTER_LEADER_ELECT');
  })();

  const adminRights = str('adminRights', '--admin-rights', 'CHARTER_ADMIN_RIGHTS', 'default');
  if (adminRights !== 'default' && adminRights !== 'all') {
    throw new ConfigError(`${fromCli('adminRights') ? '--admin-rights' : 'CHARTER_ADMIN_RIGHTS'} must be "default" or "all"; found "${adminRights}"`);
  }
  const logLevel = str('logLevel', '--log-level', 'CHARTER_LOG_LEVEL', 'info');
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError(`${fromCli('logLevel') ? '--log-level' : 'CHARTER_LOG_LEVEL'} must be one of ${LOG_LEVELS.join(', ')}; found "${logLevel}"`);
  }

  // At most an hour: a duration becomes a timer, and setTimeout fires a delay over 2^31 − 1 ms (24.8 days) at once.
  const seconds: NumberCheck = { min: 0.001, max: MAX_SECONDS, what: `a number of seconds from 0.001 to ${MAX_SECONDS}` };
  const list = (key: string, flag: string, envName: string, fallback: string[]): string[] => {
    const r = raw(key, flag, envName);
    return r ? commaList(r.value) : fallback;
  };
  const selfRegistration = ((): boolean => {
    if (fromCli('admissionSelfRegistration')) {
      const v = cli.admissionSelfRegistration;
      return v === true || parseBoolean(String(v), '--admission-self-registration');
    }
    const v = env.CHARTER_ADMISSION_SELF_REGISTRATION;
    return v === undefined || v === '' ? true : parseBoolean(v, 'CHARTER_ADMISSION_SELF_REGISTRATION');
  })();
  const certDir = raw('admissionCertDir', '--admission-cert-dir', 'CHARTER_ADMISSION_CERT_DIR')?.value;
  const certFile = raw('admissionCertFile', '--admission-cert-file', 'CHARTER_ADMISSION_CERT_FILE')?.value ?? (certDir ? join(certDir, 'tls.crt') : undefined);
  const keyFile = raw('admissionKeyFile', '--admission-key-file', 'CHARTER_ADMISSION_KEY_FILE')?.value ?? (certDir ? join(certDir, 'tls.key') : undefined);
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new ConfigError(`The admission webhook needs both a certificate and a key; found only the ${certFile ? 'certificate' : 'key'} (set --admission-cert-dir, or both --admission-cert-file and --admission-key-file)`);
  }
  const config: OperatorConfig = {
    kubeconfig: kubeconfigSource(raw('kubeconfig', '--kubeconfig', 'KUBECONFIG')?.value, env),
    context: raw('context', '--context', 'CHARTER_CONTEXT')?.value,
    leaderElect,
    leaseNamespace: str('leaseNamespace', '--lease-namespace', 'CHARTER_LEASE_NAMESPACE', DEFAULT_LEASE_NAMESPACE),
    leaseName: str('leaseName', '--lease-name', 'CHARTER_LEASE_NAME', 'charter-leader'),
    identity: str('identity', '--identity', 'CHARTER_IDENTITY', `${hostname()}-${process.pid}`),
    leaseDurationMs: Math.round(num('leaseDuration', '--lease-duration', 'CHARTER_LEASE_DURATION', 15, seconds) * 1000),
    renewDeadlineMs: Math.round(num('renewDeadline', '--renew-deadline', 'CHARTER_RENEW_DEADLINE', 10, seconds) * 1000),
    retryPeriodMs: Math.round(num('retryPeriod', '--retry-period', 'CHARTER_RETRY_PERIOD', 2, seconds) * 1000),
    catalog: raw('catalog', '--catalog', 'CHARTER_CATALOG')?.value,
    adminRights,
    workers: num('workers', '--workers', 'CHARTER_WORKERS', 4, { min: 1, max: 1024, integer: true, what: 'an integer from 1 to 1024' }),
    metricsPort: num('metricsPort', '--metrics-port', 'CHARTER_METRICS_PORT', 8080, { min: 0, max: 65535, integer: true, what: 'a port from 0 to 65535' }),
    logLevel: logLevel as LogLevel,
    stallTimeoutMs: Math.round(num('stallTimeout', '--stall-timeout', 'CHARTER_STALL_TIMEOUT', 60, seconds) * 1000),
    stalenessLimitMs: Math.round(num('stalenessLimit', '--staleness-limit', 'CHARTER_STALENESS_LIMIT', 120, seconds) * 1000),
    maxShards: num('maxShards', '--max-shards', 'CHARTER_MAX_SHARDS', 8, { min: 1, max: 1000, integer: true, what: 'an integer from 1 to 1000' }),
    admission: {
      port: num('admissionPort', '--admission-port', 'CHARTER_ADMISSION_PORT', 9443, { min: 0, max: 65535, integer: true, what: 'a port from 0 to 65535' }),
      certFile,
      keyFile,
      bypassUsers: list('admissionBypassUsers', '--admission-bypass-users', 'CHARTER_ADMISSION_BYPASS_USERS', [...PLATFORM_USERS]),
      bypassGroups: list('admissionBypassGroups', '--admission-bypass-groups', 'CHARTER_ADMISSION_BYPASS_GROUPS', [...PLATFORM_GROUPS]),
      selfRegistration,
    },
  };
  if (config.leaderElect) {
    if (config.leaseDurationMs <= config.renewDeadlineMs) {
      throw new ConfigError(`The lease duration must exceed the renew deadline; found ${config.leaseDurationMs / 1000} s ≤ ${config.renewDeadlineMs / 1000} s`);
    }
    if (config.renewDeadlineMs <= 1.2 * config.retryPeriodMs) {
      throw new ConfigError(
        `The renew deadline must exceed 1.2 × the retry period; found ${config.renewDeadlineMs / 1000} s and ${config.retryPeriodMs / 1000} s`,
      );
    }
    if (!config.identity) throw new ConfigError('The identity must not be empty');
  }
  return config;
}

/**
 * The KubeConfig for a `files` or `in-cluster` source (the `dev-cluster` source needs a control plane started
 * first: src/devcluster's useDevCluster gives its kubeconfig file).
 */
export function loadKubeConfig(source: KubeconfigSource, context?: string): KubeConfig {
  const kc = new KubeConfig();
  if (source.source === 'in-cluster') {
    kc.loadFromCluster();
  } else if (source.source === 'files') {
    const [first, ...rest] = source.paths;
    if (!first) throw new ConfigError('No kubeconfig file given');
    kc.loadFromFile(first);
    for (const p of rest) {
      const more = new KubeConfig();
      more.loadFromFile(p);
      kc.mergeConfig(more);
    }
  } else {
    throw new Error('The dev-cluster source has no kubeconfig until the development control plane runs');
  }
  if (context) {
    if (!kc.getContextObject(context)) {
      throw new ConfigError(`The kubeconfig has no context "${context}"; it has ${kc.getContexts().map((c) => `"${c.name}"`).join(', ') || 'none'}`);
    }
    kc.setCurrentContext(context);
  }
  return kc;
}

function kubeconfigSource(value: string | undefined, env: NodeJS.ProcessEnv): KubeconfigSource {
  if (value === 'none') return { source: 'dev-cluster' };
  if (value === 'in-cluster') return { source: 'in-cluster' };
  if (value !== undefined) {
    const paths = value.split(delimiter).filter((p) => p);
    if (paths.length > 0) return { source: 'files', paths };
  }
  if (env.KUBERNETES_SERVICE_HOST) return { source: 'in-cluster' };
  const home = env.HOME ?? env.USERPROFILE;
  if (home && existsSync(join(home, '.kube', 'config'))) return { source: 'files', paths: [join(home, '.kube', 'config')] };
  return { source: 'dev-cluster' };
}

/** The longest duration a flag takes, in seconds. */
const MAX_SECONDS = 3600;

interface NumberCheck {
  min: number;
  max?: number;
  integer?: boolean;
  what: string;
}

function parseNumber(value: string, from: string, check: NumberCheck): number {
  const n = /^\s*[-+]?(\d+\.?\d*|\.\d+)\s*$/.test(value) ? Number(value) : Number.NaN;
  if (Number.isNaN(n) || n < check.min || (check.max !== undefined && n > check.max) || (check.integer && !Number.isInteger(n))) {
    throw new ConfigError(`${from} must be ${check.what}; found "${value}"`);
  }
  return n;
}

/** A list flag's value: comma-separated, blanks trimmed, empty items dropped ("" is the empty list). */
export function commaList(value: string): string[] {
  return value.split(',').map((x) => x.trim()).filter((x) => x);
}

/** A boolean flag's or variable's value: true/1/yes/on, false/0/no/off, any case; else ConfigError naming `from`. */
export function parseBoolean(value: string, from: string): boolean {
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(`${from} must be true or false; found "${value}"`);
}
