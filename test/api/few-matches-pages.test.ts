/**
 * A search filtered on the company (SIRET or its beginning, part of the name) builds its page from
 * the companies it matches when they are few (api/search-sql.ts `fewCompanies`), and walks the
 * sort's index when they are many; `link=valid` on bank accounts from the few connections whose
 * latest link is valid, the same way (issue 21: a few matches, or none, of a big firm made
 * PostgreSQL walk the whole firm). Both ways page exactly as the join on the company gives them (the
 * oracle: Prisma's findMany, and each connection's latest link as Prisma reads it), by offset and by
 * cursor, for GET /statements, /bank-accounts and /companies.
 *
 * One firm of 2 100 companies: `garage` and the SIREN prefix `70` match more than any route's cap
 * (2 050 and 2 100 companies; the largest cap is 2 000), `7001` 1 000 (statements: their bank
 * accounts as a list), `boulangerie` 50, `70020` 100; `garage
 * dupont` none of the firm's, 30 of its agency's (a secondary); a neighbour's companies match every
 * filter and are never listed. The garages' connections (2 050) have a valid link, the bakeries'
 * a valid one that a used one replaced; the agency's a valid one (10 of them after a used one), 10
 * of its 30 replaced by a revoked one created at the same instant (the tie broken by id). Each
 * garage of the firm has an older expired link and an older used one too: `link=expired|used` walk
 * the firm's accounts past the cap of its links in that state, and count from those links (none
 * its connection's latest but the bakeries' used ones), and merge the agency's few.
 */
import { randomUUID } from 'node:crypto';
import { createLinkActivities } from '../../activities/links';
import { call, createTenant, expectPages, latestLinksOracle, luhn, useApi, type Tenant } from './support';

const api = useApi();
let firm: Tenant;
let agency: Tenant;
let neighbour: Tenant;

/** A valid SIREN (Luhn key) for an 8-digit beginning. */
const sirenOf = (base: string) => base + [...'0123456789'].find((k) => luhn(base + k))!;

/** `count` companies of a portal account, each with one connection, 1 or 2 accounts and 2 statements an account. */
async function seedCompanies(t: Tenant, count: number, name: (i: number) => string, base: (i: number) => string) {
  const companies = Array.from({ length: count }, (_, i) => ({
    id: randomUUID(),
    siren: sirenOf(base(i)),
    name: name(i),
    // Two creation instants to the minute in five: ties on the sort key.
    createdAt: new Date(Date.UTC(2025, 0, 1, 9, i % 5)),
  }));
  await api.prisma.$executeRaw`
    INSERT INTO "Company" (id, "portalAccountId", "rootAccountId", siren, name, "periodicityKind", "periodicityDay",
                           "createdAt", "updatedAt")
    SELECT x.id, ${t.accountId}::uuid, ${t.rootId}::uuid, x.siren, x.name, 'MONTHLY', 0, x.at, now()
    FROM unnest(${companies.map((c) => c.id)}::uuid[], ${companies.map((c) => c.siren)}::text[],
                ${companies.map((c) => c.name)}::text[], ${companies.map((c) => c.createdAt)}::timestamp[])
         AS x(id, siren, name, at)`;
  await api.prisma.$executeRaw`
    INSERT INTO "BankConnection" (id, "companyId", "powensConnectionId", "connectorName", "updatedAt")
    SELECT gen_random_uuid(), c.id, 7000000 + row_number() OVER (ORDER BY c.id) + (SELECT count(*) FROM "BankConnection"),
           'Connecteur de test', now()
    FROM "Company" c WHERE c.id = ANY(${companies.map((c) => c.id)}::uuid[])`;
  // 1 account, or 2 for every third company (by SIREN); creation instants tie by sevens.
  await api.prisma.$executeRaw`
    INSERT INTO "BankAccount" (id, "connectionId", "companyId", "portalAccountId", "powensAccountId", iban, label, type,
                               currency, "createdAt", "updatedAt")
    SELECT gen_random_uuid(), bc.id, c.id, c."portalAccountId", n, NULL, 'Compte ' || n, 'checking', 'EUR',
           timestamp '2025-06-01 08:00' + (r.k % 7) * interval '1 minute', now()
    FROM "Company" c JOIN "BankConnection" bc ON bc."companyId" = c.id
    JOIN (SELECT id, row_number() OVER (ORDER BY siren) AS k FROM "Company") r ON r.id = c.id
    CROSS JOIN generate_series(1, 2) AS n
    WHERE c.id = ANY(${companies.map((c) => c.id)}::uuid[]) AND (n = 1 OR r.k % 3 = 0)`;
  // Two month-end statements an account, received on one of four mornings (ties).
  await api.prisma.$executeRaw`
    INSERT INTO "Statement" (id, "bankAccountId", "periodStart", "periodEnd", "receivedAt", state, currency,
                             "openingBalance", "closingBalance")
    SELECT gen_random_uuid(), a.id, m, (m + interval '1 month' - interval '1 day')::date,
           timestamp '2026-02-01 06:00' + ((a."powensAccountId" + ascii(a.id::text)) % 4) * interval '1 day'
             + (m - date '2025-11-01') * interval '1 minute', 'SUCCESS', 'EUR', 0, 0
    FROM "BankAccount" a CROSS JOIN (VALUES (date '2025-11-01'), (date '2025-12-01')) AS p(m)
    WHERE a."companyId" = ANY(${companies.map((c) => c.id)}::uuid[])`;
}

