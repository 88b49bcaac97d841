/**
 * The sandbox's Powens API under /2.0: the paths, payloads, error bodies (`{code, description,
 * message, request_id}`), pagination (`limit` required, at most 1000, `offset`, `_links`) and
 * behaviours of the real one as documented (../shared/docs/powens.md). `/users/me/...` and
 * `/users/{own id}/...` are both accepted. Injected faults (admin API) apply here only.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { CONNECTORS, connectorById, connectorByName, connectorDocumented, expandOf } from '../catalog';
import type { SandboxContext } from '../context';
import type { Engine } from '../engine';
import { SandboxError } from '../errors';
import { rng, type Rng } from '../random';
import { accountRoutes } from './accounts';
import { authRoutes } from './auth';
import { connectionRoutes } from './connections';
import { sendError, type Authed } from './http';
import { transactionRoutes } from './transactions';

export function createApiRouter(ctx: SandboxContext, engine: Engine): Router {
  const r = express.Router();
  let faultRng: Rng | null = null;
  const roll = () => (faultRng ??= rng(ctx.seed(), 'faults')).next();

  // ---- request log and injected faults --------------------------------------------------------
  r.use((req, res, next) => {
    const started = Date.now();
    const entry = {
      at: new Date().toISOString(),
      method: req.method,
      path: req.path,
      status: 0,
      fault: null as 'error' | 'rate-limit' | null,
      ms: 0,
    };
    res.on('finish', () => {
      entry.status = res.statusCode;
      entry.ms = Date.now() - started;
      ctx.requests.push(entry);
      if (ctx.requests.length > 5000) ctx.requests.splice(0, ctx.requests.length - 5000);
    });
    const f = ctx.faults;
    if (f.pathPattern && !new RegExp(f.pathPattern).test(req.path)) return next();
    const go = () => {
      if (f.rateLimitNext > 0 || (f.rateLimitRate > 0 && roll() < f.rateLimitRate)) {
        if (f.rateLimitNext > 0) f.rateLimitNext--;
        entry.fault = 'rate-limit';
        if (f.retryAfterSeconds !== null) res.set('Retry-After', String(f.retryAfterSeconds));
        return sendError(res, 429, 'tooManyRequests', 'Too many requests (sandbox fault injection).');
      }
      if (f.failNext > 0 || (f.errorRate > 0 && roll() < f.errorRate)) {
        if (f.failNext > 0) f.failNext--;
        entry.fault = 'error';
        return sendError(res, f.failStatus, 'bug', 'Internal error (sandbox fault injection).');
      }
      next();
    };
    if (f.latencyMs > 0) setTimeout(go, f.latencyMs);
    else go();
  });

  r.use(express.json({ limit: '1mb' }));
  r.use(express.urlencoded({ extended: false }));
  const auth = authRoutes(r, ctx, engine);

  // The legacy webview address (…/2.0/auth/webview/{lang?}/{flow}) leads to the sandbox's webview.
  r.get(['/auth/webview/:flow', '/auth/webview/:lang/:flow'], (req, res) => {
    const q = new URL(req.originalUrl, 'http://x').search;
    res.redirect(302, `/webview/${req.params.lang ? `${req.params.lang}/` : ''}${req.params.flow}${q}`);
  });

  // ---- catalogue ----------------------------------------------------------------------------
  // The documented Connector object (catalog.ts); `expand` adds fields, sources, countries.
  r.get('/connectors', (req, res) => {
    const expand = expandOf(req.query.expand);
    res.json({ connectors: CONNECTORS.map((c) => connectorDocumented(c, expand)) });
  });
  r.get('/connectors/:id', (req, res) => {
    const c = connectorById(Number(req.params.id)) ?? connectorByName(req.params.id);
    if (!c) return sendError(res, 404, 'notFound', 'Unknown connector.');
    res.json(connectorDocumented(c, expandOf(req.query.expand)));
  });
  r.get('/account_types', (_req, res) => {
    const types = ['checking', 'savings', 'card', 'loan', 'market', 'lifeinsurance', 'pee', 'deposit', 'unknown'];
    res.json({
      accounttypes: types.map((name, i) => ({
        id: i + 1,
        name,
        id_parent: null,
        is_invest: ['market', 'lifeinsurance', 'pee'].includes(name),
        display_name: name,
        display_name_p: name,
      })),
    });
  });

  // ---- users --------------------------------------------------------------------------------
  const user = express.Router({ mergeParams: true });
  r.use(
    '/users/:uid',
    auth,
    (req: Authed, res, next) => {
      const uid = req.params.uid;
      if (uid !== 'me' && Number(uid) !== req.userId)
        return sendError(res, 403, 'forbidden', 'This token does not give access to this user.');
      next();
    },
    user,
  );
  const { ownConnection } = connectionRoutes(user, ctx, engine);
  accountRoutes(user, ctx, engine, ownConnection);
  transactionRoutes(user, ctx, engine, ownConnection);

  // ---- the rest -----------------------------------------------------------------------------
  r.use((req, res) => sendError(res, 404, 'notFound', `No route ${req.method} ${req.baseUrl}${req.path}.`));
  r.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof SandboxError) return sendError(res, err.status, err.code, err.description, err.bankMessage);
    if ((err as { type?: string }).type === 'entity.parse.failed')
      return sendError(res, 400, 'invalidValue', 'The request body is not valid JSON.');
    ctx.opts.logger?.warn({ err: (err as Error).message }, 'powens sandbox: internal error');
    sendError(res, 500, 'bug', 'Internal error.');
  });
  return r;
}
