/**
 * A local Powens: `createPowensSandbox(options)` returns an Express app serving the API (/2.0),
 * the webview (/webview) and an admin API (/__sandbox), backed by the schema `powens_sandbox` of
 * the given PostgreSQL pool (created at start), plus `start()`/`stop()` for the background work
 * (webhook delivery with retries, Powens' daily syncs). Production code cannot tell it from the
 * real Powens except by its base URL. See docs/powens.md.
 */
import express, { type Express } from 'express';
import { createAdminRouter } from './admin';
import { createApiRouter } from './api';
import { CONNECTORS } from './catalog';
import { createContext, type PowensSandboxOptions, type SandboxContext } from './context';
import { createEngine, type Engine } from './engine';
import { createDeliverer, type DeliveryResult } from './webhooks';
import { createWebview } from './webview';

export type { PowensSandboxOptions } from './context';
export type { DeliveryResult } from './webhooks';
export { CONNECTORS, SANDBOX_OTP, SANDBOX_WRONG_PASSWORD } from './catalog';

export interface PowensSandbox {
  app: Express;
  /** Resolves once the schema exists and the persisted settings are loaded. */
  ready: Promise<void>;
  /** Starts webhook delivery and the daily background syncs. */
  start(): Promise<void>;
  /** Stops them and waits for the work in progress. */
  stop(): Promise<void>;
  /** Delivers the pending webhooks now. */
  flushWebhooks(opts?: { force?: boolean }): Promise<DeliveryResult[]>;
  /** Runs the background syncs that are due at the sandbox clock's time. */
  runDueSyncs(): Promise<number[]>;
  /** Moves the clock forward, each background sync due meanwhile run at its own due time. */
  advanceClock(target: Date): Promise<number[]>;
  /** The sandbox clock. */
  now(): Date;
  engine: Engine;
  context: SandboxContext;
}

export function createPowensSandbox(options: PowensSandboxOptions): PowensSandbox {
  const ctx = createContext(options);
  const engine = createEngine(ctx);
  const deliverer = createDeliverer(ctx);
  const webview = createWebview(ctx, engine);

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use((_req, _res, next) => {
    ctx.ready.then(() => next(), next);
  });
  app.use('/2.0', createApiRouter(ctx, engine));
  app.use('/webview', webview.router);
  app.use('/__sandbox', createAdminRouter(ctx, engine, deliverer, webview));
  app.get('/', (_req, res) => {
    res.type('html').send(`<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Powens (sandbox)</title>
<style>body{font-family:system-ui,sans-serif;max-width:720px;margin:40px auto;color:#1d2433}code{background:#f1f3f7;padding:1px 4px}</style>
</head><body><h1>Powens – environnement de test local</h1>
<p>API : <code>/2.0</code> · Webview : <code>/webview/connect</code> · Administration : <code>/__sandbox/</code>
(<a href="/__sandbox/">liste des points d’accès</a>, <a href="/__sandbox/state">état</a>).</p>
<p>Banques disponibles : ${CONNECTORS.map((c) => c.name).join(', ')}.</p></body></html>`);
  });

  let timers: NodeJS.Timeout[] = [];
  const running = new Set<Promise<unknown>>();
  const guarded = (name: string, fn: () => Promise<unknown>) => {
    let busy = false;
    return () => {
      if (busy) return;
      busy = true;
      const p = fn()
        .catch((e) => options.logger?.warn({ err: (e as Error).message }, `powens sandbox: ${name} failed`))
        .finally(() => {
          busy = false;
          running.delete(p);
        });
      running.add(p);
    };
  };

  return {
    app,
    ready: ctx.ready,
    async start() {
      await ctx.ready;
      if (timers.length) return;
      const deliver = guarded('webhook delivery', () => deliverer.deliverDue());
      const sync = guarded('background syncs', () => engine.runDueSyncs());
      timers = [
        setInterval(deliver, options.intervals?.deliveryMs ?? 500),
        setInterval(sync, options.intervals?.autoSyncMs ?? 5000),
      ];
      for (const t of timers) t.unref();
    },
    async stop() {
      for (const t of timers) clearInterval(t);
      timers = [];
      await Promise.allSettled([...running]);
    },
    flushWebhooks: (opts) => deliverer.deliverDue({ force: opts?.force ?? true, limit: 1000 }),
    runDueSyncs: () => engine.runDueSyncs(),
    advanceClock: (target) => engine.advanceClock(target),
    now: () => ctx.now(),
    engine,
    context: ctx,
  };
}
