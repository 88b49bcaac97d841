/**
 * A page of collected transactions into the database, idempotent by (account, Powens id, version):
 * new ones inserted together, the bank's deletions and changes applied in one database transaction
 * (a delivered transaction keeps its row, marked deleted or changed; a changed one gets a new
 * version that is delivered again).
 */
import { randomUUID } from 'node:crypto';
import { Prisma } from '../db/client';
import { inTransaction, utcTimestamp, valuesList, type Sql, type SqlPool } from '../db/sql';
import type { PowensTransactionView } from '../integrations/powens/port';

/**
 * A page of transactions, idempotent by (account, Powens id): the latest stored version of each
 * is read at once, new ones are inserted together, deletions and changes applied in one database
 * transaction. A transaction
 * the bank deleted or changed after it was delivered keeps its delivered row (marked
 * deleted/changed, reported in the next statement's deleted-transactions CSV); a changed one gets
 * a new version that is delivered again. A page listing one transaction twice is applied in
 * order (in as many rounds).
 */
export async function upsertTransactions(
  sql: SqlPool,
  items: Array<{ bankAccountId: string; t: PowensTransactionView }>,
  at: Date,
) {
  for (let rest = items; rest.length > 0;) {
    const round: typeof items = [];
    const later: typeof items = [];
    const keys = new Set<string>();
    for (const item of rest) {
      const k = transactionKey(item.bankAccountId, item.t.id);
      (keys.has(k) ? later : round).push(item);
      keys.add(k);
    }
    rest = later;
    // Most pages only bring new transactions: then one read and one insert, with no transaction
    // around them (the insert alone is atomic; a concurrent insert of the same version fails on
    // the unique key and the activity is retried). Anything else is applied in a transaction.
    const plan = await planUpserts(sql, round, at);
    if (plan.updates === 0) {
      await insertTransactions(sql, plan.inserts);
      continue;
    }
    await inTransaction(sql, async (tx) => {
      const { inserts } = await planUpserts(tx, round, at, true);
      await insertTransactions(tx, inserts);
    });
  }
}

/**
 * Reads the latest stored version of each transaction of `round` and decides: new ones to insert,
 * and (when `apply`, inside a transaction) the deletions and changes written at once. Returns the
 * inserts and how many rows need an update or delete.
 */
async function planUpserts(
  db: Sql,
  round: Array<{ bankAccountId: string; t: PowensTransactionView }>,
  at: Date,
  apply = false,
): Promise<{ inserts: NewTransaction[]; updates: number }> {
  const { rows: stored } = await db.query<StoredTransaction>(
    `SELECT t.id::text, t."bankAccountId"::text, t."powensId"::text, t.version, t."bookingDate"::text AS "bookingDay", t.amount::text,
            t.label, t.coming, t."statementId"::text, t."deletedAt", t."changedAt"
     FROM "Transaction" t
     JOIN unnest($1::uuid[], $2::bigint[]) AS v(account, powens)
       ON t."bankAccountId" = v.account AND t."powensId" = v.powens
     ORDER BY t.version DESC`,
    [round.map((i) => i.bankAccountId), round.map((i) => String(i.t.id))],
  );
  const latest = new Map<string, StoredTransaction>();
  for (const row of stored) {
    const k = transactionKey(row.bankAccountId, row.powensId);
    if (!latest.has(k)) latest.set(k, row);
  }
  const inserts: NewTransaction[] = [];
  const atUtc = utcTimestamp(at);
  let updates = 0;
  for (const { bankAccountId, t } of round) {
    const current = latest.get(transactionKey(bankAccountId, t.id));
    const data: NewTransaction = { bankAccountId, version: 1, t };
    if (!current) {
      if (!t.deleted) inserts.push(data);
      continue;
    }
    if (current.deletedAt || current.changedAt) continue; // already archived; nothing newer to apply
    const delivered = current.statementId !== null;
    if (!t.deleted) {
      const same =
        new Prisma.Decimal(current.amount).equals(new Prisma.Decimal(t.amount)) &&
        current.bookingDay === t.date &&
        current.label === t.label &&
        current.coming === t.coming;
      if (same) continue;
    }
    updates++;
    if (!apply) continue;
    const now = utcTimestamp(new Date());
    if (t.deleted) {
      if (delivered)
        await db.query(
          `UPDATE "Transaction" SET "deletedAt" = $2::timestamp, "updatedAt" = $3::timestamp WHERE id = $1::uuid`,
          [current.id, atUtc, now],
        );
      else await db.query(`DELETE FROM "Transaction" WHERE id = $1::uuid`, [current.id]);
    } else if (!delivered) {
      await db.query(
        `UPDATE "Transaction" SET "bookingDate" = $2::date, "valueDate" = $3::date, amount = $4::numeric, label = $5,
           type = $6, coming = $7, raw = $8::jsonb, "updatedAt" = $9::timestamp
         WHERE id = $1::uuid`,
        [current.id, t.date, t.valueDate ?? null, t.amount, t.label, t.type, t.coming, JSON.stringify(t.raw), now],
      );
    } else {
      await db.query(
        `UPDATE "Transaction" SET "changedAt" = $2::timestamp, "updatedAt" = $3::timestamp WHERE id = $1::uuid`,
        [current.id, atUtc, now],
      );
      inserts.push({ ...data, version: current.version + 1 });
    }
  }
  return { inserts, updates };
}

/** New transactions (or new versions) in one statement per 2 000. */
async function insertTransactions(db: Sql, inserts: NewTransaction[]) {
  const now = utcTimestamp(new Date());
  for (let i = 0; i < inserts.length; i += 2000) {
    const rows = valuesList(
      inserts
        .slice(i, i + 2000)
        .map(({ bankAccountId, version, t }) => [
          randomUUID(),
          bankAccountId,
          String(t.id),
          version,
          t.date,
          t.valueDate ?? null,
          t.amount,
          t.label,
          t.type,
          t.coming,
          JSON.stringify(t.raw),
          now,
        ]),
      ['uuid', 'uuid', 'bigint', 'int', 'date', 'date', 'numeric', null, null, 'boolean', 'jsonb', 'timestamp'],
    );
    await db.query(
      `INSERT INTO "Transaction" (id, "bankAccountId", "powensId", version, "bookingDate", "valueDate", amount, label,
         type, coming, raw, "createdAt", "updatedAt")
       SELECT v.id, v.account, v.powens, v.version, v.booking, v.value, v.amount, v.label, v.type, v.coming, v.raw, v.now, v.now
       FROM (VALUES ${rows.text}) AS v(id, account, powens, version, booking, value, amount, label, type, coming, raw, now)`,
      rows.values,
    );
  }
}

/** The stored version of a transaction that a page is compared with. */
interface StoredTransaction {
  id: string;
  bankAccountId: string;
  powensId: string;
  version: number;
  /** YYYY-MM-DD, as Powens gives `date`. */
  bookingDay: string;
  amount: string;
  label: string;
  coming: boolean;
  statementId: string | null;
  deletedAt: Date | null;
  changedAt: Date | null;
}

/** A transaction (or a new version of one) to insert. */
interface NewTransaction {
  bankAccountId: string;
  version: number;
  t: PowensTransactionView;
}

/** A transaction's identity within a connection: its account and Powens id (any version). */
const transactionKey = (bankAccountId: string, powensId: number | string) => `${bankAccountId}/${powensId}`;
