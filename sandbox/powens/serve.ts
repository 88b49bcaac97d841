/**
 * The Powens sandbox served on its configured port (POWENS_SANDBOX_PORT, http://localhost:…),
 * as `npm start` runs it (scripts/sandboxes.ts) and as it runs alone (sandbox/powens/server.ts).
 * It keeps its state in the schema powens_sandbox of `databaseUrl`, so a restart keeps its users,
 * connections and accounts.
 */
import { Pool } from 'pg';
import { SANDBOX_WEBHOOK_SECRET, type Config } from '../../lib/config';
import type { Logger } from '../../lib/logger';
import { closeServer, listenLocal } from '../../lib/net';
import { createPowensSandbox } from './index';
import { survivePoolErrors } from './pg';

export interface ServedPowensSandbox {
  /** Its public URL, http://localhost:POWENS_SANDBOX_PORT */
  url: string;
  stop(): Promise<void>;
}

export async function servePowensSandbox(opts: {
  config: Config;
  databaseUrl: string;
  /** Where its webhooks go (may contain `{event}`); none when undefined. */
  webhookUrl: string | undefined;
  logger: Logger;
}): Promise<ServedPowensSandbox> {
  const { config, logger } = opts;
  // A connection closed under the pool (PostgreSQL stopping first on Ctrl-C, a terminated backend),
  // idle or in a transaction, is logged: unhandled, pg's 'error' event would end the process.
  const pool = survivePoolErrors(new Pool({ connectionString: opts.databaseUrl, max: 5 }), (err) =>
    logger.warn({ err: err.message }, 'powens sandbox: database connection lost'),
  );
  const url = `http://localhost:${config.POWENS_SANDBOX_PORT}`;
  const sandbox = createPowensSandbox({
    pool,
    clientId: config.POWENS_CLIENT_ID,
    clientSecret: config.POWENS_CLIENT_SECRET,
    webhookSecret: config.powensWebhookSecret ?? SANDBOX_WEBHOOK_SECRET,
    webhookUrl: opts.webhookUrl,
    publicUrl: url,
    logger,
  });
  await sandbox.ready;
  const server = await listenLocal(sandbox.app, config.POWENS_SANDBOX_PORT);
  await sandbox.start();
  return {
    url,
    async stop() {
      // Stopped before the server closes: no webhook delivery or sync runs on a closing pool.
      await sandbox.stop();
      await closeServer(server);
      await pool.end();
    },
  };
}
