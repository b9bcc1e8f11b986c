/**
 * A list-then-watch cache of one resource, written for an operator that must not go deaf:
 *
 * - lists whole when the resource has at most `wholeListMax` objects (served from the API server's watch cache), else
 *   in pages (`limit`/`continue`), then watches from the list's resourceVersion with
 *   `allowWatchBookmarks=true` and a server-side `timeoutSeconds`, re-watching from the last resourceVersion
 *   when the server ends the watch;
 * - re-lists on 410 Gone (an HTTP 410, or an ERROR event with code 410) and hands the full list to onRelist;
 * - restarts on any other failure with capped exponential backoff and jitter (200 ms → 30 s by default);
 * - treats a watch still open `stallTimeoutMs` after the deadline it asked the server for (`timeoutSeconds`),
 *   with nothing received in that time, as dead — a half-open connection otherwise waits forever — and restarts
 *   it. The API server always ends a watch at its deadline; it does not send bookmarks to a watch of a resource
 *   that has not changed since the watch's resourceVersion (the bookmark's resourceVersion is that resource's
 *   last change, and older ones are not sent), so silence before the deadline is no sign of a dead connection;
 *   TCP keepalive on every connection notices most dead peers much sooner (an `error`);
 * - counts every restart in charter_watch_restarts_total{resource,reason};
 * - says how long its lists and watches have been failing (`failingForMs`, `failure`): from the first failure after
 *   the last success (a list, an event or bookmark, a watch ended by the server) — a watch the server accepted counts
 *   as current while it is open, since silence is no sign of trouble. `synced` never goes back; this does, and is
 *   what the operator's readiness and its webhook bound the cache's staleness by;
 * - cuts every object's `metadata.managedFields` out of the text before parsing it (managed-fields.ts): nothing
 *   reads them, and they are most of the parsing and of the cached heap for objects with long `set` lists.
 *
 * @kubernetes/client-node's informer does none of the last four (it never asks for bookmarks, stops on
 * errors other than 410 and can hang on a dead connection), and its Watch aborts any stream idle for 30 s,
 * shorter than the API server's one-minute bookmark period. So this speaks HTTP itself, with the
 * KubeConfig's TLS settings and credentials.
 *
 *   const users = new Informer<User>({ kubeConfig, path: '/apis/charter.dev/v1alpha1/users', name: 'User', logger });
 *   users.on({ onEvent: (type, u) => queue.add(u.metadata!.name!), onRelist: (all) => all.forEach((u) => queue.add(u.metadata!.name!)) });
 *   await users.start();
 *   users.get(undefined, 'alice');
 */
import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from './logger.ts';
import { initWatchMetrics } from './metrics.ts';
import type { ControllerMetrics } from './metrics.ts';
import { InterruptibleSleep } from './interruptible-sleep.ts';
import { withoutManagedFields } from './managed-fields.ts';
import { misconfiguration, ProblemReporter } from './misconfiguration.ts';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface InformerHandler<T> {
  /** One watch event, after the cache has applied it. */
  onEvent(type: WatchEventType, object: T): void;
  /** The full list, after the first list and after every re-list (the cache already holds it). */
  onRelist(objects: T[]): void;
}

