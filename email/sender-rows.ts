/**
 * The e-mail sender's side of the outbox (EmailMessage rows), in plain SQL on the worker's pool
 * where it is the hot path: claiming due messages (FOR UPDATE SKIP LOCKED, a stale claim taken
 * over), loading them with their attachments, suppressed addresses and secrets (opened in memory
 * only), and recording what became of each one (see sender.ts for the guarantees).
 */
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import { groupBy } from '../lib/group-by';
import type { Db } from '../db/client';
import { utcTimestamp, type Sql } from '../db/sql';
import { statementLinkVersion } from './delivery';
import type { OutgoingEmail, Outcome } from './postmark';
import { openSecrets, withSecrets } from './secrets';

const MAX_BACKOFF_MS = 15 * 60_000;

export function backoffMs(attempts: number): number {
  return Math.min(MAX_BACKOFF_MS, 5000 * 2 ** Math.max(0, attempts - 1));
}

/** A claimed message, ready for Postmark. */
export interface Claimed extends OutgoingEmail {
  id: string;
  uncertain: boolean;
  claimAttempts: number;
  /** Why its secrets could not be opened (ENCRYPTION_KEY changed since it was queued), if so. */
  secretsError: string | null;
}

export function createSenderRows(deps: {
  config: Config;
  prisma: Db;
  sql: Sql;
  logger?: Logger;
  now: () => Date;
  leaseMs: number;
}) {
  const { prisma, sql, config, now, leaseMs } = deps;

  /** Claims up to `limit` due messages for this sender; returns their ids and attempt counts. */
  async function claim(limit: number): Promise<Array<{ id: string; attempts: number }>> {
    const at = now();
    const atUtc = utcTimestamp(at);
    const staleBeforeUtc = utcTimestamp(new Date(at.getTime() - leaseMs));
    const { rows } = await sql.query<{ id: string; attempts: number }>(
      `UPDATE "EmailMessage" SET
         "uncertain" = "uncertain" OR "status" = 'SENDING'::"EmailStatus",
         "status" = 'SENDING'::"EmailStatus",
         "claimedAt" = $1::timestamp,
         "attempts" = "attempts" + 1
       WHERE "id" IN (
         SELECT "id" FROM "EmailMessage"
         WHERE ("status" = 'QUEUED'::"EmailStatus" AND ("nextAttemptAt" IS NULL OR "nextAttemptAt" <= $1::timestamp))
            OR ("status" = 'SENDING'::"EmailStatus" AND "claimedAt" < $2::timestamp)
         ORDER BY "createdAt"
         LIMIT $3::int
         FOR UPDATE SKIP LOCKED
       )
       RETURNING "id"::text, "attempts"`,
      [atUtc, staleBeforeUtc, limit],
    );
    return rows;
  }

  /** The claimed rows with their attachments, and which of their addresses are suppressed (3 queries). */
  async function load(claimed: Array<{ id: string; attempts: number }>) {
    const ids = claimed.map((c) => c.id);
    const attempts = new Map(claimed.map((c) => [c.id, c.attempts]));
    const { rows } = await sql.query<
      Omit<Claimed, 'attachments' | 'claimAttempts' | 'secretsError'> & { secretsEnc: string | null }
    >(
      `SELECT id::text, "idempotencyKey", kind, "to", subject, "textBody", "htmlBody", uncertain, "secretsEnc"
       FROM "EmailMessage" WHERE id = ANY($1::uuid[]) ORDER BY "createdAt"`,
      [ids],
    );
    const attachments = groupBy(
      (
        await sql.query<{ messageId: string; name: string; contentType: string; content: Uint8Array }>(
          `SELECT "messageId"::text, name, "contentType", content FROM "EmailAttachment" WHERE "messageId" = ANY($1::uuid[])`,
          [ids],
        )
      ).rows,
      (a) => a.messageId,
    );
    const addresses = [...new Set(rows.map((m) => m.to.trim().toLowerCase()).filter(Boolean))];
    const suppressed = addresses.length
      ? (
          await sql.query<{ address: string; reason: string }>(
            `SELECT address, reason FROM "EmailSuppression" WHERE address = ANY($1::text[])`,
            [addresses],
          )
        ).rows
      : [];
    return {
      messages: rows.map(({ secretsEnc, ...m }): Claimed => {
        let secrets: Record<string, string> = {};
        let secretsError: string | null = null;
        try {
          if (secretsEnc) secrets = openSecrets(secretsEnc, config.ENCRYPTION_KEY);
        } catch {
          secretsError =
            'lien sécurisé illisible (ENCRYPTION_KEY a changé depuis la mise en file) : message non envoyé';
        }
        return {
          ...m,
          // In memory only: what Postmark receives; the rows keep their placeholders.
          textBody: withSecrets(m.textBody, secrets),
          htmlBody: withSecrets(m.htmlBody, secrets),
          attachments: attachments.get(m.id) ?? [],
          claimAttempts: attempts.get(m.id)!,
          secretsError,
        };
      }),
      suppressed: new Map(suppressed.map((x) => [x.address, x.reason])),
    };
  }

  /**
   * The sent messages of a batch, in one statement. A message whose bounce came back before this
   * (the webhook finds it by its key) stays BOUNCED, or QUEUED when a soft bounce scheduled it again.
   */
  async function recordSent(sent: Array<{ id: string; messageId: string }>) {
    if (sent.length === 0) return;
    const atUtc = utcTimestamp(now());
    await sql.query(
      `UPDATE "EmailMessage" AS m SET
         "status" = CASE WHEN m."status" = 'BOUNCED'::"EmailStatus" OR m."status" = 'QUEUED'::"EmailStatus"
                         THEN m."status" ELSE 'SENT'::"EmailStatus" END,
         "lastError" = CASE WHEN m."status" IN ('BOUNCED'::"EmailStatus", 'QUEUED'::"EmailStatus") THEN m."lastError" END,
         "sentAt" = $3::timestamp, "postmarkMessageId" = s.message_id,
         "uncertain" = false, "claimedAt" = NULL,
         "nextAttemptAt" = CASE WHEN m."status" = 'QUEUED'::"EmailStatus" THEN m."nextAttemptAt" END,
         "secretsEnc" = CASE WHEN m."status" = 'QUEUED'::"EmailStatus" THEN m."secretsEnc" END
       FROM unnest($1::uuid[], $2::text[]) AS s(id, message_id)
       WHERE m."id" = s.id`,
      [sent.map((x) => x.id), sent.map((x) => x.messageId), atUtc],
    );
  }

  /** A message that was not sent (sent ones are recorded together, by recordSent). */
  async function record(id: string, o: Exclude<Outcome, { kind: 'sent' }>, attempts: number) {
    const at = now();
    if (o.kind === 'retry' || o.kind === 'configuration') {
      if (o.kind === 'configuration')
        // Not the message's fault: every message waits until the configuration is fixed.
        deps.logger?.error(
          { emailId: id, errorCode: o.code, err: o.error },
          'e-mail sending misconfigured at Postmark (sender signature or account): messages held until fixed',
        );
      await prisma.emailMessage.update({
        where: { id },
        data: {
          status: 'QUEUED',
          lastError: o.error,
          lastErrorCode: o.code ?? null,
          uncertain: o.kind === 'retry' ? o.uncertain : false,
          claimedAt: null,
          nextAttemptAt: new Date(at.getTime() + backoffMs(attempts)),
        },
      });
    } else if (o.kind === 'too-large') {
      const m = await prisma.emailMessage.findUniqueOrThrow({
        where: { id },
        select: { statementId: true, to: true },
      });
      const link = m.statementId
        ? await statementLinkVersion(sql, m.statementId, m.to, config.publicBaseUrl, {
            supportEmail: config.SUPPORT_EMAIL,
            supportPhone: config.SUPPORT_PHONE ?? null,
          })
        : null;
      if (!link) {
        await prisma.emailMessage.update({
          where: { id },
          data: { status: 'FAILED', lastError: o.error, lastErrorCode: o.code, claimedAt: null },
        });
        return;
      }
      // The files stay downloadable in Réception; the message now links to them (sent at once).
      await prisma.$transaction([
        prisma.emailAttachment.deleteMany({ where: { messageId: id } }),
        prisma.emailMessage.update({
          where: { id },
          data: {
            status: 'QUEUED',
            subject: link.subject,
            textBody: link.text,
            htmlBody: link.html,
            lastError: 'pièces jointes trop volumineuses pour un e-mail : envoyé avec un lien de téléchargement',
            lastErrorCode: o.code,
            claimedAt: null,
            nextAttemptAt: null,
          },
        }),
      ]);
    } else if (o.kind === 'failed') {
      await prisma.emailMessage.update({
        where: { id },
        data: {
          status: 'FAILED',
          lastError: o.error,
          lastErrorCode: o.code ?? null,
          claimedAt: null,
          secretsEnc: null,
        },
      });
    } else {
      const m = await prisma.emailMessage.findUniqueOrThrow({ where: { id }, select: { to: true } });
      await prisma.$transaction([
        prisma.emailSuppression.upsert({
          where: { address: m.to.trim().toLowerCase() },
          create: { address: m.to.trim().toLowerCase(), reason: o.reason },
          update: {},
        }),
        prisma.emailMessage.update({
          where: { id },
          data: {
            status: 'SUPPRESSED',
            lastError: `adresse désactivée chez Postmark (${o.reason}) : message non envoyé`,
            claimedAt: null,
            secretsEnc: null,
          },
        }),
      ]);
    }
  }

  return { claim, load, recordSent, record };
}
