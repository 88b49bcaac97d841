import { readCfonb } from '../../domain/cfonb120';
import { buildStatements } from '../../activities/statement-builder';
import { Prisma } from '../../db/client';
import { inTransaction } from '../../db/sql';
import { useTestDatabase } from '../support/db';

const db = useTestDatabase();

/** One account's statement in its own transaction: its id, or null when the account is covered past the end. */
const buildOne = async (bankAccountId: string, opts: { periodEnd?: string; today: Date }) => {
  const [built] = await inTransaction(db.sql, (t) => buildStatements(t, [bankAccountId], opts));
  return built!.id;
};
let accountId: string;
let seq = 1;

beforeAll(async () => {
  const root = '00000000-0000-4000-8000-0000000000aa';
  await db.prisma.portalAccount.create({
    data: {
      id: root,
      kind: 'PRIMARY',
      rootId: root,
      name: 'Cabinet',
      siren: '732829320',
      contactEmail: 'c@cabinet.test',
    },
  });
  const company = await db.prisma.company.create({
    data: {
      portalAccountId: root,
      rootAccountId: root,
      siren: '443061841',
      name: 'Boulangerie',
      periodicityKind: 'MONTHLY',
      periodicityDay: 0,
    },
  });
  const connection = await db.prisma.bankConnection.create({
    data: { companyId: company.id, portalAccountId: company.portalAccountId, powensConnectionId: 1 },
  });
  const account = await db.prisma.bankAccount.create({
    data: {
      connectionId: connection.id,
      companyId: company.id,
      portalAccountId: company.portalAccountId,
      powensAccountId: 10,
      iban: 'FR7630004000031234567890143',
      label: 'Compte courant',
      type: 'checking',
      currency: 'EUR',
      activatedAt: new Date('2026-03-15T10:00:00Z'),
      balance: new Prisma.Decimal('1000.00'),
    },
  });
  accountId = account.id;
});

const tx = (date: string, amount: string, extra: Partial<Prisma.TransactionUncheckedCreateInput> = {}) =>
  db.prisma.transaction.create({
    data: {
      bankAccountId: accountId,
      powensId: BigInt(seq++),
      bookingDate: new Date(`${date}T00:00:00Z`),
      amount: new Prisma.Decimal(amount),
      label: `OPERATION ${seq}`,
      type: 'transfer',
      raw: {},
      ...extra,
    },
  });

test('first statement reaches one month back from activation; balances derive backwards from the bank balance', async () => {
  await tx('2026-02-20', '50.00'); // within the month before activation
  await tx('2026-03-01', '-20.00');
  await tx('2026-03-20', '100.00');
  await tx('2026-03-31', '-30.00', { coming: true }); // not booked yet: waits
  const id = await buildOne(accountId, {
    periodEnd: '2026-03-31',
    today: new Date('2026-04-01T00:00:00Z'),
  });
  const s = await db.prisma.statement.findUniqueOrThrow({ where: { id: id! } });
  expect(s.periodStart.toISOString().slice(0, 10)).toBe('2026-02-15');
  expect(s.transactionCount).toBe(3);
  // Bank balance 1000 includes the three booked movements (+130): opening = 870.
  expect(s.openingBalance.toFixed(2)).toBe('870.00');
  expect(s.closingBalance.toFixed(2)).toBe('1000.00');
  const [file] = readCfonb(Buffer.from(s.cfonb!));
  expect(file!.opening).toEqual({ date: '2026-02-14', balance: '870.00' });
  expect(file!.closing).toEqual({ date: '2026-03-31', balance: '1000.00' });
  expect(file!.movements.map((m) => m.amount)).toEqual(['50.00', '-20.00', '100.00']);
  // Idempotent: the same period gives the same statement.
  expect(await buildOne(accountId, { periodEnd: '2026-03-31', today: new Date() })).toBe(id);
});

