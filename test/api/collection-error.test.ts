/**
 * `GET /companies?collection=error` at the scale of a big firm (issue 21): each bank connection
 * carries its company's portal account, written by the database (migration
 * 20261214090000_connection_portal_account), and a firm's companies in error are read from its
 * range of the partial index (portalAccountId, companyId) WHERE active AND state IS NOT NULL: the
 * page from them when they are few (up to 300), the sort's index walked when they are many, the
 * count from that range either way.
 *
 * The column is right whatever the writer sends and follows a company moved to another firm. The
 * list pages exactly as Prisma's relation filter gives it (a company with an active connection in
 * error), by offset and by cursor: a firm of 700 companies with 420 of them in error (walked) or 120
 * (read from them), with its agency (a secondary), a company with two connections in error (listed
 * once), a closed connection in error (not counted), a deactivated company in error (only with
 * `includeInactive`), and a neighbour whose companies are all in error (never listed).
 */
import { randomUUID } from 'node:crypto';
import { call, createCompanyWithAccounts, createTenant, expectPages, siren, useApi, type Tenant } from './support';

const api = useApi();
let firm: Tenant;
let agency: Tenant;
let neighbour: Tenant;

/** `count` companies of a portal account named `prefix i`, each with one connection (its portal account left to the database). */
async function seedCompanies(t: Tenant, count: number, prefix: string, first: number) {
  const ids = Array.from({ length: count }, () => randomUUID());
  await api.prisma.$executeRaw`
    INSERT INTO "Company" (id, "portalAccountId", "rootAccountId", siren, name, "periodicityKind", "periodicityDay",
                           "createdAt", "updatedAt")
    SELECT x.id, ${t.accountId}::uuid, ${t.rootId}::uuid, lpad((${first}::int + x.n)::text, 9, '0'),
           ${prefix} || ' ' || x.n, 'MONTHLY', 0, timestamp '2025-01-01 09:00' + (x.n % 4) * interval '1 minute', now()
    FROM unnest(${ids}::uuid[]) WITH ORDINALITY AS x(id, n)`;
  await api.prisma.$executeRaw`
    INSERT INTO "BankConnection" (id, "companyId", "powensConnectionId", "connectorName", "updatedAt")
    SELECT gen_random_uuid(), c.id, 8000000 + (SELECT count(*) FROM "BankConnection") + row_number() OVER (ORDER BY c.id),
           'Connecteur de test', now()
    FROM "Company" c WHERE c.id = ANY(${ids}::uuid[])`;
}

beforeAll(async () => {
  firm = await createTenant(api.prisma, { name: 'Cabinet Grand' });
  agency = await createTenant(api.prisma, { name: 'Agence Grand', parent: firm });
  neighbour = await createTenant(api.prisma, { name: 'Cabinet Voisin' });
  await seedCompanies(firm, 700, 'Garage', 100000000);
  await seedCompanies(agency, 40, 'Pharmacie', 200000000);
  await seedCompanies(neighbour, 30, 'Garage', 300000000);
  // Every neighbour's company in error; 10 of the agency's.
  await api.prisma.$executeRaw`
    UPDATE "BankConnection" x SET state = 'wrongpass' FROM "Company" c
    WHERE c.id = x."companyId" AND (c."portalAccountId" = ${neighbour.accountId}::uuid
      OR c."portalAccountId" = ${agency.accountId}::uuid AND c.siren::int % 4 = 0)`;
}, 60_000);

/**
 * The firm's companies in error: those whose rank (their SIREN's last digits) `inError` picks, one
 * of them with a second connection in error; a company with a closed connection in error only
 * (not in error), and a deactivated company in error.
 */
async function setErrors(inError: (n: number) => boolean) {
  await api.prisma.$executeRaw`UPDATE "BankConnection" x SET state = NULL FROM "Company" c
    WHERE c.id = x."companyId" AND c."portalAccountId" = ${firm.accountId}::uuid`;
  const firmCompanies = await api.prisma.company.findMany({
    where: { portalAccountId: firm.accountId, name: { startsWith: 'Garage ' } },
    select: { id: true, siren: true },
  });
  const picked = firmCompanies.filter((c) => inError(Number(c.siren) - 100000000)).map((c) => c.id);
  await api.prisma.bankConnection.updateMany({ where: { companyId: { in: picked } }, data: { state: 'SCARequired' } });
  return picked;
}

/** The caller's companies with an active connection in error, in the list's order (Prisma's relation filter). */
const oracle = (scope: string[], sort: 'name' | 'createdAt', order: 'asc' | 'desc', includeInactive = false) =>
  api.prisma.company
    .findMany({
      where: {
        portalAccountId: { in: scope },
        ...(includeInactive ? {} : { active: true }),
        connections: { some: { active: true, state: { not: null } } },
      },
      orderBy: [{ [sort]: order }, { id: 'asc' }],
      select: { id: true },
    })
    .then((r) => r.map((c) => c.id));

const ids = (items: Array<{ id: string }>) => items.map((i) => i.id);

/** Each page's companies are in error. */
const allInError = (items: Array<{ collection?: string }>) =>
  expect(items.every((c) => c.collection === 'error')).toBe(true);

