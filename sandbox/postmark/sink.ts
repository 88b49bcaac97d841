/**
 * Mail sink: a local stand-in for Postmark's email API, used by `npm start` and the tests through
 * the `postmark` client's configurable host. Same endpoints, header, response and error shapes as
 * Postmark (https://postmarkapp.com/developer/api/email-api, …/messages-api, …/overview#error-codes):
 *  - `POST /email` → 200 `{ To, SubmittedAt, MessageID, ErrorCode: 0, Message: "OK" }`;
 *    errors: 401 (ErrorCode 10, bad or missing `X-Postmark-Server-Token`), 422 with ErrorCode 300
 *    (invalid request), 402 (invalid JSON), 406 (inactive recipient), 409 (JSON required), 411
 *    (forbidden attachment type), 500 `{ ErrorCode, Message }` when a fault is injected;
 *  - `POST /email/batch` → 200 with one result per message (ErrorCode 410 over 500 messages);
 *  - `GET /messages/outbound?count=&offset=[&recipient=&tag=&subject=&metadata_<key>=]` →
 *    `{ TotalCount, Messages: [{ MessageID, To: [{ Email, Name }], Subject, Metadata, … }] }`.
 * It keeps every message, shows them at `/` and in JSON at `GET /__sink/messages?to=<address>`
 * (newest first). Test controls: `POST /__sink/faults` (`{ failNext, status, mode }`, mode
 * `error` = answer `status` without keeping the message, `drop` = close the connection without an
 * answer, `lost-response` = keep the message then close without an answer), `POST /__sink/inactive`
 * (`{ email }`: later sends to it answer 406), `DELETE /__sink/messages`.
 * Bounces: with a `webhook` option (Relevés' `/webhooks/postmark` under `npm start`), a message to
 * Postmark's bounce-testing addresses (`HardBounce@bounce-testing.postmarkapp.com`, `SoftBounce@…`,
 * `Transient@…`, `SpamComplaint@…`, `AutoResponder@…`, `DnsError@…`, `BadEmailAddress@…`,
 * `Blocked@…`) is followed by the matching bounce webhook (Type and TypeCode as Postmark's bounce
 * API lists them), any other by a Delivery webhook, as Postmark does; `POST /__sink/bounce`
 * (`{ email, type, messageId? }`) sends one for any address. A hard bounce, a bad address or a spam
 * complaint also deactivates the address (later sends answer 406) until `PUT /bounces/{id}/activate`.
 * `POST /__sink/faults` takes `errorCode` and `message` for an `error` answer (e.g. 422 with
 * ErrorCode 401, "Sender signature not confirmed").
 */
import { randomUUID } from 'node:crypto';
import express, { type ErrorRequestHandler, type Request, type Response } from 'express';

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

