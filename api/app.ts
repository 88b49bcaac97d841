/**
 * The Express application (no `listen` here: api/server.ts owns the process, tests mount the app
 * on a random port). Routers are added per resource; errors end in one problem+json middleware.
 */
import express, { type ErrorRequestHandler, type Request, type Response } from 'express';
import helmet from 'helmet';
import { ZodError } from 'zod';
import { requestLogger, type Logger } from '../lib/logger';
import { apiRegistry, httpMetrics, metricsEndpoint, mountedAt, routeLabel } from '../lib/metrics';
import { REQUEST_ID_HEADER, requestIdFrom, runWithRequestContext } from '../lib/request-context';
import { portalHop } from './client-address';
import { API_STATEMENT_TIMEOUT_MS, isStatementTimeout } from './database';
import { HttpError, INVALID_FIELDS, unreadableRequest, type FieldError } from './errors';
import { postmarkWebhookRouter } from './postmark-webhook';
import { publicRouter } from './public/router';
import type { AppDeps } from './deps';
import { createApiV1 } from './v1';
import { createPortal } from '../web';

export interface AppState {
  /** False while starting and while draining on shutdown: /readyz answers 503. */
  ready: boolean;
}

export function createApp(deps: AppDeps, state: AppState = { ready: true }) {
  const app = express();
  app.disable('x-powered-by');
  // Forwarded headers only from the proxies TRUST_PROXY names (default: none); the portal's own
  // calls carry the browser's address another way (api/client-address.ts).
  app.set('trust proxy', deps.config.TRUST_PROXY);
  app.use(portalHop());
  // Then every request gets its id (a sane X-Request-Id is kept, else a new UUID), answered in
  // X-Request-Id and carried by every log line and Temporal call made while it is handled.
  app.use((req, res, next) => {
    const requestId = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
    res.set('X-Request-Id', requestId);
    res.locals.requestId = requestId;
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      // The route pattern, never the raw path: a company's link page carries its secret in it.
      const line = { method: req.method, route: routeLabel(req), status: res.statusCode, ms: Math.round(ms) };
      const log = requestLogger(deps.logger, requestId);
      if (res.statusCode >= 500) log.warn(line, 'request failed');
      else log.debug(line, 'request');
    });
    runWithRequestContext({ requestId }, next);
  });
  app.use(httpMetrics());
  // Helmet's defaults, but the portal's forms that answer with a 303 to Powens' webview ("Saisir
  // directement mes identifiants", "Saisir mes identifiants") need that one origin in form-action:
  // browsers apply form-action to the redirects of a form submission too. The company's link pages
  // (api/public/link-pages.ts) set their own policy with the same origin.
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: { formAction: ["'self'", new URL(deps.config.powensWebviewUrl).origin] },
      },
    }),
  );

  // Liveness: the process answers (no dependency is checked: a database outage must not get the
  // process restarted). Readiness: started, not draining, and the database and Temporal answer.
  app.get('/healthz', (_req, res) => {
    res.status(200).json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    if (!state.ready) return res.status(503).json({ status: 'not ready', reason: 'starting or draining' });
    const checks = await Promise.all([
      check('database', () => deps.prisma.$queryRaw`SELECT 1`),
      // With a deadline: the client would otherwise keep retrying an unreachable server after the check gave up.
      check('temporal', () =>
        deps.temporal.connection.withDeadline(Date.now() + CHECK_TIMEOUT_MS, () =>
          deps.temporal.workflowService.getSystemInfo({}),
        ),
      ),
    ]);
    const ok = checks.every((c) => c.ok) && state.ready;
    res
      .status(ok ? 200 : 503)
      .json({ status: ok ? 'ready' : 'not ready', checks: Object.fromEntries(checks.map((c) => [c.name, c])) });
  });
  const registry =
    deps.metrics ?? apiRegistry({ query: (text) => deps.prisma.$queryRawUnsafe(text) as Promise<never> });
  app.get(
    '/metrics',
    metricsEndpoint(registry, {
      token: deps.config.METRICS_TOKEN,
      production: deps.config.NODE_ENV === 'production',
    }),
  );

  // mountedAt: the metrics' route label is the mount path + the route pattern (lib/metrics.ts).
  app.use('/webhooks/postmark', mountedAt('/webhooks/postmark'), postmarkWebhookRouter(deps));
  app.use(mountedAt(''), publicRouter(deps));

  app.use('/api', express.json({ limit: '1mb' }));
  const v1 = createApiV1(deps, deps.rateLimits);
  app.use('/api/v1', mountedAt('/api/v1'), v1.router);
  app.get('/api/docs', mountedAt(''), v1.docs);
  // The portal's pages (web/), rendered from the API above.
  app.use(mountedAt(''), createPortal({ logger: deps.logger, publicBaseUrl: deps.config.publicBaseUrl }));

  app.use((req: Request) => {
    throw new HttpError(404, 'Not Found', `Aucune ressource à l'adresse ${req.method} ${req.path}.`);
  });
  app.use(problemHandler(deps.logger));
  return app;
}

const CHECK_TIMEOUT_MS = 2000;

/** One dependency check, bounded to 2 s (a probe's timeout must leave room for it: 3 s). */
async function check(name: string, fn: () => Promise<unknown>) {
  const started = Date.now();
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error(`timeout after ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS).unref(),
      ),
    ]);
    return { name, ok: true, ms: Date.now() - started };
  } catch (e) {
    return { name, ok: false, ms: Date.now() - started, error: (e as Error).message };
  }
}

/** A path as logged: a company link's secret (`/l/<secret>`) never reaches the logs. */
export const redactPath = (path: string) => path.replace(/^\/l\/[^/]+/, '/l/<secret>');

export function problemHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res: Response, _next) => {
    let problem: { status: number; title: string; detail: string; errors?: FieldError[] };
    if (err instanceof HttpError) {
      problem = { status: err.status, title: err.title, detail: err.detail, errors: err.errors };
    } else if (err instanceof ZodError) {
      problem = {
        status: 400,
        title: 'Bad Request',
        detail: INVALID_FIELDS,
        errors: err.issues.map((i) => ({ field: i.path.join('.') || '(corps)', reason: i.message })),
      };
    } else if (isStatementTimeout(err)) {
      logger.warn({ path: redactPath(req.path) }, 'database statement cancelled by its timeout');
      problem = {
        status: 503,
        title: 'Service Unavailable',
        detail: `La base de données n’a pas répondu à temps (plus de ${API_STATEMENT_TIMEOUT_MS / 1000} s) : précisez la recherche ou réessayez plus tard.`,
      };
    } else if (unreadableRequest(err)) {
      // Unreadable, oversize or wrongly encoded body, malformed URL: the client's error, never a 500.
      const e = unreadableRequest(err)!;
      problem = { status: e.status, title: e.title, detail: e.detail };
    } else {
      logger.error({ err, path: redactPath(req.path) }, 'unhandled error');
      problem = { status: 500, title: 'Internal Server Error', detail: 'Une erreur interne est survenue.' };
    }
    res
      .status(problem.status)
      .type('application/problem+json')
      .json({ type: 'about:blank', ...problem, instance: req.originalUrl });
  };
}
