/**
 * Test helpers: a Powens sandbox on a random port over a real test database, a client pointed at
 * it, and small admin helpers. One sandbox per test file (its database is the file's own copy).
 */
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { Pool } from 'pg';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import type { CollectResult } from '../../activities/collect';
import { createPowensClient, encryptToken, type PowensClientOptions } from '../../integrations/powens';
import { createPowensPort } from '../../integrations/powens/port';
import { loadConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { createPowensSandbox, type PowensSandbox, type PowensSandboxOptions } from '../../sandbox/powens';
import { createTenant } from '../api/support';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { sandboxAdmin, type SandboxAdmin } from '../support/stack';

export const CLIENT_ID = '10000001';
export const CLIENT_SECRET = 'test-client-secret';
export const WEBHOOK_SECRET = 'test-webhook-secret-0123456789abcdef';
export const REDIRECT_URI = 'http://localhost:3000/powens/callback';

export interface RunningSandbox {
  sandbox: PowensSandbox;
  pool: Pool;
  origin: string;
  baseUrl: string;
  webviewUrl: string;
  /** Replaces the app behind the same port (a "restarted" sandbox on the same database). */
  restart(opts?: Partial<PowensSandboxOptions>): Promise<PowensSandbox>;
  client(opts?: Partial<PowensClientOptions>): ReturnType<typeof createPowensClient>;
  admin: SandboxAdmin;
  close(): Promise<void>;
}

export async function startSandbox(opts: Partial<PowensSandboxOptions> = {}): Promise<RunningSandbox> {
  const db = await createTestDatabase();
  await db.prisma.$disconnect();
  const pool = new Pool({ connectionString: db.url, max: 4 });
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const make = (extra: Partial<PowensSandboxOptions> = {}) =>
    createPowensSandbox({
      pool,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      webhookSecret: WEBHOOK_SECRET,
      seed: 'test-seed',
      historyDays: 30,
      webhookRetry: { baseDelayMs: 10, maxAttempts: 4, timeoutMs: 2000 },
      ...opts,
      ...extra,
    });
  let sandbox = make();
  let handler = sandbox.app;
  server.on('request', (req, res) => handler(req, res));
  await sandbox.ready;

  const run: RunningSandbox = {
    get sandbox() {
      return sandbox;
    },
    pool,
    origin,
    baseUrl: `${origin}/2.0`,
    webviewUrl: `${origin}/webview`,
    async restart(extra) {
      await sandbox.stop();
      sandbox = make(extra);
      handler = sandbox.app;
      await sandbox.ready;
      return sandbox;
    },
    client: (extra = {}) =>
      createPowensClient({
        baseUrl: `${origin}/2.0`,
        webviewUrl: `${origin}/webview`,
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        retry: { baseDelayMs: 5, maxDelayMs: 20 },
        ...extra,
      }),
    admin: sandboxAdmin(origin),
    async close() {
      await sandbox.stop();
      await new Promise((r) => server.close(r));
      server.closeAllConnections?.();
      await pool.end();
      await db.drop();
    },
  };
  return run;
}

/** A permanent user and a connection made through the webview (completed by the admin API). */
export async function connectUser(
  run: RunningSandbox,
  opts: { bank?: string; accounts?: string[]; website?: 'par' | 'pro' } = {},
) {
  const client = run.client();
  const user = await client.initUser();
  const { code } = await client.getTemporaryCode(user.auth_token);
  const url = client.connectUrl({ code, redirectUri: REDIRECT_URI, state: 'st-1' });
  const done = await run.admin<{ redirect: string }>('POST', '/webview/complete', {
    url,
    bank: opts.bank ?? 'Connecteur de test',
    accounts: opts.accounts ?? ['checking', 'card', 'savings'],
    credentials: { website: opts.website ?? 'pro' },
  });
  if (done.status !== 200) throw new Error(`webview/complete: ${done.status} ${JSON.stringify(done.body)}`);
  const redirect = new URL(done.body.redirect);
  const connectionId = Number(redirect.searchParams.get('connection_id'));
  return { client, token: user.auth_token, userId: user.id_user, connectionId, redirect };
}

/** Polls `read` until `done` holds (or throws after `timeoutMs`). */
export async function waitFor<T>(read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 5000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > until)
      throw new Error(`condition not met within ${timeoutMs} ms (last value ${JSON.stringify(v)})`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * A company whose connection (made in the sandbox's webview, one account) is stored in our tables,
 * and the real activities over the real Powens port: `collect` runs the collect activity as the
 * worker would (Temporal's activity context mocked); `requested` lists every URL the port called.
 */
export async function collectFixture(run: RunningSandbox, db: TestDatabase, opts: { accounts?: string[] } = {}) {
  const config = loadConfig({
    NODE_ENV: 'test',
    POWENS_BASE_URL: run.baseUrl,
    POWENS_CLIENT_ID: CLIENT_ID,
    POWENS_CLIENT_SECRET: CLIENT_SECRET,
  });
  const requested: URL[] = [];
  const activities = createActivities({
    config,
    prisma: db.prisma,
    sql: db.sql,
    logger: createLogger('test', 'silent'),
    powens: createPowensPort({
      baseUrl: run.baseUrl,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      retry: { baseDelayMs: 5, maxDelayMs: 20 },
      fetch: (input, init) => {
        requested.push(new URL(String(input)));
        return fetch(input, init);
      },
    }),
  });
  const u = await connectUser(run, { accounts: opts.accounts ?? ['Compte chèque'] });
  const [remote] = await u.client.listAccounts(u.token, { connectionId: u.connectionId });
  const tenant = await createTenant(db.prisma);
  const company = await db.prisma.company.create({
    data: {
      portalAccountId: tenant.accountId,
      rootAccountId: tenant.rootId,
      siren: '443061841',
      name: 'Boulangerie',
      periodicityKind: 'MONTHLY',
      periodicityDay: 0,
      powensUserId: u.userId,
      powensTokenEnc: encryptToken(u.token, config.ENCRYPTION_KEY),
    },
  });
  const connection = await db.prisma.bankConnection.create({
    data: { companyId: company.id, portalAccountId: company.portalAccountId, powensConnectionId: u.connectionId },
  });
  const activatedAt = run.sandbox.now();
  const account = await db.prisma.bankAccount.create({
    data: {
      connectionId: connection.id,
      companyId: company.id,
      portalAccountId: company.portalAccountId,
      powensAccountId: remote!.id,
      iban: remote!.iban,
      label: remote!.original_name ?? remote!.name,
      type: remote!.type,
      currency: 'EUR',
      activatedAt,
    },
  });
  const collect = (at: Date, forceSync = false) =>
    new MockActivityEnvironment().run(activities.collect, connection.id, {
      forceSync,
      at: at.toISOString(),
    }) as Promise<CollectResult>;
  return { u, remote: remote!, company, connection, account, activatedAt, collect, requested };
}