export interface InformerOptions {
  kubeConfig: KubeConfig;
  /** The collection's path, e.g. '/apis/charter.dev/v1alpha1/users', '/api/v1/namespaces/x/configmaps'. */
  path: string;
  labelSelector?: string;
  fieldSelector?: string;
  /**
   * A watch still open this long after its deadline (`watchTimeoutSeconds`), with nothing received in that time,
   * is restarted as stalled (default 60 s): the API server ends every watch at its deadline, so one still open
   * past it is a dead connection.
   */
  stallTimeoutMs?: number;
  /** The resource's name in logs and metrics, e.g. 'User'. */
  name: string;
  logger: Logger;
  metrics?: ControllerMetrics;
  /** Objects per list page when a resource is listed in pages (default 500). */
  pageSize?: number;
  /**
   * The most objects listed in one response (default 150,000; 0: always in pages). A list first asks for one object,
   * whose answer says how many there are (`remainingItemCount`; not given with a selector: then pages) and about how
   * large each is. At most this many, of at most ~256 M characters in all (`WHOLE_LIST_MAX_CHARS`), are listed whole;
   * a whole list that fails is listed again in pages. API servers since 1.31 serve a consistent list without a limit
   * from their watch cache, while a list in pages is read from etcd and decoded page by page (20,000 Users: 0.6–1.2 s
   * whole against 4.0–4.2 s in pages of 500 on the 2-core reference machine, docs/performance.md). The caps bound what
   * the operator holds at once while it reads and parses one answer (its text and a copy without managedFields).
   */
  wholeListMax?: number;
  /** The most characters a whole list is expected to take (default 256 M: `WHOLE_LIST_MAX_CHARS`). */
  wholeListMaxChars?: number;
  /**
   * What the cache keeps of each object listed or watched, and what handlers see (default: the object as it came):
   * the ConfigMap informer keeps a digest of a map ConfigMap's data in place of the data (configmap-writer.ts).
   */
  transform?: (object: KubernetesObject) => KubernetesObject;
  /** The server-side watch timeout (default: random in [300, 600) s per watch, as client-go does, to spread re-watches). */
  watchTimeoutSeconds?: number;
  /** Timeout of one list request, a page or a whole list (default 60 s). */
  listTimeoutMs?: number;
  /** Restart backoff: first delay (default 200 ms) and cap (default 30 s); each delay is jittered to [½, 1]×. */
  backoff?: { initialMs?: number; maxMs?: number };
  /**
   * A misconfiguration met (401, 403, 404: the reason) or gone (undefined): see misconfiguration.ts. It is logged
   * once as an error, and retried with the same backoff without a warning each time.
   */
  onProblem?: (reason: string | undefined) => void;
}

/** A failed request or an ERROR watch event: the HTTP status (410 for Gone/Expired) and the server's reason. */
export class WatchRequestError extends Error {
  readonly status: number;
  readonly reason: string;
  constructor(message: string, status: number, reason: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WatchRequestError';
    this.status = status;
    this.reason = reason;
  }
}

type Outcome = 'closed' | 'stalled' | 'expired' | 'error';

interface ObjectList<T> {
  kind?: string;
  apiVersion?: string;
  metadata?: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  items?: T[];
}

interface Status {
  kind?: string;
  code?: number;
  reason?: string;
  message?: string;
}

/** setTimeout's longest delay (2^31 − 1 ms, 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Idle time before the first TCP keepalive probe on a list or watch connection (client-go's dialer uses 30 s). */
const KEEPALIVE_IDLE_MS = 30_000;

const isGone = (e: unknown): boolean => e instanceof WatchRequestError && e.status === 410;

const keyOf = (namespace: string | undefined, name: string): string => `${namespace ?? ''}/${name}`;

function objectKey(o: KubernetesObject): string {
  return keyOf(o.metadata?.namespace, o.metadata?.name ?? '');
}

export class Informer<T extends KubernetesObject> {
  readonly name: string;
  private readonly opts: InformerOptions;
  private readonly logger: Logger;
  private readonly metrics: ControllerMetrics | undefined;
  private readonly stallTimeoutMs: number;
  private readonly cache = new Map<string, T>();
  private readonly handlers: InformerHandler<T>[] = [];
  private rv = '';
  private isSynced = false;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private firstSync: { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } | undefined;
  /** Aborts the request in flight (list page or watch). */
  private abortCurrent: AbortController | undefined;
  /** Ends a backoff sleep early (stop()). */
  private readonly sleeper = new InterruptibleSleep();
  private readonly problems: ProblemReporter;
  /** performance.now() when the current run of failed lists and watches began; undefined while current. */
  private failingFrom: number | undefined;
  private lastFailure: string | undefined;

  constructor(opts: InformerOptions) {
    this.opts = opts;
    this.name = opts.name;
    this.logger = opts.logger;
    this.problems = new ProblemReporter(opts.logger, { resource: opts.name }, opts.onProblem);
    this.metrics = opts.metrics;
    this.stallTimeoutMs = opts.stallTimeoutMs ?? 60_000;
    if (this.metrics) initWatchMetrics(this.metrics, this.name);
  }

  /**
   * Adds a handler. Handlers added after the first list get onRelist with the current cache at once.
   * A handler that throws is logged; the informer goes on.
   */
  on(handler: InformerHandler<T>): void {
    this.handlers.push(handler);
    if (this.isSynced) this.call(handler, (h) => h.onRelist(this.list()));
  }

