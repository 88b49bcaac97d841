/**
 * API tests: the real app (createApp) listening on a random port, over a real PostgreSQL
 * (useTestDatabase), called with fetch. Tenants and their data are inserted with Prisma.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../../api/app';
import { settleTemporalCalls } from '../../api/temporal';
import { deriveApiKey, hashPassword } from '../../api/auth';
import type { RateLimits } from '../../api/deps';
import { loadConfig, type Config } from '../../lib/config';
import { createLogger, type Logger } from '../../lib/logger';
import type { Db } from '../../db/client';
import type { SqlPool } from '../../db/sql';
import { linkState, type LinkState } from '../../domain/links';
import { useTestDatabase } from '../support/db';

export interface Api {
  prisma: Db;
  /** The same database through pg, as the worker's activities use it. */
  sql: SqlPool;
  databaseUrl: string;
  config: Config;
  baseUrl: string;
  temporal: Client;
}

/**
 * Starts the app for the test file. `temporal` is called in beforeAll (default: an unreachable
 * server); `env` adds configuration variables (e.g. TRUST_PROXY).
 */
export function useApi(
  opts: { temporal?: () => Promise<Client>; rateLimits?: RateLimits; env?: Record<string, string> } = {},
): Api {
  const db = useTestDatabase();
  const api = {} as Api;
  let stop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    api.prisma = db.prisma;
    api.sql = db.sql;
    api.databaseUrl = db.url;
    api.config = testConfig(opts.env);
    if (opts.temporal) api.temporal = await opts.temporal();
    else {
      // Nothing listens on port 1: every Temporal call fails fast, as when Temporal is down.
      api.temporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 500 }) });
    }
    const started = await listenApp(api, { config: api.config, rateLimits: opts.rateLimits });
    api.baseUrl = started.baseUrl;
    stop = started.close;
  });
  afterAll(async () => {
    // The app stops once the signals its requests sent have settled and the Temporal calls have
    // ended (api/temporal.ts settleTemporalCalls), the connection's channel after them.
    await stop?.();
    if (!opts.temporal) await api.temporal.connection.close();
  });
  return api;
}

/** The tests' configuration: NODE_ENV=test, links at http://releves.test, plus `env`. */
export const testConfig = (env: Record<string, string> = {}) =>
  loadConfig({ NODE_ENV: 'test', PUBLIC_BASE_URL: 'http://releves.test', ...env });

/**
 * Another instance of the app over the same database (a different configuration, fresh rate
 * limits), listening on a random port of 127.0.0.1 until `close`.
 */
export async function listenApp(
  api: Pick<Api, 'prisma' | 'temporal'>,
  opts: { config: Config; rateLimits?: RateLimits; logger?: Logger },
): Promise<{ baseUrl: string; close: () => Promise<void> }> {
  const app = createApp({
    config: opts.config,
    prisma: api.prisma,
    temporal: api.temporal,
    logger: opts.logger ?? createLogger('api-test', 'silent'),
    rateLimits: opts.rateLimits,
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      await new Promise((r) => server.close(r));
      server.closeAllConnections();
      // As the API's own stop: the workflow signals its requests sent, and the Temporal calls, end first.
      await settleTemporalCalls();
    },
  };
}

