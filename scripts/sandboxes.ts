/** The local stand-ins `npm start` runs when the real services are not configured. */
import type { Server } from 'node:http';
import { Pool } from 'pg';
import type { Config } from '../lib/config';
import { createLogger } from '../lib/logger';
import { createMailSink } from '../sandbox/postmark/sink';
import { createPowensSandbox } from '../sandbox/powens';

export async function startSandboxes(config: Config, databaseUrl: string, _dataDir: string) {
  const servers: Server[] = [];
  const stops: Array<() => Promise<unknown>> = [];
  let mailSinkUrl = config.postmarkApiUrl;
  if (config.mailSink) {
    // Bounces of the sink reach the API's Postmark webhook, as Postmark's would.
    const apiHost = config.API_HOST === '0.0.0.0' ? '127.0.0.1' : config.API_HOST;
    const sink = createMailSink({
      serverToken: config.POSTMARK_SERVER_TOKEN,
      webhook: {
        url: `http://${apiHost}:${config.API_PORT}/webhooks/postmark`,
        password: config.POSTMARK_WEBHOOK_SECRET,
      },
    });
    servers.push(await listen(sink.app, config.MAIL_SINK_PORT));
    mailSinkUrl = `http://localhost:${config.MAIL_SINK_PORT}`;
  }

  // The Powens sandbox keeps its state in the schema powens_sandbox of the same database, so a
  // restarted stack keeps its users, connections and accounts. Its webhooks go to our API, one URL
  // per event as registered at Powens.
  let powensUrl: string = config.powensBaseUrl;
  if (config.powensSandbox) {
    const logger = createLogger('powens-sandbox', config.LOG_LEVEL);
    const pool = new Pool({ connectionString: databaseUrl, max: 5 });
    // An idle connection closed under the pool (PostgreSQL stopping first on Ctrl-C) is logged:
    // unhandled, pg's 'error' event would end the orchestrator before it stops the rest.
    pool.on('error', (err) => logger.warn({ err: err.message }, 'powens sandbox: database connection lost'));
    const publicUrl = `http://localhost:${config.POWENS_SANDBOX_PORT}`;
    const sandbox = createPowensSandbox({
      pool,
      clientId: config.POWENS_CLIENT_ID,
      clientSecret: config.POWENS_CLIENT_SECRET,
      webhookSecret: config.POWENS_WEBHOOK_SECRET,
      webhookUrl: `${config.publicBaseUrl}/powens/webhooks/{event}`,
      publicUrl,
      logger,
    });
    await sandbox.ready;
    const server = await listen(sandbox.app, config.POWENS_SANDBOX_PORT);
    await sandbox.start();
    // Stopped before the servers close: no webhook delivery or sync runs on a closing pool.
    stops.push(
      () => sandbox.stop(),
      () => close(server),
      () => pool.end(),
    );
    powensUrl = publicUrl;
  }
  return {
    mailSinkUrl,
    powensUrl,
    async stop() {
      for (const stop of stops) await stop();
      await Promise.all(servers.map(close));
    },
  };
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

function listen(app: import('express').Express, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, '127.0.0.1', () => resolve(server));
    server.once('error', reject);
  });
}
