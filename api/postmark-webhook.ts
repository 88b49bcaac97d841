/**
 * Postmark's webhooks, mounted at `POST /webhooks/postmark`. Authenticated with HTTP basic auth, as
 * Postmark sends it when the webhook URL carries credentials
 * (`https://postmark:<POSTMARK_WEBHOOK_SECRET>@host/webhooks/postmark`): any user name, the password
 * must be POSTMARK_WEBHOOK_SECRET (constant-time comparison).
 *  - Delivery: the recipient's server accepted the message (`deliveredAt`);
 *  - Bounce, by its Type (domain/email-bounces.ts): permanent → the message is BOUNCED and the
 *    address suppressed (nothing more is sent to it until a person changes or reactivates it);
 *    retry (SoftBounce, DnsError…) → sent again later, a few times, then BOUNCED; delayed
 *    (Transient: Postmark keeps trying) and ignore (AutoResponder…) → only noted on the message;
 *    a bounce finds its message by MessageID, or by our key in the Metadata Postmark passes back;
 *  - SpamComplaint: the message is BOUNCED and the address suppressed;
 *  - SubscriptionChange: `SuppressSending: false` (reactivated in Postmark) lifts our suppression.
 * A BOUNCED message of a firm (a company's link, a statement) also goes into the firm's daily
 * summary: one e-mail a day listing the addresses (sent at 08:00, Paris), and one bell notification
 * kept up to date, never one per bounce.
 * Answers 200 for every well-formed payload (Postmark retries anything else), 401 without the
 * secret, 400 for a payload that is not one of these records.
 */
import { timingSafeEqual } from 'node:crypto';
import express, { Router } from 'express';
import { z } from 'zod';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import type { Db } from '../db/client';
import { HttpError } from './errors';
import { LINK_SECRET_PLACEHOLDER, METADATA_KEY } from '../email';
import { renderBounceSummary, type BounceLine } from '../email/notices';
import { enqueueEmail } from '../email';
import { bounceReasonFr, classifyBounce, SOFT_BOUNCE_RESENDS, softBounceDelayMs } from '../domain/email-bounces';
import { addDays, parisDate, parisWallClockToUtc } from '../domain/schedule';
import type { Prisma } from '../db/client';

const bounce = z.object({
  RecordType: z.literal('Bounce'),
  ID: z.union([z.number(), z.string()]).optional(),
  Type: z.string(),
  TypeCode: z.number().optional(),
  MessageID: z.string().optional(),
  Email: z.string().min(3),
  Description: z.string().optional(),
  Details: z.string().optional(),
  Inactive: z.boolean().default(false),
  BouncedAt: z.string().optional(),
  Metadata: z.record(z.string(), z.unknown()).optional(),
});
const spamComplaint = z.object({
  RecordType: z.literal('SpamComplaint'),
  Type: z.string().default('SpamComplaint'),
  MessageID: z.string().optional(),
  Email: z.string().min(3),
  Details: z.string().optional(),
  Metadata: z.record(z.string(), z.unknown()).optional(),
});
const subscriptionChange = z.object({
  RecordType: z.literal('SubscriptionChange'),
  Recipient: z.string().min(3),
  SuppressSending: z.boolean(),
  SuppressionReason: z.string().nullable().optional(),
  MessageID: z.string().optional(),
});
const delivery = z.object({
  RecordType: z.literal('Delivery'),
  MessageID: z.string().optional(),
  Recipient: z.string().optional(),
  DeliveredAt: z.string().optional(),
  Details: z.string().optional(),
  Metadata: z.record(z.string(), z.unknown()).optional(),
});
const payload = z.discriminatedUnion('RecordType', [bounce, spamComplaint, subscriptionChange, delivery]);
const OTHER_RECORDS = new Set(['Open', 'Click', 'Inbound']);

/** The firm's summary of a day goes at 08:00 (Paris) and lists the bounces of the 24 h before. */
const SUMMARY_HOUR = 8;

/** The summary window a bounce falls in: [08:00 the day before, 08:00) in Paris time, and its key day. */
export function summaryWindow(at: Date): { since: Date; sendAt: Date; day: string } {
  const today = parisDate(at);
  const todayAt8 = parisWallClockToUtc(today, SUMMARY_HOUR * 60);
  const day = at.getTime() < todayAt8 ? today : addDays(today, 1);
  const sendAt = new Date(parisWallClockToUtc(day, SUMMARY_HOUR * 60));
  const since = new Date(parisWallClockToUtc(addDays(day, -1), SUMMARY_HOUR * 60));
  return { since, sendAt, day };
}

/**
 * The firm's bounce summary of the window `at` falls in, written or brought up to date in `tx`: one
 * e-mail per account and day (queued until 08:00, its text rewritten while it waits) and one bell
 * notification per day.
 */
