/** The local stand-ins `npm start` runs when the real services are not configured. */
import type { Server } from 'node:http';
import type { Config } from '../lib/config';
import { createMailSink } from '../sandbox/postmark/sink';

export async function startSandboxes(config: Config, _databaseUrl: string, _dataDir: string) {
  const servers: Server[] = [];
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
  return {
    mailSinkUrl,
    // The Powens sandbox (issue 5) is not built yet: the configured URL is reported as is.
    powensUrl: config.powensSandbox ? null : config.powensBaseUrl,
    async stop() {
      await Promise.all(servers.map((s) => new Promise((r) => s.close(() => r(undefined)))));
    },
  };
}

function listen(app: import('express').Express, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, '127.0.0.1', () => resolve(server));
    server.once('error', reject);
  });
}