interface PostmarkEmail {
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

export type FaultMode = 'error' | 'drop' | 'lost-response';
export interface Faults {
  failNext: number;
  status: number;
  mode: FaultMode;
  /** The ErrorCode of an `error` answer (default: 100 for a 503, else 0), e.g. 401 with a 422. */
  errorCode?: number;
  message?: string;
}

type PostmarkResult =
  | { To: string; SubmittedAt: string; MessageID: string; ErrorCode: 0; Message: 'OK' }
  | { ErrorCode: number; Message: string };

const MAX_RECIPIENTS = 50;
const MAX_BATCH = 500;
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

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The addresses of a To/Cc/Bcc field: "A <a@x>, b@y" → ["a@x", "b@y"] (lower-cased). */
export const addresses = (field: string) =>
  field
    .split(',')
    .map((a) => (/<([^>]+)>/.exec(a)?.[1] ?? a).trim().toLowerCase())
    .filter(Boolean);

const str = (v: unknown) => (typeof v === 'string' ? v : '');
/** Postmark answers with the offset of its own time zone; the sink uses UTC. */
const nowPostmark = () => new Date().toISOString().replace('Z', '+00:00');

/** Where the sink posts Postmark's bounce webhooks (basic auth, as configured in Postmark). */
export interface SinkWebhook {
  url: string;
  username?: string;
  password: string;
}

/** Postmark's bounce-testing domain: `<type>@bounce-testing.postmarkapp.com` bounces with that type. */
export const BOUNCE_TESTING_DOMAIN = 'bounce-testing.postmarkapp.com';
const BOUNCE_TYPES: Record<string, { type: string; code: number; inactive: boolean; description: string }> = {
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

export function createMailSink(opts: {
  serverToken: string;
  webhook?: SinkWebhook;
  /** Post a Delivery webhook for each accepted message (as Postmark does when enabled; default on with a webhook). */
  deliveryWebhooks?: boolean;
}) {
  const messages: SinkMessage[] = [];
  const inactive = new Set<string>();
  /** Bounce IDs → address: Postmark's PUT /bounces/{id}/activate reactivates an address by its bounce. */
  const bounces = new Map<number, { email: string; type: string; inactive: boolean; at: string }>();
  const faults: Faults = { failNext: 0, status: 500, mode: 'error' };
  const app = express();
  app.disable('x-powered-by');
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

  const postmarkError = (res: Response, status: number, ErrorCode: number, Message: string) =>
    void res.status(status).json({ ErrorCode, Message });

  function validate(e: PostmarkEmail): { ErrorCode: number; Message: string } | null {
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

  function accept(e: PostmarkEmail): PostmarkResult {
    const problem = validate(e);
    if (problem) return problem;
    const metadata =
      e.Metadata && typeof e.Metadata === 'object'
        ? Object.fromEntries(Object.entries(e.Metadata as Record<string, unknown>).map(([k, v]) => [k, String(v)]))
        : {};
    const m: SinkMessage = {
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
    messages.push(m);
    bounceLater(m);
    return { To: m.to, SubmittedAt: m.submittedAt, MessageID: m.id, ErrorCode: 0, Message: 'OK' };
  }

  /** Postmark checks the server token first: 401 with ErrorCode 10 when missing or wrong. */
  const auth: express.RequestHandler = (req, res, next) => {
    const token = req.get('X-Postmark-Server-Token');
    if (!token)
      return postmarkError(
        res,
        401,
        10,
        'No Account or Server API tokens were supplied in the HTTP headers. Please add a header for either X-Postmark-Server-Token or X-Postmark-Account-Token.',
      );
    if (token !== opts.serverToken)
      return postmarkError(
        res,
        401,
        10,
        'The Server Token you provided in the X-Postmark-Server-Token request header was invalid. Please verify that you are using a valid token.',
      );
    next();
  };

  /** Plays an injected fault if one is pending; returns false when it did (`keep` stores the mail). */
  const noFault = (req: Request, res: Response, keep?: () => void): boolean => {
    if (faults.failNext <= 0) return true;
    faults.failNext--;
    if (faults.mode === 'lost-response') keep?.();
    if (faults.mode === 'error')
      postmarkError(
        res,
        faults.status,
        faults.errorCode ?? (faults.status === 503 ? 100 : 0),
        faults.message ?? (faults.status === 503 ? 'Maintenance' : 'Internal Server Error'),
      );
    else req.socket.destroy();
    return false;
  };

  const jsonRequired: express.RequestHandler = (req, res, next) => {
    if (!req.is('application/json'))
      return postmarkError(res, 422, 409, 'JSON Required: send Content-Type: application/json.');
    next();
  };
  const json = express.json({ limit: '60mb' });
  const invalidJson: ErrorRequestHandler = (err, _req, res, next) => {
    if ((err as { type?: string }).type === 'entity.parse.failed') return postmarkError(res, 422, 402, 'Invalid JSON');
    if ((err as { type?: string }).type === 'entity.too.large')
      return postmarkError(res, 422, 300, 'Request size exceeds the 50 MB limit.');
    next(err);
  };

  app.post('/email', auth, jsonRequired, json, (req, res) => {
    const body = req.body as PostmarkEmail;
    if (!noFault(req, res, () => accept(body))) return;
    const r = accept(body);
    res.status(r.ErrorCode === 0 ? 200 : 422).json(r);
  });

  app.post('/email/batch', auth, jsonRequired, json, (req, res) => {
    const body = req.body as unknown;
    if (!Array.isArray(body))
      return postmarkError(res, 422, 403, 'Incompatible JSON: an array of emails was expected.');
    if (!noFault(req, res, () => body.forEach((e) => accept(e as PostmarkEmail)))) return;
    if (body.length > MAX_BATCH)
      return postmarkError(res, 422, 410, `Too many batch messages: at most ${MAX_BATCH} messages per batch.`);
    res.json(body.map((e) => accept(e as PostmarkEmail)));
  });

  app.get('/messages/outbound', auth, (req, res) => {
    if (!noFault(req, res)) return;
    const q = req.query as Record<string, string | undefined>;
    const count = Number(q.count);
    const offset = Number(q.offset);
    if (!Number.isInteger(count) || count < 1 || count > 500)
      return postmarkError(res, 422, 1000, "The 'count' parameter is required and must be between 1 and 500.");
    if (!Number.isInteger(offset) || offset < 0)
      return postmarkError(res, 422, 1000, "The 'offset' parameter is required and must be 0 or more.");
    const meta = Object.entries(q).filter(([k]) => k.startsWith('metadata_'));
    const found = [...messages]
      .reverse()
      .filter(
        (m) =>
          (!q.recipient || [m.to, m.cc, m.bcc].some((f) => addresses(f).includes(q.recipient!.toLowerCase()))) &&
          (!q.tag || m.tag === q.tag) &&
          (!q.subject || m.subject.includes(q.subject)) &&
          (!q.messagestream || m.messageStream === q.messagestream) &&
          meta.every(([k, v]) => m.metadata[k.slice('metadata_'.length)] === v),
      );
    const recipients = (f: string) => addresses(f).map((Email) => ({ Email, Name: '' }));
    res.json({
      TotalCount: found.length,
      Messages: found.slice(offset, offset + count).map((m) => ({
        Tag: m.tag,
        MessageID: m.id,
        MessageStream: m.messageStream,
        To: recipients(m.to),
        Cc: recipients(m.cc),
        Bcc: recipients(m.bcc),
        Recipients: [m.to, m.cc, m.bcc].flatMap(addresses),
        ReceivedAt: m.submittedAt,
        From: m.from,
        Subject: m.subject,
        Attachments: m.attachments.map((a) => a.name),
        Status: 'Sent',
        TrackOpens: false,
        TrackLinks: 'None',
        Metadata: m.metadata,
        Sandboxed: false,
      })),
    });
  });

  // Postmark's bounce API: reactivating an address deactivated by a bounce.
  app.put('/bounces/:id/activate', auth, (req, res) => {
    const id = Number(req.params.id);
    const b = bounces.get(id);
    if (!b) return postmarkError(res, 422, 701, 'This bounce was not found.');
    inactive.delete(b.email);
    b.inactive = false;
    res.json({
      Message: 'OK',
      Bounce: { ID: id, Type: b.type, Email: b.email, BouncedAt: b.at, Inactive: false, CanActivate: true },
    });
  });

  // --- sink controls and views (not part of Postmark's API) ---
  app.use('/__sink', express.json());
  const view = (m: SinkMessage) => ({
    id: m.id,
    from: m.from,
    to: m.to,
    subject: m.subject,
    text: m.text,
    html: m.html,
    tag: m.tag,
    metadata: m.metadata,
    messageStream: m.messageStream,
    submittedAt: m.submittedAt,
    attachments: m.attachments.map((a) => ({ name: a.name, contentType: a.contentType, size: a.size })),
  });
  app.get('/__sink/messages', (req, res) => {
    const to = typeof req.query.to === 'string' ? req.query.to.toLowerCase() : undefined;
    res.json(
      [...messages]
        .reverse()
        .filter((m) => !to || [m.to, m.cc, m.bcc].some((f) => addresses(f).includes(to)))
        .map(view),
    );
  });
  app.get('/__sink/messages/:id/html', (req, res) => {
    const m = messages.find((x) => x.id === req.params.id);
    if (!m) return void res.status(404).type('text').send('Message introuvable.');
    res
      .set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
      .type('html')
      .send(m.html);
  });
  app.get('/__sink/messages/:id/attachments/:name', (req, res) => {
    const a = messages.find((m) => m.id === req.params.id)?.attachments.find((x) => x.name === req.params.name);
    if (!a) return void res.status(404).type('text').send('Pièce jointe introuvable.');
    res.attachment(a.name).type(a.contentType).send(Buffer.from(a.content, 'base64'));
  });
  app.delete('/__sink/messages', (_req, res) => {
    messages.length = 0;
    inactive.clear();
    res.status(204).end();
  });
  app.get('/__sink/faults', (_req, res) => void res.json(faults));
  app.post('/__sink/faults', (req, res) => {
    const b = (req.body ?? {}) as Partial<Faults>;
    const mode = b.mode ?? 'error';
    if (!['error', 'drop', 'lost-response'].includes(mode))
      return void res.status(400).json({ error: 'mode: error, drop ou lost-response attendu' });
    faults.failNext = Math.max(0, Math.trunc(Number(b.failNext ?? 0)) || 0);
    faults.status = Number(b.status ?? 500) || 500;
    faults.mode = mode;
    faults.errorCode = b.errorCode === undefined ? undefined : Number(b.errorCode);
    faults.message = typeof b.message === 'string' ? b.message : undefined;
    res.json(faults);
  });
  app.post('/__sink/bounce', async (req, res) => {
    const b = (req.body ?? {}) as { email?: unknown; type?: unknown; messageId?: unknown };
    const email = String(b.email ?? '').toLowerCase();
    if (!email.includes('@')) return void res.status(400).json({ error: 'email : adresse attendue' });
    const type = String(b.type ?? 'HardBounce');
    if (!BOUNCE_TYPES[type.toLowerCase()])
      return void res.status(400).json({
        error: `type : ${Object.values(BOUNCE_TYPES)
          .map((t) => t.type)
          .join(', ')}`,
      });
    const webhookStatus = await bounce(email, type, typeof b.messageId === 'string' ? b.messageId : null).catch(
      (e: Error) => e.message,
    );
    res.json({ email, type, webhookStatus });
  });
  app.post('/__sink/inactive', (req, res) => {
    const email = String((req.body as { email?: unknown })?.email ?? '').toLowerCase();
    if (!email.includes('@')) return void res.status(400).json({ error: 'email : adresse attendue' });
    inactive.add(email);
    res.status(204).end();
  });

  app.get('/', (_req, res) => {
    const rows = [...messages]
      .reverse()
      .map(
        (m) => `<article>
<h2>${esc(m.subject || '(sans objet)')}</h2>
<p class="meta">De : ${esc(m.from)}<br>À : ${esc(m.to)}<br>${esc(m.submittedAt)}${m.tag ? ` · ${esc(m.tag)}` : ''} · <a href="/__sink/messages/${m.id}/html" target="_blank" rel="noopener">version HTML</a></p>
${m.attachments.length ? `<p>Pièces jointes : ${m.attachments.map((a) => `<a href="/__sink/messages/${m.id}/attachments/${encodeURIComponent(a.name)}">${esc(a.name)}</a> (${a.size} o)`).join(', ')}</p>` : ''}
<pre>${esc(m.text)}</pre>
</article>`,
      )
      .join('\n');
    res
      .type('html')
      .send(
        `<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Boîte de réception locale (Postmark)</title><style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1f2937}article{border:1px solid #d1d5db;border-radius:6px;padding:1rem;margin:1rem 0}h2{font-size:1.1rem;margin:0 0 .5rem}.meta{color:#4b5563;font-size:.9rem}pre{white-space:pre-wrap;background:#f9fafb;padding:.75rem}</style></head><body><h1>Courriels reçus par le simulateur Postmark (${messages.length})</h1><p>JSON : <a href="/__sink/messages">/__sink/messages</a> (filtre <code>?to=adresse</code>).</p>${rows || '<p>Aucun courriel.</p>'}</body></html>`,
      );
  });
  app.use(invalidJson);
  return {
    app,
    messages,
    faults,
    inactive,
    /** Waits for the bounce webhooks under way. */
    async flushWebhooks() {
      while (deliveries.size) await Promise.all([...deliveries]);
    },
  };
}
