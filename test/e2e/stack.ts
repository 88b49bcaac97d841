/**
 * The whole system in one test file, wired as `npm start` does but on random ports: the API with
 * the portal, the Powens sandbox (API, webview, webhooks to the API), the mail sink with the
 * outbox sender, the Temporal dev server with the real worker (workflows and activities), and a
 * real Chromium (Debian's package, driven by playwright-core; scripts/chromium.mjs installs it).
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import type { Config } from '../../lib/config';
import type { Db } from '../../db/client';
import type { SinkMessage } from '../../sandbox/postmark/sink';
import type { PowensSandbox } from '../../sandbox/powens';
import { runCleanup, startPowensApi, type Cleanup, type SandboxAdmin } from '../support/stack';

const CLIENT_ID = '10000001';
const CLIENT_SECRET = 'e2e-client-secret';
const WEBHOOK_SECRET = 'e2e-webhook-secret-0123456789abcdef';
const SINK_TOKEN = 'e2e-postmark-token';
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const ARTIFACTS = join(__dirname, '..', 'artifacts', 'e2e');

export interface E2EStack {
  /** This test file's screenshot folder: test/artifacts/e2e/<name>/ (emptied when the stack starts). */
  artifacts: string;
  prisma: Db;
  config: Config;
  baseUrl: string;
  powensOrigin: string;
  browser: Browser;
  sandbox: PowensSandbox;
  /** Temporal (the dev server), as ops reach it: signals, queries, visibility. */
  temporal: Client;
  /** Messages the mail sink received for this address, newest first. */
  mails(to: string): Promise<SinkMessage[]>;
  admin: SandboxAdmin;
}

export function useE2EStack(name: string): E2EStack {
  const stack = { artifacts: join(ARTIFACTS, name) } as E2EStack;
  const cleanup: Cleanup = [];
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: run \`node scripts/chromium.mjs\` (npm test does it)`);
    }
    rmSync(stack.artifacts, { recursive: true, force: true });
    mkdirSync(stack.artifacts, { recursive: true });
    const { db, config, logger, env, sandbox, apiOrigin, powensOrigin, mailOrigin, admin } = await startPowensApi(
      cleanup,
      {
        name: `e2e-${name}`,
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        webhookSecret: WEBHOOK_SECRET,
        sandbox: {
          seed: 'portal-e2e',
          historyDays: 40,
          webhookRetry: { baseDelayMs: 20, maxAttempts: 3, timeoutMs: 5000 },
        },
        env: { TEMPORAL_TASK_QUEUE: 'e2e-bank-connections' },
        searchAttributes: true,
        mailSinkToken: SINK_TOKEN,
      },
    );

    const activities = createActivities({ config, prisma: db.prisma, sql: db.sql, logger });
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

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    cleanup.unshift(() => browser.close());

    Object.assign(stack, {
      prisma: db.prisma,
      config,
      baseUrl: apiOrigin,
      powensOrigin,
      browser,
      sandbox,
      temporal: env.client,
      async mails(to: string) {
        const res = await fetch(`${mailOrigin}/__sink/messages?to=${encodeURIComponent(to)}`);
        const body = (await res.json()) as SinkMessage[] | { messages: SinkMessage[] };
        return Array.isArray(body) ? body : body.messages;
      },
      admin,
    } satisfies Partial<E2EStack>);
  });
  afterAll(() => runCleanup(cleanup));
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

/**
 * Goes through the sandbox's webview as a person would (bank, terms, credentials, accounts,
 * contact), choosing the first `accounts` offered, until it leaves Powens' origin (our callback).
 * `onStep` sees each screen (screenshots). Returns how many accounts were chosen.
 */
export async function completeWebview(
  page: Page,
  opts: { powensOrigin: string; accounts: number; company: { name: string; email: string } },
  onStep: (step: number) => Promise<void> = async () => undefined,
): Promise<number> {
  let chosen = 0;
  for (let step = 0; step < 12 && page.url().startsWith(opts.powensOrigin); step++) {
    await onStep(step);
    const heading = (await page.locator('h1').first().innerText()).trim();
    if (await page.getByRole('button', { name: 'Connecteur de test' }).count()) {
      await page.getByRole('button', { name: 'Connecteur de test' }).click();
    } else if (await page.locator('#accept').count()) {
      await page.locator('#accept').check();
      await page.getByRole('button', { name: 'Accepter et continuer' }).click();
    } else if (await page.locator('#password').count()) {
      await page.locator('#login').fill('demo');
      await page.locator('#password').fill('1234');
      await page.getByRole('button', { name: 'Continuer' }).click();
    } else if (await page.locator('input[name="accounts"]').count()) {
      const boxes = page.locator('input[name="accounts"]:not([disabled])');
      const n = await boxes.count();
      if (n < opts.accounts) throw new Error(`the webview offers ${n} accounts, ${opts.accounts} wanted`);
      for (let i = 0; i < n; i++) await boxes.nth(i).setChecked(i < opts.accounts);
      chosen = opts.accounts;
      await page.getByRole('button', { name: 'Continuer' }).click();
    } else if (await page.locator('#company').count()) {
      await page.locator('#company').fill(opts.company.name);
      await page.locator('#email').fill(opts.company.email);
      await page.getByRole('button', { name: 'Continuer' }).click();
    } else if (await page.getByRole('button', { name: 'Continuer' }).count()) {
      await page.getByRole('button', { name: 'Continuer' }).click();
    } else {
      throw new Error(`unexpected webview step « ${heading} »`);
    }
    await page.waitForLoadState();
  }
  return chosen;
}