beforeAll(async () => {
  firm = await createTenant(api.prisma, { name: 'Cabinet Grand' });
  agency = await createTenant(api.prisma, { name: 'Agence Grand', parent: firm });
  neighbour = await createTenant(api.prisma, { name: 'Cabinet Voisin' });
  await seedCompanies(
    firm,
    2100,
    (i) => (i < 2050 ? `Garage Martin ${i}` : `Boulangerie Dupont ${i}`),
    (i) => `7${String(i).padStart(6, '0')}0`.slice(0, 8),
  );
  await seedCompanies(
    agency,
    30,
    (i) => `Garage Dupont ${i}`,
    (i) => `71${String(i).padStart(6, '0')}`,
  );
  await seedCompanies(
    neighbour,
    20,
    (i) => (i % 2 ? `Garage Dupont ${i}` : `Boulangerie Martin ${i}`),
    (i) => `7002${String(i).padStart(4, '0')}`,
  );
  // Links: [company name pattern, created hours ago, expires in hours, used, revoked], oldest first;
  // the second link of a pair shares its creation instant with the first and sorts after it by id.
  const link = (like: string, n: number, ago: number, ahead: number, used: boolean, revoked: boolean) =>
    api.prisma.$executeRaw`
      INSERT INTO "Link" (id, "companyId", "connectionId", kind, recipient, "secretHash", "createdAt", "expiresAt",
                          "usedAt", "revokedAt")
      SELECT (lpad(to_hex(${n}::int), 8, '0') || substr(bc.id::text, 9))::uuid, c.id, bc.id, 'UPDATE_CREDENTIALS',
             'x@example.test', md5(random()::text), date_trunc('second', now()) - ${ago}::int * interval '1 hour',
             now() + ${ahead}::int * interval '1 hour', CASE WHEN ${used} THEN now() END,
             CASE WHEN ${revoked} THEN now() END
      FROM "Company" c JOIN "BankConnection" bc ON bc."companyId" = c.id
      WHERE c.name LIKE ${like} AND c."portalAccountId" <> ${neighbour.accountId}::uuid`;
  await link('Garage Martin %', 1, 2, 70, false, false);
  await link('Boulangerie Dupont %', 1, 5, 67, false, false);
  await link('Boulangerie Dupont %', 2, 1, 71, true, false);
  await link('Garage Dupont 2_', 0, 30, -6, true, false);
  await link('Garage Dupont %', 1, 1, 71, false, false);
  await link('Garage Dupont 1_', 2, 1, 71, false, true);
  // Older links of each of the firm's garages, an expired one and a used one: more than the cap of
  // the firm's links in either state, none its connection's latest.
  await link('Garage Martin %', 3, 100, -28, false, false);
  await link('Garage Martin %', 4, 90, -18, true, false);
  // IBANs: FR76, ten digits of the account's rank, then 7777777777 for a few accounts (two bakeries
  // of the firm, three garages of its agency, five of the neighbour's companies), 5555555555 for the
  // first 400 garages' accounts of the firm, 0000000000 for the others.
  await api.prisma.$executeRaw`
    UPDATE "BankAccount" a SET iban = 'FR76' || lpad(r.k::text, 10, '0') || CASE
        WHEN c.name IN ('Boulangerie Dupont 2050', 'Boulangerie Dupont 2051') OR c.name LIKE 'Garage Dupont 1_'
          AND c.name < 'Garage Dupont 13' OR c.name LIKE 'Boulangerie Martin _' THEN '7777777777'
        WHEN c.name ~ '^Garage Martin ([0-9]|[0-9][0-9]|[0-3][0-9][0-9])$' THEN '5555555555'
        ELSE '0000000000' END
    FROM "Company" c, (SELECT id, row_number() OVER (ORDER BY id) AS k FROM "BankAccount") r
    WHERE c.id = a."companyId" AND r.id = a.id`;
  // The statistics a production database has from autovacuum: without them, the plans depended on
  // whether autovacuum had passed by, and the file took 19 or 64 s.
  await api.prisma.$executeRaw`ANALYZE "Company", "BankConnection", "BankAccount", "Statement", "Link"`;
}, 120_000);

