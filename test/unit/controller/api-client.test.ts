import { afterEach, describe, expect, test } from '@jest/globals';
import type http from 'node:http';
import { ApiClient, ApiError, type ApiClientOptions } from '../../../src/controller/api-client.ts';
import { closeLoopback, loopbackServer } from './loopback-server.ts';

/** One scripted answer: status, headers, body. */
interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

interface Seen {
  method: string;
  body: string;
}

let server: http.Server | undefined;
let api: ApiClient | undefined;
afterEach(async () => {
  api?.close();
  api = undefined;
  await closeLoopback(server);
  server = undefined;
});

/** A loopback server that gives the scripted answers in order (the last one again once they run out). */
async function serve(answers: Answer[], options: ApiClientOptions = {}): Promise<{ api: ApiClient; seen: Seen[] }> {
  const seen: Seen[] = [];
  const loopback = await loopbackServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method!, body: Buffer.concat(chunks).toString('utf8') });
      const answer = answers[Math.min(seen.length - 1, answers.length - 1)]!;
      res.writeHead(answer.status, { 'Content-Type': 'application/json', ...answer.headers });
      res.end(JSON.stringify(answer.body ?? {}));
    });
  });
  server = loopback.server;
  api = new ApiClient(loopback.kubeConfig, options);
  return { api, seen };
}

const throttled = (seconds: string): Answer => ({
  status: 429,
  headers: { 'Retry-After': seconds },
  body: { kind: 'Status', reason: 'TooManyRequests', message: 'too many requests, please try again later' },
});
const ok: Answer = { status: 200, body: { kind: 'Namespace', metadata: { name: 'acme' } } };

describe('ApiClient: Retry-After', () => {
  test('a 429 with Retry-After is retried after the wait the server asked for, with the same body', async () => {
    const { api, seen } = await serve([throttled('1'), ok]);
    const started = Date.now();
    const result = await api.request<{ metadata: { name: string } }>('POST', '/api/v1/namespaces', { body: { metadata: { name: 'acme' } } });
    expect(result.metadata.name).toBe('acme');
    expect(seen.map((s) => s.method)).toEqual(['POST', 'POST']);
    expect(seen[1]!.body).toBe(seen[0]!.body);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950); // it waited (a lower bound: slowness cannot fail it)
  });

  test('a 5xx with Retry-After is retried; one without is not', async () => {
    const a = await serve([{ status: 503, headers: { 'Retry-After': '0' }, body: { reason: 'ServiceUnavailable', message: 'starting' } }, ok]);
    await expect(a.api.request('GET', '/api/v1/namespaces/acme')).resolves.toMatchObject({ kind: 'Namespace' });
    expect(a.seen).toHaveLength(2);
    api!.close();
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    const b = await serve([{ status: 500, body: { reason: 'InternalError', message: 'boom' } }, ok]);
    await expect(b.api.request('GET', '/api/v1/namespaces/acme')).rejects.toMatchObject({ status: 500, reason: 'InternalError', retryAfterMs: undefined });
    expect(b.seen).toHaveLength(1);
  });

  test('a 429 without Retry-After, or with a date instead of seconds, fails at once with the status', async () => {
    const { api, seen } = await serve([{ status: 429, body: { reason: 'TooManyRequests', message: 'slow down' } }, ok]);
    const error = await api.request('GET', '/x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).message).toBe('GET /x: 429 TooManyRequests: slow down');
    expect(seen).toHaveLength(1);
    api.close();
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    const dated = await serve([{ ...throttled('Wed, 21 Oct 2026 07:28:00 GMT') }, ok]);
    await expect(dated.api.request('GET', '/x')).rejects.toMatchObject({ status: 429, retryAfterMs: undefined });
    expect(dated.seen).toHaveLength(1);
  });

  test('gives up after maxRetries retries with the last answer', async () => {
    const { api, seen } = await serve([throttled('0')], { maxRetries: 3 });
    await expect(api.request('GET', '/x')).rejects.toMatchObject({ status: 429, reason: 'TooManyRequests', retryAfterMs: 0 });
    expect(seen).toHaveLength(4);
  });

  test('maxRetries 0 turns retries off (the leader elector keeps its own timing)', async () => {
    const { api, seen } = await serve([throttled('0'), ok], { maxRetries: 0 });
    await expect(api.request('GET', '/x')).rejects.toMatchObject({ status: 429 });
    expect(seen).toHaveLength(1);
  });

  test('close() ends a wait at once: the request rejects with the server answer', async () => {
    const { api, seen } = await serve([throttled('3600'), ok], { maxRetryWaitMs: 3_600_000 });
    const pending = api.request('GET', '/x').catch((e: unknown) => e);
    while (seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await new Promise((resolve) => setTimeout(resolve, 300)); // the 429 reaches the client, which starts its wait
    api.close();
    const error = await pending;
    expect(error).toMatchObject({ status: 429, retryAfterMs: 3_600_000 });
    expect(seen).toHaveLength(1);
  });

  test('a wait longer than maxRetryWaitMs is cut to it', async () => {
    const { api, seen } = await serve([throttled('3600'), ok], { maxRetryWaitMs: 10 });
    await expect(api.request('GET', '/x')).resolves.toMatchObject({ kind: 'Namespace' });
    expect(seen).toHaveLength(2);
  });
});
