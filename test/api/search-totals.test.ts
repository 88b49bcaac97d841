/**
 * The company, bank-account and statement searches over many rows (issue 21): their totals stop
 * counting at offset + COUNT_CAP (`totalCapped`), their filters in SQL (api/search-sql.ts and each
 * route’s search), the caller's scope.
 */
import { COUNT_CAP } from '../../api/schemas';
import { call, createCompanyWithAccounts, createTenant, siren, useApi, type Tenant } from './support';

const api = useApi();
let t: Tenant;
let other: Tenant;
let accountId: string;

/** `n` statements of one account, one a day from 2020-01-01, every 10th FAILURE; set-based. */
async function statements(bankAccountId: string, n: number) {
  await api.prisma.$executeRaw`
    INSERT INTO "Statement" (id, "bankAccountId", "periodStart", "periodEnd", "receivedAt", state, currency,
                             "openingBalance", "closingBalance", "balanceBreak")
    SELECT gen_random_uuid(), ${bankAccountId}::uuid, d, d, d + interval '6 hours',
           (CASE WHEN i % 10 = 0 THEN 'FAILURE' ELSE 'SUCCESS' END)::"StatementState", 'EUR', 0, 0, i = 7
    FROM generate_series(1, ${n}::int) AS i, LATERAL (SELECT date '2020-01-01' + i AS d) x`;
}

beforeAll(async () => {
  t = await createTenant(api.prisma, { name: 'Cabinet Volume' });
  other = await createTenant(api.prisma, { name: 'Cabinet Voisin' });
  const big = await createCompanyWithAccounts(api.prisma, t, { siren: siren(501), name: 'Grande Société' });
  accountId = big.accounts[0]!.id;
  await statements(accountId, COUNT_CAP + 20);
  const small = await createCompanyWithAccounts(api.prisma, t, { siren: siren(502), name: 'Petite Société' });
  await statements(small.accounts[0]!.id, 3);
  const theirs = await createCompanyWithAccounts(api.prisma, other, { siren: siren(503), name: 'Grande Voisine' });
  await statements(theirs.accounts[0]!.id, 5);
  // COUNT_CAP + 5 more companies of one bank account each (set-based, like the benchmark).
  await api.prisma.$executeRaw`
    WITH c AS (
      INSERT INTO "Company" (id, "portalAccountId", "rootAccountId", siren, name, "periodicityKind", "updatedAt")
      SELECT gen_random_uuid(), ${t.accountId}::uuid, ${t.rootId}::uuid, lpad((700000000 + i)::text, 9, '0'),
             'Volume ' || i, 'MONTHLY', now()
      FROM generate_series(1, ${COUNT_CAP + 5}::int) AS i RETURNING id),
    bc AS (
      INSERT INTO "BankConnection" (id, "companyId", "powensConnectionId", "updatedAt")
      SELECT gen_random_uuid(), c.id, 900000 + row_number() OVER (), now() FROM c RETURNING id, "companyId")
    INSERT INTO "BankAccount" (id, "connectionId", "companyId", "powensAccountId", iban, label, type, currency, "updatedAt")
    SELECT gen_random_uuid(), bc.id, bc."companyId", 1, 'FR76' || lpad((1000000 + random() * 999999)::bigint::text, 23, '0'),
           'Compte', 'checking', 'EUR', now()
    FROM bc`;
});

const get = (path: string, tenant = t) => call(api, 'GET', `/api/v1${path}`, { key: tenant.key });

test('a statement search past COUNT_CAP matches says so; within it, the total is exact', async () => {
  const all = await get('/statements?limit=10');
  expect(all.status).toBe(200);
  expect([all.body.total, all.body.totalCapped, all.body.items.length]).toEqual([COUNT_CAP, true, 10]);
  // The count goes offset + COUNT_CAP further: from there on, every match is counted.
  const deep = await get('/statements?limit=10&offset=100');
  expect([deep.body.total, deep.body.totalCapped]).toEqual([COUNT_CAP + 23, false]);
  const failed = await get('/statements?state=failure');
  expect([failed.body.total, failed.body.totalCapped]).toEqual([Math.floor((COUNT_CAP + 20) / 10), false]);
  expect(failed.body.items.every((s: { state: string }) => s.state === 'failure')).toBe(true);
  const small = await get(`/statements?siret=${siren(502)}`);
  expect([small.body.total, small.body.totalCapped]).toEqual([3, false]);
  const broken = await get('/statements?balance=break');
  expect(broken.body.items.map((s: { periodEnd: string }) => s.periodEnd)).toEqual(['2020-01-08']);
});

test('statement filters and sorts: period, dates, name; the neighbour sees only its own', async () => {
  const first = await get('/statements?sort=periodEnd&order=asc&limit=3');
  expect(first.body.items.map((s: { periodEnd: string }) => s.periodEnd)).toEqual([
    '2020-01-02',
    '2020-01-02',
    '2020-01-03',
  ]);
  const day = await get('/statements?receivedFrom=2020-01-05&receivedTo=2020-01-06');
  expect(day.body.items.map((s: { periodEnd: string }) => s.periodEnd)).toEqual(['2020-01-06', '2020-01-05']);
  expect((await get('/statements?name=petite')).body.total).toBe(3);
  expect((await get('/statements?name=%25')).body.total).toBe(0); // % is a character, not a wildcard
  const theirs = await get('/statements', other);
  expect([theirs.body.total, theirs.body.totalCapped]).toEqual([5, false]);
  expect((await get('/statements?name=voisine')).body.total).toBe(0);
});

test('a bank-account search past COUNT_CAP matches says so', async () => {
  const all = await get('/bank-accounts?limit=5');
  expect([all.body.total, all.body.totalCapped]).toEqual([COUNT_CAP, true]);
  const one = await get(`/bank-accounts?siret=${siren(501)}`);
  expect([one.body.total, one.body.totalCapped, one.body.items[0].id]).toEqual([1, false, accountId]);
  expect((await get('/bank-accounts', other)).body).toMatchObject({ total: 1, totalCapped: false });
});

test('a company search past COUNT_CAP matches says so; past the offset, it counts on', async () => {
  const all = await get('/companies?limit=5');
  expect([all.body.total, all.body.totalCapped, all.body.items.length]).toEqual([COUNT_CAP, true, 5]);
  expect(all.body.nextAfter).toEqual(expect.any(String));
  const deep = await get('/companies?limit=5&offset=10');
  expect([deep.body.total, deep.body.totalCapped]).toEqual([COUNT_CAP + 7, false]);
  const volume = await get('/companies?name=volume%2010');
  expect([volume.body.total, volume.body.totalCapped]).toEqual([17, false]); // 10, 100 to 109, 1000 to 1005
  expect((await get(`/companies?siret=${siren(501)}`)).body).toMatchObject({ total: 1, totalCapped: false });
  expect((await get('/companies', other)).body).toMatchObject({ total: 1, totalCapped: false, nextAfter: null });
  const last = await get(`/companies?limit=5&after=${all.body.nextAfter}&sort=name`);
  expect(last.body.items.map((c: { name: string }) => c.name)).toEqual(
    (await get('/companies?limit=5&offset=5')).body.items.map((c: { name: string }) => c.name),
  );
});
