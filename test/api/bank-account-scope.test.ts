/**
 * Each bank account carries its company's portal account, written by the database (migration
 * 20261208090000_bank_account_portal_account), and the bank-account list walks it (issue 21). The
 * column is right whatever the writer sends, follows a company or a bank account that moves, and
 * the list, for one portal account or a primary with its secondaries, pages exactly as a join on
 * the company would (the oracle: Prisma's findMany scoped through the account's company), in each
 * sort, nulls (accounts without IBAN) and ties (same label, same creation instant) included, with or
 * without a name filter.
 */
import { call, createCompanyWithAccounts, createFirmTree, siren, useApi, type Tenant } from './support';

const api = useApi();
let firm: Tenant;
let lyon: Tenant;
let lille: Tenant;
let other: Tenant;

const portalOf = async (ids: string[]) =>
  (
    await api.prisma.bankAccount.findMany({
      where: { id: { in: ids } },
      select: { id: true, portalAccountId: true },
      orderBy: { id: 'asc' },
    })
  ).map((a) => a.portalAccountId);

beforeAll(async () => {
  const p = api.prisma;
  ({ firm, lyon, lille, other } = await createFirmTree(p));
  let n = 0;
  for (const [tenant, companies] of [
    [firm, 5],
    [lyon, 3],
    [lille, 3],
    [other, 4],
  ] as const) {
    for (let i = 0; i < companies; i++, n++) {
      const c = await createCompanyWithAccounts(p, tenant, {
        siren: siren(800 + n),
        name: n % 5 === 4 ? `Boulangerie ${n}` : `Garage ${n}`,
        accounts: 1 + (n % 3),
      });
      for (const [j, a] of c.accounts.entries())
        await p.bankAccount.update({
          where: { id: a.id },
          data: {
            iban: (n + j) % 3 === 0 ? null : a.iban,
            createdAt: new Date(Date.UTC(2026, 0, 1 + (n % 3))),
            active: (n + j) % 4 !== 3,
          },
        });
    }
  }
});

test('the database writes the portal account of the bank account’s company, whatever the writer sends', async () => {
  const tenants = [firm, lyon, lille, other].map((t) => t.accountId);
  const written = await api.prisma.bankAccount.findMany({
    where: { company: { portalAccountId: { in: tenants } } },
    select: { portalAccountId: true, company: { select: { portalAccountId: true } } },
  });
  expect(written.length).toBeGreaterThan(20);
  expect(written.filter((a) => a.portalAccountId !== a.company.portalAccountId)).toEqual([]);

  // A writer that names another firm's account is overruled, on insert and on update; a raw insert
  // that names none gets its company's.
  const c = await createCompanyWithAccounts(api.prisma, firm, { siren: siren(850), accounts: 0 });
  const a = await api.prisma.bankAccount.create({
    data: {
      connectionId: c.connection.id,
      companyId: c.company.id,
      portalAccountId: other.accountId,
      powensAccountId: 1,
      label: 'Compte',
      type: 'checking',
      currency: 'EUR',
    },
  });
  expect(a.portalAccountId).toBe(firm.accountId);
  await api.prisma
    .$executeRaw`UPDATE "BankAccount" SET "portalAccountId" = ${other.accountId}::uuid WHERE id = ${a.id}::uuid`;
  expect(await portalOf([a.id])).toEqual([firm.accountId]);
  const raw = await api.prisma.$queryRaw<Array<{ id: string }>>`
    INSERT INTO "BankAccount" (id, "connectionId", "companyId", "powensAccountId", label, type, currency, "updatedAt")
    VALUES (gen_random_uuid(), ${c.connection.id}::uuid, ${c.company.id}::uuid, 2, 'Livret', 'savings', 'EUR', now())
    RETURNING id::text`;
  expect(await portalOf([raw[0]!.id])).toEqual([firm.accountId]);
  await api.prisma.bankAccount.deleteMany({ where: { companyId: c.company.id } });
});

