/** The sink's own controls and views (not part of Postmark's API): messages, faults, bounces, the inbox page. */
import express, { type Express } from 'express';
import { addresses, type SinkMessage } from './messages';
import { BOUNCE_TYPES, type createWebhooks } from './webhooks';

export type FaultMode = 'error' | 'drop' | 'lost-response';
export interface Faults {
  failNext: number;
  status: number;
  mode: FaultMode;
  /** The ErrorCode of an `error` answer (default: 100 for a 503, else 0), e.g. 401 with a 422. */
  errorCode?: number;
  message?: string;
}

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function sinkControls(
  app: Express,
  state: { messages: SinkMessage[]; inactive: Set<string>; faults: Faults },
  webhooks: ReturnType<typeof createWebhooks>,
) {
  const { messages, inactive, faults } = state;
  const { bounce } = webhooks;

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
}
