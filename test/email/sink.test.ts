/**
 * The mail sink speaks Postmark's API: the real `postmark` client pointed at it sends, batches,
 * searches outbound messages by metadata, and gets Postmark's error classes and codes. Plus the
 * sink's own views (JSON newest first with attachment names and sizes, the HTML page) and faults.
 */
import { Errors } from 'postmark';
import { postmarkClient } from '../../email';
import { SINK_TOKEN, useSink } from './support';

const sink = useSink();
const client = () => postmarkClient(sink.config, 5);
const mail = (to: string, extra: Record<string, unknown> = {}) => ({
  From: 'Relevés <releves@releves.test>',
  To: to,
  Subject: `Bonjour ${to}`,
  TextBody: 'texte',
  HtmlBody: '<p>html</p>',
  MessageStream: 'outbound',
  ...extra,
});

beforeEach(() => sink.reset());

test('POST /email through the client: Postmark success shape; the message is kept with its attachment', async () => {
  const r = await client().sendEmail(
    mail('Cabinet <cabinet@example.test>', {
      Attachments: [
        {
          Name: 'releve.cfonb',
          ContentType: 'application/octet-stream',
          Content: Buffer.alloc(864, 65).toString('base64'),
          ContentID: null,
        },
      ],
      Metadata: { releves_key: 'k-1' },
    }),
  );
  expect(r).toEqual({
    To: 'Cabinet <cabinet@example.test>',
    SubmittedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+\+00:00$/),
    MessageID: expect.stringMatching(/^[0-9a-f-]{36}$/),
    ErrorCode: 0,
    Message: 'OK',
  });
  const [kept] = await sink.messages('cabinet@example.test');
  expect(kept).toMatchObject({
    id: r.MessageID,
    to: 'Cabinet <cabinet@example.test>',
    subject: 'Bonjour Cabinet <cabinet@example.test>',
    text: 'texte',
    html: '<p>html</p>',
    metadata: { releves_key: 'k-1' },
    attachments: [{ name: 'releve.cfonb', contentType: 'application/octet-stream', size: 864 }],
  });
  expect(kept).not.toHaveProperty('attachments.0.content');
});

test('POST /email/batch: one result per message, failures in place (HTTP 200)', async () => {
  const r = await client().sendEmailBatch([mail('a@example.test'), mail(''), mail('b@example.test')]);
  expect(r.map((x) => [x.ErrorCode, x.Message])).toEqual([
    [0, 'OK'],
    [300, 'Zero recipients specified'],
    [0, 'OK'],
  ]);
  expect((await sink.messages()).map((m) => m.to)).toEqual(['b@example.test', 'a@example.test']);
});

test('errors: Postmark codes and the client error classes', async () => {
  const bad = postmarkClient({ ...sink.config, POSTMARK_SERVER_TOKEN: 'wrong' }, 5);
  await expect(bad.sendEmail(mail('a@example.test'))).rejects.toMatchObject({
    name: 'InvalidAPIKeyError',
    statusCode: 401,
    code: 10,
  });
  await expect(client().sendEmail(mail('a@example.test', { TextBody: '', HtmlBody: '' }))).rejects.toMatchObject({
    name: 'InvalidEmailRequestError',
    statusCode: 422,
    code: 300,
    message: 'Provide either email TextBody or HtmlBody or both.',
  });
  await expect(
    client().sendEmail(
      mail('a@example.test', {
        Attachments: [{ Name: 'x.exe', Content: 'AA==', ContentType: 'application/x-msdownload', ContentID: null }],
      }),
    ),
  ).rejects.toMatchObject({ statusCode: 422, code: 411 });
  await fetch(`${sink.url}/__sink/inactive`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'dead@example.test' }),
  });
  const inactive = await client()
    .sendEmail(mail('dead@example.test'))
    .catch((e: unknown) => e);
  expect(inactive).toBeInstanceOf(Errors.InactiveRecipientsError);
  expect(inactive).toMatchObject({ statusCode: 422, code: 406, recipients: ['dead@example.test'] });

  // Raw HTTP: missing token, invalid JSON, JSON required, exactly as Postmark answers them.
  const raw = (headers: Record<string, string>, body: string) =>
    fetch(`${sink.url}/email`, { method: 'POST', headers, body }).then(async (r) => [r.status, await r.json()]);
  expect(await raw({ 'content-type': 'application/json' }, '{}')).toEqual([
    401,
    { ErrorCode: 10, Message: expect.stringContaining('X-Postmark-Server-Token') },
  ]);
  const auth = { 'X-Postmark-Server-Token': SINK_TOKEN };
  expect(await raw({ ...auth, 'content-type': 'application/json' }, '{"From":')).toEqual([
    422,
    { ErrorCode: 402, Message: 'Invalid JSON' },
  ]);
  expect(await raw({ ...auth, 'content-type': 'text/plain' }, 'x')).toEqual([
    422,
    { ErrorCode: 409, Message: expect.any(String) },
  ]);
  expect(await sink.messages()).toEqual([]);
});

