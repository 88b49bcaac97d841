/**
 * The portal pages are rendered on the server from the portal API itself (/api/v1), called over
 * the loopback interface of the process with the browser's session cookie: every rule (rights,
 * tenant scope, validation, CSRF on writes) stays in api/ and the pages show its answers. The
 * forms carry the session's CSRF token in a hidden field, sent on as `X-CSRF-Token`, so a write
 * from a page is checked exactly like a write from a script. The browser's address and protocol
 * go with each call (api/client-address.ts), so the login rate limit stays per client and the
 * session cookie is Secure when the browser's request was https.
 */
import { Readable } from 'node:stream';
import type { Request, Response } from 'express';
import { portalHopHeaders } from '../api/client-address';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface ApiResult<T = any> {
  status: number;
  ok: boolean;
  body: T;
  headers: Headers;
}

export interface Problem {
  status: number;
  title: string;
  detail: string;
  errors?: Array<{ field: string; reason: string; line?: number; column?: number }>;
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
  }
}

type QueryValue = string | number | boolean | null | undefined;

export interface CallOptions {
  query?: Record<string, QueryValue>;
  json?: unknown;
  raw?: Buffer;
  contentType?: string;
  /** CSRF token from the submitted form (writes). */
  csrf?: string;
}

/**
 * A path segment the portal may send to its API: letters, digits, `-`, `_`, `~` and inner dots
 * (`deleted.csv`), never `.` or `..`, `/`, `%`, `?` or `#`. Page ids come from the browser's URL,
 * decoded by Express: `/redevables/..%2F..%2Fv1%2Fme` would otherwise call `/api/v1/me`.
 */
const SEGMENT = /^[A-Za-z0-9_~-][A-Za-z0-9._~-]*$/;

/** Refuses (404, as an unknown id) an API path with any other segment. */
export function assertPlainPath(path: string): void {
  if (
    path.startsWith('/') &&
    path
      .slice(1)
      .split('/')
      .every((segment) => SEGMENT.test(segment))
  )
    return;
  throw new ApiError({ status: 404, title: 'Not Found', detail: 'Ressource introuvable.' });
}

/** Where this process answers: the local address and port the request came in on. */
function selfBase(req: Request): string {
  let host = req.socket.localAddress ?? '127.0.0.1';
  if (host.startsWith('::ffff:')) host = host.slice(7);
  if (host === '::' || host === '0.0.0.0') host = '127.0.0.1';
  if (host.includes(':')) host = `[${host}]`;
  return `http://${host}:${req.socket.localPort}`;
}

export class ApiClient {
  private readonly base: string;
  constructor(private readonly req: Request) {
    this.base = selfBase(req);
  }

  url(path: string, query?: Record<string, QueryValue>): string {
    assertPlainPath(path);
    const u = new URL(`/api/v1${path}`, this.base);
    for (const [k, v] of Object.entries(query ?? {})) {
      if (v !== undefined && v !== null && v !== '') u.searchParams.set(k, String(v));
    }
    return u.toString();
  }

  /** The raw fetch Response (downloads streamed to the browser). */
  async fetch(method: string, path: string, opts: CallOptions = {}): Promise<globalThis.Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    const cookie = this.req.headers.cookie;
    if (cookie) headers.cookie = cookie;
    Object.assign(headers, portalHopHeaders(this.req));
    if (opts.csrf) headers['x-csrf-token'] = opts.csrf;
    let body: string | Buffer | undefined;
    if (opts.raw) {
      body = opts.raw;
      headers['content-type'] = opts.contentType ?? 'application/octet-stream';
    } else if (opts.json !== undefined) {
      body = JSON.stringify(opts.json);
      headers['content-type'] = 'application/json';
    }
    return fetch(this.url(path, opts.query), { method, headers, body, redirect: 'manual' });
  }

  async call<T = unknown>(method: string, path: string, opts: CallOptions = {}): Promise<ApiResult<T>> {
    const res = await this.fetch(method, path, opts);
    const text = await res.text();
    const type = res.headers.get('content-type') ?? '';
    let body: unknown = text;
    if (type.includes('json') && text) body = JSON.parse(text);
    return { status: res.status, ok: res.ok, body: body as T, headers: res.headers };
  }

  /** GET that must succeed: any other answer becomes an ApiError (rendered by the error page). */
  async get<T>(path: string, query?: Record<string, QueryValue>): Promise<T> {
    const r = await this.call<T>('GET', path, { query });
    if (!r.ok) throw new ApiError(problemOf(r));
    return r.body;
  }

  async getBytes(path: string, query?: Record<string, QueryValue>): Promise<Buffer | null> {
    const res = await this.fetch('GET', path, { query });
    if (res.status === 404) return null;
    if (!res.ok) throw new ApiError(problemOf({ status: res.status, body: await res.text() }));
    return Buffer.from(await res.arrayBuffer());
  }
}

export function problemOf(r: { status: number; body: unknown }): Problem {
  const b = r.body as Partial<Problem> | undefined;
  if (b && typeof b === 'object' && typeof b.detail === 'string') {
    return { status: r.status, title: b.title ?? '', detail: b.detail, errors: b.errors };
  }
  return { status: r.status, title: '', detail: `Réponse inattendue du service (${r.status}).` };
}

/** Streams an API download (file, ZIP) to the browser with its type and file name. */
export async function pipeDownload(from: globalThis.Response, res: Response): Promise<void> {
  res.status(from.status);
  for (const h of ['content-type', 'content-disposition', 'content-length']) {
    const v = from.headers.get(h);
    if (v) res.setHeader(h, v);
  }
  if (!from.body) return void res.end();
  await new Promise<void>((resolve, reject) => {
    const stream = Readable.fromWeb(from.body as import('node:stream/web').ReadableStream);
    stream.on('error', reject);
    res.on('finish', resolve);
    res.on('close', resolve);
    stream.pipe(res);
  });
}
