/**
 * Plain SQL through `pg`, for the nightly hot path (collect, issue statements, queue their
 * e-mails): Prisma 6.19's client engine compiles every query again in WebAssembly (no plan cache),
 * ≈ 0.5 ms of CPU each, which made half of the worker's time at fleet scale (bench/RESULTS.md).
 * The rest of the code keeps Prisma; both see the same tables (prisma/schema.prisma).
 *
 * Values read back the way Prisma reads them: `timestamp` columns (UTC, no zone) and `date`
 * columns as UTC Dates, whatever the process's time zone; numeric and bigint as text (cast them
 * where a number is meant). Writes pass instants as UTC text (`utcTimestamp`), never as Dates,
 * which pg would format in the process's time zone.
 */
import pg from 'pg';
import type { Prisma } from './client';

/**
 * A Date as the UTC text our `timestamp` columns (no zone) hold (`$1::timestamp`): the comparison
 * or write then does not depend on the session's TimeZone, as Prisma's own writes.
 */
export const utcTimestamp = (d: Date): string => d.toISOString().replace('Z', '');

/** Anything that runs a parameterised query: a pool, a pooled client in a transaction, or `prismaSql(tx)`. */
export interface Sql {
  query<R extends object = Record<string, unknown>>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
}

const TIMESTAMP = 1114;
const DATE = 1082;

const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === TIMESTAMP) return (s: string) => new Date(`${s.replace(' ', 'T')}Z`);
    if (oid === DATE) return (s: string) => new Date(`${s}T00:00:00Z`);
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as pg.CustomTypesConfig;

export type SqlPool = pg.Pool;

export function createSqlPool(databaseUrl: string, opts: { max?: number } = {}): SqlPool {
  return new pg.Pool({ connectionString: databaseUrl, max: opts.max ?? 10, types });
}

/** Runs `work` in one database transaction on one pooled connection: committed if it returns, else rolled back. */
export async function inTransaction<T>(pool: pg.Pool, work: (tx: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (e) {
    await client.query('ROLLBACK').catch((r: Error) => (broken = r));
    throw e;
  } finally {
    // A connection whose rollback failed is in an unknown state: destroyed, not reused.
    client.release(broken);
  }
}

/**
 * The same queries inside a Prisma interactive transaction (for the API's writes, which are
 * Prisma's): positional parameters as pg takes them. Prisma decodes numeric and bigint results
 * as Decimal and BigInt, so shared queries cast those to text.
 */
export function prismaSql(tx: Prisma.TransactionClient): Sql {
  return {
    async query<R extends object>(text: string, values: unknown[] = []) {
      return { rows: await tx.$queryRawUnsafe<R[]>(text, ...values) };
    },
  };
}

/**
 * `($1, $2, …), ($k, …)` and the flat parameter list, for a multi-row INSERT of `rows`, each
 * giving its values in the column order; `casts` (per column, e.g. 'uuid', 'jsonb') are appended.
 * Parameters are numbered from `from`.
 */
export function valuesList(
  rows: unknown[][],
  casts: Array<string | null> = [],
  from = 1,
): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const tuples = rows.map(
    (row) =>
      `(${row
        .map((v, i) => {
          values.push(v);
          const cast = casts[i];
          return `$${from + values.length - 1}${cast ? `::${cast}` : ''}`;
        })
        .join(', ')})`,
  );
  return { text: tuples.join(', '), values };
}
