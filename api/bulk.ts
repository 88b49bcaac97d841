/**
 * Bulk inserts for the company import (up to 50 000 rows per table): one INSERT … SELECT FROM
 * unnest(arrays) per chunk, far cheaper than createMany's per-row bind parameters. Dates are sent
 * as ISO strings (UTC), as Prisma stores `timestamp(3)` values.
 */
import type { Prisma } from '../db/client';

export type Column = readonly [name: string, pgType: string];

export async function bulkInsert(
  tx: Prisma.TransactionClient,
  table: string,
  columns: readonly Column[],
  rows: unknown[][],
  chunk = 10_000,
): Promise<void> {
  const sql = `INSERT INTO "${table}" (${columns.map(([n]) => `"${n}"`).join(', ')}) SELECT * FROM unnest(${columns
    .map(([, t], i) => `$${i + 1}::${t}[]`)
    .join(', ')})`;
  for (let start = 0; start < rows.length; start += chunk) {
    const part = rows.slice(start, start + chunk);
    const params = columns.map((_, i) => part.map((r) => toParam(r[i])));
    await tx.$executeRawUnsafe(sql, ...params);
  }
}

function toParam(v: unknown): unknown {
  if (v === undefined) return null;
  if (v instanceof Date) return v.toISOString();
  if (v !== null && typeof v === 'object') return JSON.stringify(v);
  return v;
}
