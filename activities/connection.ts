/**
 * Activities of the bank-connection workflow: all the I/O (Powens, PostgreSQL, outbox). Each is
 * idempotent, because Temporal delivers activities at least once:
 *  - transactions are upserted by (account, Powens id, version);
 *  - a statement is unique per (account, period end) and written with its transactions' links,
 *    the account's new `collectedUntil` and its e-mail in one database transaction;
 *  - links and e-mails carry idempotency keys derived from the connection and the attempt.
 * Time: every activity that records an instant takes it from the workflow (`at`, an ISO instant of
 * workflow time), never from the worker's clock, so replays, retries and tests agree.
 */
import { randomUUID } from 'node:crypto';
import { newLinkSecret } from '../domain/links';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import { Prisma, type Db } from '../prisma/client';
import { inTransaction, prismaSql, utcTimestamp, valuesList, type Sql, type SqlPool } from '../prisma/sql';
import { classifyPowensState } from '../domain/powens-states';
import { transactionsMinDate } from './powens/collect-window';
import type { PowensPort, PowensTransaction } from './powens-port';
import { buildStatements, markStatementsPending } from './statement-builder';
import { enqueueEmail, notifyCredentialsUpdatedOnce, type Outbox } from './outbox';
import { stateMessageFr } from '../domain/powens-states';
import { enqueueConnectionEvent, enqueueStatementEvents } from './webhooks-out';
import { linkUrlPlaceholder, LINK_SECRET_PLACEHOLDER, sealSecrets } from './email/secrets';

export interface ConnectionActivityDeps {
  config: Config;
  prisma: Db;
  /** Plain SQL for the nightly hot path (collect, issueStatements): see prisma/sql.ts. */
  sql: SqlPool;
  logger: Logger;
  powens: PowensPort;
  outbox: Outbox;
  /** Decrypts a company's Powens user token (stored encrypted at rest). */
  decryptToken(encrypted: string): string;
}

export interface ConnectionSettings {
  siren: string;
  portalAccountId: string;
  periodicity: { kind: string; day: number | null; month: number | null };
  autoLinks: boolean;
  active: boolean;
}

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

/** A counted failure of the connection (domain/connection-health.ts). */
export interface ConnectionFailure {
  state: string;
  errorMessage: string | null;
  /** The streak, this failure included. */
  consecutiveErrors: number;
  /** Paris day the failure counts for. */
  day: string;
  /** ISO instant of the attempt (workflow time). */
  at: string;
}

/** The statements up to a period end, their delivery e-mails queued in the same transaction. */
export interface IssuedStatements {
  statementIds: string[];
  /** Accounts whose statement could not be produced: recorded as failed statements. */
  failed: number;
}

