/**
 * db/errors.ts: the SQLSTATE of a real PostgreSQL error, as each layer that reaches it reports it
 * (pg, a Prisma model query through the driver adapter, a Prisma raw query), and what the API
 * reads from it (a unique violation, a statement cancelled by its timeout).
 */
import pg from 'pg';
import { isStatementTimeout } from '../../api/database';
import { isUniqueViolation } from '../../api/lookups';
import { createPrismaClient } from '../../db/client';
import { QUERY_CANCELED, sqlState, UNIQUE_VIOLATION } from '../../db/errors';
import { useTestDatabase } from '../support/db';

const db = useTestDatabase();
const ACCOUNT = '00000000-0000-4000-8000-0000000000e1';

beforeAll(async () => {
  await db.prisma.portalAccount.create({
    data: {
      id: ACCOUNT,
      kind: 'PRIMARY',
      rootId: ACCOUNT,
      name: 'Cabinet',
      siren: '732829320',
      contactEmail: 'c@x.test',
    },
  });
  await db.prisma.apiKey.create({ data: { portalAccountId: ACCOUNT, name: 'k', prefix: 'rlv_', keyHash: 'same' } });
});

const thrown = async (run: () => Promise<unknown>) => {
  try {
    await run();
  } catch (e) {
    return e;
  }
  throw new Error('no error');
};

test('a unique violation, from pg, from a Prisma model query and from a Prisma raw query', async () => {
  const insert = `INSERT INTO "ApiKey" (id, "portalAccountId", name, prefix, "keyHash") VALUES (gen_random_uuid(), $1::uuid, 'k', 'rlv_', 'same')`;
  const errors = [
    await thrown(() => db.sql.query(insert, [ACCOUNT])),
    await thrown(() =>
      db.prisma.apiKey.create({ data: { portalAccountId: ACCOUNT, name: 'k', prefix: 'rlv_', keyHash: 'same' } }),
    ),
    await thrown(() => db.prisma.$executeRawUnsafe(insert, ACCOUNT)),
  ];
  expect(errors.map((e) => isUniqueViolation(e))).toEqual([true, true, true]);
  // The raw paths carry the SQLSTATE; Prisma's model query answers with its own P2002.
  expect([sqlState(errors[0]), sqlState(errors[2])]).toEqual([UNIQUE_VIOLATION, UNIQUE_VIOLATION]);
  expect(errors.map((e) => isStatementTimeout(e))).toEqual([false, false, false]);
});

test('a statement cancelled by its timeout, from pg, from a Prisma model query and from a Prisma raw query', async () => {
  const slow = createPrismaClient(db.url, { max: 1, sessionSettings: { statement_timeout: 200 } });
  const plain = new pg.Client({ connectionString: db.url, options: '-c statement_timeout=200' });
  const locker = new pg.Client({ connectionString: db.url });
  await Promise.all([plain.connect(), locker.connect()]);
  try {
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE "ApiKey" IN ACCESS EXCLUSIVE MODE');
    const errors = [
      await thrown(() => plain.query('SELECT count(*) FROM "ApiKey"')),
      await thrown(() => slow.apiKey.findMany()),
      await thrown(() => slow.$queryRaw`SELECT count(*) FROM "ApiKey"`),
    ];
    expect(errors.map((e) => sqlState(e))).toEqual([QUERY_CANCELED, QUERY_CANCELED, QUERY_CANCELED]);
    expect(errors.map((e) => isStatementTimeout(e))).toEqual([true, true, true]);
    expect(errors.map((e) => isUniqueViolation(e))).toEqual([false, false, false]);
  } finally {
    await locker.query('ROLLBACK');
    await Promise.all([plain.end(), locker.end(), slow.$disconnect()]);
  }
});

test('what carries no SQLSTATE', () => {
  expect([undefined, null, new Error('x'), { code: 'P2002', clientVersion: '6.19.3' }].map((e) => sqlState(e))).toEqual(
    [undefined, undefined, undefined, undefined],
  );
});
