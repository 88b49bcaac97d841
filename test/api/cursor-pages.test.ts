/**
 * Keyset pagination of the big lists (`after`, `nextAfter`): walking GET /companies,
 * GET /bank-accounts and GET /statements page after page from each page's `nextAfter` gives the list the offsets give, in
 * every sort and order, through ties on the sort key (same name, same reception instant to the
 * millisecond, same period end), accounts without IBAN (nulls last ascending, first descending), a
 * primary's secondaries, and a filter; `total` then counts what follows; the walk goes on past an
 * item deleted meanwhile; a cursor that is not a page's, of another sort or with an offset is
 * refused by name.
 */
import { call, createCompanyWithAccounts, createTenant, siren, useApi, type Tenant } from './support';

const api = useApi();
let firm: Tenant;
let agency: Tenant;
let neighbour: Tenant;
let foreignStatement: string;

beforeAll(async () => {
  const p = api.prisma;
  firm = await createTenant(p, { name: 'Cabinet Curseur' });
  agency = await createTenant(p, { name: 'Agence Curseur', parent: firm });
  neighbour = await createTenant(p, { name: 'Cabinet Voisin' });
  const names = ['alpha', 'beta', 'beta', 'gamma', 'alpha', 'delta', 'beta'];
  let n = 0;
  let m = 0; // the statements written so far
  for (const [tenant, count] of [
    [firm, 6],
    [agency, 3],
  ] as const) {
    for (let i = 0; i < count; i++, n++) {
      const c = await createCompanyWithAccounts(p, tenant, {
        siren: siren(7100 + n),
        name: names[n % names.length],
        accounts: 1 + (n % 3),
      });
      // Companies: two creation instants to the millisecond (ties), one deactivated.
      await p.company.update({
        where: { id: c.company.id },
        data: { createdAt: new Date(Date.UTC(2025, 5, 1 + (n % 2), 9, 0, 0, 250)), active: n !== 4 },
      });
      for (const [j, a] of c.accounts.entries()) {
        // Every third account without IBAN; two pairs share one; labels and creation instants tie.
        const iban = (n + j) % 3 === 0 ? null : (n + j) % 4 === 1 ? 'FR7630004000031234567890143' : a.iban;
        const createdAt = new Date(Date.UTC(2026, 0, 1 + (n % 4), 8, 0, 0, n % 2 ? 123 : 0));
        await p.bankAccount.update({
          where: { id: a.id },
          data: { iban, createdAt, label: j === 0 ? 'Compte chèque' : 'Livret', active: (n + j) % 5 !== 4 },
        });
        // Statements: period ends and reception instants from a few values (ties), milliseconds kept.
        for (let k = 0; k < 3; k++, m++) {
          const periodEnd = `2026-0${1 + k}-2${1 + (m % 3)}`;
          const receivedAt = new Date(Date.UTC(2026, k, 25, 6, 0, 0, [0, 5, 999][(m * 2 + n) % 3]!));
          const state = m % 10 < 3 ? 'FAILURE' : 'SUCCESS';
          await p.$executeRaw`
            INSERT INTO "Statement" (id, "bankAccountId", "periodStart", "periodEnd", "receivedAt", state, currency,
                                     "openingBalance", "closingBalance", "balanceBreak")
            VALUES (gen_random_uuid(), ${a.id}::uuid, ${`${periodEnd.slice(0, 8)}01`}::date, ${periodEnd}::date,
                    ${receivedAt}, ${state}::"StatementState", 'EUR', 0, 0, false)`;
        }
      }
    }
  }
  const theirs = await createCompanyWithAccounts(p, neighbour, { siren: siren(7199), name: 'alpha' });
  const foreignAccount = theirs.accounts[0]!.id;
  const s = await p.$queryRaw<Array<{ id: string }>>`
    INSERT INTO "Statement" (id, "bankAccountId", "periodStart", "periodEnd", "receivedAt", state, currency,
                             "openingBalance", "closingBalance", "balanceBreak")
    VALUES (gen_random_uuid(), ${foreignAccount}::uuid, '2026-01-01', '2026-01-21', '2026-01-25 06:00:00',
            'SUCCESS', 'EUR', 0, 0, false) RETURNING id::text`;
  foreignStatement = s[0]!.id;
});

const get = (path: string, tenant = firm) => call(api, 'GET', `/api/v1${path}`, { key: tenant.key });

interface Item {
  id: string;
  iban?: string | null;
}