test('the next statement chains, takes the now-booked item, and reports a deleted delivered transaction in its CSV', async () => {
  await db.prisma.transaction.updateMany({
    where: { bankAccountId: accountId, coming: true },
    data: { coming: false, bookingDate: new Date('2026-04-02T00:00:00Z') },
  });
  const delivered = await db.prisma.transaction.findFirstOrThrow({
    where: { bankAccountId: accountId, amount: new Prisma.Decimal('-20.00') },
  });
  await db.prisma.transaction.update({
    where: { id: delivered.id },
    data: { deletedAt: new Date('2026-04-10T08:00:00Z') },
  });
  await tx('2026-04-15', '-5.55');
  const id = await buildOne(accountId, {
    periodEnd: '2026-04-30',
    today: new Date('2026-05-01T00:00:00Z'),
  });
  const s = await db.prisma.statement.findUniqueOrThrow({ where: { id: id! } });
  const previous = await db.prisma.statement.findFirstOrThrow({
    where: { bankAccountId: accountId, periodEnd: new Date('2026-03-31T00:00:00Z') },
  });
  expect(s.openingBalance.equals(previous.closingBalance)).toBe(true);
  expect(s.periodStart.toISOString().slice(0, 10)).toBe('2026-04-01');
  expect(s.transactionCount).toBe(2);
  expect(s.closingBalance.toFixed(2)).toBe('964.45');
  expect(s.deletedCount).toBe(1);
  const csv = Buffer.from(s.deletedCsv!).toString('utf8');
  expect(csv.charCodeAt(0)).toBe(0xfeff);
  expect(csv).toContain('01/03/2026;01/03/2026;OPERATION');
  expect(csv).toContain(';-20,00;EUR;15/02/2026;31/03/2026;10/04/2026;Supprimée par la banque');
  // Every booked transaction delivered exactly once.
  const rows = await db.prisma.transaction.findMany({ where: { bankAccountId: accountId } });
  expect(rows.every((r) => r.statementId !== null)).toBe(true);
  expect(rows.filter((r) => r.deletionStatementId !== null).map((r) => [r.id, r.deletionStatementId])).toEqual([
    [delivered.id, id],
  ]);
  const account = await db.prisma.bankAccount.findUniqueOrThrow({ where: { id: accountId } });
  expect(account.collectedUntil!.toISOString().slice(0, 10)).toBe('2026-04-30');
});

test('an empty period still gives a statement (01 and 07) that keeps the chain', async () => {
  const id = await buildOne(accountId, {
    periodEnd: '2026-05-31',
    today: new Date('2026-06-01T00:00:00Z'),
  });
  const s = await db.prisma.statement.findUniqueOrThrow({ where: { id: id! } });
  expect(s.transactionCount).toBe(0);
  expect(s.deletedCount).toBe(0); // April's statement already reported the deletion
  expect(s.openingBalance.toFixed(2)).toBe('964.45');
  expect(s.closingBalance.toFixed(2)).toBe('964.45');
  expect(readCfonb(Buffer.from(s.cfonb!))[0]!.movements).toEqual([]);
  // A period end before the last delivered day gives nothing.
  expect(await buildOne(accountId, { periodEnd: '2026-05-15', today: new Date() })).toBe(null);
});

test('several accounts in one call: each chained on its own, results in the order asked, already issued or covered ones left as they are', async () => {
  const base = await db.prisma.bankAccount.findUniqueOrThrow({ where: { id: accountId } });
  const other = await db.prisma.bankAccount.create({
    data: {
      connectionId: base.connectionId,
      companyId: base.companyId,
      portalAccountId: base.portalAccountId,
      powensAccountId: 11,
      iban: 'FR7630004000031234567890240',
      label: 'Livret',
      type: 'savings',
      currency: 'EUR',
      activatedAt: new Date('2026-06-10T10:00:00Z'),
      balance: new Prisma.Decimal('500.00'),
    },
  });
  await tx('2026-06-05', '12.00'); // the first account's
  await db.prisma.transaction.create({
    data: {
      bankAccountId: other.id,
      powensId: BigInt(seq++),
      bookingDate: new Date('2026-06-20T00:00:00Z'),
      amount: new Prisma.Decimal('-100.00'),
      label: 'VIREMENT',
      type: 'transfer',
      raw: {},
    },
  });
  const build = (ids: string[], periodEnd: string) =>
    inTransaction(db.sql, (t) => buildStatements(t, ids, { periodEnd, today: new Date('2026-07-01T00:00:00Z') }));

  const built = await build([other.id, accountId], '2026-06-30');
  expect(built.map((b) => [b.bankAccountId, b.created])).toEqual([
    [other.id, true],
    [accountId, true],
  ]);
  const [mine, theirs] = await Promise.all(
    [accountId, other.id].map((id) =>
      db.prisma.statement.findFirstOrThrow({
        where: { bankAccountId: id, periodEnd: new Date('2026-06-30T00:00:00Z') },
      }),
    ),
  );
  // The first account chains from its May statement; the new one derives its opening backwards.
  expect(mine!.openingBalance.toFixed(2)).toBe('964.45');
  expect(mine!.closingBalance.toFixed(2)).toBe('976.45');
  expect(mine!.transactionCount).toBe(1);
  expect(theirs!.periodStart.toISOString().slice(0, 10)).toBe('2026-05-10');
  expect(theirs!.openingBalance.toFixed(2)).toBe('600.00');
  expect(theirs!.closingBalance.toFixed(2)).toBe('500.00');
  expect(built.map((b) => b.id)).toEqual([theirs!.id, mine!.id]);

  // Again: the same statements, none created; an earlier period end: nothing for either.
  const again = await build([accountId, other.id], '2026-06-30');
  expect(again).toEqual([
    { bankAccountId: accountId, id: mine!.id, created: false },
    { bankAccountId: other.id, id: theirs!.id, created: false },
  ]);
  expect((await build([accountId, other.id], '2026-06-15')).map((b) => b.id)).toEqual([null, null]);
  await expect(build([accountId, '00000000-0000-4000-8000-000000000000'], '2026-07-31')).rejects.toThrow(
    'bank account not found',
  );
});