export function createConnectionActivities(deps: ConnectionActivityDeps) {
  const { prisma, sql, powens, logger } = deps;

  async function loadConnection(connectionId: string) {
    const connection = await prisma.bankConnection.findUnique({
      where: { id: connectionId },
      include: { company: { include: { portalAccount: true } }, accounts: true },
    });
    if (!connection)
      throw ApplicationFailure.nonRetryable(`connection ${connectionId} not found`, 'ConnectionNotFound');
    return connection;
  }

  function userToken(company: { powensTokenEnc: string | null; id: string }): string {
    if (!company.powensTokenEnc)
      throw ApplicationFailure.nonRetryable(`company ${company.id} has no Powens user`, 'ConnectionNotFound');
    return deps.decryptToken(company.powensTokenEnc);
  }

  return {
    /** Read by every workflow when it starts (a whole fleet at once): plain SQL, one query. */
    async loadConnectionSettings(connectionId: string): Promise<ConnectionSettings> {
      const {
        rows: [c],
      } = await sql.query<ConnectionSettings & { kind: string; day: number | null; month: number | null }>(
        `SELECT c.siren, c."portalAccountId"::text AS "portalAccountId", c."periodicityKind"::text AS kind,
                c."periodicityDay" AS day, c."periodicityMonth" AS month, c."autoLinks" AS "autoLinks",
                k.active AND c.active
                  AND EXISTS (SELECT 1 FROM "BankAccount" a WHERE a."connectionId" = k.id AND a.active) AS active
         FROM "BankConnection" k JOIN "Company" c ON c.id = k."companyId" WHERE k.id = $1::uuid`,
        [connectionId],
      );
      if (!c) throw ApplicationFailure.nonRetryable(`connection ${connectionId} not found`, 'ConnectionNotFound');
      return {
        siren: c.siren,
        portalAccountId: c.portalAccountId,
        periodicity: { kind: c.kind, day: c.day, month: c.month },
        autoLinks: c.autoLinks,
        active: c.active,
      };
    },

    /**
     * Reads the connection's state (forcing a sync only when a person asked, as Powens' fair-use
     * policy requires), refreshes the accounts, and upserts the transactions changed since the
     * cursor.
     */
    async collect(connectionId: string, opts: { forceSync: boolean; at: string }): Promise<CollectResult> {
      // A forced sync can take minutes at Powens.
      return heartbeating(() => collectOnce(connectionId, opts));
    },

    async recordFailure(connectionId: string, f: ConnectionFailure): Promise<void> {
      const c = await loadConnection(connectionId);
      await prisma.$transaction(async (tx) => {
        await tx.bankConnection.update({
          where: { id: connectionId },
          data: {
            state: f.state,
            errorCode: f.state,
            errorMessage: f.errorMessage,
            consecutiveErrors: f.consecutiveErrors,
          },
        });
        await tx.bankAccountEvent.createMany({
          data: c.accounts.map((a) => ({
            bankAccountId: a.id,
            kind: 'CONNECTION_ERROR',
            newValue: f.state,
            occurredAt: new Date(f.at),
            detail: { errorMessage: f.errorMessage, consecutiveErrors: f.consecutiveErrors },
          })),
        });
        // The streak's first day (no link by rule); from the second, notifyConnectionError tells it.
        if (f.consecutiveErrors === 1)
          await enqueueConnectionEvent(prismaSql(tx), c, {
            type: 'connection.error',
            occurredAt: new Date(f.at),
            idempotencyKey: `connection.error/${connectionId}/${f.day}`,
            data: connectionErrorData(f, { sent: false, reason: 'first-failure' }),
          });
      });
    },

    /**
     * A confirmed error (the streak's second day, or a new link after one expired): a 72 h
     * update-credentials link for the company when asked (`sendLink`), the company accepts
     * automatic links, has an address and has no valid link yet; and the firm's alert saying
     * whether a link went out, with its in-app notification. Once per counted failure (its day).
     */
    async notifyConnectionError(
      connectionId: string,
      f: ConnectionFailure & { sendLink: boolean },
    ): Promise<{ linkSent: boolean; linkId: string | null; expiresAt: string | null }> {
      const c = await loadConnection(connectionId);
      const at = new Date(f.at);
      const key = `reconnect/${connectionId}/${f.day}`;
      return prisma.$transaction(async (tx) => {
        const already = await tx.emailMessage.findUnique({ where: { idempotencyKey: `${key}/firm-alert` } });
        const valid = await tx.link.findFirst({
          where: { connectionId, kind: 'UPDATE_CREDENTIALS', usedAt: null, revokedAt: null, expiresAt: { gt: at } },
          orderBy: { createdAt: 'desc' },
        });
        if (already)
          return {
            linkSent: valid !== null,
            linkId: valid?.id ?? null,
            expiresAt: valid?.expiresAt.toISOString() ?? null,
          };

        let link = valid;
        let secret: string | null = null;
        if (!link && f.sendLink && c.company.autoLinks && c.company.email) {
          const fresh = newLinkSecret(at);
          secret = fresh.secret;
          link = await tx.link.create({
            data: {
              companyId: c.companyId,
              connectionId,
              kind: 'UPDATE_CREDENTIALS',
              recipient: c.company.email,
              secretHash: fresh.secretHash,
              automatic: true,
              createdAt: at,
              expiresAt: fresh.expiresAt,
            },
          });
          // The stored e-mail holds a placeholder; the secret waits beside it, encrypted, for the sender.
          await enqueueEmail(
            tx,
            deps.outbox.renderCredentialsLink(c, link, linkUrlPlaceholder(deps.config.publicBaseUrl), f),
            {
              idempotencyKey: `${key}/company-link`,
              portalAccountId: c.company.portalAccountId,
              secretsEnc: sealSecrets({ [LINK_SECRET_PLACEHOLDER]: secret }, deps.config.ENCRYPTION_KEY),
            },
          );
        }
        const linkSent = secret !== null;
        await enqueueEmail(tx, deps.outbox.renderFirmAlert(c, f, linkSent, linkSent ? link : null), {
          idempotencyKey: `${key}/firm-alert`,
          portalAccountId: c.company.portalAccountId,
        });
        await enqueueConnectionEvent(prismaSql(tx), c, {
          type: 'connection.error',
          occurredAt: at,
          idempotencyKey: `connection.error/${connectionId}/${f.day}`,
          data: connectionErrorData(
            f,
            linkSent && link
              ? { sent: true, recipient: link.recipient, expiresAt: link.expiresAt.toISOString() }
              : {
                  sent: false,
                  reason: !c.company.autoLinks
                    ? 'opted-out'
                    : !c.company.email
                      ? 'no-email'
                      : link
                        ? 'link-still-valid'
                        : f.consecutiveErrors < 2
                          ? 'first-failure'
                          : 'not-asked',
                },
          ),
        });
        await tx.notification.create({
          data: {
            portalAccountId: c.company.portalAccountId,
            kind: 'CONNECTION_ERROR',
            title: `Connexion bancaire en erreur : ${c.company.name}`,
            body: `${f.errorMessage ?? f.state}. ${linkSent ? 'Un lien de mise à jour a été envoyé au redevable.' : "Aucun lien n'a été envoyé automatiquement."}`,
            url: `/redevables/${c.companyId}`,
          },
        });
        return { linkSent, linkId: link?.id ?? null, expiresAt: link?.expiresAt.toISOString() ?? null };
      });
    },

    /**
     * The pending link is over: `used` (the company reconnected; a link used through the callback
     * already has usedAt) or `expired` (72 h passed: marked revoked so that it no longer counts as
     * valid even if the clocks disagree by a little).
     */
    async closeLink(linkId: string, outcome: 'used' | 'expired', atIso: string): Promise<void> {
      const at = new Date(atIso);
      if (outcome === 'used')
        await prisma.link.updateMany({
          where: { id: linkId, usedAt: null, revokedAt: null },
          data: { usedAt: at },
        });
      else
        await prisma.$transaction(async (tx) => {
          const { count } = await tx.link.updateMany({
            where: { id: linkId, usedAt: null, revokedAt: null },
            data: { revokedAt: at },
          });
          const link = count ? await tx.link.findUnique({ where: { id: linkId } }) : null;
          if (!link?.connectionId) return;
          const c = await loadConnection(link.connectionId);
          await enqueueConnectionEvent(prismaSql(tx), c, {
            type: 'link.expired',
            occurredAt: at,
            idempotencyKey: `link.expired/${linkId}`,
            data: {
              link: {
                id: link.id,
                kind: link.kind === 'ADD_ACCOUNTS' ? 'add-accounts' : 'update-credentials',
                recipient: link.recipient,
                createdAt: link.createdAt.toISOString(),
                expiresAt: link.expiresAt.toISOString(),
              },
              state: c.state,
              streak: c.consecutiveErrors,
            },
          });
        });
    },

    /**
     * The firm learns that the company updated its credentials: written by the workflow only, once
     * per error episode (`episode`: the streak's first failure), when it sees the connection fine
     * again, whichever way it got there (link, portal, the bank itself).
     */
    async notifyReconnected(connectionId: string, episode: string): Promise<void> {
      const c = await loadConnection(connectionId);
      const key = `reconnected/${connectionId}/${episode}`;
      await prisma.$transaction(async (tx) => {
        // Whoever told the firm first (this, or the API's callback), the event goes out once.
        await enqueueConnectionEvent(prismaSql(tx), c, {
          type: 'connection.restored',
          // The successful collection that saw it fine recorded its (workflow) time.
          occurredAt: c.lastSuccessAt ?? new Date(),
          idempotencyKey: `connection.restored/${connectionId}/${episode}`,
          data: { errorSince: episode, lastSuccessAt: c.lastSuccessAt?.toISOString() ?? null },
        });
        const told = await notifyCredentialsUpdatedOnce(tx, () => deps.outbox.renderCredentialsUpdated(c), {
          idempotencyKey: key,
          portalAccountId: c.company.portalAccountId,
          company: { id: c.companyId, name: c.company.name },
        });
        if (!told) return;
        await tx.bankAccountEvent.createMany({
          data: c.accounts.map((a) => ({ bankAccountId: a.id, kind: 'CONNECTION_OK' })),
        });
      });
    },

    /**
     * One statement per active account up to `periodEnd`, with their delivery e-mails, in one
     * database transaction; an account whose statement cannot be produced gets a failed statement
     * (its reason in French) without holding up the others.
     */
    async issueStatements(connectionId: string, opts: { periodEnd: string; at: string }): Promise<IssuedStatements> {
      return heartbeating(() =>
        inTransaction(sql, async (tx) => {
          const built = await buildStatements(
            tx,
            { connectionId },
            { periodEnd: opts.periodEnd, today: new Date(opts.at) },
          );
          await deps.outbox.enqueueStatementDeliveriesIn(
            tx,
            built.filter((b) => b.created && !b.failed).map((b) => b.id!),
          );
          // statement.issued / statement.failed for the firm's endpoints, in the same transaction.
          await enqueueStatementEvents(
            tx,
            built.filter((b) => b.created).map((b) => b.id!),
            deps.config.publicBaseUrl,
          );
          return {
            statementIds: built.flatMap((b) => (b.id && !b.failed ? [b.id] : [])),
            failed: built.filter((b) => b.failed).length,
          };
        }),
      );
    },

    /**
     * Period ends that are due but wait for the bank's data: "En cours" rows in Réception, with
     * the reason (replaced by the statement once Powens has synced past the period's last day).
     */
    async markStatementsPending(connectionId: string, opts: { periodEnd: string; at: string }): Promise<number> {
      const [y, m, d] = opts.periodEnd.split('-');
      return markStatementsPending(sql, connectionId, {
        periodEnd: opts.periodEnd,
        today: new Date(opts.at),
        reason: `En attente des opérations de la banque jusqu’au ${d}/${m}/${y} : le relevé part à la première collecte qui suit la synchronisation de la banque.`,
      });
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
    }>(
      `SELECT k."powensConnectionId", k."transactionsCursor", c.id::text AS "companyId", c."powensTokenEnc",
              (SELECT p.maintenance FROM "PowensConnector" p WHERE p."powensId" = k."powensConnectorId") AS "connectorMaintenance",
              COALESCE((SELECT json_agg(json_build_object('id', a.id, 'powensAccountId', a."powensAccountId",
                          'iban', a.iban, 'number', a.number, 'bic', a.bic, 'label', a.label, 'type', a.type, 'currency', a.currency,
                          'activatedAt', a."activatedAt", 'collectedUntil', a."collectedUntil", 'active', a.active)
                        ORDER BY a.id)
                        FROM "BankAccount" a WHERE a."connectionId" = k.id), '[]') AS accounts
       FROM "BankConnection" k JOIN "Company" c ON c.id = k."companyId" WHERE k.id = $1::uuid`,
      [connectionId],
    );
    if (!c) throw ApplicationFailure.nonRetryable(`connection ${connectionId} not found`, 'ConnectionNotFound');
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
      const mine: Array<{ bankAccountId: string; t: PowensTransaction }> = [];
      for (const t of page) {
        const bankAccountId = byPowensId.get(t.accountId);
        if (!bankAccountId) continue;
        mine.push({ bankAccountId, t });
        if (t.lastUpdate && (!newCursor || t.lastUpdate > newCursor)) newCursor = t.lastUpdate;
      }
      await upsertTransactions(mine, at);
      collected += mine.length;
    }
    return { collected, cursor: newCursor };
  }

  /**
   * A page of transactions, idempotent by (account, Powens id): the latest stored version of each
   * is read at once, new ones are inserted together, deletions and changes applied in one database
   * transaction. A transaction
   * the bank deleted or changed after it was delivered keeps its delivered row (marked
   * deleted/changed, reported in the next statement's deleted-transactions CSV); a changed one gets
   * a new version that is delivered again. A page listing one transaction twice is applied in
   * order (in as many rounds).
   */
  async function upsertTransactions(items: Array<{ bankAccountId: string; t: PowensTransaction }>, at: Date) {
    for (let rest = items; rest.length > 0;) {
      const round: typeof items = [];
      const later: typeof items = [];
      const keys = new Set<string>();
      for (const item of rest) {
        const k = transactionKey(item.bankAccountId, item.t.id);
        (keys.has(k) ? later : round).push(item);
        keys.add(k);
      }
      rest = later;
      // Most pages only bring new transactions: then one read and one insert, with no transaction
      // around them (the insert alone is atomic; a concurrent insert of the same version fails on
      // the unique key and the activity is retried). Anything else is applied in a transaction.
      const plan = await planUpserts(sql, round, at);
      if (plan.updates === 0) {
        await insertTransactions(sql, plan.inserts);
        continue;
      }
      await inTransaction(sql, async (tx) => {
        const { inserts } = await planUpserts(tx, round, at, true);
        await insertTransactions(tx, inserts);
      });
    }
  }

  /**
   * Reads the latest stored version of each transaction of `round` and decides: new ones to insert,
   * and (when `apply`, inside a transaction) the deletions and changes written at once. Returns the
   * inserts and how many rows need an update or delete.
   */
  async function planUpserts(
    db: Sql,
    round: Array<{ bankAccountId: string; t: PowensTransaction }>,
    at: Date,
    apply = false,
  ): Promise<{ inserts: NewTransaction[]; updates: number }> {
    const { rows: stored } = await db.query<StoredTransaction>(
      `SELECT t.id::text, t."bankAccountId"::text, t."powensId"::text, t.version, t."bookingDate"::text AS "bookingDay", t.amount::text,
              t.label, t.coming, t."statementId"::text, t."deletedAt", t."changedAt"
       FROM "Transaction" t
       JOIN unnest($1::uuid[], $2::bigint[]) AS v(account, powens)
         ON t."bankAccountId" = v.account AND t."powensId" = v.powens
       ORDER BY t.version DESC`,
      [round.map((i) => i.bankAccountId), round.map((i) => String(i.t.id))],
    );
    const latest = new Map<string, StoredTransaction>();
    for (const row of stored) {
      const k = transactionKey(row.bankAccountId, row.powensId);
      if (!latest.has(k)) latest.set(k, row);
    }
    const inserts: NewTransaction[] = [];
    const atUtc = utcTimestamp(at);
    let updates = 0;
    for (const { bankAccountId, t } of round) {
      const current = latest.get(transactionKey(bankAccountId, t.id));
      const data: NewTransaction = { bankAccountId, version: 1, t };
      if (!current) {
        if (!t.deleted) inserts.push(data);
        continue;
      }
      if (current.deletedAt || current.changedAt) continue; // already archived; nothing newer to apply
      const delivered = current.statementId !== null;
      if (!t.deleted) {
        const same =
          new Prisma.Decimal(current.amount).equals(new Prisma.Decimal(t.amount)) &&
          current.bookingDay === t.date &&
          current.label === t.label &&
          current.coming === t.coming;
        if (same) continue;
      }
      updates++;
      if (!apply) continue;
      const now = utcTimestamp(new Date());
      if (t.deleted) {
        if (delivered)
          await db.query(
            `UPDATE "Transaction" SET "deletedAt" = $2::timestamp, "updatedAt" = $3::timestamp WHERE id = $1::uuid`,
            [current.id, atUtc, now],
          );
        else await db.query(`DELETE FROM "Transaction" WHERE id = $1::uuid`, [current.id]);
      } else if (!delivered) {
        await db.query(
          `UPDATE "Transaction" SET "bookingDate" = $2::date, "valueDate" = $3::date, amount = $4::numeric, label = $5,
             type = $6, coming = $7, raw = $8::jsonb, "updatedAt" = $9::timestamp
           WHERE id = $1::uuid`,
          [current.id, t.date, t.valueDate ?? null, t.amount, t.label, t.type, t.coming, JSON.stringify(t.raw), now],
        );
      } else {
        await db.query(
          `UPDATE "Transaction" SET "changedAt" = $2::timestamp, "updatedAt" = $3::timestamp WHERE id = $1::uuid`,
          [current.id, atUtc, now],
        );
        inserts.push({ ...data, version: current.version + 1 });
      }
    }
    return { inserts, updates };
  }

  /** New transactions (or new versions) in one statement per 2 000. */
  async function insertTransactions(db: Sql, inserts: NewTransaction[]) {
    const now = utcTimestamp(new Date());
    for (let i = 0; i < inserts.length; i += 2000) {
      const rows = valuesList(
        inserts
          .slice(i, i + 2000)
          .map(({ bankAccountId, version, t }) => [
            randomUUID(),
            bankAccountId,
            String(t.id),
            version,
            t.date,
            t.valueDate ?? null,
            t.amount,
            t.label,
            t.type,
            t.coming,
            JSON.stringify(t.raw),
            now,
          ]),
        ['uuid', 'uuid', 'bigint', 'int', 'date', 'date', 'numeric', null, null, 'boolean', 'jsonb', 'timestamp'],
      );
      await db.query(
        `INSERT INTO "Transaction" (id, "bankAccountId", "powensId", version, "bookingDate", "valueDate", amount, label,
           type, coming, raw, "createdAt", "updatedAt")
         SELECT v.id, v.account, v.powens, v.version, v.booking, v.value, v.amount, v.label, v.type, v.coming, v.raw, v.now, v.now
         FROM (VALUES ${rows.text}) AS v(id, account, powens, version, booking, value, amount, label, type, coming, raw, now)`,
        rows.values,
      );
    }
  }
}

