/**
 * The Powens sandbox on its own: `npx tsx sandbox/powens/server.ts` (settings from lib/config.ts:
 * DATABASE_URL or the embedded PostgreSQL's port, POWENS_SANDBOX_PORT, POWENS_CLIENT_ID/SECRET,
 * POWENS_WEBHOOK_SECRET). The webhook URL comes from POWENS_SANDBOX_WEBHOOK_URL when set (it may
 * contain `{event}`), else none (see PUT /__sandbox/webhooks/config).
 */
import { loadConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { servePowensSandbox } from './serve';

async function main() {
  const config = loadConfig();
  const logger = createLogger('powens-sandbox');
  const databaseUrl =
    config.DATABASE_URL ?? `postgresql://postgres:postgres@127.0.0.1:${config.EMBEDDED_POSTGRES_PORT}/releves`;
  const sandbox = await servePowensSandbox({
    config,
    databaseUrl,
    webhookUrl: process.env.POWENS_SANDBOX_WEBHOOK_URL || undefined,
    logger,
  });
  logger.info({ url: sandbox.url }, 'powens sandbox listening');
  const shutdown = async () => {
    await sandbox.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
