/**
 * A fake Kubernetes API for the writers' unit tests, in the style of client-go's fake clientset and cert-manager's
 * `ExpectedActions`: every request is recorded as an action, in order, and answered by the first reactor that
 * matches it (a body, or an error: a 409 conflict, a 5xx, a timeout); with no matching reactor it succeeds with no
 * body. A test states which writes it expects, and that nothing else was sent.
 */
import { ApiError, type ApiRequests, type RequestOptions } from '../../../src/controller/api-client.ts';

export interface Action {
  method: string;
  path: string;
  contentType?: string | undefined;
  query?: RequestOptions['query'];
  body?: unknown;
}

/** Answers a request: returns its response body, or throws. */
export type Reactor = (action: Action) => unknown;

interface Registered {
  method: string;
  path: string | RegExp;
  react: Reactor;
  /** How many more requests it answers (Infinity: all). */
  times: number;
}

export class FakeApi implements ApiRequests {
  readonly actions: Action[] = [];
  private readonly reactors: Registered[] = [];

  /** Answers `method path` (a path, or a pattern) with `react`, `times` times (default: always). */
  on(method: string, path: string | RegExp, react: Reactor, times = Infinity): this {
    this.reactors.push({ method, path, react, times });
    return this;
  }

  async request<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const action: Action = { method, path, ...(options.contentType ? { contentType: options.contentType } : {}), ...(options.query ? { query: options.query } : {}), ...(options.body !== undefined ? { body: options.body } : {}) };
    this.actions.push(action);
    const reactor = this.reactors.find((r) => r.times > 0 && r.method === method && (typeof r.path === 'string' ? r.path === path : r.path.test(path)));
    if (!reactor) return undefined as T;
    reactor.times--;
    // The answer is whatever the test gave for this request; the writers read it as the type they asked for.
    return reactor.react(action) as T;
  }

  /** `METHOD path` of every request, in order: the expected actions of a test. */
  get verbs(): string[] {
    return this.actions.map((a) => `${a.method} ${a.path}`);
  }
}

/** A reactor that fails as the API server does: `status` and `reason` (409 Conflict, 404 NotFound, 500 InternalError...). */
export function fails(status: number, reason: string): Reactor {
  return (action) => {
    throw new ApiError(action.method, action.path, status, reason, `${reason} (fake)`);
  };
}

/** A reactor that fails as the client does when the server does not answer in time. */
export const timesOut: Reactor = (action) => {
  throw new Error(`${action.method} ${action.path}: timed out`);
};

/** A reactor that returns `body`. */
export const answers =
  (body: unknown): Reactor =>
  () =>
    body;