export async function updateBounceSummary(
  tx: Prisma.TransactionClient,
  config: Config,
  portalAccountId: string,
  at: Date,
): Promise<void> {
  const { since, sendAt, day } = summaryWindow(at);
  // One writer per firm at a time: Postmark delivers webhooks concurrently, and two bounces counted
  // in two transactions that cannot see each other would each write a summary of one address.
  // Held until commit; the count below then sees every bounce committed before it.
  await tx.$queryRaw`SELECT 1 FROM pg_advisory_xact_lock(hashtext(${`bounce-summary/${portalAccountId}`}))`;
  const account = await tx.portalAccount.findUnique({ where: { id: portalAccountId } });
  if (!account) return;
  const bounced = await tx.emailMessage.findMany({
    where: {
      portalAccountId,
      status: 'BOUNCED',
      bouncedAt: { gte: since, lt: sendAt },
      kind: { not: 'firm.bounce-summary' },
    },
    orderBy: { bouncedAt: 'asc' },
    select: { to: true, bounceType: true, bouncedAt: true },
  });
  if (bounced.length === 0) return;
  const addresses = [...new Set(bounced.map((b) => b.to.trim().toLowerCase()))];
  const companies = await tx.company.findMany({
    where: { rootAccountId: account.rootId, email: { in: addresses, mode: 'insensitive' } },
    select: { name: true, email: true },
  });
  const companyOf = new Map(companies.map((c) => [c.email!.toLowerCase(), c.name]));
  const lines = new Map<string, BounceLine>();
  for (const b of bounced) {
    const address = b.to.trim().toLowerCase();
    lines.set(address, {
      address,
      company: companyOf.get(address) ?? null,
      reason: bounceReasonFr(b.bounceType),
      at: b.bouncedAt!,
    });
  }
  const email = renderBounceSummary({
    to: account.contactEmail,
    since,
    bounces: [...lines.values()],
    url: `${config.publicBaseUrl}/redevables?adresse=rejet`,
    platform: { supportEmail: config.SUPPORT_EMAIL, supportPhone: config.SUPPORT_PHONE ?? null },
  });
  const key = `bounce-summary/${portalAccountId}/${day}`;
  await enqueueEmail(tx, email, { idempotencyKey: key, portalAccountId });
  await tx.emailMessage.updateMany({
    where: { idempotencyKey: key, status: 'QUEUED' },
    data: { subject: email.subject, textBody: email.text, htmlBody: email.html, nextAttemptAt: sendAt },
  });
  const title = `Adresses e-mail en échec : ${lines.size}`;
  const body = `Depuis le ${since.toLocaleDateString('fr-FR', { timeZone: 'Europe/Paris' })} à ${SUMMARY_HOUR} h : ${[
    ...lines.values(),
  ]
    .map((l) => (l.company ? `${l.address} (${l.company})` : l.address))
    .join(', ')}. Un récapitulatif vous est envoyé par e-mail une fois par jour.`;
  const existing = await tx.notification.findFirst({
    where: { portalAccountId, kind: 'email.bounces', createdAt: { gte: since, lt: sendAt } },
  });
  if (existing) await tx.notification.update({ where: { id: existing.id }, data: { title, body, readAt: null } });
  else
    await tx.notification.create({
      data: {
        portalAccountId,
        kind: 'email.bounces',
        title,
        body,
        url: `${config.publicBaseUrl}/redevables?adresse=rejet`,
      },
    });
}

function authorized(header: string | undefined, secret: string): boolean {
  const m = /^Basic\s+(.+)$/i.exec(header ?? '');
  if (!m) return false;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const password = Buffer.from(decoded.slice(decoded.indexOf(':') + 1));
  const expected = Buffer.from(secret);
  return decoded.includes(':') && password.length === expected.length && timingSafeEqual(password, expected);
}

