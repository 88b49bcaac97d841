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
import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Prisma } from '../prisma/generated/prisma/client';

/**
 * A Date as the UTC text our `timestamp` columns (no zone) hold (`$1::timestamp`): the comparison
 * or write then does not depend on the session's TimeZone, as Prisma's own writes.
 */
export const utcTimestamp = (d: Date): string => d.toISOString().replace('Z', '');

/**
 * A fixed query that PostgreSQL parses once per pooled connection and, after five executions,
 * plans once: a named prepared statement (pg's `name`, derived from the text), whose generic plan
 * PostgreSQL keeps when it costs no more than the custom ones. For the nightly path's reads keyed
 * by scalar parameters (`k.id = $1`): the connection read before each collection was planned on
 * every call, 0.33 ms of PostgreSQL a connection (bench/RESULTS.md, 2026-12-06). Of no use for a
 * key list (`= ANY($1::uuid[])`): the generic plan assumes ten elements, costs more than the custom
 * plan of the actual few, and PostgreSQL plans every call anyway (measured the same day). Not for a
 * query whose best plan depends on its values (a skewed filter). Prisma's raw queries
 * (`prismaSql`) run the text unnamed.
 */
export interface Prepared {
  readonly name: string;
  readonly text: string;
}

export function prepared(text: string): Prepared {
  return { name: `releves_${createHash('sha256').update(text).digest('hex').slice(0, 20)}`, text };
}

/** Anything that runs a parameterised query: a pool, a pooled client in a transaction, or `prismaSql(tx)`. */
export interface Sql {
  query<R extends object = Record<string, unknown>>(
    text: string | Prepared,
    values?: unknown[],
  ): Promise<{ rows: R[] }>;
}

const TIMESTAMP = 1114;
const DATE = 1082;

/** `timestamp` and `date` columns as UTC Dates (as Prisma reads them), whatever the process's time zone. */
export const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === TIMESTAMP) return (s: string) => new Date(`${s.replace(' ', 'T')}Z`);
    if (oid === DATE) return (s: string) => new Date(`${s}T00:00:00Z`);
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as pg.CustomTypesConfig;

export type SqlPool = pg.Pool;

/** Told when a pooled connection is lost (PostgreSQL restarted, the backend terminated, the network cut). */
export type PoolErrorHandler = (err: Error) => void;

const warnOnStderr: PoolErrorHandler = (err) =>
  process.stderr.write(`${JSON.stringify({ msg: 'database connection lost', err: err.message })}\n`);

/**
 * Keeps a lost connection from taking the process down, and from holding a pool slot for ever.
 * pg emits 'error' on a client whose connection dies (the server terminated its backend,
 * restarted, the network cut), and on the pool for an idle one; an 'error' event without a
 * listener ends a Node process. Here every client gets a listener from its first connect: the loss
 * is reported once per connection, and
 *  - an idle client is dropped by pg-pool itself;
 *  - a checked-out one (a transaction between two queries, a running query) is released at once
 *    as broken, so that the pool drops it and opens a new connection for the next query, and its
 *    holder's own release later does nothing: a holder may never release it otherwise (Prisma
 *    6.19's adapter does not when its ROLLBACK on the dead connection fails, which would leak one
 *    slot per lost transaction until the pool is exhausted). The holder's next query on it fails,
 *    as does the work in progress (activities are retried by Temporal, HTTP calls by their client).
 */
export function survivePoolErrors<P extends pg.Pool>(pool: P, onError: PoolErrorHandler = warnOnStderr): P {
  const checkedOut = new WeakSet<pg.PoolClient>();
  const lost = new WeakSet<pg.PoolClient>();
  pool.on('acquire', (client) => checkedOut.add(client));
  pool.on('release', (_err, client) => checkedOut.delete(client));
  pool.on('connect', (client) =>
    client.on('error', (err: Error) => {
      if (lost.has(client)) return; // the same death reported again (error message, then socket end)
      lost.add(client);
      onError(err);
      if (!checkedOut.has(client)) return;
      const release = client.release;
      client.release = () => undefined;
      release(err);
    }),
  );
  pool.on('error', () => undefined); // an idle client's loss: reported by its own listener above
  return pool;
}

export function createSqlPool(databaseUrl: string, opts: { max?: number; onError?: PoolErrorHandler } = {}): SqlPool {
  return survivePoolErrors(new pg.Pool({ connectionString: databaseUrl, max: opts.max ?? 10, types }), opts.onError);
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
    async query<R extends object>(query: string | Prepared, values: unknown[] = []) {
      return { rows: await tx.$queryRawUnsafe<R[]>(typeof query === 'string' ? query : query.text, ...values) };
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
