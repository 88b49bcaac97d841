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
import { newLinkSecret } from '../domain/links';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import { Prisma, type Db } from '../prisma/client';
import { classifyPowensState } from '../domain/powens-states';
import type { PowensPort, PowensTransaction } from './powens-port';
import { buildStatement } from './statements';
import { enqueueEmail, notifyCredentialsUpdatedOnce, type Outbox } from './outbox';

export interface ConnectionActivityDeps {
  config: Config;
  prisma: Db;
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
  /**
   * What a mere read of this failure looks like (`<last_update>|<state>`): reading the same failed
   * sync again gives the same key, so the workflow counts it once.
   */
  readKey: string;
  /** The attempt ran a sync itself (a person asked): a distinct sync by construction. */
  synced: boolean;
  collected: number;
}

export function createConnectionActivities(deps: ConnectionActivityDeps) {
  const { prisma, powens, logger } = deps;

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
    async loadConnectionSettings(connectionId: string): Promise<ConnectionSettings> {
      const c = await loadConnection(connectionId);
      return {
        siren: c.company.siren,
        portalAccountId: c.company.portalAccountId,
        periodicity: {
          kind: c.company.periodicityKind,
          day: c.company.periodicityDay,
          month: c.company.periodicityMonth,
        },
        autoLinks: c.company.autoLinks,
        active: c.active && c.company.active && c.accounts.some((a) => a.active),
      };
    },

    /**
     * Reads the connection's state (forcing a sync only when a person asked, as Powens' fair-use
     * policy requires), refreshes the accounts, and upserts the transactions changed since the
     * cursor.
     */
    async collect(connectionId: string, opts: { forceSync: boolean; at: string }): Promise<CollectResult> {
      // A forced sync can take minutes at Powens: heartbeat meanwhile (heartbeat timeout 2 min).
      const ctx = Context.current();
      const beat = setInterval(() => ctx.heartbeat('collecting'), 30_000);
      try {
        return await collectOnce(connectionId, opts);
      } finally {
        clearInterval(beat);
      }
    },

    async recordFailure(
      connectionId: string,
      f: { state: string; errorMessage: string | null; consecutiveErrors: number; at: string },
    ): Promise<void> {
      const c = await loadConnection(connectionId);
      await prisma.$transaction([
        prisma.bankConnection.update({
          where: { id: connectionId },
          data: {
            state: f.state,
            errorCode: f.state,
            errorMessage: f.errorMessage,
            consecutiveErrors: f.consecutiveErrors,
          },
        }),
        prisma.bankAccountEvent.createMany({
          data: c.accounts.map((a) => ({
            bankAccountId: a.id,
            kind: 'CONNECTION_ERROR',
            newValue: f.state,
            occurredAt: new Date(f.at),
            detail: { errorMessage: f.errorMessage, consecutiveErrors: f.consecutiveErrors },
          })),
        }),
      ]);
    },

    /**
     * From the second consecutive failure: a 72 h update-credentials link for the company (unless
     * it opted out or one is still valid) and the alert for the firm saying whether a link went out.
     */
    async sendReconnectionLink(
      connectionId: string,
      f: { state: string; errorMessage: string | null; consecutiveErrors: number; at: string },
    ): Promise<{ linkSent: boolean; linkId: string | null; expiresAt: string | null }> {
      const c = await loadConnection(connectionId);
      const at = new Date(f.at);
      const key = `reconnect/${connectionId}/${f.consecutiveErrors}`;
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
        if (!link && c.company.autoLinks && c.company.email) {
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
          await enqueueEmail(
            tx,
            deps.outbox.renderCredentialsLink(c, link, `${deps.config.publicBaseUrl}/l/${secret}`, f),
            {
              idempotencyKey: `${key}/company-link`,
              portalAccountId: c.company.portalAccountId,
            },
          );
        }
        const linkSent = secret !== null;
        await enqueueEmail(tx, deps.outbox.renderFirmAlert(c, f, linkSent, linkSent ? link : null), {
          idempotencyKey: `${key}/firm-alert`,
          portalAccountId: c.company.portalAccountId,
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
        await prisma.link.updateMany({
          where: { id: linkId, usedAt: null, revokedAt: null },
          data: { revokedAt: at },
        });
    },

    /** The firm learns that the company updated its credentials (once per recovery: `recoveryKey`). */
    async notifyReconnected(connectionId: string, recoveryKey: string): Promise<void> {
      const c = await loadConnection(connectionId);
      const key = `reconnected/${connectionId}/${recoveryKey}`;
      await prisma.$transaction(async (tx) => {
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

    /** One statement per active account, up to `periodEnd` (or up to the latest booked day). */
    async issueStatements(connectionId: string, opts: { periodEnd: string; at: string }): Promise<string[]> {
      const c = await loadConnection(connectionId);
      const ids: string[] = [];
      for (const account of c.accounts.filter((a) => a.active)) {
        const id = await buildStatement(prisma, account.id, { periodEnd: opts.periodEnd, today: new Date(opts.at) });
        if (id) ids.push(id);
        Context.current().heartbeat(account.id);
      }
      return ids;
    },

    /** Enqueues the delivery e-mails of freshly issued statements per the reception mode. */
    async deliverStatements(statementIds: string[]): Promise<number> {
      return deps.outbox.enqueueStatementDeliveries(prisma, statementIds);
    },
  };

  async function collectOnce(connectionId: string, opts: { forceSync: boolean; at: string }): Promise<CollectResult> {
    const c = await loadConnection(connectionId);
    const token = userToken(c.company);
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
      return {
        state: 'bug',
        errorMessage: (e as Error).message,
        lastUpdate: null,
        readKey: 'call-failed',
        synced: false,
        collected: 0,
      };
    }
    const state = remote.state ?? null;
    const base = {
      lastUpdate: remote.lastUpdate,
      readKey: `${remote.lastUpdate ?? 'never'}|${state ?? 'ok'}`,
      synced: opts.forceSync,
    };
    await prisma.bankConnection.update({
      where: { id: connectionId },
      data: {
        lastSyncAt: remote.lastUpdate ? new Date(remote.lastUpdate) : undefined,
        state,
        errorMessage: remote.errorMessage,
      },
    });
    if (classifyPowensState(state) !== 'ok') {
      return { state, errorMessage: remote.errorMessage, collected: 0, ...base };
    }

    const collected = await refreshAccountsAndTransactions(c.id, token, c.powensConnectionId, c.transactionsCursor, at);
    await prisma.bankConnection.update({
      where: { id: connectionId },
      data: { lastSuccessAt: at, consecutiveErrors: 0, errorCode: null, errorMessage: null },
    });
    return { state: null, errorMessage: null, collected, ...base };
  }

  async function refreshAccountsAndTransactions(
    connectionId: string,
    token: string,
    powensConnectionId: number,
    cursor: string | null,
    at: Date,
  ): Promise<number> {
    const accounts = await powens.listAccounts(token, powensConnectionId);
    const local = await prisma.bankAccount.findMany({ where: { connectionId } });
    for (const remote of accounts) {
      const mine = local.find((a) => a.powensAccountId === remote.id);
      if (!mine) continue; // not chosen by the company
      const changes = (['iban', 'bic', 'label', 'type', 'currency'] as const).filter(
        (f) => (remote[f] ?? null) !== (mine[f] ?? null),
      );
      await prisma.$transaction([
        prisma.bankAccount.update({
          where: { id: mine.id },
          data: {
            iban: remote.iban,
            bic: remote.bic,
            label: remote.label,
            type: remote.type,
            currency: remote.currency,
            balance: remote.balance === null ? undefined : new Prisma.Decimal(remote.balance),
            balanceAt: at,
          },
        }),
        prisma.bankAccountEvent.createMany({
          data: changes.map((field) => ({
            bankAccountId: mine.id,
            kind: `${field.toUpperCase()}_CHANGED`,
            field,
            oldValue: mine[field] ?? null,
            newValue: remote[field] ?? null,
            occurredAt: at,
          })),
        }),
      ]);
    }

    let collected = 0;
    let newCursor = cursor;
    const byPowensId = new Map(local.map((a) => [a.powensAccountId, a.id]));
    for await (const page of powens.listTransactions(token, powensConnectionId, cursor)) {
      for (const t of page) {
        const accountId = byPowensId.get(t.accountId);
        if (!accountId) continue;
        await upsertTransaction(accountId, t, at);
        collected++;
        if (t.lastUpdate && (!newCursor || t.lastUpdate > newCursor)) newCursor = t.lastUpdate;
      }
      Context.current().heartbeat(collected);
    }
    await prisma.bankConnection.update({ where: { id: connectionId }, data: { transactionsCursor: newCursor } });
    return collected;
  }

  /**
   * Idempotent by (account, Powens id). A transaction the bank deleted or changed after it was
   * delivered keeps its delivered row (marked deleted/changed, reported in the next statement's
   * deleted-transactions CSV); a changed one gets a new version that is delivered again.
   */
  async function upsertTransaction(bankAccountId: string, t: PowensTransaction, at: Date): Promise<void> {
    await prisma.$transaction(async (tx) => {
      const current = await tx.transaction.findFirst({
        where: { bankAccountId, powensId: BigInt(t.id) },
        orderBy: { version: 'desc' },
      });
      const data = {
        bookingDate: new Date(`${t.date}T00:00:00Z`),
        valueDate: t.valueDate ? new Date(`${t.valueDate}T00:00:00Z`) : null,
        amount: new Prisma.Decimal(t.amount),
        label: t.label,
        type: t.type,
        coming: t.coming,
        raw: t.raw as Prisma.InputJsonValue,
      };
      if (!current) {
        if (t.deleted) return;
        await tx.transaction.create({ data: { bankAccountId, powensId: BigInt(t.id), ...data } });
        return;
      }
      if (current.deletedAt || current.changedAt) return; // already archived; nothing newer to apply
      const delivered = current.statementId !== null;
      if (t.deleted) {
        if (delivered) await tx.transaction.update({ where: { id: current.id }, data: { deletedAt: at } });
        else await tx.transaction.delete({ where: { id: current.id } });
        return;
      }
      const same =
        current.amount.equals(data.amount) &&
        current.bookingDate.getTime() === data.bookingDate.getTime() &&
        current.label === data.label &&
        current.coming === data.coming;
      if (same) return;
      if (!delivered) {
        await tx.transaction.update({ where: { id: current.id }, data });
        return;
      }
      await tx.transaction.update({ where: { id: current.id }, data: { changedAt: at } });
      await tx.transaction.create({
        data: { bankAccountId, powensId: BigInt(t.id), version: current.version + 1, ...data },
      });
    });
  }
}

export type ConnectionActivities = ReturnType<typeof createConnectionActivities>;
