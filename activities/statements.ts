/**
 * Builds and stores one account's statement (relevé): CFONB120 bytes + deleted-transactions CSV,
 * in one database transaction with the delivered transactions' links and the account's new
 * `collectedUntil`. Idempotent: a statement is unique per (account, period end).
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
import { Prisma, type Db } from '../prisma/client';
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

export async function buildStatement(
  prisma: Db,
  bankAccountId: string,
  opts: { periodEnd?: string; today: Date },
): Promise<string | null> {
  return prisma.$transaction(
    async (tx) => {
      // Serialise statement building per account (a retried activity may run concurrently).
      await tx.$queryRaw`SELECT id FROM "BankAccount" WHERE id = ${bankAccountId}::uuid FOR UPDATE`;
      const account = await tx.bankAccount.findUniqueOrThrow({ where: { id: bankAccountId } });
      const periodEnd = opts.periodEnd ?? parisDate(opts.today);
      const existing = await tx.statement.findUnique({
        where: { bankAccountId_periodEnd: { bankAccountId, periodEnd: asDate(periodEnd) } },
      });
      if (existing) return existing.id;

      // Nothing booked before this is ever delivered: the first statement reaches one month back.
      const deliveryStart = minusOneMonth(parisDate(account.activatedAt));
      let periodStart = account.collectedUntil ? addDays(iso(account.collectedUntil), 1) : deliveryStart;
      if (periodEnd < periodStart) return null;

      const movements = await tx.transaction.findMany({
        where: {
          bankAccountId,
          statementId: null,
          coming: false,
          deletedAt: null,
          changedAt: null,
          bookingDate: { gte: asDate(deliveryStart), lte: asDate(periodEnd) },
        },
        orderBy: [{ bookingDate: 'asc' }, { powensId: 'asc' }],
      });
      const earliest = movements[0] ? iso(movements[0].bookingDate) : null;
      if (earliest && earliest < periodStart) periodStart = earliest;

      const deletions = await tx.transaction.findMany({
        where: {
          bankAccountId,
          statementId: { not: null },
          deletionStatementId: null,
          OR: [{ deletedAt: { not: null } }, { changedAt: { not: null } }],
        },
        include: { statement: true },
        orderBy: [{ bookingDate: 'asc' }],
      });

      const sum = (rows: Array<{ amount: Prisma.Decimal }>) =>
        rows.reduce((acc, r) => acc.plus(r.amount), new Prisma.Decimal(0));
      const previous = await tx.statement.findFirst({
        where: { bankAccountId, state: 'SUCCESS' },
        orderBy: { periodEnd: 'desc' },
      });
      let opening: Prisma.Decimal;
      if (previous) {
        opening = previous.closingBalance;
      } else {
        const since = await tx.transaction.findMany({
          where: {
            bankAccountId,
            coming: false,
            deletedAt: null,
            changedAt: null,
            bookingDate: { gte: asDate(periodStart) },
          },
          select: { amount: true },
        });
        opening = (account.balance ?? new Prisma.Decimal(0)).minus(sum(since));
      }
      const closing = opening.plus(sum(movements));
      // Decimals of the currency: Prisma's DECIMAL(20,4) would print -20 or -20.0000.
      const decimals = minorUnits(account.currency) ?? 2;

      const input: StatementInput = {
        account: { iban: account.iban ?? '', currency: account.currency },
        opening: { date: addDays(periodStart, -1), balance: opening.toFixed(decimals) },
        closing: { date: periodEnd, balance: closing.toFixed(decimals) },
        movements: movements.map((m) => ({
          bookingDate: iso(m.bookingDate),
          valueDate: iso(m.valueDate ?? m.bookingDate),
          amount: m.amount.toFixed(decimals),
          label: m.label,
          type: m.type,
          reference: String(m.powensId),
        })),
      };
      const cfonb = writeCfonb([input]);
      const deletedCsv = deletions.length
        ? writeDeletedTransactionsCsv(
            deletions.map((d) => ({
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

      const statement = await tx.statement.create({
        data: {
          bankAccountId,
          periodStart: asDate(periodStart),
          periodEnd: asDate(periodEnd),
          receivedAt: opts.today,
          state: 'SUCCESS',
          transactionCount: movements.length,
          deletedCount: deletions.length,
          currency: account.currency,
          openingBalance: opening,
          closingBalance: closing,
          cfonb: new Uint8Array(cfonb),
          deletedCsv: deletedCsv ? new Uint8Array(deletedCsv) : null,
        },
      });
      if (movements.length)
        await tx.transaction.updateMany({
          where: { id: { in: movements.map((m) => m.id) } },
          data: { statementId: statement.id },
        });
      if (deletions.length)
        await tx.transaction.updateMany({
          where: { id: { in: deletions.map((d) => d.id) } },
          data: { deletionStatementId: statement.id },
        });
      await tx.bankAccount.update({ where: { id: bankAccountId }, data: { collectedUntil: asDate(periodEnd) } });
      return statement.id;
    },
    { timeout: 120_000 },
  );
}
