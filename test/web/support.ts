/**
 * Portal page tests: a browser-like session (cookie jar, forms posted as
 * application/x-www-form-urlencoded with the page's CSRF token) against the real app.
 */
import type { Api } from '../api/support';

export interface PageResult {
  status: number;
  headers: Headers;
  text: string;
  buffer: Buffer;
  location: string | null;
}

export class PortalSession {
  private readonly cookies = new Map<string, string>();
  csrf = '';

  constructor(private readonly api: Api) {}

  private store(headers: Headers) {
    for (const c of headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (!value || /expires=Thu, 01 Jan 1970/i.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  /** The value of a cookie the app set (e.g. releves_session). */
  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  private cookieHeader(): Record<string, string> {
    return this.cookies.size
      ? { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') }
      : ({} as Record<string, string>);
  }

  async request(method: string, path: string, body?: string | Buffer, contentType?: string): Promise<PageResult> {
    const headers: Record<string, string> = { ...this.cookieHeader(), accept: 'text/html' };
    if (contentType) headers['content-type'] = contentType;
    const res = await fetch(this.api.baseUrl + path, { method, headers, body, redirect: 'manual' });
    this.store(res.headers);
    const buffer = Buffer.from(await res.arrayBuffer());
    const text = buffer.toString('utf8');
    const m = /name="_csrf" value="([^"]+)"/.exec(text);
    if (m) this.csrf = m[1]!;
    return { status: res.status, headers: res.headers, text, buffer, location: res.headers.get('location') };
  }

  get(path: string) {
    return this.request('GET', path);
  }

  /** Posts a form; `_csrf` is added from the last page seen unless given. */
  post(path: string, fields: Record<string, string | string[]> = {}) {
    const form = new URLSearchParams();
    if (!('_csrf' in fields)) form.append('_csrf', this.csrf);
    for (const [k, v] of Object.entries(fields)) for (const x of Array.isArray(v) ? v : [v]) form.append(k, x);
    return this.request('POST', path, form.toString(), 'application/x-www-form-urlencoded');
  }

  /** Follows a 303 like a browser. */
  async follow(r: PageResult): Promise<PageResult> {
    if (r.status !== 303 && r.status !== 302) throw new Error(`no redirect (status ${r.status})`);
    return this.get(r.location!);
  }

  async login(login: string, password: string): Promise<PageResult> {
    return this.post('/connexion', { login, password, retour: '/redevables', _csrf: '' });
  }
}

/** Text content without tags and with collapsed spaces (for French texts split by markup). */
export const textOf = (htmlText: string) =>
  htmlText
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .replace(/[ \t\r\n]+/g, ' ');
