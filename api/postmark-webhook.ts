/**
 * Postmark's webhooks (bounce, spam complaint, subscription change), mounted at
 * `POST /webhooks/postmark`. Authenticated with HTTP basic auth, as Postmark sends it when the
 * webhook URL carries credentials (`https://postmark:<POSTMARK_WEBHOOK_SECRET>@host/webhooks/postmark`):
 * any user name, the password must be POSTMARK_WEBHOOK_SECRET (constant-time comparison).
 *  - Bounce: the message (by MessageID, or by our key in its Metadata) is marked BOUNCED with the bounce's type and details; when
 *    Postmark deactivated the address (`Inactive: true`), the address goes to EmailSuppression and
 *    is never sent to again (sender.ts);
 *  - SpamComplaint: the address is suppressed;
 *  - SubscriptionChange: `SuppressSending: false` (reactivated in Postmark) lifts our suppression.
 * Answers 200 for every well-formed payload (Postmark retries anything else), 401 without the
 * secret, 400 for a payload that is not one of these records.
 */
import { timingSafeEqual } from 'node:crypto';
import express, { Router } from 'express';
import { z } from 'zod';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import type { Db } from '../prisma/client';
import { HttpError } from './errors';
import { METADATA_KEY } from '../activities/email';

const bounce = z.object({
  RecordType: z.literal('Bounce'),
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
const payload = z.discriminatedUnion('RecordType', [bounce, spamComplaint, subscriptionChange]);
const OTHER_RECORDS = new Set(['Delivery', 'Open', 'Click', 'Inbound']);

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
    const address = p.Email.trim().toLowerCase();
    const suppress = p.RecordType === 'SpamComplaint' || p.Inactive;
    const details = [p.RecordType === 'Bounce' ? p.Description : undefined, p.Details].filter(Boolean).join(' — ');
    await deps.prisma.$transaction(async (tx) => {
      // By Postmark's MessageID, or by our key in the message's Metadata: a bounce may arrive
      // before the sender has recorded the MessageID (it then keeps the bounce, sender.ts).
      const key = p.Metadata?.[METADATA_KEY];
      const which = [
        ...(p.MessageID ? [{ postmarkMessageId: p.MessageID }] : []),
        ...(typeof key === 'string' ? [{ idempotencyKey: key }] : []),
      ];
      if (which.length)
        await tx.emailMessage.updateMany({
          where: { OR: which },
          data: {
            status: 'BOUNCED',
            bouncedAt: now,
            // Bounced for good: a secure link it carried is not kept (secrets.ts).
            secretsEnc: null,
            lastError:
              `${p.RecordType === 'Bounce' ? 'rebond' : 'plainte pour spam'} ${p.Type}${details ? ` : ${details}` : ''}`.slice(
                0,
                1000,
              ),
          },
        });
      if (suppress)
        await tx.emailSuppression.upsert({
          where: { address },
          create: { address, reason: p.Type, details: details || null, postmarkMessageId: p.MessageID ?? null },
          update: { reason: p.Type, details: details || null, postmarkMessageId: p.MessageID ?? null },
        });
    });
    deps.logger.info({ recordType: p.RecordType, type: p.Type, suppress }, 'postmark webhook');
    res.json({ status: 'ok', address, suppressed: suppress });
  });
  return router;
}
