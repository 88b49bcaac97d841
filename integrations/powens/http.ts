/**
 * The HTTP layer of the Powens client: one request = attempts with a per-attempt timeout, retries
 * with exponential backoff and jitter on 5xx / timeouts / network failures, 429 honouring
 * `Retry-After`, Powens error bodies turned into `PowensError`, successful bodies checked with zod.
 */
import type { z } from 'zod';
import { PowensError } from './errors';
import { serviceErrorSchema } from './schemas';

export interface RetryOptions {
  /** Attempts in all, the first one included (default 4). */
  maxAttempts: number;
  /** First backoff delay (default 500 ms), doubled at each attempt, up to `maxDelayMs` (default 15 s). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A `Retry-After` longer than this is not waited for: the error is thrown (default 60 s). */
  maxRetryAfterMs: number;
  /** [0, 1) source for the jitter (default Math.random). */
  random: () => number;
  /** How to wait (default a timer that the request's signal aborts). */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface PowensLogger {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface CallOptions {
  /** Cancels the call (e.g. the Temporal activity's cancellation signal). */
  signal?: AbortSignal;
  /** Per-attempt timeout; defaults to the client's. */
  timeoutMs?: number;
}

export interface HttpRequest<S extends z.ZodType | null> {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** A path under the base URL (with its query), or an absolute URL (pagination links). */
  path: string;
  token?: string;
  body?: unknown;
  schema: S;
  /** Non-idempotent requests (POST /auth/init) are retried on 429 only: the request was refused. */
  idempotent?: boolean;
  call?: CallOptions;
}

export const defaultSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** `Retry-After`: delay-seconds or an HTTP-date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (!value) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** Backoff before attempt `attempt + 1` (attempt ≥ 1): "equal jitter", between d/2 and d. */
export function backoffDelay(attempt: number, retry: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs' | 'random'>) {
  const d = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(d / 2 + (retry.random() * d) / 2);
}

export function createHttp(opts: {
  baseUrl: string;
  fetch: typeof fetch;
  retry: RetryOptions;
  timeoutMs: number;
  logger?: PowensLogger;
}) {
  const base = opts.baseUrl.replace(/\/+$/, '');
  const basePath = new URL(base).pathname.replace(/\/+$/, '');

  /** Absolute URL of a path or of a link Powens gave (absolute, or relative to the host or the API root). */
  function resolve(path: string): string {
    if (/^https?:\/\//i.test(path)) return path;
    if (path.startsWith('/') && basePath && path.startsWith(`${basePath}/`)) return new URL(path, base).toString();
    return `${base}${path.startsWith('/') ? '' : '/'}${path}`;
  }
  const pathOf = (url: string) => new URL(url).pathname;

  async function attempt(req: HttpRequest<z.ZodType | null>, url: string): Promise<unknown> {
    const timeoutMs = req.call?.timeoutMs ?? opts.timeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = req.call?.signal ? AbortSignal.any([req.call.signal, timeout]) : timeout;
    const path = pathOf(url);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (req.token) headers.authorization = `Bearer ${req.token}`;
    if (req.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    let text: string;
    try {
      res = await opts.fetch(url, {
        method: req.method,
        headers,
        body: req.body === undefined ? undefined : JSON.stringify(req.body),
        signal,
      });
      text = await res.text();
    } catch (e) {
      if (req.call?.signal?.aborted) throw req.call.signal.reason ?? e;
      const timedOut = timeout.aborted;
      throw new PowensError({
        code: timedOut ? 'timeout' : 'network',
        status: 0,
        description: timedOut ? `no response within ${timeoutMs} ms` : `request failed: ${(e as Error).message}`,
        retryable: true,
        method: req.method,
        path,
        cause: e,
      });
    }
    if (res.ok) {
      if (!req.schema) return undefined;
      let json: unknown;
      try {
        json = text === '' ? undefined : JSON.parse(text);
      } catch (e) {
        throw invalid(req.method, path, res.status, 'response is not JSON', e);
      }
      const parsed = req.schema.safeParse(json);
      if (!parsed.success) {
        const issues = parsed.error.issues
          .slice(0, 5)
          .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
          .join('; ');
        throw invalid(req.method, path, res.status, `unexpected response: ${issues}`, parsed.error);
      }
      return parsed.data;
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const err = serviceErrorSchema.safeParse(body);
    const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
    throw new PowensError({
      code: err.success ? err.data.code : 'httpError',
      status: res.status,
      description: err.success ? err.data.description : text.slice(0, 200) || res.statusText,
      bankMessage: err.success ? (err.data.message ?? null) : null,
      requestId: err.success && err.data.request_id != null ? String(err.data.request_id) : null,
      retryAfterMs,
      method: req.method,
      path,
    });
  }

  function invalid(method: string, path: string, status: number, description: string, cause: unknown) {
    return new PowensError({ code: 'invalidResponse', status, description, retryable: false, method, path, cause });
  }

  function shouldRetry(e: PowensError, idempotent: boolean): boolean {
    if (e.status === 429) return true;
    if (!idempotent) return false;
    return e.code === 'timeout' || e.code === 'network' || (e.status >= 500 && e.status !== 501);
  }

  async function request<S extends z.ZodType | null>(
    req: HttpRequest<S>,
  ): Promise<S extends z.ZodType ? z.output<S> : undefined> {
    const url = resolve(req.path);
    const { retry } = opts;
    for (let n = 1; ; n++) {
      try {
        const started = Date.now();
        const out = await attempt(req, url);
        opts.logger?.debug(
          { method: req.method, path: pathOf(url), attempt: n, ms: Date.now() - started },
          'powens request',
        );
        return out as S extends z.ZodType ? z.output<S> : undefined;
      } catch (e) {
        if (!(e instanceof PowensError)) throw e;
        const last = n >= retry.maxAttempts;
        const tooLong = e.retryAfterMs !== null && e.retryAfterMs > retry.maxRetryAfterMs;
        if (last || tooLong || !shouldRetry(e, req.idempotent ?? true)) throw e.withAttempts(n);
        const delay = e.retryAfterMs ?? backoffDelay(n, retry);
        opts.logger?.warn(
          { method: e.method, path: e.path, status: e.status, code: e.code, attempt: n, delayMs: delay },
          'powens request failed, retrying',
        );
        await retry.sleep(delay, req.call?.signal);
      }
    }
  }

  return { request, resolve };
}

/** A Powens id in a path (a positive safe integer, else a TypeError before any request). */
export const pathId = (n: number) => {
  if (!Number.isSafeInteger(n) || n <= 0) throw new TypeError(`invalid Powens id: ${n}`);
  return String(n);
};

/** A query string (`?a=1&b`) from the defined parameters; `true` flags are sent bare. */
export const queryString = (params: Record<string, string | number | boolean | undefined | null>) => {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === false) continue;
    // Powens flags (`all`, `background`) are "allowEmptyValue": sent bare.
    parts.push(v === true ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
};