/** The whole list by offsets (one page of 200), and page after page from `nextAfter` (`limit` each). */
async function walk(route: string, query: string, limit: number) {
  const whole = await get(`/${route}?${query}&limit=200`);
  expect(whole.status).toBe(200);
  expect(whole.body.totalCapped).toBe(false);
  expect(whole.body.nextAfter).toBeNull();
  const pages: Item[][] = [];
  let after: string | null = null;
  do {
    const r = await get(`/${route}?${query}&limit=${limit}${after ? `&after=${after}` : ''}`);
    expect(r.status).toBe(200);
    const seen = pages.reduce((sum, p) => sum + p.length, 0);
    // With `after`, the total is what follows the item: the whole list's, less what came before.
    expect([r.body.total, r.body.offset]).toEqual([whole.body.total - seen, 0]);
    pages.push(r.body.items);
    after = r.body.nextAfter;
    if (after) expect(typeof after).toBe('string');
    else expect(r.body.items.length).toBe(whole.body.total - seen);
  } while (after && pages.length < 100);
  return { whole: whole.body.items as Item[], walked: pages.flat(), pages };
}

const sorts: Array<[string, string]> = [
  ['bank-accounts', 'sort=createdAt'],
  ['bank-accounts', 'sort=name'],
  ['bank-accounts', 'sort=siren'],
  ['bank-accounts', 'sort=iban'],
  ['bank-accounts', 'sort=label'],
  ['bank-accounts', 'sort=name&includeInactive=true&includeSecondary=true'],
  ['bank-accounts', 'sort=iban&includeSecondary=true'],
  ['bank-accounts', 'sort=createdAt&includeSecondary=true'],
  ['bank-accounts', 'sort=label&includeInactive=true&includeSecondary=true'],
  ['bank-accounts', 'sort=createdAt&name=beta&includeSecondary=true'],
  ['bank-accounts', 'sort=iban&name=a'],
  ['companies', 'sort=name'],
  ['companies', 'sort=siren'],
  ['companies', 'sort=createdAt'],
  ['companies', 'sort=name&includeInactive=true&includeSecondary=true'],
  ['companies', 'sort=siren&includeSecondary=true'],
  ['companies', 'sort=createdAt&includeInactive=true&includeSecondary=true'],
  ['statements', 'sort=receivedAt'],
  ['statements', 'sort=periodEnd'],
  ['statements', 'sort=receivedAt&includeSecondary=true'],
  ['statements', 'sort=periodEnd&includeSecondary=true'],
  ['statements', 'sort=receivedAt&state=failure&includeSecondary=true'],
  ['statements', 'sort=periodEnd&name=beta'],
];

test.each(sorts.flatMap(([route, q]) => (['asc', 'desc'] as const).map((o) => [route, `${q}&order=${o}`] as const)))(
  'GET /%s?%s walked from nextAfter gives the list the offsets give',
  async (route, query) => {
    const { whole, walked, pages } = await walk(route, query, 2);
    expect(whole.length).toBeGreaterThan(4); // several pages walked
    expect(pages.length).toBe(Math.ceil(whole.length / 2));
    expect(walked.map((i) => i.id)).toEqual(whole.map((i) => i.id));
    if (query.includes('sort=iban')) {
      // Accounts without IBAN: last ascending, first descending, as ORDER BY puts nulls.
      const nulls = walked.map((i) => i.iban === null);
      expect(nulls.includes(true) && nulls.includes(false)).toBe(true);
      const sorted = [...nulls].sort((a, b) => Number(a) - Number(b));
      expect(nulls).toEqual(query.includes('order=desc') ? sorted.reverse() : sorted);
    }
  },
);

test('the data has the ties the walk must cross', async () => {
  const rows = await api.prisma.$queryRaw<Array<{ what: string; n: number }>>`
    SELECT 'receivedAt' AS what, max(c)::int AS n FROM (SELECT count(*) c FROM "Statement" s
      WHERE s."portalAccountId" = ${firm.accountId}::uuid GROUP BY s."receivedAt") x
    UNION ALL SELECT 'periodEnd', max(c)::int FROM (SELECT count(*) c FROM "Statement" s
      WHERE s."portalAccountId" = ${firm.accountId}::uuid GROUP BY s."periodEnd") x
    UNION ALL SELECT 'name', max(c)::int FROM (SELECT count(*) c FROM "BankAccount" a
      JOIN "Company" c ON c.id = a."companyId" WHERE c."portalAccountId" = ${firm.accountId}::uuid GROUP BY c.name) x
    UNION ALL SELECT 'company createdAt', max(c)::int FROM (SELECT count(*) c FROM "Company" c
      WHERE c."portalAccountId" = ${firm.accountId}::uuid GROUP BY c."createdAt") x
    UNION ALL SELECT 'receivedAt milliseconds', count(*)::int FROM "Statement" s
      WHERE s."portalAccountId" = ${firm.accountId}::uuid AND extract(milliseconds FROM s."receivedAt")::int % 1000 <> 0`;
  for (const r of rows) expect([r.what, r.n > 2]).toEqual([r.what, true]);
});