type Filter = { name?: string; siren?: string };

/** The filters, their query strings, and how many of the firm's companies each matches. */
const FILTERS: Array<[string, Filter, number]> = [
  ['name=garage', { name: 'garage' }, 2050],
  ['name=Boulangerie', { name: 'boulangerie' }, 50],
  ['siret=70', { siren: '70' }, 2100],
  ['siret=7001', { siren: '7001' }, 1000],
  ['siret=70020', { siren: '70020' }, 100],
  ['name=garage%20dupont', { name: 'garage dupont' }, 0],
];

const companyWhere = (scope: string[], f: Filter) => ({
  portalAccountId: { in: scope },
  ...(f.name ? { name: { contains: f.name, mode: 'insensitive' as const } } : {}),
  ...(f.siren ? { siren: { startsWith: f.siren } } : {}),
});

test('the firm holds the companies the filters are written for', async () => {
  for (const [, f, firmMatches] of FILTERS)
    expect(await api.prisma.company.count({ where: companyWhere([firm.accountId], f) })).toBe(firmMatches);
  // The SIREN filter matches the beginning only: the 8th digit of the firm's SIRENs is 0.
  expect(
    await api.prisma.company.count({ where: { portalAccountId: firm.accountId, siren: { contains: '70020' } } }),
  ).toBe(100);
});

/** Each route: its sorts, and the oracle's order for one of them. */
const ROUTES = {
  statements: {
    sorts: [
      ['receivedAt', 'desc'],
      ['periodEnd', 'asc'],
    ],
    oracle: (scope: string[], f: Filter, sort: string, order: 'asc' | 'desc') =>
      api.prisma.statement
        .findMany({
          where: { bankAccount: { company: companyWhere(scope, f) } },
          orderBy: [{ [sort]: order }, { id: order }],
          select: { id: true },
        })
        .then((r) => r.map((s) => s.id)),
  },
  'bank-accounts': {
    sorts: [
      ['createdAt', 'desc'],
      ['name', 'asc'],
      ['siren', 'desc'],
    ],
    oracle: (scope: string[], f: Filter, sort: string, order: 'asc' | 'desc') =>
      api.prisma.bankAccount
        .findMany({
          where: { active: true, company: companyWhere(scope, f) },
          orderBy: [sort === 'createdAt' ? { createdAt: order } : { company: { [sort]: order } }, { id: 'asc' }],
          select: { id: true },
        })
        .then((r) => r.map((a) => a.id)),
  },
  companies: {
    sorts: [
      ['name', 'asc'],
      ['createdAt', 'desc'],
    ],
    oracle: (scope: string[], f: Filter, sort: string, order: 'asc' | 'desc') =>
      api.prisma.company
        .findMany({
          where: { active: true, ...companyWhere(scope, f) },
          orderBy: [{ [sort]: order }, { id: 'asc' }],
          select: { id: true },
        })
        .then((r) => r.map((c) => c.id)),
  },
} as const;

describe.each(Object.keys(ROUTES) as Array<keyof typeof ROUTES>)('GET /%s', (route) => {
  const cases = ROUTES[route].sorts.flatMap(([sort, order]) =>
    FILTERS.flatMap(([query, f]) => [
      [query, sort, order, '', f] as const,
      ...(f.name === 'garage dupont' ? [[query, sort, order, '&includeSecondary=true', f] as const] : []),
    ]),
  );
  test.each(cases)('%s sort=%s order=%s%s: by offset and by cursor', async (query, sort, order, extra, f) => {
    const scope = extra ? [firm.accountId, agency.accountId] : [firm.accountId];
    const expected = await ROUTES[route].oracle(scope, f, sort, order as 'asc' | 'desc');
    const path = `/api/v1/${route}?${query}&sort=${sort}&order=${order}${extra}`;
    await expectPages(api, path, firm.key, expected);
  });
});

