/** What every portal page knows about the caller, built once per request from GET /me. */
import type { NextFunction, Request, Response } from 'express';
import { ApiClient, ApiError, problemOf } from './api-client';

export interface Me {
  actor: { type: 'USER' | 'API_KEY'; id: string; name: string };
  rights: Array<'CONFIGURE_BANKS' | 'MANAGE_COMPANIES' | 'VIEW_STATEMENTS' | 'ADMIN'>;
  portalAccount: { id: string; kind: 'PRIMARY' | 'SECONDARY'; name: string; siren: string; parentId: string | null };
  secondaryAccounts: Array<{ id: string; name: string; closed?: boolean }>;
  csrfToken: string | null;
}

export interface Settings {
  receptionMode: 'none' | 'account-mailbox' | 'dedicated-mailbox';
  dedicatedMailbox: string | null;
  acceptedTermsVersion: string | null;
  acceptedTermsAt: string | null;
}

export interface Flash {
  kind: 'ok' | 'error' | 'info';
  text: string;
}

export interface PortalContext {
  api: ApiClient;
  me: Me;
  settings: Settings;
  unread: number;
  csrf: string;
  flash: Flash | null;
  /** Path and query of the current page (return address of actions). */
  here: string;
  can(right: Me['rights'][number]): boolean;
  /** Primary accounts see their secondaries' resources: `includeSecondary=true` on id routes. */
  scope: { includeSecondary?: boolean };
}

const FLASH_COOKIE = 'releves_flash';

export function setFlash(res: Response, flash: Flash): void {
  res.cookie(FLASH_COOKIE, Buffer.from(JSON.stringify(flash)).toString('base64url'), {
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    maxAge: 60_000,
  });
}

function takeFlash(req: Request, res: Response): Flash | null {
  const header = req.headers.cookie ?? '';
  const m = new RegExp(`(?:^|;\\s*)${FLASH_COOKIE}=([^;]+)`).exec(header);
  if (!m) return null;
  res.clearCookie(FLASH_COOKIE, { path: '/' });
  try {
    const f = JSON.parse(Buffer.from(m[1]!, 'base64url').toString('utf8')) as Flash;
    return typeof f.text === 'string' && ['ok', 'error', 'info'].includes(f.kind) ? f : null;
  } catch {
    return null;
  }
}

export const TERMS_VERSION = '2026-01';

export function portalContext(res: Response): PortalContext {
  return res.locals.portal as PortalContext;
}

/** A return address inside the portal (never an absolute or protocol-relative URL). */
export function safeReturn(value: unknown, fallback: string): string {
  return typeof value === 'string' && /^\/(?![/\\])/.test(value) && !value.startsWith('/api/') ? value : fallback;
}

/**
 * Loads the caller (401 → login page with the return address) and, until the terms are
 * accepted, sends every page but the subscription page to the subscription page.
 */
export function requirePortal(opts: { allowWithoutTerms?: boolean } = {}) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const api = new ApiClient(req);
    const [me, settings, unread] = await Promise.all([
      api.call<Me>('GET', '/me'),
      api.call<Settings>('GET', '/settings'),
      api.call<{ total: number }>('GET', '/notifications', { query: { unread: 'true', limit: 1 } }),
    ]);
    if (me.status === 401) {
      const back = req.method === 'GET' ? req.originalUrl : '/';
      return res.redirect(303, `/connexion?retour=${encodeURIComponent(back)}`);
    }
    if (!me.ok) throw new ApiError(problemOf(me));
    if (!settings.ok) throw new ApiError(problemOf(settings));
    if (!opts.allowWithoutTerms && !settings.body.acceptedTermsVersion) return res.redirect(303, '/souscription');
    const flash = takeFlash(req, res);
    const rights = new Set(me.body.rights);
    const ctx: PortalContext = {
      api,
      me: me.body,
      settings: settings.body,
      unread: unread.ok ? unread.body.total : 0,
      csrf: me.body.csrfToken ?? '',
      flash,
      here: req.originalUrl,
      can: (r) => rights.has('ADMIN') || rights.has(r),
      scope: me.body.portalAccount.kind === 'PRIMARY' ? { includeSecondary: true } : {},
    };
    res.locals.portal = ctx;
    next();
  };
}
