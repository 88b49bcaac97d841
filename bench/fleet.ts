/**
 * A fleet of bank connections for the benchmarks and the chaos harness: each connection is a
 * Powens user + connection in the sandbox (bank "Crédit Fictif": checking account, card, Livret A,
 * all three chosen) and, in our database, one company (its Powens token encrypted as in
 * production), its connection and its three accounts, all in one portal account whose statements
 * are e-mailed to its mailbox. The card has no IBAN at Powens: it is kept inactive, as the callback
 * keeps such accounts, so two accounts per connection get statements. Written in bulk (the webview is not what is measured).
 */
import { randomUUID } from 'node:crypto';
import { encryptToken } from '../integrations/powens';
import { loadConfig } from '../lib/config';
import { connectorByName } from '../sandbox/powens/catalog';
import { bankConnectionWorkflow } from '../workflows/bank-connection';
import { connectionWorkflowId } from '../workflows/messages';
import { mapLimit, type Stack } from './stack';

export const FLEET_BANK = 'Crédit Fictif';
export const FIRM_MAILBOX = 'releves@cabinet-bench.test';

export interface FleetConnection {
  id: string;
  companyId: string;
  powensConnectionId: number;
  /** All three; `iban` null for the card, which gets no statement (inactive). */
  accounts: Array<{ id: string; powensAccountId: number; iban: string | null }>;
}

export interface Fleet {
  portalAccountId: string;
  connections: FleetConnection[];
}

const SANDBOX = 'powens_sandbox';

export async function seedFleet(
  stack: Stack,
  count: number,
  opts: {
    periodicity?: { kind: string; day: number | null };
    onProgress?: (done: number) => void;
    /** When the accounts were chosen (default: now); their first statement reaches a month back. */
    activatedAt?: Date;
    /** The connections' ids, in order (default: random): their night slots follow from them. */
    connectionIds?: string[];
  } = {},
): Promise<Fleet> {
  if (opts.connectionIds && opts.connectionIds.length !== count)
    throw new Error(`seedFleet: ${opts.connectionIds.length} connection ids for ${count} connections`);
  const connector = connectorByName(FLEET_BANK);
  if (!connector) throw new Error(`sandbox connector ${FLEET_BANK} missing`);
  const { engine, context } = stack.sandbox;
  const key = loadConfig({}).ENCRYPTION_KEY; // the worker runs with the same (development) key

  // 1. The sandbox: users, connections, accounts (all enabled, as after the webview).
  let done = 0;
  const remote = await mapLimit(
    Array.from({ length: count }, (_, i) => i),
    8,
    async (i) => {
      const user = await engine.createUser(context.pool, true);
      const { connection, accounts } = await engine.createConnection(context.pool, {
        userId: user.id,
        connector,
        website: 'pro',
        login: `bench-${i}`,
      });
      if (++done % 1000 === 0) opts.onProgress?.(done);
      return { user, connection, accounts };
    },
  );
  await context.pool.query(`UPDATE ${SANDBOX}.accounts SET disabled = NULL WHERE disabled IS NOT NULL`);

  // 2. Our database.
  const portalAccountId = randomUUID();
  await stack.pg.query(
    `INSERT INTO "PortalAccount" (id, kind, "rootId", name, siren, "contactEmail", "receptionMode", "updatedAt")
     VALUES ($1, 'PRIMARY', $1, 'Cabinet Bench', '732829320', $2, 'ACCOUNT_MAILBOX', now())`,
    [portalAccountId, FIRM_MAILBOX],
  );
  const connections: FleetConnection[] = remote.map((r, i) => ({
    id: opts.connectionIds?.[i] ?? randomUUID(),
    companyId: randomUUID(),
    powensConnectionId: r.connection.id,
    accounts: r.accounts.map((a) => ({ id: randomUUID(), powensAccountId: a.id, iban: a.iban })),
  }));
  const periodicity = opts.periodicity ?? { kind: 'MONTHLY', day: 0 };
  for (let from = 0; from < connections.length; from += 2000) {
    const slice = connections.slice(from, from + 2000);
    const rows = remote.slice(from, from + 2000);
    await stack.pg.query(
      `INSERT INTO "Company" (id, "portalAccountId", "rootAccountId", siren, name, email, "periodicityKind",
         "periodicityDay", "powensUserId", "powensTokenEnc", "updatedAt")
       SELECT c.id, $1, $1, c.siren, c.name, c.email, $2::"PeriodicityKind", $3, c.uid, c.tok, now()
       FROM unnest($4::uuid[], $5::text[], $6::text[], $7::text[], $8::int[], $9::text[])
         AS c(id, siren, name, email, uid, tok)`,
      [
        portalAccountId,
        periodicity.kind,
        periodicity.day,
        slice.map((c) => c.companyId),
        slice.map((_, i) => String(100_000_000 + from + i)),
        slice.map((_, i) => `Société Bench ${from + i}`),
        slice.map((_, i) => `gerant${from + i}@societe-bench.test`),
        rows.map((r) => r.user.id),
        rows.map((r) => encryptToken(r.user.token, key)),
      ],
    );
    await stack.pg.query(
      `INSERT INTO "BankConnection" (id, "companyId", "powensConnectionId", "powensConnectorId", "connectorName", "updatedAt")
       SELECT c.id, c.company, c.pid, $1, $2, now() FROM unnest($3::uuid[], $4::uuid[], $5::int[]) AS c(id, company, pid)`,
      [
        connector.id,
        connector.name,
        slice.map((c) => c.id),
        slice.map((c) => c.companyId),
        slice.map((c) => c.powensConnectionId),
      ],
    );
    const accounts = slice.flatMap((c, i) =>
      c.accounts.map((a) => {
        const row = rows[i]!.accounts.find((x) => x.id === a.powensAccountId)!;
        return { c, a, row };
      }),
    );
    await stack.pg.query(
      `INSERT INTO "BankAccount" (id, "connectionId", "companyId", "powensAccountId", iban, bic, label, type, currency,
         "activatedAt", "updatedAt", active)
       SELECT x.id, x.conn, x.company, x.pid, x.iban, x.bic, x.label, x.type, x.currency,
              COALESCE($10::timestamp, now()), now(), x.iban IS NOT NULL
       FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
         AS x(id, conn, company, pid, iban, bic, label, type, currency)`,
      [
        accounts.map((x) => x.a.id),
        accounts.map((x) => x.c.id),
        accounts.map((x) => x.c.companyId),
        accounts.map((x) => x.a.powensAccountId),
        accounts.map((x) => x.row.iban),
        accounts.map((x) => x.row.bic),
        accounts.map((x) => x.row.name),
        accounts.map((x) => x.row.type),
        accounts.map((x) => x.row.currency),
        opts.activatedAt ? opts.activatedAt.toISOString().replace('T', ' ').replace('Z', '') : null,
      ],
    );
  }
  return { portalAccountId, connections };
}

