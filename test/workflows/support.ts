/**
 * The bank-connection workflow for real: Temporal's time-skipping test server, the worker's real
 * activities over a test PostgreSQL, and the Powens sandbox in-process (its own database).
 *
 * One clock: the sandbox's clock follows Temporal's. Before every activity runs, the sandbox clock
 * is moved to the time the workflow scheduled it (workflow time; a local activity's, the test
 * server's time while its workflow task runs), and Powens' own daily syncs that
 * fell due meanwhile run each at its own due time, as they would have at Powens while the time was
 * skipped (so a connection keeps Powens' hour of the day, not ours). Tests call `catchUp()` before
 * acting on the sandbox themselves.
 *
 * Dates: a harness starts at a fixed instant (`startAt`, default DEFAULT_START), never at the day
 * the tests run: the time-skipping server is started at that instant (our launcher's
 * `--start-time`, scripts/tools/temporal-test-server) and the sandbox clock with it.
 */
import { randomInt } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Context } from '@temporalio/activity';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities, type Activities } from '../../activities';
import { createApp } from '../../api/app';
import { createPowensClientFromConfig, createPowensWebviews } from '../../api/powens-webviews';
import { encryptToken } from '../../integrations/powens';
import { createPowensPort } from '../../integrations/powens/port';
import { loadConfig, type Config } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import type { Db } from '../../db/client';
import type { SqlPool } from '../../db/sql';
import { Prisma } from '../../db/client';
import type { PeriodicityInput, PeriodicityKind } from '../../domain/periodicity';
import { bankConnectionWorkflow } from '../../workflows/bank-connection';
import { connectionWorkflowId, type ConnectionWorkflowInput } from '../../workflows/messages';
import { SEARCH_ATTRIBUTE_KEYS } from '../../workflows/search-attributes';
import {
  CLIENT_ID,
  CLIENT_SECRET,
  connectUser,
  startSandbox,
  WEBHOOK_SECRET,
  type RunningSandbox,
} from '../powens/support';
import { createTestDatabase } from '../support/db';
import { waitUntilWorkflowIdle } from '../support/workflow-idle';
import { timeSkippingTemporal } from '../support/temporal';

/** Where a harness's time starts unless a test says otherwise: a fixed instant, never "today". */
export const DEFAULT_START = '2027-01-27T09:00:00Z';

/**
 * Start instants that put the tests' first weeks across the calendar's edge cases: a year end, the
 * end of January into a common February, a leap February, and both DST changes in Paris.
 */
export const START_DATES = [
  '2026-12-29T09:00:00Z', // year end, then January's end
  '2027-01-27T09:00:00Z', // 31 January, a 28-day February
  '2027-03-25T09:00:00Z', // spring DST (28 March 2027), then 31 March
  '2027-10-28T09:00:00Z', // autumn DST (31 October 2027), month end the same night
  '2028-02-24T09:00:00Z', // 29 February 2028
] as const;

export interface HarnessOptions {
  historyDays?: number;
  /** ISO instant at which Temporal's (and the sandbox's) time starts. */
  startAt?: string;
}

export const quietLogger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

export interface Harness {
  env: TestWorkflowEnvironment;
  powens: RunningSandbox;
  prisma: Db;
  /** Plain SQL (pg) on the same database, as the worker's senders use it. */
  sql: SqlPool;
  config: Config;
  activities: Activities;
  bundle: WorkflowBundleWithSourceMap;
  taskQueue: string;
  /** The API (portal, webhooks, callback, link pages) on a random port, on Temporal's clock. */
  apiUrl: string;
  /** Sets the sandbox clock to Temporal's time and runs Powens' due daily syncs. */
  catchUp(): Promise<void>;
  /**
   * Powens delivers its pending webhooks (signed, by HTTP) to our endpoint, as it does a moment
   * after each sync; returns how many our endpoint accepted.
   */
  deliverWebhooks(): Promise<number>;
  newWorker(opts?: { activities?: object; taskQueue?: string }): Promise<Worker>;
  makeConnection(opts?: ConnectionOptions): Promise<TestConnection>;
  start(c: TestConnection, input?: Partial<ConnectionWorkflowInput>): Promise<ReturnType<typeof startHandle>>;
  /** Ends a test's connection: its workflow is terminated and Powens forgets it (no more daily syncs). */
  retire(c: TestConnection): Promise<void>;
  close(): Promise<void>;
}

export interface ConnectionOptions {
  periodicity?: PeriodicityInput;
  autoLinks?: boolean;
  companyEmail?: string | null;
  accounts?: string[];
}

