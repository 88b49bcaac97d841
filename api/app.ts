/**
 * The Express application (no `listen` here: api/server.ts owns the process, tests mount the app
 * on a random port). Routers are added per resource; errors end in one problem+json middleware.
 */
import express, { type ErrorRequestHandler, type Request, type Response } from 'express';
import helmet from 'helmet';
import { ZodError } from 'zod';
import type { Client as TemporalClient } from '@temporalio/client';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import type { Db } from '../prisma/client';
import { HttpError, type FieldError } from './errors';
import type { PowensWebviews } from './powens';
import { postmarkWebhookRouter } from './postmark-webhook';
import { publicRouter } from './public/router';
import { createApiV1, type RateLimits } from './v1';
import { createPortal } from '../web';

export interface AppDeps {
  config: Config;
  prisma: Db;
  temporal: TemporalClient;
  logger: Logger;
  /** Powens webviews and reads (absent: /connect, /reconnect, link pages and callback answer 503). */
  powens?: PowensWebviews;
  /** Rate limits of the login and link endpoints (defaults in api/v1.ts). */
  rateLimits?: RateLimits;
  /**
   * The time a link's validity is judged at (default: the machine's clock). Tests whose workflows
   * run on a skipped Temporal clock pass that clock, since links are dated by the workflow.
   */
  clock?: () => Date;
}

export interface AppState {
  /** False while starting and while draining on shutdown: /readyz answers 503. */
  ready: boolean;
}

export function createApp(deps: AppDeps, state: AppState = { ready: true }) {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
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

  app.get('/healthz', async (_req, res) => {
    const checks = await Promise.all([
      check('database', () => deps.prisma.$queryRaw`SELECT 1`),
      check('temporal', () => deps.temporal.workflowService.getSystemInfo({})),
    ]);
    const ok = checks.every((c) => c.ok);
    res
      .status(ok ? 200 : 503)
      .json({ status: ok ? 'ok' : 'error', checks: Object.fromEntries(checks.map((c) => [c.name, c])) });
  });
  app.get('/readyz', (_req, res) => {
    res.status(state.ready ? 200 : 503).json({ status: state.ready ? 'ready' : 'not ready' });
  });

  app.use('/webhooks/postmark', postmarkWebhookRouter(deps));
  app.use(publicRouter(deps));

  app.use('/api', express.json({ limit: '1mb' }));
  const v1 = createApiV1(deps, deps.rateLimits);
  app.use('/api/v1', v1.router);
  app.get('/api/docs', v1.docs);
  // The portal's pages (web/), rendered from the API above.
  app.use(createPortal({ logger: deps.logger }));

  app.use((req: Request) => {
    throw new HttpError(404, 'Not Found', `Aucune ressource à l'adresse ${req.method} ${req.path}.`);
  });
  app.use(problemHandler(deps.logger));
  return app;
}

async function check(name: string, fn: () => Promise<unknown>) {
  const started = Date.now();
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timeout after 3 s')), 3000)),
    ]);
    return { name, ok: true, ms: Date.now() - started };
  } catch (e) {
    return { name, ok: false, ms: Date.now() - started, error: (e as Error).message };
  }
}

export function problemHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res: Response, _next) => {
    let problem: { status: number; title: string; detail: string; errors?: FieldError[] };
    if (err instanceof HttpError) {
      problem = { status: err.status, title: err.title, detail: err.detail, errors: err.errors };
    } else if (err instanceof ZodError) {
      problem = {
        status: 400,
        title: 'Bad Request',
        detail: 'La requête contient des champs invalides.',
        errors: err.issues.map((i) => ({ field: i.path.join('.') || '(corps)', reason: i.message })),
      };
    } else if ((err as { type?: string }).type === 'entity.parse.failed') {
      problem = { status: 400, title: 'Bad Request', detail: "Le corps de la requête n'est pas un JSON valide." };
    } else if ((err as { type?: string }).type === 'entity.too.large') {
      problem = { status: 413, title: 'Payload Too Large', detail: 'Le corps de la requête est trop volumineux.' };
    } else {
      logger.error({ err, path: req.path }, 'unhandled error');
      problem = { status: 500, title: 'Internal Server Error', detail: 'Une erreur interne est survenue.' };
    }
    res
      .status(problem.status)
      .type('application/problem+json')
      .json({ type: 'about:blank', ...problem, instance: req.originalUrl });
  };
}
