/**
 * The API benchmark's data, set-based (generate_series, INSERT … SELECT), loaded the way pg_restore
 * does: the bulk tables' indexes and foreign keys are dropped, the rows inserted, then every index
 * and constraint is built again from its saved definition and the tables vacuumed and analysed.
 * The schema ends exactly as the migrations made it (checked), with every constraint validated.
 *
 * Shape: three portal accounts (a primary with its secondary, and an unrelated one); companies of 5
 * bank accounts each, one connection per company; 90 % of the companies on the primary, 5 % on its
 * secondary, 5 % on the other account (the caller's tree holds 95 % of the rows: the worst case for
 * a search that filters after the join; the other account, 5 %, the worst case for one that walks
 * everyone's rows to find its own). Statements: one per month per account for the last N months (N = statements /
 * accounts), 96 % SUCCESS, 3 % FAILURE, 1 % of the latest still RUNNING; the CFONB120 file itself is
 * left NULL (in production it is TOASTed out of the row, so the heap the searches read is the same).
 */
import { Client } from 'pg';

export const PRIMARY = '00000000-0000-4000-8000-00000000b001';
const SECONDARY = '00000000-0000-4000-8000-00000000b002';
const OTHER = '00000000-0000-4000-8000-00000000b003';
export const ACCOUNTS_PER_COMPANY = 5;
const BULK_TABLES = ['Company', 'BankConnection', 'BankAccount', 'Link', 'Statement'];

export interface SeedSize {
  companies: number;
  accounts: number;
  statements: number;
}

export interface Sample {
  siren: string;
  iban: string;
  month: string;
}

type Timed = (step: string, run: () => Promise<unknown>) => Promise<void>;

/** Drops the bulk tables' foreign keys and indexes, returning what rebuilds them. */
async function dropIndexesAndKeys(pg: Client): Promise<string[]> {
  const tables = BULK_TABLES.map((t) => `"${t}"`);
  const { rows: fks } = await pg.query<{ tbl: string; name: string; def: string }>(
    `SELECT conrelid::regclass::text AS tbl, conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint
     WHERE contype = 'f' AND (conrelid::regclass::text = ANY($1) OR confrelid::regclass::text = ANY($1))`,
    [tables],
  );
  const { rows: keys } = await pg.query<{ tbl: string; name: string; def: string }>(
    `SELECT conrelid::regclass::text AS tbl, conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint
     WHERE contype IN ('p', 'u') AND conrelid::regclass::text = ANY($1)`,
    [tables],
  );
  const { rows: indexes } = await pg.query<{ name: string; def: string }>(
    `SELECT indexname AS name, indexdef AS def FROM pg_indexes
     WHERE schemaname = 'public' AND tablename = ANY($1) AND indexname <> ALL($2)`,
    [BULK_TABLES, keys.map((k) => k.name)],
  );
  for (const f of fks) await pg.query(`ALTER TABLE ${f.tbl} DROP CONSTRAINT "${f.name}"`);
  for (const k of keys) await pg.query(`ALTER TABLE ${k.tbl} DROP CONSTRAINT "${k.name}"`);
  for (const i of indexes) await pg.query(`DROP INDEX "${i.name}"`);
  return [
    ...keys.map((k) => `ALTER TABLE ${k.tbl} ADD CONSTRAINT "${k.name}" ${k.def}`),
    ...indexes.map((i) => i.def),
    ...fks.map((f) => `ALTER TABLE ${f.tbl} ADD CONSTRAINT "${f.name}" ${f.def}`),
  ];
}

async function schemaFingerprint(pg: Client): Promise<string> {
  const { rows } = await pg.query<{ d: string }>(
    `SELECT string_agg(d, E'\\n' ORDER BY d) AS d FROM (
       SELECT indexdef AS d FROM pg_indexes WHERE schemaname = 'public'
       UNION ALL SELECT conname || ' ' || pg_get_constraintdef(oid) || ' ' || convalidated FROM pg_constraint
       WHERE connamespace = 'public'::regnamespace) x`,
  );
  return rows[0]!.d;
}

