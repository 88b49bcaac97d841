/**
 * The routes outside /api/v1 that Powens and companies reach without an API key: the company's
 * link pages (/l/:token), Powens' webview callback and its webhooks.
 */
import { Router } from 'express';
import type { AppDeps } from '../deps';
import { callbackHandler } from './callback';
import { linkPagesRouter } from './link-pages';
import { webhookHandler } from './webhooks';

export function publicRouter(deps: AppDeps): Router {
  const router = Router();
  router.use(linkPagesRouter(deps, deps.rateLimits?.linkPages));
  router.get('/powens/callback', callbackHandler(deps));
  router.post('/powens/webhooks/:event', webhookHandler(deps));
  return router;
}
