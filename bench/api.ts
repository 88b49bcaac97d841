/**
 * `npm run bench -- api`: 100 000 bank accounts over 20 000 companies in one portal account (plus
 * a secondary and an unrelated account), then p50/p95 over HTTP (the real app, API-key auth) of the
 * company and bank-account searches, once per filter. Target: p95 < 50 ms.
 * PostgreSQL: the server of DATABASE_URL when set, else an embedded one under .data/bench-postgres.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { Client } from 'pg';
import { Client as TemporalClient, Connection } from '@temporalio/client';
import { createApp } from '../api/app';
import { deriveApiKey } from '../api/auth';
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { freePort } from '../lib/net';
import { dropDatabase, startEmbeddedPostgres, withDatabase } from '../lib/postgres';
import { createPrismaClient } from '../db/client';
import { ensureTemplateDatabase } from '../scripts/db';

const COMPANIES = 20_000;
const ACCOUNTS_PER_COMPANY = 5;
const RUNS = 60;

async function seed(url: string, key: { prefix: string; keyHash: string }) {
  const pg = new Client({ connectionString: url });
  await pg.connect();
  try {
    const primary = '00000000-0000-4000-8000-00000000b001';
    await pg.query(
      `INSERT INTO "PortalAccount" (id, kind, "parentId", "rootId", name, siren, "contactEmail", "updatedAt") VALUES
        ($1, 'PRIMARY', NULL, $1, 'Cabinet Bench', '732829320', 'bench@test.fr', now()),
        ('00000000-0000-4000-8000-00000000b002', 'SECONDARY', $1, $1, 'Secondaire Bench', '732829320', 'sec@test.fr', now()),
        ('00000000-0000-4000-8000-00000000b003', 'PRIMARY', NULL, '00000000-0000-4000-8000-00000000b003', 'Autre', '542107651', 'autre@test.fr', now())`,
      [primary],
    );
    await pg.query(
      `INSERT INTO "ApiKey" (id, "portalAccountId", name, prefix, "keyHash") VALUES (gen_random_uuid(), $1, 'bench', $2, $3)`,
      [primary, key.prefix, key.keyHash],
    );
    // Companies: 18 000 on the primary, 1 000 on the secondary, 1 000 on the unrelated account.
    await pg.query(
      `INSERT INTO "Company" (id, "portalAccountId", "rootAccountId", siren, nic, name, email, "periodicityKind", "periodicityDay", active, "updatedAt")
       SELECT gen_random_uuid(),
              CASE WHEN i % 20 = 0 THEN '00000000-0000-4000-8000-00000000b002'::uuid WHEN i % 20 = 1 THEN '00000000-0000-4000-8000-00000000b003'::uuid ELSE $1::uuid END,
              CASE WHEN i % 20 = 1 THEN '00000000-0000-4000-8000-00000000b003'::uuid ELSE $1::uuid END,
              lpad((100000000 + i * 7)::text, 9, '0'), lpad((i % 99999)::text, 5, '0'),
              (ARRAY['Boulangerie','Garage','Pharmacie','Menuiserie','Cabinet','Transports','Hôtel','Restaurant'])[1 + i % 8] || ' ' ||
              (ARRAY['Dupont','Martin','Durand','Leroy','Moreau','Simon','Laurent','Lefebvre','Michel','Garcia'])[1 + (i / 8) % 10] || ' ' || i,
              'societe' || i || '@example.test', 'MONTHLY', 0, i % 50 <> 7, now()
       FROM generate_series(1, $2::int) AS i`,
      [primary, COMPANIES],
    );
    await pg.query(
      `INSERT INTO "BankConnection" (id, "companyId", "powensConnectionId", "connectorName", state, "updatedAt")
       SELECT gen_random_uuid(), c.id, row_number() OVER (), 'Connecteur de test',
              CASE WHEN random() < 0.1 THEN 'wrongpass' ELSE NULL END, now()
       FROM "Company" c`,
    );
    await pg.query(
      `INSERT INTO "BankAccount" (id, "connectionId", "companyId", "powensAccountId", iban, label, type, currency, active, "createdAt", "updatedAt")
       SELECT gen_random_uuid(), bc.id, bc."companyId", n,
              'FR76' || lpad((floor(random() * 1e12))::bigint::text, 12, '0') || lpad((floor(random() * 1e11))::bigint::text, 11, '0'),
              (ARRAY['Compte chèque','Livret A','Compte titres','Assurance vie','Compte carte'])[n], 'checking', 'EUR', random() > 0.05,
              now() - (random() * interval '700 days'), now()
       FROM "BankConnection" bc CROSS JOIN generate_series(1, $1::int) AS n`,
      [ACCOUNTS_PER_COMPANY],
    );
    await pg.query(
      `INSERT INTO "Link" (id, "companyId", "connectionId", kind, recipient, "secretHash", "createdAt", "expiresAt", "usedAt")
       SELECT gen_random_uuid(), bc."companyId", bc.id, 'UPDATE_CREDENTIALS', 'x@example.test', md5(bc.id::text),
              now() - interval '1 day', now() + (CASE WHEN random() < 0.5 THEN interval '2 days' ELSE interval '-1 hour' END),
              CASE WHEN random() < 0.3 THEN now() ELSE NULL END
       FROM "BankConnection" bc WHERE random() < 0.2`,
    );
    await pg.query('ANALYZE');
    const { rows } = await pg.query<{ iban: string; siren: string }>(
      `SELECT a.iban, c.siren FROM "BankAccount" a JOIN "Company" c ON c.id = a."companyId" WHERE c."portalAccountId" = $1 LIMIT 1 OFFSET 5000`,
      [primary],
    );
    return rows[0]!;
  } finally {
    await pg.end();
  }
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

export async function benchApi(): Promise<Record<string, unknown>> {
  let serverUrl: string;
  let stopPg: (() => Promise<void>) | undefined;
  if (process.env.DATABASE_URL) {
    const u = new URL(process.env.DATABASE_URL);
    u.pathname = '';
    serverUrl = u.toString().replace(/\/$/, '');
  } else {
    const pg = await startEmbeddedPostgres({
      dataDir: join(__dirname, '..', '.data', 'bench-postgres'),
      port: await freePort(),
    });
    serverUrl = pg.serverUrl;
    stopPg = pg.stop;
  }
  const template = await ensureTemplateDatabase(serverUrl);
  const dbName = `bench_api_${Date.now()}`;
  const admin = new Client({ connectionString: withDatabase(serverUrl, 'postgres') });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${dbName}" TEMPLATE "${template}"`);
  await admin.end();
  const url = withDatabase(serverUrl, dbName);

  const key = deriveApiKey('bench', 'bench');
  const t0 = Date.now();
  const sample = await seed(url, key);
  const seedSeconds = (Date.now() - t0) / 1000;
  console.log(
    `seeded ${COMPANIES} companies and ${COMPANIES * ACCOUNTS_PER_COMPANY} bank accounts in ${seedSeconds.toFixed(1)} s`,
  );

  const prisma = createPrismaClient(url, { max: 10 });
  const connection = Connection.lazy({ address: '127.0.0.1:1' });
  const config = loadConfig({});
  const app = createApp({
    config,
    prisma,
    temporal: new TemporalClient({ connection }),
    logger: createLogger('bench', 'silent'),
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;

  const queries: Array<[string, string]> = [
    ['companies', ''],
    ['companies', `siret=${sample.siren}`],
    ['companies', `siret=${sample.siren.slice(0, 5)}`],
    ['companies', 'name=dupont'],
    ['companies', `iban=${sample.iban.slice(8, 18)}`],
    ['companies', 'collection=error'],
    ['companies', 'collection=success'],
    ['companies', 'includeInactive=true'],
    ['companies', 'includeSecondary=true'],
    ['companies', 'sort=siren&order=desc&offset=5000'],
    ['bank-accounts', ''],
    ['bank-accounts', `siret=${sample.siren}`],
    ['bank-accounts', 'name=garage'],
    ['bank-accounts', `iban=${sample.iban.slice(8, 18)}`],
    ['bank-accounts', 'connection=error'],
    ['bank-accounts', 'link=valid'],
    ['bank-accounts', 'link=expired'],
    ['bank-accounts', 'includeInactive=true'],
    ['bank-accounts', 'includeSecondary=true'],
    ['bank-accounts', 'sort=name'],
  ];
  const results: Array<{ route: string; query: string; total: number; p50: number; p95: number }> = [];
  try {
    for (const [route, query] of queries) {
      const target = `${base}/${route}?${query}`;
      const times: number[] = [];
      let total = 0;
      for (let i = 0; i < RUNS + 5; i++) {
        const s = process.hrtime.bigint();
        const res = await fetch(target, { headers: { authorization: `Bearer ${key.key}` } });
        const body = (await res.json()) as { total: number };
        if (!res.ok) throw new Error(`${target}: ${res.status} ${JSON.stringify(body)}`);
        const ms = Number(process.hrtime.bigint() - s) / 1e6;
        if (i >= 5) times.push(ms); // warm-up
        total = body.total;
      }
      times.sort((a, b) => a - b);
      const r = {
        route,
        query: query || '(aucun filtre)',
        total,
        p50: +pct(times, 50).toFixed(1),
        p95: +pct(times, 95).toFixed(1),
      };
      results.push(r);
      console.log(
        `${r.route.padEnd(14)} ${r.query.padEnd(36)} total=${String(r.total).padStart(6)}  p50=${r.p50} ms  p95=${r.p95} ms`,
      );
    }
  } finally {
    server.close();
    await prisma.$disconnect();
    await connection.close().catch(() => undefined);
    // BENCH_KEEP_DB=1 keeps the seeded database (with DATABASE_URL) for EXPLAIN ANALYZE.
    if (process.env.BENCH_KEEP_DB) console.log(`kept database: ${url}`);
    else await dropDatabase(url).catch(() => undefined);
    await stopPg?.();
  }
  const worst = Math.max(...results.map((r) => r.p95));
  console.log(`worst p95: ${worst} ms (target < 50 ms)`);
  return {
    bench: 'api',
    companies: COMPANIES,
    bankAccounts: COMPANIES * ACCOUNTS_PER_COMPANY,
    seedSeconds,
    worstP95: worst,
    targetMet: worst < 50,
    results,
  };
}
