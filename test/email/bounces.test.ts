/**
 * Delivery you can see (issue 20): every bounce type as Postmark defines it, through the webhook and
 * the sender, against the mail sink; a company whose address bounced is flagged (date, reason) and
 * reactivated; the firm gets one summary a day; a statement's deliveries, its "Renvoyer", the
 * Réception filter; a sender-signature refusal is held as a configuration error; a message too large
 * for Postmark becomes a download link.
 */
import { randomBytes } from 'node:crypto';
import { createEmailActivities, enqueueEmail, enqueueStatementDelivery } from '../../email';
import { summaryWindow } from '../../api/postmark-webhook';
import { call, createCompanyWithAccounts, createStatement, createTenant, useApi, type Tenant } from '../api/support';
import { useSink } from './support';

const api = useApi();
const sink = useSink(() => ({ url: `${api.baseUrl}/webhooks/postmark`, password: api.config.POSTMARK_WEBHOOK_SECRET }));
let firm: Tenant;

beforeAll(async () => {
  // The API reactivates addresses at "Postmark": the sink.
  Object.assign(api.config, { postmarkApiUrl: sink.url, POSTMARK_SERVER_TOKEN: sink.config.POSTMARK_SERVER_TOKEN });
  firm = await createTenant(api.prisma, { name: 'Cabinet Rebonds' });
  await api.prisma.portalAccount.update({
    where: { id: firm.accountId },
    data: { receptionMode: 'ACCOUNT_MAILBOX', contactEmail: 'releves@cabinet-rebonds.test' },
  });
});

const sender = () => createEmailActivities({ config: sink.config, prisma: api.prisma, sql: api.sql });

async function send() {
  const r = await sender().sendPendingEmails();
  await sink.sink.flushWebhooks();
  return r;
}

async function queue(to: string, key: string) {
  await api.prisma.$transaction((tx) =>
    enqueueEmail(
      tx,
      { kind: 'link.add-accounts', to, subject: 'Objet', text: 't', html: '<p>t</p>' },
      { idempotencyKey: key, portalAccountId: firm.accountId },
    ),
  );
}

const message = (key: string) => api.prisma.emailMessage.findUniqueOrThrow({ where: { idempotencyKey: key } });

test('the summary window: bounces until 08:00 (Paris) go in that morning’s summary, later ones in the next', () => {
  expect(summaryWindow(new Date('2026-12-04T06:59:00Z'))).toMatchObject({
    day: '2026-12-04',
    sendAt: new Date('2026-12-04T07:00:00Z'),
    since: new Date('2026-12-03T07:00:00Z'),
  });
  expect(summaryWindow(new Date('2026-12-04T07:00:00Z')).day).toBe('2026-12-05');
  expect(summaryWindow(new Date('2026-07-01T12:00:00Z')).sendAt).toEqual(new Date('2026-07-02T06:00:00Z'));
});

