/**
 * The lists' page rows, read by hand-written SQL (api/page-rows.ts), are exactly what Prisma's
 * findMany reads with the same select/include (for companies, with the account counts and address
 * suppressions the other routes add): every column, null or not, every relation, decimals and dates
 * as Prisma types them, in the search's order.
 */
import { bankAccountPage, companyPage, statementPage } from '../../api/page-rows';
import {
  bankAccountInclude,
  companyInclude,
  presentCompany,
  statementSelect,
  withAccountCounts,
  withEmailBounces,
} from '../../api/present';
import { Prisma } from '../../db/client';
import { createCompanyWithAccounts, createStatement, createTenant, latestLinksOracle, siren, useApi } from './support';

const api = useApi();
let statementIds: string[];
let accountIds: string[];
let companyIds: string[];

beforeAll(async () => {
  const p = api.prisma;
  const firm = await createTenant(p, { name: 'Cabinet Lignes' });
  const secondary = await createTenant(p, { name: 'Agence Lignes', parent: firm });
  const a = await createCompanyWithAccounts(p, firm, { siren: siren(801), name: 'Alpha', accounts: 2 });
  const b = await createCompanyWithAccounts(p, secondary, {
    siren: siren(802),
    name: 'Bêta & Fils',
    accounts: 1,
    state: 'wrongpass',
  });
  // Every nullable column set on one side, left null on the other.
  const bank = await p.bank.create({ data: { portalAccountId: firm.accountId, name: 'Banque Régionale' } });
  await p.bankConnection.update({
    where: { id: a.connection.id },
    data: {
      bankId: bank.id,
      errorCode: 'SCARequired',
      lastSyncAt: new Date('2026-11-30T22:15:00.123Z'),
      lastSuccessAt: new Date('2026-11-29T21:00:00Z'),
      collectRequestedAt: new Date('2026-12-01T08:00:00Z'),
    },
  });
  await p.company.update({ where: { id: a.company.id }, data: { nic: '00012', statementFormats: 'BOTH' } });
  await p.bankAccount.update({
    where: { id: a.accounts[0]!.id },
    data: {
      number: '00012345678',
      bic: 'BNPAFRPPXXX',
      balance: '-1234.5678',
      balanceAt: new Date('2026-11-30T23:59:59Z'),
      collectedUntil: new Date('2026-11-30T00:00:00Z'),
      statementFormats: 'CAMT053',
      camtVersion: 'V02',
    },
  });
  await p.bankAccount.update({
    where: { id: a.accounts[1]!.id },
    data: { iban: null, active: false, deactivatedAt: new Date('2026-10-01T10:00:00Z') },
  });
  const s1 = await createStatement(p, a.accounts[0]!.id, { periodEnd: '2026-02-28' });
  await p.statement.update({
    where: { id: s1.id },
    data: {
      previousClosingBalance: '100.0100',
      bankBalance: '89.9900',
      bankBalanceAt: new Date('2026-03-01T06:00:00Z'),
      bookedAfterPeriodEnd: '0.0001',
      balanceBreak: true,
    },
  });
  const s2 = await createStatement(p, a.accounts[0]!.id, { periodEnd: '2024-02-29', state: 'FAILURE' });
  await p.statement.update({ where: { id: s2.id }, data: { errorMessage: 'Échec : « connexion » perdue' } });
  const s3 = await createStatement(p, b.accounts[0]!.id, { periodEnd: '2026-10-31', state: 'RUNNING' });
  statementIds = [s2.id, s3.id, s1.id];
  // Two links on one connection (the latest one used), none on the other.
  for (const [n, createdAt, usedAt] of [
    [1, '2026-11-01T10:00:00Z', null],
    [2, '2026-11-20T10:00:00Z', '2026-11-21T08:30:00.250Z'],
  ] as const) {
    await p.link.create({
      data: {
        companyId: a.company.id,
        portalAccountId: a.company.portalAccountId,
        connectionId: a.connection.id,
        kind: 'UPDATE_CREDENTIALS',
        recipient: 'compta@alpha.test',
        secretHash: `hash-${n}`,
        createdAt: new Date(createdAt),
        expiresAt: new Date(new Date(createdAt).getTime() + 72 * 3600_000),
        usedAt: usedAt && new Date(usedAt),
      },
    });
  }
  accountIds = [b.accounts[0]!.id, a.accounts[1]!.id, a.accounts[0]!.id];
  // Companies: one with a second, closed connection in error and a suppressed address (written with
  // capitals and spaces), one in error without suppression, one without connection nor address.
  await p.bankConnection.create({
    data: {
      companyId: a.company.id,
      portalAccountId: a.company.portalAccountId,
      powensConnectionId: 880001,
      state: 'wrongpass',
      active: false,
    },
  });
  await p.company.update({
    where: { id: a.company.id },
    data: { email: ' Compta@Alpha.test ', name2: 'Suite', autoLinks: false, powensTokenEnc: 'chiffré' },
  });
  await p.emailSuppression.create({
    data: { address: 'compta@alpha.test', reason: 'HardBounce', details: 'boîte inconnue' },
  });
  const c = await p.company.create({
    data: {
      portalAccountId: firm.accountId,
      rootAccountId: firm.rootId,
      siren: siren(803),
      name: 'Gamma',
      periodicityKind: 'ANNUAL',
      periodicityDay: 31,
      periodicityMonth: 12,
      active: false,
      deactivatedAt: new Date('2026-06-30T12:00:00Z'),
    },
  });
  companyIds = [b.company.id, c.id, a.company.id];
});

