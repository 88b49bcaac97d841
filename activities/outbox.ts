/**
 * The outbox as the connection activities see it. `enqueueEmail` and the message rendering live in
 * the e-mail module (activities/email/); `Outbox` is the rendering seam the connection activities
 * are built with (implemented by `createMessages` in messages.ts).
 */
import type { RenderedEmail } from './email';

export { enqueueEmail } from './email';
export type { RenderedEmail } from './email';

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
  /** 3.a: delivery e-mails of issued statements per the reception mode; returns how many were queued. */
  enqueueStatementDeliveries(prisma: unknown, statementIds: string[]): Promise<number>;
}