/** The data of connection.error: the state, the streak, and whether a link went to the company. */
function connectionErrorData(
  f: ConnectionFailure,
  link: { sent: true; recipient: string; expiresAt: string } | { sent: false; reason: string },
) {
  return {
    state: f.state,
    stateMessage: stateMessageFr(f.state),
    errorMessage: f.errorMessage,
    streak: f.consecutiveErrors,
    failedOn: f.day,
    link,
  };
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

/** The stored version of a transaction that a page is compared with. */
interface StoredTransaction {
  id: string;
  bankAccountId: string;
  powensId: string;
  version: number;
  /** YYYY-MM-DD, as Powens gives `date`. */
  bookingDay: string;
  amount: string;
  label: string;
  coming: boolean;
  statementId: string | null;
  deletedAt: Date | null;
  changedAt: Date | null;
}

/** A transaction (or a new version of one) to insert. */
interface NewTransaction {
  bankAccountId: string;
  version: number;
  t: PowensTransaction;
}

/** A transaction's identity within a connection: its account and Powens id (any version). */
const transactionKey = (bankAccountId: string, powensId: number | string) => `${bankAccountId}/${powensId}`;

/** Runs `work` heartbeating every 30 s (the activities' heartbeat timeout is 2 min). */
async function heartbeating<T>(work: () => Promise<T>): Promise<T> {
  const ctx = Context.current();
  const beat = setInterval(() => ctx.heartbeat(), 30_000);
  try {
    return await work();
  } finally {
    clearInterval(beat);
  }
}

export type ConnectionActivities = ReturnType<typeof createConnectionActivities>;