test('companies of a name matching many in name order, both ways: the page and the count from one walk, the export whole', async () => {
  for (const order of ['asc', 'desc'] as const) {
    const expected = await ROUTES.companies.oracle([firm.accountId], { name: 'garage' }, 'name', order);
    expect(expected).toHaveLength(2050);
    await expectPages(api, `/api/v1/companies?name=garage&sort=name&order=${order}`, firm.key, expected);
  }
  // The export reads past the count's cap: every garage, in name order.
  const csv = await call(api, 'GET', '/api/v1/companies/export?name=garage&format=csv', { key: firm.key });
  expect(csv.status).toBe(200);
  const sirens = csv.buffer
    .toString('utf8')
    .trim()
    .split(/\r?\n/)
    .slice(1)
    .map((line) => line.match(/\d{9}/)![0]);
  const garages = await api.prisma.company.findMany({
    where: { active: true, ...companyWhere([firm.accountId], { name: 'garage' }) },
    orderBy: [{ name: 'asc' }, { id: 'asc' }],
    select: { siren: true },
  });
  expect(sirens).toEqual(garages.map((c) => c.siren));
});

test('statements of a name or a SIREN prefix matching many companies, in a rare state or a common one, by offset and by cursor', async () => {
  // One statement in five of the firm's garages failed: more than the count's cap of them.
  await api.prisma.$executeRaw`
    UPDATE "Statement" s SET state = 'FAILURE' FROM "BankAccount" a JOIN "Company" c ON c.id = a."companyId"
    WHERE a.id = s."bankAccountId" AND c.name LIKE 'Garage Martin %' AND get_byte(uuid_send(s.id), 15) % 5 = 0`;
  try {
    // The name: its statements walked (their own copy of it); the prefix of 1 000 companies: their
    // accounts as a list, counted account by account.
    for (const [query, f] of [
      ['name=garage', { name: 'garage' }],
      ['siret=7001', { siren: '7001' }],
    ] as const) {
      for (const state of ['FAILURE', 'SUCCESS'] as const) {
        const expected = (
          await api.prisma.statement.findMany({
            where: { state, bankAccount: { company: companyWhere([firm.accountId], f) } },
            orderBy: [{ receivedAt: 'desc' }, { id: 'desc' }],
            select: { id: true },
          })
        ).map((x) => x.id);
        expect(expected.length).toBeGreaterThan(query.startsWith('name') ? 1000 : 200);
        await expectPages(api, `/api/v1/statements?${query}&state=${state.toLowerCase()}`, firm.key, expected);
      }
    }
  } finally {
    await api.prisma.$executeRaw`UPDATE "Statement" SET state = 'SUCCESS' WHERE state = 'FAILURE'`;
  }
});

/** The caller's active bank accounts whose connection's latest link is in `state`, in the list's order. */
async function linkOracle(
  state: 'valid' | 'expired' | 'used',
  scope: string[],
  f: Filter,
  sort: 'createdAt' | 'name',
  order: 'asc' | 'desc',
) {
  const accounts = await api.prisma.bankAccount.findMany({
    where: { active: true, company: companyWhere(scope, f) },
    orderBy: [sort === 'createdAt' ? { createdAt: order } : { company: { name: order } }, { id: 'asc' }],
    select: { id: true, connectionId: true },
  });
  const latest = await latestLinksOracle(api.prisma, [...new Set(accounts.map((a) => a.connectionId))]);
  return accounts.filter((a) => latest.get(a.connectionId)?.state === state).map((a) => a.id);
}

