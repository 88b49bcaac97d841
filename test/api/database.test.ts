/**
 * api/database.ts: every session of the API's pool, whether Prisma or a plain read takes it,
 * runs without PostgreSQL's parallel workers; other clients keep the server's default.
 */
import { createApiDatabase } from '../../api/database';
import { createPrismaClient, Prisma, readSql } from '../../db/client';
import { useTestDatabase } from '../support/db';

const db = useTestDatabase();

const setting = Prisma.sql`SELECT current_setting('max_parallel_workers_per_gather') AS value`;

test("the API's sessions run without parallel workers, on its pool and through Prisma", async () => {
  const api = createApiDatabase(db.url, { max: 2 });
  const other = createPrismaClient(db.url, { max: 1 });
  try {
    // Both of the pool's connections: two reads at once take one each.
    const reads = await Promise.all([
      readSql<{ value: string }>(api, setting),
      readSql<{ value: string }>(api, setting),
    ]);
    expect(reads.map((r) => r[0]!.value)).toEqual(['0', '0']);
    expect(await api.$queryRaw<Array<{ value: string }>>(setting)).toEqual([{ value: '0' }]);
    expect(await api.$transaction((tx) => readSql<{ value: string }>(tx, setting))).toEqual([{ value: '0' }]);
    const [theirs] = await readSql<{ value: string }>(other, setting);
    expect(theirs!.value).not.toBe('0');
  } finally {
    await api.$disconnect();
    await other.$disconnect();
  }
});
