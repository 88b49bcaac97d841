/**
 * The API and the Powens sandbox wired together as `npm start` does, for one test file: one test
 * database (our tables + the sandbox's schema), the app with the real PowensWebviews over the
 * Powens client, the sandbox delivering its webhooks to the app, and the Temporal dev server
 * (no worker: tests describe the workflows the API starts and read the signals in their history).
 */
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { Pool } from 'pg';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { createPowensClient } from '../../activities/powens';
import { createApp } from '../../api/app';
import { createPowensWebviews } from '../../api/powens-webviews';
import { loadConfig, type Config } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import type { Db } from '../../prisma/client';
import { createPowensSandbox, type PowensSandbox } from '../../sandbox/powens';
import { connectionWorkflowId } from '../../workflows/messages';
import type { Api } from '../api/support';
import { createTestDatabase } from '../support/db';
import { CLIENT_ID, CLIENT_SECRET, WEBHOOK_SECRET } from './support';

export interface Stack extends Api {
  prisma: Db;
  config: Config;
  /** Origin of the API, e.g. http://127.0.0.1:41234 */
  baseUrl: string;
  sandboxOrigin: string;
  sandbox: PowensSandbox;
  env: TestWorkflowEnvironment;
  admin<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }>;
  /** Signal names received by the connection's workflow, in order. */
  signalsOf(connectionId: string): Promise<string[]>;
}

async function listening(): Promise<{ server: Server; origin: string }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function stop(server: Server): Promise<unknown> {
  const closed = new Promise((r) => server.close(r));
  server.closeAllConnections();
  return closed;
}

export function usePowensStack(opts: { linkPages?: number } = {}): Stack {
  const stack = {} as Stack;
  let cleanup: Array<() => Promise<unknown>> = [];
  beforeAll(async () => {
    const db = await createTestDatabase();
    const pool = new Pool({ connectionString: db.url, max: 4 });
    const api = await listening();
    const powens = await listening();
    // Run in order at the end: stop the sandbox and Temporal, close the servers, then the database.
    cleanup = [() => stop(powens.server), () => stop(api.server), () => pool.end(), () => db.drop()];
    const env = await TestWorkflowEnvironment.createLocal({
      server: { executable: { type: 'existing-path', path: process.env.TEMPORAL_CLI_PATH! } },
    });
    cleanup.unshift(() => env.teardown());
    const config = loadConfig({
      NODE_ENV: 'test',
      PUBLIC_BASE_URL: api.origin,
      POWENS_BASE_URL: `${powens.origin}/2.0`,
      POWENS_WEBVIEW_URL: `${powens.origin}/webview`,
      POWENS_CLIENT_ID: CLIENT_ID,
      POWENS_CLIENT_SECRET: CLIENT_SECRET,
      POWENS_WEBHOOK_SECRET: WEBHOOK_SECRET,
    });
    const sandbox = createPowensSandbox({
      pool,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      webhookSecret: WEBHOOK_SECRET,
      webhookUrl: `${api.origin}/powens/webhooks/{event}`,
      publicUrl: powens.origin,
      seed: 'callback-tests',
      historyDays: 10,
      webhookRetry: { baseDelayMs: 10, maxAttempts: 3, timeoutMs: 5000 },
    });
    powens.server.on('request', sandbox.app);
    await sandbox.ready;
    cleanup.unshift(() => sandbox.stop());
    const logger = createLogger('powens-test', 'silent');
    const client = createPowensClient({
      baseUrl: config.powensBaseUrl,
      webviewUrl: config.powensWebviewUrl,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      retry: { baseDelayMs: 5, maxDelayMs: 20 },
    });
    const app = createApp({
      config,
      prisma: db.prisma,
      temporal: env.client,
      logger,
      powens: createPowensWebviews({ prisma: db.prisma, config, client, logger }),
      rateLimits: { linkPages: opts.linkPages ?? 1000 },
    });
    api.server.on('request', app);

    Object.assign(stack, {
      prisma: db.prisma,
      databaseUrl: db.url,
      config,
      baseUrl: api.origin,
      temporal: env.client,
      sandboxOrigin: powens.origin,
      sandbox,
      env,
      async admin(method: string, path: string, body?: unknown) {
        const res = await fetch(`${powens.origin}/__sandbox${path}`, {
          method,
          headers: body === undefined ? {} : { 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        const text = await res.text();
        return { status: res.status, body: text ? JSON.parse(text) : undefined };
      },
      async signalsOf(connectionId: string) {
        const history = await env.client.workflow.getHandle(connectionWorkflowId(connectionId)).fetchHistory();
        return (history.events ?? [])
          .map((e) => e.workflowExecutionSignaledEventAttributes?.signalName)
          .filter((n): n is string => !!n);
      },
    } satisfies Partial<Stack>);
  });
  afterAll(async () => {
    for (const f of cleanup) await f().catch(() => undefined);
  });
  return stack;
}

/** The secret of the link in the last e-mail sent to `to` (the secret itself is never stored). */
export async function linkTokenFromEmail(prisma: Db, to: string): Promise<string> {
  const email = await prisma.emailMessage.findFirstOrThrow({
    where: { to, kind: { startsWith: 'link.' } },
    orderBy: { createdAt: 'desc' },
  });
  const m = /\/l\/([A-Za-z0-9_-]+)/.exec(email.textBody);
  if (!m) throw new Error(`no link in the e-mail: ${email.textBody}`);
  return m[1]!;
}
