/**
 * The Temporal worker: registers the workflows and activities (with the real Powens client built
 * from config), sticky cache sized from its memory budget (lib/sticky-cache.ts), logs carrying workflow and connection ids, graceful
 * shutdown on SIGTERM/SIGINT (running activities get WORKER_SHUTDOWN_GRACE_SECONDS to finish;
 * Temporal retries the rest elsewhere). It also runs the outbox sender: every second (at once while batches come back full) it sends
 * the queued e-mails (`sendPendingEmails` claims each row, so several workers never send one twice),
 * and the outgoing webhooks' sender, the same way (`sendPendingWebhooks`).
 *
 * Compiled (`npm run build`), it runs the prebuilt workflow bundle `dist/workflow-bundle.js`;
 * from the TypeScript sources (`npm start`, tests) it bundles the workflows at start. Metrics: our
 * own (prom-client) on WORKER_METRICS_ADDRESS (`/metrics`, and `/healthz`: 200 while the worker
 * polls), the Temporal SDK's on WORKER_TEMPORAL_METRICS_ADDRESS; neither is served when unset.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { DefaultLogger, NativeConnection, Runtime, Worker, type LogLevel } from '@temporalio/worker';
import { loadConfig } from '../lib/config';
import { createLogger, type Logger } from '../lib/logger';
import { outboxRoundErrors, workerRegistry } from '../lib/metrics';
import { exitOnStartupFailure } from '../lib/startup';
import { temporalConnectionOptions } from '../lib/temporal-connection';
import { createPrismaClient } from '../db/client';
import { createSqlPool } from '../db/sql';
import { createActivities } from '../activities';
import { startCatalogRefresh } from '../activities/bank-catalog';
import { createPowensClient } from '../integrations/powens';
import { createWebhookSender, type WebhookSendResult } from '../webhooks-out';
import { activityMetrics } from './activity-metrics';

/** Written by `npm run build` next to the compiled worker (dist/worker/main.js → dist/workflow-bundle.js). */
const PREBUILT_BUNDLE = join(__dirname, '..', 'workflow-bundle.js');
const COMPILED = __filename.endsWith('.js');

async function main() {
  const config = loadConfig();
  const logger = createLogger('worker', config.LOG_LEVEL);
  const databaseUrl = config.DATABASE_URL;
  if (!databaseUrl) throw new Error('DATABASE_URL must be set (npm start sets it for the embedded stack)');
  const connectionOptions = temporalConnectionOptions(config);
  if (COMPILED && !existsSync(PREBUILT_BUNDLE))
    throw new Error(`${PREBUILT_BUNDLE} is missing: run \`npm run build\` (it writes the workflow bundle)`);
  Runtime.install({
    logger: new DefaultLogger(
      (config.LOG_LEVEL === 'silent' || config.LOG_LEVEL === 'fatal'
        ? 'ERROR'
        : config.LOG_LEVEL.toUpperCase()) as LogLevel,
      (entry) => logger[entry.level.toLowerCase() as 'info'](entry.meta ?? {}, entry.message),
    ),
    shutdownSignals: [],
    ...(config.WORKER_TEMPORAL_METRICS_ADDRESS
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress: config.WORKER_TEMPORAL_METRICS_ADDRESS } } } }
      : {}),
  });
  // A lost database connection is logged and replaced, never fatal (db/sql.ts survivePoolErrors).
  const onError = (pool: string) => (err: Error) =>
    logger.warn({ pool, err: err.message }, 'database connection lost; the next query opens a new one');
  const prisma = createPrismaClient(databaseUrl, { max: config.WORKER_DATABASE_POOL_MAX, onError: onError('prisma') });
  const sql = createSqlPool(databaseUrl, { max: config.WORKER_DATABASE_POOL_MAX, onError: onError('sql') });
  const connection = await NativeConnection.connect(connectionOptions);
  const activities = createActivities({ config, prisma, sql, logger });
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    // The prebuilt bundle carries the workflow interceptor module (scripts/build.mjs); activity
    // interceptors are never bundled.
    ...(existsSync(PREBUILT_BUNDLE)
      ? { workflowBundle: { codePath: PREBUILT_BUNDLE }, interceptors: { activity: [activityMetrics] } }
      : {
          workflowsPath: require.resolve('../workflows'),
          interceptors: { activity: [activityMetrics], workflowModules: [require.resolve('./workflow-interceptors')] },
        }),
    activities,
    maxCachedWorkflows: config.workerMaxCachedWorkflows,
    maxConcurrentActivityTaskExecutions: config.WORKER_MAX_CONCURRENT_ACTIVITIES,
    shutdownGraceTime: `${config.WORKER_SHUTDOWN_GRACE_SECONDS}s`,
  });
  const metrics = config.WORKER_METRICS_ADDRESS
    ? await serveMetrics(config.WORKER_METRICS_ADDRESS, () => worker.getState() === 'RUNNING')
    : undefined;
  const sender = startOutboxSender(activities.sendPendingEmails, logger);
  // The bank referential's catalogue: Powens' connectors, refreshed once a day.
  const catalog = startCatalogRefresh({
    prisma,
    client: createPowensClient({
      baseUrl: config.powensBaseUrl,
      webviewUrl: config.powensWebviewUrl,
      clientId: config.POWENS_CLIENT_ID,
      clientSecret: config.POWENS_CLIENT_SECRET,
    }),
    logger,
  });
  const webhooks = startWebhookSender(createWebhookSender({ config, sql, logger }).sendPendingWebhooks, logger);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.info({ signal }, 'draining the worker');
      worker.shutdown();
    });
  }
  logger.info(
    {
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      address: config.temporalAddress,
      bundle: existsSync(PREBUILT_BUNDLE) ? 'prebuilt' : 'built at start',
      maxCachedWorkflows: config.workerMaxCachedWorkflows,
      metrics: config.WORKER_METRICS_ADDRESS ?? null,
      temporalMetrics: config.WORKER_TEMPORAL_METRICS_ADDRESS ?? null,
    },
    'worker running',
  );
  try {
    await worker.run();
  } finally {
    await sender.stop();
    await catalog.stop();
    if (metrics) await new Promise((r) => metrics.close(r));
    await webhooks.stop();
    await connection.close();
    await prisma.$disconnect();
    await sql.end();
  }
  logger.info('worker stopped');
}

