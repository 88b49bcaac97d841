/**
 * The Temporal worker: registers the workflows and activities (with the real Powens client built
 * from config), sticky cache sized from config, logs carrying workflow and connection ids, graceful
 * shutdown on SIGTERM/SIGINT (running activities get WORKER_SHUTDOWN_GRACE_SECONDS to finish;
 * Temporal retries the rest elsewhere). It also runs the outbox sender: every second (at once while batches come back full) it sends
 * the queued e-mails (`sendPendingEmails` claims each row, so several workers never send one twice),
 * and the outgoing webhooks' sender, the same way (`sendPendingWebhooks`).
 */
import { DefaultLogger, NativeConnection, Runtime, Worker, type LogLevel } from '@temporalio/worker';
import { loadConfig } from '../lib/config';
import { createLogger, type Logger } from '../lib/logger';
import { createPrismaClient } from '../prisma/client';
import { createSqlPool } from '../prisma/sql';
import { createActivities } from '../activities';
import { createWebhookSender, type WebhookSendResult } from '../activities/webhooks-out';

async function main() {
  const config = loadConfig();
  const logger = createLogger('worker', config.LOG_LEVEL);
  if (!process.env.DATABASE_URL) throw new Error('DATABASE_URL must be set (npm start sets it for the embedded stack)');
  Runtime.install({
    logger: new DefaultLogger(
      (config.LOG_LEVEL === 'silent' || config.LOG_LEVEL === 'fatal'
        ? 'ERROR'
        : config.LOG_LEVEL.toUpperCase()) as LogLevel,
      (entry) => logger[entry.level.toLowerCase() as 'info'](entry.meta ?? {}, entry.message),
    ),
    shutdownSignals: [],
  });
  const prisma = createPrismaClient(process.env.DATABASE_URL, { max: 20 });
  const sql = createSqlPool(process.env.DATABASE_URL, { max: 20 });
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  const activities = createActivities({ config, prisma, sql, logger });
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowsPath: require.resolve('../workflows'),
    activities,
    maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
    maxConcurrentActivityTaskExecutions: config.WORKER_MAX_CONCURRENT_ACTIVITIES,
    shutdownGraceTime: `${config.WORKER_SHUTDOWN_GRACE_SECONDS}s`,
  });
  const sender = startOutboxSender(activities.sendPendingEmails, logger);
  const webhooks = startWebhookSender(createWebhookSender({ config, sql, logger }).sendPendingWebhooks, logger);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.info({ signal }, 'draining the worker');
      worker.shutdown();
    });
  }
  logger.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, address: config.temporalAddress }, 'worker running');
  try {
    await worker.run();
  } finally {
    await sender.stop();
    await webhooks.stop();
    await connection.close();
    await prisma.$disconnect();
    await sql.end();
  }
  logger.info('worker stopped');
}

/**
 * Sends the outbox: a batch of OUTBOX_BATCH, then at once another while batches come back full (a
 * nightly cycle queues thousands of statement e-mails), else again after OUTBOX_INTERVAL_MS. One
 * round at a time; errors are logged and retried.
 */
function startOutboxSender(
  send: (limit?: number) => Promise<{ sent: number; failed: number; retrying: number }>,
  logger: Logger,
) {
  let stopped = false;
  let round: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    let full = false;
    round = send(OUTBOX_BATCH)
      .then((r) => {
        full = r.sent + r.failed + r.retrying >= OUTBOX_BATCH;
        if (r.sent > 0) logger.info(r, 'outbox e-mails sent');
      })
      .catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'outbox sender: will retry'))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, full ? 0 : OUTBOX_INTERVAL_MS);
      });
  };
  tick();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await round;
    },
  };
}

/**
 * Delivers the outgoing webhooks (activities/webhooks-out/sender.ts) on the same rhythm as the
 * e-mails: a batch, at once another while batches come back full, else every OUTBOX_INTERVAL_MS.
 */
function startWebhookSender(send: (limit?: number) => Promise<WebhookSendResult>, logger: Logger) {
  let stopped = false;
  let round: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    let full = false;
    round = send(OUTBOX_BATCH)
      .then((r) => {
        full = r.succeeded + r.failed + r.retrying >= OUTBOX_BATCH;
        if (r.succeeded + r.failed + r.retrying > 0) logger.info(r, 'webhooks delivered');
      })
      .catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'webhook sender: will retry'))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, full ? 0 : OUTBOX_INTERVAL_MS);
      });
  };
  tick();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await round;
    },
  };
}

const OUTBOX_BATCH = 100;
const OUTBOX_INTERVAL_MS = 1000;

main().catch((err) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
