/**
 * The Powens sandbox on its own: `npx tsx sandbox/powens/server.ts` (settings from lib/config.ts:
 * DATABASE_URL or the embedded PostgreSQL's port, POWENS_SANDBOX_PORT, POWENS_CLIENT_ID/SECRET,
 * POWENS_WEBHOOK_SECRET). The webhook URL comes from POWENS_SANDBOX_WEBHOOK_URL when set (it may
 * contain `{event}`), else none (see PUT /__sandbox/webhooks/config).
 */
import { Pool } from 'pg';
import { loadConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { createPowensSandbox } from './index';

async function main() {
  const config = loadConfig();
  const logger = createLogger('powens-sandbox');
  const databaseUrl =
    config.DATABASE_URL ?? `postgresql://postgres:postgres@127.0.0.1:${config.EMBEDDED_POSTGRES_PORT}/releves`;
  const pool = new Pool({ connectionString: databaseUrl, max: 5 });
  const publicUrl = `http://localhost:${config.POWENS_SANDBOX_PORT}`;
  const sandbox = createPowensSandbox({
    pool,
    clientId: config.POWENS_CLIENT_ID,
    clientSecret: config.POWENS_CLIENT_SECRET,
    webhookSecret: config.POWENS_WEBHOOK_SECRET,
    webhookUrl: process.env.POWENS_SANDBOX_WEBHOOK_URL || undefined,
    publicUrl,
    logger,
  });
  await sandbox.ready;
  await sandbox.start();
  const server = sandbox.app.listen(config.POWENS_SANDBOX_PORT, '127.0.0.1', () => {
    logger.info({ url: publicUrl }, 'powens sandbox listening');
  });
  const shutdown = async () => {
    server.close();
    await sandbox.stop();
    await pool.end();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
