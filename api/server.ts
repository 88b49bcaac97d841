/**
 * The API + portal process: `node dist/api/server.js` (compiled, `npm run start:api`) or
 * `tsx api/server.ts` (`npm start`). Graceful shutdown on SIGTERM/SIGINT: /readyz answers 503 at
 * once, the server stops accepting connections and finishes the requests in flight.
 */
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { apiRegistry } from '../lib/metrics';
import { exitOnStartupFailure } from '../lib/startup';
import { temporalConnectionOptions } from '../lib/temporal-connection';
import { requestIdClientInterceptor } from '../lib/temporal-interceptors';
import { createApiDatabase } from './database';
import { createApp, type AppState } from './app';
import { createPowensClientFromConfig, createPowensWebviews } from './powens-webviews';
import { settleTemporalCalls } from './temporal';

async function main() {
  const config = loadConfig();
  const logger = createLogger('api', config.LOG_LEVEL);
  const databaseUrl = config.DATABASE_URL;
  if (!databaseUrl) throw new Error('DATABASE_URL must be set (npm start sets it for the embedded stack)');
  // A lost database connection is logged and replaced, never fatal.
  const prisma = createApiDatabase(databaseUrl, {
    max: config.DATABASE_POOL_MAX,
    onError: (err) => logger.warn({ err: err.message }, 'database connection lost; the next query opens a new one'),
  });
  const connection = await Connection.connect(temporalConnectionOptions(config));
  const temporal = new Client({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    interceptors: { workflow: [requestIdClientInterceptor()] },
  });
  const state: AppState = { ready: false };
  const powens = createPowensWebviews({
    prisma,
    config,
    client: createPowensClientFromConfig(config, logger),
    logger,
  });
  const metrics = apiRegistry({
    query: (text) => prisma.$queryRawUnsafe(text) as Promise<never>,
    processMetrics: true,
  });
  const app = createApp({ config, prisma, temporal, logger, powens, metrics }, state);
  const server = app.listen(config.API_PORT, config.API_HOST, () => {
    state.ready = true;
    logger.info({ url: config.publicBaseUrl }, 'API listening');
  });
  server.once('error', exitOnStartupFailure('api'));
  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    state.ready = false;
    // Past the requests, the workflow signals (5 s) and the SDK's last retry delay (5 s).
    const force = setTimeout(() => process.exit(1), 15_000);
    // The requests under way end (each keep-alive connection closed as soon as it is idle, not at
    // its keep-alive timeout), then the workflow signals they sent and the Temporal calls under way.
    const closed = new Promise((resolve) => server.close(resolve));
    const idle = setInterval(() => server.closeIdleConnections(), 100);
    server.closeIdleConnections();
    await closed;
    clearInterval(idle);
    await settleTemporalCalls();
    await prisma.$disconnect();
    await connection.close();
    clearTimeout(force);
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

main().catch(exitOnStartupFailure('api'));
