/**
 * The API's database client: Prisma on its own pg pool (db/client.ts), whose sessions run the
 * API's settings. The API serves many short searches at once (16 concurrent clients in
 * `npm run bench -- api`), not one long report: PostgreSQL's parallel workers, which it would
 * otherwise start for a search that walks many rows, multiply the CPU of such a search while the
 * other requests wait for the cores (a SIREN-prefix search over 1 000 000 accounts: p95 2.1 s with
 * them, 0.5 s without; bench/RESULTS.md, "api"). The nightly worker keeps PostgreSQL's defaults.
 */
import { createPrismaClient, type Db } from '../db/client';
import type { PoolErrorHandler } from '../db/sql';

export const API_SESSION_SETTINGS = { max_parallel_workers_per_gather: 0 } as const;

export function createApiDatabase(databaseUrl: string, opts: { max?: number; onError?: PoolErrorHandler } = {}): Db {
  return createPrismaClient(databaseUrl, { ...opts, sessionSettings: API_SESSION_SETTINGS });
}
