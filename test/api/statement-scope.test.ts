/**
 * Each statement carries its company's portal account, written by the database (migration
 * 20261207090000_statement_portal_account), and the statement list walks it (issue 21). The column
 * is right whatever the writer sends, follows a company or a bank account that moves, and the list,
 * for one portal account or a primary with its secondaries, pages exactly as a join on the company
 * would (the oracle: Prisma's findMany scoped through the bank account's company).
 */
import { call, createCompanyWithAccounts, createFirmTree, siren, useApi, type Tenant } from './support';

const api = useApi();
let firm: Tenant;
let lyon: Tenant;
let lille: Tenant;
let other: Tenant;

/** `n` statements of one account, raw as the nightly activities write them (no portal account). */
async function statements(bankAccountId: string, n: number, shift: number) {
  // Month ends in a row; reception days repeat every 5 statements, so that accounts share them (ties).
  await api.prisma.$executeRaw`
    INSERT INTO "Statement" (id, "bankAccountId", "periodStart", "periodEnd", "receivedAt", state, currency,
                             "openingBalance", "closingBalance")
    SELECT gen_random_uuid(), ${bankAccountId}::uuid, m, (m + interval '1 month' - interval '1 day')::date,
           timestamp '2026-01-01 06:00' + ((i + ${shift}::int) % 5) * interval '1 day', 'SUCCESS', 'EUR', 0, 0
    FROM generate_series(1, ${n}::int) AS i, LATERAL (SELECT (date '2020-01-01' + make_interval(months => i))::date AS m) x`;
}

const portalOf = async (statementIds: string[]) =>
  (await api.prisma.statement.findMany({ where: { id: { in: statementIds } }, select: { portalAccountId: true } })).map(
    (s) => s.portalAccountId,
  );

beforeAll(async () => {
  const p = api.prisma;
  ({ firm, lyon, lille, other } = await createFirmTree(p));
  let shift = 0;
  for (const [tenant, n] of [
    [firm, 9],
    [firm, 4],
    [lyon, 7],
    [lille, 6],
    [other, 8],
  ] as const) {
    const c = await createCompanyWithAccounts(p, tenant, { siren: siren(600 + shift), accounts: 2 });
    for (const a of c.accounts) await statements(a.id, n, shift++);
  }
});

test('the database writes the portal account of the statement’s company, whatever the writer sends', async () => {
  const tenants = [firm, lyon, lille, other].map((t) => t.accountId);
  const written = await api.prisma.statement.findMany({
    where: { bankAccount: { company: { portalAccountId: { in: tenants } } } },
    select: { portalAccountId: true, bankAccount: { select: { company: { select: { portalAccountId: true } } } } },
  });
  expect(written.length).toBe(2 * (9 + 4 + 7 + 6 + 8));
  expect(written.filter((s) => s.portalAccountId !== s.bankAccount.company.portalAccountId)).toEqual([]);

  // A writer that names another firm's account is overruled, on insert and on update.
  const c = await createCompanyWithAccounts(api.prisma, firm, { siren: siren(650) });
  const s = await api.prisma.statement.create({
    data: {
      bankAccountId: c.accounts[0]!.id,
      portalAccountId: other.accountId,
      periodStart: new Date('2026-10-01T00:00:00Z'),
      periodEnd: new Date('2026-10-31T00:00:00Z'),
      currency: 'EUR',
      openingBalance: '0',
      closingBalance: '0',
    },
  });
  expect(s.portalAccountId).toBe(firm.accountId);
  await api.prisma
    .$executeRaw`UPDATE "Statement" SET "portalAccountId" = ${other.accountId}::uuid WHERE id = ${s.id}::uuid`;
  expect(await portalOf([s.id])).toEqual([firm.accountId]);
  await api.prisma.statement.delete({ where: { id: s.id } });
});

