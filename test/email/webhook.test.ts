/**
 * Postmark's bounce webhook on the API: basic-auth secret, a hard bounce suppresses the address and
 * marks the message, a soft bounce schedules it again without suppressing, a spam complaint
 * suppresses, a subscription change reactivates, a Delivery is recorded; the sender then refuses
 * the suppressed address with the reason recorded. (Every bounce type: bounces.test.ts.)
 */
import { createEmailActivities, enqueueEmail, postmarkClient } from '../../email';
import { useApi } from '../api/support';
import { useSink } from './support';

const api = useApi();
const sink = useSink(() => ({
  url: `${api.baseUrl}/webhooks/postmark`,
  password: api.config.POSTMARK_WEBHOOK_SECRET,
}));

const hook = (body: unknown, password: string | null = api.config.POSTMARK_WEBHOOK_SECRET) =>
  fetch(`${api.baseUrl}/webhooks/postmark`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(password === null
        ? {}
        : { authorization: `Basic ${Buffer.from(`postmark:${password}`).toString('base64')}` }),
    },
    body: JSON.stringify(body),
  });

const bounce = (email: string, messageId: string, extra: Record<string, unknown> = {}) => ({
  RecordType: 'Bounce',
  ID: 4323372036,
  Type: 'HardBounce',
  TypeCode: 1,
  Name: 'Hard bounce',
  Tag: 'link.add-accounts',
  MessageID: messageId,
  ServerID: 23,
  MessageStream: 'outbound',
  Description: 'The server was unable to deliver your message (ex: unknown user, mailbox not found).',
  Details: 'smtp;550 5.1.1 The email account that you tried to reach does not exist.',
  Email: email,
  From: 'releves@releves.test',
  BouncedAt: '2026-11-23T10:00:00Z',
  DumpAvailable: true,
  Inactive: true,
  CanActivate: true,
  Subject: 'Objet',
  ...extra,
});

async function sent(to: string, key: string) {
  await api.prisma.$transaction((tx) =>
    enqueueEmail(tx, { kind: 'test', to, subject: 'Objet', text: 't', html: '<p>t</p>' }, { idempotencyKey: key }),
  );
  await createEmailActivities({ config: sink.config, prisma: api.prisma, sql: api.sql }).sendPendingEmails();
  return api.prisma.emailMessage.findUniqueOrThrow({ where: { idempotencyKey: key } });
}

test('refused without the secret or with a wrong one', async () => {
  expect((await hook(bounce('a@example.test', 'x'), null)).status).toBe(401);
  const wrong = await hook(bounce('a@example.test', 'x'), 'not-the-secret-at-all');
  expect(wrong.status).toBe(401);
  expect(wrong.headers.get('www-authenticate')).toContain('Basic');
  expect(await api.prisma.emailSuppression.count()).toBe(0);
});

test('a hard bounce suppresses the address and marks the message; later messages are not sent', async () => {
  const m = await sent('Gone@Example.test', 'wh/1');
  expect(m.status).toBe('SENT');
  const r = await hook(bounce('Gone@Example.test', m.postmarkMessageId!));
  expect(r.status).toBe(200);
  expect(await r.json()).toEqual({ status: 'ok', address: 'gone@example.test', suppressed: true, kind: 'permanent' });
  expect(await api.prisma.emailMessage.findUniqueOrThrow({ where: { id: m.id } })).toMatchObject({
    status: 'BOUNCED',
    bouncedAt: expect.any(Date),
    lastError: expect.stringContaining('HardBounce'),
  });
  expect(await api.prisma.emailSuppression.findUnique({ where: { address: 'gone@example.test' } })).toMatchObject({
    reason: 'HardBounce',
    postmarkMessageId: m.postmarkMessageId,
    details: expect.stringContaining('550 5.1.1'),
  });
  // Delivered twice by Postmark (webhook retry): same result.
  expect((await hook(bounce('Gone@Example.test', m.postmarkMessageId!))).status).toBe(200);

  await sink.reset();
  const next = await sent('gone@example.test', 'wh/2');
  expect(next).toMatchObject({ status: 'SUPPRESSED', lastError: expect.stringContaining('HardBounce') });
  expect(await sink.messages('gone@example.test')).toEqual([]);
});

