/**
 * api/search-sql.ts fewIds: the ids a select reads, deduplicated, when it reads at most `cap` rows
 * (none: an empty list), null past the cap (counted in PostgreSQL), on the pool that plans per call
 * and on the plan-once pool.
 */
import { fewIds } from '../../api/search-sql';
import { createApiDatabase } from '../../api/database';
import { Prisma } from '../../db/client';
import { useApi } from './support';

const api = useApi();

/** A select of `n` ids, each listed twice when `twice` (its `id` column, text), in a fixed order. */
const ids = (n: number, twice = false) =>
  Prisma.sql`SELECT 'id-' || (i % ${twice ? Math.ceil(n / 2) : n}) AS id FROM generate_series(1, ${n}) AS i ORDER BY i`;

test.each([false, true])(
  'at most the cap: the ids, deduplicated; past it: null (planned once: %s)',
  async (planOnce) => {
    const db = createApiDatabase(api.databaseUrl, { max: 1 });
    try {
      const read = (select: Prisma.Sql, cap: number) => fewIds(db, select, cap, { planOnce });
      expect(await read(ids(0), 3)).toEqual([]);
      expect((await read(ids(3), 3))?.sort()).toEqual(['id-0', 'id-1', 'id-2']);
      expect(await read(ids(4), 3)).toBeNull();
      expect(await read(ids(2001), 2000)).toBeNull();
      // Rows, not ids, are capped: 4 rows of 2 ids are past a cap of 3.
      expect(await read(ids(4, true), 3)).toBeNull();
      expect((await read(ids(4, true), 4))?.sort()).toEqual(['id-0', 'id-1']);
      expect(await read(ids(1), 0)).toBeNull();
      expect(await read(ids(0), 0)).toEqual([]);
    } finally {
      await db.$disconnect();
    }
  },
);