describe('GET /bank-accounts?link=valid', () => {
  test.each([
    // The firm's 2 050 connections with a valid link: more than the cap, walked.
    ['the firm', '', 'createdAt', 'desc', 2050, {}],
    ['the firm', '', 'name', 'asc', 2050, {}],
    // Its agency's 20 (of 30: the others' valid link replaced at the same instant): merged.
    ['its agency', '', 'createdAt', 'desc', 20, {}],
    // The firm's, filtered on the company: the few companies merged, their links checked.
    ['the firm', '&siret=70020', 'createdAt', 'asc', 50, { siren: '70020' }],
    ['the firm', '&name=boulangerie', 'createdAt', 'desc', 0, { name: 'boulangerie' }],
    [
      'the firm and its agency',
      '&includeSecondary=true&name=garage%20dupont',
      'name',
      'desc',
      20,
      { name: 'garage dupont' },
    ],
  ] as const)('%s%s sort=%s order=%s: %i connections', async (who, query, sort, order, connectionCount, f) => {
    const me = who === 'its agency' ? agency : firm;
    const scope =
      who === 'its agency'
        ? [agency.accountId]
        : query.includes('includeSecondary')
          ? [firm.accountId, agency.accountId]
          : [firm.accountId];
    const expected = await linkOracle('valid', scope, f as Filter, sort, order);
    const connections = await api.prisma.bankAccount.findMany({
      where: { id: { in: expected } },
      distinct: ['connectionId'],
      select: { connectionId: true },
    });
    expect(connections.length).toBe(connectionCount);
    const path = `/api/v1/bank-accounts?link=valid${query}&sort=${sort}&order=${order}`;
    await expectPages(api, path, me.key, expected, (items) =>
      expect(items.every((i) => i.link?.state === 'valid')).toBe(true),
    );
  });
});

describe('GET /bank-accounts?link=expired|used', () => {
  test.each([
    // The firm's 2 050 expired links and 2 100 used ones: more than the cap, walked; the garages'
    // are older than their valid link, the bakeries' used ones their latest.
    ['the firm', 'expired', 'createdAt', 'desc', 0],
    ['the firm', 'used', 'createdAt', 'desc', 50],
    ['the firm', 'used', 'name', 'asc', 50],
    // Its agency's 10 revoked links, their connections' latest, and 10 used ones replaced: merged.
    ['its agency', 'expired', 'createdAt', 'asc', 10],
    ['its agency', 'used', 'createdAt', 'desc', 0],
  ] as const)('%s: link=%s sort=%s order=%s: %i connections', async (who, state, sort, order, connectionCount) => {
    const me = who === 'its agency' ? agency : firm;
    const links = await api.prisma.link.count({
      where: {
        portalAccountId: me.accountId,
        ...(state === 'used' ? { usedAt: { not: null } } : { usedAt: null, expiresAt: { lte: new Date() } }),
      },
    });
    expect(links > 2000).toBe(who === 'the firm');
    const expected = await linkOracle(state, [me.accountId], {}, sort, order);
    const connections = await api.prisma.bankAccount.findMany({
      where: { id: { in: expected } },
      distinct: ['connectionId'],
      select: { connectionId: true },
    });
    expect(connections.length).toBe(connectionCount);
    await expectPages(
      api,
      `/api/v1/bank-accounts?link=${state}&sort=${sort}&order=${order}`,
      me.key,
      expected,
      (items) => expect(items.every((i) => i.link?.state === state)).toBe(true),
    );
  });
});

describe('GET /bank-accounts?link=expired: links revoked before their expiry', () => {
  test('the firm (more expired links than the cap): counted with those past their expiry', async () => {
    // Five garages' latest links (valid) revoked before their expiry, as the workflow's 72 h timer
    // closes a link when its clock runs a little ahead of the database's (activities/links.ts
    // closeLink): expired, their connection's latest; the firm's 2 050 older expired links are none.
    const revoked = await api.prisma.$queryRaw<Array<{ id: string }>>`
      SELECT l.id::text FROM "Link" l JOIN "Company" c ON c.id = l."companyId"
      WHERE c."portalAccountId" = ${firm.accountId}::uuid AND c.name LIKE 'Garage Martin %'
        AND l."usedAt" IS NULL AND l."revokedAt" IS NULL AND l."expiresAt" > now()
      ORDER BY c.name LIMIT 5`;
    const { closeLink } = createLinkActivities({ prisma: api.prisma });
    try {
      expect(revoked).toHaveLength(5);
      for (const { id } of revoked) await closeLink(id, 'expired', new Date().toISOString());
      const expected = await linkOracle('expired', [firm.accountId], {}, 'createdAt', 'desc');
      expect(expected.length).toBeGreaterThan(0);
      // With its agency (several portal accounts: the expired links read in no order), whose 10
      // revoked links are their connection's latest too.
      const both = await linkOracle('expired', [firm.accountId, agency.accountId], {}, 'createdAt', 'desc');
      expect(both.length).toBeGreaterThan(expected.length);
      await expectPages(
        api,
        `/api/v1/bank-accounts?link=expired&includeSecondary=true&sort=createdAt&order=desc`,
        firm.key,
        both,
      );
      await expectPages(
        api,
        `/api/v1/bank-accounts?link=expired&sort=createdAt&order=desc`,
        firm.key,
        expected,
        (items) => expect(items.every((i) => i.link?.state === 'expired')).toBe(true),
      );
    } finally {
      await api.prisma.link.updateMany({ where: { id: { in: revoked.map((r) => r.id) } }, data: { revokedAt: null } });
    }
  });
});

