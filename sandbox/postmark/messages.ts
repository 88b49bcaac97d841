/** Postmark's email (the Email API's body), its rules and limits, and the message the sink keeps. */
import { randomUUID } from 'node:crypto';

export interface SinkAttachment {
  name: string;
  contentType: string;
  size: number;
  content: string;
}

export interface SinkMessage {
  id: string;
  from: string;
  to: string;
  cc: string;
  bcc: string;
  replyTo: string;
  subject: string;
  text: string;
  html: string;
  tag: string;
  metadata: Record<string, string>;
  headers: Array<{ Name: string; Value: string }>;
  messageStream: string;
  submittedAt: string;
  attachments: SinkAttachment[];
}

export interface PostmarkEmail {
  From?: unknown;
  To?: unknown;
  Cc?: unknown;
  Bcc?: unknown;
  ReplyTo?: unknown;
  Subject?: unknown;
  TextBody?: unknown;
  HtmlBody?: unknown;
  Tag?: unknown;
  MessageStream?: unknown;
  Metadata?: unknown;
  Headers?: unknown;
  Attachments?: unknown;
}
export type PostmarkResult =
  | { To: string; SubmittedAt: string; MessageID: string; ErrorCode: 0; Message: 'OK' }
  | { ErrorCode: number; Message: string };

const MAX_RECIPIENTS = 50;
export const MAX_BATCH = 500;
const MAX_MESSAGE_BYTES = 10 * 1024 * 1024;
/** Postmark's forbidden attachment extensions (a subset of its list, the executable ones). */
const FORBIDDEN_EXTENSIONS = new Set([
  'exe',
  'bat',
  'cmd',
  'com',
  'cpl',
  'js',
  'jse',
  'msi',
  'scr',
  'vbs',
  'vbe',
  'wsf',
  'ps1',
  'jar',
]);
/** The addresses of a To/Cc/Bcc field: "A <a@x>, b@y" → ["a@x", "b@y"] (lower-cased). */
export const addresses = (field: string) =>
  field
    .split(',')
    .map((a) => (/<([^>]+)>/.exec(a)?.[1] ?? a).trim().toLowerCase())
    .filter(Boolean);

export const str = (v: unknown) => (typeof v === 'string' ? v : '');
/** Postmark answers with the offset of its own time zone; the sink uses UTC. */
export const nowPostmark = () => new Date().toISOString().replace('Z', '+00:00');
export function validate(e: PostmarkEmail, inactive: Set<string>): { ErrorCode: number; Message: string } | null {
  if (e === null || typeof e !== 'object' || Array.isArray(e))
    return { ErrorCode: 403, Message: 'Incompatible JSON: an email object was expected.' };
  const from = str(e.From);
  if (!from || addresses(from).length !== 1 || !addresses(from)[0]!.includes('@'))
    return { ErrorCode: 300, Message: `Invalid 'From' address: '${from}'.` };
  const recipients = [e.To, e.Cc, e.Bcc].flatMap((f) => addresses(str(f)));
  if (recipients.length === 0) return { ErrorCode: 300, Message: 'Zero recipients specified' };
  if (recipients.length > MAX_RECIPIENTS)
    return { ErrorCode: 300, Message: `Maximum of ${MAX_RECIPIENTS} recipients allowed per email message` };
  const bad = recipients.find((a) => !/^[^\s@]+@[^\s@]+$/.test(a));
  if (bad)
    return {
      ErrorCode: 300,
      Message: `Error parsing 'To': Illegal email address '${bad}'. It must contain the '@' symbol.`,
    };
  if (!str(e.TextBody) && !str(e.HtmlBody))
    return { ErrorCode: 300, Message: 'Provide either email TextBody or HtmlBody or both.' };
  const attachments = Array.isArray(e.Attachments) ? (e.Attachments as Array<Record<string, unknown>>) : [];
  for (const a of attachments) {
    const name = str(a.Name);
    if (!name || typeof a.Content !== 'string')
      return { ErrorCode: 300, Message: 'Attachments must have a Name and a base64 Content.' };
    if (FORBIDDEN_EXTENSIONS.has(name.split('.').pop()!.toLowerCase()))
      return { ErrorCode: 411, Message: `Forbidden attachment type: ${name}` };
  }
  const size =
    str(e.TextBody).length +
    str(e.HtmlBody).length +
    attachments.reduce((n, a) => n + Math.floor((str(a.Content).length * 3) / 4), 0);
  if (size > MAX_MESSAGE_BYTES) return { ErrorCode: 300, Message: 'Message size exceeds the 10 MB limit.' };
  const dead = recipients.filter((a) => inactive.has(a));
  if (dead.length)
    return {
      ErrorCode: 406,
      Message: `You tried to send to recipient(s) that have been marked as inactive. Found inactive addresses: ${dead.join(', ')}. Inactive recipients are ones that have generated a hard bounce, a spam complaint, or a manual suppression.`,
    };
  return null;
}

/** The message Postmark keeps for an accepted email. */
export function toMessage(e: PostmarkEmail): SinkMessage {
  const metadata =
    e.Metadata && typeof e.Metadata === 'object'
      ? Object.fromEntries(Object.entries(e.Metadata as Record<string, unknown>).map(([k, v]) => [k, String(v)]))
      : {};
  return {
    id: randomUUID(),
    from: str(e.From),
    to: str(e.To),
    cc: str(e.Cc),
    bcc: str(e.Bcc),
    replyTo: str(e.ReplyTo),
    subject: str(e.Subject),
    text: str(e.TextBody),
    html: str(e.HtmlBody),
    tag: str(e.Tag),
    metadata,
    headers: Array.isArray(e.Headers) ? (e.Headers as SinkMessage['headers']) : [],
    messageStream: str(e.MessageStream) || 'outbound',
    submittedAt: nowPostmark(),
    attachments: (Array.isArray(e.Attachments) ? (e.Attachments as Array<Record<string, string>>) : []).map((a) => ({
      name: a.Name!,
      contentType: a.ContentType || 'application/octet-stream',
      size: Buffer.from(a.Content!, 'base64').length,
      content: a.Content!,
    })),
  };
}