export interface TestConnection {
  id: string;
  companyId: string;
  portalAccountId: string;
  powensConnectionId: number;
  token: string;
  accounts: Array<{ id: string; powensAccountId: number }>;
}

function startHandle(env: TestWorkflowEnvironment, workflowId: string) {
  return env.client.workflow.getHandle<typeof bankConnectionWorkflow>(workflowId);
}

/**
 * Waits until the workflow has nothing in flight, as its own history and pending activities say
 * (test/support/workflow-idle.ts): what skipped time made due has really run (activities run in
 * real time).
 */
export async function settleWorkflow(handle: ReturnType<typeof startHandle>): Promise<void> {
  await waitUntilWorkflowIdle(handle);
}

/** A SIREN with a valid Luhn key (companies are unique per SIREN in a tree). */
function randomSiren(): string {
  const digits = Array.from({ length: 8 }, () => randomInt(10));
  for (let check = 0; check < 10; check++) {
    const all = [...digits, check];
    const sum = all.reduce((acc, d, i) => {
      const v = i % 2 === 1 ? d * 2 : d;
      return acc + (v > 9 ? v - 9 : v);
    }, 0);
    if (sum % 10 === 0) return all.join('');
  }
  throw new Error('unreachable');
}

/**
 * The test file's harness with one worker running, started before its tests and stopped after
 * them; `use` receives the harness once it is up.
 */