/** The worker's own metrics server: GET /metrics (prom-client) and GET /healthz. */
async function serveMetrics(address: string, healthy: () => boolean): Promise<Server> {
  const registry = workerRegistry({ processMetrics: true });
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at).replace(/^\[|\]$/g, '');
  const port = Number(address.slice(at + 1));
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/metrics') {
      registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
    } else if (req.method === 'GET' && path === '/healthz') {
      const ok = healthy();
      res
        .writeHead(ok ? 200 : 503, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: ok ? 'ok' : 'not running' }));
    } else res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}

/**
 * Drains an outbox: a batch of OUTBOX_BATCH, then at once another while batches come back full (a
 * nightly cycle queues thousands of statement e-mails), else again after OUTBOX_INTERVAL_MS. One
 * round at a time; errors are logged and retried. `round` answers how many it handled.
 */
function startDrainLoop(name: string, round: (limit: number) => Promise<number>, logger: Logger, onError = () => {}) {
  let stopped = false;
  let current: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    let full = false;
    current = round(OUTBOX_BATCH)
      .then((handled) => void (full = handled >= OUTBOX_BATCH))
      .catch((err: unknown) => {
        onError();
        logger.warn({ err: (err as Error).message }, `${name}: will retry`);
      })
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, full ? 0 : OUTBOX_INTERVAL_MS);
      });
  };
  tick();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
  };
}

/** The e-mail outbox (email/sender.ts). */
function startOutboxSender(
  send: (limit?: number) => Promise<{ sent: number; failed: number; retrying: number }>,
  logger: Logger,
) {
  return startDrainLoop(
    'outbox sender',
    async (limit) => {
      const r = await send(limit);
      if (r.sent > 0) logger.info(r, 'outbox e-mails sent');
      return r.sent + r.failed + r.retrying;
    },
    logger,
    () => outboxRoundErrors.inc(),
  );
}

/** The outgoing webhooks (webhooks-out/sender.ts), on the same rhythm as the e-mails. */
function startWebhookSender(send: (limit?: number) => Promise<WebhookSendResult>, logger: Logger) {
  return startDrainLoop(
    'webhook sender',
    async (limit) => {
      const r = await send(limit);
      const handled = r.succeeded + r.failed + r.retrying;
      if (handled > 0) logger.info(r, 'webhooks delivered');
      return handled;
    },
    logger,
  );
}

const OUTBOX_BATCH = 100;
const OUTBOX_INTERVAL_MS = 1000;

main().catch(exitOnStartupFailure('worker'));
