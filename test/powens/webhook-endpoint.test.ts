/**
 * POST /powens/webhooks/:event on the real app: BI-Signature checks (valid, wrong secret, altered
 * body, stale date, other path), gzip bodies, deduplication on id_webhook_data, the database
 * changes and the signals each event sends to the connection's workflow (Temporal dev server),
 * and the sandbox's own signed deliveries reaching the endpoint.
 */
import { request as httpRequest } from 'node:http';
import { Gunzip, gzipSync } from 'node:zlib';
import { webhookSignatureHeaders } from '../../integrations/powens';
import { WEBHOOK_BODY_LIMIT, WEBHOOK_INFLATED_LIMIT, inflation } from '../../api/public/webhooks';
import { waitFor, WEBHOOK_SECRET } from './support';
import { usePowensStack } from './stack';
import { createCompanyWithAccounts, createTenant, listenApp } from '../api/support';

const s = usePowensStack();
let dataId = 1000;

async function post(
  event: string,
  body: unknown,
  opts: { secret?: string; now?: number; gzip?: boolean; alter?: (raw: Buffer) => Buffer; path?: string } = {},
) {
  const path = opts.path ?? `/powens/webhooks/${event}`;
  const json = Buffer.from(JSON.stringify(body));
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    ...webhookSignatureHeaders({ secret: opts.secret ?? WEBHOOK_SECRET, path, body: json, now: opts.now }),
  };
  let raw = opts.alter ? opts.alter(json) : json;
  if (opts.gzip) {
    // Signed as sent: over the compressed bytes.
    raw = gzipSync(raw);
    headers['content-encoding'] = 'gzip';
    Object.assign(
      headers,
      webhookSignatureHeaders({ secret: opts.secret ?? WEBHOOK_SECRET, path, body: raw, now: opts.now }),
    );
  }
  const res = await fetch(`${s.baseUrl}/powens/webhooks/${event}`, { method: 'POST', headers, body: raw });
  return {
    status: res.status,
    body: (await res.json()) as { received?: boolean; duplicate?: boolean; error?: string; detail?: string },
  };
}

async function fixture(state: string | null = null) {
  const tenant = await createTenant(s.prisma);
  return createCompanyWithAccounts(s.prisma, tenant, { accounts: 2, state });
}

const synced = (powensConnectionId: number, state: string | null = null) => ({
  id_webhook_data: ++dataId,
  user: { id: 1 },
  connection: {
    id: powensConnectionId,
    state,
    error_message: state ? 'Identifiants refusés' : null,
    last_update: '2026-11-23 10:00:00',
    accounts: [],
  },
});