test('the database writes the portal account of the connection’s company, whatever the writer sends, and follows a company moved', async () => {
  const written = await api.prisma.bankConnection.findMany({
    where: { company: { portalAccountId: { in: [firm.accountId, agency.accountId, neighbour.accountId] } } },
    select: { portalAccountId: true, company: { select: { portalAccountId: true } } },
  });
  expect(written.length).toBe(770);
  expect(written.filter((x) => x.portalAccountId !== x.company.portalAccountId)).toEqual([]);

  // A writer that names another firm's account is overruled, on insert and on update.
  const c = await createCompanyWithAccounts(api.prisma, firm, { siren: siren(9901), name: 'Zinc Moved', accounts: 1 });
  const forged = await api.prisma.bankConnection.create({
    data: {
      companyId: c.company.id,
      portalAccountId: neighbour.accountId,
      powensConnectionId: 8999999,
      state: 'wrongpass',
    },
  });
  expect(forged.portalAccountId).toBe(firm.accountId);
  await api.prisma.$executeRaw`
    UPDATE "BankConnection" SET "portalAccountId" = ${neighbour.accountId}::uuid WHERE id = ${forged.id}::uuid`;
  const portalOf = async () =>
    (await api.prisma.bankConnection.findUniqueOrThrow({ where: { id: forged.id } })).portalAccountId;
  expect(await portalOf()).toBe(firm.accountId);

  const inError = async (t: Tenant) =>
    ids((await call(api, 'GET', '/api/v1/companies?collection=error&name=zinc', { key: t.key })).body.items);
  expect(await inError(firm)).toEqual([c.company.id]);
  await api.prisma.company.update({ where: { id: c.company.id }, data: { portalAccountId: neighbour.accountId } });
  expect(await portalOf()).toBe(neighbour.accountId);
  expect(await inError(neighbour)).toEqual([c.company.id]);
  expect(await inError(firm)).toEqual([]);
  await api.prisma.company.update({ where: { id: c.company.id }, data: { active: false } });
});

describe.each([
  // More than the 300 of the cap: the sort's index walked, the count from the firm's range.
  ['420 of the firm’s companies in error', (n: number) => n % 5 < 3, 420],
  // 120: the page read from them.
  ['120 of them', (n: number) => n % 35 < 6, 120],
])('%s', (_, pick, count) => {
  let picked: string[] = [];
  let closedOnly: string;
  let deactivated: string;
  beforeAll(async () => {
    picked = await setErrors(pick);
    expect(picked.length).toBe(count);
    // A second connection in error for one of them (listed once), a closed one in error for a
    // company otherwise well (not listed), and one of them deactivated (listed with includeInactive).
    const firmCompanies = await api.prisma.company.findMany({
      where: { portalAccountId: firm.accountId, name: { startsWith: 'Garage ' } },
      orderBy: { siren: 'asc' },
      select: { id: true },
    });
    const well = firmCompanies.find((c) => !picked.includes(c.id))!.id;
    closedOnly = well;
    deactivated = picked[1]!;
    await api.prisma.bankConnection.createMany({
      data: [
        { companyId: picked[0]!, portalAccountId: firm.accountId, powensConnectionId: 8900001, state: 'wrongpass' },
        {
          companyId: well,
          portalAccountId: firm.accountId,
          powensConnectionId: 8900002,
          state: 'wrongpass',
          active: false,
        },
      ],
    });
    await api.prisma.company.update({ where: { id: deactivated }, data: { active: false } });
  });
  afterAll(async () => {
    await api.prisma.bankConnection.deleteMany({ where: { powensConnectionId: { in: [8900001, 8900002] } } });
    await api.prisma.company.update({ where: { id: deactivated }, data: { active: true } });
  });

  test.each([
    ['name', 'asc', ''],
    ['createdAt', 'desc', ''],
    ['name', 'desc', '&includeSecondary=true'],
    ['name', 'asc', '&includeInactive=true'],
  ] as const)('sort=%s order=%s%s: by offset and by cursor', async (sort, order, extra) => {
    const scope = extra.includes('Secondary') ? [firm.accountId, agency.accountId] : [firm.accountId];
    const expected = await oracle(scope, sort, order, extra.includes('Inactive'));
    expect(expected.length).toBe(
      count - 1 + (extra.includes('Inactive') ? 1 : 0) + (extra.includes('Secondary') ? 10 : 0),
    );
    expect(expected).not.toContain(closedOnly);
    expect(expected.includes(deactivated)).toBe(extra.includes('Inactive'));
    await expectPages(
      api,
      `/api/v1/companies?collection=error&sort=${sort}&order=${order}${extra}`,
      firm.key,
      expected,
      allInError,
    );
  });

  test('with a name: the name’s matches and the errors, either few', async () => {
    // `Garage 1…`: 111 of the firm's 700 names, some of them in error.
    const expected = await oracle([firm.accountId], 'name', 'asc');
    const named = await api.prisma.company.findMany({
      where: { id: { in: expected }, name: { startsWith: 'Garage 1' } },
      orderBy: [{ name: 'asc' }, { id: 'asc' }],
      select: { id: true },
    });
    expect(named.length).toBeGreaterThan(5);
    await expectPages(
      api,
      '/api/v1/companies?collection=error&name=garage%201&sort=name&order=asc',
      firm.key,
      ids(named),
      allInError,
    );
  });

  test('collection=success: the others with an active connection', async () => {
    const expected = await api.prisma.company
      .findMany({
        where: {
          portalAccountId: firm.accountId,
          active: true,
          connections: { some: { active: true, state: null }, none: { active: true, state: { not: null } } },
        },
        orderBy: [{ name: 'asc' }, { id: 'asc' }],
        select: { id: true },
      })
      .then(ids);
    expect(expected).toContain(closedOnly);
    const r = await call(api, 'GET', '/api/v1/companies?collection=success&sort=name&limit=200', { key: firm.key });
    expect(ids(r.body.items)).toEqual(expected.slice(0, 200));
    expect(r.body.total).toBe(Math.min(expected.length, 1000));
  });
});