export function postmarkWebhookRouter(deps: { config: Config; prisma: Db; logger: Logger }): Router {
  const router = Router();
  router.use((req, res, next) => {
    if (authorized(req.get('authorization'), deps.config.POSTMARK_WEBHOOK_SECRET)) return next();
    res.set('WWW-Authenticate', 'Basic realm="postmark-webhooks"');
    throw new HttpError(401, 'Unauthorized', 'Identifiants du webhook Postmark absents ou invalides.');
  });
  router.post('/', express.json({ limit: '1mb' }), async (req, res) => {
    const recordType = (req.body as { RecordType?: unknown } | undefined)?.RecordType;
    if (typeof recordType === 'string' && OTHER_RECORDS.has(recordType)) {
      res.json({ status: 'ignored', recordType });
      return;
    }
    const p = payload.parse(req.body);
    const now = new Date();
    if (p.RecordType === 'SubscriptionChange') {
      const address = p.Recipient.trim().toLowerCase();
      if (p.SuppressSending)
        await deps.prisma.emailSuppression.upsert({
          where: { address },
          create: { address, reason: p.SuppressionReason ?? 'ManualSuppression', postmarkMessageId: p.MessageID },
          update: { reason: p.SuppressionReason ?? 'ManualSuppression' },
        });
      else await deps.prisma.emailSuppression.deleteMany({ where: { address } });
      res.json({ status: 'ok', address, suppressed: p.SuppressSending });
      return;
    }
    // By Postmark's MessageID, or by our key in the message's Metadata: a webhook may arrive
    // before the sender has recorded the MessageID (it then keeps what the webhook wrote, sender.ts).
    const key = p.Metadata?.[METADATA_KEY];
    const which: Prisma.EmailMessageWhereInput[] = [
      ...(p.MessageID ? [{ postmarkMessageId: p.MessageID }] : []),
      ...(typeof key === 'string' ? [{ idempotencyKey: key }] : []),
    ];
    if (p.RecordType === 'Delivery') {
      const at = p.DeliveredAt && !Number.isNaN(Date.parse(p.DeliveredAt)) ? new Date(p.DeliveredAt) : now;
      if (which.length)
        await deps.prisma.emailMessage.updateMany({
          where: { OR: which, deliveredAt: null },
          data: { deliveredAt: at },
        });
      res.json({ status: 'ok', delivered: true });
      return;
    }
    const address = p.Email.trim().toLowerCase();
    const kind = p.RecordType === 'SpamComplaint' ? 'permanent' : classifyBounce(p.Type, p.Inactive);
    const details = [p.RecordType === 'Bounce' ? p.Description : undefined, p.Details].filter(Boolean).join(' — ');
    const lastError =
      `${p.RecordType === 'Bounce' ? 'rebond' : 'plainte pour spam'} ${p.Type}${details ? ` : ${details}` : ''}`.slice(
        0,
        1000,
      );
    const bounceId = p.RecordType === 'Bounce' && p.ID !== undefined ? String(p.ID) : null;
    const firms = await deps.prisma.$transaction(async (tx) => {
      const messages = which.length
        ? await tx.emailMessage.findMany({
            where: { OR: which },
            select: {
              id: true,
              status: true,
              softBounces: true,
              portalAccountId: true,
              secretsEnc: true,
              textBody: true,
            },
          })
        : [];
      const bouncedFor = new Set<string>();
      for (const m of messages) {
        // A secure link's secret is erased once the message is sent (secrets.ts): such a message
        // cannot be sent again as it was; it bounces for good and the firm sends a new link.
        const secretGone = !m.secretsEnc && m.textBody.includes(LINK_SECRET_PLACEHOLDER);
        if (kind === 'permanent' || (kind === 'retry' && (m.softBounces >= SOFT_BOUNCE_RESENDS || secretGone))) {
          await tx.emailMessage.update({
            where: { id: m.id },
            // Bounced for good: a secure link it carried is not kept (secrets.ts).
            data: {
              status: 'BOUNCED',
              bouncedAt: now,
              bounceType: p.Type,
              secretsEnc: null,
              lastError:
                kind === 'retry' && secretGone
                  ? `${lastError} — lien sécurisé non conservé : envoyez un nouveau lien`.slice(0, 1000)
                  : lastError,
            },
          });
          if (m.portalAccountId) bouncedFor.add(m.portalAccountId);
        } else if (kind === 'retry') {
          // Sent again later: the mailbox may take it then.
          await tx.emailMessage.update({
            where: { id: m.id },
            data: {
              status: 'QUEUED',
              bounceType: p.Type,
              lastError,
              softBounces: m.softBounces + 1,
              claimedAt: null,
              uncertain: false,
              nextAttemptAt: new Date(now.getTime() + softBounceDelayMs(m.softBounces + 1)),
            },
          });
        } else if (m.status !== 'BOUNCED') {
          // Delayed (Postmark keeps trying) or an answer such as an auto-reply: noted, nothing to do.
          await tx.emailMessage.update({ where: { id: m.id }, data: { bounceType: p.Type } });
        }
      }
      if (kind === 'permanent')
        await tx.emailSuppression.upsert({
          where: { address },
          create: {
            address,
            reason: p.Type,
            details: details || null,
            postmarkMessageId: p.MessageID ?? null,
            postmarkBounceId: bounceId,
          },
          update: {
            reason: p.Type,
            details: details || null,
            postmarkMessageId: p.MessageID ?? null,
            postmarkBounceId: bounceId,
            createdAt: now,
          },
        });
      for (const firm of bouncedFor) await updateBounceSummary(tx, deps.config, firm, now);
      return bouncedFor.size;
    });
    deps.logger.info({ recordType: p.RecordType, type: p.Type, kind, firms }, 'postmark webhook');
    res.json({ status: 'ok', address, suppressed: kind === 'permanent', kind });
  });
  return router;
}
