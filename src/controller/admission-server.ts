/**
 * The admission webhook's HTTPS endpoint, served by every replica:
 *
 *   POST /validate   an admission.k8s.io/v1 AdmissionReview (application/json, at most MAX_REVIEW_BYTES) → its answer
 *
 * The serving certificate comes from files (ServingCertificate) and is swapped in with setSecureContext when they
 * change: connections made after a renewal get the new certificate, without a restart. Whatever a client sends, the
 * answer is an AdmissionReview denial that says what was wrong (fail closed), never a crash: a body that is too large
 * (413), not JSON or not a review (400, or 200 with the denial when the review's uid could be read), a wrong method
 * (405), content type (415) or path (404).
 *
 *   const server = await startAdmissionServer({ port: 9443, certFile, keyFile, webhook, logger });
 *   // … server.port, server.certificate().serialNumber
 *   await server.close();
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MAX_REVIEW_BYTES, type ReviewAnswer } from './admission-review.ts';
import type { Logger } from './logger.ts';
import { ServingCertificate, type CertificateInfo } from './serving-certificate.ts';

export const ADMISSION_PATH = '/validate';

/** What the server asks of the webhook (AdmissionWebhook). */
export interface ReviewHandler {
  review(body: Uint8Array): Promise<{ status: number; answer: ReviewAnswer }>;
  /** A request refused before its body was read: counted and logged as malformed. */
  refuse(problem: string): ReviewAnswer;
}

export interface AdmissionServerOptions {
  /** 0 picks a free port (see the returned `port`). */
  port: number;
  /** Default: every interface (a pod is reached on its IP). */
  host?: string;
  certFile: string;
  keyFile: string;
  webhook: ReviewHandler;
  logger: Logger;
  /** How often the certificate files are compared even without a change event (default 10 s). */
  certificatePollMs?: number;
}

export interface RunningAdmissionServer {
  port: number;
  /** The certificate being served now. */
  certificate(): CertificateInfo;
  close(): Promise<void>;
}

/** Starts serving; throws a ServingCertificateError when the certificate files cannot be used. */
export async function startAdmissionServer(opts: AdmissionServerOptions): Promise<RunningAdmissionServer> {
  let server: Server | undefined;
  const certificate = new ServingCertificate({
    certFile: opts.certFile,
    keyFile: opts.keyFile,
    logger: opts.logger,
    ...(opts.certificatePollMs ? { pollMs: opts.certificatePollMs } : {}),
    onChange: (pair, info) => {
      server?.setSecureContext({ cert: pair.cert, key: pair.key, minVersion: 'TLSv1.2' });
      served = info;
    },
  });
  const first = certificate.load();
  let served = first.info;
  server = createServer({ cert: first.cert, key: first.key, minVersion: 'TLSv1.2', requestTimeout: 30_000, headersTimeout: 10_000 }, (req, res) => {
    void handle(opts, req, res).catch((error: unknown) => {
      opts.logger.error('admission request failed', { error: error instanceof Error ? error.message : String(error) });
      if (!res.headersSent) send(res, 500, opts.webhook.refuse(`internal error: ${error instanceof Error ? error.message : String(error)}`));
      else res.destroy();
    });
  });
  server.on('tlsClientError', (error) => opts.logger.debug('admission TLS handshake failed', { error: error.message }));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  certificate.watch();
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    port,
    certificate: () => served,
    close: () =>
      (closing ??= new Promise<void>((resolve, reject) => {
        certificate.stop();
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeAllConnections();
      })),
  };
}

async function handle(opts: AdmissionServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'https://localhost').pathname;
  const refuse = (status: number, problem: string, headers: Record<string, string> = {}): void => {
    req.resume(); // drain what is left, so the connection can be reused
    send(res, status, opts.webhook.refuse(problem), headers);
  };
  if (path !== ADMISSION_PATH) return refuse(404, `there is nothing at ${path}; reviews go to POST ${ADMISSION_PATH}`);
  if (req.method !== 'POST') return refuse(405, `method ${req.method} not allowed: reviews are POSTed`, { Allow: 'POST' });
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') return refuse(415, `content type must be application/json; found ${JSON.stringify(type || 'none')}`);
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_REVIEW_BYTES) return tooLarge(opts, req, res);
  const chunks: Buffer[] = [];
  let size = 0;
  const body = await new Promise<Buffer | undefined>((resolve, reject) => {
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REVIEW_BYTES) {
        req.removeAllListeners('data');
        req.pause();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
  if (!body) return tooLarge(opts, req, res);
  const { status, answer } = await opts.webhook.review(body);
  send(res, status, answer);
}

/** 413, and the connection closed: the rest of the body is not read. */
function tooLarge(opts: AdmissionServerOptions, req: IncomingMessage, res: ServerResponse): void {
  send(res, 413, opts.webhook.refuse(`the review is larger than ${MAX_REVIEW_BYTES} bytes`), { Connection: 'close' });
  res.on('finish', () => req.destroy());
}

function send(res: ServerResponse, status: number, answer: ReviewAnswer, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(answer);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store', ...headers });
  res.end(body);
}
