import { afterEach, describe, expect, test } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { AdmissionWebhook } from '../../../src/controller/admission-webhook.ts';
import { MAX_REVIEW_BYTES } from '../../../src/controller/admission-review.ts';
import { startAdmissionServer, type RunningAdmissionServer } from '../../../src/controller/admission-server.ts';
import { createMetrics } from '../../../src/controller/metrics.ts';
import { ServingCertificateError } from '../../../src/controller/serving-certificate.ts';
import type { Engine } from '../../../src/engine/engine.ts';
import { issueCert, type IssuedCert } from '../../../src/devcluster/x509.ts';
import { review } from './admission-support.ts';
import { capturingLogger, eventually } from './support.ts';

const ca = issueCert({ commonName: 'test-ca', usage: 'ca' });
const serving = (): IssuedCert => issueCert({ commonName: 'charter-admission', usage: 'server', hosts: ['127.0.0.1'] }, ca);

let server: RunningAdmissionServer | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await server?.close();
  server = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A folder laid out as the kubelet writes a Secret volume: tls.crt → ..data/tls.crt, ..data → ..<version>. */
function secretVolume(pair: IssuedCert): { dir: string; replace: (next: { certPem: string; keyPem: string }) => void } {
  const dir = mkdtempSync(join(tmpdir(), 'charter-webhook-cert-'));
  dirs.push(dir);
  let version = 0;
  const write = (next: { certPem: string; keyPem: string }): void => {
    const folder = `..v${++version}`;
    mkdirSync(join(dir, folder));
    writeFileSync(join(dir, folder, 'tls.crt'), next.certPem);
    writeFileSync(join(dir, folder, 'tls.key'), next.keyPem);
    symlinkSync(folder, join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data')); // the atomic swap
  };
  write(pair);
  symlinkSync('..data/tls.crt', join(dir, 'tls.crt'));
  symlinkSync('..data/tls.key', join(dir, 'tls.key'));
  return { dir, replace: write };
}

async function start(dir: string, pollMs?: number) {
  const { logger, lines } = capturingLogger();
  const registry = new Registry();
  const metrics = createMetrics(registry);
  const webhook = new AdmissionWebhook({
    engine: () => ({}) as Engine,
    lookup: () => undefined,
    options: { bypassUsers: [], bypassGroups: ['system:masters'], selfRegistration: true },
    logger,
    metrics,
    decide: () => ({ allowed: false, actingAs: 'nobody', denials: [{ reason: 'UnknownRequester', message: 'no User lists alice' }] }),
  });
  server = await startAdmissionServer({
    port: 0,
    host: '127.0.0.1',
    certFile: join(dir, 'tls.crt'),
    keyFile: join(dir, 'tls.key'),
    webhook,
    logger,
    ...(pollMs ? { certificatePollMs: pollMs } : {}),
  });
  return { lines, metrics };
}

interface Reply {
  status: number;
  body: string;
  serial: string;
}

/** One request on a new connection (so each sees the certificate served now). */
function send(path: string, opts: { method?: string; type?: string; body?: string | Buffer } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: server!.port, path, method: opts.method ?? 'POST', ca: ca.certPem, agent: false, headers: opts.type === undefined ? { 'Content-Type': 'application/json' } : opts.type ? { 'Content-Type': opts.type } : {} },
      (res) => {
        const serial = (res.socket as TLSSocket).getPeerCertificate().serialNumber;
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, serial }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

const serialOf = (pem: string): string => new X509Certificate(pem).serialNumber;

describe('startAdmissionServer', () => {
  test('answers a review POSTed to /validate over TLS with the same uid', async () => {
    const pair = serving();
    await start(secretVolume(pair).dir);
    const r = await send('/validate', { body: JSON.stringify(review()) });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: '705ab4f5-6393-11e8-b7cc-42010a800002', allowed: false, status: { code: 403, reason: 'UnknownRequester', message: 'UnknownRequester: no User lists alice' } },
    });
    expect(r.serial).toBe(server!.certificate().serialNumber);
  });

  test('refuses, with a denial that says why, other paths, methods, content types and bodies that are not reviews; keeps serving', async () => {
    await start(secretVolume(serving()).dir);
    const cases: [string, Parameters<typeof send>[1], number, RegExp][] = [
      ['/', { body: '{}' }, 404, /there is nothing at \/; reviews go to POST \/validate/],
      ['/validate', { method: 'GET' }, 405, /method GET not allowed/],
      ['/validate', { type: 'text/plain', body: 'x' }, 415, /content type must be application\/json; found "text\/plain"/],
      ['/validate', { type: '', body: 'x' }, 415, /found "none"/],
      ['/validate', { body: 'not json' }, 400, /the body is not JSON/],
      ['/validate', { body: '' }, 400, /the body is not JSON/],
    ];
    for (const [path, opts, status, message] of cases) {
      const r = await send(path, opts);
      expect({ path, status: r.status }).toEqual({ path, status });
      const answer = JSON.parse(r.body);
      expect(answer.response.allowed).toBe(false);
      expect(answer.response.status.reason).toBe('Malformed');
      expect(answer.response.status.message).toMatch(message);
    }
    expect((await send('/validate', { body: JSON.stringify(review()) })).status).toBe(200);
  });

  test('a body over the limit: 413 and a denial, without reading it all; the server goes on', async () => {
    await start(secretVolume(serving()).dir);
    const big = Buffer.alloc(MAX_REVIEW_BYTES + 1024, 'x');
    const r = await send('/validate', { body: big });
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body).response).toMatchObject({ allowed: false, status: { reason: 'Malformed', message: expect.stringMatching(/larger than/) } });
    expect((await send('/validate', { body: JSON.stringify(review()) })).status).toBe(200);
  });

  test('a replaced certificate (the kubelet swapping ..data) is served on new connections without a restart', async () => {
    const first = serving();
    const volume = secretVolume(first);
    const { lines } = await start(volume.dir);
    expect((await send('/validate', { body: JSON.stringify(review()) })).serial).toBe(serialOf(first.certPem));
    const second = serving();
    volume.replace(second);
    await eventually(() => server!.certificate().serialNumber === serialOf(second.certPem), 5000, 'the new certificate to load');
    expect((await send('/validate', { body: JSON.stringify(review()) })).serial).toBe(serialOf(second.certPem));
    expect(lines.some((l) => l.message === 'admission webhook certificate reloaded')).toBe(true);
  });

  test('a replacement that does not load (key of another certificate) is not taken: the last good one stays', async () => {
    const first = serving();
    const volume = secretVolume(first);
    const { lines } = await start(volume.dir);
    volume.replace({ certPem: serving().certPem, keyPem: first.keyPem });
    await eventually(() => lines.some((l) => l.message === 'admission webhook certificate changed but cannot be used; serving the previous one'), 5000, 'the warning');
    expect((await send('/validate', { body: JSON.stringify(review()) })).serial).toBe(serialOf(first.certPem));
    const fixed = serving();
    volume.replace(fixed);
    await eventually(() => server!.certificate().serialNumber === serialOf(fixed.certPem), 5000, 'the fixed certificate to load');
  });

  test('files replaced in place (no symlinks) are noticed too, by the periodic comparison at the latest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'charter-webhook-cert-'));
    dirs.push(dir);
    const first = serving();
    writeFileSync(join(dir, 'tls.crt'), first.certPem);
    writeFileSync(join(dir, 'tls.key'), first.keyPem);
    await start(dir, 100);
    const second = serving();
    writeFileSync(join(dir, 'tls.key'), second.keyPem);
    writeFileSync(join(dir, 'tls.crt'), second.certPem);
    await eventually(() => server!.certificate().serialNumber === serialOf(second.certPem), 5000, 'the new certificate to load');
  });

  test('files that cannot be used stop the start with a clear error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'charter-webhook-cert-'));
    dirs.push(dir);
    await expect(start(dir)).rejects.toThrow(new ServingCertificateError(`Cannot read the admission webhook's certificate ${join(dir, 'tls.crt')}: ENOENT`));
    writeFileSync(join(dir, 'tls.crt'), serving().certPem);
    writeFileSync(join(dir, 'tls.key'), serving().keyPem);
    await expect(start(dir)).rejects.toThrow(`The admission webhook's key ${join(dir, 'tls.key')} does not belong to the certificate ${join(dir, 'tls.crt')}`);
    writeFileSync(join(dir, 'tls.crt'), 'not a certificate');
    await expect(start(dir)).rejects.toThrow(/cannot be used/);
  });
});
