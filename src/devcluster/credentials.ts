/**
 * The control plane's credentials, written to `<dir>/pki`: its CA, the API server's serving certificate, the
 * service-account signing key pair (so TokenRequest and TokenReview work), and per identity a client certificate and a
 * static bearer token (the token file).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { issueCert, newKeyPair, privateKeyPem, publicKeyPem } from './x509.ts';
import type { IssuedCert } from './x509.ts';

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

export interface Credentials {
  ca: IssuedCert;
  /** The admin first, then the ordinary identities. */
  everyone: Identity[];
  clientCerts: Map<string, IssuedCert>;
  /** Static bearer tokens, by identity name. */
  tokens: Record<string, string>;
  /** The files kube-apiserver reads. */
  files: { ca: string; servingCert: string; servingKey: string; saKey: string; saPub: string; tokens: string };
}

/** Issues everything and writes the files kube-apiserver needs (mode 0600, in a 0700 folder). */
export function writeCredentials(dir: string, identities: Identity[]): Credentials {
  const pki = join(dir, 'pki');
  mkdirSync(pki, { mode: 0o700 });
  const ca = issueCert({ commonName: 'charter-devcluster-ca', usage: 'ca' });
  const serving = issueCert(
    {
      commonName: 'kube-apiserver',
      usage: 'server',
      hosts: ['127.0.0.1', 'localhost', '10.0.0.1', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'],
    },
    ca,
  );
  const sa = newKeyPair();
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
  const files = {
    ca: write('ca.crt', ca.certPem),
    servingCert: write('apiserver.crt', serving.certPem),
    servingKey: write('apiserver.key', serving.keyPem),
    saKey: write('sa.key', privateKeyPem(sa.privateKey)),
    saPub: write('sa.pub', publicKeyPem(sa.publicKey)),
    tokens: write('tokens.csv', everyone.map((id) => `${tokens[id.name]},${id.name},${id.name},"${id.groups.join(',')}"`).join('\n') + '\n'),
  };
  return { ca, everyone, clientCerts, tokens, files };
}