describe('a search on part of an IBAN', () => {
  // Each route's rows whose account's IBAN holds the part, as Prisma reads them.
  const oracles = {
    statements: (scope: string[], part: string, sort: string, order: 'asc' | 'desc') =>
      api.prisma.statement.findMany({
        where: { bankAccount: { iban: { contains: part }, company: { portalAccountId: { in: scope } } } },
        orderBy: [{ [sort]: order }, { id: order }],
        select: { id: true },
      }),
    'bank-accounts': (scope: string[], part: string, sort: string, order: 'asc' | 'desc') =>
      api.prisma.bankAccount.findMany({
        where: { active: true, iban: { contains: part }, company: { portalAccountId: { in: scope } } },
        orderBy: [sort === 'createdAt' ? { createdAt: order } : { company: { [sort]: order } }, { id: 'asc' }],
        select: { id: true },
      }),
    companies: (scope: string[], part: string, sort: string, order: 'asc' | 'desc') =>
      api.prisma.company.findMany({
        where: { active: true, portalAccountId: { in: scope }, accounts: { some: { iban: { contains: part } } } },
        orderBy: [{ [sort]: order }, { id: 'asc' }],
        select: { id: true },
      }),
  };
  test.each([
    // A few accounts (read from them), or more than the 300 of the cap (the sort's index walked);
    // a part of 9 characters is not looked up first.
    ['statements', '7777777777', 'receivedAt', 'desc', '', 2],
    ['statements', '777777777', 'receivedAt', 'desc', '', 2],
    ['statements', '5555555555', 'periodEnd', 'asc', '', 400],
    ['bank-accounts', '7777777777', 'createdAt', 'desc', '', 2],
    ['bank-accounts', '7777777777', 'name', 'asc', '&includeSecondary=true', 5],
    ['bank-accounts', '5555555555', 'createdAt', 'asc', '', 400],
    ['companies', '7777777777', 'name', 'asc', '&includeSecondary=true', 5],
    ['companies', '5555555555', 'createdAt', 'desc', '', 400],
    // With a company filter too: both kept.
    ['bank-accounts', '7777777777', 'createdAt', 'desc', '&name=2051', 1],
  ] as const)('%s iban=%s sort=%s order=%s%s: %i companies', async (route, part, sort, order, extra, companyCount) => {
    const scope = extra.includes('includeSecondary') ? [firm.accountId, agency.accountId] : [firm.accountId];
    const rows = await oracles[route](scope, part, sort, order);
    const name = /name=(\w+)/.exec(extra)?.[1];
    const expected = name
      ? (
          await api.prisma.bankAccount.findMany({
            where: { id: { in: rows.map((r) => r.id) }, company: { name: { contains: name } } },
            select: { id: true },
          })
        ).map((r) => r.id)
      : rows.map((r) => r.id);
    const companies = await api.prisma.company.count({
      where: { portalAccountId: { in: scope }, accounts: { some: { iban: { contains: part } } } },
    });
    if (!name) expect(companies).toBe(companyCount);
    await expectPages(
      api,
      `/api/v1/${route}?iban=${part}&sort=${sort}&order=${order}${extra}`,
      firm.key,
      rows.map((r) => r.id).filter((id) => expected.includes(id)),
    );
  });
});

test('statements of a SIREN prefix of many companies (their accounts as a list) and part of an IBAN', async () => {
  // `7001`: 1 000 of the firm's garages (past the 300 merged); the 9 zeros are not looked up first
  // (shorter than an account number) and end the IBAN of the garages past the first 400.
  const expected = (
    await api.prisma.statement.findMany({
      where: {
        bankAccount: {
          iban: { contains: '000000000' },
          company: companyWhere([firm.accountId], { siren: '7001' }),
        },
      },
      orderBy: [{ receivedAt: 'desc' }, { id: 'desc' }],
      select: { id: true },
    })
  ).map((x) => x.id);
  expect(expected.length).toBeGreaterThan(1000);
  await expectPages(api, '/api/v1/statements?siret=7001&iban=000000000', firm.key, expected);
});
