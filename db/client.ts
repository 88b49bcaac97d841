/** The Prisma client, through the pg driver adapter (no native query engine). */
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { isStalePlan } from './errors';
import { prepared, prismaSql, survivePoolErrors, types, utcTimestamp, type PoolErrorHandler } from './sql';
import { PrismaClient, type Prisma } from '../prisma/generated/prisma/client';

export { Prisma } from '../prisma/generated/prisma/client';
export type * from '../prisma/generated/prisma/client';

/**
 * The pool is ours (pg, as db/sql.ts makes them), so that a lost connection, idle or held by
 * an interactive transaction, is reported to `onError`, never ends the process and never keeps its
 * pool slot (`survivePoolErrors`); the next query opens a new one. `$disconnect()` ends the pool,
 * and the second one, of `readSql`'s `planOnce` reads (as large, its sessions opened on first use).
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
  const newPool = (settings: Record<string, string | number>) => {
    const options = Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`);
    return survivePoolErrors(
      new pg.Pool({
        connectionString: databaseUrl,
        max: opts.max ?? 10,
        ...(options.length ? { options: options.join(' ') } : {}),
      }),
      opts.onError ?? (() => undefined),
    );
  };
  const pool = newPool(opts.sessionSettings ?? {});
  const planOnce = newPool({ ...opts.sessionSettings, plan_cache_mode: 'force_generic_plan' });
  // Both pools ended here: Prisma's adapter ends its pool only if Prisma itself queried it.
  const client = new PrismaClient({ adapter: new PrismaPg(pool) });
  const disconnect = client.$disconnect.bind(client);
  let ended: Promise<unknown> | undefined;
  client.$disconnect = async () => {
    try {
      await disconnect();
    } finally {
      await (ended ??= Promise.all([pool.end(), planOnce.end()]));
    }
  };
  pools.set(client, pool);
  planOncePools.set(client, planOnce);
  return client;
}

/** Each client's own pool (createPrismaClient), for the reads that bypass Prisma (readSql). */
const pools = new WeakMap<object, pg.Pool>();
/**
 * Each client's pool whose sessions keep one generic plan per statement (PostgreSQL's
 * `plan_cache_mode` forced): only named statements go there (readSql's `planOnce`), since an
 * unnamed one would get a generic plan built anew at each call, and worse than a custom one.
 */
const planOncePools = new WeakMap<object, pg.Pool>();

/**
 * A read the API makes on every request, sent by pg on the client's own pool instead of Prisma's
 * `$queryRaw` (its request pipeline costs about twice pg's CPU per call, bench/RESULTS.md "api").
 * The rows are typed as `$queryRaw` types them for what both read alike: uuid, enum and text as
 * strings, int4 as numbers, text[] as arrays, `timestamp` and `date` as UTC Dates; numeric and
 * bigint come as text here (Decimal and BigInt from Prisma): cast them in the SQL. Date parameters
 * are sent as UTC text (pg would format them in the process's time zone). A transaction's client,
 * or a client made elsewhere, has no pool of its own here: the query then goes through Prisma.
 *
 * `planOnce`: a statement whose best plan does not depend on its parameters' values (a look-up by
 * a unique key; a list's page walked in its index's order, no filter; a page merged from a few
 * matches: api/search-sql.ts keysetSearch) is planned once per session
 * and its plan kept: a named prepared statement (db/sql.ts `prepared`) on the client's second pool,
 * whose sessions force PostgreSQL's generic plans. PostgreSQL's own choice would re-plan such a list
 * at every call: the generic plan of `LIMIT $n` is costed for a tenth of the rows, more than the
 * custom plans of 50, and that planning was a third of PostgreSQL's CPU per list request
 * (bench/RESULTS.md, "api" 2026-12-06). Never for a search whose plan follows its values (a name,
 * a SIREN prefix, a rare state): the plan made for one would serve all.
 */
export async function readSql<R extends object>(
  prisma: PrismaClient | Prisma.TransactionClient,
  query: Prisma.Sql,
  opts: { planOnce?: boolean } = {},
): Promise<R[]> {
  const { text, values } = parameters(query);
  const generic = opts.planOnce ? planOncePools.get(prisma) : undefined;
  if (generic) return readPlannedOnce<R>(generic, { ...prepared(text), values, types });
  const pool = pools.get(prisma);
  if (!pool) return (await prismaSql(prisma).query<R>(text, values)).rows;
  return (await pool.query<R>({ text, values, types })).rows;
}

/**
 * The query's text and parameters, Dates as UTC text, and a list interpolated more than once (the
 * same array: a page's and its count's companies, in one statement) sent once, as one parameter:
 * pg wrote the 1 284 ids of a SIREN prefix twice (47 kB each), and PostgreSQL parsed them twice.
 */
function parameters(query: Prisma.Sql): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const lists = new Map<unknown[], number>();
  let text = query.strings[0]!;
  query.values.forEach((v, i) => {
    let n = Array.isArray(v) ? lists.get(v) : undefined;
    if (n === undefined) {
      n = values.push(v instanceof Date ? utcTimestamp(v) : v);
      if (Array.isArray(v)) lists.set(v, n);
    }
    text += `$${n}${query.strings[i + 1]!}`;
  });
  return { text, values };
}

/**
 * A named statement on the plan-once pool. A migration that changes a column it reads makes
 * PostgreSQL refuse it in every session that prepared it before (`cached plan must not change
 * result type`), until that session ends: such a session is dropped from the pool and the read runs
 * again on another, up to once per session the pool may hold (a new one prepares it afresh).
 */
async function readPlannedOnce<R extends object>(pool: pg.Pool, query: pg.QueryConfig): Promise<R[]> {
  for (let attempt = 0; ; attempt++) {
    const client = await pool.connect();
    let stale: Error | undefined;
    try {
      return (await client.query<R>(query)).rows;
    } catch (e) {
      if (!isStalePlan(e) || attempt >= pool.options.max) throw e;
      stale = e as Error;
    } finally {
      client.release(stale);
    }
  }
}

export type Db = PrismaClient;