/** Prisma's rows for these ids, in the ids' order. */
const ordered = <T extends { id: string }>(ids: string[], rows: T[]) => ids.map((id) => rows.find((r) => r.id === id));

test('statement rows: what findMany(select: statementSelect) reads, in the order asked', async () => {
  const oracle = await api.prisma.statement.findMany({ where: { id: { in: statementIds } }, select: statementSelect });
  const { rows } = await statementPage(api.prisma, statementIds);
  expect(rows).toEqual(ordered(statementIds, oracle));
  // Planned once (a plain list's page): the same rows.
  expect((await statementPage(api.prisma, statementIds, { planOnce: true })).rows).toEqual(rows);
  expect(rows.map((r) => r.id)).toEqual(statementIds);
  expect(rows[2]!.bookedAfterPeriodEnd?.toFixed(4)).toBe('0.0001');
});

test('bank-account rows: what findMany(include: bankAccountInclude) reads, with or without the portal account name', async () => {
  const oracle = await api.prisma.bankAccount.findMany({
    where: { id: { in: accountIds } },
    include: bankAccountInclude,
  });
  expect((await bankAccountPage(api.prisma, accountIds)).rows).toEqual(ordered(accountIds, oracle));
  expect((await bankAccountPage(api.prisma, accountIds, { planOnce: true })).rows).toEqual(ordered(accountIds, oracle));
  const named = await api.prisma.bankAccount.findMany({
    where: { id: { in: accountIds } },
    include: {
      ...bankAccountInclude,
      company: { select: { ...bankAccountInclude.company.select, portalAccount: { select: { name: true } } } },
    },
  });
  const { rows } = await bankAccountPage(api.prisma, accountIds, { portalAccountName: true });
  expect(rows).toEqual(ordered(accountIds, named));
  expect(rows.map((r) => r.company.portalAccount.name)).toEqual(['Agence Lignes', 'Cabinet Lignes', 'Cabinet Lignes']);
});