export interface CallOptions {
  key?: string;
  body?: unknown;
  raw?: Buffer | string;
  headers?: Record<string, string>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface CallResult<T = any> {
  status: number;
  headers: Headers;
  body: T;
  buffer: Buffer;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function call<T = any>(
  api: Api,
  method: string,
  path: string,
  opts: CallOptions = {},
): Promise<CallResult<T>> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  let body: string | Buffer | undefined;
  if (opts.raw !== undefined) body = opts.raw;
  else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(api.baseUrl + path, { method, headers, body, redirect: 'manual' });
  const buffer = Buffer.from(await res.arrayBuffer());
  const type = res.headers.get('content-type') ?? '';
  const parsed = type.includes('json') && buffer.length ? JSON.parse(buffer.toString('utf8')) : buffer.toString('utf8');
  return { status: res.status, headers: res.headers, body: parsed as T, buffer };
}

let counter = 0;

/** Valid SIRENs (Luhn) for fixtures: 8 digits + key. */
export function siren(seed: number): string {
  const base = String(100000000 + ((seed * 7919) % 89999999)).slice(0, 8);
  for (let k = 0; k < 10; k++) {
    const s = base + k;
    if (luhn(s)) return s;
  }
  throw new Error('unreachable');
}

export function siretNic(sirenValue: string, seed = 1): string {
  for (let n = seed; n < seed + 100; n++) {
    const nic = String(n).padStart(5, '0');
    if (luhn(sirenValue + nic)) return nic;
  }
  throw new Error('no nic');
}

export function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

export interface Tenant {
  accountId: string;
  rootId: string;
  key: string;
  login: string;
  password: string;
  userId: string;
}

/** A portal account with an API key and a user with every right (or the given ones). */
export async function createTenant(
  prisma: Db,
  opts: {
    name?: string;
    parent?: Tenant;
    siren?: string;
    rights?: Array<'CONFIGURE_BANKS' | 'MANAGE_COMPANIES' | 'VIEW_STATEMENTS' | 'ADMIN'>;
  } = {},
): Promise<Tenant> {
  const n = ++counter;
  const account = await prisma.portalAccount.create({
    data: {
      kind: opts.parent ? 'SECONDARY' : 'PRIMARY',
      parentId: opts.parent?.accountId ?? null,
      rootId: opts.parent?.rootId ?? '00000000-0000-4000-8000-000000000000',
      name: opts.name ?? `Cabinet ${n}`,
      siren: opts.siren ?? siren(9000 + n),
      contactEmail: `cabinet${n}@example.test`,
      contactPhone: '0102030405',
    },
  });
  if (!opts.parent) await prisma.portalAccount.update({ where: { id: account.id }, data: { rootId: account.id } });
  const key = deriveApiKey('test-secret', `${account.id}`);
  await prisma.apiKey.create({
    data: { portalAccountId: account.id, name: 'test', prefix: key.prefix, keyHash: key.keyHash },
  });
  const login = `user${n}-${account.id.slice(0, 6)}`;
  const password = `mot-de-passe-${n}`;
  const user = await prisma.user.create({
    data: {
      portalAccountId: account.id,
      login,
      passwordHash: await hashPassword(password),
      displayName: `Utilisateur ${n}`,
      rights: opts.rights ?? ['CONFIGURE_BANKS', 'MANAGE_COMPANIES', 'VIEW_STATEMENTS', 'ADMIN'],
    },
  });
  return {
    accountId: account.id,
    rootId: opts.parent?.rootId ?? account.id,
    key: key.key,
    login,
    password,
    userId: user.id,
  };
}

/** A primary firm with two secondaries (Lyon, Lille), and an unrelated firm: the callers of the scope tests. */
export async function createFirmTree(prisma: Db) {
  const firm = await createTenant(prisma, { name: 'Cabinet Portée' });
  const lyon = await createTenant(prisma, { name: 'Agence Lyon', parent: firm });
  const lille = await createTenant(prisma, { name: 'Agence Lille', parent: firm });
  const other = await createTenant(prisma, { name: 'Cabinet Voisin' });
  return { firm, lyon, lille, other };
}

/** A company with one connection and `accounts` bank accounts, directly in the database. */
export async function createCompanyWithAccounts(
  prisma: Db,
  tenant: Tenant,
  opts: { siren?: string; name?: string; accounts?: number; state?: string | null; email?: string | null } = {},
) {
  const n = ++counter;
  const company = await prisma.company.create({
    data: {
      portalAccountId: tenant.accountId,
      rootAccountId: tenant.rootId,
      siren: opts.siren ?? siren(n * 31 + 7),
      name: opts.name ?? `Société ${n}`,
      email: opts.email === undefined ? `societe${n}@example.test` : opts.email,
      periodicityKind: 'MONTHLY',
      periodicityDay: 0,
    },
  });
  const connection = await prisma.bankConnection.create({
    data: {
      companyId: company.id,
      portalAccountId: company.portalAccountId,
      powensConnectionId: 100000 + n,
      connectorName: 'Connecteur de test',
      state: opts.state ?? null,
    },
  });
  const accounts = [];
  for (let i = 0; i < (opts.accounts ?? 1); i++) {
    accounts.push(
      await prisma.bankAccount.create({
        data: {
          connectionId: connection.id,
          companyId: company.id,
          portalAccountId: company.portalAccountId,
          powensAccountId: i + 1,
          iban: `FR76300040000${String(n).padStart(6, '0')}${i}000000${(n % 90) + 10}`.slice(0, 27),
          label: i === 0 ? 'Compte chèque' : `Livret ${i}`,
          type: 'checking',
          currency: 'EUR',
        },
      }),
    );
  }
  return { company, connection, accounts };
}

export async function createStatement(
  prisma: Db,
  bankAccountId: string,
  opts: { periodEnd?: string; state?: 'SUCCESS' | 'RUNNING' | 'FAILURE'; receivedAt?: Date } = {},
) {
  const periodEnd = opts.periodEnd ?? '2026-10-31';
  const state = opts.state ?? 'SUCCESS';
  // The database writes the statement's portal account itself (a trigger); Prisma's type wants one.
  const { company } = await prisma.bankAccount.findUniqueOrThrow({
    where: { id: bankAccountId },
    select: { company: { select: { portalAccountId: true } } },
  });
  const statement = await prisma.statement.create({
    data: {
      bankAccountId,
      portalAccountId: company.portalAccountId,
      periodStart: new Date(`${periodEnd.slice(0, 8)}01T00:00:00Z`),
      periodEnd: new Date(`${periodEnd}T00:00:00Z`),
      receivedAt: opts.receivedAt ?? new Date(),
      state,
      transactionCount: 1,
      deletedCount: 1,
      currency: 'EUR',
      openingBalance: '100.00',
      closingBalance: '90.00',
      cfonb: state === 'SUCCESS' ? new TextEncoder().encode('0130004....CFONB120\r\n') : null,
      deletedCsv:
        state === 'SUCCESS' ? new TextEncoder().encode('date;libelle;montant\r\n2026-10-02;FRAIS;-1,00\r\n') : null,
    },
  });
  await prisma.transaction.create({
    data: {
      bankAccountId,
      powensId: BigInt(Date.now() + Math.floor(Math.random() * 1e6)),
      bookingDate: new Date(`${periodEnd}T00:00:00Z`),
      amount: '-10.00',
      label: 'CB CAFE',
      type: 'card',
      raw: {},
      statementId: statement.id,
    },
  });
  await prisma.transaction.create({
    data: {
      bankAccountId,
      powensId: BigInt(Date.now() + Math.floor(Math.random() * 1e6) + 1),
      bookingDate: new Date(`${periodEnd}T00:00:00Z`),
      amount: '-1.00',
      label: 'FRAIS',
      type: 'bank',
      raw: {},
      deletedAt: new Date(),
      deletionStatementId: statement.id,
    },
  });
  return statement;
}

/**
 * Each connection's latest link as Prisma reads it (ties on `createdAt` broken by id), with the state
 * and date the lists show: the oracle of the hand-written SQL that reads it (api/page-rows.ts).
 */
export async function latestLinksOracle(
  prisma: Db,
  connectionIds: string[],
  now = new Date(),
): Promise<Map<string, { state: LinkState; at: string }>> {
  const latest = new Map<string, { state: LinkState; at: string }>();
  for (const connectionId of new Set(connectionIds)) {
    const l = await prisma.link.findFirst({
      where: { connectionId },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    });
    if (l) latest.set(connectionId, { state: linkState(l, now), at: (l.usedAt ?? l.createdAt).toISOString() });
  }
  return latest;
}

const itemIds = (items: Array<{ id: string }>) => items.map((i) => i.id);

/**
 * The list at `path` (a query string already begun), as `key` reads it, pages as `expected` (its
 * ids in order) by offset (the first page, one across the middle, the last; and pages of one) and
 * by cursor (three pages of 40 from the first), each page's `total` capped as the API caps it
 * (offset + 1 000); `each` checks every page's items too.
 */
export async function expectPages(
  api: Api,
  path: string,
  key: string,
  expected: string[],
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a list's items, whichever list
  each?: (items: Array<Record<string, any>>) => void,
) {
  const mid = Math.floor(expected.length / 2);
  for (const [limit, offset] of [
    [40, 0],
    [40, Math.max(0, mid - 3)],
    [40, Math.max(0, expected.length - 7)],
    [1, mid],
    [1, Math.max(0, expected.length - 1)],
  ] as const) {
    const r = await call(api, 'GET', `${path}&limit=${limit}&offset=${offset}`, { key });
    expect(r.status).toBe(200);
    expect(itemIds(r.body.items)).toEqual(expected.slice(offset, offset + limit));
    expect(r.body.total).toBe(Math.min(expected.length, offset + 1000));
    each?.(r.body.items);
  }
  let after: string | null = null;
  let walked: string[] = [];
  for (let page = 0; page < 3; page++) {
    const r: CallResult = await call(api, 'GET', `${path}&limit=40${after ? `&after=${after}` : ''}`, { key });
    expect(r.status).toBe(200);
    // Counted from the cursor on, as the page is read.
    expect(r.body.total).toBe(Math.min(expected.length - walked.length, 1000));
    each?.(r.body.items);
    walked = [...walked, ...itemIds(r.body.items)];
    after = r.body.nextAfter;
    if (!after) break;
  }
  expect(walked).toEqual(expected.slice(0, Math.min(expected.length, 3 * 40)));
}