export async function seed(
  url: string,
  key: { prefix: string; keyHash: string },
  /** The key of the unrelated account (5 % of the rows: a smaller firm sharing the database). */
  otherKey: { prefix: string; keyHash: string },
  size: { accounts: number; statements: number },
  log: (line: string) => void,
): Promise<{ size: SeedSize; sample: Sample; steps: Record<string, number> }> {
  const companies = Math.ceil(size.accounts / ACCOUNTS_PER_COMPANY);
  const months = Math.max(0, Math.round(size.statements / (companies * ACCOUNTS_PER_COMPANY)));
  const pg = new Client({ connectionString: url });
  await pg.connect();
  const steps: Record<string, number> = {};
  const timed: Timed = async (step, run) => {
    const t0 = Date.now();
    await run();
    steps[step] = +((Date.now() - t0) / 1000).toFixed(1);
    log(`  ${step}: ${steps[step]} s`);
  };
  try {
    await pg.query(`SET maintenance_work_mem = '1GB'`);
    const before = await schemaFingerprint(pg);
    let rebuild: string[] = [];
    await timed('drop indexes and foreign keys', async () => (rebuild = await dropIndexesAndKeys(pg)));
    await pg.query(
      `INSERT INTO "PortalAccount" (id, kind, "parentId", "rootId", name, siren, "contactEmail", "updatedAt") VALUES
        ($1, 'PRIMARY', NULL, $1, 'Cabinet Bench', '732829320', 'bench@test.fr', now()),
        ($2, 'SECONDARY', $1, $1, 'Secondaire Bench', '732829320', 'sec@test.fr', now()),
        ($3, 'PRIMARY', NULL, $3, 'Autre', '542107651', 'autre@test.fr', now())`,
      [PRIMARY, SECONDARY, OTHER],
    );
    await pg.query(
      `INSERT INTO "ApiKey" (id, "portalAccountId", name, prefix, "keyHash")
       VALUES (gen_random_uuid(), $1, 'bench', $2, $3), (gen_random_uuid(), $4, 'bench', $5, $6)`,
      [PRIMARY, key.prefix, key.keyHash, OTHER, otherKey.prefix, otherKey.keyHash],
    );
    await timed('companies', () =>
      pg.query(
        `INSERT INTO "Company" (id, "portalAccountId", "rootAccountId", siren, nic, name, email, "periodicityKind", "periodicityDay",
                                "statementFormats", active, "createdAt", "updatedAt")
         SELECT gen_random_uuid(),
                CASE WHEN i % 20 = 0 THEN $2::uuid WHEN i % 20 = 1 THEN $3::uuid ELSE $1::uuid END,
                CASE WHEN i % 20 = 1 THEN $3::uuid ELSE $1::uuid END,
                lpad((100000000 + i * 7)::text, 9, '0'), lpad((i % 99999)::text, 5, '0'),
                (ARRAY['Boulangerie','Garage','Pharmacie','Menuiserie','Cabinet','Transports','Hôtel','Restaurant'])[1 + i % 8] || ' ' ||
                (ARRAY['Dupont','Martin','Durand','Leroy','Moreau','Simon','Laurent','Lefebvre','Michel','Garcia'])[1 + (i / 8) % 10] || ' ' || i,
                'societe' || i || '@example.test', 'MONTHLY', 0,
                (CASE WHEN i % 10 < 7 THEN 'CFONB120' WHEN i % 10 < 9 THEN 'BOTH' ELSE 'CAMT053' END)::"StatementFormats",
                i % 50 <> 7, now() - (random() * interval '900 days'), now()
         FROM generate_series(1, $4::int) AS i`,
        [PRIMARY, SECONDARY, OTHER, companies],
      ),
    );
    // The connection's portal account is the trigger's to write (migration 20261214090000), as the
    // bank account's, link's and statement's below: the bulk load writes them itself (the trigger's
    // lookup of each row's company, without the indexes dropped above, read the whole table), and the
    // rows are checked after.
    await pg.query(`ALTER TABLE "BankConnection" DISABLE TRIGGER "BankConnection_portalAccountId_set"`);
    await timed('connections', () =>
      pg.query(
        `INSERT INTO "BankConnection" (id, "companyId", "portalAccountId", "powensConnectionId", "connectorName", state, "updatedAt")
         SELECT gen_random_uuid(), c.id, c."portalAccountId", row_number() OVER (), 'Connecteur de test',
                CASE WHEN random() < 0.1 THEN 'wrongpass' ELSE NULL END, now()
         FROM "Company" c`,
      ),
    );
    await pg.query(`ALTER TABLE "BankConnection" ENABLE TRIGGER "BankConnection_portalAccountId_set"`);
    // The bank account's portal account and company name are the trigger's to write (migrations
    // 20261208090000, 20261212090000), as the statement's below: the bulk load writes them itself,
    // and the rows are checked after.
    await pg.query(`ALTER TABLE "BankAccount" DISABLE TRIGGER "BankAccount_company_set"`);
    await timed('bank accounts', () =>
      pg.query(
        `INSERT INTO "BankAccount" (id, "connectionId", "companyId", "portalAccountId", "companyName", "powensAccountId", iban, label, type, currency, active, "createdAt", "updatedAt")
         SELECT gen_random_uuid(), bc.id, bc."companyId", c."portalAccountId", c.name, n,
                'FR76' || lpad((floor(random() * 1e12))::bigint::text, 12, '0') || lpad((floor(random() * 1e11))::bigint::text, 11, '0'),
                (ARRAY['Compte chèque','Livret A','Compte titres','Assurance vie','Compte carte'])[n], 'checking', 'EUR', random() > 0.05,
                now() - (random() * interval '700 days'), now()
         FROM "BankConnection" bc JOIN "Company" c ON c.id = bc."companyId" CROSS JOIN generate_series(1, $1::int) AS n`,
        [ACCOUNTS_PER_COMPANY],
      ),
    );
    await pg.query(`ALTER TABLE "BankAccount" ENABLE TRIGGER "BankAccount_company_set"`);
    // The link's portal account too (migration 20261211090000), checked after.
    await pg.query(`ALTER TABLE "Link" DISABLE TRIGGER "Link_portalAccountId_set"`);
    await timed('links', () =>
      pg.query(
        `INSERT INTO "Link" (id, "companyId", "portalAccountId", "connectionId", kind, recipient, "secretHash", "createdAt", "expiresAt", "usedAt")
         SELECT gen_random_uuid(), bc."companyId", c."portalAccountId", bc.id, 'UPDATE_CREDENTIALS', 'x@example.test', md5(bc.id::text),
                now() - interval '1 day', now() + (CASE WHEN random() < 0.5 THEN interval '2 days' ELSE interval '-1 hour' END),
                CASE WHEN random() < 0.3 THEN now() ELSE NULL END
         FROM "BankConnection" bc JOIN "Company" c ON c.id = bc."companyId" WHERE random() < 0.2`,
      ),
    );
    await pg.query(`ALTER TABLE "Link" ENABLE TRIGGER "Link_portalAccountId_set"`);
    // Month m (1 = last month) of each account: its period, received the next morning.
    // The statement's portal account and company name are the trigger's to write (migrations
    // 20261207090000, 20261212090000); the bulk load writes them itself, as pg_restore
    // --disable-triggers would, and the rows are checked after.
    await pg.query(`ALTER TABLE "Statement" DISABLE TRIGGER "Statement_company_set"`);
    await timed('statements', () =>
      pg.query(
        `INSERT INTO "Statement" (id, "bankAccountId", "portalAccountId", "companyName", "periodStart", "periodEnd", "receivedAt", state, "transactionCount",
                                  "deletedCount", currency, "openingBalance", "closingBalance", "errorMessage", iban,
                                  "previousClosingBalance", "bankBalance", "bankBalanceAt", "balanceBreak")
         SELECT gen_random_uuid(), s.id, s.portal, s.name, s.start, s.start + interval '1 month' - interval '1 day',
                s.start + interval '1 month' + interval '5 hours' + r2 * interval '3 hours',
                (CASE WHEN s.m = 1 AND r < 0.01 THEN 'RUNNING' WHEN r > 0.97 THEN 'FAILURE' ELSE 'SUCCESS' END)::"StatementState",
                (r2 * 120)::int, CASE WHEN r2 < 0.02 THEN 1 ELSE 0 END, 'EUR',
                round((r * 20000)::numeric, 2), round((r * 20000 + (r2 - 0.5) * 4000)::numeric, 2),
                CASE WHEN r > 0.97 AND NOT (s.m = 1 AND r < 0.01) THEN 'Powens : connexion en erreur (wrongpass)' END,
                s.iban,
                CASE WHEN s.m < $1::int THEN round((r * 20000)::numeric, 2) END,
                CASE WHEN s.m = 1 THEN round((r * 20000 + (r2 - 0.5) * 4000)::numeric, 2) END,
                CASE WHEN s.m = 1 THEN s.start + interval '1 month' END,
                r2 > 0.995
         FROM (SELECT a.id, a.iban, c."portalAccountId" AS portal, c.name, m,
                      date_trunc('month', now())::date - make_interval(months => m) AS start, random() AS r, random() AS r2
               FROM "BankAccount" a JOIN "Company" c ON c.id = a."companyId" CROSS JOIN generate_series(1, $1::int) AS m) s`,
        [months],
      ),
    );
    await pg.query(`ALTER TABLE "Statement" ENABLE TRIGGER "Statement_company_set"`);
    const { rows: astray } = await pg.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "Statement" s JOIN "BankAccount" a ON a.id = s."bankAccountId"
       JOIN "Company" c ON c.id = a."companyId"
       WHERE s."portalAccountId" <> c."portalAccountId" OR s."companyName" <> c.name`,
    );
    if (astray[0]!.n)
      throw new Error(`${astray[0]!.n} statements not on their company's portal account or under its name`);
    const { rows: astrayAccounts } = await pg.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "BankAccount" a JOIN "Company" c ON c.id = a."companyId"
       WHERE a."portalAccountId" <> c."portalAccountId" OR a."companyName" <> c.name`,
    );
    if (astrayAccounts[0]!.n)
      throw new Error(`${astrayAccounts[0]!.n} bank accounts not on their company's portal account or under its name`);
    const { rows: astrayLinks } = await pg.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "Link" l JOIN "Company" c ON c.id = l."companyId"
       WHERE l."portalAccountId" <> c."portalAccountId"`,
    );
    if (astrayLinks[0]!.n) throw new Error(`${astrayLinks[0]!.n} links not on their company's portal account`);
    const { rows: astrayConnections } = await pg.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "BankConnection" x JOIN "Company" c ON c.id = x."companyId"
       WHERE x."portalAccountId" <> c."portalAccountId"`,
    );
    if (astrayConnections[0]!.n)
      throw new Error(`${astrayConnections[0]!.n} connections not on their company's portal account`);
    await timed('indexes and constraints', async () => {
      for (const sql of rebuild) await pg.query(sql);
    });
    if ((await schemaFingerprint(pg)) !== before) throw new Error('the rebuilt schema differs from the migrated one');
    await timed('vacuum analyze', () => pg.query('VACUUM (ANALYZE)'));
    // An active account of an active company (the companies list leaves inactive ones out by default).
    const { rows } = await pg.query<{ iban: string; siren: string }>(
      `SELECT a.iban, c.siren FROM "BankAccount" a JOIN "Company" c ON c.id = a."companyId"
       WHERE c."portalAccountId" = $1 AND c.active AND a.active ORDER BY c.siren LIMIT 1 OFFSET $2`,
      [PRIMARY, Math.floor(companies / 3)],
    );
    const { rows: month } = await pg.query<{ m: string }>(
      `SELECT to_char(date_trunc('month', now()) - interval '2 months', 'YYYY-MM') AS m`,
    );
    const { rows: counts } = await pg.query<{ a: string; s: string }>(
      `SELECT (SELECT count(*) FROM "BankAccount") AS a, (SELECT count(*) FROM "Statement") AS s`,
    );
    return {
      size: { companies, accounts: Number(counts[0]!.a), statements: Number(counts[0]!.s) },
      sample: { ...rows[0]!, month: month[0]!.m },
      steps,
    };
  } finally {
    await pg.end();
  }
}