test('company rows: what findMany(include: companyInclude) reads with the account count and the address’s suppression, the token left out', async () => {
  const p = api.prisma;
  const found = await p.company.findMany({ where: { id: { in: companyIds } }, include: companyInclude });
  const oracle = (await withEmailBounces(p, await withAccountCounts(p, found))).map(
    ({ powensTokenEnc: _token, ...c }) => c,
  );
  const { rows } = await companyPage(p, companyIds);
  expect(rows).toEqual(ordered(companyIds, oracle));
  expect((await companyPage(p, companyIds, { planOnce: true })).rows).toEqual(rows);
  expect(rows.map(presentCompany)).toEqual(ordered(companyIds, oracle)!.map((c) => presentCompany(c!)));
  // What the list shows of them: the error, the suppression, the closed connection left out.
  expect(rows.map((r) => [r.name, presentCompany(r).collection, r.accountCount, r.emailBounce?.type])).toEqual([
    ['Bêta & Fils', 'error', 1, undefined],
    ['Gamma', 'none', 0, undefined],
    ['Alpha', 'success', 2, 'HardBounce'],
  ]);
  expect(Object.keys(rows[2]!)).not.toContain('powensTokenEnc');
});

test('unknown ids are left out, an empty page reads nothing', async () => {
  const unknown = '00000000-0000-4000-8000-0000000000ff';
  const ids = async (page: Promise<{ rows: Array<{ id: string }> }>) => (await page).rows.map((r) => r.id);
  expect(await ids(statementPage(api.prisma, [unknown, statementIds[0]!]))).toEqual([statementIds[0]]);
  expect(await ids(bankAccountPage(api.prisma, [accountIds[2]!, unknown]))).toEqual([accountIds[2]]);
  expect(await statementPage(api.prisma, [])).toEqual({ rows: [], total: null });
  expect(await bankAccountPage(api.prisma, [])).toEqual({ rows: [], links: [], total: null });
  expect(await companyPage(api.prisma, [unknown])).toEqual({ rows: [], total: null });
});

test('a page read with its search in one statement: the ids in the query’s order, its count beside them, the count alone past the end', async () => {
  const among = Prisma.sql`FROM "Statement" WHERE id = ANY(${statementIds}::uuid[])`;
  const search = (offset: number) =>
    Prisma.sql`SELECT id ${among} ORDER BY "periodEnd" DESC, id LIMIT 2 OFFSET ${offset}`;
  const count = Prisma.sql`SELECT count(*) ${among}`;
  // Period ends: s3 2026-10-31, s1 2026-02-28, s2 2024-02-29.
  const byPeriodEnd = [statementIds[1]!, statementIds[2]!, statementIds[0]!];
  const rowsOf = async (ids: string[]) => (await statementPage(api.prisma, ids)).rows;
  const first = await statementPage(api.prisma, search(0), { total: count });
  expect(first).toEqual({ rows: await rowsOf(byPeriodEnd.slice(0, 2)), total: 3 });
  expect(await statementPage(api.prisma, search(2), { total: count })).toEqual({
    rows: await rowsOf(byPeriodEnd.slice(2)),
    total: 3,
  });
  expect(await statementPage(api.prisma, search(10), { total: count })).toEqual({ rows: [], total: 3 });
  expect(await statementPage(api.prisma, search(0))).toEqual({ rows: first.rows, total: null });
});

test("a bank-account page carries each connection's latest link, as Prisma reads it, and the count", async () => {
  const among = Prisma.sql`FROM "BankAccount" WHERE id = ANY(${accountIds}::uuid[])`;
  const byId = [...accountIds].sort();
  const found = await bankAccountPage(api.prisma, Prisma.sql`SELECT id ${among} ORDER BY id`, {
    total: Prisma.sql`SELECT count(*) ${among}`,
  });
  expect(found.total).toBe(3);
  expect(found.rows).toEqual((await bankAccountPage(api.prisma, byId)).rows);
  const links = await latestLinksOracle(
    api.prisma,
    found.rows.map((r) => r.connectionId),
  );
  expect(found.links).toEqual(found.rows.map((r) => links.get(r.connectionId) ?? null));
  // The used link is the latest; the other connection has none.
  expect(found.links.filter(Boolean)).toEqual([
    { state: 'used', at: '2026-11-21T08:30:00.250Z' },
    { state: 'used', at: '2026-11-21T08:30:00.250Z' },
  ]);
  expect(found.links.filter((l) => l === null)).toHaveLength(1);
});
