/**
 * A small JSON client for the Kubernetes API: one request function with the kubeconfig's TLS and credentials.
 * The generated clients of @kubernetes/client-node do not make server-side apply on a status subresource or
 * conditional deletes simple; this does, and it reports errors with the HTTP status and the server's message.
 * Like client-go, it waits and retries when the server answers 429 or 5xx with a `Retry-After` (API Priority and
 * Fairness throttling, an API server starting up): the server did not process such a request.
 */
import http from 'node:http';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeConfig } from '@kubernetes/client-node';

export class ApiError extends Error {
  readonly status: number;
  readonly reason: string;
  /** The wait the server asked for (`Retry-After` on a 429 or 5xx), in milliseconds; undefined when it asked none. */
  readonly retryAfterMs: number | undefined;
  constructor(method: string, path: string, status: number, reason: string, message: string, retryAfterMs?: number) {
    super(`${method} ${path}: ${status} ${reason}: ${message}`);
    this.name = 'ApiError';
    this.status = status;
    this.reason = reason;
    this.retryAfterMs = retryAfterMs;
  }
}

export interface ApiClientOptions {
  /** Retries of a request the server answered with a `Retry-After` (client-go's default: 10); 0 turns them off. */
  maxRetries?: number;
  /** The longest single wait, whatever the server asks (default 30 s). */
  maxRetryWaitMs?: number;
}

export interface RequestOptions {
  body?: unknown;
  contentType?: string;
  query?: Record<string, string | number | boolean | undefined>;
  timeoutMs?: number;
}

export const APPLY_PATCH = 'application/apply-patch+yaml';
export const MERGE_PATCH = 'application/merge-patch+json';
export const JSON_PATCH = 'application/json-patch+json';

export class ApiClient {
  private readonly kubeConfig: KubeConfig;
  private readonly server: URL;
  private readonly agent: http.Agent;
  private readonly maxRetries: number;
  private readonly maxRetryWaitMs: number;
  /** Ends the waits between retries when the client is closed. */
  private readonly closed = new AbortController();

  constructor(kubeConfig: KubeConfig, options: ApiClientOptions = {}) {
    this.kubeConfig = kubeConfig;
    this.maxRetries = options.maxRetries ?? 10;
    this.maxRetryWaitMs = options.maxRetryWaitMs ?? 30_000;
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('The kubeconfig has no current cluster');
    this.server = new URL(cluster.server);
    this.agent = this.server.protocol === 'https:' ? new https.Agent({ keepAlive: true, maxSockets: 16 }) : new http.Agent({ keepAlive: true, maxSockets: 16 });
  }

  /**
   * Sends a request; resolves with the parsed body (undefined for an empty one); throws ApiError on ≥ 400, after
   * up to `maxRetries` waits where the server answered with a `Retry-After`.
   * @example await api.request('GET', '/api/v1/namespaces/acme') // { kind: 'Namespace', ... }
   */
  async request<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    for (let retries = 0; ; retries++) {
      try {
        return await this.send<T>(method, path, options);
      } catch (error) {
        if (!(error instanceof ApiError) || error.retryAfterMs === undefined || retries >= this.maxRetries || this.closed.signal.aborted) throw error;
        try {
          await sleep(Math.min(error.retryAfterMs, this.maxRetryWaitMs), undefined, { signal: this.closed.signal });
        } catch {
          throw error; // closed while waiting: the server's answer is the outcome
        }
      }
    }
  }

  /** One HTTP exchange. */
  private async send<T>(method: string, path: string, options: RequestOptions): Promise<T> {
    const url = new URL(path, this.server);
    for (const [key, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const requestOptions: https.RequestOptions = {
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port,
      path: `${url.pathname}${url.search}`,
      agent: this.agent,
      headers: { Accept: 'application/json', ...(body !== undefined ? { 'Content-Type': options.contentType ?? 'application/json' } : {}) },
    };
    await this.kubeConfig.applyToHTTPSOptions(requestOptions);
    // applyToHTTPSOptions sets an agent of its own; ours keeps connections alive (TLS settings stay per request).
    requestOptions.agent = this.agent;
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise<T>((resolve, reject) => {
      const req = transport.request(requestOptions, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          let parsed: unknown;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            parsed = text;
          }
          if (status >= 400) {
            const s = (parsed ?? {}) as { reason?: string; message?: string };
            reject(new ApiError(method, path, status, s.reason ?? 'Error', s.message ?? text.slice(0, 500), retryAfterMs(status, res.headers['retry-after'])));
          } else {
            resolve(parsed as T);
          }
        });
        res.on('error', reject);
      });
      req.setTimeout(options.timeoutMs ?? 30_000, () => req.destroy(new Error(`${method} ${path}: timed out`)));
      req.on('error', reject);
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  /** Closes the connections and ends any wait between retries (the waiting request rejects with the last answer). */
  close(): void {
    this.closed.abort();
    this.agent.destroy();
  }
}

/** `Retry-After` as client-go reads it: whole seconds, on a 429 or 5xx only. */
function retryAfterMs(status: number, header: string | undefined): number | undefined {
  if (status !== 429 && status < 500) return undefined;
  if (header === undefined || !/^\d+$/.test(header.trim())) return undefined;
  return Number(header.trim()) * 1000;
}

/** What the writers need of a client: its one request function (a fake in their unit tests). */
export type ApiRequests = Pick<ApiClient, 'request'>;

/** True for "not found" (the object went away: nothing to do). */
export const isNotFound = (error: unknown): boolean => error instanceof ApiError && error.status === 404;
/** True for optimistic-concurrency conflicts (retry with a fresh read). */
export const isConflict = (error: unknown): boolean => error instanceof ApiError && error.status === 409;
