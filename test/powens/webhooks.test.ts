/**
 * Webhooks: the BI-Signature scheme (pure), and the sandbox's signed deliveries to a real HTTP
 * receiver, with retries when the receiver fails and deduplication by id_webhook_data.
 */
import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import {
  formatSignatureDate,
  signWebhook,
  verifyWebhookSignature,
  webhookDataId,
  webhookSignatureHeaders,
} from '../../integrations/powens';
import { signatureHeaders } from '../../sandbox/powens/signature';
import { WEBHOOK_SECRET, connectUser, startSandbox, waitFor, type RunningSandbox } from './support';

const SECRET = 'whsec-0123456789abcdef';
const PATH = '/v1/webhook-listener';
const BODY = '{"id_webhook_data":42,"connection":{"id":7,"state":null}}';
const NOW = Date.parse('2026-11-23T10:00:00Z');

describe('BI-Signature (pure)', () => {
  const date = '2026-11-23T09:59:30.123456Z';
  const signature = signWebhook({ secret: SECRET, path: PATH, date, body: BODY });
  const verify = (over: Partial<Parameters<typeof verifyWebhookSignature>[0]> = {}) =>
    verifyWebhookSignature({ secret: SECRET, path: PATH, rawBody: BODY, signature, date, now: NOW, ...over });

  test('is base64(HMAC-SHA256(secret, "POST.<path>.<date>.<raw body>"))', () => {
    const expected = createHmac('sha256', SECRET).update(`POST.${PATH}.${date}.${BODY}`).digest('base64');
    expect(signature).toBe(expected);
    expect(verify()).toEqual({ ok: true, signedAt: new Date(Date.parse(date)) });
    expect(verify({ rawBody: Buffer.from(BODY) }).ok).toBe(true);
  });
  test('a wrong secret, an altered body or path fail', () => {
    expect(verify({ secret: 'other-secret' })).toEqual({ ok: false, reason: 'invalid-signature' });
    expect(verify({ rawBody: BODY.replace('"state":null', '"state":"wrongpass"') })).toMatchObject({ ok: false });
    expect(verify({ rawBody: `${BODY} ` })).toMatchObject({ ok: false, reason: 'invalid-signature' });
    expect(verify({ path: '/v1/other' })).toMatchObject({ ok: false, reason: 'invalid-signature' });
    expect(verify({ signature: Buffer.from(signature, 'base64').toString('hex') })).toMatchObject({ ok: false });
    expect(verify({ signature: `${signature}x` })).toMatchObject({ ok: false });
  });
  test('the date is signed and must be fresh (default ±5 min, configurable; ahead at most 5 min)', () => {
    expect(verify({ date: '2026-11-23T09:59:31.123456Z' })).toMatchObject({ ok: false, reason: 'invalid-signature' });
    expect(verify({ now: NOW + 5 * 60_000 })).toMatchObject({ ok: false, reason: 'stale' });
    expect(verify({ now: NOW + 4 * 60_000 }).ok).toBe(true);
    expect(verify({ now: NOW - 6 * 60_000 })).toMatchObject({ ok: false, reason: 'stale' }); // from the future
    expect(verify({ now: NOW + 60 * 60_000, toleranceMs: 2 * 60 * 60_000 }).ok).toBe(true);
    expect(verify({ now: NOW + 31_000, toleranceMs: 30_000 })).toMatchObject({ ok: false, reason: 'stale' });
    // Days in the past allowed (Powens' retries), still only minutes in the future.
    const days = 3 * 86_400_000;
    expect(verify({ now: NOW + days - 60_000, toleranceMs: days }).ok).toBe(true);
    expect(verify({ now: NOW - 6 * 60_000, toleranceMs: days })).toMatchObject({ ok: false, reason: 'stale' });
    expect(verify({ now: NOW - 6 * 60_000, toleranceMs: days, futureToleranceMs: 10 * 60_000 }).ok).toBe(true);
  });
  test('missing or malformed headers', () => {
    expect(verify({ signature: undefined })).toEqual({ ok: false, reason: 'missing-signature' });
    expect(verify({ date: null })).toEqual({ ok: false, reason: 'missing-date' });
    expect(verify({ date: '2026-11-23 09:59:30' })).toEqual({ ok: false, reason: 'invalid-date' });
    expect(verify({ date: 'yesterday' })).toEqual({ ok: false, reason: 'invalid-date' });
  });
  test('a replayed delivery passes the signature but is caught by its id_webhook_data', () => {
    const seen = new Set<number>();
    const receive = (raw: string) => {
      const headers = webhookSignatureHeaders({ secret: SECRET, path: PATH, body: raw, now: NOW });
      const v = verifyWebhookSignature({
        secret: SECRET,
        path: PATH,
        rawBody: raw,
        signature: headers['BI-Signature'],
        date: headers['BI-Signature-Date'],
        now: NOW,
      });
      if (!v.ok) return 'rejected';
      const id = webhookDataId(raw)!;
      if (seen.has(id)) return 'duplicate';
      seen.add(id);
      return 'accepted';
    };
    expect(receive(BODY)).toBe('accepted');
    expect(receive(BODY)).toBe('duplicate');
    expect(receive(BODY.replace('42', '43'))).toBe('accepted');
    expect(webhookDataId('not json')).toBeNull();
    expect(webhookDataId({ id_webhook_data: '1' })).toBeNull();
  });
  test('the date header is UTC ISO-8601 with microseconds, like Powens', () => {
    expect(formatSignatureDate(NOW)).toBe('2026-11-23T10:00:00.000000Z');
  });
  test('the sandbox signs on its own (sandbox/powens/signature.ts), and our verifier accepts it', () => {
    for (const body of [BODY, '{"id_webhook_data":7,"connection":{"name":"Crédit Agricole – Île-de-France"}}']) {
      const headers = signatureHeaders({ secret: SECRET, path: PATH, body, now: NOW });
      expect(headers).toEqual(webhookSignatureHeaders({ secret: SECRET, path: PATH, body, now: NOW }));
      const v = verifyWebhookSignature({
        secret: SECRET,
        path: PATH,
        rawBody: Buffer.from(body, 'utf8'),
        signature: headers['BI-Signature'],
        date: headers['BI-Signature-Date'],
        now: NOW,
      });
      expect(v).toEqual({ ok: true, signedAt: new Date(NOW) });
    }
  });
});

