/**
 * The control plane's kubeconfig: written with one context per identity (`admin` current, certificates embedded),
 * and read back (the context's server, CA, and client certificate or token) by requesters that are not
 * @kubernetes/client-node.
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments, stringify } from 'yaml';
import { ADMIN, type Identity } from './credentials.ts';
import type { IssuedCert } from './x509.ts';

export function kubeconfigYaml(server: string, caPem: string, identities: Identity[], certs: Map<string, IssuedCert>): string {
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

/** Where a kubeconfig context points and how it authenticates: PEM texts (empty when absent) and a token. */
export interface ContextCredentials {
  server: string;
  tls: { ca: string; cert: string; key: string; token?: string };
}

interface KubeconfigFile {
  'current-context'?: string;
  contexts?: { name?: string; context?: { cluster?: string; user?: string } }[];
  clusters?: { name?: string; cluster?: { server?: string; 'certificate-authority-data'?: string; 'certificate-authority'?: string } }[];
  users?: { name?: string; user?: { 'client-certificate-data'?: string; 'client-certificate'?: string; 'client-key-data'?: string; 'client-key'?: string; token?: string } }[];
}

/**
 * The credentials of `context` (or the current context) in a kubeconfig as written by this harness: embedded CA, and a
 * client certificate or a token (files named instead of embedded are read too).
 */
export function readContextCredentials(kubeconfigPath: string, context?: string): ContextCredentials {
  const cfg = (parseAllDocuments(readFileSync(kubeconfigPath, 'utf8'))[0]?.toJS() ?? {}) as KubeconfigFile;
  const ctxName = context ?? cfg['current-context'];
  const ctx = (cfg.contexts ?? []).find((c) => c.name === ctxName)?.context;
  const cluster = (cfg.clusters ?? []).find((c) => c.name === ctx?.cluster)?.cluster;
  const user = (cfg.users ?? []).find((u) => u.name === ctx?.user)?.user ?? {};
  if (!ctx || !cluster?.server) throw new Error(`${kubeconfigPath}: no context '${ctxName}' with a cluster`);
  const unb64 = (s: string | undefined): string | undefined => (s ? Buffer.from(s, 'base64').toString() : undefined);
  const file = (p: string | undefined): string | undefined => (p ? readFileSync(p, 'utf8') : undefined);
  return {
    server: cluster.server,
    tls: {
      ca: unb64(cluster['certificate-authority-data']) ?? file(cluster['certificate-authority']) ?? '',
      cert: unb64(user['client-certificate-data']) ?? file(user['client-certificate']) ?? '',
      key: unb64(user['client-key-data']) ?? file(user['client-key']) ?? '',
      ...(user.token ? { token: user.token } : {}),
    },
  };
}
