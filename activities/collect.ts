/**
 * The collection: reads a connection's state at Powens (forcing a sync only when a person asked, as
 * Powens' fair-use policy requires), records it, refreshes the chosen accounts (details, balance,
 * events of what changed) and stores the transactions changed since the cursor (transactions.ts).
 * Plain SQL: it runs for the whole fleet every night (db/sql.ts).
 */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import { classifyPowensState } from '../domain/powens-states';
import { inTransaction, prepared, utcTimestamp, valuesList, type Sql } from '../db/sql';
import { connectionNotFound, heartbeating, type ConnectionActivityDeps } from './context';
import { transactionsMinDate } from '../integrations/powens/collect-window';
import type { PowensTransactionView } from '../integrations/powens/port';
import { upsertTransactions } from './transactions';

export interface CollectResult {
  /** Powens connection state after the attempt: null when ok. */
  state: string | null;
  errorMessage: string | null;
  /** Powens `last_update` (last successful sync) of the connection, ISO. */
  lastUpdate: string | null;
  /** Transactions read. */
  collected: number;
  /** The bank's connector is in maintenance (activities/bank-catalog.ts): the failure is not the company's. */
  connectorMaintenance?: boolean;
}

/**
 * The connection, its company's token and its accounts: keys only, so prepared (db/sql.ts); planned
 * on every call, it took 0.33 ms of PostgreSQL a connection.
 */
const CONNECTION_READ = prepared(
  `SELECT k."powensConnectionId", k."transactionsCursor", c.id::text AS "companyId", c."powensTokenEnc",
            (SELECT p.maintenance FROM "PowensConnector" p WHERE p."powensId" = k."powensConnectorId") AS "connectorMaintenance",
            COALESCE((SELECT json_agg(json_build_object('id', a.id, 'powensAccountId', a."powensAccountId",
                        'iban', a.iban, 'number', a.number, 'bic', a.bic, 'label', a.label, 'type', a.type, 'currency', a.currency,
                        'activatedAt', a."activatedAt", 'collectedUntil', a."collectedUntil", 'active', a.active)
                      ORDER BY a.id)
                      FROM "BankAccount" a WHERE a."connectionId" = k.id), '[]') AS accounts
     FROM "BankConnection" k JOIN "Company" c ON c.id = k."companyId" WHERE k.id = $1::uuid`,
);

