/** The local stand-ins `npm start` runs when the real services are not configured. */
import type { Server } from 'node:http';
import type { Config } from '../lib/config';
import { createLogger } from '../lib/logger';
import { closeServer, listenLocal } from '../lib/net';
import { createMailSink } from '../sandbox/postmark/sink';
import { servePowensSandbox } from '../sandbox/powens/serve';

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
    servers.push(await listenLocal(sink.app, config.MAIL_SINK_PORT));
    mailSinkUrl = `http://localhost:${config.MAIL_SINK_PORT}`;
  }

  // The Powens sandbox keeps its state in the schema powens_sandbox of the same database, so a
  // restarted stack keeps its users, connections and accounts. Its webhooks go to our API, one URL
  // per event as registered at Powens.
  let powensUrl: string = config.powensBaseUrl;
  if (config.powensSandbox) {
    const powens = await servePowensSandbox({
      config,
      databaseUrl,
      webhookUrl: `${config.powensWebhookBaseUrl}/{event}`,
      logger: createLogger('powens-sandbox', config.LOG_LEVEL),
    });
    stops.push(powens.stop);
    powensUrl = powens.url;
  }
  return {
    mailSinkUrl,
    powensUrl,
    async stop() {
      for (const stop of stops) await stop();
      await Promise.all(servers.map(closeServer));
    },
  };
}
