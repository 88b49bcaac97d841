/**
 * Each bank account and each statement carries its company's name, written by the database
 * (migration 20261212090000_company_name_search), and the lists filtered on a name matching many
 * companies check it on the row they walk (issue 21). The copy is right whatever the writer sends,
 * follows a rename made through the API (the lists then find the rows under the new name only), a
 * bank account moved to another company, and a rename committed while a statement was being written.
 */
import pg from 'pg';
import {
  call,
  createCompanyWithAccounts,
  createFirmTree,
  createStatement,
  siren,
  useApi,
  type Tenant,
} from './support';

const api = useApi();
let firm: Tenant;
let other: Tenant;

beforeAll(async () => {
  ({ firm, other } = await createFirmTree(api.prisma));
});

/** The company names the database holds on `accountIds` and on their statements. */
async function copies(accountIds: string[]) {
  const accounts = await api.prisma.bankAccount.findMany({
    where: { id: { in: accountIds } },
    select: { companyName: true },
  });
  const statements = await api.prisma.statement.findMany({
    where: { bankAccountId: { in: accountIds } },
    select: { companyName: true },
  });
  return [...new Set([...accounts, ...statements].map((r) => r.companyName))];
}

test('the database writes the company’s name on its bank accounts and statements, whatever the writer sends', async () => {
  const c = await createCompanyWithAccounts(api.prisma, firm, { siren: siren(801), name: 'Menuiserie Arnaud' });
  const account = c.accounts[0]!;
  expect(account.companyName).toBe('Menuiserie Arnaud');
  const s = await createStatement(api.prisma, account.id);
  // A writer that names something else is overruled, on insert and on update.
  const forged = await api.prisma.bankAccount.create({
    data: {
      connectionId: c.connection.id,
      companyId: c.company.id,
      portalAccountId: firm.accountId,
      companyName: 'Autre Société',
      powensAccountId: 9,
      label: 'Livret',
      type: 'savings',
      currency: 'EUR',
    },
  });
  expect(forged.companyName).toBe('Menuiserie Arnaud');
  await api.prisma.$executeRaw`UPDATE "Statement" SET "companyName" = 'Autre Société' WHERE id = ${s.id}::uuid`;
  await api.prisma.$executeRaw`UPDATE "BankAccount" SET "companyName" = 'Autre Société' WHERE id = ${forged.id}::uuid`;
  await api.prisma.$executeRaw`
    INSERT INTO "Statement" (id, "bankAccountId", "portalAccountId", "periodStart", "periodEnd", state, currency,
                             "openingBalance", "closingBalance")
    VALUES (gen_random_uuid(), ${forged.id}::uuid, ${other.accountId}::uuid, date '2026-09-01', date '2026-09-30',
            'SUCCESS', 'EUR', 0, 0)`;
  expect(await copies([account.id, forged.id])).toEqual(['Menuiserie Arnaud']);
});

test('a company renamed through the API takes its bank accounts and statements along, and the lists follow', async () => {
  const c = await createCompanyWithAccounts(api.prisma, firm, {
    siren: siren(802),
    name: 'Plomberie Bastien',
    accounts: 2,
  });
  for (const a of c.accounts) {
    await createStatement(api.prisma, a.id, { periodEnd: '2026-09-30' });
    await createStatement(api.prisma, a.id, { periodEnd: '2026-10-31' });
  }
  const untouched = await createCompanyWithAccounts(api.prisma, firm, { siren: siren(803), name: 'Plomberie Céline' });
  await createStatement(api.prisma, untouched.accounts[0]!.id);

  const renamed = await call(api, 'PATCH', `/api/v1/companies/${c.company.id}`, {
    key: firm.key,
    body: { name: 'Chauffage Bastien' },
  });
  expect(renamed.status).toBe(200);
  expect(await copies(c.accounts.map((a) => a.id))).toEqual(['Chauffage Bastien']);
  expect(await copies([untouched.accounts[0]!.id])).toEqual(['Plomberie Céline']);
  const statements = (q: string) => call(api, 'GET', `/api/v1/statements?${q}`, { key: firm.key });
  expect((await statements('name=chauffage%20bastien')).body.total).toBe(4);
  expect((await statements('name=plomberie')).body.total).toBe(1);
  const accounts = await call(api, 'GET', '/api/v1/bank-accounts?name=chauffage', { key: firm.key });
  expect(accounts.body.items.map((a: { company: { name: string } }) => a.company.name)).toEqual([
    'Chauffage Bastien',
    'Chauffage Bastien',
  ]);
});