test('a transaction the bank shows late is booked on the next statement’s first day: periods never overlap, the CSV names it as delivered', async () => {
  // July: one transaction known at issue time.
  await tx('2026-07-10', '-7.00');
  const july = await buildOne(accountId, { periodEnd: '2026-07-31', today: new Date('2026-08-01T22:00:00Z') });
  // Found by Powens after July's statement went out, dated in July (value date the 30th).
  const late = await tx('2026-07-30', '-42.00', { valueDate: new Date('2026-07-29T00:00:00Z') });
  const august = await buildOne(accountId, { periodEnd: '2026-08-31', today: new Date('2026-09-01T22:00:00Z') });
  const j = await db.prisma.statement.findUniqueOrThrow({ where: { id: july! } });
  const a = await db.prisma.statement.findUniqueOrThrow({ where: { id: august! } });
  const day = (d: Date) => d.toISOString().slice(0, 10);
  expect(day(a.periodStart)).toBe('2026-08-01'); // not widened back to 30 July
  expect(day(j.periodEnd)).toBe('2026-07-31');
  const [file] = readCfonb(Buffer.from(a.cfonb!));
  expect(file!.opening).toEqual({ date: '2026-07-31', balance: j.closingBalance.toFixed(2) });
  expect(file!.movements).toHaveLength(1);
  expect(file!.movements[0]).toMatchObject({
    bookingDate: '2026-08-01',
    valueDate: '2026-07-29',
    amount: '-42.00',
    reference: String(late.powensId),
  });
  // The bank then deletes it: September's CSV reports it as August's file shows it.
  await db.prisma.transaction.update({ where: { id: late.id }, data: { deletedAt: new Date('2026-09-03T08:00:00Z') } });
  const september = await buildOne(accountId, { periodEnd: '2026-09-30', today: new Date('2026-10-01T22:00:00Z') });
  const s = await db.prisma.statement.findUniqueOrThrow({ where: { id: september! } });
  expect(Buffer.from(s.deletedCsv!).toString('utf8')).toContain('01/08/2026;29/07/2026;OPERATION');
});

test('an account whose statement cannot be produced gets a failed statement with its reason; the others are issued; it is tried again', async () => {
  const base = await db.prisma.bankAccount.findUniqueOrThrow({ where: { id: accountId } });
  const card = await db.prisma.bankAccount.create({
    data: {
      connectionId: base.connectionId,
      companyId: base.companyId,
      portalAccountId: base.portalAccountId,
      powensAccountId: 12,
      iban: null,
      number: 'XXXX XXXX XXXX 1234',
      label: 'Carte',
      type: 'card',
      currency: 'EUR',
      activatedAt: new Date('2026-09-10T10:00:00Z'),
      balance: new Prisma.Decimal('0'),
    },
  });
  await tx('2026-10-05', '-3.00');
  const built = await inTransaction(db.sql, (t) =>
    buildStatements(
      t,
      { connectionId: base.connectionId },
      { periodEnd: '2026-10-31', today: new Date('2026-11-01T22:00:00Z') },
    ),
  );
  const mine = built.find((b) => b.bankAccountId === accountId)!;
  const theirs = built.find((b) => b.bankAccountId === card.id)!;
  expect(mine).toMatchObject({ created: true });
  expect(mine.failed).toBeFalsy();
  expect(theirs).toMatchObject({ created: true, failed: true });
  const failed = await db.prisma.statement.findUniqueOrThrow({ where: { id: theirs.id! } });
  expect(failed).toMatchObject({
    state: 'FAILURE',
    errorMessage: 'Relevé CFONB indisponible : compte sans IBAN (carte)',
    cfonb: null,
    transactionCount: 0,
  });
  expect((await db.prisma.bankAccount.findUniqueOrThrow({ where: { id: card.id } })).collectedUntil).toBeNull();
  expect((await db.prisma.bankAccount.findUniqueOrThrow({ where: { id: accountId } })).collectedUntil).toEqual(
    new Date('2026-10-31T00:00:00Z'),
  );

  // Tried again for the same period end: still failing, the same row (no duplicate).
  const again = await inTransaction(db.sql, (t) =>
    buildStatements(t, [card.id], { periodEnd: '2026-10-31', today: new Date('2026-11-02T22:00:00Z') }),
  );
  expect(again[0]).toMatchObject({ id: theirs.id, failed: true });
  // The bank shows the account's RIB in its number: the retry succeeds and replaces the failure.
  await db.prisma.bankAccount.update({ where: { id: card.id }, data: { number: '30004 00003 12345678901 43' } });
  const fixed = await inTransaction(db.sql, (t) =>
    buildStatements(t, [card.id], { periodEnd: '2026-10-31', today: new Date('2026-11-03T22:00:00Z') }),
  );
  expect(fixed[0]!.failed).toBeFalsy();
  const states = await db.prisma.statement.findMany({ where: { bankAccountId: card.id }, select: { state: true } });
  expect(states).toEqual([{ state: 'SUCCESS' }]);
  const ok = await db.prisma.statement.findUniqueOrThrow({ where: { id: fixed[0]!.id! } });
  expect(readCfonb(Buffer.from(ok.cfonb!))[0]!.account.iban).toBe('FR7630004000031234567890143');
});

