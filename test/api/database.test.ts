/**
 * api/database.ts: every session of the API's pool, whether Prisma or a plain read takes it, runs
 * without PostgreSQL's parallel workers, with SSD page costs and under the API's statement timeout (other clients keep
 * the server's defaults); a statement cancelled by its timeout is answered 503, in French, whether
 * pg or Prisma sent it.
 */
import pg from 'pg';
import { API_STATEMENT_TIMEOUT_MS, createApiDatabase } from '../../api/database';
import { createPrismaClient, Prisma, readSql } from '../../db/client';
import { call, createTenant, listenApp, useApi, type Api } from './support';

const api = useApi();

const settings = Prisma.sql`SELECT current_setting('max_parallel_workers_per_gather') AS parallel,
  current_setting('random_page_cost') AS "randomPageCost", current_setting('statement_timeout') AS timeout`;
type Settings = { parallel: string; randomPageCost: string; timeout: string };

test("the API's sessions: no parallel workers, SSD page costs and its statement timeout, on its pool and through Prisma", async () => {
  const db = createApiDatabase(api.databaseUrl, { max: 2 });
  const other = createPrismaClient(api.databaseUrl, { max: 1 });
  try {
    const ours = { parallel: '0', randomPageCost: '1.1', timeout: `${API_STATEMENT_TIMEOUT_MS / 1000}s` };
    // Both of the pool's connections: two reads at once take one each.
    const reads = await Promise.all([readSql<Settings>(db, settings), readSql<Settings>(db, settings)]);
    expect(reads).toEqual([[ours], [ours]]);
    expect(await db.$queryRaw<Settings[]>(settings)).toEqual([ours]);
    expect(await db.$transaction((tx) => readSql<Settings>(tx, settings))).toEqual([ours]);
    const [theirs] = await readSql<Settings>(other, settings);
    expect(theirs).toEqual({
      parallel: expect.not.stringMatching(/^0$/),
      randomPageCost: expect.not.stringMatching(/^1\.1$/),
      timeout: '0',
    });
  } finally {
    await db.$disconnect();
    await other.$disconnect();
  }
});

test('a list interpolated twice in a read is sent once, as one parameter, on either pool and through Prisma', async () => {
  const db = createApiDatabase(api.databaseUrl, { max: 1 });
  try {
    const companies = ['b', 'a', 'c'];
    const at = new Date(Date.UTC(2024, 1, 29, 23, 30));
    const read = Prisma.sql`SELECT current_query() AS sent, cardinality(${companies}::text[]) AS page,
      (SELECT count(*)::int FROM unnest(${companies}::text[]) x WHERE x = ANY(${['a', 'c']}::text[])) AS counted,
      ${at}::timestamp AS at, ${'a'} = ANY(${companies}::text[]) AS listed`;
    type Sent = { sent: string; page: number; counted: number; at: Date; listed: boolean };
    const runs = [
      await readSql<Sent>(db, read),
      await readSql<Sent>(db, read, { planOnce: true }),
      await db.$transaction((tx) => readSql<Sent>(tx, read)),
    ];
    for (const [row] of runs) {
      // The same array: $1 each time; an equal list of its own and the other values: their own.
      expect(row!.sent).toContain('cardinality($1::text[])');
      expect(row!.sent).toContain('unnest($1::text[])');
      expect(row!.sent).toContain('ANY($2::text[])');
      expect(row!.sent).toContain('$3::timestamp');
      expect(row!.sent).toContain('$4 = ANY($1::text[])');
      expect(row).toEqual({ sent: expect.any(String), page: 3, counted: 2, at, listed: true });
    }
  } finally {
    await db.$disconnect();
  }
});

test('a statement cancelled by its timeout answers 503 in French, sent by pg or by Prisma; the next one answers', async () => {
  const firm = await createTenant(api.prisma, { name: 'Cabinet Lent' });
  // The same app on a pool whose statements time out after 300 ms, and a table held locked meanwhile.
  const slow = createPrismaClient(api.databaseUrl, { max: 2, sessionSettings: { statement_timeout: 300 } });
  const app = await listenApp({ prisma: slow, temporal: api.temporal }, { config: api.config });
  const on = { ...api, baseUrl: app.baseUrl } as Api;
  const locker = new pg.Client({ connectionString: api.databaseUrl });
  await locker.connect();
  const locked = async (table: string, run: () => Promise<void>) => {
    await locker.query('BEGIN');
    await locker.query(`LOCK TABLE "${table}" IN ACCESS EXCLUSIVE MODE`);
    try {
      await run();
    } finally {
      await locker.query('ROLLBACK');
    }
  };
  const expectTimeout = (r: { status: number; body: { title: string; detail: string } }) => {
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({
      title: 'Service Unavailable',
      detail: expect.stringContaining('La base de données n’a pas répondu à temps'),
    });
  };
  try {
    // The key's look-up (pg, readSql) waits on its table.
    await locked('ApiKey', async () => expectTimeout(await call(on, 'GET', '/api/v1/statements', { key: firm.key })));
    // The companies list (Prisma) waits on its table; the key's look-up does not.
    await locked('Company', async () => expectTimeout(await call(on, 'GET', '/api/v1/companies', { key: firm.key })));
    expect((await call(on, 'GET', '/api/v1/companies', { key: firm.key })).status).toBe(200);
    expect((await call(on, 'GET', '/api/v1/statements', { key: firm.key })).status).toBe(200);
  } finally {
    await locker.end();
    await app.close();
    await slow.$disconnect();
  }
});