  /** Starts listing and watching; resolves after the first list has reached the handlers. Retries until then. */
  start(): Promise<void> {
    if (this.stopped) return Promise.reject(new Error(`Informer ${this.name} was stopped; it cannot start again`));
    if (!this.firstSync) {
      let resolve!: () => void;
      let reject!: (e: Error) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      // Only callers of start() see a stop-before-sync rejection; nobody awaiting it is not an unhandled one.
      promise.catch(() => {});
      this.firstSync = { promise, resolve, reject };
      this.loop = this.run();
    }
    return this.firstSync.promise;
  }

  /** Stops watching; resolves when the loop has ended. The cache keeps its last content. */
  async stop(): Promise<void> {
    if (this.stopped) return this.loop;
    this.stopped = true;
    this.abortCurrent?.abort();
    this.sleeper.wake();
    if (!this.isSynced) this.firstSync?.reject(new Error(`Informer ${this.name} was stopped before its first list`));
    await this.loop;
  }

  /** The cached objects. */
  list(): T[] {
    return [...this.cache.values()];
  }

  /** A cached object; `namespace` is undefined for cluster-scoped resources. */
  get(namespace: string | undefined, name: string): T | undefined {
    return this.cache.get(keyOf(namespace, name));
  }

  /** True once the first list has been delivered. */
  get synced(): boolean {
    return this.isSynced;
  }

  /**
   * How long this informer's lists and watches have been failing, in ms (0 while it is current: the last list, or
   * the watch open now or ended last, succeeded). Its cache may miss every change made since.
   */
  failingForMs(now: number = performance.now()): number {
    return this.failingFrom === undefined ? 0 : Math.max(0, now - this.failingFrom);
  }

  /** The last failure of a list or watch while `failingForMs` > 0, for logs and /readyz. */
  get failure(): string | undefined {
    return this.failingFrom === undefined ? undefined : this.lastFailure;
  }

  /** The resourceVersion the next watch starts from: the last list's, event's or bookmark's. */
  get resourceVersion(): string {
    return this.rv;
  }

  // -------------------------------------------------------------------------------------------------------

  private async run(): Promise<void> {
    let mustList = true;
    // Consecutive attempts that achieved nothing: they set the backoff before the next one.
    let failures = 0;
    while (!this.stopped) {
      if (failures > 0) await this.sleeper.sleep(this.backoff(failures));
      if (this.stopped) break;
      if (mustList) {
        try {
          await this.relist();
          mustList = false;
        } catch (e) {
          if (this.stopped) break;
          failures++;
          this.failing(`list failed: ${describe(e)}`);
          const problem = this.problemOf(e, 'list');
          if (problem) this.problems.report(problem);
          else this.logger.warn('list failed; retrying', { resource: this.name, attempt: failures, error: describe(e) });
          continue;
        }
      }
      const failingFrom = this.failingFrom;
      const { outcome, delivered, error } = await this.watch();
      if (this.stopped) break;
      // Current again after an event, a bookmark or the server ending the watch; else failing since before it opened.
      if (delivered || outcome === 'closed') this.failingFrom = undefined;
      else {
        this.failingFrom = failingFrom;
        this.failing(`watch ${outcome}${error ? `: ${describe(error)}` : ''}`);
      }
      this.metrics?.watchRestarts.inc({ resource: this.name, reason: outcome });
      if (delivered) failures = 0;
      if (!delivered || outcome === 'error') failures++;
      const problem = outcome === 'error' ? this.problemOf(error, 'watch') : undefined;
      if (problem || delivered) this.problems.report(problem);
      if (problem) continue;
      const fields = { resource: this.name, resourceVersion: this.rv, ...(error ? { error: describe(error) } : {}) };
      switch (outcome) {
        case 'expired':
          mustList = true;
          this.logger.info('watch expired (410 Gone): re-listing', fields);
          break;
        case 'stalled':
          this.logger.warn(`watch stalled: still open ${this.stallTimeoutMs} ms after its deadline, nothing received meanwhile; restarting`, fields);
          break;
        case 'error':
          this.logger.warn('watch failed; restarting with backoff', { ...fields, attempt: failures });
          break;
        case 'closed':
          this.logger.debug('watch ended by the server; watching again', fields);
          break;
      }
    }
  }

