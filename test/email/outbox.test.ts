/**
 * The outbox against a real PostgreSQL and the mail sink through the real `postmark` client:
 * one message per idempotency key, a failing then recovering sink (nothing lost, nothing twice),
 * a lost answer and a worker that died mid-send (Postmark is searched before sending again),
 * concurrent senders, suppressed addresses and Postmark's refusals recorded on the message.
 */
import { backoffMs, createEmailActivities, enqueueEmail, postmarkClient, type RenderedEmail } from '../../email';
import { createPrismaClient } from '../../db/client';
import { createSqlPool } from '../../db/sql';
import { useTestDatabase } from '../support/db';
import { useSink } from './support';

const db = useTestDatabase();
const sink = useSink();

let clock = new Date('2026-11-23T10:00:00Z');
const now = () => clock;
const sender = () =>
  createEmailActivities({ config: sink.config, prisma: db.prisma, sql: db.sql, now, leaseMs: 60_000 });

const email = (to: string, subject = 'Objet'): RenderedEmail => ({
  kind: 'test',
  to,
  subject,
  text: 'Bonjour',
  html: '<p>Bonjour</p>',
  attachments: [{ name: 'releve.cfonb', contentType: 'application/octet-stream', content: Buffer.from('0130004') }],
});
const enqueue = (key: string, e: RenderedEmail) =>
  db.prisma.$transaction((tx) => enqueueEmail(tx, e, { idempotencyKey: key }));
const row = (key: string) => db.prisma.emailMessage.findUniqueOrThrow({ where: { idempotencyKey: key } });

beforeEach(async () => {
  await sink.reset();
  await db.prisma.emailMessage.deleteMany();
  await db.prisma.emailSuppression.deleteMany();
  clock = new Date('2026-11-23T10:00:00Z');
});

test('the same key enqueued twice (even concurrently) is one message, sent once', async () => {
  const first = await enqueue('k/1', email('a@example.test', 'premier'));
  const again = await enqueue('k/1', email('a@example.test', 'second'));
  const concurrent = await Promise.all([1, 2, 3].map(() => enqueue('k/2', email('b@example.test'))));
  expect(again).toBe(first);
  expect(new Set(concurrent).size).toBe(1);
  expect(await db.prisma.emailMessage.count()).toBe(2);
  expect(await db.prisma.emailAttachment.count()).toBe(2);

  expect(await sender().sendPendingEmails()).toEqual({ sent: 2, failed: 0, retrying: 0 });
  expect(await sender().sendPendingEmails()).toEqual({ sent: 0, failed: 0, retrying: 0 });
  const inSink = await sink.messages('a@example.test');
  expect(inSink.map((m) => m.subject)).toEqual(['premier']);
  expect(inSink[0]!.attachments).toEqual([{ name: 'releve.cfonb', contentType: 'application/octet-stream', size: 7 }]);
  const r = await row('k/1');
  expect(r).toMatchObject({ status: 'SENT', attempts: 1, postmarkMessageId: inSink[0]!.id, lastError: null });
  expect(inSink[0]!.metadata).toEqual({ releves_key: 'k/1' });
});

test('a Postmark outage: retried with backoff until delivered, error recorded, delivered once', async () => {
  await enqueue('k/out', email('c@example.test'));
  await sink.faults({ failNext: 3, status: 503 });

  expect(await sender().sendPendingEmails()).toEqual({ sent: 0, failed: 0, retrying: 1 });
  let r = await row('k/out');
  expect(r.status).toBe('QUEUED');
  expect(r.lastError).toBe('Postmark 503 (ErrorCode 100) : Maintenance');
  expect(r.nextAttemptAt!.getTime() - clock.getTime()).toBe(backoffMs(1));

  // Not due yet: nothing is attempted.
  expect(await sender().sendPendingEmails()).toEqual({ sent: 0, failed: 0, retrying: 0 });
  for (let i = 2; i <= 3; i++) {
    clock = new Date(r.nextAttemptAt!.getTime());
    expect((await sender().sendPendingEmails()).retrying).toBe(1);
    r = await row('k/out');
    expect(r.nextAttemptAt!.getTime() - clock.getTime()).toBe(backoffMs(i));
  }
  expect(backoffMs(3)).toBeGreaterThan(backoffMs(2));
  clock = new Date(r.nextAttemptAt!.getTime());
  expect(await sender().sendPendingEmails()).toEqual({ sent: 1, failed: 0, retrying: 0 });
  const inSink = await sink.messages('c@example.test');
  expect(inSink).toHaveLength(1);
  expect(await row('k/out')).toMatchObject({
    status: 'SENT',
    attempts: 4,
    postmarkMessageId: inSink[0]!.id,
    lastError: null,
  });
});

test('a lost answer (Postmark kept it): the next round finds it by metadata and does not send again', async () => {
  await enqueue('k/lost', email('d@example.test'));
  await sink.faults({ failNext: 1, mode: 'lost-response' });
  expect((await sender().sendPendingEmails()).retrying).toBe(1);
  expect(await row('k/lost')).toMatchObject({ status: 'QUEUED', uncertain: true });
  expect(await sink.messages('d@example.test')).toHaveLength(1);

  clock = new Date(clock.getTime() + backoffMs(1));
  expect((await sender().sendPendingEmails()).sent).toBe(1);
  const inSink = await sink.messages('d@example.test');
  expect(inSink).toHaveLength(1);
  expect(await row('k/lost')).toMatchObject({ status: 'SENT', uncertain: false, postmarkMessageId: inSink[0]!.id });
});

