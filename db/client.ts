/** The Prisma client, through the pg driver adapter (no native query engine). */
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { prismaSql, survivePoolErrors, types, utcTimestamp, type PoolErrorHandler } from './sql';
import { PrismaClient, type Prisma } from '../prisma/generated/prisma/client';

export { Prisma } from '../prisma/generated/prisma/client';
export type * from '../prisma/generated/prisma/client';

/**
 * The pool is ours (pg, as db/sql.ts makes them), so that a lost connection, idle or held by
 * an interactive transaction, is reported to `onError`, never ends the process and never keeps its
 * pool slot (`survivePoolErrors`); the next query opens a new one. `$disconnect()` ends the pool.
 */
export function createPrismaClient(
  databaseUrl: string,
  opts: {
    max?: number;
    onError?: PoolErrorHandler;
    /** PostgreSQL settings of every session the pool opens (`-c name=value` at connection). */
    sessionSettings?: Record<string, string | number>;
  } = {},
): PrismaClient {
  const settings = Object.entries(opts.sessionSettings ?? {});
  const pool = survivePoolErrors(
    new pg.Pool({
      connectionString: databaseUrl,
      max: opts.max ?? 10,
      ...(settings.length ? { options: settings.map(([k, v]) => `-c ${k}=${v}`).join(' ') } : {}),
    }),
    opts.onError ?? (() => undefined),
  );
  const client = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  pools.set(client, pool);
  return client;
}

/** Each client's own pool (createPrismaClient), for the reads that bypass Prisma (readSql). */
const pools = new WeakMap<object, pg.Pool>();

/**
 * A read the API makes on every request, sent by pg on the client's own pool instead of Prisma's
 * `$queryRaw` (its request pipeline costs about twice pg's CPU per call, bench/RESULTS.md "api").
 * The rows are typed as `$queryRaw` types them for what both read alike: uuid, enum and text as
 * strings, int4 as numbers, text[] as arrays, `timestamp` and `date` as UTC Dates; numeric and
 * bigint come as text here (Decimal and BigInt from Prisma): cast them in the SQL. Date parameters
 * are sent as UTC text (pg would format them in the process's time zone). A transaction's client,
 * or a client made elsewhere, has no pool of its own here: the query then goes through Prisma.
 */
export async function readSql<R extends object>(
  prisma: PrismaClient | Prisma.TransactionClient,
  query: Prisma.Sql,
): Promise<R[]> {
  const values = query.values.map((v) => (v instanceof Date ? utcTimestamp(v) : v));
  const pool = pools.get(prisma);
  if (!pool) return (await prismaSql(prisma).query<R>(query.text, values)).rows;
  return (await pool.query<R>({ text: query.text, values, types })).rows;
}

export type Db = PrismaClient;
