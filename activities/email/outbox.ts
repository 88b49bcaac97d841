/**
 * The e-mail outbox. A message is written to EmailMessage in the same database transaction as the
 * state change that causes it (link created, alert raised, statement issued), keyed by an
 * idempotency key: enqueueing the same key twice keeps the first message. `sendPendingEmails`
 * (sender.ts, an activity) sends the queued rows.
 */
import { randomUUID } from 'node:crypto';
import type { Prisma } from '../../prisma/client';
import type { RenderedEmail } from './messages';

type Tx = Prisma.TransactionClient;

export interface EnqueueOptions {
  idempotencyKey: string;
  portalAccountId?: string | null;
}

/** The EmailMessage row of a rendered message (for bulk inserts, see api/routes/import.ts). */
export function outboxRow(email: Omit<RenderedEmail, 'attachments'>, opts: EnqueueOptions) {
  return {
    idempotencyKey: opts.idempotencyKey,
    portalAccountId: opts.portalAccountId ?? null,
    kind: email.kind,
    to: email.to,
    subject: email.subject,
    textBody: email.text,
    htmlBody: email.html,
  } satisfies Prisma.EmailMessageCreateManyInput;
}

/**
 * Writes the message (and its attachments) unless its key is already there; returns its id.
 * INSERT … ON CONFLICT DO NOTHING: two transactions enqueueing the same key concurrently keep one.
 */
export async function enqueueEmail(tx: Tx, email: RenderedEmail, opts: EnqueueOptions): Promise<string> {
  const [written] = await enqueueEmails(tx, [{ email, opts }]);
  if (written) return written;
  const existing = await tx.emailMessage.findUniqueOrThrow({
    where: { idempotencyKey: opts.idempotencyKey },
    select: { id: true },
  });
  return existing.id;
}

/**
 * Several messages at once (one insert for the messages, one for their attachments), each kept
 * only if its key is new, like enqueueEmail. Returns the ids of the messages written.
 */
export async function enqueueEmails(
  tx: Tx,
  items: Array<{ email: RenderedEmail; opts: EnqueueOptions }>,
): Promise<string[]> {
  if (items.length === 0) return [];
  const rows = items.map(({ email, opts }) => ({ id: randomUUID(), ...outboxRow(email, opts) }));
  const created = await tx.emailMessage.createManyAndReturn({
    data: rows,
    skipDuplicates: true,
    select: { id: true },
  });
  const written = new Set(created.map((c) => c.id));
  const attachments = items.flatMap(({ email }, i) =>
    written.has(rows[i]!.id)
      ? (email.attachments ?? []).map((a) => ({
          messageId: rows[i]!.id,
          name: a.name,
          contentType: a.contentType,
          content: new Uint8Array(a.content),
        }))
      : [],
  );
  if (attachments.length) await tx.emailAttachment.createMany({ data: attachments });
  return [...written];
}