test('GET /messages/outbound: search by metadata and recipient, count and offset required', async () => {
  const c = client();
  const first = await c.sendEmail(mail('a@example.test', { Metadata: { releves_key: 'k-a' } }));
  await c.sendEmail(mail('b@example.test', { Metadata: { releves_key: 'k-b' } }));
  const byKey = await c.getOutboundMessages({ count: 10, offset: 0, metadata_releves_key: 'k-a' });
  expect(byKey.TotalCount).toBe(1);
  expect(byKey.Messages[0]).toMatchObject({
    MessageID: first.MessageID,
    To: [{ Email: 'a@example.test', Name: '' }],
    Metadata: { releves_key: 'k-a' },
    Status: 'Sent',
  });
  expect((await c.getOutboundMessages({ count: 10, offset: 0, recipient: 'b@example.test' })).TotalCount).toBe(1);
  expect((await c.getOutboundMessages({ count: 10, offset: 0, metadata_releves_key: 'none' })).Messages).toEqual([]);
  const noCount = await fetch(`${sink.url}/messages/outbound`, { headers: { 'X-Postmark-Server-Token': SINK_TOKEN } });
  expect(noCount.status).toBe(422);
});

test('faults: error answers without keeping, drop closes the connection, lost-response keeps the message', async () => {
  await sink.faults({ failNext: 1, status: 503 });
  await expect(client().sendEmail(mail('a@example.test'))).rejects.toMatchObject({ statusCode: 503, code: 100 });
  await sink.faults({ failNext: 1, mode: 'drop' });
  await expect(client().sendEmail(mail('a@example.test'))).rejects.toMatchObject({ statusCode: 0 });
  expect(await sink.messages()).toEqual([]);
  await sink.faults({ failNext: 1, mode: 'lost-response' });
  await expect(client().sendEmail(mail('a@example.test'))).rejects.toMatchObject({ statusCode: 0 });
  expect(await sink.messages()).toHaveLength(1);
  await expect(client().sendEmail(mail('a@example.test'))).resolves.toMatchObject({ ErrorCode: 0 });
});

test('views: GET /__sink/messages?to= newest first; the page at / lists every message', async () => {
  const c = client();
  await c.sendEmail(mail('x@example.test', { Subject: 'premier' }));
  await c.sendEmail(mail('y@example.test', { Subject: 'autre' }));
  await c.sendEmail(mail('X@example.test', { Subject: 'second <b>' }));
  expect((await sink.messages('x@example.test')).map((m) => m.subject)).toEqual(['second <b>', 'premier']);
  const page = await (await fetch(`${sink.url}/`)).text();
  expect(page).toContain('Courriels reçus par le simulateur Postmark (3)');
  expect(page).toContain('second &lt;b&gt;');
  expect(page.indexOf('second')).toBeLessThan(page.indexOf('premier'));
});
