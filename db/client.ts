/** The Prisma client, through the pg driver adapter (no native query engine). */
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { survivePoolErrors, type PoolErrorHandler } from './sql';
import { PrismaClient } from '../prisma/generated/prisma/client';

export { Prisma } from '../prisma/generated/prisma/client';
export type * from '../prisma/generated/prisma/client';

/**
 * The pool is ours (pg, as db/sql.ts makes them), so that a lost connection, idle or held by
 * an interactive transaction, is reported to `onError`, never ends the process and never keeps its
 * pool slot (`survivePoolErrors`); the next query opens a new one. `$disconnect()` ends the pool.
 */
export function createPrismaClient(
  databaseUrl: string,
  opts: { max?: number; onError?: PoolErrorHandler } = {},
): PrismaClient {
  const pool = survivePoolErrors(
    new pg.Pool({ connectionString: databaseUrl, max: opts.max ?? 10 }),
    opts.onError ?? (() => undefined),
  );
  return new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
}

export type Db = PrismaClient;