test('a cursor is the nextAfter of a page of this list: anything else, another sort or an offset is refused', async () => {
  const first = await get('/bank-accounts?sort=name&limit=1');
  const cursor = first.body.nextAfter as string;
  const forged = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const invalid = 'curseur invalide (le nextAfter d’une page de cette liste attendu)';
  const cases: Array<[string, string, string]> = [
    [
      `/bank-accounts?sort=name&after=${cursor}&offset=2`,
      'offset',
      'ne se combine pas avec after (pagination par curseur)',
    ],
    [
      `/bank-accounts?sort=siren&after=${cursor}`,
      'after',
      'curseur d’un autre tri (sort=name, order=asc) : reprendre à la première page',
    ],
    [
      `/bank-accounts?sort=name&order=desc&after=${cursor}`,
      'after',
      'curseur d’un autre tri (sort=name, order=asc) : reprendre à la première page',
    ],
    [`/statements?after=${first.body.items[0].id}`, 'after', invalid], // an id is no cursor
    ['/statements?after=abc', 'after', invalid],
    ['/statements?after=a%20b', 'after', invalid],
    // A cursor written by hand whose key PostgreSQL could not read as the sort's type.
    [`/statements?after=${forged(['receivedAt', 'desc', 'hier', foreignStatement])}`, 'after', invalid],
    [`/statements?after=${forged(['receivedAt', 'desc', '2026-01-25T06:00:00Z', 'x'])}`, 'after', invalid],
  ];
  for (const [path, field, reason] of cases) {
    const r = await get(path);
    expect([path, r.status, r.body.errors]).toEqual([path, 400, [{ field, reason }]]);
  }
  // A cursor carries a place, not a right: another firm's places the page in the caller's own list.
  const theirs = await get('/statements?limit=1', neighbour);
  const mine = await get(
    `/statements?after=${forged(['receivedAt', 'desc', '2026-02-01T00:00:00Z', foreignStatement])}`,
  );
  expect(mine.status).toBe(200);
  expect(mine.body.items.map((i: Item) => i.id)).not.toContain(theirs.body.items[0].id);
  expect(mine.body.total).toBeGreaterThan(0);
});

test('a cursor keeps its place when its item is gone (a failed statement is deleted when issued again)', async () => {
  const failures = await get('/statements?state=failure&limit=2');
  const gone = failures.body.items[1] as Item & { bankAccountId: string; periodEnd: string; receivedAt: string };
  const rest = await get('/statements?state=failure&limit=200&offset=2');
  await api.prisma.statement.delete({ where: { id: gone.id } });
  try {
    const next = await get(`/statements?state=failure&limit=200&after=${failures.body.nextAfter}`);
    expect(next.status).toBe(200);
    expect(next.body.items.map((i: Item) => i.id)).toEqual(rest.body.items.map((i: Item) => i.id));
  } finally {
    await api.prisma.$executeRaw`
      INSERT INTO "Statement" (id, "bankAccountId", "periodStart", "periodEnd", "receivedAt", state, currency,
                               "openingBalance", "closingBalance", "balanceBreak")
      VALUES (${gone.id}::uuid, ${gone.bankAccountId}::uuid, ${`${gone.periodEnd.slice(0, 8)}01`}::date,
              ${gone.periodEnd}::date, ${new Date(gone.receivedAt)}, 'FAILURE', 'EUR', 0, 0, false)`;
  }
});

test.each(['bank-accounts', 'companies'])('the %s export reads from the cursor too', async (route) => {
  const page = await get(`/${route}?sort=siren&limit=3&includeSecondary=true`);
  const after = page.body.nextAfter as string;
  const rest = await get(`/${route}?sort=siren&limit=200&includeSecondary=true&after=${after}`);
  expect(rest.body.items.length).toBeGreaterThan(2);
  const csv = await get(`/${route}/export?sort=siren&format=csv&includeSecondary=true&after=${after}`);
  expect(csv.status).toBe(200);
  const lines = csv.buffer.toString('utf8').trim().split(/\r?\n/);
  expect(lines.length - 1).toBe(rest.body.items.length);
});

test('the OpenAPI document names the cursor: `after` in, `nextAfter` out', async () => {
  const doc = await call(api, 'GET', '/api/v1/openapi.json');
  for (const route of ['/api/v1/statements', '/api/v1/bank-accounts', '/api/v1/companies']) {
    const op = doc.body.paths[route].get;
    const params = (op.parameters as Array<{ name: string; in: string }>).filter((p) => p.in === 'query');
    expect(params.map((p) => p.name)).toEqual(expect.arrayContaining(['after', 'offset', 'limit']));
    const body = JSON.stringify(op.responses['200']);
    expect(body).toContain('nextAfter');
  }
});
