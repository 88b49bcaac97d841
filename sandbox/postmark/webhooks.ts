/**
 * Postmark's bounce, spam-complaint and delivery webhooks, as the sink posts them after accepting a
 * message (the bounce-testing domain bounces with the type its local part names).
 */
import { randomUUID } from 'node:crypto';
import { addresses, nowPostmark, type SinkMessage } from './messages';

/** Where the sink posts Postmark's bounce webhooks (basic auth, as configured in Postmark). */
export interface SinkWebhook {
  url: string;
  username?: string;
  password: string;
}

/** Postmark's bounce-testing domain: `<type>@bounce-testing.postmarkapp.com` bounces with that type. */
export const BOUNCE_TESTING_DOMAIN = 'bounce-testing.postmarkapp.com';
export const BOUNCE_TYPES: Record<string, { type: string; code: number; inactive: boolean; description: string }> = {
  hardbounce: {
    type: 'HardBounce',
    code: 1,
    inactive: true,
    description: 'The server was unable to deliver your message (ex: unknown user, mailbox not found).',
  },
  softbounce: {
    type: 'SoftBounce',
    code: 4096,
    inactive: false,
    description: 'Unable to temporarily deliver this email.',
  },
  transient: {
    type: 'Transient',
    code: 2,
    inactive: false,
    description:
      'The server could not temporarily deliver your message (ex: Message is delayed due to network troubles).',
  },
  spamcomplaint: {
    type: 'SpamComplaint',
    code: 100001,
    inactive: true,
    description: 'The subscriber explicitly marked this message as spam.',
  },
  autoresponder: {
    type: 'AutoResponder',
    code: 64,
    inactive: false,
    description: 'Automatic email responder (ex: "Out of Office" or "On Vacation").',
  },
  dnserror: { type: 'DnsError', code: 256, inactive: false, description: 'A temporary DNS error.' },
  bademailaddress: {
    type: 'BadEmailAddress',
    code: 100000,
    inactive: true,
    description: 'The address is not a valid email address.',
  },
  blocked: {
    type: 'Blocked',
    code: 100006,
    inactive: false,
    description: 'ISP block: the email was blocked by an ISP (content, reputation).',
  },
};
export function createWebhooks(
  opts: { webhook?: SinkWebhook; deliveryWebhooks?: boolean },
  /** Addresses deactivated by a hard bounce or a complaint (later sends answer 406). */
  inactive: Set<string>,
) {
  /** Bounce IDs → address: Postmark's PUT /bounces/{id}/activate reactivates an address by its bounce. */
  const bounces = new Map<number, { email: string; type: string; inactive: boolean; at: string }>();
  const deliveries = new Set<Promise<unknown>>();
  let bounceId = 1000;

  /** Posts a bounce (or spam complaint) webhook as Postmark does; hard ones deactivate the address. */
  async function bounce(
    email: string,
    kind: string,
    messageId: string | null,
    subject = '',
    metadata: Record<string, string> = {},
  ): Promise<number | null> {
    const t = BOUNCE_TYPES[kind.toLowerCase()] ?? BOUNCE_TYPES.hardbounce!;
    if (t.inactive) inactive.add(email.toLowerCase());
    const id = ++bounceId;
    bounces.set(id, { email: email.toLowerCase(), type: t.type, inactive: t.inactive, at: nowPostmark() });
    if (!opts.webhook) return null;
    const spam = t.type === 'SpamComplaint';
    const payload = {
      RecordType: spam ? 'SpamComplaint' : 'Bounce',
      ID: id,
      Type: t.type,
      TypeCode: t.code,
      Name: t.type,
      Tag: '',
      MessageID: messageId ?? randomUUID(),
      ServerID: 1,
      MessageStream: 'outbound',
      Description: t.description,
      Details: spam ? 'Test spam complaint' : `smtp;550 5.1.1 ${email}: test bounce (${t.type})`,
      Email: email,
      From: '',
      BouncedAt: nowPostmark(),
      DumpAvailable: false,
      Inactive: t.inactive,
      CanActivate: true,
      Subject: subject,
      // Postmark passes the message's own Metadata back in its webhooks.
      Metadata: metadata,
    };
    const auth = Buffer.from(`${opts.webhook.username ?? 'postmark'}:${opts.webhook.password}`).toString('base64');
    const r = await fetch(opts.webhook.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${auth}` },
      body: JSON.stringify(payload),
    });
    await r.arrayBuffer();
    return r.status;
  }

  /** Postmark's Delivery webhook: the recipient's server accepted the message. */
  async function delivered(m: SinkMessage, recipient: string): Promise<void> {
    if (!opts.webhook) return;
    const auth = Buffer.from(`${opts.webhook.username ?? 'postmark'}:${opts.webhook.password}`).toString('base64');
    const r = await fetch(opts.webhook.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${auth}` },
      body: JSON.stringify({
        RecordType: 'Delivery',
        ServerID: 1,
        MessageStream: m.messageStream,
        MessageID: m.id,
        Recipient: recipient,
        Tag: m.tag,
        DeliveredAt: nowPostmark(),
        Details: 'Test delivery webhook details',
        Metadata: m.metadata,
      }),
    });
    await r.arrayBuffer();
  }

  /** Messages to the bounce-testing domain bounce shortly after being accepted, as with Postmark; others are delivered. */
  function bounceLater(m: SinkMessage) {
    for (const address of [m.to, m.cc, m.bcc].flatMap(addresses)) {
      const [local, domain] = address.split('@');
      if (domain !== BOUNCE_TESTING_DOMAIN) {
        if (opts.webhook && opts.deliveryWebhooks !== false) {
          const p = delivered(m, address)
            .catch(() => null)
            .finally(() => deliveries.delete(p));
          deliveries.add(p);
        }
        continue;
      }
      const p = bounce(address, local!, m.id, m.subject, m.metadata)
        .catch(() => null)
        .finally(() => deliveries.delete(p));
      deliveries.add(p);
    }
  }

  return { bounce, bounceLater, bounces, deliveries };
}
