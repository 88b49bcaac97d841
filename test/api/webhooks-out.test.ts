/**
 * Outgoing webhooks end to end on the database: endpoints through the API (secret shown once,
 * encrypted at rest, rotation), events written by the real connection activities in their own
 * transactions, the worker's sender delivering them to a real HTTP receiver that verifies each
 * signature with its own implementation of the Standard Webhooks scheme (node:crypto, from the
 * spec, not the library we sign with) and fails the first attempts: after the retries every event
 * is accepted exactly once. Then "Renvoyer", and an endpoint failing for 3 days is disabled with
 * an e-mail to the firm.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createConnectionActivities } from '../../activities/connection';
import type { IssuedStatements } from '../../activities/statements';
import { createMessages } from '../../email/connection-messages';
import { decryptToken } from '../../integrations/powens';
import type { PowensPort } from '../../integrations/powens/port';
import { RETRY_DELAYS_MS, createWebhookSender, enqueueWebhookEvents, strictPolicy } from '../../webhooks-out';
import { createLogger } from '../../lib/logger';
import { Prisma } from '../../db/client';
import { call, createCompanyWithAccounts, createTenant, useApi, type Tenant } from './support';

const api = useApi();
const IBAN = 'FR7630004000031234567890143';

interface Received {
  id: string;
  timestamp: string;
  signatures: string[];
  body: string;
  path: string;
}

/** The receiver's own verification (Standard Webhooks spec): HMAC-SHA256 over "id.timestamp.body". */
function verify(secret: string, r: Received): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = Buffer.from(createHmac('sha256', key).update(`${r.id}.${r.timestamp}.${r.body}`).digest('base64'));
  return r.signatures.some((s) => {
    const [version, sig] = s.split(',');
    const given = Buffer.from(sig ?? '');
    return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
  });
}

let server: Server;
let origin: string;
const requests: Received[] = [];
let failFirst = 0;
const accepted = new Map<string, number>();

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = {
        id: String(req.headers['webhook-id']),
        timestamp: String(req.headers['webhook-timestamp']),
        signatures: String(req.headers['webhook-signature'] ?? '').split(' '),
        body: Buffer.concat(chunks).toString('utf8'),
        path: req.url ?? '',
      };
      requests.push(r);
      if (req.url === '/down' || failFirst > 0) {
        failFirst--;
        res.writeHead(503).end('indisponible');
        return;
      }
      accepted.set(r.id, (accepted.get(r.id) ?? 0) + 1);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

let t: Tenant;
let endpointId: string;
let secret: string;

test('an endpoint through the API: URL checked, secret whsec_ shown once and encrypted at rest', async () => {
  t = await createTenant(api.prisma);
  const bad = await call(api, 'POST', '/api/v1/webhook-endpoints', {
    key: t.key,
    body: { url: 'ftp://example.test/x', events: ['statement.issued', 'nope'] },
  });
  expect(bad.status).toBe(400);
  expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual(['events.1']);
  const badUrl = await call(api, 'POST', '/api/v1/webhook-endpoints', {
    key: t.key,
    body: { url: 'ftp://example.test/x', events: ['statement.issued'] },
  });
  expect(badUrl.body.errors).toEqual([{ field: 'url', reason: 'adresse http:// ou https:// attendue' }]);
  const r = await call(api, 'POST', '/api/v1/webhook-endpoints', {
    key: t.key,
    body: {
      url: `${origin}/hooks`,
      description: 'ERP du cabinet',
      events: ['statement.issued', 'statement.failed', 'connection.error', 'connection.restored', 'link.expired'],
    },
  });
  expect(r.status).toBe(201);
  expect(r.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
  endpointId = r.body.id;
  secret = r.body.secret;
  const get = await call(api, 'GET', `/api/v1/webhook-endpoints/${endpointId}`, { key: t.key });
  expect(get.body).not.toHaveProperty('secret');
  const row = await api.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: endpointId } });
  expect(row.secretEnc).not.toContain(secret.slice(6, 20));
  expect(decryptToken(row.secretEnc, api.config.ENCRYPTION_KEY)).toBe(secret);
  const other = await createTenant(api.prisma);
  expect((await call(api, 'GET', `/api/v1/webhook-endpoints/${endpointId}`, { key: other.key })).status).toBe(404);
});

