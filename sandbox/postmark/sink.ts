/**
 * Mail sink: a local server with Postmark's email API (`POST /email`, `POST /email/batch`, the
 * `X-Postmark-Server-Token` header, Postmark's response and error shapes), used by `npm start`
 * and the tests through the postmark client's configurable host. It keeps every message, shows
 * them at `/` and in JSON at `GET /__sink/messages?to=<address>` (newest first).
 */
import { randomUUID } from 'node:crypto';
import express, { type Request, type Response } from 'express';

export interface SinkMessage {
  id: string;
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  messageStream: string;
  submittedAt: string;
  attachments: Array<{ name: string; contentType: string; size: number; content: string }>;
}

interface PostmarkEmail {
  From?: string;
  To?: string;
  Subject?: string;
  TextBody?: string;
  HtmlBody?: string;
  MessageStream?: string;
  Attachments?: Array<{ Name: string; Content: string; ContentType: string }>;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const addresses = (to: string) =>
  to
    .split(',')
    .map((a) => (/<([^>]+)>/.exec(a)?.[1] ?? a).trim().toLowerCase())
    .filter(Boolean);

export function createMailSink(opts: { serverToken: string }) {
  const messages: SinkMessage[] = [];
  const faults = { failNext: 0, status: 500 };
  const app = express();
  app.use(express.json({ limit: '60mb' }));

  const accept = (e: PostmarkEmail) => {
    if (!e.From || !e.To || (!e.TextBody && !e.HtmlBody))
      return { ErrorCode: 300, Message: 'Invalid email request: From, To and a body are required.' };
    const m: SinkMessage = {
      id: randomUUID(),
      from: e.From,
      to: e.To,
      subject: e.Subject ?? '',
      text: e.TextBody ?? '',
      html: e.HtmlBody ?? '',
      messageStream: e.MessageStream ?? 'outbound',
      submittedAt: new Date().toISOString(),
      attachments: (e.Attachments ?? []).map((a) => ({
        name: a.Name,
        contentType: a.ContentType,
        size: Buffer.from(a.Content, 'base64').length,
        content: a.Content,
      })),
    };
    messages.push(m);
    return { To: e.To, SubmittedAt: m.submittedAt, MessageID: m.id, ErrorCode: 0, Message: 'OK' };
  };

  const guard = (req: Request, res: Response): boolean => {
    if (req.get('X-Postmark-Server-Token') !== opts.serverToken) {
      res.status(401).json({
        ErrorCode: 10,
        Message: 'The Server Token you provided in the X-Postmark-Server-Token request header was invalid.',
      });
      return false;
    }
    if (faults.failNext > 0) {
      faults.failNext--;
      res.status(faults.status).json({ ErrorCode: 100, Message: 'Maintenance' });
      return false;
    }
    return true;
  };

  app.post('/email', (req, res) => {
    if (!guard(req, res)) return;
    const r = accept(req.body as PostmarkEmail);
    res.status(r.ErrorCode === 0 ? 200 : 422).json(r);
  });
  app.post('/email/batch', (req, res) => {
    if (!guard(req, res)) return;
    res.json((req.body as PostmarkEmail[]).map(accept));
  });

  const view = (m: SinkMessage) => ({ ...m, attachments: m.attachments.map(({ content: _c, ...a }) => a) });
  app.get('/__sink/messages', (req, res) => {
    const to = typeof req.query.to === 'string' ? req.query.to.toLowerCase() : undefined;
    res.json(
      [...messages]
        .reverse()
        .filter((m) => !to || addresses(m.to).includes(to))
        .map(view),
    );
  });
  app.get('/__sink/messages/:id/attachments/:name', (req, res) => {
    const a = messages.find((m) => m.id === req.params.id)?.attachments.find((x) => x.name === req.params.name);
    if (!a) return void res.status(404).send('introuvable');
    res.type(a.contentType).send(Buffer.from(a.content, 'base64'));
  });
  app.delete('/__sink/messages', (_req, res) => {
    messages.length = 0;
    res.status(204).end();
  });
  app.post('/__sink/faults', (req, res) => {
    faults.failNext = Number(req.body?.failNext ?? 0);
    faults.status = Number(req.body?.status ?? 500);
    res.json(faults);
  });
  app.get('/', (_req, res) => {
    const rows = [...messages]
      .reverse()
      .map(
        (m) =>
          `<article><h2>${esc(m.subject)}</h2><p>À : ${esc(m.to)} · ${esc(m.submittedAt)}</p>${m.attachments
            .map(
              (a) =>
                `<a href="/__sink/messages/${m.id}/attachments/${encodeURIComponent(a.name)}">${esc(a.name)}</a> (${a.size} o)`,
            )
            .join(' ')}<pre>${esc(m.text)}</pre></article>`,
      )
      .join('<hr>');
    res
      .type('html')
      .send(
        `<!doctype html><html lang="fr"><meta charset="utf-8"><title>Boîte de réception locale</title><h1>Courriels envoyés (${messages.length})</h1>${rows || '<p>Aucun courriel.</p>'}`,
      );
  });
  return { app, messages };
}
