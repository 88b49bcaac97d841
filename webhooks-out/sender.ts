/**
 * Sends the webhook outbox (WebhookMessage rows), like the e-mail sender: the worker calls
 * `sendPendingWebhooks` every second.
 *  - Claim: due PENDING messages (and SENDING ones whose claim is older than the lease: a worker
 *    died mid-send) are taken with FOR UPDATE SKIP LOCKED, so two workers never send one at once.
 *  - At least once: a message is SUCCEEDED only after a 2xx; anything else is retried on the
 *    schedule below (about 3 days), then FAILED. Receivers deduplicate on `webhook-id`.
 *  - Every attempt is recorded (WebhookAttempt: status, latency, response code, error).
 *  - Sustained failure: an endpoint that has answered nothing but failures for 3 days
 *    (`failingSince`) is disabled, its pending messages FAILED, and the firm gets an e-mail and a
 *    notification. "Renvoyer" (`resend`) queues one more attempt of one message at once.
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import { inTransaction, utcTimestamp, type Sql, type SqlPool } from '../db/sql';
import { enqueueEmails } from '../email/outbox';
import { renderWebhookDisabled, type Platform } from '../email/messages';
import { postWebhook, policyFor, type DeliveryPolicy, type PostResult } from './http';
import { decryptSecret, signatureHeaders } from './signing';

/**
 * Delay before the next attempt after the n-th failed one (index n-1). 12 attempts: at once, then
 * after 5 s, 1 min, 5 min, 30 min, 1 h, 2 h, 4 h, 8 h, 12 h, 24 h and 24 h: the last one
 * 3 days 3 h 36 min after the first.
 */
export const RETRY_DELAYS_MS = [
  5_000, 60_000, 300_000, 1_800_000, 3_600_000, 7_200_000, 14_400_000, 28_800_000, 43_200_000, 86_400_000, 86_400_000,
];
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;
/** An endpoint failing every attempt for this long is disabled. */
export const DISABLE_AFTER_MS = 3 * 24 * 3600_000;
const LEASE_MS = 5 * 60_000;
const CONCURRENCY = 8;

export interface WebhookSendResult {
  succeeded: number;
  failed: number;
  retrying: number;
}

interface Claimed {
  id: string;
  attempts: number;
  resend: boolean;
  eventId: string;
  body: string;
  endpointId: string;
  url: string;
  enabled: boolean;
  secretEnc: string;
  previousSecretEnc: string | null;
  previousSecretExpiresAt: Date | null;
}