test('every event, written by the activities, is received exactly once after failed attempts, signed as the spec says', async () => {
  const activities = createConnectionActivities({
    config: api.config,
    prisma: api.prisma,
    sql: api.sql,
    logger: createLogger('test', 'silent'),
    powens: {} as PowensPort,
    outbox: createMessages(api.config),
    decryptToken: (enc) => decryptToken(enc, api.config.ENCRYPTION_KEY),
  });
  const { company, connection, accounts } = await createCompanyWithAccounts(api.prisma, t, { accounts: 2 });
  await api.prisma.bankAccount.update({
    where: { id: accounts[0]!.id },
    data: { iban: IBAN, balance: new Prisma.Decimal('100.00'), activatedAt: new Date('2026-11-10T10:00:00Z') },
  });
  await api.prisma.bankAccount.update({
    where: { id: accounts[1]!.id },
    data: { iban: null, number: null, type: 'card', activatedAt: new Date('2026-11-10T10:00:00Z') },
  });
  await api.prisma.transaction.create({
    data: {
      bankAccountId: accounts[0]!.id,
      powensId: 77n,
      bookingDate: new Date('2026-11-20T00:00:00Z'),
      amount: new Prisma.Decimal('-12.50'),
      label: 'PRLV EDF',
      type: 'order',
      raw: {},
    },
  });
  const issued: IssuedStatements = await new MockActivityEnvironment().run(activities.issueStatements, connection.id, {
    periodEnd: '2026-11-30',
    at: '2026-12-01T05:00:00.000Z',
  });
  expect(issued).toMatchObject({ failed: 1 });
  const failure = { state: 'wrongpass', errorMessage: 'Mot de passe erroné', at: '2026-12-02T05:00:00.000Z' };
  await activities.recordFailure(connection.id, { ...failure, consecutiveErrors: 1, day: '2026-12-02' });
  await activities.recordFailure(connection.id, {
    ...failure,
    consecutiveErrors: 2,
    day: '2026-12-03',
    at: '2026-12-03T05:00:00.000Z',
  });
  const sent = await activities.notifyConnectionError(connection.id, {
    ...failure,
    consecutiveErrors: 2,
    day: '2026-12-03',
    at: '2026-12-03T05:00:00.000Z',
    sendLink: true,
  });
  expect(sent.linkSent).toBe(true);
  // The same activities again (Temporal retries): no second event.
  await activities.notifyConnectionError(connection.id, {
    ...failure,
    consecutiveErrors: 2,
    day: '2026-12-03',
    at: '2026-12-03T05:00:00.000Z',
    sendLink: true,
  });
  await activities.closeLink(sent.linkId!, 'expired', '2026-12-06T05:00:00.000Z');
  await activities.closeLink(sent.linkId!, 'expired', '2026-12-06T05:00:00.000Z');
  await activities.notifyReconnected(connection.id, '2026-12-02T05:00:00.000Z');
  await activities.notifyReconnected(connection.id, '2026-12-02T05:00:00.000Z');
  expect(await api.prisma.webhookEvent.count()).toBe(6);

  // The receiver fails the first 4 requests; the sender's clock jumps to each retry.
  failFirst = 4;
  let clock = new Date('2026-12-06T06:00:00Z');
  const sender = createWebhookSender({ config: api.config, sql: api.sql, now: () => clock });
  for (let round = 0; round < 10; round++) {
    await sender.sendPendingWebhooks();
    const pending = await api.prisma.webhookMessage.count({ where: { status: { in: ['PENDING', 'SENDING'] } } });
    if (pending === 0) break;
    clock = new Date(clock.getTime() + RETRY_DELAYS_MS[round]!);
  }
  expect(requests.length).toBe(6 + 4);
  expect(requests.every((r) => verify(secret, r))).toBe(true);
  expect(requests.every((r) => r.path === '/hooks')).toBe(true);
  const events = await api.prisma.webhookEvent.findMany();
  expect([...accepted.keys()].sort()).toEqual(events.map((e) => e.id).sort());
  expect([...accepted.values()].every((n) => n === 1)).toBe(true);
  // A tampered body or an unknown secret does not verify (the receiver's check is real).
  expect(verify(secret, { ...requests[0]!, body: `${requests[0]!.body} ` })).toBe(false);
  expect(verify('whsec_' + Buffer.alloc(32, 1).toString('base64'), requests[0]!)).toBe(false);

  const bodies = requests.filter((r) => accepted.has(r.id)).map((r) => JSON.parse(r.body));
  const byType = Object.fromEntries(bodies.map((b) => [b.type, b]));
  expect(Object.keys(byType).sort()).toEqual([
    'connection.error',
    'connection.restored',
    'link.expired',
    'statement.failed',
    'statement.issued',
  ]);
  const issuedEvent = byType['statement.issued'];
  expect(issuedEvent.timestamp).toBe('2026-12-01T05:00:00.000Z');
  expect(issuedEvent.data).toMatchObject({
    statementId: issued.statementIds[0],
    company: { id: company.id, siren: company.siren },
    account: { iban: IBAN, currency: 'EUR' },
    period: { start: '2026-10-10', end: '2026-11-30' },
    transactionCount: 1,
    openingBalance: '112.50',
    closingBalance: '100.00',
    formats: ['cfonb120'],
    downloads: { cfonb120: `http://releves.test/api/v1/statements/${issued.statementIds[0]}/cfonb` },
    balanceCheck: { status: 'ok', closing: { bankBalance: '100.00', matches: true } },
  });
  expect(byType['statement.failed'].data.error).toBe('Relevé CFONB indisponible : compte sans IBAN (carte)');
  const errors = bodies.filter((b) => b.type === 'connection.error').map((b) => b.data);
  expect(errors.map((e) => [e.streak, e.link.sent])).toEqual(
    expect.arrayContaining([
      [1, false],
      [2, true],
    ]),
  );
  expect(errors.find((e) => e.streak === 2)).toMatchObject({
    state: 'wrongpass',
    link: { sent: true, recipient: expect.stringContaining('@example.test') },
  });
  expect(byType['link.expired'].data.link).toMatchObject({ id: sent.linkId, kind: 'update-credentials' });
  expect(byType['connection.restored'].data.company.siren).toBe(company.siren);

  // The portal's view: each delivery with its attempts (status, latency, response code).
  const deliveries = await call(api, 'GET', `/api/v1/webhook-endpoints/${endpointId}/deliveries`, { key: t.key });
  expect(deliveries.body.total).toBe(6);
  const retried = deliveries.body.items.filter((d: { attemptCount: number }) => d.attemptCount > 1);
  expect(retried.length).toBeGreaterThan(0);
  expect(retried[0].attempts.at(-1)).toMatchObject({ succeeded: false, statusCode: 503, error: 'réponse HTTP 503' });
  expect(retried[0].attempts[0]).toMatchObject({ succeeded: true, statusCode: 204 });
  expect(deliveries.body.items.every((d: { status: string }) => d.status === 'succeeded')).toBe(true);

  // "Renvoyer": one more attempt of that delivery, the same webhook-id.
  const resent = await call(api, 'POST', `/api/v1/webhook-deliveries/${retried[0].id}/resend`, { key: t.key });
  expect(resent.status).toBe(202);
  await sender.sendPendingWebhooks();
  expect(requests.at(-1)!.id).toBe(retried[0].eventId);
  const after = await api.prisma.webhookAttempt.findFirstOrThrow({
    where: { messageId: retried[0].id },
    orderBy: { at: 'desc' },
  });
  expect(after).toMatchObject({ manual: true, succeeded: true });
});