/**
 * Only our database's side of N connections (no sandbox user): enough for workflows that sleep
 * until their night slot (idle benchmark). Three accounts each.
 */
export async function seedSleepingFleet(
  stack: Stack,
  count: number,
  opts: { connectionIds?: string[] } = {},
): Promise<string[]> {
  const portalAccountId = randomUUID();
  await stack.pg.query(
    `INSERT INTO "PortalAccount" (id, kind, "rootId", name, siren, "contactEmail", "receptionMode", "updatedAt")
     VALUES ($1, 'PRIMARY', $1, 'Cabinet Idle', '732829320', $2, 'ACCOUNT_MAILBOX', now())`,
    [portalAccountId, FIRM_MAILBOX],
  );
  await stack.pg.query(
    `INSERT INTO "Company" (id, "portalAccountId", "rootAccountId", siren, name, "periodicityKind", "periodicityDay",
       "powensUserId", "powensTokenEnc", "updatedAt")
     SELECT gen_random_uuid(), $1, $1, lpad((100000000 + i)::text, 9, '0'), 'Société ' || i, 'MONTHLY', 0, i, 'v1:x:y:z', now()
     FROM generate_series(1, $2::int) AS i`,
    [portalAccountId, count],
  );
  // The connection ids given (their night slots chosen by the caller) or random ones, in SIREN order.
  await stack.pg.query(
    `INSERT INTO "BankConnection" (id, "companyId", "powensConnectionId", "connectorName", "updatedAt")
     SELECT coalesce(($2::uuid[])[c.n::int], gen_random_uuid()), c.id, c.n, 'Crédit Fictif', now()
     FROM (SELECT id, row_number() OVER (ORDER BY siren) AS n FROM "Company" WHERE "portalAccountId" = $1) c`,
    [portalAccountId, opts.connectionIds ?? []],
  );
  await stack.pg.query(
    `INSERT INTO "BankAccount" (id, "connectionId", "companyId", "powensAccountId", label, type, currency, "updatedAt")
     SELECT gen_random_uuid(), bc.id, bc."companyId", bc."powensConnectionId" * 10 + n, 'Compte ' || n, 'checking', 'EUR', now()
     FROM "BankConnection" bc JOIN "Company" c ON c.id = bc."companyId"
     CROSS JOIN generate_series(1, 3) AS n WHERE c."portalAccountId" = $1`,
    [portalAccountId],
  );
  const { rows } = await stack.pg.query<{ id: string }>(
    `SELECT bc.id FROM "BankConnection" bc JOIN "Company" c ON c.id = bc."companyId" WHERE c."portalAccountId" = $1`,
    [portalAccountId],
  );
  return rows.map((r) => r.id);
}

/** Starts one bank-connection workflow per connection (the API does the same on a new connection). */
export async function startConnectionWorkflows(
  stack: Stack,
  connectionIds: string[],
  taskQueue: string,
  opts: { concurrency?: number; onProgress?: (done: number) => void } = {},
): Promise<void> {
  let done = 0;
  await mapLimit(connectionIds, opts.concurrency ?? 32, async (connectionId) => {
    await stack.client.workflow.start(bankConnectionWorkflow, {
      workflowId: connectionWorkflowId(connectionId),
      taskQueue,
      args: [{ connectionId }],
    });
    if (++done % 5000 === 0) opts.onProgress?.(done);
  });
}

/**
 * How many of the task queue's running workflows have loaded their settings and published their
 * next collection (the NextCollectionAt search attribute; visibility lags a little).
 */
export async function countSettled(stack: Stack, taskQueue: string): Promise<number> {
  const r = await stack.client.workflow.count(
    `TaskQueue = "${taskQueue}" AND ExecutionStatus = "Running" AND NextCollectionAt > "2000-01-01T00:00:00Z"`,
  );
  return r.count;
}
