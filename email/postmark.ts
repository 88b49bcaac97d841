/**
 * Postmark as the e-mail sender sees it: the client (the mail sink in development, by base URL
 * only), the message it receives, its batch API's limits, and what each of its errors means for a
 * message (sent again later, refused for good, suppressed, held for our configuration, too large).
 */
import { ServerClient } from 'postmark';
import type { Config } from '../lib/config';
import { CONFIGURATION_ERROR_CODES } from '../domain/email-bounces';

/** The Metadata key carrying a message's idempotency key (searched before sending an uncertain one). */
export const METADATA_KEY = 'releves_key';

export function postmarkClient(config: Pick<Config, 'postmarkApiUrl' | 'POSTMARK_SERVER_TOKEN'>, timeoutSeconds = 30) {
  const url = new URL(config.postmarkApiUrl);
  return new ServerClient(config.POSTMARK_SERVER_TOKEN, {
    requestHost: url.host + (url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '')),
    useHttps: url.protocol === 'https:',
    timeout: timeoutSeconds,
  });
}

/** A message as the sender hands it to Postmark (placeholders already replaced by their secrets). */
export interface OutgoingEmail {
  idempotencyKey: string;
  kind: string;
  to: string;
  subject: string;
  textBody: string;
  htmlBody: string;
  attachments: Array<{ name: string; contentType: string; content: Uint8Array }>;
}

export const postmarkMessage = (
  config: Pick<Config, 'POSTMARK_FROM' | 'POSTMARK_MESSAGE_STREAM'>,
  m: OutgoingEmail,
) => ({
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

/** Postmark's batch API: at most 500 messages and 50 MB per request (kept well below). */
const BATCH_MESSAGES = 500;
const BATCH_BYTES = 20 * 1024 * 1024;

/** Consecutive batches of at most BATCH_MESSAGES messages and about BATCH_BYTES of JSON each. */
export function batchesOf<
  M extends { textBody: string; htmlBody: string; attachments: Array<{ content: Uint8Array }> },
>(messages: M[]): M[][] {
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

export interface PostmarkFailure {
  statusCode?: number;
  code?: number;
  message: string;
}

export type Outcome =
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

/** How a Postmark error is handled: see sender.ts's module comment. */
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