test('secret rotation: both signatures for 24 h, then the new one only', async () => {
  const rotated = await call(api, 'POST', `/api/v1/webhook-endpoints/${endpointId}/rotate-secret`, { key: t.key });
  expect(rotated.body.secret).not.toBe(secret);
  const deliver = async (key: string, at: Date) => {
    await enqueueWebhookEvents(api.sql, [
      { portalAccountId: t.accountId, type: 'link.expired', occurredAt: at, idempotencyKey: key, data: {} },
    ]);
    await createWebhookSender({ config: api.config, sql: api.sql, now: () => at }).sendPendingWebhooks();
    return requests.at(-1)!;
  };
  const soon = await deliver('rotation/1', new Date(Date.now() + 3600_000));
  expect(soon.signatures).toHaveLength(2);
  expect(verify(secret, soon) && verify(rotated.body.secret, soon)).toBe(true);
  const later = await deliver('rotation/2', new Date(Date.now() + 25 * 3600_000));
  expect(later.signatures).toHaveLength(1);
  expect(verify(rotated.body.secret, later)).toBe(true);
  expect(verify(secret, later)).toBe(false);
});

test('production policy: an endpoint resolving to a loopback address is never called', async () => {
  const before = requests.length;
  const down = await api.prisma.webhookEndpoint.create({
    data: {
      portalAccountId: t.accountId,
      url: `https://localhost:${new URL(origin).port}/hooks`,
      events: ['statement.failed'],
      secretEnc: (await api.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: endpointId } })).secretEnc,
    },
  });
  await api.prisma.webhookEndpoint.update({ where: { id: endpointId }, data: { enabled: false } });
  await enqueueWebhookEvents(api.sql, [
    {
      portalAccountId: t.accountId,
      type: 'statement.failed',
      occurredAt: new Date(),
      idempotencyKey: 'ssrf/1',
      data: {},
    },
  ]);
  await createWebhookSender({ config: api.config, sql: api.sql, policy: strictPolicy(2000) }).sendPendingWebhooks();
  expect(requests.length).toBe(before);
  const attempt = await api.prisma.webhookAttempt.findFirstOrThrow({ where: { message: { endpointId: down.id } } });
  expect(attempt).toMatchObject({
    succeeded: false,
    statusCode: null,
    error: expect.stringContaining('adresse interne refusée'),
  });
  await api.prisma.webhookEndpoint.delete({ where: { id: down.id } });
  await api.prisma.webhookEndpoint.update({ where: { id: endpointId }, data: { enabled: true } });
});

