/**
 * The API and the Powens sandbox wired together as `npm start` does, on random ports, for the
 * stacks of the test files (test/powens/stack.ts, test/e2e/stack.ts): one test database (our
 * tables + the sandbox's schema), the Temporal dev server, the sandbox delivering its webhooks to
 * the app, the app with the real PowensWebviews over the Powens client and, when asked, the mail
 * sink. What the caller adds (a worker, a browser) goes into the same cleanup list.
 */
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { Pool } from 'pg';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { createPowensClient, type PowensClientOptions } from '../../integrations/powens';
import { createApp } from '../../api/app';
import type { AppDeps } from '../../api/deps';
import { createPowensWebviews } from '../../api/powens-webviews';
import { loadConfig, type Config } from '../../lib/config';
import { createLogger, type Logger } from '../../lib/logger';
import { createMailSink } from '../../sandbox/postmark/sink';
import { createPowensSandbox, type PowensSandbox, type PowensSandboxOptions } from '../../sandbox/powens';
import { SEARCH_ATTRIBUTE_KEYS } from '../../workflows/search-attributes';
import { createTestDatabase, type TestDatabase } from './db';
import { localTemporal } from './temporal';

/** Steps run in order by `runCleanup` (the last started first: callers `unshift`). */
export type Cleanup = Array<() => Promise<unknown>>;

export async function runCleanup(cleanup: Cleanup): Promise<void> {
  for (const f of cleanup) await f().catch(() => undefined);
}

/** An HTTP server without a handler yet, listening on a random port of 127.0.0.1. */
export async function listening(): Promise<{ server: Server; origin: string }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

export function stopServer(server: Server): Promise<unknown> {
  const closed = new Promise((r) => server.close(r));
  server.closeAllConnections();
  return closed;
}

export type SandboxAdmin = <T = Record<string, unknown>>(
  method: string,
  path: string,
  body?: unknown,
) => Promise<{ status: number; body: T }>;

/** Calls the sandbox's admin API (`/__sandbox…`) at `origin`; the body is JSON when there is one. */
export function sandboxAdmin(origin: string): SandboxAdmin {
  return async (method, path, body) => {
    const res = await fetch(`${origin}/__sandbox${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
}

export interface PowensApiOptions {
  /** The logger's name (the logger itself is silent). */
  name: string;
  clientId: string;
  clientSecret: string;
  webhookSecret: string;
  sandbox: Pick<PowensSandboxOptions, 'seed' | 'historyDays' | 'webhookRetry'>;
  /** Further configuration variables (loadConfig). */
  env?: Record<string, string>;
  /** Registers our search attributes on the Temporal dev server (needed by a real worker). */
  searchAttributes?: boolean;
  /** Starts the Postmark mail sink with this server token, and points the configuration at it. */
  mailSinkToken?: string;
  clientRetry?: PowensClientOptions['retry'];
  rateLimits?: AppDeps['rateLimits'];
}

export interface PowensApi {
  db: TestDatabase;
  config: Config;
  logger: Logger;
  env: TestWorkflowEnvironment;
  sandbox: PowensSandbox;
  /** Origins of the API, the sandbox and (with mailSinkToken) the mail sink. */
  apiOrigin: string;
  powensOrigin: string;
  mailOrigin: string | undefined;
  admin: SandboxAdmin;
}

/** Starts the parts; each registers its stop in `cleanup` as soon as it runs. */
export async function startPowensApi(cleanup: Cleanup, opts: PowensApiOptions): Promise<PowensApi> {
  const db = await createTestDatabase();
  const pool = new Pool({ connectionString: db.url, max: 4 });
  const api = await listening();
  const powens = await listening();
  const mail = opts.mailSinkToken === undefined ? undefined : await listening();
  // Run in order at the end: stop the sandbox and Temporal, close the servers, then the database.
  cleanup.unshift(
    ...(mail ? [() => stopServer(mail.server)] : []),
    () => stopServer(powens.server),
    () => stopServer(api.server),
    () => pool.end(),
    () => db.drop(),
  );
  const env = await localTemporal(opts.searchAttributes ? { searchAttributes: SEARCH_ATTRIBUTE_KEYS } : {});
  cleanup.unshift(() => env.teardown());
  const config = loadConfig({
    NODE_ENV: 'test',
    PUBLIC_BASE_URL: api.origin,
    POWENS_BASE_URL: `${powens.origin}/2.0`,
    POWENS_WEBVIEW_URL: `${powens.origin}/webview`,
    POWENS_CLIENT_ID: opts.clientId,
    POWENS_CLIENT_SECRET: opts.clientSecret,
    POWENS_WEBHOOK_SECRET: opts.webhookSecret,
    ...(mail ? { POSTMARK_API_URL: mail.origin, POSTMARK_SERVER_TOKEN: opts.mailSinkToken } : {}),
    ...opts.env,
  });
  // Postmark's webhooks (bounces, deliveries) reach the API as under `npm start`.
  if (mail)
    mail.server.on(
      'request',
      createMailSink({
        serverToken: opts.mailSinkToken!,
        webhook: { url: `${api.origin}/webhooks/postmark`, password: config.POSTMARK_WEBHOOK_SECRET },
      }).app,
    );
  const sandbox = createPowensSandbox({
    pool,
    clientId: opts.clientId,
    clientSecret: opts.clientSecret,
    webhookSecret: opts.webhookSecret,
    webhookUrl: `${api.origin}/powens/webhooks/{event}`,
    publicUrl: powens.origin,
    ...opts.sandbox,
  });
  powens.server.on('request', sandbox.app);
  await sandbox.ready;
  cleanup.unshift(() => sandbox.stop());

  const logger = createLogger(opts.name, 'silent');
  const client = createPowensClient({
    baseUrl: config.powensBaseUrl,
    webviewUrl: config.powensWebviewUrl,
    clientId: opts.clientId,
    clientSecret: opts.clientSecret,
    ...(opts.clientRetry ? { retry: opts.clientRetry } : {}),
  });
  const app = createApp({
    config,
    prisma: db.prisma,
    temporal: env.client,
    logger,
    powens: createPowensWebviews({ prisma: db.prisma, config, client, logger }),
    ...(opts.rateLimits ? { rateLimits: opts.rateLimits } : {}),
  });
  api.server.on('request', app);
  return {
    db,
    config,
    logger,
    env,
    sandbox,
    apiOrigin: api.origin,
    powensOrigin: powens.origin,
    mailOrigin: mail?.origin,
    admin: sandboxAdmin(powens.origin),
  };
}