test('a dropped connection (Postmark did not get it): searched, then sent once', async () => {
  await enqueue('k/drop', email('e@example.test'));
  await sink.faults({ failNext: 1, mode: 'drop' });
  expect((await sender().sendPendingEmails()).retrying).toBe(1);
  clock = new Date(clock.getTime() + backoffMs(1));
  expect((await sender().sendPendingEmails()).sent).toBe(1);
  expect(await sink.messages('e@example.test')).toHaveLength(1);
});

test('restart: a worker died mid-send; after the lease a new worker takes over without sending twice', async () => {
  await enqueue('k/died-after', email('f@example.test'));
  await enqueue('k/died-before', email('g@example.test'));
  // The dead worker claimed both, and had handed the first to Postmark before dying.
  await db.prisma.emailMessage.updateMany({ data: { status: 'SENDING', claimedAt: clock, attempts: 1 } });
  const dead = postmarkClient(sink.config, 5);
  await dead.sendEmail({
    From: sink.config.POSTMARK_FROM,
    To: 'f@example.test',
    Subject: 'Objet',
    TextBody: 'Bonjour',
    Metadata: { releves_key: 'k/died-after' },
  });

  // Within the lease the rows stay with their (dead) owner.
  expect(await sender().sendPendingEmails()).toEqual({ sent: 0, failed: 0, retrying: 0 });
  clock = new Date(clock.getTime() + 61_000);
  const restarted = createEmailActivities({
    config: sink.config,
    prisma: db.prisma,
    sql: db.sql,
    now,
    leaseMs: 60_000,
  });
  expect(await restarted.sendPendingEmails()).toEqual({ sent: 2, failed: 0, retrying: 0 });
  expect(await sink.messages('f@example.test')).toHaveLength(1);
  expect(await sink.messages('g@example.test')).toHaveLength(1);
  expect(await row('k/died-after')).toMatchObject({ status: 'SENT', attempts: 2 });
});

test('concurrent senders never send the same message twice', async () => {
  for (let i = 0; i < 30; i++) await enqueue(`k/c${i}`, email(`c${i}@example.test`));
  const results = await Promise.all([sender(), sender(), sender()].map((s) => s.sendPendingEmails(100)));
  expect(results.reduce((n, r) => n + r.sent, 0)).toBe(30);
  const all = await sink.messages();
  expect(all).toHaveLength(30);
  expect(new Set(all.map((m) => m.metadata.releves_key)).size).toBe(30);
});

test('suppressed addresses are not sent to; Postmark refusals within a batch are recorded per message', async () => {
  await db.prisma.emailSuppression.create({ data: { address: 'bounced@example.test', reason: 'HardBounce' } });
  await enqueue('k/suppressed', email('Bounced@Example.test'));
  await fetch(`${sink.url}/__sink/inactive`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'inactive@example.test' }),
  });
  await enqueue('k/inactive', email('inactive@example.test'));
  await enqueue('k/forbidden', {
    ...email('h@example.test'),
    attachments: [{ name: 'x.exe', contentType: 'application/octet-stream', content: Buffer.from('MZ') }],
  });

  // In the same batch request as the refused ones, one that Postmark accepts.
  await enqueue('k/fine', email('fine@example.test'));

  expect(await sender().sendPendingEmails()).toEqual({ sent: 1, failed: 3, retrying: 0 });
  expect(await row('k/fine')).toMatchObject({ status: 'SENT', lastError: null });
  expect(await row('k/suppressed')).toMatchObject({
    status: 'SUPPRESSED',
    lastError: expect.stringContaining('HardBounce'),
  });
  expect(await row('k/inactive')).toMatchObject({
    status: 'SUPPRESSED',
    lastError: expect.stringContaining('InactiveRecipient'),
  });
  expect(await db.prisma.emailSuppression.findUnique({ where: { address: 'inactive@example.test' } })).toMatchObject({
    reason: 'InactiveRecipient',
  });
  expect(await row('k/forbidden')).toMatchObject({
    status: 'FAILED',
    lastError: expect.stringContaining('ErrorCode 411'),
  });
  expect((await sink.messages()).map((m) => m.to)).toEqual(['fine@example.test']);
});

test("due dates do not depend on the database session's time zone", async () => {
  const dbName = new URL(db.url).pathname.slice(1);
  await db.prisma.$executeRawUnsafe(`ALTER DATABASE "${dbName}" SET timezone TO 'Pacific/Kiritimati'`);
  const prisma = createPrismaClient(db.url, { max: 2 });
  const sql = createSqlPool(db.url, { max: 2 });
  try {
    const rows = await prisma.$queryRaw<Array<{ tz: string }>>`SELECT current_setting('TimeZone') AS tz`;
    expect(rows[0]!.tz).toBe('Pacific/Kiritimati');
    await enqueue('k/tz-due', email('tz1@example.test'));
    await enqueue('k/tz-later', email('tz2@example.test'));
    await prisma.emailMessage.update({
      where: { idempotencyKey: 'k/tz-later' },
      data: { nextAttemptAt: new Date(clock.getTime() + 60_000) },
    });
    const s = createEmailActivities({ config: sink.config, prisma, sql, now });
    expect((await s.sendPendingEmails()).sent).toBe(1);
    expect((await sink.messages()).map((m) => m.to)).toEqual(['tz1@example.test']);
    clock = new Date(clock.getTime() + 60_000);
    expect((await s.sendPendingEmails()).sent).toBe(1);
  } finally {
    await prisma.$disconnect();
    await sql.end();
    await db.prisma.$executeRawUnsafe(`ALTER DATABASE "${dbName}" RESET timezone`);
  }
});
