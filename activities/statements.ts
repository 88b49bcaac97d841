/**
 * Builds and stores accounts' statements (relevés): CFONB120 bytes + deleted-transactions CSV,
 * in one database transaction with the delivered transactions' links and the accounts' new
 * `collectedUntil` (the caller adds the delivery e-mails to it). Idempotent: a statement is unique
 * per (account, period end).
 *
 * Period: from the day after the previous statement (the first one: one month before the
 * account's activation, older transactions excluded; after a reactivation: the day after the last
 * delivered date) to the
 * requested period end. Booked transactions only (coming ones wait), each delivered once; a late
 * transaction booked before the period start goes into the next statement, whose period is then
 * widened back to its booking date so that the file stays valid.
 * Balances: the opening balance is the previous statement's closing balance (so they chain); the
 * very first opening balance is derived backwards from Powens' booked balance and the booked
 * transactions since the period start; the closing balance is opening + movements.
 */
import { randomUUID } from 'node:crypto';
import { groupBy } from '../lib/group-by';
import { Prisma, utcTimestamp } from '../prisma/client';
import { minorUnits, writeCfonb, writeDeletedTransactionsCsv, type StatementInput } from '../domain/cfonb120';
import { addDays, parisDate } from '../domain/schedule';

const iso = (d: Date) => d.toISOString().slice(0, 10);
const asDate = (isoDate: string) => new Date(`${isoDate}T00:00:00Z`);

function minusOneMonth(isoDate: string): string {
  const [y, m, d] = isoDate.split('-').map(Number) as [number, number, number];
  const prevMonth = m === 1 ? 12 : m - 1;
  const year = m === 1 ? y - 1 : y;
  const last = new Date(Date.UTC(year, prevMonth, 0)).getUTCDate();
  return `${year}-${String(prevMonth).padStart(2, '0')}-${String(Math.min(d, last)).padStart(2, '0')}`;
}

export interface BuiltStatement {
  bankAccountId: string;
  /** The statement up to the period end (null: the account is already covered past it). */
  id: string | null;
  /** Written by this call (false: it already existed). */
  created: boolean;
}

type Tx = Prisma.TransactionClient;

/**
 * The statements of several accounts (one connection's) up to the same period end, in the
 * caller's transaction, with a fixed number of queries whatever the number of accounts: the
 * accounts are locked (in id order: statement building is serialised per account, as a retried
 * activity may run concurrently), then their undelivered movements, pending deletions, previous
 * closing balances are read at once, and the statements, their transactions' links and the
 * accounts' `collectedUntil` written at once. Results in the order of `bankAccountIds`.
 */