export function createWebhookSender(deps: {
  config: Config;
  sql: SqlPool;
  logger?: Logger;
  now?: () => Date;
  policy?: DeliveryPolicy;
  platform?: Platform;
}) {
  const { sql, config } = deps;
  const now = deps.now ?? (() => new Date());
  const policy = deps.policy ?? policyFor(config);

  async function claim(limit: number): Promise<Claimed[]> {
    const at = now();
    const { rows } = await sql.query<{ id: string }>(
      `UPDATE "WebhookMessage" SET status = 'SENDING'::"WebhookMessageStatus", "claimedAt" = $1::timestamp,
         attempts = attempts + CASE WHEN resend THEN 0 ELSE 1 END
       WHERE id IN (
         SELECT id FROM "WebhookMessage"
         WHERE (status = 'PENDING'::"WebhookMessageStatus" AND "nextAttemptAt" <= $1::timestamp)
            OR (status = 'SENDING'::"WebhookMessageStatus" AND "claimedAt" < $2::timestamp)
         ORDER BY "nextAttemptAt" LIMIT $3::int FOR UPDATE SKIP LOCKED)
       RETURNING id::text`,
      [utcTimestamp(at), utcTimestamp(new Date(at.getTime() - LEASE_MS)), limit],
    );
    if (rows.length === 0) return [];
    const { rows: loaded } = await sql.query<Claimed>(
      `SELECT m.id::text, m.attempts, m.resend, m."eventId", ev.body, e.id::text AS "endpointId", e.url, e.enabled,
              e."secretEnc", e."previousSecretEnc", e."previousSecretExpiresAt"
       FROM "WebhookMessage" m JOIN "WebhookEvent" ev ON ev.id = m."eventId" JOIN "WebhookEndpoint" e ON e.id = m."endpointId"
       WHERE m.id = ANY($1::uuid[]) ORDER BY m."nextAttemptAt"`,
      [rows.map((r) => r.id)],
    );
    return loaded;
  }

  /** One attempt, signed with the current secret (and the previous one within 24 h of a rotation). */
  async function attempt(m: Claimed, at: Date): Promise<PostResult> {
    if (!m.enabled) return { statusCode: null, latencyMs: 0, error: 'point de terminaison désactivé' };
    const secrets = [decryptSecret(m.secretEnc, config.ENCRYPTION_KEY)];
    if (m.previousSecretEnc && m.previousSecretExpiresAt && m.previousSecretExpiresAt > at)
      secrets.push(decryptSecret(m.previousSecretEnc, config.ENCRYPTION_KEY));
    return postWebhook(
      m.url,
      {
        'content-type': 'application/json',
        'user-agent': 'Releves-Webhooks/1.0',
        ...signatureHeaders(m.eventId, at, m.body, secrets),
      },
      m.body,
      policy,
    );
  }

  /** The attempt, the message's new state and the endpoint's health, in one transaction. */
  async function record(m: Claimed, at: Date, r: PostResult): Promise<'succeeded' | 'failed' | 'retrying'> {
    const ok = r.error === null;
    const atUtc = utcTimestamp(at);
    const exhausted = m.attempts >= MAX_ATTEMPTS || !m.enabled;
    const outcome = ok ? 'succeeded' : exhausted ? 'failed' : 'retrying';
    await inTransaction(sql, async (tx) => {
      await tx.query(
        `INSERT INTO "WebhookAttempt" (id, "messageId", at, succeeded, "statusCode", "latencyMs", error, manual)
         VALUES ($1::uuid, $2::uuid, $3::timestamp, $4, $5, $6, $7, $8)`,
        [randomUUID(), m.id, atUtc, ok, r.statusCode, r.latencyMs, r.error, m.resend],
      );
      await tx.query(
        `UPDATE "WebhookMessage" SET status = $2::"WebhookMessageStatus", "claimedAt" = NULL, resend = false,
           "lastError" = $3, "lastStatusCode" = $4, "deliveredAt" = CASE WHEN $5 THEN $6::timestamp ELSE "deliveredAt" END,
           "nextAttemptAt" = $7::timestamp
         WHERE id = $1::uuid`,
        [
          m.id,
          ok ? 'SUCCEEDED' : exhausted ? 'FAILED' : 'PENDING',
          r.error,
          r.statusCode,
          ok,
          atUtc,
          ok || exhausted ? null : utcTimestamp(new Date(at.getTime() + RETRY_DELAYS_MS[Math.max(0, m.attempts - 1)]!)),
        ],
      );
      if (!m.enabled) return;
      if (ok) {
        await tx.query(
          `UPDATE "WebhookEndpoint" SET "failingSince" = NULL, "lastSuccessAt" = $2::timestamp WHERE id = $1::uuid`,
          [m.endpointId, atUtc],
        );
        return;
      }
      const {
        rows: [e],
      } = await tx.query<{ failingSince: Date }>(
        `UPDATE "WebhookEndpoint" SET "failingSince" = COALESCE("failingSince", $2::timestamp)
         WHERE id = $1::uuid RETURNING "failingSince"`,
        [m.endpointId, atUtc],
      );
      if (e && at.getTime() - e.failingSince.getTime() >= DISABLE_AFTER_MS)
        await disable(tx, m.endpointId, at, e.failingSince);
    });
    return outcome;
  }

  /** Sustained failure: the endpoint is disabled, its pending messages failed, the firm told (e-mail, notification). */
  async function disable(tx: Sql, endpointId: string, at: Date, since: Date) {
    const atUtc = utcTimestamp(at);
    const reason = 'échecs de livraison continus pendant 3 jours';
    const {
      rows: [e],
    } = await tx.query<{
      url: string;
      description: string;
      portalAccountId: string;
      name: string;
      contactEmail: string;
      contactPhone: string | null;
    }>(
      `UPDATE "WebhookEndpoint" w SET enabled = false, "disabledAt" = $2::timestamp, "disabledReason" = $3, "updatedAt" = $2::timestamp
       FROM "PortalAccount" p WHERE w.id = $1::uuid AND w.enabled AND p.id = w."portalAccountId"
       RETURNING w.url, w.description, w."portalAccountId"::text AS "portalAccountId", p.name, p."contactEmail", p."contactPhone"`,
      [endpointId, atUtc, reason],
    );
    if (!e) return;
    await tx.query(
      `UPDATE "WebhookMessage" SET status = 'FAILED'::"WebhookMessageStatus", "lastError" = 'point de terminaison désactivé',
         "nextAttemptAt" = NULL
       WHERE "endpointId" = $1::uuid AND status = 'PENDING'::"WebhookMessageStatus"`,
      [endpointId],
    );
    const page = `${config.publicBaseUrl}/webhooks/${endpointId}`;
    await enqueueEmails(tx, [
      {
        email: renderWebhookDisabled({
          to: e.contactEmail,
          firm: { name: e.name, email: e.contactEmail, phone: e.contactPhone },
          endpoint: { url: e.url, description: e.description },
          failingSince: since,
          disabledAt: at,
          pageUrl: page,
          platform: deps.platform ?? { supportEmail: config.SUPPORT_EMAIL, supportPhone: config.SUPPORT_PHONE ?? null },
        }),
        opts: {
          idempotencyKey: `webhook-disabled/${endpointId}/${at.toISOString()}`,
          portalAccountId: e.portalAccountId,
        },
      },
    ]);
    await tx.query(
      `INSERT INTO "Notification" (id, "portalAccountId", kind, title, body, url, "createdAt")
       VALUES ($1::uuid, $2::uuid, 'WEBHOOK_DISABLED', $3, $4, $5, $6::timestamp)`,
      [
        randomUUID(),
        e.portalAccountId,
        'Webhook désactivé',
        `${e.url} : ${reason}. Corrigez-le puis réactivez-le ; les événements en attente peuvent être renvoyés un par un.`,
        `/webhooks/${endpointId}`,
        atUtc,
      ],
    );
    deps.logger?.warn({ endpointId }, 'webhook endpoint disabled after sustained failure');
  }

  return {
    /** Delivers the due messages (at most `limit`); never throws for a message's failure. */
    async sendPendingWebhooks(limit = 100): Promise<WebhookSendResult> {
      const claimed = await claim(limit);
      const result: WebhookSendResult = { succeeded: 0, failed: 0, retrying: 0 };
      let next = 0;
      const lane = async () => {
        while (next < claimed.length) {
          const m = claimed[next++]!;
          const at = now();
          const outcome = await record(m, at, await attempt(m, at));
          result[outcome]++;
        }
      };
      await Promise.all(Array.from({ length: Math.min(CONCURRENCY, claimed.length) }, lane));
      return result;
    },
  };
}

export type WebhookSender = ReturnType<typeof createWebhookSender>;
