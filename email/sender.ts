/**
 * Sends the outbox through Postmark (the `postmark` client; the mail sink in development, by base
 * URL only). Guarantees:
 *  - one sender per message: a batch is claimed (QUEUED → SENDING) with FOR UPDATE SKIP LOCKED, so
 *    concurrent workers or a retried activity never take the same row; a claim older than the
 *    lease (a worker that died mid-send) is taken over;
 *  - never twice: each message carries its idempotency key in Postmark's Metadata. When an attempt
 *    may have reached Postmark without us learning the outcome (no answer, or a claim taken over),
 *    the message is marked `uncertain` and Postmark's outbound-message search is asked first: if
 *    Postmark has it, its MessageID is recorded and nothing is sent again;
 *  - nothing lost: a Postmark outage (5xx, 429, network, bad token) puts the message back in the
 *    queue with exponential backoff (5 s … 15 min), retried until delivered; a refusal that no
 *    retry can fix (422: invalid request, forbidden attachment) is FAILED with Postmark's error;
 *  - suppressed addresses (EmailSuppression, fed by the bounce webhook, or Postmark's 406
 *    "inactive recipient") are not sent to: the message becomes SUPPRESSED with the reason;
 *  - secrets at rest (secrets.ts): the placeholders of a message's bodies are replaced by their
 *    values (decrypted from `secretsEnc`) only in memory, for Postmark; `secretsEnc` is erased as
 *    the message is recorded SENT, FAILED or SUPPRESSED (kept while it is retried).
 * A claimed batch goes to Postmark's batch API in as few requests as its limits allow (500
 * messages, 50 MB), each message with its own result; uncertain messages go one by one, after
 * their search.
 */
import { ServerClient } from 'postmark';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import { groupBy } from '../lib/group-by';
import { countEmail } from '../lib/metrics';
import type { Db } from '../db/client';
import { utcTimestamp, type Sql } from '../db/sql';
import { CONFIGURATION_ERROR_CODES } from '../domain/email-bounces';
import { statementLinkVersion } from './delivery';
import { openSecrets, withSecrets } from './secrets';

export const METADATA_KEY = 'releves_key';
export const DEFAULT_LEASE_MS = 5 * 60_000;
/** Messages of a claimed batch in flight at once. */
const SEND_CONCURRENCY = 8;
const MAX_BACKOFF_MS = 15 * 60_000;

/** Postmark's batch API: at most 500 messages and 50 MB per request (kept well below). */
const BATCH_MESSAGES = 500;
const BATCH_BYTES = 20 * 1024 * 1024;

/** Consecutive batches of at most BATCH_MESSAGES messages and about BATCH_BYTES of JSON each. */
function batchesOf<M extends { textBody: string; htmlBody: string; attachments: Array<{ content: Uint8Array }> }>(
  messages: M[],
): M[][] {
  const out: M[][] = [];
  let bytes = 0;
  for (const m of messages) {
    const size =
      4096 + m.textBody.length + m.htmlBody.length + m.attachments.reduce((n, a) => n + (a.content.length * 4) / 3, 0);
    const last = out.at(-1);
    if (!last || last.length >= BATCH_MESSAGES || bytes + size > BATCH_BYTES) {
      out.push([m]);
      bytes = size;
    } else {
      last.push(m);
      bytes += size;
    }
  }
  return out;
}

export function backoffMs(attempts: number): number {
  return Math.min(MAX_BACKOFF_MS, 5000 * 2 ** Math.max(0, attempts - 1));
}

export function postmarkClient(config: Pick<Config, 'postmarkApiUrl' | 'POSTMARK_SERVER_TOKEN'>, timeoutSeconds = 30) {
  const url = new URL(config.postmarkApiUrl);
  return new ServerClient(config.POSTMARK_SERVER_TOKEN, {
    requestHost: url.host + (url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '')),
    useHttps: url.protocol === 'https:',
    timeout: timeoutSeconds,
  });
}

export interface SendResult {
  sent: number;
  /** Refused for good (FAILED) or suppressed. */
  failed: number;
  /** Put back in the queue after a transient failure. */
  retrying: number;
}

interface PostmarkFailure {
  statusCode?: number;
  code?: number;
  message: string;
}