export function createCollectActivities(
  deps: Pick<ConnectionActivityDeps, 'sql' | 'powens' | 'logger' | 'decryptToken'>,
) {
  const { sql, powens, logger } = deps;

  function userToken(company: { powensTokenEnc: string | null; id: string }): string {
    if (!company.powensTokenEnc)
      throw ApplicationFailure.nonRetryable(`company ${company.id} has no Powens user`, 'ConnectionNotFound');
    return deps.decryptToken(company.powensTokenEnc);
  }

  return {
    /**
     * Reads the connection's state (forcing a sync only when a person asked, as Powens' fair-use
     * policy requires), refreshes the accounts, and upserts the transactions changed since the
     * cursor.
     */
    async collect(connectionId: string, opts: { forceSync: boolean; at: string }): Promise<CollectResult> {
      // A forced sync can take minutes at Powens; it is asked again only if this code never ran.
      return heartbeating(() => collectOnce(connectionId, opts), { atOnce: opts.forceSync });
    },
  };

  async function collectOnce(connectionId: string, opts: { forceSync: boolean; at: string }): Promise<CollectResult> {
    // The connection, its company's token and its accounts, in one query.
    const {
      rows: [c],
    } = await sql.query<{
      powensConnectionId: number;
      transactionsCursor: string | null;
      companyId: string;
      powensTokenEnc: string | null;
      accounts: LocalAccount[];
      connectorMaintenance: boolean | null;
    }>(CONNECTION_READ, [connectionId]);
    if (!c) throw connectionNotFound(connectionId);
    const token = userToken({ id: c.companyId, powensTokenEnc: c.powensTokenEnc });
    const at = new Date(opts.at);
    let remote;
    try {
      remote = opts.forceSync
        ? await powens.syncConnection(token, c.powensConnectionId)
        : await powens.getConnection(token, c.powensConnectionId);
    } catch (e) {
      // Our own call failing (after the client's retries) is transient: never counted against
      // the company; the next slot tries again.
      logger.warn({ connectionId, err: (e as Error).message }, 'Powens call failed');
      return { state: 'bug', errorMessage: (e as Error).message, lastUpdate: null, collected: 0 };
    }
    const state = remote.state ?? null;
    const base = { lastUpdate: remote.lastUpdate };
    // What Powens said, recorded on the connection (a success also resets its error streak and
    // moves its cursor); a missing last_update keeps the last one.
    const record = (success: { cursor: string | null } | null) =>
      sql.query(
        `UPDATE "BankConnection" SET
           "lastSyncAt" = COALESCE($2::timestamp, "lastSyncAt"), state = $3, "errorMessage" = $4,
           "transactionsCursor" = CASE WHEN $5 THEN $6 ELSE "transactionsCursor" END,
           "lastSuccessAt" = CASE WHEN $5 THEN $7::timestamp ELSE "lastSuccessAt" END,
           "consecutiveErrors" = CASE WHEN $5 THEN 0 ELSE "consecutiveErrors" END,
           "errorCode" = CASE WHEN $5 THEN NULL ELSE "errorCode" END,
           "updatedAt" = $8::timestamp
         WHERE id = $1::uuid`,
        [
          connectionId,
          remote.lastUpdate ? utcTimestamp(new Date(remote.lastUpdate)) : null,
          state,
          success ? null : remote.errorMessage,
          success !== null,
          success?.cursor ?? null,
          utcTimestamp(at),
          utcTimestamp(new Date()),
        ],
      );
    if (classifyPowensState(state) !== 'ok') {
      await record(null);
      // A bank in maintenance (the connector catalogue): its errors are transient (the workflow).
      return {
        state,
        errorMessage: remote.errorMessage,
        collected: 0,
        ...base,
        ...(c.connectorMaintenance ? { connectorMaintenance: true } : {}),
      };
    }

    const { collected, cursor } = await refreshAccountsAndTransactions(
      c.powensConnectionId,
      token,
      c.accounts,
      c.transactionsCursor,
      at,
    );
    await record({ cursor });
    return { state: null, errorMessage: null, collected, ...base };
  }

  /**
   * The chosen accounts' details and balances (one database transaction for all of them), then the
   * transactions changed since the cursor, page by page. Returns the new cursor, which the caller
   * stores once every page is in.
   */
  async function refreshAccountsAndTransactions(
    powensConnectionId: number,
    token: string,
    local: LocalAccount[],
    cursor: string | null,
    at: Date,
  ): Promise<{ collected: number; cursor: string | null }> {
    const accounts = await powens.listAccounts(token, powensConnectionId);
    const fresh: Array<{ mine: LocalAccount; remote: (typeof accounts)[number] }> = [];
    const events: unknown[][] = [];
    const atUtc = utcTimestamp(at);
    for (const remote of accounts) {
      const mine = local.find((a) => a.powensAccountId === remote.id);
      if (!mine) continue; // not chosen by the company
      fresh.push({ mine, remote });
      for (const field of ['iban', 'number', 'bic', 'label', 'type', 'currency'] as const)
        if ((remote[field] ?? null) !== (mine[field] ?? null))
          events.push([
            randomUUID(),
            mine.id,
            `${field.toUpperCase()}_CHANGED`,
            field,
            mine[field] ?? null,
            remote[field] ?? null,
            atUtc,
          ]);
    }
    if (fresh.length) {
      // Every chosen account's details and balance in one statement (a null balance keeps the
      // last one), with the events of what changed.
      const write = async (db: Sql) => {
        await db.query(
          `UPDATE "BankAccount" AS a SET
             "iban" = v.iban, "bic" = v.bic, "label" = v.label, "type" = v.type, "currency" = v.currency,
             "balance" = COALESCE(v.balance::numeric, a."balance"), "balanceAt" = $8::timestamp,
             "number" = v.number, "updatedAt" = $8::timestamp
           FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $9::text[])
             AS v(id, iban, bic, label, type, currency, balance, number)
           WHERE a."id" = v.id`,
          [
            fresh.map((f) => f.mine.id),
            fresh.map((f) => f.remote.iban),
            fresh.map((f) => f.remote.bic),
            fresh.map((f) => f.remote.label),
            fresh.map((f) => f.remote.type),
            fresh.map((f) => f.remote.currency),
            fresh.map((f) => f.remote.balance),
            atUtc,
            fresh.map((f) => f.remote.number),
          ],
        );
        if (events.length) {
          const rows = valuesList(events, ['uuid', 'uuid', null, null, null, null, 'timestamp']);
          await db.query(
            `INSERT INTO "BankAccountEvent" (id, "bankAccountId", kind, field, "oldValue", "newValue", "occurredAt")
             VALUES ${rows.text}`,
            rows.values,
          );
        }
      };
      if (events.length) await inTransaction(sql, write);
      else await write(sql);
    }

    let collected = 0;
    let newCursor = cursor;
    const byPowensId = new Map(local.map((a) => [a.powensAccountId, a.id]));
    const minDate = transactionsMinDate(local, at); // Powens' default window is the last month only
    for await (const page of powens.listTransactions(token, powensConnectionId, cursor, minDate)) {
      const mine: Array<{ bankAccountId: string; t: PowensTransactionView }> = [];
      for (const t of page) {
        const bankAccountId = byPowensId.get(t.accountId);
        if (!bankAccountId) continue;
        mine.push({ bankAccountId, t });
        if (t.lastUpdate && (!newCursor || t.lastUpdate > newCursor)) newCursor = t.lastUpdate;
      }
      await upsertTransactions(sql, mine, at);
      collected += mine.length;
    }
    return { collected, cursor: newCursor };
  }
}

/** A connection's account as collect compares it with Powens'. */
interface LocalAccount {
  id: string;
  powensAccountId: number;
  iban: string | null;
  number: string | null;
  bic: string | null;
  label: string;
  type: string;
  currency: string;
  activatedAt: string;
  collectedUntil: string | null;
  active: boolean;
}