describe('signature', () => {
  test('a valid signature is accepted and the delivery recorded', async () => {
    const r = await post('USER_CREATED', { id_webhook_data: ++dataId, id: 5 });
    expect(r).toEqual({ status: 200, body: { received: true, duplicate: false } });
    expect(await s.prisma.webhookDelivery.findUnique({ where: { id: String(dataId) } })).toMatchObject({
      event: 'USER_CREATED',
    });
  });

  test('a delivery signed two days ago (Powens retrying after an outage) is accepted', async () => {
    const r = await post('USER_CREATED', { id_webhook_data: ++dataId, id: 5 }, { now: Date.now() - 2 * 86_400_000 });
    expect(r).toEqual({ status: 200, body: { received: true, duplicate: false } });
  });

  test('a wrong secret, an altered body, a stale or future date, another path: 401 and nothing recorded', async () => {
    const cases = [
      await post('USER_CREATED', { id_webhook_data: ++dataId }, { secret: 'not-the-secret-0123456789' }),
      await post(
        'USER_CREATED',
        { id_webhook_data: ++dataId },
        { alter: (b) => Buffer.from(b.toString().replace('}', ',"x":1}')) },
      ),
      await post('USER_CREATED', { id_webhook_data: ++dataId }, { now: Date.now() - 3 * 86_400_000 - 60_000 }),
      await post('USER_CREATED', { id_webhook_data: ++dataId }, { now: Date.now() + 6 * 60_000 }),
      await post('USER_CREATED', { id_webhook_data: ++dataId }, { path: '/powens/webhooks/USER_DELETED' }),
    ];
    expect(cases.map((c) => c.status)).toEqual([401, 401, 401, 401, 401]);
    expect(cases.map((c) => c.body.error)).toEqual([
      'signature refused: invalid-signature',
      'signature refused: invalid-signature',
      'signature refused: stale',
      'signature refused: stale',
      'signature refused: invalid-signature',
    ]);
    const ids = Array.from({ length: 5 }, (_, i) => String(dataId - i));
    expect(await s.prisma.webhookDelivery.count({ where: { id: { in: ids } } })).toBe(0);
  });

  test('missing headers: 401', async () => {
    const res = await fetch(`${s.baseUrl}/powens/webhooks/USER_CREATED`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id_webhook_data: ++dataId }),
    });
    expect(res.status).toBe(401);
    // Powens' default Bearer user token is refused unless the operator enables it (webhook-auth.test.ts).
    const bearer = await fetch(`${s.baseUrl}/powens/webhooks/USER_CREATED`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer some-user-token' },
      body: JSON.stringify({ id_webhook_data: ++dataId, id: 1 }),
    });
    expect(bearer.status).toBe(401);
  });

  test('a replayed id_webhook_data is acknowledged once, then reported as a duplicate', async () => {
    const { connection } = await fixture();
    const body = synced(connection.powensConnectionId);
    expect((await post('CONNECTION_SYNCED', body)).body).toEqual({ received: true, duplicate: false });
    // Same payload signed again (Powens' redelivery, or an attacker replaying inside the window).
    expect((await post('CONNECTION_SYNCED', body)).body).toEqual({ received: true, duplicate: true });
    await waitFor(
      () => s.signalsOf(connection.id).catch(() => []),
      (names) => names.length > 0,
    );
    expect(await s.signalsOf(connection.id)).toEqual(['synced']);
  });

  test('a gzip body signed as sent is accepted; one whose signature covers the JSON inside is refused', async () => {
    const json = Buffer.from(JSON.stringify({ id_webhook_data: ++dataId }));
    const zipped = gzipSync(json);
    const path = '/powens/webhooks/USER_CREATED';
    const send = (signed: Buffer) =>
      fetch(`${s.baseUrl}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-encoding': 'gzip',
          ...webhookSignatureHeaders({ secret: WEBHOOK_SECRET, path, body: signed }),
        },
        body: zipped,
      });
    const inner = await send(json);
    expect(inner.status).toBe(401);
    expect(await s.prisma.webhookDelivery.count({ where: { id: String(dataId) } })).toBe(0);
    const res = await send(zipped);
    expect(res.status).toBe(200);
    expect(await s.prisma.webhookDelivery.count({ where: { id: String(dataId) } })).toBe(1);
    const bad = await post(
      'USER_CREATED',
      { id_webhook_data: ++dataId },
      { gzip: true, secret: 'wrong-secret-0123456789' },
    );
    expect(bad.status).toBe(401);
  });

  test('a body without id_webhook_data is refused (400): it could not be deduplicated', async () => {
    expect((await post('USER_CREATED', { id: 1 })).status).toBe(400);
  });
});

describe('events', () => {
  test('CONNECTION_SYNCED in error: `synced` with the state, the workflow started by signal-with-start', async () => {
    const { connection } = await fixture();
    await post('CONNECTION_SYNCED', synced(connection.powensConnectionId, 'wrongpass'));
    const signals = await waitFor(
      () => s.signalsOf(connection.id).catch(() => [] as string[]),
      (n) => n.length > 0,
    );
    expect(signals).toEqual(['synced']);
    const d = await s.env.client.workflow.getHandle(`bank-connection/${connection.id}`).describe();
    expect(d.status.name).toBe('RUNNING');
    expect(d.type).toBe('bankConnectionWorkflow');
    expect(d.taskQueue).toBe(s.config.TEMPORAL_TASK_QUEUE);
  });

  test('CONNECTION_SYNCED ok for a connection we had in error: `reconnected`', async () => {
    const { connection } = await fixture('wrongpass');
    await post('CONNECTION_SYNCED', synced(connection.powensConnectionId, null));
    expect(
      await waitFor(
        () => s.signalsOf(connection.id).catch(() => [] as string[]),
        (n) => n.length > 0,
      ),
    ).toEqual(['reconnected']);
  });

  test('ACCOUNT_DISABLED then ACCOUNT_ENABLED: the account follows, `accountsChanged` each time', async () => {
    const { connection, accounts } = await fixture();
    const account = (disabled: string | null) => ({
      id_webhook_data: ++dataId,
      id: accounts[1]!.powensAccountId,
      id_connection: connection.powensConnectionId,
      name: 'Livret 1',
      type: 'savings',
      disabled,
    });
    await post('ACCOUNT_DISABLED', account('2026-11-23 10:00:00'));
    expect(await s.prisma.bankAccount.findUniqueOrThrow({ where: { id: accounts[1]!.id } })).toMatchObject({
      active: false,
    });
    await post('ACCOUNT_ENABLED', account(null));
    expect(await s.prisma.bankAccount.findUniqueOrThrow({ where: { id: accounts[1]!.id } })).toMatchObject({
      active: true,
      deactivatedAt: null,
    });
    const events = await s.prisma.bankAccountEvent.findMany({
      where: { bankAccountId: accounts[1]!.id },
      orderBy: { occurredAt: 'asc' },
    });
    expect(events.map((e) => e.kind)).toEqual(['ACCOUNT_DISABLED_AT_POWENS', 'ACCOUNT_ENABLED_AT_POWENS']);
    expect(
      await waitFor(
        () => s.signalsOf(connection.id).catch(() => [] as string[]),
        (n) => n.length >= 2,
      ),
    ).toEqual(['accountsChanged', 'accountsChanged']);
  });

  test('CONNECTION_DELETED: connection and accounts deactivated, `connectionDeleted` to a running workflow', async () => {
    const { connection } = await fixture();
    await post('ACCOUNTS_FETCHED', {
      id_webhook_data: ++dataId,
      user: { id: 1 },
      connection: { id: connection.powensConnectionId, accounts: [] },
    });
    await waitFor(
      () => s.signalsOf(connection.id).catch(() => [] as string[]),
      (n) => n.length > 0,
    );
    await post('CONNECTION_DELETED', { id_webhook_data: ++dataId, id: connection.powensConnectionId, id_user: 1 });
    expect(await s.prisma.bankConnection.findUniqueOrThrow({ where: { id: connection.id } })).toMatchObject({
      active: false,
    });
    expect(await s.prisma.bankAccount.count({ where: { connectionId: connection.id, active: true } })).toBe(0);
    expect(
      await waitFor(
        () => s.signalsOf(connection.id),
        (n) => n.length >= 2,
      ),
    ).toEqual(['accountsChanged', 'connectionDeleted']);
  });

  test('a connection we do not know is acknowledged and ignored', async () => {
    const r = await post('CONNECTION_SYNCED', synced(987654, 'wrongpass'));
    expect(r).toEqual({ status: 200, body: { received: true, duplicate: false } });
  });
});

test('the sandbox’s own signed deliveries reach the endpoint', async () => {
  const before = await s.prisma.webhookDelivery.count();
  const res = await fetch(`${s.sandboxOrigin}/2.0/auth/init`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_id: s.config.POWENS_CLIENT_ID, client_secret: s.config.POWENS_CLIENT_SECRET }),
  });
  expect(res.status).toBe(200);
  const { auth_token } = (await res.json()) as { auth_token: string };
  // A connection made in the webview, then deleted at Powens: CONNECTION_DELETED is delivered.
  const code = await fetch(`${s.sandboxOrigin}/2.0/auth/token/code?type=singleAccess`, {
    headers: { authorization: `Bearer ${auth_token}` },
  }).then((r) => r.json() as Promise<{ code: string }>);
  const url = `${s.sandboxOrigin}/webview/connect?domain=x&client_id=${s.config.POWENS_CLIENT_ID}&code=${code.code}&redirect_uri=${encodeURIComponent(`${s.baseUrl}/powens/callback`)}`;
  const done = await s.admin<{ redirect: string }>('POST', '/webview/complete', { url, accounts: ['checking'] });
  expect(done.status).toBe(200);
  const connectionId = Number(new URL(done.body.redirect).searchParams.get('connection_id'));
  expect((await s.admin('DELETE', `/connections/${connectionId}`)).status).toBeLessThan(300);
  const results = (await s.sandbox.flushWebhooks()) as Array<{ event: string; status: number | null }>;
  expect(results.length).toBeGreaterThan(0);
  expect(results.every((r) => r.status === 200)).toBe(true);
  expect(results.map((r) => r.event)).toContain('CONNECTION_DELETED');
  expect(await s.prisma.webhookDelivery.count()).toBe(before + results.length);
});

describe('intake that cannot be abused', () => {
  /** 20 KB of gzip that inflates to about 20 MB of zeros. */
  const bomb = gzipSync(Buffer.alloc(20 * 1024 * 1024), { level: 9 });
  const path = '/powens/webhooks/CONNECTION_SYNCED';
  // Two measures of the decompression work: every call into zlib's native engine in this process
  // (whatever API a change would use: gunzipSync, streams…), and the endpoint's own count of the
  // bodies it inflated and the bytes that came out.
  let engineCalls = 0;
  beforeAll(() => {
    const engine = Object.getPrototypeOf((new Gunzip() as unknown as { _handle: object })._handle) as Record<
      'write' | 'writeSync',
      (...args: unknown[]) => unknown
    >;
    for (const method of ['write', 'writeSync'] as const) {
      const original = engine[method];
      jest.spyOn(engine, method).mockImplementation(function (this: unknown, ...args: unknown[]) {
        engineCalls++;
        return original.apply(this, args);
      });
    }
  });
  afterAll(() => jest.restoreAllMocks());
  let start = { engineCalls, ...inflation };
  const measure = () => (start = { engineCalls, ...inflation });
  const work = () => ({
    engineCalls: engineCalls - start.engineCalls,
    inflates: inflation.bodies - start.bodies,
    inflated: inflation.bytes - start.bytes,
  });

  const send = (body: Buffer, headers: Record<string, string>) =>
    fetch(`${s.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', ...headers },
      body,
    });

  test('a refused 20 KB gzip bomb is never inflated: unsigned, wrongly signed, signed over other bytes, stale', async () => {
    expect(bomb.length).toBeLessThan(25 * 1024);
    const deliveries = await s.prisma.webhookDelivery.count();
    const headers = [
      {},
      webhookSignatureHeaders({ secret: 'not-the-secret-0123456789', path, body: bomb }),
      webhookSignatureHeaders({ secret: WEBHOOK_SECRET, path, body: Buffer.from('{}') }),
      webhookSignatureHeaders({ secret: WEBHOOK_SECRET, path, body: bomb, now: Date.now() - 4 * 86_400_000 }),
    ];
    measure();
    const refusals = [
      await send(bomb, headers[0]!),
      await send(bomb, headers[1]!),
      await send(bomb, headers[2]!),
      await send(bomb, headers[3]!),
    ];
    // The work a refused bomb costs: no inflate at all, as for a small refused webhook.
    expect(work()).toEqual({ engineCalls: 0, inflates: 0, inflated: 0 });
    expect(refusals.map((r) => r.status)).toEqual([401, 401, 401, 401]);
    const problem = (await refusals[0]!.json()) as Record<string, unknown>;
    expect(refusals[0]!.headers.get('content-type')).toContain('application/problem+json');
    expect(problem).toMatchObject({ status: 401, error: 'signature refused: missing-signature' });
    expect(await s.prisma.webhookDelivery.count()).toBe(deliveries);
  });

  test('an authenticated gzip body is inflated as a stream and stopped past the limit (413), nothing recorded', async () => {
    const big = gzipSync(Buffer.alloc(WEBHOOK_INFLATED_LIMIT + 1024 * 1024, 0x20), { level: 9 });
    const deliveries = await s.prisma.webhookDelivery.count();
    const signed = webhookSignatureHeaders({ secret: WEBHOOK_SECRET, path, body: big });
    measure();
    const r = await send(big, signed);
    expect(r.status).toBe(413);
    expect(await r.json()).toMatchObject({ status: 413, error: 'inflated body too large' });
    expect(work().inflates).toBe(1);
    expect(work().engineCalls).toBeGreaterThan(0);
    // Stopped within a chunk or two of the limit, not the whole body inflated.
    expect(work().inflated).toBeGreaterThan(WEBHOOK_INFLATED_LIMIT);
    expect(work().inflated).toBeLessThanOrEqual(WEBHOOK_INFLATED_LIMIT + 64 * 1024);
    expect(await s.prisma.webhookDelivery.count()).toBe(deliveries);
    // Signed but not gzip: 400, nothing recorded.
    const garbage = Buffer.from('not gzip at all');
    const g = await send(garbage, webhookSignatureHeaders({ secret: WEBHOOK_SECRET, path, body: garbage }));
    expect(g.status).toBe(400);
    expect(await g.json()).toMatchObject({ status: 400, error: 'invalid gzip body' });
  });

  test('malformed and oversize bodies: 400/413 problem+json, never 500, nothing recorded', async () => {
    const deliveries = await s.prisma.webhookDelivery.count();
    measure();
    const notJson = Buffer.from('{"id_webhook_data": 1,');
    const r1 = await fetch(`${s.baseUrl}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...webhookSignatureHeaders({ secret: WEBHOOK_SECRET, path, body: notJson }),
      },
      body: notJson,
    });
    expect(r1.status).toBe(400);
    expect(r1.headers.get('content-type')).toContain('application/problem+json');
    expect(await r1.json()).toMatchObject({ status: 400, title: 'Bad Request', error: 'body is not JSON' });
    // Announced larger than the limit: refused before a byte of it is read.
    const r2 = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(`${s.baseUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': String(WEBHOOK_BODY_LIMIT + 1) },
      });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => {
          req.destroy();
          resolve({ status: res.statusCode ?? 0, body });
        });
      });
      req.on('error', reject);
      req.write('{"id_webhook_data":');
    });
    expect(r2.status).toBe(413);
    expect(JSON.parse(r2.body)).toMatchObject({ status: 413, error: 'body too large' });
    const unsupported = await fetch(`${s.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'br' },
      body: Buffer.from('{}'),
    });
    expect(unsupported.status).toBe(415);
    expect(work()).toEqual({ engineCalls: 0, inflates: 0, inflated: 0 });
    expect(await s.prisma.webhookDelivery.count()).toBe(deliveries);
  });

  test('Bearer deliveries must come uncompressed (415): the token cannot be checked without inflating', async () => {
    const bearer = await listenApp(s, { config: { ...s.config, POWENS_WEBHOOK_BEARER: true } });
    try {
      measure();
      const r = await fetch(`${bearer.baseUrl}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-encoding': 'gzip',
          authorization: 'Bearer a-user-token',
        },
        body: bomb,
      });
      expect(r.status).toBe(415);
      expect(await r.json()).toMatchObject({ error: 'token refused: a compressed body must carry BI-Signature' });
      expect(work()).toEqual({ engineCalls: 0, inflates: 0, inflated: 0 });
    } finally {
      await bearer.close();
    }
  });
});