test('an endpoint failing for 3 days is disabled, its pending deliveries failed, the firm e-mailed', async () => {
  const t2 = await createTenant(api.prisma);
  const r = await call(api, 'POST', '/api/v1/webhook-endpoints', {
    key: t2.key,
    body: { url: `${origin}/down`, events: ['link.expired'] },
  });
  const start = new Date('2027-01-01T00:00:00Z');
  for (const n of [1, 2])
    await enqueueWebhookEvents(api.sql, [
      { portalAccountId: t2.accountId, type: 'link.expired', occurredAt: start, idempotencyKey: `down/${n}`, data: {} },
    ]);
  // The second one waits (created later): only the first is claimed in each round below.
  await api.prisma.webhookMessage.updateMany({
    where: { endpointId: r.body.id, event: { idempotencyKey: 'down/2' } },
    data: { nextAttemptAt: new Date('2030-01-01T00:00:00Z') },
  });
  let clock = start;
  const sender = createWebhookSender({ config: api.config, sql: api.sql, now: () => clock });
  for (const delay of [0, ...RETRY_DELAYS_MS]) {
    clock = new Date(clock.getTime() + delay);
    await sender.sendPendingWebhooks();
  }
  const endpoint = await api.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: r.body.id } });
  expect(endpoint).toMatchObject({ enabled: false, disabledReason: 'échecs de livraison continus pendant 3 jours' });
  const messages = await api.prisma.webhookMessage.findMany({
    where: { endpointId: r.body.id },
    include: { attemptLog: true },
  });
  expect(messages.map((m) => [m.status, m.attemptLog.length]).sort()).toEqual([
    ['FAILED', 0],
    ['FAILED', 12],
  ]);
  const mail = await api.prisma.emailMessage.findFirstOrThrow({ where: { kind: 'firm.webhook-disabled' } });
  const firm = await api.prisma.portalAccount.findUniqueOrThrow({ where: { id: t2.accountId } });
  expect(mail.to).toBe(firm.contactEmail);
  expect(mail.subject).toBe(`Webhook désactivé : ${origin}/down`);
  expect(mail.textBody).toContain('toutes nos tentatives ont échoué pendant 3 jours');
  expect(
    await api.prisma.notification.count({ where: { portalAccountId: t2.accountId, kind: 'WEBHOOK_DISABLED' } }),
  ).toBe(1);
  const resend = await call(api, 'POST', `/api/v1/webhook-deliveries/${messages[0]!.id}/resend`, { key: t2.key });
  expect(resend.status).toBe(409);
  // Re-enabled: it receives again.
  const on = await call(api, 'PATCH', `/api/v1/webhook-endpoints/${r.body.id}`, {
    key: t2.key,
    body: { enabled: true },
  });
  expect(on.body).toMatchObject({ enabled: true, disabledAt: null, failingSince: null });
});