type Outcome =
  | { kind: 'sent'; messageId: string }
  | { kind: 'retry'; error: string; uncertain: boolean; code?: number }
  | { kind: 'failed'; error: string; code?: number }
  | { kind: 'suppressed'; reason: string }
  /** Our sending is misconfigured (sender signature, account): held, retried, the operator alerted. */
  | { kind: 'configuration'; error: string; code: number }
  /** Over Postmark's size limit: sent again as a link when it is a statement, else failed. */
  | { kind: 'too-large'; error: string; code: number };

/** A refusal of the message's size (ErrorCode 300, "… exceeds … limit"). */
const TOO_LARGE = /size|exceed|too large|trop volumineux/i;

/** How a Postmark error is handled: see the module comment. */
export function classifyPostmarkError(e: PostmarkFailure): Exclude<Outcome, { kind: 'sent' }> {
  const status = e.statusCode ?? 0;
  const text = `Postmark ${status || 'sans réponse'}${e.code ? ` (ErrorCode ${e.code})` : ''} : ${e.message}`.slice(
    0,
    1000,
  );
  if (status === 0) return { kind: 'retry', error: text, uncertain: true };
  if (status === 422 && e.code === 406) return { kind: 'suppressed', reason: 'InactiveRecipient' };
  if (status === 422 && e.code !== undefined && CONFIGURATION_ERROR_CODES.has(e.code))
    return { kind: 'configuration', error: text, code: e.code };
  if (status === 422 && e.code === 300 && TOO_LARGE.test(e.message))
    return { kind: 'too-large', error: text, code: e.code };
  if (status === 422) return { kind: 'failed', error: text, code: e.code };
  return { kind: 'retry', error: text, uncertain: false, code: e.code };
}