export function useRunningHarness(opts: HarnessOptions, use: (h: Harness) => void): void {
  let h: Harness | undefined;
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  beforeAll(async () => {
    h = await startHarness(opts);
    use(h);
    worker = await h.newWorker();
    running = worker.run();
  });
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await h?.close();
  });
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const startAt = opts.startAt ?? DEFAULT_START;
  const env = await timeSkippingTemporal({ extraArgs: ['--start-time', startAt] });
  await env.connection.operatorService.addSearchAttributes({
    namespace: 'default',
    searchAttributes: Object.fromEntries(
      SEARCH_ATTRIBUTE_KEYS.map((k) => [k.name, encodeSearchAttributeIndexedValueType(k.type)!]),
    ),
  });
  const powens = await startSandbox({ historyDays: opts.historyDays ?? 40 });
  powens.pool.on('error', () => undefined); // connections cut when the test database is dropped
  await powens.sandbox.context.setClockOffset((await env.currentTimeMs()) - Date.now());
  const db = await createTestDatabase();
  const taskQueue = 'bank-connections-test';
  // The API: Powens' webhooks reach the workflows through it, companies use links through it.
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    PUBLIC_BASE_URL: apiUrl,
    POWENS_BASE_URL: powens.baseUrl,
    POWENS_WEBVIEW_URL: powens.webviewUrl,
    POWENS_CLIENT_ID: CLIENT_ID,
    POWENS_CLIENT_SECRET: CLIENT_SECRET,
    POWENS_WEBHOOK_SECRET: WEBHOOK_SECRET,
    TEMPORAL_TASK_QUEUE: taskQueue,
  });
  const apiLogger = createLogger('api-test', 'silent');
  const app = createApp({
    config,
    prisma: db.prisma,
    temporal: env.client,
    logger: apiLogger,
    powens: createPowensWebviews({
      prisma: db.prisma,
      config,
      client: createPowensClientFromConfig(config, apiLogger),
      logger: apiLogger,
    }),
    // Links are dated by the workflows, on Temporal's clock (the sandbox's follows it).
    clock: () => powens.sandbox.now(),
  });
  server.on('request', app);
  await powens.sandbox.context.setWebhookUrl(`${apiUrl}/powens/webhooks/{event}`);
  const real = createActivities({
    config,
    prisma: db.prisma,
    sql: db.sql,
    logger: createLogger('test', 'silent'),
    powens: createPowensPort({
      baseUrl: powens.baseUrl,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      retry: { baseDelayMs: 5, maxDelayMs: 20 },
    }),
  });

  // Serialised: two activities must not move the clock or run syncs concurrently.
  let clockChain: Promise<void> = Promise.resolve();
  const moveClockTo = (ms: number) => {
    const step = clockChain.then(async () => {
      await powens.sandbox.advanceClock(new Date(ms));
    });
    clockChain = step.catch(() => undefined);
    return step;
  };
  const activities = Object.fromEntries(
    Object.entries(real).map(([name, fn]) => [
      name,
      async (...args: unknown[]) => {
        // A local activity runs inside its workflow task, scheduled by the worker on the machine's
        // clock: the workflow's time is the test server's, which does not skip while that task runs.
        const { isLocal, currentAttemptScheduledTimestampMs } = Context.current().info;
        await moveClockTo(isLocal ? await env.currentTimeMs() : currentAttemptScheduledTimestampMs);
        return (fn as (...a: unknown[]) => unknown)(...args);
      },
    ]),
  ) as Activities;

  const bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: quietLogger });
  const root = await db.prisma.portalAccount.create({
    data: {
      kind: 'PRIMARY',
      rootId: '00000000-0000-4000-8000-000000000001',
      name: 'Cabinet Dupont',
      siren: '732829320',
      contactEmail: 'contact@cabinet-dupont.test',
      receptionMode: 'ACCOUNT_MAILBOX',
    },
  });
  await db.prisma.portalAccount.update({ where: { id: root.id }, data: { rootId: root.id } });

  const harness: Harness = {
    env,
    powens,
    prisma: db.prisma,
    sql: db.sql,
    config,
    activities,
    bundle,
    taskQueue,
    apiUrl,
    async catchUp() {
      await moveClockTo(await env.currentTimeMs());
    },
    async deliverWebhooks() {
      await clockChain;
      const results = await powens.sandbox.flushWebhooks();
      return results.filter((r) => r.status === 200).length;
    },
    newWorker(o = {}) {
      return Worker.create({
        connection: env.nativeConnection,
        taskQueue: o.taskQueue ?? taskQueue,
        workflowBundle: bundle,
        activities: o.activities ?? activities,
      });
    },
    async makeConnection(o = {}) {
      await harness.catchUp();
      const now = new Date(await env.currentTimeMs());
      const user = await connectUser(powens, { accounts: o.accounts ?? ['checking'] });
      const remote = await user.client.listAccounts(user.token, { connectionId: user.connectionId });
      const company = await db.prisma.company.create({
        data: {
          portalAccountId: root.id,
          rootAccountId: root.id,
          siren: randomSiren(),
          name: 'Boulangerie Martin',
          email: o.companyEmail === undefined ? 'gerant@boulangerie-martin.test' : o.companyEmail,
          periodicityKind: (o.periodicity?.kind ?? 'MONTHLY') as PeriodicityKind,
          periodicityDay: o.periodicity ? (o.periodicity.day ?? null) : 0,
          periodicityMonth: o.periodicity?.month ?? null,
          autoLinks: o.autoLinks ?? true,
          powensUserId: user.userId,
          powensTokenEnc: encryptToken(user.token, config.ENCRYPTION_KEY),
        },
      });
      const connection = await db.prisma.bankConnection.create({
        data: {
          companyId: company.id,
          portalAccountId: company.portalAccountId,
          powensConnectionId: user.connectionId,
          connectorName: 'Connecteur de test',
        },
      });
      const accounts = [];
      for (const a of remote) {
        const row = await db.prisma.bankAccount.create({
          data: {
            connectionId: connection.id,
            companyId: company.id,
            portalAccountId: company.portalAccountId,
            powensAccountId: a.id,
            iban: a.iban ?? null,
            label: a.name,
            type: a.type,
            currency: a.currency?.id ?? 'EUR',
            activatedAt: now,
            balance: a.balance === null || a.balance === undefined ? null : new Prisma.Decimal(a.balance),
          },
        });
        accounts.push({ id: row.id, powensAccountId: a.id });
      }
      return {
        id: connection.id,
        companyId: company.id,
        portalAccountId: root.id,
        powensConnectionId: user.connectionId,
        token: user.token,
        accounts,
      };
    },
    async start(c, input = {}) {
      await env.client.workflow.start(bankConnectionWorkflow, {
        workflowId: connectionWorkflowId(c.id),
        taskQueue,
        args: [{ connectionId: c.id, ...input }],
      });
      return startHandle(env, connectionWorkflowId(c.id));
    },
    async retire(c) {
      // Inactive here first: Powens' webhooks still pending for it are then ignored by our endpoint.
      await db.prisma.bankConnection.update({ where: { id: c.id }, data: { active: false } });
      await startHandle(env, connectionWorkflowId(c.id))
        .terminate('test over')
        .catch(() => undefined);
      await powens.admin('DELETE', `/connections/${c.powensConnectionId}`);
    },
    async close() {
      await new Promise((r) => server.close(r));
      server.closeAllConnections();
      await env.teardown();
      await powens.close();
      await db.drop();
    },
  };
  return harness;
}