describe('sandbox deliveries', () => {
  interface Received {
    event: string;
    raw: string;
    body: Record<string, unknown>;
    verified: boolean;
    signed: boolean;
    authorization: string | undefined;
  }
  let run: RunningSandbox;
  let receiver: Server;
  const received: Received[] = [];
  const failures = new Map<string, number>(); // event -> how many deliveries to refuse

  beforeAll(async () => {
    const app = express();
    app.post('/powens/webhooks/:event', express.raw({ type: '*/*', limit: '50mb' }), (req, res) => {
      const raw = (req.body as Buffer).toString('utf8');
      const event = String(req.params.event);
      const v = verifyWebhookSignature({
        secret: WEBHOOK_SECRET,
        path: new URL(req.originalUrl, 'http://x').pathname,
        rawBody: req.body as Buffer,
        signature: req.get('BI-Signature'),
        date: req.get('BI-Signature-Date'),
      });
      received.push({
        event,
        raw,
        body: JSON.parse(raw),
        verified: v.ok,
        signed: req.get('BI-Signature') !== undefined,
        authorization: req.get('authorization'),
      });
      const left = failures.get(event) ?? 0;
      if (left > 0) {
        failures.set(event, left - 1);
        return res.status(500).send('oops');
      }
      res.status(204).end();
    });
    receiver = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const port = (receiver.address() as AddressInfo).port;
    run = await startSandbox({ webhookUrl: `http://127.0.0.1:${port}/powens/webhooks/{event}` });
  });
  afterAll(async () => {
    await run?.close();
    await new Promise((r) => receiver?.close(r));
  });

  const flush = () =>
    run.admin<{ deliveries: Array<{ id: number; ok: boolean; event: string }> }>('POST', '/webhooks/flush');
  const of = (event: string) => received.filter((r) => r.event === event);

  test('connecting sends ACCOUNTS_FETCHED then CONNECTION_SYNCED, signed over the registered path', async () => {
    const u = await connectUser(run, { accounts: ['Compte chèque', 'card'] });
    await flush();
    expect(received.map((r) => r.event)).toEqual(['ACCOUNTS_FETCHED', 'CONNECTION_SYNCED']);
    expect(received.every((r) => r.verified)).toBe(true);
    // An HMAC provider authenticates them: no user token besides (Powens' default without one).
    expect(received.every((r) => r.authorization === undefined)).toBe(true);
    const ids = received.map((r) => r.body.id_webhook_data as number);
    expect(new Set(ids).size).toBe(ids.length);

    const fetched = of('ACCOUNTS_FETCHED')[0]!.body as { connection: { accounts: unknown[]; id: number } };
    expect(fetched.connection.id).toBe(u.connectionId);
    expect(fetched.connection.accounts).toHaveLength(8);
    const synced = of('CONNECTION_SYNCED')[0]!.body as {
      user: { id: number };
      connection: { id: number; state: null; accounts: Array<{ transactions: unknown[] }> };
    };
    expect(synced.user.id).toBe(u.userId);
    expect(synced.connection.state).toBeNull();
    expect(synced.connection.accounts).toHaveLength(2);
    expect(synced.connection.accounts[0]!.transactions.length).toBeGreaterThan(0);
  });

  test('the bodies carry exactly the documented fields: CONNECTION_SYNCED with the new transactions only', async () => {
    received.length = 0;
    const u = await connectUser(run, { accounts: ['Compte chèque'] });
    await run.admin('POST', '/clock', { advance: '2d', runDueSyncs: false });
    await u.client.syncConnection(u.token, u.connectionId);
    await flush();
    const fetched = of('ACCOUNTS_FETCHED')[0]!.body as { connection: Record<string, unknown> };
    const [first, second] = of('CONNECTION_SYNCED').map(
      (r) =>
        r.body as {
          user: Record<string, unknown>;
          connection: Record<string, unknown> & { accounts: Array<Record<string, unknown>> };
        },
    );
    // {user, connection: Connection + {connector, sources, accounts[] + {transactions, investments,
    // market_orders}, subscriptions}} + id_webhook_data (docs.powens.com, connections reference).
    expect(Object.keys(first!).sort()).toEqual(['connection', 'id_webhook_data', 'user']);
    expect(Object.keys(first!.user).sort()).toEqual(['id', 'signin']);
    const connectionKeys = Object.keys(first!.connection);
    for (const k of ['id', 'id_user', 'id_connector', 'connector_uuid', 'state', 'last_update', 'active'])
      expect(connectionKeys).toContain(k);
    for (const k of ['connector', 'sources', 'accounts', 'subscriptions']) expect(connectionKeys).toContain(k);
    const account = first!.connection.accounts[0]!;
    for (const k of ['transactions', 'investments', 'market_orders']) expect(Object.keys(account)).toContain(k);
    expect(Object.keys(account)).not.toContain('original_number');
    const txKeys = Object.keys((account.transactions as Array<Record<string, unknown>>)[0]!);
    expect(txKeys).not.toContain('documents_count');
    for (const k of ['id', 'id_account', 'date', 'value', 'type', 'coming', 'last_update']) expect(txKeys).toContain(k);
    // ACCOUNTS_FETCHED: {user, connection: {connector, sources, accounts}}, no transactions.
    expect(Object.keys(fetched.connection)).not.toContain('subscriptions');
    for (const a of fetched.connection.accounts as Array<Record<string, unknown>>)
      expect(Object.keys(a)).not.toContain('transactions');
    // "The new transactions that were found": the second sync does not repeat the first's.
    const ids = (b: typeof first) =>
      b!.connection.accounts.flatMap((a) => (a.transactions as Array<{ id: number }>).map((t) => t.id));
    expect(ids(second).length).toBeGreaterThan(0);
    expect(ids(second).filter((id) => ids(first).includes(id))).toEqual([]);
  });

  test('without an HMAC provider, webhooks carry the user token (Powens’ default) and no signature', async () => {
    received.length = 0;
    await run.admin('PUT', '/webhooks/config', { auth: 'bearer' });
    try {
      const u = await connectUser(run, { accounts: ['Livret A'] });
      await flush();
      expect(received.map((r) => r.event)).toEqual(['ACCOUNTS_FETCHED', 'CONNECTION_SYNCED']);
      expect(received.every((r) => r.authorization === `Bearer ${u.token}`)).toBe(true);
      expect(received.every((r) => !r.signed)).toBe(true);
    } finally {
      await run.admin('PUT', '/webhooks/config', { auth: 'hmac' });
    }
  });

  test('CONNECTION_SYNCED carries an error state; ACCOUNT_DISABLED/ENABLED; CONNECTION_DELETED', async () => {
    received.length = 0;
    const u = await connectUser(run, { accounts: ['Compte chèque'] });
    await run.admin('POST', `/connections/${u.connectionId}/state`, { state: 'wrongpass', syncs: 1 });
    await u.client.syncConnection(u.token, u.connectionId);
    const accounts = await u.client.listAccounts(u.token);
    await u.client.disableAccount(u.token, accounts[0]!.id);
    await u.client.enableAccount(u.token, accounts[0]!.id);
    await u.client.deleteConnection(u.token, u.connectionId);
    await flush();
    expect(received.map((r) => r.event)).toEqual([
      'ACCOUNTS_FETCHED',
      'CONNECTION_SYNCED',
      'CONNECTION_SYNCED',
      'ACCOUNT_DISABLED',
      'ACCOUNT_ENABLED',
      'CONNECTION_DELETED',
    ]);
    const states = of('CONNECTION_SYNCED').map((r) => (r.body.connection as { state: string | null }).state);
    expect(states).toEqual([null, 'wrongpass']);
    expect((of('ACCOUNT_DISABLED')[0]!.body as { disabled: string | null }).disabled).toMatch(/^\d{4}-/);
    expect((of('ACCOUNT_ENABLED')[0]!.body as { disabled: string | null }).disabled).toBeNull();
    expect((of('CONNECTION_DELETED')[0]!.body as { id: number }).id).toBe(u.connectionId);
    expect(received.every((r) => r.verified)).toBe(true);
  });

  test('a failing endpoint gets the same payload again (same id_webhook_data, new signature) until it answers 2xx', async () => {
    received.length = 0;
    failures.set('CONNECTION_SYNCED', 2);
    const u = await connectUser(run, { accounts: ['Livret A'] });
    await flush();
    await flush();
    await flush();
    const attempts = of('CONNECTION_SYNCED');
    expect(attempts).toHaveLength(3);
    expect(new Set(attempts.map((a) => a.raw)).size).toBe(1);
    expect(attempts.every((a) => a.verified)).toBe(true);
    const log = await run.admin<{
      webhooks: Array<{
        event: string;
        attempts: number;
        delivered: string | null;
        body: { connection: { id: number } };
      }>;
    }>('GET', '/webhooks?event=CONNECTION_SYNCED');
    const mine = log.body.webhooks.filter((w) => w.body.connection.id === u.connectionId);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ attempts: 3 });
    expect(mine[0]!.delivered).not.toBeNull();
  });

  test('after maxAttempts failures the delivery is abandoned', async () => {
    received.length = 0;
    failures.set('ACCOUNTS_FETCHED', 100);
    await connectUser(run, { accounts: ['Livret A'] });
    for (let i = 0; i < 6; i++) await flush();
    expect(of('ACCOUNTS_FETCHED')).toHaveLength(4);
    const log = await run.admin<{
      webhooks: Array<{ attempts: number; abandoned: string | null; delivered: string | null }>;
    }>('GET', '/webhooks?event=ACCOUNTS_FETCHED');
    const last = log.body.webhooks.at(-1)!;
    expect(last).toMatchObject({ attempts: 4, delivered: null });
    expect(last.abandoned).not.toBeNull();
    failures.clear();
  });

  test('start() delivers by itself, with the backoff between attempts', async () => {
    received.length = 0;
    failures.set('CONNECTION_SYNCED', 1);
    await run.sandbox.start();
    try {
      await connectUser(run, { accounts: ['Compte chèque'] });
      await waitFor(
        async () => of('CONNECTION_SYNCED').length,
        (n) => n >= 2,
      );
      expect(of('CONNECTION_SYNCED')[0]!.raw).toBe(of('CONNECTION_SYNCED')[1]!.raw);
    } finally {
      await run.sandbox.stop();
    }
  });
});
