/**
 * Issue 19 end to end on the running system (the workflow harness: time-skipping Temporal, the
 * worker's real activities, the API on a real port, the Powens sandbox): a firm that chose both
 * formats registers a webhook through the API; the bank-connection workflow issues the daily
 * statements; the worker's webhook sender delivers statement.issued to a real receiver that
 * verifies the Standard Webhooks signature with its own code and refuses the first attempts; the
 * receiver follows the event's download URL: the camt.053 is valid against the official XSD and
 * tells what the CFONB file tells (read back with the strict CFONB reader), byte-identical on
 * re-download and identical to the e-mail's attachment; the balance check holds.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createWebhookSender, RETRY_DELAYS_MS } from '../../webhooks-out';
import { deriveApiKey } from '../../api/auth';
import { readCfonb } from '../../domain/cfonb120';
import { statusQuery } from '../../workflows/messages';
import { readCamt, xsdErrors } from '../camt053/support';
import { settleWorkflow, useRunningHarness, type Harness } from '../workflows/support';

let h: Harness;
useRunningHarness({}, (x) => (h = x));

const DAY = 86_400_000;

interface Hit {
  headers: Record<string, string>;
  body: string;
}
let server: Server;
let receiverUrl: string;
const hits: Hit[] = [];
let refuse = 2;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      hits.push({ headers: req.headers as Record<string, string>, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(refuse-- > 0 ? 500 : 200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/releves`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

/** The receiver's check, written from the spec: v1 = base64(HMAC-SHA256(key, "id.timestamp.body")). */
function verified(secret: string, hit: Hit): boolean {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const { 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': sig } = hit.headers;
  if (!id || !ts || !sig) return false;
  const expected = Buffer.from(`v1,${createHmac('sha256', key).update(`${id}.${ts}.${hit.body}`).digest('base64')}`);
  return sig
    .split(' ')
    .some((s) => Buffer.from(s).length === expected.length && timingSafeEqual(Buffer.from(s), expected));
}

test('statement issued → webhook received and verified → camt.053 valid and equal to the CFONB file', async () => {
  const c = await h.makeConnection({ periodicity: { kind: 'DAILY', day: null, month: null } });
  await h.prisma.company.update({ where: { id: c.companyId }, data: { statementFormats: 'BOTH' } });
  const key = deriveApiKey('e2e', c.portalAccountId);
  await h.prisma.apiKey.create({
    data: { portalAccountId: c.portalAccountId, name: 'erp', prefix: key.prefix, keyHash: key.keyHash },
  });
  const api = (method: string, path: string, body?: unknown) =>
    fetch(`${h.apiUrl}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${key.key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
  const registered = await api('POST', '/webhook-endpoints', { url: receiverUrl, events: ['statement.issued'] });
  expect(registered.status).toBe(201);
  const { secret } = (await registered.json()) as { secret: string };

  const handle = await h.start(c);
  // Daily statements wait for Powens' next daily sync after their day: three days give the first ones.
  const start = await h.env.currentTimeMs();
  await h.env.sleep(3 * DAY);
  await settleWorkflow(handle);
  expect(await handle.query(statusQuery)).toMatchObject({ state: 'ok' });
  const statements = await h.prisma.statement.findMany({
    where: { bankAccount: { connectionId: c.id }, state: 'SUCCESS' },
    orderBy: { periodEnd: 'asc' },
  });
  expect(statements.length).toBeGreaterThan(0);
  expect(await h.env.currentTimeMs()).toBeGreaterThan(start);

  // The worker's sender: the receiver refuses twice, the retries (5 s, then 1 min later) get through.
  let offset = 0;
  const sender = createWebhookSender({ config: h.config, sql: h.sql, now: () => new Date(Date.now() + offset) });
  for (let round = 0; round < 5; round++) {
    await sender.sendPendingWebhooks();
    offset += RETRY_DELAYS_MS[round]!;
  }
  expect(hits.length).toBe(statements.length + 2);
  expect(hits.every((hit) => verified(secret, hit))).toBe(true);
  const accepted = new Map(hits.slice(2).map((hit) => [hit.headers['webhook-id'], JSON.parse(hit.body)]));
  expect(accepted.size).toBe(statements.length);

  for (const s of statements) {
    const event = [...accepted.values()].find((e) => e.data.statementId === s.id);
    expect(event).toMatchObject({
      type: 'statement.issued',
      data: {
        company: { siren: expect.stringMatching(/^\d{9}$/) },
        account: { iban: s.iban },
        period: { start: s.periodStart.toISOString().slice(0, 10), end: s.periodEnd.toISOString().slice(0, 10) },
        formats: ['cfonb120', 'camt053'],
        balanceCheck: { status: 'ok' },
      },
    });
    // The receiver downloads both files with the URLs of the event.
    const get = async (url: string) => {
      const r = await fetch(url, { headers: { authorization: `Bearer ${key.key}` } });
      expect(r.status).toBe(200);
      return Buffer.from(await r.arrayBuffer());
    };
    const xml = await get(event.data.downloads.camt053);
    const cfonb = await get(event.data.downloads.cfonb120);
    expect(cfonb.equals(Buffer.from(s.cfonb!))).toBe(true);
    expect(await xsdErrors('08', [xml])).toEqual([]);
    expect((await get(event.data.downloads.camt053)).equals(xml)).toBe(true);

    const [file] = readCfonb(cfonb);
    const [camt] = readCamt(xml).statements;
    expect(camt!.iban).toBe(s.iban);
    expect(camt!.currency).toBe(file!.account.currency);
    expect(camt!.opening).toEqual(file!.opening);
    expect(camt!.closing).toEqual(file!.closing);
    expect(camt!.entries.map((e) => [e.amount, e.bookingDate, e.valueDate, e.reference, e.proprietaryCode])).toEqual(
      file!.movements.map((m) => [m.amount, m.bookingDate, m.valueDate, m.reference, m.interbankCode]),
    );
    expect(camt!.entries.length).toBe(s.transactionCount);

    // The e-mail carries the same two files.
    const mail = await h.prisma.emailMessage.findUniqueOrThrow({
      where: { idempotencyKey: `statement/${s.id}` },
      include: { attachments: true },
    });
    const xmlAttachment = mail.attachments.find((a) => a.name.endsWith('.xml'))!;
    expect(Buffer.from(xmlAttachment.content).equals(xml)).toBe(true);
    expect(mail.attachments.some((a) => a.name.endsWith('.cfonb'))).toBe(true);
  }
  await h.retire(c);
});
