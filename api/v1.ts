/** The /api/v1 router: every resource's operations, the OpenAPI document and its reference page. */
import { Router, type RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { AppDeps, RateLimits, RouteContext } from './deps';
import { authenticate } from './auth';
import { authOf } from './auth-context';
import { FORWARDED_HEADERS_IGNORED } from './client-address';
import { HttpError } from './errors';
import { ApiRegistry } from './http';
import { buildOpenApi, renderDocsPage } from './openapi';
import { accountRoutes } from './routes/account';
import { bankAccountRoutes } from './routes/bank-accounts';
import { bankCatalogRoutes, bankReferentialRoutes } from './routes/banks';
import { companyRoutes } from './routes/companies';
import { companySearchRoutes } from './routes/company-search';
import { importRoutes } from './routes/import';
import { connectionRoutes } from './routes/connections';
import { linkRoutes } from './routes/links';
import { notificationRoutes } from './routes/notifications';
import { webviewRoutes } from './routes/webviews';
import { passwordSetupRoutes } from './routes/password-setup';
import { secondaryAccountRoutes } from './routes/secondary-accounts';
import { statementFormatRoutes } from './routes/statement-formats';
import { statementDownloadRoutes } from './routes/statement-downloads';
import { statementRoutes } from './routes/statements';
import { webhookRoutes } from './routes/webhooks';

const tooMany = (detail: string): RequestHandler => {
  return (_req, _res, next) => next(new HttpError(429, 'Too Many Requests', detail));
};

export function createApiV1(deps: AppDeps, limits: RateLimits = {}) {
  const router = Router();
  const api = new ApiRegistry(router, authenticate(deps.prisma, { idleMs: deps.config.SESSION_IDLE_MINUTES * 60_000 }));
  const limiters = {
    login: rateLimit({
      windowMs: 15 * 60_000,
      limit: limits.login ?? 10,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      validate: FORWARDED_HEADERS_IGNORED,
      handler: tooMany('Trop de tentatives de connexion : réessayez dans quelques minutes.'),
    }),
    links: rateLimit({
      windowMs: 3600_000,
      limit: limits.links ?? 100,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      validate: FORWARDED_HEADERS_IGNORED,
      keyGenerator: (_req, res) => authOf(res).account.id,
      handler: tooMany('Trop de liens demandés pour ce compte : réessayez dans une heure.'),
    }),
  };
  const ctx: RouteContext = { api, deps, limiters };
  accountRoutes(ctx);
  bankReferentialRoutes(ctx);
  notificationRoutes(ctx);
  secondaryAccountRoutes(ctx);
  passwordSetupRoutes(ctx);
  bankCatalogRoutes(ctx);
  companySearchRoutes(ctx);
  companyRoutes(ctx);
  importRoutes(ctx);
  linkRoutes(ctx);
  connectionRoutes(ctx);
  webviewRoutes(ctx);
  bankAccountRoutes(ctx);
  statementRoutes(ctx);
  statementDownloadRoutes(ctx);
  statementFormatRoutes(ctx);
  webhookRoutes(ctx);

  let doc: ReturnType<typeof buildOpenApi> | undefined;
  const openapi = () => (doc ??= buildOpenApi(api.operations, deps.config.publicBaseUrl));
  router.get('/openapi.json', (_req, res) => {
    res.json(openapi());
  });
  return { router, docs: renderDocsPage(openapi), operations: api.operations };
}
