/**
 * Just enough X.509 to run a throwaway control plane: a self-signed CA and certificates it signs,
 * all ECDSA P-256 with SHA-256, written as PEM. Node can parse certificates but not make them,
 * and the `openssl` CLI is not on every machine, so this encodes the DER itself (RFC 5280).
 */
import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, sign, X509Certificate } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { isIP } from 'node:net';

export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export interface IssuedCert {
  /** PEM "CERTIFICATE" */
  certPem: string;
  /** PEM "PRIVATE KEY" (PKCS #8) */
  keyPem: string;
  keys: KeyPair;
}

export interface CertRequest {
  commonName: string;
  /** Subject organizations: for a Kubernetes client certificate these are the user's groups. */
  organizations?: string[];
  /** DNS names and IP addresses for the subjectAltName extension. */
  hosts?: string[];
  usage: 'ca' | 'server' | 'client' | 'server+client';
  /** Validity in days (default 7: these certificates live as long as a test run). */
  days?: number;
}

// ---- DER encoding ----

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), len(content.length), content]);
}

const seq = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));
const octets = (b: Buffer): Buffer => tlv(0x04, b);
const utf8 = (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8'));
const bool = (v: boolean): Buffer => tlv(0x01, Buffer.from([v ? 0xff : 0x00]));
/** [n] EXPLICIT */
const explicit = (n: number, inner: Buffer): Buffer => tlv(0xa0 | n, inner);

function bitString(bytes: Buffer, unusedBits = 0): Buffer {
  return tlv(0x03, Buffer.concat([Buffer.from([unusedBits]), bytes]));
}

/** A non-negative INTEGER from big-endian bytes, minimally encoded. */
function uint(bytes: Buffer): Buffer {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  let b = bytes.subarray(i);
  if ((b[0] ?? 0) & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return tlv(0x02, b);
}

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const [a = 0, b = 0, ...rest] = parts;
  const out: number[] = [40 * a + b];
  for (const p of rest) {
    const chunk: number[] = [p & 0x7f];
    for (let v = Math.floor(p / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v & 0x7f));
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

function time(d: Date): Buffer {
  const iso = d.toISOString(); // 2026-11-25T03:41:00.000Z
  const digits = iso.slice(0, 19).replace(/[-:T]/g, ''); // 20261125034100
  // RFC 5280: UTCTime through 2049, GeneralizedTime from 2050.
  return d.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(digits.slice(2) + 'Z', 'ascii'))
    : tlv(0x18, Buffer.from(digits + 'Z', 'ascii'));
}

const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  ecdsaWithSHA256: '1.2.840.10045.4.3.2',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
};

function name(commonName: string, organizations: string[] = []): Buffer {
  const rdns = organizations.map((o) => set(seq(oid(OID.organization), utf8(o))));
  rdns.push(set(seq(oid(OID.commonName), utf8(commonName))));
  return seq(...rdns);
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? seq(oid(id), bool(true), octets(value)) : seq(oid(id), octets(value));
}

function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  // IPv6: expand "::" and write eight 16-bit groups.
  const [head = '', tail = ''] = ip.includes('::') ? ip.split('::') : [ip, ''];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), 2 * i));
  return out;
}

function subjectAltName(hosts: string[]): Buffer {
  return seq(
    ...hosts.map((h) => (isIP(h) ? tlv(0x87, ipBytes(h)) : tlv(0x82, Buffer.from(h, 'ascii')))),
  );
}

function keyId(publicKey: KeyObject): Buffer {
  // RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING's bytes. For an EC SPKI the
  // uncompressed point is the last 65 bytes.
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha1').update(spki.subarray(spki.length - 65)).digest();
}