  /** The misconfiguration behind a failed list or watch, if it is one (see misconfiguration.ts). */
  private problemOf(e: unknown, verb: 'list' | 'watch'): string | undefined {
    if (!(e instanceof WatchRequestError)) return undefined;
    const crd = this.opts.path.startsWith('/apis/') ? ': is its CustomResourceDefinition installed? (kubectl apply -f crds/, or the Helm chart)' : '';
    return misconfiguration(e.status, `cannot ${verb} ${this.opts.path}: ${e.message}`, { 404: `the API server does not serve it${crd}` });
  }

  private async relist(): Promise<void> {
    const listed = await this.listAll();
    const transform = this.opts.transform;
    const items = transform ? listed.items.map((item) => transform(item) as T) : listed.items;
    const resourceVersion = listed.resourceVersion;
    this.problems.report(undefined);
    this.failingFrom = undefined;
    this.cache.clear();
    for (const item of items) this.cache.set(objectKey(item), item);
    this.rv = resourceVersion;
    const first = !this.isSynced;
    this.isSynced = true;
    this.logger.info(first ? 'listed' : 're-listed', { resource: this.name, objects: items.length, resourceVersion, pages: listed.pages });
    for (const h of this.handlers) this.call(h, (x) => x.onRelist(this.list()));
    if (first) this.firstSync?.resolve();
  }

  private async listAll(): Promise<{ items: T[]; resourceVersion: string; pages: number }> {
    const wholeMax = this.opts.wholeListMax ?? 150_000;
    if (wholeMax > 0) {
      const size = await this.size();
      if (size !== undefined && size.count <= wholeMax && size.count * size.charsEach <= (this.opts.wholeListMaxChars ?? WHOLE_LIST_MAX_CHARS)) {
        try {
          return await this.listPages(false);
        } catch (e) {
          // Too large after all (objects larger than the one asked for), or too slow: in pages, each request smaller.
          if (this.stopped) throw e;
          this.logger.warn('a whole list failed; listing in pages', { resource: this.name, objects: size.count, error: describe(e) });
        }
      }
    }
    try {
      return await this.listPages(true);
    } catch (e) {
      // A continue token outlives its snapshot only so long (the server compacts it away): list in one piece.
      if (!(e instanceof ContinueExpired)) throw e;
      this.logger.info('list continuation expired; listing again without pages', { resource: this.name });
      return this.listPages(false);
    }
  }

  /**
   * How many objects the resource has (one asked for, the rest counted by the server), and the characters of that
   * one's answer (an estimate of each object's); undefined when the server does not say how many.
   */
  private async size(): Promise<{ count: number; charsEach: number } | undefined> {
    const { json, chars } = await this.getJsonSized({ labelSelector: this.opts.labelSelector, fieldSelector: this.opts.fieldSelector, limit: '1' });
    const page = json as ObjectList<T>;
    const listed = page.items?.length ?? 0;
    const remaining = page.metadata?.remainingItemCount;
    const count = !page.metadata?.continue ? listed : typeof remaining === 'number' ? listed + remaining : undefined;
    return count === undefined ? undefined : { count, charsEach: chars };
  }

  private async listPages(paginate: boolean): Promise<{ items: T[]; resourceVersion: string; pages: number }> {
    const items: T[] = [];
    let cont: string | undefined;
    let resourceVersion = '';
    let pages = 0;
    do {
      pages++;
      const query: Record<string, string | undefined> = {
        labelSelector: this.opts.labelSelector,
        fieldSelector: this.opts.fieldSelector,
        ...(paginate ? { limit: String(this.opts.pageSize ?? 500), continue: cont } : {}),
      };
      let page: ObjectList<T>;
      try {
        page = (await this.getJson(query)) as ObjectList<T>;
      } catch (e) {
        if (cont && isGone(e)) throw new ContinueExpired();
        throw e;
      }
      const kind = page.kind?.endsWith('List') ? page.kind.slice(0, -'List'.length) : undefined;
      for (const item of page.items ?? []) {
        // Items of a core list carry no kind or apiVersion; watch events do: make both look alike.
        if (kind && !item.kind) item.kind = kind;
        if (page.apiVersion && !item.apiVersion) item.apiVersion = page.apiVersion;
        items.push(item);
      }
      resourceVersion = page.metadata?.resourceVersion ?? '';
      cont = paginate ? page.metadata?.continue || undefined : undefined;
    } while (cont && !this.stopped);
    return { items, resourceVersion, pages };
  }