test('a company moved to another portal account, or a bank account to another company, takes its statements along', async () => {
  const c = await createCompanyWithAccounts(api.prisma, firm, { siren: siren(660), accounts: 2 });
  for (const a of c.accounts) await statements(a.id, 3, 0);
  const ids = (await api.prisma.statement.findMany({ where: { bankAccount: { companyId: c.company.id } } })).map(
    (s) => s.id,
  );
  expect(await portalOf(ids)).toEqual(ids.map(() => firm.accountId));
  const listed = async (t: Tenant) =>
    (await call(api, 'GET', '/api/v1/statements?limit=200', { key: t.key })).body.items.map(
      (i: { id: string }) => i.id,
    );
  expect(await listed(firm)).toEqual(expect.arrayContaining(ids));

  await api.prisma.company.update({ where: { id: c.company.id }, data: { portalAccountId: lyon.accountId } });
  expect(await portalOf(ids)).toEqual(ids.map(() => lyon.accountId));
  expect(await listed(lyon)).toEqual(expect.arrayContaining(ids));
  expect((await listed(firm)).filter((id: string) => ids.includes(id))).toEqual([]);
  // Read alone, a statement is the new firm's too (api/scope.ts statementScope).
  expect((await call(api, 'GET', `/api/v1/statements/${ids[0]}`, { key: lyon.key })).status).toBe(200);
  expect((await call(api, 'GET', `/api/v1/statements/${ids[0]}`, { key: firm.key })).status).toBe(404);

  // One of its bank accounts moves to a company of Lille's.
  const target = await createCompanyWithAccounts(api.prisma, lille, { siren: siren(661), accounts: 0 });
  const moved = c.accounts[1]!.id;
  await api.prisma.bankAccount.update({ where: { id: moved }, data: { companyId: target.company.id } });
  const movedIds = (await api.prisma.statement.findMany({ where: { bankAccountId: moved } })).map((s) => s.id);
  expect(movedIds).toHaveLength(3);
  expect(await portalOf(movedIds)).toEqual(movedIds.map(() => lille.accountId));
  expect(await portalOf(ids.filter((id) => !movedIds.includes(id)))).toEqual([3, 2, 1].map(() => lyon.accountId));

  await api.prisma.statement.deleteMany({ where: { id: { in: ids } } });
});

describe.each([
  ['the primary alone', () => firm, ''],
  ['the primary with its two secondaries', () => firm, '&includeSecondary=true'],
  ['a secondary', () => lyon, ''],
  ['an unrelated firm', () => other, ''],
])('%s: every page, both sorts, both orders, as the join on the company gives them', (_, caller, extra) => {
  test.each([
    ['receivedAt', 'desc', ''],
    ['receivedAt', 'asc', ''],
    ['periodEnd', 'desc', ''],
    ['periodEnd', 'asc', ''],
    ['receivedAt', 'desc', 'state=success'],
    ['periodEnd', 'asc', 'name=soci'],
  ] as const)('sort=%s order=%s %s', async (sort, order, filter) => {
    const me = caller();
    const scope = extra ? [firm.accountId, lyon.accountId, lille.accountId] : [me.accountId];
    const where = {
      bankAccount: {
        company: {
          portalAccountId: { in: scope },
          ...(filter.startsWith('name=') ? { name: { contains: 'soci', mode: 'insensitive' as const } } : {}),
        },
      },
      ...(filter.startsWith('state=') ? { state: 'SUCCESS' as const } : {}),
    };
    const all = await api.prisma.statement.count({ where });
    expect(all).toBeGreaterThan(10);
    for (const offset of [0, 4, 11, all - 2]) {
      const r = await call(
        api,
        'GET',
        `/api/v1/statements?sort=${sort}&order=${order}&limit=5&offset=${offset}${extra}&${filter}`,
        { key: me.key },
      );
      expect(r.status).toBe(200);
      const expected = await api.prisma.statement.findMany({
        where,
        orderBy: [{ [sort]: order }, { id: order }],
        skip: offset,
        take: 5,
        select: { id: true },
      });
      expect(r.body.items.map((i: { id: string }) => i.id)).toEqual(expected.map((s) => s.id));
      expect(r.body.total).toBe(all);
    }
  });
});
