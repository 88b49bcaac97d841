/**
 * The e-mail outbox. A message is written to EmailMessage in the same database transaction as the
 * state change that causes it (link created, alert raised, statement issued), keyed by an
 * idempotency key: enqueueing the same key twice keeps the first message. `sendPendingEmails`
 * (sender.ts, an activity) sends the queued rows.
 */
import { randomUUID } from 'node:crypto';
import type { Prisma } from '../db/client';
import { prismaSql, utcTimestamp, valuesList, type Sql } from '../db/sql';
import type { RenderedEmail } from './messages';

type Tx = Prisma.TransactionClient;

export interface EnqueueOptions {
  idempotencyKey: string;
  portalAccountId?: string | null;
  /** The statement the message delivers (its deliveries are shown with it). */
  statementId?: string | null;
  /** The secrets the bodies hold as placeholders, sealed (secrets.ts `sealSecrets`). */
  secretsEnc?: string | null;
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
    statementId: opts.statementId ?? null,
    secretsEnc: opts.secretsEnc ?? null,
  } satisfies Prisma.EmailMessageCreateManyInput;
}

/**
 * Writes the message (and its attachments) unless its key is already there; returns its id.
 * INSERT … ON CONFLICT DO NOTHING: two transactions enqueueing the same key concurrently keep one.
 */
export async function enqueueEmail(tx: Tx, email: RenderedEmail, opts: EnqueueOptions): Promise<string> {
  const [written] = await enqueueEmails(prismaSql(tx), [{ email, opts }]);
  if (written) return written;
  const existing = await tx.emailMessage.findUniqueOrThrow({
    where: { idempotencyKey: opts.idempotencyKey },
    select: { id: true },
  });
  return existing.id;
}

/**
 * Several messages at once (one insert for the messages, one for their attachments), each kept
 * only if its key is new, like enqueueEmail; `status` and `lastError` for a message written as
 * already failed (a refused delivery). Plain SQL: the nightly statements queue theirs through pg
 * (db/sql.ts). Returns the ids of the messages written.
 */
export async function enqueueEmails(
  sql: Sql,
  items: Array<{ email: RenderedEmail; opts: EnqueueOptions; failed?: string }>,
): Promise<string[]> {
  if (items.length === 0) return [];
  const now = utcTimestamp(new Date());
  const ids = items.map(() => randomUUID());
  const messages = valuesList(
    items.map(({ email, opts, failed }, i) => {
      const row = outboxRow(email, opts);
      return [
        ids[i],
        row.portalAccountId,
        row.idempotencyKey,
        row.kind,
        row.to,
        row.subject,
        row.textBody,
        row.htmlBody,
        failed === undefined ? 'QUEUED' : 'FAILED',
        failed ?? null,
        now,
        row.statementId,
        // A message written as failed is never sent: its secrets are not kept.
        failed === undefined ? row.secretsEnc : null,
      ];
    }),
    ['uuid', 'uuid', null, null, null, null, null, null, '"EmailStatus"', null, 'timestamp', 'uuid', null],
  );
  const { rows: created } = await sql.query<{ id: string }>(
    `INSERT INTO "EmailMessage" (id, "portalAccountId", "idempotencyKey", kind, "to", subject, "textBody", "htmlBody",
       status, "lastError", "createdAt", "statementId", "secretsEnc")
     VALUES ${messages.text}
     ON CONFLICT ("idempotencyKey") DO NOTHING
     RETURNING id::text`,
    messages.values,
  );
  const written = new Set(created.map((c) => c.id));
  const attachments = items.flatMap(({ email }, i) =>
    written.has(ids[i]!)
      ? (email.attachments ?? []).map((a) => [randomUUID(), ids[i], a.name, a.contentType, a.content])
      : [],
  );
  if (attachments.length) {
    const rows = valuesList(attachments, ['uuid', 'uuid', null, null, 'bytea']);
    await sql.query(
      `INSERT INTO "EmailAttachment" (id, "messageId", name, "contentType", content) VALUES ${rows.text}`,
      rows.values,
    );
  }
  return ids.filter((id) => written.has(id));
}
