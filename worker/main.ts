/**
 * The Temporal worker: registers the workflows and activities, sticky cache sized from config,
 * logs carrying workflow and connection ids, graceful shutdown on SIGTERM/SIGINT (running
 * activities get WORKER_SHUTDOWN_GRACE_SECONDS to finish; Temporal retries the rest elsewhere).
 */
import { DefaultLogger, NativeConnection, Runtime, Worker, type LogLevel } from '@temporalio/worker';
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { createPrismaClient } from '../prisma/client';
import { createActivities } from '../activities';

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
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowsPath: require.resolve('../workflows'),
    activities: createActivities({ config, prisma, logger }),
    maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
    maxConcurrentActivityTaskExecutions: config.WORKER_MAX_CONCURRENT_ACTIVITIES,
    shutdownGraceTime: `${config.WORKER_SHUTDOWN_GRACE_SECONDS}s`,
  });
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
    await connection.close();
    await prisma.$disconnect();
  }
  logger.info('worker stopped');
}

main().catch((err) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
