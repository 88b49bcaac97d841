/**
 * Sends queued outbox messages through Postmark (the `postmark` client; the mail sink in
 * development, by base URL only). A message is sent only while QUEUED; the row is updated to SENT
 * with Postmark's MessageID right after, so a retried activity does not send it again. A failure
 * leaves it QUEUED with the error recorded, and the activity throws so Temporal retries it.
 */
import { ServerClient } from 'postmark';
import type { Config } from '../lib/config';
import type { Db } from '../prisma/client';

export function createEmailActivities(deps: { config: Config; prisma: Db }) {
  const url = new URL(deps.config.postmarkApiUrl);
  const client = new ServerClient(deps.config.POSTMARK_SERVER_TOKEN, {
    requestHost: url.host + (url.pathname === '/' ? '' : url.pathname),
    useHttps: url.protocol === 'https:',
    timeout: 30,
  });
  return {
    async sendPendingEmails(limit = 100): Promise<{ sent: number; failed: number }> {
      const pending = await deps.prisma.emailMessage.findMany({
        where: { status: 'QUEUED' },
        orderBy: { createdAt: 'asc' },
        take: limit,
        include: { attachments: true },
      });
      let sent = 0;
      let failed = 0;
      for (const m of pending) {
        const suppressed = await deps.prisma.emailSuppression.findUnique({ where: { address: m.to.toLowerCase() } });
        if (suppressed || !m.to) {
          await deps.prisma.emailMessage.update({
            where: { id: m.id },
            data: { status: 'FAILED', lastError: suppressed ? `suppressed: ${suppressed.reason}` : 'no recipient' },
          });
          continue;
        }
        // Claim: only one sender moves a message out of QUEUED.
        const claimed = await deps.prisma.emailMessage.updateMany({
          where: { id: m.id, status: 'QUEUED' },
          data: { attempts: { increment: 1 } },
        });
        if (claimed.count === 0) continue;
        try {
          const r = await client.sendEmail({
            From: deps.config.POSTMARK_FROM,
            To: m.to,
            Subject: m.subject,
            TextBody: m.textBody,
            HtmlBody: m.htmlBody,
            MessageStream: deps.config.POSTMARK_MESSAGE_STREAM,
            Headers: [{ Name: 'X-Releves-Message-Id', Value: m.idempotencyKey }],
            Attachments: m.attachments.map((a) => ({
              Name: a.name,
              ContentType: a.contentType,
              Content: Buffer.from(a.content).toString('base64'),
              ContentID: null,
            })),
          });
          await deps.prisma.emailMessage.update({
            where: { id: m.id },
            data: { status: 'SENT', sentAt: new Date(), postmarkMessageId: r.MessageID, lastError: null },
          });
          sent++;
        } catch (e) {
          failed++;
          await deps.prisma.emailMessage.update({
            where: { id: m.id },
            data: { lastError: (e as Error).message.slice(0, 500) },
          });
        }
      }
      if (failed > 0) throw new Error(`${failed} e-mail(s) not sent; they stay queued and will be retried`);
      return { sent, failed };
    },
  };
}
