/**
 * db/sql.ts: the pg pool of the hot path reads what Prisma writes (and the reverse) whatever
 * the process's time zone, and a transaction is all-or-nothing.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createPrismaClient, Prisma, readSql } from '../../db/client';
import { isStalePlan } from '../../db/errors';
import { createSqlPool, inTransaction, prepared, prismaSql, utcTimestamp, valuesList } from '../../db/sql';
import { useTestDatabase } from '../support/db';
import { fixture } from '../support/fixtures';

const root = join(__dirname, '..', '..');
const db = useTestDatabase();
const COMPANY = '00000000-0000-4000-8000-0000000000c1';

beforeAll(async () => {
  await db.prisma.portalAccount.create({
    data: {
      id: '00000000-0000-4000-8000-0000000000ab',
      kind: 'PRIMARY',
      rootId: '00000000-0000-4000-8000-0000000000ab',
      name: 'Cabinet',
      siren: '732829320',
      contactEmail: 'c@cabinet.test',
    },
  });
  await db.prisma.company.create({
    data: {
      id: COMPANY,
      portalAccountId: '00000000-0000-4000-8000-0000000000ab',
      rootAccountId: '00000000-0000-4000-8000-0000000000ab',
      siren: '443061841',
      name: 'Boulangerie',
      periodicityKind: 'MONTHLY',
      periodicityDay: 0,
      createdAt: new Date('2026-03-29T01:30:00.123Z'),
    },
  });
});

test('in a process far from UTC, the pool and the API reads read and write the UTC instants and days Prisma does', async () => {
  const later = '2026-10-25T00:59:59.999Z';
  const run = spawnSync(
    join(root, 'node_modules', '.bin', 'tsx'),
    [fixture('scripts', 'sql-zone.ts'), db.url, COMPANY, later],
    { cwd: root, env: { ...process.env, TZ: 'Pacific/Kiritimati' }, encoding: 'utf8' },
  );
  expect(run.stderr).toBe('');
  const out = JSON.parse(run.stdout);
  expect(out.zoneOffsetMinutes).toBe(-14 * 60); // the zone did apply to that process
  expect(out.ours).toEqual({ createdAt: '2026-03-29T01:30:00.123Z', day: '2026-03-29T00:00:00.000Z' });
  // The API's reads (db/client.ts readSql), on its pool and through Prisma in a transaction: the
  // same instants and days, and a Date parameter compared as the UTC instant it is.
  const read = { createdAt: '2026-03-29T01:30:00.123Z', day: '2026-03-29T00:00:00.000Z', same: true };
  expect(out.readSql).toEqual({ pool: read, planOnce: read, transaction: read });
  // pg's own parsers read the same text in the process's zone: what the pool must not do.
  expect(out.plain.createdAt).toBe('2026-03-28T11:30:00.123Z');
  const back = await db.prisma.company.findUniqueOrThrow({ where: { id: COMPANY } });
  expect(back.createdAt.toISOString()).toBe(later);
  // And in this process too.
  const { rows } = await db.sql.query<{ createdAt: Date }>(`SELECT "createdAt" FROM "Company" WHERE id = $1::uuid`, [
    COMPANY,
  ]);
  expect(rows[0]!.createdAt.toISOString()).toBe(later);
});

test('a transaction that throws writes nothing; one that returns is committed', async () => {
  const insert = (tx: { query: (t: string, v: unknown[]) => Promise<unknown> }, id: string) =>
    tx.query(
      `INSERT INTO "Notification" (id, "portalAccountId", kind, title, body, "createdAt")
       VALUES ($1::uuid, '00000000-0000-4000-8000-0000000000ab', 'INFO', 'Titre', 'Corps', $2::timestamp)`,
      [id, utcTimestamp(new Date())],
    );
  await expect(
    inTransaction(db.sql, async (tx) => {
      await insert(tx, '00000000-0000-4000-8000-0000000000d1');
      throw new Error('après la première écriture');
    }),
  ).rejects.toThrow('après la première écriture');
  await inTransaction(db.sql, (tx) => insert(tx, '00000000-0000-4000-8000-0000000000d2'));
  const ids = (await db.prisma.notification.findMany({ select: { id: true } })).map((n) => n.id);
  expect(ids).toEqual(['00000000-0000-4000-8000-0000000000d2']);
  // The pool is still usable after the rollback.
  expect((await db.sql.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
});

test('the same query through a Prisma transaction (prismaSql) reads the same values', async () => {
  const text = `SELECT id::text, "createdAt", 12.5::numeric(20,4)::text AS amount FROM "Company" WHERE id = ANY($1::uuid[])`;
  const values = [[COMPANY]];
  const viaPg = (await db.sql.query(text, values)).rows;
  const viaPrisma = await db.prisma.$transaction(async (tx) => (await prismaSql(tx).query(text, values)).rows);
  expect(viaPrisma).toEqual(viaPg);
  expect(viaPg).toHaveLength(1);
});

test('a prepared query is parsed once per connection, survives a rolled-back transaction, and runs unnamed through Prisma', async () => {
  const text = `SELECT id::text, name FROM "Company" WHERE id = $1::uuid`;
  const query = prepared(text);
  expect(prepared(text).name).toBe(query.name); // the same name in every process
  expect(prepared(`${text} AND active`).name).not.toBe(query.name);
  const client = await db.sql.connect();
  try {
    const onThisConnection = async () =>
      (
        await client.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_prepared_statements WHERE name = $1 AND NOT from_sql`,
          [query.name],
        )
      ).rows[0]!.n;
    expect(await onThisConnection()).toBe(0);
    expect((await client.query(query, [COMPANY])).rows).toEqual([{ id: COMPANY, name: 'Boulangerie' }]);
    expect((await client.query(query, ['00000000-0000-4000-8000-0000000000c2'])).rows).toEqual([]);
    expect(await onThisConnection()).toBe(1);
    // A transaction that fails after using it: rolled back, the statement is still there and runs.
    await client.query('BEGIN');
    await client.query(query, [COMPANY]);
    await expect(client.query('SELECT 1/0')).rejects.toThrow('division by zero');
    await client.query('ROLLBACK');
    expect((await client.query(query, [COMPANY])).rows).toHaveLength(1);
    expect(await onThisConnection()).toBe(1);
  } finally {
    client.release();
  }
  const viaPrisma = await db.prisma.$transaction(async (tx) => (await prismaSql(tx).query(query, [COMPANY])).rows);
  expect(viaPrisma).toEqual([{ id: COMPANY, name: 'Boulangerie' }]);
});

test('valuesList numbers the parameters row by row, with the casts', () => {
  expect(
    valuesList(
      [
        ['a', 1],
        ['b', 2],
      ],
      ['uuid', null],
      3,
    ),
  ).toEqual({ text: '($3::uuid, $4), ($5::uuid, $6)', values: ['a', 1, 'b', 2] });
});

test('a read planned once keeps one generic plan per session; the other reads are planned for their values; $disconnect ends both pools', async () => {
  const app = `plan-once-${process.pid}`;
  const prisma = createPrismaClient(db.url, { max: 1, sessionSettings: { application_name: app } });
  const sessions = async () =>
    (
      await db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1`, [
        app,
      ])
    ).rows[0]!.n;
  try {
    const byId = (id: string) => Prisma.sql`SELECT id::text, name FROM "Company" WHERE id = ${id}::uuid`;
    const name = prepared(byId(COMPANY).text).name;
    // Six calls: PostgreSQL's own choice would plan the first five for their values.
    for (const id of [COMPANY, '00000000-0000-4000-8000-0000000000c2', COMPANY, COMPANY, COMPANY, COMPANY])
      expect(await readSql(prisma, byId(id), { planOnce: true })).toEqual(
        id === COMPANY ? [{ id: COMPANY, name: 'Boulangerie' }] : [],
      );
    const plans = Prisma.sql`SELECT generic_plans::int AS generic, custom_plans::int AS custom
      FROM pg_prepared_statements WHERE name = ${name}`;
    expect(await readSql(prisma, plans, { planOnce: true })).toEqual([{ generic: 6, custom: 0 }]);
    // The same read unnamed, on the other pool: no statement kept there, planned at each call.
    expect(await readSql(prisma, byId(COMPANY))).toEqual([{ id: COMPANY, name: 'Boulangerie' }]);
    expect(await readSql(prisma, Prisma.sql`SELECT count(*)::int AS n FROM pg_prepared_statements`)).toEqual([
      { n: 0 },
    ]);
    expect(await sessions()).toBe(2);
  } finally {
    await prisma.$disconnect();
    await prisma.$disconnect(); // twice: nothing more to end
  }
  // Both pools' sessions closed (a backend leaves pg_stat_activity as it exits: a moment after).
  for (let i = 0; i < 50 && (await sessions()) > 0; i++) await new Promise((r) => setTimeout(r, 100));
  expect(await sessions()).toBe(0);
});

test('a read planned once survives a migration that changes a column it reads: the stale session is dropped, the read runs again', async () => {
  await db.sql.query(`CREATE TABLE plan_once_probe (x int NOT NULL)`);
  await db.sql.query(`INSERT INTO plan_once_probe VALUES (1), (2)`);
  const prisma = createPrismaClient(db.url, { max: 1 });
  try {
    const read = () =>
      readSql<{ x: unknown; pid: number }>(
        prisma,
        Prisma.sql`SELECT x, pg_backend_pid() AS pid FROM plan_once_probe WHERE x > ${0} ORDER BY x`,
        { planOnce: true },
      );
    const before = await read();
    expect(before.map((r) => r.x)).toEqual([1, 2]);
    await db.sql.query(`ALTER TABLE plan_once_probe ALTER COLUMN x TYPE bigint`);
    const after = await read();
    expect(after.map((r) => r.x)).toEqual(['1', '2']); // bigint, as pg reads it
    expect(after[0]!.pid).not.toBe(before[0]!.pid); // the stale session replaced
    expect((await read()).map((r) => r.x)).toEqual(['1', '2']);
  } finally {
    await prisma.$disconnect();
    await db.sql.query(`DROP TABLE plan_once_probe`);
  }
});

test('the worker’s prepared read after such a migration fails once, and its session with it: the retried activity reads on a new one', async () => {
  // The worker's pool (worker/main.ts) runs the collection's connection read as a named statement
  // (activities/collect.ts CONNECTION_READ): pg-pool's query hands its session back with the error,
  // which ends it, so the stale statement dies with the failed attempt that Temporal retries.
  await db.sql.query(`CREATE TABLE prepared_probe (x int NOT NULL)`);
  await db.sql.query(`INSERT INTO prepared_probe VALUES (1), (2)`);
  const pool = createSqlPool(db.url, { max: 1 });
  const read = () =>
    pool.query<{ x: unknown; pid: number }>(
      prepared(`SELECT x, pg_backend_pid() AS pid FROM prepared_probe WHERE x > $1 ORDER BY x`),
      [0],
    );
  try {
    const before = (await read()).rows;
    expect(before.map((r) => r.x)).toEqual([1, 2]);
    await db.sql.query(`ALTER TABLE prepared_probe ALTER COLUMN x TYPE bigint`);
    const failed = await read().then(
      () => null,
      (e: unknown) => e,
    );
    expect(isStalePlan(failed)).toBe(true);
    const after = (await read()).rows;
    expect(after.map((r) => r.x)).toEqual(['1', '2']);
    expect(after[0]!.pid).not.toBe(before[0]!.pid);
  } finally {
    await pool.end();
    await db.sql.query(`DROP TABLE prepared_probe`);
  }
});