export async function buildStatements(
  tx: Tx,
  bankAccountIds: string[],
  opts: { periodEnd?: string; today: Date },
): Promise<BuiltStatement[]> {
  if (bankAccountIds.length === 0) return [];
  const periodEnd = opts.periodEnd ?? parisDate(opts.today);
  const end = asDate(periodEnd);
  await tx.$queryRaw`SELECT id FROM "BankAccount" WHERE id = ANY(${bankAccountIds}::uuid[]) ORDER BY id FOR UPDATE`;
  const accounts = await tx.bankAccount.findMany({ where: { id: { in: bankAccountIds } } });
  if (accounts.length !== new Set(bankAccountIds).size)
    throw new Error(
      `bank account not found: ${bankAccountIds.filter((id) => !accounts.some((a) => a.id === id)).join(', ')}`,
    );
  const existing = await tx.statement.findMany({
    where: { bankAccountId: { in: bankAccountIds }, periodEnd: end },
    select: { id: true, bankAccountId: true },
  });
  const result = new Map<string, BuiltStatement>(
    existing.map((e) => [e.bankAccountId, { bankAccountId: e.bankAccountId, id: e.id, created: false }]),
  );

  // Nothing booked before this is ever delivered: the first statement reaches one month back.
  const todo = accounts
    .filter((a) => !result.has(a.id))
    .map((account) => {
      const deliveryStart = minusOneMonth(parisDate(account.activatedAt));
      const periodStart = account.collectedUntil ? addDays(iso(account.collectedUntil), 1) : deliveryStart;
      return { account, deliveryStart, periodStart };
    })
    .filter((t) => {
      if (periodEnd >= t.periodStart) return true;
      result.set(t.account.id, { bankAccountId: t.account.id, id: null, created: false });
      return false;
    });
  if (todo.length === 0) return order(bankAccountIds, result);
  const todoIds = todo.map((t) => t.account.id);

  const movements = groupBy(
    await tx.transaction.findMany({
      where: {
        OR: todo.map((t) => ({ bankAccountId: t.account.id, bookingDate: { gte: asDate(t.deliveryStart), lte: end } })),
        statementId: null,
        coming: false,
        deletedAt: null,
        changedAt: null,
      },
      omit: { raw: true },
      orderBy: [{ bookingDate: 'asc' }, { powensId: 'asc' }],
    }),
    (m) => m.bankAccountId,
  );
  const gone = await tx.transaction.findMany({
    where: {
      bankAccountId: { in: todoIds },
      statementId: { not: null },
      deletionStatementId: null,
      OR: [{ deletedAt: { not: null } }, { changedAt: { not: null } }],
    },
    omit: { raw: true },
    orderBy: [{ bookingDate: 'asc' }],
  });
  // The statements they were delivered in (read only when there are some: usually none).
  const deliveredIn = new Map(
    gone.length
      ? (
          await tx.statement.findMany({
            where: { id: { in: [...new Set(gone.map((d) => d.statementId!))] } },
            select: { id: true, periodStart: true, periodEnd: true },
          })
        ).map((st) => [st.id, st])
      : [],
  );
  const deletions = groupBy(
    gone.map((d) => ({ ...d, statement: deliveredIn.get(d.statementId!)! })),
    (d) => d.bankAccountId,
  );
  // The latest issued statement of each account: its closing balance opens the next one.
  const previous = new Map(
    (
      await tx.$queryRaw<Array<{ bankAccountId: string; closing: string }>>`
        SELECT DISTINCT ON ("bankAccountId") "bankAccountId"::text AS "bankAccountId", "closingBalance"::text AS closing
        FROM "Statement"
        WHERE "bankAccountId" = ANY(${todoIds}::uuid[]) AND state = 'SUCCESS'::"StatementState"
        ORDER BY "bankAccountId", "periodEnd" DESC`
    ).map((r) => [r.bankAccountId, new Prisma.Decimal(r.closing)]),
  );

  for (const t of todo) {
    const earliest = movements.get(t.account.id)?.[0];
    if (earliest && iso(earliest.bookingDate) < t.periodStart) t.periodStart = iso(earliest.bookingDate);
  }
  // The very first statement: opening balance derived backwards from the bank's booked balance.
  const first = todo.filter((t) => !previous.has(t.account.id));
  const since = first.length
    ? groupBy(
        await tx.transaction.findMany({
          where: {
            OR: first.map((t) => ({ bankAccountId: t.account.id, bookingDate: { gte: asDate(t.periodStart) } })),
            coming: false,
            deletedAt: null,
            changedAt: null,
          },
          select: { bankAccountId: true, amount: true },
        }),
        (r) => r.bankAccountId,
      )
    : new Map<string, Array<{ amount: Prisma.Decimal }>>();

  const statements: Prisma.StatementCreateManyInput[] = [];
  const delivered: Array<{ id: string; statementId: string }> = [];
  const reported: Array<{ id: string; statementId: string }> = [];
  for (const { account, periodStart } of todo) {
    const mine = movements.get(account.id) ?? [];
    const gone = deletions.get(account.id) ?? [];
    const opening =
      previous.get(account.id) ?? (account.balance ?? new Prisma.Decimal(0)).minus(sum(since.get(account.id) ?? []));
    const closing = opening.plus(sum(mine));
    // Decimals of the currency: Prisma's DECIMAL(20,4) would print -20 or -20.0000.
    const decimals = minorUnits(account.currency) ?? 2;
    const input: StatementInput = {
      account: { iban: account.iban ?? '', currency: account.currency },
      opening: { date: addDays(periodStart, -1), balance: opening.toFixed(decimals) },
      closing: { date: periodEnd, balance: closing.toFixed(decimals) },
      movements: mine.map((m) => ({
        bookingDate: iso(m.bookingDate),
        valueDate: iso(m.valueDate ?? m.bookingDate),
        amount: m.amount.toFixed(decimals),
        label: m.label,
        type: m.type,
        reference: String(m.powensId),
      })),
    };
    const deletedCsv = gone.length
      ? writeDeletedTransactionsCsv(
          gone.map((d) => ({
            account: account.iban ?? account.label,
            bookingDate: iso(d.bookingDate),
            valueDate: iso(d.valueDate ?? d.bookingDate),
            label: d.label,
            amount: d.amount.toFixed(decimals),
            currency: account.currency,
            statementPeriodStart: iso(d.statement!.periodStart),
            statementPeriodEnd: iso(d.statement!.periodEnd),
            deletedAt: iso(d.deletedAt ?? d.changedAt!),
            reason: d.deletedAt ? 'deleted' : 'changed',
          })),
        )
      : null;
    const id = randomUUID();
    statements.push({
      id,
      bankAccountId: account.id,
      periodStart: asDate(periodStart),
      periodEnd: end,
      receivedAt: opts.today,
      state: 'SUCCESS',
      transactionCount: mine.length,
      deletedCount: gone.length,
      currency: account.currency,
      openingBalance: opening,
      closingBalance: closing,
      cfonb: new Uint8Array(writeCfonb([input])),
      deletedCsv: deletedCsv ? new Uint8Array(deletedCsv) : null,
    });
    for (const m of mine) delivered.push({ id: m.id, statementId: id });
    for (const d of gone) reported.push({ id: d.id, statementId: id });
    result.set(account.id, { bankAccountId: account.id, id, created: true });
  }

  await tx.statement.createMany({ data: statements });
  // Each transaction delivered now points to its statement, each reported one to the statement
  // whose CSV reports it (two disjoint sets), in one statement.
  const links = [
    ...delivered.map((d) => ({ ...d, column: 'statement' })),
    ...reported.map((d) => ({ ...d, column: 'deletion' })),
  ];
  if (links.length)
    await tx.$executeRaw`
      UPDATE "Transaction" AS t SET
        "statementId" = CASE WHEN v.kind = 'statement' THEN v.statement_id ELSE t."statementId" END,
        "deletionStatementId" = CASE WHEN v.kind = 'deletion' THEN v.statement_id ELSE t."deletionStatementId" END,
        "updatedAt" = ${utcTimestamp(new Date())}::timestamp
      FROM unnest(${links.map((l) => l.id)}::uuid[], ${links.map((l) => l.statementId)}::uuid[],
                  ${links.map((l) => l.column)}::text[]) AS v(id, statement_id, kind)
      WHERE t.id = v.id`;
  await tx.bankAccount.updateMany({ where: { id: { in: todoIds } }, data: { collectedUntil: end } });
  return order(bankAccountIds, result);
}

const sum = (rows: Array<{ amount: Prisma.Decimal }>) =>
  rows.reduce((acc, r) => acc.plus(r.amount), new Prisma.Decimal(0));

function order(ids: string[], result: Map<string, BuiltStatement>): BuiltStatement[] {
  return ids.flatMap((id) => {
    const r = result.get(id);
    return r ? [r] : [];
  });
}
