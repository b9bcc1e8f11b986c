/**
 * Charter's admission webhook on a local control plane (`npm start` with no cluster, `npm run cluster:up`, the
 * integration tests): a serving certificate for 127.0.0.1 signed by the control plane's CA, a
 * ValidatingWebhookConfiguration that sends the four kinds to `https://127.0.0.1:<port>/validate` (URL-style: there
 * are no Services or Pods here), and RBAC that lets every authenticated user write Charter objects, so that Charter's
 * rules, not RBAC, decide (`kubectl --as alice ...`).
 *
 * Start order: the configuration is registered with failurePolicy Fail before an operator may be serving, so it
 * leaves out the bypass identities at the API server (matchConditions): the admin (group system:masters) applies
 * manifests while no operator runs; every other writer of Charter objects is refused until one does.
 *
 *   const admission = setUpDevAdmission(cp, { dir: '.charter/webhook' }); // writes tls.crt, tls.key
 *   await registerWebhook(cp.request, webhookConfiguration({ url: admission.url, caBundle: cp.caPem }));
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { API_GROUP, KINDS, PLURALS } from '../api/kinds.ts';
import type { ApiResponse, Requester } from './api-request.ts';
import type { CertRequest, IssuedCert } from './x509.ts';

export const WEBHOOK_CONFIGURATION_NAME = 'charter.dev';
export const WEBHOOK_NAME = 'validate.charter.dev';
const FIELD_MANAGER = 'charter-devcluster';

export interface DevAdmission {
  /** https://127.0.0.1:<port>/validate */
  url: string;
  port: number;
  /** Holds tls.crt and tls.key (the operator's --admission-cert-dir). */
  certDir: string;
}

export interface WebhookConfigurationOptions {
  /** URL-style client configuration (`https://127.0.0.1:<port>/validate`) … */
  url?: string;
  /** … or a Service (in a cluster). */
  service?: { namespace: string; name: string; port: number; path?: string };
  /** PEM of the CA that signed the serving certificate. */
  caBundle: string;
  name?: string;
  failurePolicy?: 'Fail' | 'Ignore';
  timeoutSeconds?: number;
  /** Requests from these users or groups never reach the webhook (the API server lets them through). */
  skipUsers?: readonly string[];
  skipGroups?: readonly string[];
  /** Only objects with these labels (tests keep the webhook to their own objects). */
  objectSelector?: { matchLabels: Record<string, string> };
  labels?: Record<string, string>;
}

/** A serving certificate for 127.0.0.1 and localhost, signed by `issue` (the control plane's CA), in `dir`. */
export function writeServingCertificate(issue: (req: CertRequest) => IssuedCert, dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const cert = issue({ commonName: 'charter-admission', usage: 'server', hosts: ['127.0.0.1', 'localhost'], days: 365 });
  writeFileSync(join(dir, 'tls.crt'), cert.certPem, { mode: 0o600 });
  writeFileSync(join(dir, 'tls.key'), cert.keyPem, { mode: 0o600 });
}

/** The CEL of a matchCondition that leaves out these users and groups (true: the webhook is called). */
export function skipCondition(users: readonly string[], groups: readonly string[]): string | undefined {
  const quote = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  const parts: string[] = [];
  if (users.length) parts.push(`!(request.userInfo.username in [${users.map(quote).join(', ')}])`);
  if (groups.length) parts.push(`!request.userInfo.groups.exists(g, g in [${groups.map(quote).join(', ')}])`);
  return parts.length ? parts.join(' && ') : undefined;
}

/** The ValidatingWebhookConfiguration for the four kinds (CREATE, UPDATE, DELETE; not their status). */
export function webhookConfiguration(o: WebhookConfigurationOptions): Record<string, unknown> {
  const condition = skipCondition(o.skipUsers ?? [], o.skipGroups ?? []);
  const clientConfig: Record<string, unknown> = { caBundle: Buffer.from(o.caBundle).toString('base64') };
  if (o.url) clientConfig.url = o.url;
  else if (o.service) clientConfig.service = { path: '/validate', ...o.service };
  else throw new Error('webhookConfiguration: give a url or a service');
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: o.name ?? WEBHOOK_CONFIGURATION_NAME, ...(o.labels ? { labels: o.labels } : {}) },
    webhooks: [
      {
        name: WEBHOOK_NAME,
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        failurePolicy: o.failurePolicy ?? 'Fail',
        matchPolicy: 'Equivalent',
        timeoutSeconds: o.timeoutSeconds ?? 5,
        clientConfig,
        rules: [
          {
            apiGroups: [API_GROUP],
            apiVersions: ['v1alpha1'],
            operations: ['CREATE', 'UPDATE', 'DELETE'],
            resources: KINDS.map((kind) => PLURALS[kind]),
            scope: '*',
          },
        ],
        ...(o.objectSelector ? { objectSelector: o.objectSelector } : {}),
        ...(condition ? { matchConditions: [{ name: 'not-a-bypass-identity', expression: condition }] } : {}),
      },
    ],
  };
}

/** Server-side applies a ValidatingWebhookConfiguration (as the admin). */
export async function registerWebhook(request: Requester, configuration: Record<string, unknown>): Promise<void> {
  const name = (configuration.metadata as { name: string }).name;
  const r = await request(
    'PATCH',
    `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${name}?fieldManager=${FIELD_MANAGER}&force=true`,
    configuration,
    'application/apply-patch+yaml',
  );
  check(r, `registering the ValidatingWebhookConfiguration ${name}`);
}

/** Lets every authenticated user read and write the four kinds: on a development cluster, Charter's rules decide. */
export async function letAuthenticatedWriteCharter(request: Requester): Promise<void> {
  const name = 'charter-dev-writers';
  const apply = async (path: string, body: unknown, what: string): Promise<void> =>
    check(await request('PATCH', `${path}?fieldManager=${FIELD_MANAGER}&force=true`, body, 'application/apply-patch+yaml'), what);
  await apply(
    `/apis/rbac.authorization.k8s.io/v1/clusterroles/${name}`,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name },
      rules: [{ apiGroups: [API_GROUP], resources: KINDS.map((kind) => PLURALS[kind]), verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] }],
    },
    `the ClusterRole ${name}`,
  );
  await apply(
    `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${name}`,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:authenticated' }],
    },
    `the ClusterRoleBinding ${name}`,
  );
}

/** The dev admin: bypassed at the API server (system:masters) and by the operator (its name). */
export const DEV_BYPASS_USERS = ['charter-admin'];
export const DEV_BYPASS_GROUPS = ['system:masters'];

/**
 * Everything the local control plane needs for the webhook: the certificate in `dir`, RBAC, and the configuration
 * pointing at `port` (failurePolicy Fail; the admin left out at the API server).
 */
export async function setUpDevAdmission(
  cp: { request: Requester; caPem: string; issueCert: (req: CertRequest) => IssuedCert },
  dir: string,
  port: number,
): Promise<DevAdmission> {
  writeServingCertificate(cp.issueCert, dir);
  await letAuthenticatedWriteCharter(cp.request);
  const url = `https://127.0.0.1:${port}/validate`;
  await registerWebhook(cp.request, webhookConfiguration({ url, caBundle: cp.caPem, skipUsers: DEV_BYPASS_USERS, skipGroups: DEV_BYPASS_GROUPS }));
  return { url, port, certDir: dir };
}

function check(r: ApiResponse, what: string): void {
  if (r.status >= 300) throw new Error(`${what}: ${r.status} ${r.body?.message ?? JSON.stringify(r.body)}`);
}