function pem(label: string, der: Buffer): string {
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

export function newKeyPair(): KeyPair {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

export function privateKeyPem(k: KeyObject): string {
  return k.export({ type: 'pkcs8', format: 'pem' }).toString();
}

export function publicKeyPem(k: KeyObject): string {
  return k.export({ type: 'spki', format: 'pem' }).toString();
}

/**
 * Issues a certificate for `req`, signed by `issuer` (or self-signed when `issuer` is omitted, which
 * only makes sense for a CA).
 */
export function issueCert(req: CertRequest, issuer?: IssuedCert): IssuedCert {
  const keys = newKeyPair();
  const signerKey = issuer ? issuer.keys.privateKey : keys.privateKey;
  const subject = name(req.commonName, req.organizations);
  // The issuer field must equal the issuer's subject byte for byte.
  const issuerDer = issuer ? subjectOf(Buffer.from(new X509Certificate(issuer.certPem).raw)) : subject;

  const now = Date.now();
  const notBefore = new Date(now - 60 * 60 * 1000); // an hour of clock skew
  const notAfter = new Date(now + (req.days ?? 7) * 24 * 60 * 60 * 1000);
  const serial = randomBytes(16);
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x01; // positive, 16 bytes long

  const exts: Buffer[] = [];
  const ski = keyId(keys.publicKey);
  if (req.usage === 'ca') {
    exts.push(extension(OID.basicConstraints, true, seq(bool(true))));
    // digitalSignature(0), keyCertSign(5), cRLSign(6): 1000 0110, one unused bit
    exts.push(extension(OID.keyUsage, true, bitString(Buffer.from([0x86]), 1)));
  } else {
    exts.push(extension(OID.basicConstraints, true, seq()));
    // digitalSignature(0) only: enough for ECDHE with an ECDSA key
    exts.push(extension(OID.keyUsage, true, bitString(Buffer.from([0x80]), 7)));
    const ekus: Buffer[] = [];
    if (req.usage === 'server' || req.usage === 'server+client') ekus.push(oid(OID.serverAuth));
    if (req.usage === 'client' || req.usage === 'server+client') ekus.push(oid(OID.clientAuth));
    exts.push(extension(OID.extKeyUsage, false, seq(...ekus)));
  }
  if (req.hosts?.length) exts.push(extension(OID.subjectAltName, false, subjectAltName(req.hosts)));
  exts.push(extension(OID.subjectKeyIdentifier, false, octets(ski)));
  const aki = issuer ? keyId(issuer.keys.publicKey) : ski;
  exts.push(extension(OID.authorityKeyIdentifier, false, seq(tlv(0x80, aki))));

  const sigAlg = seq(oid(OID.ecdsaWithSHA256));
  const tbs = seq(
    explicit(0, uint(Buffer.from([2]))), // v3
    uint(serial),
    sigAlg,
    issuerDer,
    seq(time(notBefore), time(notAfter)),
    subject,
    keys.publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, seq(...exts)),
  );
  const signature = sign('sha256', tbs, { key: signerKey, dsaEncoding: 'der' });
  const cert = seq(tbs, sigAlg, bitString(signature));
  return { certPem: pem('CERTIFICATE', cert), keyPem: privateKeyPem(keys.privateKey), keys };
}

/** Loads a certificate and key written by `issueCert` (to sign more certificates with a saved CA). */
export function loadIssued(certPem: string, keyPem: string): IssuedCert {
  const privateKey = createPrivateKey(keyPem);
  const publicKey = new X509Certificate(certPem).publicKey;
  return { certPem, keyPem, keys: { privateKey, publicKey } };
}

// ---- minimal DER reading, to copy the issuer's subject Name byte for byte ----

function readTlv(buf: Buffer, at: number): { tag: number; start: number; end: number; headerLen: number } {
  const tag = buf[at] ?? 0;
  let l = buf[at + 1] ?? 0;
  let headerLen = 2;
  if (l & 0x80) {
    const n = l & 0x7f;
    l = 0;
    for (let i = 0; i < n; i++) l = l * 256 + (buf[at + 2 + i] ?? 0);
    headerLen += n;
  }
  return { tag, start: at, end: at + headerLen + l, headerLen };
}

/** The subject Name (as DER) of a DER certificate. */
function subjectOf(certDer: Buffer): Buffer {
  const cert = readTlv(certDer, 0);
  const tbs = readTlv(certDer, cert.start + cert.headerLen);
  let at = tbs.start + tbs.headerLen;
  const fields: Buffer[] = [];
  while (at < tbs.end && fields.length < 6) {
    const f = readTlv(certDer, at);
    fields.push(certDer.subarray(f.start, f.end));
    at = f.end;
  }
  // version [0], serial, signature, issuer, validity, subject
  const subject = fields[5];
  if (!subject) throw new Error('malformed issuer certificate');
  return subject;
}
