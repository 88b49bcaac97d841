/**
 * Builds and stores accounts' statements (relevés): CFONB120 bytes + deleted-transactions CSV,
 * in one database transaction with the delivered transactions' links and the accounts' new
 * `collectedUntil` (the caller adds the delivery e-mails to it). Idempotent: a statement is unique
 * per (account, period end).
 *
 * What each statement covers and how its balances chain are domain/statements.ts's rules (the
 * period from the day after the previous statement, late movements booked on its first day).
 * Each statement also records what its balance checks compare (domain/balance-check.ts): the
 * previous closing balance, the bank's booked balance as last collected and the booked movements
 * dated after the period end, and whether they make a "rupture de solde"; and the IBAN and BIC it
 * was written for (camt.053 is rendered from them on demand, statement-files/).
 */
import { randomUUID } from 'node:crypto';
import { groupBy } from '../lib/group-by';
import { Prisma } from '../db/client';
import { utcTimestamp, valuesList, type Sql } from '../db/sql';
import {
  CfonbError,
  minorUnits,
  writeCfonb,
  writeDeletedTransactionsCsv,
  type StatementInput,
} from '../domain/cfonb120';
import { isBalanceBreak } from '../domain/balance-check';
import { statementIban } from '../domain/identifiers';
import { addDays, parisDate } from '../domain/schedule';
import { bookingDateIn, chainBalances, deliveryStart, nextPeriodStart, noIbanReason } from '../domain/statements';

const iso = (d: Date) => d.toISOString().slice(0, 10);

export interface BuiltStatement {
  bankAccountId: string;
  /** The statement up to the period end (null: the account is already covered past it). */
  id: string | null;
  /** Written by this call (false: it already existed). */
  created: boolean;
  /** It could not be produced: `id` is a failed statement (FAILURE, with its reason). */
  failed?: boolean;
}

interface AccountRow {
  id: string;
  iban: string | null;
  number: string | null;
  bic: string | null;
  type: string;
  label: string;
  currency: string;
  balance: string | null;
  balanceAt: Date | null;
  activatedAt: Date;
  collectedUntil: Date | null;
}

interface MovementRow {
  id: string;
  bankAccountId: string;
  powensId: string;
  bookingDate: Date;
  valueDate: Date | null;
  amount: string;
  label: string;
  type: string;
}

/** A transaction delivered earlier and since deleted or changed by the bank, with the statement it was delivered in. */
interface GoneRow {
  id: string;
  bankAccountId: string;
  bookingDate: Date;
  valueDate: Date | null;
  amount: string;
  label: string;
  deletedAt: Date | null;
  changedAt: Date | null;
  deliveredFrom: Date;
  deliveredTo: Date;
}

/**
 * The statements of several accounts up to the same period end, in the caller's transaction: the
 * given accounts, or a connection's active ones. A fixed number of queries whatever the number of
 * accounts: the accounts are locked (in id order: statement building is serialised per account,
 * as a retried activity may run concurrently) and read; then, in new snapshots that see whatever
 * a concurrent builder committed before releasing them, their statements for this period end and
 * previous closing balances, their undelivered movements and pending deletions are read, and the
 * statements, their transactions' links and the accounts' `collectedUntil` written at once.
 * Results in the order of `accounts` (by id for a connection).
 */