test('a hard bounce flags the company (date, reason), stops sending to it, and is summarised once a day', async () => {
  const { company } = await createCompanyWithAccounts(api.prisma, firm, {
    name: 'Société Disparue',
    email: 'HardBounce@bounce-testing.postmarkapp.com',
  });
  await createCompanyWithAccounts(api.prisma, firm, {
    name: 'Société Erronée',
    email: 'BadEmailAddress@bounce-testing.postmarkapp.com',
  });
  await queue('HardBounce@bounce-testing.postmarkapp.com', 'b/hard');
  await queue('BadEmailAddress@bounce-testing.postmarkapp.com', 'b/bad');
  await send();
  expect(await message('b/hard')).toMatchObject({ status: 'BOUNCED', bounceType: 'HardBounce' });
  expect(await message('b/bad')).toMatchObject({ status: 'BOUNCED', bounceType: 'BadEmailAddress' });

  const list = await call(api, 'GET', '/api/v1/companies?emailBounced=true', { key: firm.key });
  expect(list.body.items.map((c: { name: string }) => c.name).sort()).toEqual(['Société Disparue', 'Société Erronée']);
  const flagged = list.body.items.find((c: { id: string }) => c.id === company.id);
  expect(flagged.emailBounce).toMatchObject({
    type: 'HardBounce',
    reason: 'adresse inexistante ou refusée par le serveur du destinataire',
    at: expect.any(String),
  });

  // One summary for the day, both addresses in it, sent at 08:00; one bell notification.
  const summaries = await api.prisma.emailMessage.findMany({ where: { kind: 'firm.bounce-summary' } });
  expect(summaries).toHaveLength(1);
  expect(summaries[0]).toMatchObject({
    to: 'releves@cabinet-rebonds.test',
    status: 'QUEUED',
    subject: expect.stringMatching(/^2 adresse\(s\) e-mail en échec depuis le /),
    nextAttemptAt: summaryWindow(new Date()).sendAt,
  });
  expect(summaries[0]!.textBody).toContain('hardbounce@bounce-testing.postmarkapp.com (Société Disparue)');
  expect(summaries[0]!.textBody).toContain('badEmailAddress@bounce-testing.postmarkapp.com'.toLowerCase());
  const bells = await api.prisma.notification.findMany({ where: { portalAccountId: firm.accountId } });
  expect(bells).toHaveLength(1);
  expect(bells[0]!.title).toBe('Adresses e-mail en échec : 2');

  // Nothing more goes to the address: a new link is refused with the reason; a queued message is not sent.
  const link = await call(api, 'POST', `/api/v1/companies/${company.id}/links`, { key: firm.key, body: {} });
  expect(link.status).toBe(409);
  expect(link.body.detail).toContain('a été rejetée définitivement');
  await queue('hardbounce@bounce-testing.postmarkapp.com', 'b/hard-2');
  await send();
  expect(await message('b/hard-2')).toMatchObject({ status: 'SUPPRESSED' });

  // A person reactivates it: at Postmark too (the sink's bounce), and it receives again.
  const r = await call(api, 'POST', `/api/v1/companies/${company.id}/email/reactivate`, { key: firm.key });
  expect(r.status).toBe(200);
  expect(r.body.emailBounce).toBeNull();
  expect(sink.sink.inactive.has('hardbounce@bounce-testing.postmarkapp.com')).toBe(false);
  expect((await call(api, 'POST', `/api/v1/companies/${company.id}/email/reactivate`, { key: firm.key })).status).toBe(
    409,
  );
});

