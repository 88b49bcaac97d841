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
 * their search. Postmark's side (client, message, batch limits, errors) is postmark.ts; the rows'
 * side (claim, load, record, in plain SQL) is sender-rows.ts.
 */
import type { ServerClient } from 'postmark';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import { countEmail } from '../lib/metrics';
import type { Db } from '../db/client';
import type { Sql } from '../db/sql';
import {
  METADATA_KEY,
  batchesOf,
  classifyPostmarkError,
  postmarkClient,
  postmarkMessage,
  type Outcome,
  type PostmarkFailure,
} from './postmark';
import { createSenderRows, type Claimed } from './sender-rows';

export const DEFAULT_LEASE_MS = 5 * 60_000;
/** Messages of a claimed batch in flight at once. */
const SEND_CONCURRENCY = 8;

export interface SendResult {
  sent: number;
  /** Refused for good (FAILED) or suppressed. */
  failed: number;
  /** Put back in the queue after a transient failure. */
  retrying: number;
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
  const { config } = deps;
  const client = deps.client ?? postmarkClient(config);
  const now = deps.now ?? (() => new Date());
  const leaseMs = deps.leaseMs ?? DEFAULT_LEASE_MS;
  const { claim, load, recordSent, record } = createSenderRows({ ...deps, now, leaseMs });

  /** Postmark's copy of a message that may have been sent (search by our metadata). */
  async function findAtPostmark(key: string): Promise<string | null> {
    const r = await client.getOutboundMessages({ count: 1, offset: 0, [`metadata_${METADATA_KEY}`]: key });
    return r.Messages[0]?.MessageID ?? null;
  }

  /** Why a message cannot be sent at all (no recipient, suppressed address), or null. */
  function unsendable(m: Claimed, suppressed: Map<string, string>): Exclude<Outcome, { kind: 'sent' }> | null {
    if (m.secretsError) return { kind: 'failed', error: m.secretsError };
    const address = m.to.trim().toLowerCase();
    if (!address) return { kind: 'failed', error: 'aucun destinataire' };
    const reason = suppressed.get(address);
    return reason ? { kind: 'suppressed', reason } : null;
  }

  /** One message on its own (an uncertain one is searched at Postmark first). */
  async function attempt(m: Claimed, suppressed: Map<string, string>): Promise<Outcome> {
    const refused = unsendable(m, suppressed);
    if (refused) return refused;
    try {
      if (m.uncertain) {
        const found = await findAtPostmark(m.idempotencyKey);
        if (found) return { kind: 'sent', messageId: found };
      }
      const r = await client.sendEmail(postmarkMessage(config, m));
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
      const results = await client.sendEmailBatch(batch.map((m) => postmarkMessage(config, m)));
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
