/**
 * The portal (server-rendered French pages), mounted by api/app.ts next to /api/v1. Every page
 * reads and writes through the portal API over loopback (web/api-client.ts) with the browser's
 * session cookie, so rights, tenant scoping, validation and CSRF are the API's own.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import express, { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from '../lib/logger';
import { unreadableRequest } from '../api/errors';
import { ApiError } from './api-client';
import { portalContext } from './context';
import { errorPage, send } from './layout';
import { accountPages } from './pages/accounts';
import { authPages } from './pages/auth';
import { companyPages } from './pages/companies';
import { miscPages } from './pages/misc';
import { receptionPages } from './pages/reception';
import { secondaryAccountPages } from './pages/secondary-accounts';
import { webhookPages } from './pages/webhooks';

const STATIC: Record<string, { type: string; body: Buffer }> = Object.fromEntries(
  [
    ['portal.css', 'text/css; charset=utf-8'],
    ['portal.js', 'text/javascript; charset=utf-8'],
  ].map(([name, type]) => [name!, { type: type!, body: readFileSync(join(__dirname, 'static', name!)) }]),
);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The login form only takes posts from the portal's own pages (a login CSRF would sign the victim
 * into the attacker's account): `Sec-Fetch-Site: same-origin`, or an Origin that is the public
 * origin or the request's own; a foreign origin and `Origin: null` (sandboxed frames, data: URLs)
 * are refused. A client that sends neither header is not a browser and carries no ambient cookie.
 */
function sameSiteLogin(publicBaseUrl: string | undefined): RequestHandler {
  const publicOrigin = publicBaseUrl ? new URL(publicBaseUrl).origin : null;
  return (req, res, next) => {
    const site = req.get('sec-fetch-site');
    const origin = req.get('origin');
    const own = `${req.protocol}://${req.get('host')}`;
    const allowed =
      site !== undefined ? site === 'same-origin' : origin === undefined || origin === publicOrigin || origin === own;
    if (allowed) return next();
    send(
      res,
      errorPage(null, {
        status: 403,
        title: '',
        detail: 'Connexion refusée : le formulaire ne provient pas de ce site. Ouvrez la page de connexion du portail.',
      }),
      403,
    );
  };
}

export function createPortal(deps: { logger: Logger; publicBaseUrl?: string }): Router {
  const router = Router();
  router.get('/static/:file', (req: Request, res: Response, next) => {
    const file = STATIC[String(req.params.file)];
    if (!file) return next();
    res.type(file.type).set('cache-control', 'public, max-age=300').send(file.body);
  });
  router.use(express.urlencoded({ extended: false, limit: '200kb' }));
  router.use((_req, res, next) => {
    res.set('cache-control', 'no-store');
    next();
  });
  // Every `:id` of the portal's pages is a UUID: anything else is an unknown page before it can
  // reach an API path (web/api-client.ts refuses unsafe segments too).
  router.param('id', (req, res, next, id) => {
    if (typeof id === 'string' && UUID.test(id)) return next();
    send(res, errorPage(null, { status: 404, title: '', detail: 'Cette page n’existe pas.' }), 404);
  });
  router.get('/', (_req, res) => res.redirect(303, '/redevables'));
  router.post('/connexion', sameSiteLogin(deps.publicBaseUrl));
  authPages(router);
  companyPages(router);
  accountPages(router);
  receptionPages(router);
  webhookPages(router);
  miscPages(router);
  secondaryAccountPages(router);
  router.use(portalErrors(deps.logger));
  return router;
}

/** API problems and unexpected errors as French HTML pages (with the menu when logged in). */
function portalErrors(logger: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    const ctx = res.locals.portal ? portalContext(res) : null;
    const unreadable = unreadableRequest(err, 'Le formulaire envoyé');
    if (unreadable) {
      const detail =
        unreadable.status === 413
          ? `${unreadable.detail} Réduisez le texte saisi ou la taille du fichier, puis réessayez.`
          : unreadable.detail;
      return send(res, errorPage(ctx, { status: unreadable.status, title: '', detail }), unreadable.status);
    }
    if (err instanceof ApiError) {
      if (err.problem.status === 401)
        return res.redirect(303, `/connexion?retour=${encodeURIComponent(req.originalUrl)}`);
      return send(res, errorPage(ctx, err.problem), err.problem.status);
    }
    logger.error({ err, path: req.path }, 'portal page failed');
    send(res, errorPage(ctx, { status: 500, title: '', detail: 'Une erreur interne est survenue.' }), 500);
  };
}