test('bounces that arrive at the same moment all go in the firm’s one summary', async () => {
  // Postmark delivers its webhooks concurrently: six hard bounces for six addresses of one firm,
  // posted at once, each counted in its own transaction.
  const other = await createTenant(api.prisma, { name: 'Cabinet Simultané' });
  await api.prisma.portalAccount.update({
    where: { id: other.accountId },
    data: { receptionMode: 'ACCOUNT_MAILBOX', contactEmail: 'releves@cabinet-simultane.test' },
  });
  const addresses = [1, 2, 3, 4, 5, 6].map((n) => `client-${n}@simultane.test`);
  for (const to of addresses)
    await api.prisma.$transaction((tx) =>
      enqueueEmail(
        tx,
        { kind: 'link.add-accounts', to, subject: 'Objet', text: 't', html: '<p>t</p>' },
        { idempotencyKey: `b/at-once/${to}`, portalAccountId: other.accountId },
      ),
    );
  await sender().sendPendingEmails();
  const sent = await Promise.all(addresses.map((to) => message(`b/at-once/${to}`)));
  const answers = await Promise.all(
    sent.map((m) =>
      fetch(`${api.baseUrl}/webhooks/postmark`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Basic ${Buffer.from(`postmark:${api.config.POSTMARK_WEBHOOK_SECRET}`).toString('base64')}`,
        },
        body: JSON.stringify({
          RecordType: 'Bounce',
          ID: Number.parseInt(randomBytes(4).toString('hex'), 16),
          Type: 'HardBounce',
          TypeCode: 1,
          MessageID: m.postmarkMessageId,
          MessageStream: 'outbound',
          Description: 'The server was unable to deliver your message (ex: unknown user, mailbox not found).',
          Details: 'smtp;550 5.1.1 The email account that you tried to reach does not exist.',
          Email: m.to,
          BouncedAt: new Date().toISOString(),
          Inactive: true,
          CanActivate: true,
        }),
      }),
    ),
  );
  expect(answers.map((a) => a.status)).toEqual(sent.map(() => 200));
  const summaries = await api.prisma.emailMessage.findMany({
    where: { kind: 'firm.bounce-summary', portalAccountId: other.accountId },
  });
  expect(summaries).toHaveLength(1);
  expect(summaries[0]!.subject).toMatch(/^6 adresse\(s\) e-mail en échec depuis le /);
  for (const to of addresses) expect(summaries[0]!.textBody).toContain(to);
  const bells = await api.prisma.notification.findMany({ where: { portalAccountId: other.accountId } });
  expect(bells.map((b) => b.title)).toEqual(['Adresses e-mail en échec : 6']);
});

test('soft bounces are sent again later, then given up; transient and auto-replies change nothing', async () => {
  await queue('SoftBounce@bounce-testing.postmarkapp.com', 'b/soft');
  await send();
  const soft = await message('b/soft');
  expect(soft).toMatchObject({ status: 'QUEUED', softBounces: 1, bounceType: 'SoftBounce' });
  expect(soft.nextAttemptAt!.getTime() - Date.now()).toBeGreaterThan(50 * 60_000);
  expect(
    await api.prisma.emailSuppression.findUnique({ where: { address: 'softbounce@bounce-testing.postmarkapp.com' } }),
  ).toBeNull();
  // Due again: sent again, bounced again, … then BOUNCED for good (not suppressed).
  for (const n of [2, 3]) {
    await api.prisma.emailMessage.update({ where: { id: soft.id }, data: { nextAttemptAt: new Date(0) } });
    await send();
    const m = await message('b/soft');
    if (n === 2) expect(m).toMatchObject({ status: 'QUEUED', softBounces: 2 });
    else expect(m).toMatchObject({ status: 'BOUNCED', softBounces: 2 });
  }
  expect(await sink.messages('softbounce@bounce-testing.postmarkapp.com')).toHaveLength(3);

  await queue('Transient@bounce-testing.postmarkapp.com', 'b/transient');
  await queue('AutoResponder@bounce-testing.postmarkapp.com', 'b/auto');
  await queue('someone@example.test', 'b/ok');
  await send();
  expect(await message('b/transient')).toMatchObject({ status: 'SENT', bounceType: 'Transient' });
  expect(await message('b/auto')).toMatchObject({ status: 'SENT', bounceType: 'AutoResponder' });
  // Any other address: Postmark's Delivery webhook.
  expect((await message('b/ok')).deliveredAt).toBeInstanceOf(Date);
});

describe('a statement’s deliveries', () => {
  let statementId: string;
  beforeAll(async () => {
    const { accounts } = await createCompanyWithAccounts(api.prisma, firm, { name: 'Client Relevés' });
    statementId = (await createStatement(api.prisma, accounts[0]!.id)).id;
    await api.prisma.$transaction((tx) => enqueueStatementDelivery(tx, statementId));
  });

  const deliveries = async () =>
    (await call(api, 'GET', `/api/v1/statements/${statementId}`, { key: firm.key })).body.deliveries as Array<{
      to: string;
      state: string;
      stateText: string;
      reason: string | null;
      resend: boolean;
    }>;

  test('a sender signature Postmark refuses (422, ErrorCode 401) holds the message as a configuration error', async () => {
    await sink.faults({
      failNext: 5,
      status: 422,
      mode: 'error',
      errorCode: 401,
      message: 'Sender signature not confirmed',
    });
    await send();
    const [d] = await deliveries();
    expect(d).toMatchObject({ state: 'queued', stateText: 'En attente d’envoi' });
    expect(d!.reason).toContain('mal configuré');
    expect((await message(`statement/${statementId}`)).lastErrorCode).toBe(401);
    // Fixed: the next attempt sends it, it is delivered.
    await sink.faults({ failNext: 0 });
    await api.prisma.emailMessage.updateMany({ where: { statementId }, data: { nextAttemptAt: new Date(0) } });
    await send();
    expect((await deliveries())[0]).toMatchObject({
      to: 'releves@cabinet-rebonds.test',
      state: 'delivered',
      stateText: 'Remis',
    });
  });

  test('"Renvoyer" sends it again to the current address; the Réception filter finds it', async () => {
    await api.prisma.portalAccount.update({
      where: { id: firm.accountId },
      data: { receptionMode: 'DEDICATED_MAILBOX', dedicatedMailbox: 'releves-dedies@cabinet-rebonds.test' },
    });
    const r = await call(api, 'POST', `/api/v1/statements/${statementId}/resend`, { key: firm.key });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ to: 'releves-dedies@cabinet-rebonds.test', state: 'queued', resend: true });
    await send();
    const all = await deliveries();
    expect(all.map((d) => [d.to, d.state, d.resend])).toEqual([
      ['releves-dedies@cabinet-rebonds.test', 'delivered', true],
      ['releves@cabinet-rebonds.test', 'delivered', false],
    ]);
    expect((await sink.messages('releves-dedies@cabinet-rebonds.test'))[0]!.attachments).toHaveLength(2);
    const found = await call(api, 'GET', '/api/v1/statements?delivery=delivered', { key: firm.key });
    expect(found.body.items.map((s: { id: string }) => s.id)).toContain(statementId);
    const none = await call(api, 'GET', '/api/v1/statements?delivery=bounced', { key: firm.key });
    expect(none.body.items.map((s: { id: string }) => s.id)).not.toContain(statementId);

    await api.prisma.portalAccount.update({ where: { id: firm.accountId }, data: { receptionMode: 'NONE' } });
    const refused = await call(api, 'POST', `/api/v1/statements/${statementId}/resend`, { key: firm.key });
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toContain('Pas de réception par mail');
    await api.prisma.portalAccount.update({
      where: { id: firm.accountId },
      data: { receptionMode: 'ACCOUNT_MAILBOX' },
    });
  });

  test('a message too large for Postmark is sent as a link to the statement, never retried forever', async () => {
    // Written as the old deliveries were, before the size check: Postmark (the sink) refuses it.
    await api.prisma.$transaction((tx) =>
      enqueueEmail(
        tx,
        {
          kind: 'statement.delivery',
          to: 'releves@cabinet-rebonds.test',
          subject: 'Relevé',
          text: 'Relevé joint',
          html: '<p>Relevé joint</p>',
          attachments: [
            { name: 'Releve.zip', contentType: 'application/zip', content: randomBytes(10.5 * 1024 * 1024) },
          ],
        },
        { idempotencyKey: 'b/too-large', portalAccountId: firm.accountId, statementId },
      ),
    );
    await send(); // refused as too large: rewritten as a link
    expect(await message('b/too-large')).toMatchObject({ status: 'QUEUED', lastErrorCode: 300 });
    await send(); // sent
    const m = await api.prisma.emailMessage.findUniqueOrThrow({
      where: { idempotencyKey: 'b/too-large' },
      include: { attachments: true },
    });
    expect(m).toMatchObject({ status: 'SENT', attachments: [] });
    expect(m.textBody).toContain(`http://releves.test/reception/${statementId}`);
    expect(m.textBody).toContain('trop volumineux pour être joint');
  });
});

test('a statement whose files exceed the attachment limit is e-mailed as a download link from the start', async () => {
  const { accounts } = await createCompanyWithAccounts(api.prisma, firm, { name: 'Client Volumineux' });
  const s = await createStatement(api.prisma, accounts[0]!.id, { periodEnd: '2026-09-30' });
  // Bytes that do not compress: the zipped statement stays over the limit.
  const big = randomBytes(8 * 1024 * 1024);
  await api.prisma.statement.update({ where: { id: s.id }, data: { cfonb: big } });
  await api.prisma.$transaction(
    (tx) =>
      enqueueStatementDelivery(tx, s.id, { supportEmail: 'support@releves.test', portalUrl: 'http://releves.test' }),
    { timeout: 60_000 },
  );
  const m = await api.prisma.emailMessage.findUniqueOrThrow({
    where: { idempotencyKey: `statement/${s.id}` },
    include: { attachments: true },
  });
  expect(m.attachments).toEqual([]);
  expect(m.textBody).toContain(`http://releves.test/reception/${s.id}`);
});
