/**
 * The API's database client: Prisma on its own pg pool (db/client.ts), whose sessions run the
 * API's settings. The API serves many short searches at once (16 concurrent clients in
 * `npm run bench -- api`), not one long report:
 *  - no parallel workers: PostgreSQL would otherwise start them for a search that walks many rows,
 *    multiplying that search's CPU while the other requests wait for the cores (a SIREN-prefix
 *    search over 1 000 000 accounts: p95 2.1 s with them, 0.5 s without; bench/RESULTS.md, "api");
 *  - random pages costed as the sequential ones nearly (`random_page_cost` 1.1, PostgreSQL's advice
 *    for SSDs and for data held in memory, against its default of 4, made for spinning disks): the
 *    lists' searches stop at a page or a capped count, which a walk of index probes reaches at once,
 *    and the default cost of those probes made the planner hash a whole table instead (the
 *    bank accounts of connections in error: 20 ms a count where the probes take 1.7);
 *  - a statement timeout: a search (or an export) that would run for minutes is cancelled and
 *    answered 503 (api/app.ts `problemHandler`), instead of holding one of the pool's connections
 *    and the database's CPU while the caller has long given up.
 * The nightly worker keeps PostgreSQL's defaults.
 */
import { createPrismaClient, type Db } from '../db/client';
import { QUERY_CANCELED, sqlState } from '../db/errors';
import type { PoolErrorHandler } from '../db/sql';

/** The longest a statement of the API may run (PostgreSQL's `statement_timeout`, milliseconds). */
export const API_STATEMENT_TIMEOUT_MS = 30_000;

export const API_SESSION_SETTINGS = {
  max_parallel_workers_per_gather: 0,
  random_page_cost: 1.1,
  statement_timeout: API_STATEMENT_TIMEOUT_MS,
} as const;

/** Whether `err` is PostgreSQL cancelling a statement (its statement timeout), from pg or Prisma. */
export function isStatementTimeout(err: unknown): boolean {
  return sqlState(err) === QUERY_CANCELED;
}

export function createApiDatabase(databaseUrl: string, opts: { max?: number; onError?: PoolErrorHandler } = {}): Db {
  return createPrismaClient(databaseUrl, { ...opts, sessionSettings: API_SESSION_SETTINGS });
}
