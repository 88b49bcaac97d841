/**
 * A dropped PostgreSQL connection is not fatal: the backends of the test database are terminated
 * (`pg_terminate_backend`, what a PostgreSQL restart or failover does to every client) while the
 * pools are idle and while they are in use; the error is reported, the next queries succeed and,
 * for the real worker and API started as child processes, the process keeps running and working.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from 'pg';
import { spawnWorker, type WorkerProcess } from '../../bench/stack';
import { freePort } from '../../lib/net';
import { startTemporalDevServer, type RunningTemporal } from '../../lib/temporal-dev-server';
import { createPrismaClient } from '../../db/client';
import { createSqlPool, inTransaction } from '../../db/sql';
import { createMailSink } from '../../sandbox/postmark/sink';
import { useTestDatabase } from '../support/db';

const db = useTestDatabase();

/** Terminates every other backend of the test database; how many. */
async function terminateBackends(): Promise<number> {
  const c = new Client({ connectionString: db.url });
  await c.connect();
  try {
    const r = await c.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
    );
    return r.rowCount ?? 0;
  } finally {
    await c.end();
  }
}

async function until(what: string, ok: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the plain-SQL pool (db/sql.ts)', () => {
  test('idle connections terminated: reported, and the next query opens a new one', async () => {
    const errors: Error[] = [];
    const pool = createSqlPool(db.url, { max: 3, onError: (e) => errors.push(e) });
    try {
      await Promise.all([pool.query('SELECT pg_sleep(0.05)'), pool.query('SELECT pg_sleep(0.05)')]);
      expect(pool.idleCount).toBe(2);
      expect(await terminateBackends()).toBeGreaterThanOrEqual(2);
      await until('both idle connections reported lost', () => errors.length >= 2);
      expect(errors[0]!.message).toMatch(/terminat/i);
      expect((await pool.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      expect(pool.totalCount).toBe(1);
    } finally {
      await pool.end();
    }
  });

  test('terminated while in use (a transaction between two queries, a running query): that work fails, the pool goes on', async () => {
    const errors: Error[] = [];
    const pool = createSqlPool(db.url, { max: 3, onError: (e) => errors.push(e) });
    try {
      const failed = inTransaction(pool, async (tx) => {
        await tx.query('SELECT 1');
        await terminateBackends();
        await until('the checked-out connection reported lost', () => errors.length >= 1);
        await tx.query('SELECT 2');
      });
      await expect(failed).rejects.toThrow();

      const running = pool.query('SELECT pg_sleep(30)');
      await until('the query running', async () => {
        const c = await db.prisma.$queryRaw<Array<{ n: bigint }>>`
          SELECT count(*) AS n FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)' AND state = 'active'`;
        return c[0]!.n > 0n;
      });
      await terminateBackends();
      await expect(running).rejects.toThrow(/terminat/i);

      const done = await inTransaction(pool, async (tx) => (await tx.query<{ n: number }>('SELECT 2 AS n')).rows[0]!.n);
      expect(done).toBe(2);
      expect(errors.length).toBeGreaterThanOrEqual(1);
    } finally {
      await pool.end();
    }
  });
});

describe('the Prisma client (db/client.ts)', () => {
  test('terminated while idle and inside an interactive transaction: reported, the next queries succeed', async () => {
    const errors: Error[] = [];
    const prisma = createPrismaClient(db.url, { max: 2, onError: (e) => errors.push(e) });
    try {
      await prisma.$queryRaw`SELECT 1`;
      await terminateBackends();
      await until('the idle connection reported lost', () => errors.length >= 1);
      expect(await prisma.$queryRaw<Array<{ one: number }>>`SELECT 1::int AS one`).toEqual([{ one: 1 }]);

      // More lost transactions than the pool has connections: none keeps its slot (Prisma's adapter
      // would not release a connection whose ROLLBACK failed), so the next query still gets one.
      for (let i = 0; i < 3; i++) {
        const seen = errors.length;
        const failed = prisma.$transaction(async (tx) => {
          await tx.$queryRaw`SELECT 1`;
          await terminateBackends();
          await until('the transaction’s connection reported lost', () => errors.length > seen);
          await tx.$queryRaw`SELECT 2`;
        });
        await expect(failed).rejects.toThrow();
      }
      expect(await prisma.portalAccount.count()).toBe(0);
    } finally {
      await prisma.$disconnect();
    }
  });
});

describe('the worker and the API processes', () => {
  let temporal: RunningTemporal | undefined;
  let sinkServer: Server | undefined;
  const children: WorkerProcess[] = [];
  const dbFile = join(tmpdir(), `releves-pool-errors-${randomBytes(4).toString('hex')}.db`);
  afterAll(async () => {
    for (const c of children) await c.kill('SIGTERM');
    await temporal?.stop();
    sinkServer?.close();
    sinkServer?.closeAllConnections();
    rmSync(dbFile, { force: true });
  });

  test('stay up through terminated backends and keep working', async () => {
    temporal = await startTemporalDevServer({
      cliPath: process.env.TEMPORAL_CLI_PATH!,
      dbFile,
      port: await freePort(),
      uiPort: await freePort(),
      namespace: 'default',
    });
    const sink = createMailSink({ serverToken: 'pool-errors-token' });
    sinkServer = await new Promise<Server>((resolve) => {
      const s = sink.app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const apiPort = await freePort();
    const env = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      DATABASE_URL: db.url,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: 'pool-errors',
      POSTMARK_API_URL: `http://127.0.0.1:${(sinkServer.address() as AddressInfo).port}`,
      POSTMARK_SERVER_TOKEN: 'pool-errors-token',
      POSTMARK_FROM: 'Relevés <releves@releves.test>',
      API_PORT: String(apiPort),
      PUBLIC_BASE_URL: `http://127.0.0.1:${apiPort}`,
    };
    const lines: string[] = [];
    const spawnLogged = (entry: string, name: string, readyMessage: string) => {
      const p = spawnWorker(entry, env, { name, readyMessage, log: () => undefined });
      for (const stream of [p.child.stdout, p.child.stderr])
        stream?.on('data', (d: Buffer) =>
          lines.push(
            ...d
              .toString()
              .split('\n')
              .map((l) => `[${name}] ${l}`),
          ),
        );
      children.push(p);
      return p;
    };
    const worker = spawnLogged('worker/main.ts', 'worker', 'worker running');
    const api = spawnLogged('api/server.ts', 'api', 'API listening');
    await Promise.all([worker.ready, api.ready]);

    let n = 0;
    /** An e-mail queued in the outbox, which the worker's sender (plain-SQL pool) sends within seconds. */
    const sendOne = async () => {
      const m = await db.prisma.emailMessage.create({
        data: {
          idempotencyKey: `pool-errors/${++n}`,
          kind: 'test.pool-errors',
          to: `destinataire${n}@example.test`,
          subject: `Message ${n}`,
          textBody: 'Bonjour',
          htmlBody: '<p>Bonjour</p>',
        },
      });
      await until(
        `e-mail ${n} sent by the worker`,
        async () => {
          for (const p of [worker, api])
            if (p.child.exitCode !== null || p.child.signalCode !== null)
              throw new Error(`a process exited:\n${lines.slice(-20).join('\n')}`);
          return (await db.prisma.emailMessage.findUniqueOrThrow({ where: { id: m.id } })).status === 'SENT';
        },
        20_000,
      );
    };
    const healthz = async () => (await fetch(`http://127.0.0.1:${apiPort}/healthz`)).status;

    await sendOne();
    expect(await healthz()).toBe(200);
    for (let round = 0; round < 3; round++) {
      // Idle pools (between two sender rounds), then while the sender is at work.
      expect(await terminateBackends()).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, round === 1 ? 0 : 1500));
      await sendOne();
      expect(await healthz()).toBe(200);
    }
    expect(worker.child.exitCode).toBeNull();
    expect(api.child.exitCode).toBeNull();
    expect(
      lines.filter((l) => l.startsWith('[worker]') && l.includes('database connection lost')).length,
    ).toBeGreaterThan(0);
  });
});
