/**
 * The sandbox's own small PostgreSQL helpers (it shares no database code with the application it
 * stands in front of).
 */
import type { Pool, PoolClient } from 'pg';

/** Runs `work` in one transaction on one pooled connection: committed if it returns, else rolled back. */
export async function inTransaction<T>(pool: Pool, work: (tx: PoolClient) => Promise<T>): Promise<T> {
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
 * A connection closed under the pool (PostgreSQL stopping first on Ctrl-C, a terminated backend),
 * idle or checked out, is reported to `onError` and released as broken, instead of the unhandled
 * 'error' event that would end the process; the next query opens a new connection.
 */
export function survivePoolErrors<P extends Pool>(pool: P, onError: (err: Error) => void): P {
  const checkedOut = new WeakSet<PoolClient>();
  const lost = new WeakSet<PoolClient>();
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