  /** One watch, from `this.rv` until it ends; never throws. */
  private async watch(): Promise<{ outcome: Outcome; delivered: boolean; error?: unknown }> {
    const timeoutSeconds = this.opts.watchTimeoutSeconds ?? Math.floor(300 + Math.random() * 300);
    const query = {
      watch: 'true',
      resourceVersion: this.rv,
      allowWatchBookmarks: 'true',
      timeoutSeconds: String(timeoutSeconds),
      labelSelector: this.opts.labelSelector,
      fieldSelector: this.opts.fieldSelector,
    };
    const abort = new AbortController();
    this.abortCurrent = abort;
    let delivered = false;
    let stallTimer: NodeJS.Timeout | undefined;
    let settle!: (r: { outcome: Outcome; error?: unknown }) => void;
    const ended = new Promise<{ outcome: Outcome; error?: unknown }>((r) => (settle = r));
    let settled = false;
    const finish = (outcome: Outcome, error?: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(stallTimer);
      abort.abort();
      settle({ outcome, ...(error === undefined ? {} : { error }) });
    };
    // Stalled: open past the deadline by stallTimeoutMs, and nothing received for stallTimeoutMs (data re-arms).
    const deadline = performance.now() + timeoutSeconds * 1000;
    const armStallTimer = (): void => {
      clearTimeout(stallTimer);
      const now = performance.now();
      // At most setTimeout's longest delay (Node fires a longer one after 1 ms): past it, the watch is long overdue.
      stallTimer = setTimeout(() => finish('stalled'), Math.min(Math.max(deadline - now, 0) + this.stallTimeoutMs, MAX_TIMER_MS));
    };

    armStallTimer();
    let buffered = '';
    const onLine = (line: string): void => {
      if (settled || !line.trim()) return;
      let event: { type?: string; object?: unknown };
      try {
        event = JSON.parse(withoutManagedFields(line)) as { type?: string; object?: unknown };
      } catch (e) {
        finish('error', new Error(`The watch sent a line that is not JSON: ${line.slice(0, 200)}`, { cause: e }));
        return;
      }
      if (this.onWatchEvent(event, finish)) delivered = true;
    };
    try {
      const res = await this.send(query, abort.signal);
      if (res.statusCode !== 200) {
        const body = await readBody(res);
        finish(isGoneStatus(res.statusCode, body) ? 'expired' : 'error', requestError(res.statusCode ?? 0, body, 'watch'));
      } else {
        // Accepted: current while it is open (the stall rule ends one that stays open, silent, past its deadline).
        this.failingFrom = undefined;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          armStallTimer();
          // Only a chunk with a newline completes a line: a large object arriving in many chunks is not rescanned.
          let nl = chunk.indexOf('\n');
          if (nl < 0) {
            buffered += chunk;
            return;
          }
          let rest = chunk;
          while (nl >= 0 && !settled) {
            onLine(buffered + rest.slice(0, nl));
            buffered = '';
            rest = rest.slice(nl + 1);
            nl = rest.indexOf('\n');
          }
          buffered += rest;
        });
        res.on('end', () => {
          onLine(buffered);
          finish('closed');
        });
        res.on('error', (e) => finish('error', e));
        res.on('close', () => finish('error', new Error('The connection closed before the watch ended')));
      }
    } catch (e) {
      finish('error', e);
    }
    const result = await ended;
    if (this.abortCurrent === abort) this.abortCurrent = undefined;
    return { ...result, delivered };
  }

  /** Applies one watch event; true when it was an object event or a bookmark (the watch works). */
  private onWatchEvent(event: { type?: string; object?: unknown }, finish: (o: Outcome, e?: unknown) => void): boolean {
    const { type } = event;
    if (type === 'ERROR') {
      const status = (event.object ?? {}) as Status;
      const code = status.code ?? 0;
      const error = new WatchRequestError(
        `The watch sent an error: ${code} ${status.reason ?? ''}: ${status.message ?? ''}`.trim(),
        code,
        status.reason ?? '',
      );
      finish(code === 410 ? 'expired' : 'error', error);
      return false;
    }
    const object = event.object as T | undefined;
    const rv = object?.metadata?.resourceVersion;
    if (type === 'BOOKMARK') {
      // A bookmark only moves the resourceVersion on; handlers never see it.
      if (rv) this.rv = rv;
      return true;
    }
    if ((type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED') || !object) {
      this.logger.debug('ignored a watch event of unknown type', { resource: this.name, type });
      return false;
    }
    const kept = this.opts.transform ? (this.opts.transform(object) as T) : object;
    if (type === 'DELETED') this.cache.delete(objectKey(kept));
    else this.cache.set(objectKey(kept), kept);
    if (rv) this.rv = rv;
    for (const h of this.handlers) this.call(h, (x) => x.onEvent(type, kept));
    return true;
  }

  private async getJson(query: Record<string, string | undefined>): Promise<unknown> {
    return (await this.getJsonSized(query)).json;
  }

  /** A list request's parsed body, and how many characters its text had (managedFields included). */
  private async getJsonSized(query: Record<string, string | undefined>): Promise<{ json: unknown; chars: number }> {
    const abort = new AbortController();
    this.abortCurrent = abort;
    const timeoutMs = this.opts.listTimeoutMs ?? 60_000;
    const timer = setTimeout(() => abort.abort(new Error(`The list request timed out after ${timeoutMs} ms`)), timeoutMs);
    try {
      const res = await this.send(query, abort.signal);
      const body = await readBody(res);
      if (res.statusCode !== 200) throw requestError(res.statusCode ?? 0, body, 'list');
      return { json: JSON.parse(withoutManagedFields(body)) as unknown, chars: body.length };
    } finally {
      clearTimeout(timer);
      if (this.abortCurrent === abort) this.abortCurrent = undefined;
    }
  }

  /** A GET of the collection with `query`, authenticated as the KubeConfig says; resolves with the response head. */
  private async send(query: Record<string, string | undefined>, signal: AbortSignal): Promise<http.IncomingMessage> {
    const cluster = this.opts.kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('The kubeconfig has no current cluster');
    const url = new URL(cluster.server.replace(/\/+$/, '') + this.opts.path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') url.searchParams.set(k, v);
    const options: https.RequestOptions = {
      method: 'GET',
      protocol: url.protocol,
      hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port,
      path: url.pathname + url.search,
      headers: { Accept: 'application/json' },
    };
    await this.opts.kubeConfig.applyToHTTPSOptions(options);
    signal.throwIfAborted();
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = transport.request({ ...options, signal }, resolve);
      // TCP keepalive (as client-go's dialer): a peer gone without a FIN is noticed ~40 s after the connection
      // went quiet (30 s idle, then libuv's 10 probes 1 s apart), an `error` restart, instead of at the stall rule.
      req.on('socket', (socket) => socket.setKeepAlive(true, KEEPALIVE_IDLE_MS));
      req.on('error', reject);
      req.end();
    });
  }

  /** A list or watch failed: failing from now, unless it already was. */
  private failing(what: string): void {
    this.failingFrom ??= performance.now();
    this.lastFailure = what;
  }

  private backoff(failures: number): number {
    const initial = this.opts.backoff?.initialMs ?? 200;
    const max = this.opts.backoff?.maxMs ?? 30_000;
    const d = Math.min(max, initial * 2 ** (failures - 1));
    return d / 2 + (Math.random() * d) / 2;
  }

  private call(handler: InformerHandler<T>, f: (h: InformerHandler<T>) => void): void {
    try {
      f(handler);
    } catch (e) {
      this.logger.error('an informer handler threw', { resource: this.name, error: describe(e) });
    }
  }
}

class ContinueExpired extends Error {}

/**
 * The most characters a whole list is expected to take (its count times the answer for one object, whose list
 * envelope makes it an overestimate): under half of V8's longest string (2^29 − 24 characters), which the body is read
 * into; ~1 kB an object with its managedFields puts the medium benchmark tier's 124,905 Collaborations near 150 M.
 */
const WHOLE_LIST_MAX_CHARS = 256_000_000;

function readBody(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

function parseStatus(body: string): Status | undefined {
  try {
    const s = JSON.parse(body) as Status;
    return s && typeof s === 'object' ? s : undefined;
  } catch {
    return undefined;
  }
}

function isGoneStatus(httpStatus: number | undefined, body: string): boolean {
  return httpStatus === 410 || parseStatus(body)?.code === 410;
}

function requestError(httpStatus: number, body: string, what: string): WatchRequestError {
  const s = parseStatus(body);
  const status = s?.code ?? httpStatus;
  const reason = s?.reason ?? http.STATUS_CODES[httpStatus] ?? '';
  const message = s?.message ?? body.slice(0, 300);
  return new WatchRequestError(`The ${what} request failed: ${httpStatus} ${reason}: ${message}`, status, reason);
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