test('balance continuity: each statement records what it was compared with; a bank balance that disagrees is a break', async () => {
  const base = await db.prisma.bankAccount.findUniqueOrThrow({ where: { id: accountId } });
  const acc = await db.prisma.bankAccount.create({
    data: {
      connectionId: base.connectionId,
      companyId: base.companyId,
      portalAccountId: base.portalAccountId,
      powensAccountId: 20,
      iban: 'FR7630004000031234567890143',
      bic: 'BNPAFRPPXXX',
      label: 'Compte pro',
      type: 'checking',
      currency: 'EUR',
      activatedAt: new Date('2027-01-10T10:00:00Z'),
      balance: new Prisma.Decimal('300.00'),
      balanceAt: new Date('2027-02-01T04:00:00Z'),
    },
  });
  const add = (date: string, amount: string) =>
    db.prisma.transaction.create({
      data: {
        bankAccountId: acc.id,
        powensId: BigInt(seq++),
        bookingDate: new Date(`${date}T00:00:00Z`),
        amount: new Prisma.Decimal(amount),
        label: 'OPERATION',
        type: 'transfer',
        raw: {},
      },
    });
  await add('2027-01-20', '40.00');
  await add('2027-02-01', '-25.00'); // after January's end: in the bank balance, not in January's statement
  const one = async (periodEnd: string, today: string) => {
    const [b] = await inTransaction(db.sql, (t) => buildStatements(t, [acc.id], { periodEnd, today: new Date(today) }));
    return db.prisma.statement.findUniqueOrThrow({ where: { id: b!.id! } });
  };
  const jan = await one('2027-01-31', '2027-02-01T05:00:00Z');
  expect(jan.openingBalance.toFixed(2)).toBe('285.00');
  expect(jan.closingBalance.toFixed(2)).toBe('325.00');
  expect(jan).toMatchObject({ iban: 'FR7630004000031234567890143', bic: 'BNPAFRPPXXX', balanceBreak: false });
  expect(jan.previousClosingBalance).toBeNull();
  expect(jan.bankBalance!.toFixed(2)).toBe('300.00');
  expect(jan.bookedAfterPeriodEnd!.toFixed(2)).toBe('-25.00');
  expect(jan.bankBalanceAt).toEqual(new Date('2027-02-01T04:00:00Z'));

  // February: the bank's balance now says 312.34 but our movements give 300.00: a break of 12.34.
  await db.prisma.bankAccount.update({
    where: { id: acc.id },
    data: { balance: new Prisma.Decimal('312.34'), balanceAt: new Date('2027-03-01T04:00:00Z') },
  });
  const feb = await one('2027-02-28', '2027-03-01T05:00:00Z');
  expect(feb.previousClosingBalance!.toFixed(2)).toBe('325.00');
  expect(feb.closingBalance.toFixed(2)).toBe('300.00');
  expect(feb.bookedAfterPeriodEnd!.toFixed(2)).toBe('0.00');
  expect(feb.balanceBreak).toBe(true);
});