test('a bank account moved to another company takes its statements along', async () => {
  const from = await createCompanyWithAccounts(api.prisma, firm, { siren: siren(804), name: 'Garage Dumas' });
  const to = await createCompanyWithAccounts(api.prisma, firm, { siren: siren(805), name: 'Carrosserie Dumas' });
  const a = from.accounts[0]!;
  await createStatement(api.prisma, a.id);
  await api.prisma.$executeRaw`UPDATE "BankAccount" SET "companyId" = ${to.company.id}::uuid WHERE id = ${a.id}::uuid`;
  expect(await copies([a.id])).toEqual(['Carrosserie Dumas']);
});

/** Until the session `client` waits on a lock another holds (pg_stat_activity), for at most 10 s. */
async function waitsOnLock(client: pg.Client) {
  const pid = (client as pg.Client & { processID: number }).processID;
  for (let i = 0; i < 200; i++) {
    const { rows } = await api.sql.query<{ wait: string | null }>(
      `SELECT wait_event_type AS wait FROM pg_stat_activity WHERE pid = $1`,
      [pid],
    );
    if (rows[0]?.wait === 'Lock') return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`session ${pid} never waited on a lock`);
}

test('a rename committed while a statement is being written renames that statement too', async () => {
  const c = await createCompanyWithAccounts(api.prisma, firm, { siren: siren(806), name: 'Traiteur Émile' });
  const writer = new pg.Client({ connectionString: api.databaseUrl });
  const renamer = new pg.Client({ connectionString: api.databaseUrl });
  await writer.connect();
  await renamer.connect();
  try {
    // The nightly activity's transaction writes the statement and has not committed yet.
    await writer.query('BEGIN');
    await writer.query(
      `INSERT INTO "Statement" (id, "bankAccountId", "portalAccountId", "periodStart", "periodEnd", state, currency,
                                "openingBalance", "closingBalance")
       VALUES (gen_random_uuid(), $1::uuid, $2::uuid, date '2026-10-01', date '2026-10-31', 'SUCCESS', 'EUR', 0, 0)`,
      [c.accounts[0]!.id, firm.accountId],
    );
    // Meanwhile the company is renamed: the rename waits for the statement's transaction (on its
    // bank account, renamed before its statements)…
    const rename = renamer.query(`UPDATE "Company" SET name = 'Traiteur Émilie' WHERE id = $1::uuid`, [c.company.id]);
    await waitsOnLock(renamer);
    await writer.query('COMMIT');
    await rename;
    // …then renames the statement it now sees.
    expect(await copies(c.accounts.map((a) => a.id))).toEqual(['Traiteur Émilie']);

    // A rename under way: the statement written meanwhile waits for it and takes the new name.
    await renamer.query('BEGIN');
    await renamer.query(`UPDATE "Company" SET name = 'Traiteur Émilien' WHERE id = $1::uuid`, [c.company.id]);
    const written = writer.query(
      `INSERT INTO "Statement" (id, "bankAccountId", "portalAccountId", "periodStart", "periodEnd", state, currency,
                                "openingBalance", "closingBalance")
       VALUES (gen_random_uuid(), $1::uuid, $2::uuid, date '2026-11-01', date '2026-11-30', 'SUCCESS', 'EUR', 0, 0)`,
      [c.accounts[0]!.id, firm.accountId],
    );
    await waitsOnLock(writer);
    await renamer.query('COMMIT');
    await written;
    expect(await copies(c.accounts.map((a) => a.id))).toEqual(['Traiteur Émilien']);

    // The nightly builder locks its accounts first, then writes their statements: a rename that
    // waits for those accounts must not make the statement wait for the company (a deadlock).
    await writer.query('BEGIN');
    await writer.query(`SELECT 1 FROM "BankAccount" WHERE id = $1::uuid FOR UPDATE`, [c.accounts[0]!.id]);
    const renamed = renamer.query(`UPDATE "Company" SET name = 'Traiteur Émiliano' WHERE id = $1::uuid`, [
      c.company.id,
    ]);
    await waitsOnLock(renamer);
    await writer.query(
      `INSERT INTO "Statement" (id, "bankAccountId", "portalAccountId", "periodStart", "periodEnd", state, currency,
                                "openingBalance", "closingBalance")
       VALUES (gen_random_uuid(), $1::uuid, $2::uuid, date '2026-12-01', date '2026-12-31', 'SUCCESS', 'EUR', 0, 0)`,
      [c.accounts[0]!.id, firm.accountId],
    );
    await writer.query('COMMIT');
    await renamed;
    expect(await copies(c.accounts.map((a) => a.id))).toEqual(['Traiteur Émiliano']);
  } finally {
    await writer.end();
    await renamer.end();
  }
});