export function createEmailActivities(deps: {
  config: Config;
  prisma: Db;
  /** The claim, load and record of a batch, in plain SQL (the worker's pg pool). */
  sql: Sql;
  logger?: Logger;
  client?: ServerClient;
  now?: () => Date;
  leaseMs?: number;
}) {
  const { prisma, sql, config } = deps;
  const client = deps.client ?? postmarkClient(config);
  const now = deps.now ?? (() => new Date());
  const leaseMs = deps.leaseMs ?? DEFAULT_LEASE_MS;

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

  /** Postmark's copy of a message that may have been sent (search by our metadata). */
  async function findAtPostmark(key: string): Promise<string | null> {
    const r = await client.getOutboundMessages({ count: 1, offset: 0, [`metadata_${METADATA_KEY}`]: key });
    return r.Messages[0]?.MessageID ?? null;
  }

  interface Claimed {
    id: string;
    idempotencyKey: string;
    kind: string;
    to: string;
    subject: string;
    textBody: string;
    htmlBody: string;
    uncertain: boolean;
    attachments: Array<{ name: string; contentType: string; content: Uint8Array }>;
    claimAttempts: number;
    /** Why its secrets could not be opened (ENCRYPTION_KEY changed since it was queued), if so. */
    secretsError: string | null;
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

  /** Why a message cannot be sent at all (no recipient, suppressed address), or null. */
  function unsendable(m: Claimed, suppressed: Map<string, string>): Exclude<Outcome, { kind: 'sent' }> | null {
    if (m.secretsError) return { kind: 'failed', error: m.secretsError };
    const address = m.to.trim().toLowerCase();
    if (!address) return { kind: 'failed', error: 'aucun destinataire' };
    const reason = suppressed.get(address);
    return reason ? { kind: 'suppressed', reason } : null;
  }

  const postmarkMessage = (m: Claimed) => ({
    From: config.POSTMARK_FROM,
    To: m.to,
    Subject: m.subject,
    TextBody: m.textBody,
    HtmlBody: m.htmlBody,
    MessageStream: config.POSTMARK_MESSAGE_STREAM,
    Tag: m.kind,
    Metadata: { [METADATA_KEY]: m.idempotencyKey },
    Headers: [{ Name: 'X-Releves-Message-Id', Value: m.idempotencyKey }],
    Attachments: m.attachments.map((a) => ({
      Name: a.name,
      ContentType: a.contentType,
      Content: Buffer.from(a.content).toString('base64'),
      ContentID: null,
    })),
  });

  /** One message on its own (an uncertain one is searched at Postmark first). */
  async function attempt(m: Claimed, suppressed: Map<string, string>): Promise<Outcome> {
    const refused = unsendable(m, suppressed);
    if (refused) return refused;
    try {
      if (m.uncertain) {
        const found = await findAtPostmark(m.idempotencyKey);
        if (found) return { kind: 'sent', messageId: found };
      }
      const r = await client.sendEmail(postmarkMessage(m));
      return { kind: 'sent', messageId: r.MessageID };
    } catch (e) {
      const f = e as PostmarkFailure;
      const outcome = classifyPostmarkError(f);
      // A search that failed leaves the message as uncertain as it was.
      if (outcome.kind === 'retry' && m.uncertain) return { ...outcome, uncertain: true };
      return outcome;
    }
  }

  /**
   * Messages that are neither uncertain nor unsendable, in one request to Postmark's batch API:
   * each gets its own result (sent, or its ErrorCode handled as a single send's 422). Without an
   * answer they all become uncertain (searched before any new attempt); a 5xx or 429 puts them
   * all back in the queue; a refusal of the request as a whole sends them one by one instead.
   */
  async function attemptBatch(batch: Claimed[], suppressed: Map<string, string>): Promise<Outcome[]> {
    try {
      const results = await client.sendEmailBatch(batch.map(postmarkMessage));
      return batch.map((_, i): Outcome => {
        const r = results[i];
        if (!r) return { kind: 'retry', error: 'Postmark : résultat manquant dans la réponse du lot', uncertain: true };
        if (r.ErrorCode === 0) return { kind: 'sent', messageId: r.MessageID };
        return classifyPostmarkError({ statusCode: 422, code: r.ErrorCode, message: r.Message });
      });
    } catch (e) {
      const outcome = classifyPostmarkError(e as PostmarkFailure);
      if (outcome.kind === 'retry') return batch.map(() => outcome);
      return Promise.all(batch.map((m) => attempt(m, suppressed)));
    }
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

  return {
    /**
     * Sends the due messages (at most `limit`). Never throws for a message's failure: the message
     * records it and is retried later; the worker calls this every few seconds.
     */
    async sendPendingEmails(limit = 100): Promise<SendResult> {
      const claimed = await claim(limit);
      const result: SendResult = { sent: 0, failed: 0, retrying: 0 };
      if (claimed.length === 0) return result;
      const { messages, suppressed } = await load(claimed);
      const sent: Array<{ id: string; messageId: string }> = [];
      const settle = async (m: Claimed, outcome: Outcome) => {
        // Held for the configuration, or sent again as a link: both are tried again.
        countEmail(m.kind, outcome.kind === 'configuration' || outcome.kind === 'too-large' ? 'retry' : outcome.kind);
        if (outcome.kind === 'sent') {
          sent.push({ id: m.id, messageId: outcome.messageId });
          result.sent++;
          return;
        }
        await record(m.id, outcome, m.claimAttempts);
        if (outcome.kind === 'retry' || outcome.kind === 'configuration' || outcome.kind === 'too-large') {
          result.retrying++;
          deps.logger?.warn({ emailId: m.id, err: outcome.error }, 'e-mail not sent, will retry');
        } else result.failed++;
      };
      // Uncertain and unsendable messages one by one; the others in batch requests.
      const alone = messages.filter((m) => m.uncertain || unsendable(m, suppressed));
      const batches = batchesOf(messages.filter((m) => !alone.includes(m)));
      let next = 0;
      const lane = async () => {
        while (next < alone.length) {
          const m = alone[next++]!;
          await settle(m, await attempt(m, suppressed));
        }
      };
      try {
        for (const batch of batches) {
          const outcomes = await attemptBatch(batch, suppressed);
          for (const [i, m] of batch.entries()) await settle(m, outcomes[i]!);
        }
        await Promise.all(Array.from({ length: Math.min(SEND_CONCURRENCY, alone.length) }, lane));
      } finally {
        // Sent ones are recorded even when another message's bookkeeping failed (a message left
        // SENDING is taken over after the lease, searched at Postmark first, never sent twice).
        await recordSent(sent);
      }
      return result;
    },
  };
}

export type EmailActivities = ReturnType<typeof createEmailActivities>;
