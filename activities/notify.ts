/**
 * What the firm and the company are told about a connection's health (the rule:
 * domain/connection-health.ts): a counted failure recorded (and the connection.error event on its
 * first day), the confirmed error's alert with the company's reconnection link, the recovery.
 * Idempotent: e-mails and events carry keys derived from the connection and the failure's day.
 */
import { isFirstFailure } from '../domain/connection-health';
import { stateMessageFr } from '../domain/powens-states';
import { prismaSql } from '../db/sql';
import { loadConnection, type ConnectionActivityDeps } from './context';
import { issueCredentialsLink } from './links';
import { enqueueEmail, notifyCredentialsUpdatedOnce } from '../email/connection-outbox';
import { enqueueConnectionEvent } from '../webhooks-out';

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

export function createNotifyActivities(deps: Pick<ConnectionActivityDeps, 'config' | 'prisma' | 'outbox'>) {
  const { prisma } = deps;
  return {
    async recordFailure(connectionId: string, f: ConnectionFailure): Promise<void> {
      const c = await loadConnection(prisma, connectionId);
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
        if (isFirstFailure(f.consecutiveErrors))
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
      const c = await loadConnection(prisma, connectionId);
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

        const fresh =
          !valid && f.sendLink && c.company.autoLinks && c.company.email
            ? await issueCredentialsLink(tx, deps, c, f, `${key}/company-link`)
            : null;
        const link = fresh ?? valid;
        const linkSent = fresh !== null;
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
                        : isFirstFailure(f.consecutiveErrors)
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
     * The firm learns that the company updated its credentials: written by the workflow only, once
     * per error episode (`episode`: the streak's first failure), when it sees the connection fine
     * again, whichever way it got there (link, portal, the bank itself).
     */
    async notifyReconnected(connectionId: string, episode: string): Promise<void> {
      const c = await loadConnection(prisma, connectionId);
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
  };
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
