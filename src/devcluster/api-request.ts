/**
 * Plain HTTP(S) requests to the control plane, for the harness itself (before a client library could be configured,
 * and in the watchdog's and the dev cluster's processes): etcd's health, and JSON requests to kube-apiserver with a
 * client certificate or a bearer token.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readContextCredentials } from './kubeconfig.ts';

export interface ApiResponse {
  status: number;
  body: any;
}

export type Requester = (method: string, path: string, body?: unknown, contentType?: string) => Promise<ApiResponse>;

/** A GET over plain HTTP (etcd's /health on loopback). */
export function plainGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** One JSON request over HTTPS; a body that is not JSON (e.g. /readyz's `ok`) comes back as text. */
export function apiRequest(
  server: string,
  tls: { ca: string; cert?: string; key?: string; token?: string },
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<ApiResponse> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = httpsRequest(
      new URL(path, server),
      {
        method,
        ca: tls.ca,
        ...(tls.cert && tls.key ? { cert: tls.cert, key: tls.key } : {}),
        timeout: 10_000,
        headers: {
          Accept: 'application/json',
          ...(tls.token ? { Authorization: `Bearer ${tls.token}` } : {}),
          ...(payload !== undefined ? { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(payload) } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => {
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            /* not JSON (e.g. /readyz) */
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timeout`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * A JSON requester for the cluster of a kubeconfig (as written by this harness: embedded CA, and a client
 * certificate or a token), for `context` or the current context.
 */
export function requesterFromKubeconfig(kubeconfigPath: string, context?: string): Requester {
  const { server, tls } = readContextCredentials(kubeconfigPath, context);
  return (method, path, body, contentType) => apiRequest(server, tls, method, path, body, contentType);
}
