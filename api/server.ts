/** The API + portal process: `tsx api/server.ts`. Graceful shutdown on SIGTERM/SIGINT. */
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { createPrismaClient } from '../prisma/client';
import { createApp, type AppState } from './app';
import { createPowensClientFromConfig, createPowensWebviews } from './powens-webviews';

async function main() {
  const config = loadConfig();
  const logger = createLogger('api', config.LOG_LEVEL);
  if (!process.env.DATABASE_URL) throw new Error('DATABASE_URL must be set (npm start sets it for the embedded stack)');
  // A lost database connection is logged and replaced, never fatal.
  const prisma = createPrismaClient(process.env.DATABASE_URL, {
    onError: (err) => logger.warn({ err: err.message }, 'database connection lost; the next query opens a new one'),
  });
  const connection = await Connection.connect({ address: config.temporalAddress });
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const state: AppState = { ready: false };
  const powens = createPowensWebviews({
    prisma,
    config,
    client: createPowensClientFromConfig(config, logger),
    logger,
  });
  const app = createApp({ config, prisma, temporal, logger, powens }, state);
  const server = app.listen(config.API_PORT, config.API_HOST, () => {
    state.ready = true;
    logger.info({ url: config.publicBaseUrl }, 'API listening');
  });
  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    state.ready = false;
    const force = setTimeout(() => process.exit(1), 10_000);
    server.close();
    server.closeIdleConnections();
    await prisma.$disconnect();
    await connection.close();
    clearTimeout(force);
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