test('a company moved to another portal account, or a bank account to another company, takes its place along', async () => {
  const c = await createCompanyWithAccounts(api.prisma, firm, { siren: siren(860), accounts: 2 });
  const ids = c.accounts.map((a) => a.id).sort();
  const listed = async (t: Tenant) =>
    (await call(api, 'GET', '/api/v1/bank-accounts?limit=200&includeInactive=true', { key: t.key })).body.items.map(
      (i: { id: string }) => i.id,
    );
  expect(await listed(firm)).toEqual(expect.arrayContaining(ids));

  await api.prisma.company.update({ where: { id: c.company.id }, data: { portalAccountId: lyon.accountId } });
  expect(await portalOf(ids)).toEqual([lyon.accountId, lyon.accountId]);
  expect(await listed(lyon)).toEqual(expect.arrayContaining(ids));
  expect((await listed(firm)).filter((id: string) => ids.includes(id))).toEqual([]);
  // Read alone, an account is the new firm's too (api/scope.ts bankAccountScope).
  expect((await call(api, 'GET', `/api/v1/bank-accounts/${ids[0]}`, { key: lyon.key })).status).toBe(200);
  expect((await call(api, 'GET', `/api/v1/bank-accounts/${ids[0]}`, { key: firm.key })).status).toBe(404);

  // One of them moves to a company of Lille's.
  const target = await createCompanyWithAccounts(api.prisma, lille, { siren: siren(861), accounts: 0 });
  await api.prisma.bankAccount.update({ where: { id: ids[1]! }, data: { companyId: target.company.id } });
  expect(await portalOf(ids)).toEqual([lyon.accountId, lille.accountId]);
  expect(await listed(lille)).toEqual(expect.arrayContaining([ids[1]]));

  await api.prisma.bankAccount.deleteMany({ where: { id: { in: ids } } });
});

describe.each([
  ['the primary alone', () => firm, ''],
  ['the primary with its two secondaries', () => firm, '&includeSecondary=true'],
  ['a secondary', () => lyon, ''],
  ['an unrelated firm', () => other, ''],
])(
  '%s: every page, each sort on the account, both orders, as the join on the company gives them',
  (_, caller, extra) => {
    test.each([
      ['createdAt', 'desc', ''],
      ['createdAt', 'asc', '&includeInactive=true'],
      ['iban', 'asc', ''],
      ['iban', 'desc', '&includeInactive=true'],
      ['label', 'asc', '&includeInactive=true'],
      ['label', 'desc', ''],
      // A name on the company, the page walked on the account's index all the same.
      ['createdAt', 'desc', '&name=GAR&includeInactive=true'],
      ['iban', 'asc', '&name=gar'],
    ] as const)('sort=%s order=%s %s', async (sort, order, filter) => {
      const me = caller();
      const scope = extra ? [firm.accountId, lyon.accountId, lille.accountId] : [me.accountId];
      const where = {
        company: {
          portalAccountId: { in: scope },
          ...(filter.includes('name=') ? { name: { contains: 'gar', mode: 'insensitive' as const } } : {}),
        },
        ...(filter.includes('includeInactive') ? {} : { active: true }),
      };
      const all = await api.prisma.bankAccount.count({ where });
      expect(all).toBeGreaterThan(3);
      for (const offset of [0, 2, all - 2]) {
        const r = await call(
          api,
          'GET',
          `/api/v1/bank-accounts?sort=${sort}&order=${order}&limit=3&offset=${offset}${extra}${filter}`,
          { key: me.key },
        );
        expect(r.status).toBe(200);
        // Ties by id ascending either way; PostgreSQL's nulls: last ascending, first descending.
        const expected = await api.prisma.bankAccount.findMany({
          where,
          orderBy: [
            { [sort]: sort === 'iban' ? { sort: order, nulls: order === 'asc' ? 'last' : 'first' } : order },
            { id: 'asc' },
          ],
          skip: offset,
          take: 3,
          select: { id: true },
        });
        expect(r.body.items.map((i: { id: string }) => i.id)).toEqual(expected.map((a) => a.id));
        expect(r.body.total).toBe(all);
      }
    });
  },
);
