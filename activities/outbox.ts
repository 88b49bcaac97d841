/**
 * The e-mail outbox. A message is written to EmailMessage in the same database transaction as the
 * state change that causes it (link created, alert raised, statement issued), keyed by an
 * idempotency key, and sent later by `sendPendingEmails` (an activity). Sending claims the row
 * (QUEUED → sending attempt counted) before calling Postmark and records Postmark's MessageID, so a
 * retried activity or a restarted worker does not send a SENT message again, and a Postmark
 * outage loses nothing: the row stays QUEUED and is retried.
 */
import type { Prisma } from '../prisma/client';

export interface RenderedEmail {
  kind: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  attachments?: Array<{ name: string; contentType: string; content: Buffer }>;
}

type Tx = Prisma.TransactionClient;

export async function enqueueEmail(
  tx: Tx,
  email: RenderedEmail,
  opts: { idempotencyKey: string; portalAccountId?: string | null },
): Promise<string> {
  const existing = await tx.emailMessage.findUnique({ where: { idempotencyKey: opts.idempotencyKey } });
  if (existing) return existing.id;
  const row = await tx.emailMessage.create({
    data: {
      idempotencyKey: opts.idempotencyKey,
      portalAccountId: opts.portalAccountId ?? null,
      kind: email.kind,
      to: email.to,
      subject: email.subject,
      textBody: email.text,
      htmlBody: email.html,
      attachments: email.attachments?.length
        ? {
            create: email.attachments.map((a) => ({
              name: a.name,
              contentType: a.contentType,
              content: new Uint8Array(a.content),
            })),
          }
        : undefined,
    },
  });
  return row.id;
}

/** Rendering of the messages the connection activities enqueue (implemented with the templates). */
export interface Outbox {
  renderCredentialsLink(
    connection: unknown,
    link: { expiresAt: Date },
    url: string,
    failure: { state: string; errorMessage: string | null },
  ): RenderedEmail;
  renderFirmAlert(
    connection: unknown,
    failure: { state: string; errorMessage: string | null; consecutiveErrors: number },
    linkSent: boolean,
  ): RenderedEmail;
  renderCredentialsUpdated(connection: unknown): RenderedEmail;
  enqueueStatementDeliveries(prisma: unknown, statementIds: string[]): Promise<number>;
}
