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
import express, { type ErrorRequestHandler, type Request, type Response } from 'express';
import { sinkControls, type Faults } from './controls';
import {
  MAX_BATCH,
  addresses,
  toMessage,
  validate,
  type PostmarkEmail,
  type PostmarkResult,
  type SinkMessage,
} from './messages';
import { createWebhooks, type SinkWebhook } from './webhooks';

export type { FaultMode, Faults } from './controls';
export { addresses, type SinkAttachment, type SinkMessage } from './messages';
export { BOUNCE_TESTING_DOMAIN, type SinkWebhook } from './webhooks';

export function createMailSink(opts: {
  serverToken: string;
  webhook?: SinkWebhook;
  /** Post a Delivery webhook for each accepted message (as Postmark does when enabled; default on with a webhook). */
  deliveryWebhooks?: boolean;
}) {
  const messages: SinkMessage[] = [];
  const inactive = new Set<string>();
  const faults: Faults = { failNext: 0, status: 500, mode: 'error' };
  const app = express();
  app.disable('x-powered-by');
  const webhooks = createWebhooks(opts, inactive);
  const { bounces, bounceLater, deliveries } = webhooks;

  const postmarkError = (res: Response, status: number, ErrorCode: number, Message: string) =>
    void res.status(status).json({ ErrorCode, Message });

  function accept(e: PostmarkEmail): PostmarkResult {
    const problem = validate(e, inactive);
    if (problem) return problem;
    const m = toMessage(e);
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
  sinkControls(app, { messages, inactive, faults }, webhooks);
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