export async function buildStatements(
  tx: Sql,
  accounts: string[] | { connectionId: string },
  opts: { periodEnd?: string; today: Date },
): Promise<BuiltStatement[]> {
  if (Array.isArray(accounts) && accounts.length === 0) return [];
  const periodEnd = opts.periodEnd ?? parisDate(opts.today);
  const { rows: locked } = await tx.query<AccountRow>(
    `SELECT id::text, iban, number, bic, type, label, currency, balance::text, "balanceAt", "activatedAt", "collectedUntil"
     FROM "BankAccount" WHERE ${Array.isArray(accounts) ? 'id = ANY($1::uuid[])' : '"connectionId" = $1::uuid AND active'}
     ORDER BY id FOR UPDATE`,
    [Array.isArray(accounts) ? accounts : accounts.connectionId],
  );
  const bankAccountIds = Array.isArray(accounts) ? accounts : locked.map((a) => a.id);
  if (locked.length !== new Set(bankAccountIds).size)
    throw new Error(
      `bank account not found: ${bankAccountIds.filter((id) => !locked.some((a) => a.id === id)).join(', ')}`,
    );
  if (locked.length === 0) return [];
  // Each account's statement for this period end, if any (a failed one is tried again), and the
  // closing balance of its latest issued statement (it opens the next one).
  const { rows: known } = await tx.query<{ bankAccountId: string; existing: string | null; closing: string | null }>(
    `SELECT a.id::text AS "bankAccountId",
            (SELECT s.id::text FROM "Statement" s WHERE s."bankAccountId" = a.id AND s."periodEnd" = $2::date
               AND s.state = 'SUCCESS'::"StatementState") AS existing,
            (SELECT s."closingBalance"::text FROM "Statement" s
             WHERE s."bankAccountId" = a.id AND s.state = 'SUCCESS'::"StatementState"
             ORDER BY s."periodEnd" DESC LIMIT 1) AS closing
     FROM unnest($1::uuid[]) AS a(id)`,
    [bankAccountIds, periodEnd],
  );
  const result = new Map<string, BuiltStatement>(
    known.flatMap((k) =>
      k.existing ? [[k.bankAccountId, { bankAccountId: k.bankAccountId, id: k.existing, created: false }]] : [],
    ),
  );
  const previous = new Map(
    known.flatMap((k) => (k.closing === null ? [] : [[k.bankAccountId, new Prisma.Decimal(k.closing)]])),
  );

  // Nothing booked before this is ever delivered: the first statement reaches one month back.
  const todo = locked
    .filter((a) => !result.has(a.id))
    .map((account) => {
      const activatedOn = parisDate(account.activatedAt);
      const collectedUntil = account.collectedUntil ? iso(account.collectedUntil) : null;
      return {
        account,
        deliveryStart: deliveryStart(activatedOn),
        periodStart: nextPeriodStart({ activatedOn, collectedUntil }),
      };
    })
    .filter((t) => {
      if (periodEnd >= t.periodStart) return true;
      result.set(t.account.id, { bankAccountId: t.account.id, id: null, created: false });
      return false;
    });
  if (todo.length === 0) return order(bankAccountIds, result);
  const todoIds = todo.map((t) => t.account.id);

  const movements = groupBy(
    (
      await tx.query<MovementRow>(
        `SELECT t.id::text, t."bankAccountId"::text, t."powensId"::text, t."bookingDate", t."valueDate",
                t.amount::text, t.label, t.type
         FROM "Transaction" t
         JOIN unnest($1::uuid[], $2::date[]) AS v(account, since)
           ON t."bankAccountId" = v.account AND t."bookingDate" >= v.since
         WHERE t."bookingDate" <= $3::date AND t."statementId" IS NULL AND NOT t.coming
           AND t."deletedAt" IS NULL AND t."changedAt" IS NULL
         ORDER BY t."bookingDate", t."powensId"`,
        [todoIds, todo.map((t) => t.deliveryStart), periodEnd],
      )
    ).rows,
    (m) => m.bankAccountId,
  );
  const deletions = groupBy(
    (
      await tx.query<GoneRow>(
        `SELECT t.id::text, t."bankAccountId"::text, t."bookingDate", t."valueDate", t.amount::text, t.label,
                t."deletedAt", t."changedAt", s."periodStart" AS "deliveredFrom", s."periodEnd" AS "deliveredTo"
         FROM "Transaction" t JOIN "Statement" s ON s.id = t."statementId"
         WHERE t."bankAccountId" = ANY($1::uuid[]) AND t."deletionStatementId" IS NULL
           AND (t."deletedAt" IS NOT NULL OR t."changedAt" IS NOT NULL)
         ORDER BY t."bookingDate", t."powensId", t.version`,
        [todoIds],
      )
    ).rows,
    (d) => d.bankAccountId,
  );
  // The very first statement: opening balance derived backwards from the bank's booked balance
  // and the booked movements since the period start.
  const first = todo.filter((t) => !previous.has(t.account.id));
  const since = new Map(
    first.length
      ? (
          await tx.query<{ bankAccountId: string; total: string }>(
            `SELECT t."bankAccountId"::text, sum(t.amount)::text AS total
             FROM "Transaction" t
             JOIN unnest($1::uuid[], $2::date[]) AS v(account, since)
               ON t."bankAccountId" = v.account AND t."bookingDate" >= v.since
             WHERE NOT t.coming AND t."deletedAt" IS NULL AND t."changedAt" IS NULL
             GROUP BY t."bankAccountId"`,
            [first.map((t) => t.account.id), first.map((t) => t.periodStart)],
          )
        ).rows.map((r) => [r.bankAccountId, new Prisma.Decimal(r.total)])
      : [],
  );
  // The closing balance check: the booked movements dated after the period end that we know of
  // (they are in the bank's balance, not in the statement).
  const after = new Map(
    (
      await tx.query<{ bankAccountId: string; total: string }>(
        `SELECT t."bankAccountId"::text, sum(t.amount)::text AS total
         FROM "Transaction" t
         WHERE t."bankAccountId" = ANY($1::uuid[]) AND t."bookingDate" > $2::date
           AND NOT t.coming AND t."deletedAt" IS NULL AND t."changedAt" IS NULL
         GROUP BY t."bankAccountId"`,
        [todoIds, periodEnd],
      )
    ).rows.map((r) => [r.bankAccountId, r.total]),
  );

  const statements: unknown[][] = [];
  const failures: unknown[][] = [];
  const delivered: Array<{ id: string; statementId: string }> = [];
  const reported: Array<{ id: string; statementId: string }> = [];
  for (const { account, periodStart } of todo) {
    const mine = movements.get(account.id) ?? [];
    const gone = deletions.get(account.id) ?? [];
    const amounts = mine.map((m) => new Prisma.Decimal(m.amount));
    const { opening, closing } = chainBalances({
      previousClosing: previous.get(account.id),
      bankBalance: () => new Prisma.Decimal(account.balance ?? 0),
      bookedSinceStart: () => since.get(account.id) ?? new Prisma.Decimal(0),
      movements: amounts,
    });
    // Decimals of the currency: DECIMAL(20,4) would print -20 or -20.0000.
    const decimals = minorUnits(account.currency) ?? 2;
    const iban = statementIban(account);
    const input: StatementInput = {
      account: { iban: iban ?? '', currency: account.currency },
      opening: { date: addDays(periodStart, -1), balance: opening.toFixed(decimals) },
      closing: { date: periodEnd, balance: closing.toFixed(decimals) },
      movements: mine.map((m, i) => ({
        bookingDate: bookingDateIn(periodStart, iso(m.bookingDate)),
        valueDate: iso(m.valueDate ?? m.bookingDate),
        amount: amounts[i]!.toFixed(decimals),
        label: m.label,
        type: m.type,
        reference: m.powensId,
      })),
    };
    const deletedCsv = gone.length
      ? writeDeletedTransactionsCsv(
          gone.map((d) => ({
            account: account.iban ?? account.label,
            // As the movement reads in the file that delivered it.
            bookingDate: bookingDateIn(iso(d.deliveredFrom), iso(d.bookingDate)),
            valueDate: iso(d.valueDate ?? d.bookingDate),
            label: d.label,
            amount: new Prisma.Decimal(d.amount).toFixed(decimals),
            currency: account.currency,
            statementPeriodStart: iso(d.deliveredFrom),
            statementPeriodEnd: iso(d.deliveredTo),
            deletedAt: iso(d.deletedAt ?? d.changedAt!),
            reason: d.deletedAt ? 'deleted' : 'changed',
          })),
        )
      : null;
    const id = randomUUID();
    // A statement that cannot be produced (no IBAN, content the CFONB format refuses) becomes a
    // failed statement with its reason; nothing is delivered, the other accounts go on.
    let cfonb: Buffer;
    try {
      if (!iban) throw new StatementUnavailable(noIbanReason(account.type));
      cfonb = writeCfonb([input]);
    } catch (e) {
      if (!(e instanceof StatementUnavailable || e instanceof CfonbError)) throw e;
      const reason =
        e instanceof StatementUnavailable ? e.message : `Relevé CFONB impossible à produire : ${e.message}`;
      failures.push([id, account.id, periodStart, periodEnd, utcTimestamp(opts.today), account.currency, reason]);
      result.set(account.id, { bankAccountId: account.id, id, created: true, failed: true });
      continue;
    }
    const check = {
      currency: account.currency,
      openingBalance: opening.toFixed(),
      closingBalance: closing.toFixed(),
      previousClosingBalance: previous.get(account.id)?.toFixed() ?? null,
      bankBalance: account.balance,
      bankBalanceAt: account.balanceAt,
      bookedAfterPeriodEnd: account.balance === null ? null : (after.get(account.id) ?? '0'),
      periodEnd,
    };
    statements.push([
      id,
      account.id,
      periodStart,
      periodEnd,
      utcTimestamp(opts.today),
      mine.length,
      gone.length,
      account.currency,
      opening.toFixed(),
      closing.toFixed(),
      cfonb,
      deletedCsv,
      iban,
      account.bic,
      check.previousClosingBalance,
      check.bankBalance,
      check.bankBalanceAt ? utcTimestamp(check.bankBalanceAt) : null,
      check.bookedAfterPeriodEnd,
      isBalanceBreak(check),
    ]);
    for (const m of mine) delivered.push({ id: m.id, statementId: id });
    for (const d of gone) reported.push({ id: d.id, statementId: id });
    result.set(account.id, { bankAccountId: account.id, id, created: true });
  }

  if (failures.length) {
    const rows = valuesList(failures, ['uuid', 'uuid', 'date', 'date', 'timestamp', null, null]);
    await tx.query(
      `INSERT INTO "Statement" (id, "bankAccountId", "periodStart", "periodEnd", "receivedAt", state, currency,
         "openingBalance", "closingBalance", "errorMessage")
       SELECT v.id, v.account, v.start, v."end", v.received, 'FAILURE'::"StatementState", v.currency, 0, 0, v.reason
       FROM (VALUES ${rows.text}) AS v(id, account, start, "end", received, currency, reason)
       ON CONFLICT ("bankAccountId", "periodEnd") DO UPDATE SET
         state = 'FAILURE'::"StatementState", "periodStart" = EXCLUDED."periodStart",
         "receivedAt" = EXCLUDED."receivedAt", "errorMessage" = EXCLUDED."errorMessage"`,
      rows.values,
    );
    // The ids of rows that already existed (a failure tried again) are theirs, not ours.
    const { rows: ids } = await tx.query<{ id: string; bankAccountId: string }>(
      `SELECT id::text, "bankAccountId"::text FROM "Statement" WHERE "periodEnd" = $2::date AND "bankAccountId" = ANY($1::uuid[])`,
      [failures.map((f) => f[1]), periodEnd],
    );
    for (const r of ids)
      result.set(r.bankAccountId, { bankAccountId: r.bankAccountId, id: r.id, created: true, failed: true });
  }
  if (statements.length === 0) return order(bankAccountIds, result);
  const builtIds = statements.map((st) => st[1] as string);
  // Failed and pending statements of these accounts up to this period end are covered by the new ones.
  await tx.query(
    `DELETE FROM "Statement" WHERE "bankAccountId" = ANY($1::uuid[]) AND "periodEnd" <= $2::date
       AND state <> 'SUCCESS'::"StatementState"`,
    [builtIds, periodEnd],
  );
  const rows = valuesList(statements, [
    'uuid',
    'uuid',
    'date',
    'date',
    'timestamp',
    'int',
    'int',
    null,
    'numeric',
    'numeric',
    'bytea',
    'bytea',
    null,
    null,
    'numeric',
    'numeric',
    'timestamp',
    'numeric',
    'boolean',
  ]);
  await tx.query(
    `INSERT INTO "Statement" (id, "bankAccountId", "periodStart", "periodEnd", "receivedAt", state, "transactionCount",
       "deletedCount", currency, "openingBalance", "closingBalance", cfonb, "deletedCsv", iban, bic,
       "previousClosingBalance", "bankBalance", "bankBalanceAt", "bookedAfterPeriodEnd", "balanceBreak")
     SELECT v.id, v.account, v.start, v."end", v.received, 'SUCCESS'::"StatementState", v.count, v.deleted, v.currency,
            v.opening, v.closing, v.cfonb, v.csv, v.iban, v.bic, v.previous, v.bank, v.bank_at, v.after, v.break
     FROM (VALUES ${rows.text}) AS v(id, account, start, "end", received, count, deleted, currency, opening, closing, cfonb, csv,
       iban, bic, previous, bank, bank_at, after, break)`,
    rows.values,
  );
  const now = utcTimestamp(new Date());
  // Each transaction delivered now points to its statement, each reported one to the statement
  // whose CSV reports it (two disjoint sets), in one statement.
  const links = [
    ...delivered.map((d) => ({ ...d, column: 'statement' })),
    ...reported.map((d) => ({ ...d, column: 'deletion' })),
  ];
  if (links.length)
    await tx.query(
      `UPDATE "Transaction" AS t SET
         "statementId" = CASE WHEN v.kind = 'statement' THEN v.statement_id ELSE t."statementId" END,
         "deletionStatementId" = CASE WHEN v.kind = 'deletion' THEN v.statement_id ELSE t."deletionStatementId" END,
         "updatedAt" = $4::timestamp
       FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS v(id, statement_id, kind)
       WHERE t.id = v.id`,
      [links.map((l) => l.id), links.map((l) => l.statementId), links.map((l) => l.column), now],
    );
  await tx.query(
    `UPDATE "BankAccount" SET "collectedUntil" = $2::date, "updatedAt" = $3::timestamp WHERE id = ANY($1::uuid[])`,
    [builtIds, periodEnd, now],
  );
  return order(bankAccountIds, result);
}

class StatementUnavailable extends Error {}

function order(ids: string[], result: Map<string, BuiltStatement>): BuiltStatement[] {
  return ids.flatMap((id) => {
    const r = result.get(id);
    return r ? [r] : [];
  });
}
