/**
 * The outbox as the connection activities see it. `enqueueEmail` and the message rendering are the
 * rest of this module (index.ts); `Outbox` is the rendering seam the connection activities are
 * built with (implemented by `createMessages` in connection-messages.ts).
 */
import type { Prisma } from '../db/client';
import type { Sql } from '../db/sql';
import { enqueueEmail, type RenderedEmail } from './index';

export { enqueueEmail } from './index';
export type { RenderedEmail } from './index';

export interface Outbox {
  /** 2.a / 4.2.1: the update-credentials link for the company (accounts + error detail). */
  renderCredentialsLink(
    connection: unknown,
    link: { expiresAt: Date },
    url: string,
    failure: { state: string; errorMessage: string | null },
  ): RenderedEmail;
  /** 2.a / 4.2.1: the firm's alert, saying whether a link went out (to whom, until when) or why not. */
  renderFirmAlert(
    connection: unknown,
    failure: { state: string; errorMessage: string | null; consecutiveErrors: number },
    linkSent: boolean,
    link?: { recipient: string; expiresAt: Date } | null,
  ): RenderedEmail;
  /** 4.2.2: the firm is told the company updated its credentials. */
  renderCredentialsUpdated(connection: unknown): RenderedEmail;
  /** 4.1.5: the firm is told the company connected its bank and chose accounts. */
  renderAccountsConnected(connection: unknown): RenderedEmail;
  /** 3.a: delivery e-mails of issued statements that have none yet; returns how many were queued. */
  enqueueStatementDeliveries(prisma: unknown, statementIds: string[]): Promise<number>;
  /** 3.a: the same in the caller's transaction (the one that issues the statements). */
  enqueueStatementDeliveriesIn(sql: Sql, statementIds: string[]): Promise<number>;
}

/**
 * 4.2.2, once per recovery: the firm's e-mail through the outbox and its in-app notification, in
 * the caller's transaction. The API's callback and the workflow's `notifyReconnected` use the same
 * `idempotencyKey`, so the firm is told once whichever comes first. False when it already was.
 */
export async function notifyCredentialsUpdatedOnce(
  tx: Prisma.TransactionClient,
  render: () => RenderedEmail,
  target: { idempotencyKey: string; portalAccountId: string; company: { id: string; name: string } },
): Promise<boolean> {
  const { idempotencyKey, portalAccountId, company } = target;
  if (await tx.emailMessage.findUnique({ where: { idempotencyKey }, select: { id: true } })) return false;
  await enqueueEmail(tx, render(), { idempotencyKey, portalAccountId });
  await tx.notification.create({
    data: {
      portalAccountId,
      kind: 'CONNECTION_RESTORED',
      title: `${company.name} a mis à jour ses identifiants`,
      body: 'La collecte des relevés reprend normalement.',
      url: `/redevables/${company.id}`,
    },
  });
  return true;
}