test('a soft bounce schedules the message again; a spam complaint suppresses; a reactivation lifts it', async () => {
  const m = await sent('soft@example.test', 'wh/3');
  await hook(
    bounce('soft@example.test', m.postmarkMessageId!, { Type: 'SoftBounce', TypeCode: 4096, Inactive: false }),
  );
  expect(await api.prisma.emailMessage.findUniqueOrThrow({ where: { id: m.id } })).toMatchObject({
    status: 'QUEUED',
    softBounces: 1,
    bounceType: 'SoftBounce',
  });
  expect(await api.prisma.emailSuppression.findUnique({ where: { address: 'soft@example.test' } })).toBeNull();

  await hook({
    RecordType: 'SpamComplaint',
    Type: 'SpamComplaint',
    MessageID: m.postmarkMessageId,
    Email: 'soft@example.test',
  });
  expect(await api.prisma.emailSuppression.findUnique({ where: { address: 'soft@example.test' } })).toMatchObject({
    reason: 'SpamComplaint',
  });
  await hook({ RecordType: 'SubscriptionChange', Recipient: 'soft@example.test', SuppressSending: false });
  expect(await api.prisma.emailSuppression.findUnique({ where: { address: 'soft@example.test' } })).toBeNull();
});

test('a Delivery is recorded; other record types are acknowledged; malformed payloads are a 400 naming the field', async () => {
  expect(await (await hook({ RecordType: 'Delivery', MessageID: 'x', Recipient: 'a@b.c' })).json()).toEqual({
    status: 'ok',
    delivered: true,
  });
  expect(await (await hook({ RecordType: 'Open', MessageID: 'x', Recipient: 'a@b.c' })).json()).toEqual({
    status: 'ignored',
    recordType: 'Open',
  });
  const bad = await hook({ RecordType: 'Bounce', Type: 'HardBounce' });
  expect(bad.status).toBe(400);
  expect(((await bad.json()) as { errors: unknown }).errors).toEqual([{ field: 'Email', reason: expect.any(String) }]);
});

test('end to end with the sink: a message to the bounce-testing domain bounces back through the webhook', async () => {
  // The sink sends the bounce as soon as it accepts the message: it may land before or after the
  // sender records the send; either way the message ends sent (its MessageID kept), then bounced.
  const m = await sent('HardBounce@bounce-testing.postmarkapp.com', 'wh/e2e');
  expect(m.postmarkMessageId).toBe((await sink.messages('HardBounce@bounce-testing.postmarkapp.com'))[0]!.id);
  expect(m.sentAt).not.toBeNull();
  await sink.sink.flushWebhooks();
  expect(await api.prisma.emailMessage.findUniqueOrThrow({ where: { id: m.id } })).toMatchObject({ status: 'BOUNCED' });
  expect(
    await api.prisma.emailSuppression.findUnique({ where: { address: 'hardbounce@bounce-testing.postmarkapp.com' } }),
  ).toMatchObject({ reason: 'HardBounce', postmarkMessageId: m.postmarkMessageId });

  // A manual bounce from the sink's control endpoint, for any address.
  const r = await fetch(`${sink.url}/__sink/bounce`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'other@example.test', type: 'SpamComplaint' }),
  });
  expect(await r.json()).toEqual({ email: 'other@example.test', type: 'SpamComplaint', webhookStatus: 200 });
  expect(await api.prisma.emailSuppression.findUnique({ where: { address: 'other@example.test' } })).toMatchObject({
    reason: 'SpamComplaint',
  });
});

test('a bounce that comes back before the sender recorded the send finds its message by its key and stays', async () => {
  // Postmark's answer reaches the sender only once the bounce webhook was handled.
  const real = postmarkClient(sink.config);
  const client = Object.assign(Object.create(real) as typeof real, {
    async sendEmailBatch(messages: Parameters<typeof real.sendEmailBatch>[0]) {
      const results = await real.sendEmailBatch(messages);
      await sink.sink.flushWebhooks();
      return results;
    },
  });
  await api.prisma.$transaction((tx) =>
    enqueueEmail(
      tx,
      { kind: 'test', to: 'early@bounce-testing.postmarkapp.com', subject: 'Objet', text: 't', html: '<p>t</p>' },
      { idempotencyKey: 'wh/early' },
    ),
  );
  const result = await createEmailActivities({
    config: sink.config,
    prisma: api.prisma,
    sql: api.sql,
    client,
  }).sendPendingEmails();
  expect(result).toEqual({ sent: 1, failed: 0, retrying: 0 });
  const [inSink] = await sink.messages('early@bounce-testing.postmarkapp.com');
  expect(await api.prisma.emailMessage.findUniqueOrThrow({ where: { idempotencyKey: 'wh/early' } })).toMatchObject({
    status: 'BOUNCED',
    lastError: expect.stringContaining('HardBounce'),
    postmarkMessageId: inSink!.id,
    sentAt: expect.any(Date),
    uncertain: false,
    claimedAt: null,
  });
});
