/**
 * The whole system in one test file, wired as `npm start` does but on random ports: the API with
 * the portal, the Powens sandbox (API, webview, webhooks to the API), the mail sink with the
 * outbox sender, the Temporal dev server with the real worker (workflows and activities), and a
 * real Chromium (Debian's package, driven by playwright-core; scripts/chromium.mjs installs it).
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { Pool } from 'pg';
import { chromium, type Browser } from 'playwright-core';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { createPowensClient } from '../../activities/powens';
import { createApp } from '../../api/app';
import { createPowensWebviews } from '../../api/powens-webviews';
import { loadConfig, type Config } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import type { Db } from '../../prisma/client';
import { createMailSink, type SinkMessage } from '../../sandbox/postmark/sink';
import { createPowensSandbox, type PowensSandbox } from '../../sandbox/powens';
import { SEARCH_ATTRIBUTE_KEYS } from '../../workflows/search-attributes';
import { createTestDatabase } from '../support/db';

const CLIENT_ID = '10000001';
const CLIENT_SECRET = 'e2e-client-secret';
const WEBHOOK_SECRET = 'e2e-webhook-secret-0123456789abcdef';
const SINK_TOKEN = 'e2e-postmark-token';
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const ARTIFACTS = join(__dirname, '..', 'artifacts', 'e2e');

export interface E2EStack {
  prisma: Db;
  config: Config;
  baseUrl: string;
  powensOrigin: string;
  browser: Browser;
  sandbox: PowensSandbox;
  /** Messages the mail sink received for this address, newest first. */
  mails(to: string): Promise<SinkMessage[]>;
  admin<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }>;
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

export function useE2EStack(): E2EStack {
  const stack = {} as E2EStack;
  const cleanup: Array<() => Promise<unknown>> = [];
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: run \`node scripts/chromium.mjs\` (npm test does it)`);
    }
    rmSync(ARTIFACTS, { recursive: true, force: true });
    mkdirSync(ARTIFACTS, { recursive: true });
    const db = await createTestDatabase();
    const pool = new Pool({ connectionString: db.url, max: 4 });
    const [api, powens, mail] = [await listening(), await listening(), await listening()];
    cleanup.push(
      () => stop(mail.server),
      () => stop(powens.server),
      () => stop(api.server),
      () => pool.end(),
      () => db.drop(),
    );
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: process.env.TEMPORAL_CLI_PATH! },
        searchAttributes: SEARCH_ATTRIBUTE_KEYS,
      },
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
      POSTMARK_API_URL: mail.origin,
      POSTMARK_SERVER_TOKEN: SINK_TOKEN,
      TEMPORAL_TASK_QUEUE: 'e2e-bank-connections',
    });
    const sink = createMailSink({ serverToken: SINK_TOKEN });
    mail.server.on('request', sink.app);
    const sandbox = createPowensSandbox({
      pool,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      webhookSecret: WEBHOOK_SECRET,
      webhookUrl: `${api.origin}/powens/webhooks/{event}`,
      publicUrl: powens.origin,
      seed: 'portal-e2e',
      historyDays: 40,
      webhookRetry: { baseDelayMs: 20, maxAttempts: 3, timeoutMs: 5000 },
    });
    powens.server.on('request', sandbox.app);
    await sandbox.ready;
    cleanup.unshift(() => sandbox.stop());

    const logger = createLogger('e2e', 'silent');
    const activities = createActivities({ config, prisma: db.prisma, logger });
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      workflowsPath: require.resolve('../../workflows'),
      activities,
    });
    const running = worker.run();
    cleanup.unshift(async () => {
      worker.shutdown();
      await running.catch(() => undefined);
    });
    // The worker's outbox sender, on a short period.
    let sending = true;
    const sender = (async () => {
      while (sending) {
        await activities.sendPendingEmails(100).catch(() => undefined);
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    cleanup.unshift(async () => {
      sending = false;
      await sender;
    });

    const client = createPowensClient({
      baseUrl: config.powensBaseUrl,
      webviewUrl: config.powensWebviewUrl,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
    });
    const app = createApp({
      config,
      prisma: db.prisma,
      temporal: env.client,
      logger,
      powens: createPowensWebviews({ prisma: db.prisma, config, client, logger }),
    });
    api.server.on('request', app);

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    cleanup.unshift(() => browser.close());

    Object.assign(stack, {
      prisma: db.prisma,
      config,
      baseUrl: api.origin,
      powensOrigin: powens.origin,
      browser,
      sandbox,
      async mails(to: string) {
        const res = await fetch(`${mail.origin}/__sink/messages?to=${encodeURIComponent(to)}`);
        const body = (await res.json()) as SinkMessage[] | { messages: SinkMessage[] };
        return Array.isArray(body) ? body : body.messages;
      },
      async admin(method: string, path: string, body?: unknown) {
        const res = await fetch(`${powens.origin}/__sandbox${path}`, {
          method,
          headers: body === undefined ? {} : { 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        const text = await res.text();
        return { status: res.status, body: text ? JSON.parse(text) : undefined };
      },
    } satisfies Partial<E2EStack>);
  });
  afterAll(async () => {
    for (const f of cleanup) await f().catch(() => undefined);
  });
  return stack;
}

/** Polls until `check` returns a value (not undefined/false), or fails after `ms`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  ms = 30_000,
): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`still waiting for ${what} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
