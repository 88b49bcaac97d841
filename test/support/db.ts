/**
 * One isolated database per test file, copied from the migrated template that the global set-up
 * prepared, and dropped after the file's tests.
 */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { createPrismaClient, type Db } from '../../db/client';
import { createSqlPool, type SqlPool } from '../../db/sql';
import { withDatabase, dropDatabase } from '../../lib/postgres';

export interface TestDatabase {
  url: string;
  prisma: Db;
  /** Plain SQL (pg) on the same database, as the hot activities use it. */
  sql: SqlPool;
}

export async function createTestDatabase(): Promise<TestDatabase & { drop(): Promise<void> }> {
  const server = process.env.RELEVES_TEST_PG_SERVER;
  const template = process.env.RELEVES_TEST_TEMPLATE_DB;
  if (!server || !template) throw new Error('test database requested outside the Jest global set-up');
  const name = `test_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: withDatabase(server, 'postgres') });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(server, name);
  const prisma = createPrismaClient(url, { max: 5 });
  const sql = createSqlPool(url, { max: 5 });
  return {
    url,
    prisma,
    sql,
    async drop() {
      await prisma.$disconnect();
      await sql.end();
      await dropDatabase(url);
    },
  };
}

/** Registers beforeAll/afterAll hooks; the returned object is filled in before the first test. */
export function useTestDatabase(): TestDatabase {
  const holder = {} as TestDatabase;
  let drop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const db = await createTestDatabase();
    holder.url = db.url;
    holder.prisma = db.prisma;
    holder.sql = db.sql;
    drop = db.drop;
  });
  afterAll(async () => {
    await drop?.();
  });
  return holder;
}
