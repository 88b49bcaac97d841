/**
 * Webhook authentication as production Powens does it, on the real app behind a reverse proxy that
 * strips a path prefix (POWENS_WEBHOOK_BASE_URL names the URL registered at Powens), with the
 * Bearer variant enabled (POWENS_WEBHOOK_BEARER=true):
 *  - BI-Signature covers the registered URL's path, not the path the app receives;
 *  - Powens' default `Authorization: Bearer <user token>` is checked against the stored, encrypted
 *    token of the company owning the connection the body names.
 * The sandbox delivers through the proxy as Powens would, signed or with the token.
 */
import { request as httpRequest, type Server } from 'node:http';
import { createPowensClient, encryptToken, webhookSignatureHeaders } from '../../integrations/powens';
import { createTenant } from '../api/support';
import { listening, stopServer } from '../support/stack';
import { CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, WEBHOOK_SECRET, waitFor } from './support';
import { usePowensStack } from './stack';

const PREFIX = '/releves';
const proxy = { server: undefined as Server | undefined, origin: '', target: '' };
beforeAll(async () => {
  const { server, origin } = await listening();
  Object.assign(proxy, { server, origin });
  // A reverse proxy publishing the app under /releves (the prefix is removed on the way in).
  server.on('request', (req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    if (!url.pathname.startsWith(`${PREFIX}/`)) return void res.writeHead(404).end();
    const target = new URL(`${url.pathname.slice(PREFIX.length)}${url.search}`, proxy.target);
    const out = httpRequest(target, { method: req.method, headers: { ...req.headers, host: target.host } }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    out.on('error', () => res.writeHead(502).end());
    req.pipe(out);
  });
});
afterAll(async () => {
  if (proxy.server) await stopServer(proxy.server);
});

const s = usePowensStack({
  env: () => ({
    POWENS_WEBHOOK_BASE_URL: `${proxy.origin}${PREFIX}/powens/webhooks`,
    POWENS_WEBHOOK_BEARER: 'true',
  }),
});
beforeAll(async () => {
  proxy.target = s.baseUrl;
  // The URL registered at Powens is the public one, through the proxy.
  await s.admin('PUT', '/webhooks/config', { url: `${proxy.origin}${PREFIX}/powens/webhooks/{event}`, auth: 'hmac' });
});

let dataId = 5000;
const client = () =>
  createPowensClient({ baseUrl: s.config.powensBaseUrl, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });

/** A company with its own Powens user and a connection made in the sandbox's webview, both stored. */
async function company() {
  const c = client();
  const user = await c.initUser();
  const { code } = await c.getTemporaryCode(user.auth_token);
  const url = `${s.sandboxOrigin}/webview/connect?domain=x&client_id=${CLIENT_ID}&code=${code}&redirect_uri=${encodeURIComponent(REDIRECT_URI)}`;
  const done = await s.admin<{ redirect: string }>('POST', '/webview/complete', { url, accounts: ['checking'] });
  expect(done.status).toBe(200);
  const powensConnectionId = Number(new URL(done.body.redirect).searchParams.get('connection_id'));
  const tenant = await createTenant(s.prisma);
  const row = await s.prisma.company.create({
    data: {
      portalAccountId: tenant.accountId,
      rootAccountId: tenant.rootId,
      siren: String(300000000 + (dataId % 1000) * 7919).slice(0, 9),
      name: 'Boulangerie',
      periodicityKind: 'MONTHLY',
      periodicityDay: 0,
      powensUserId: user.id_user,
      powensTokenEnc: encryptToken(user.auth_token, s.config.ENCRYPTION_KEY),
    },
  });
  const connection = await s.prisma.bankConnection.create({
    data: { companyId: row.id, portalAccountId: row.portalAccountId, powensConnectionId },
  });
  return { token: user.auth_token, userId: user.id_user, powensConnectionId, connection };
}

/** POSTs straight to the app (as the proxy would forward it), with the given headers. */
async function post(event: string, body: unknown, headers: Record<string, string>) {
  const raw = JSON.stringify(body);
  const res = await fetch(`${s.baseUrl}/powens/webhooks/${event}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: raw,
  });
  return { status: res.status, body: (await res.json()) as { error?: string; duplicate?: boolean } };
}
const signed = (path: string, body: unknown) =>
  webhookSignatureHeaders({ secret: WEBHOOK_SECRET, path, body: JSON.stringify(body) });

describe('HMAC over the registered URL’s path', () => {
  test('the sandbox’s signed deliveries through the proxy are accepted', async () => {
    const c = await company();
    const before = await s.prisma.webhookDelivery.count();
    const results = await s.sandbox.flushWebhooks();
    expect(results.length).toBeGreaterThanOrEqual(2);
    expect(results.every((r) => r.url.startsWith(`${proxy.origin}${PREFIX}/`) && r.status === 200)).toBe(true);
    expect(await s.prisma.webhookDelivery.count()).toBe(before + results.length);
    expect(
      await waitFor(
        () => s.signalsOf(c.connection.id).catch(() => [] as string[]),
        (n) => n.includes('synced'),
      ),
    ).toContain('accountsChanged');
  });

  test('signed over the path the app receives (without the proxy’s prefix): 401', async () => {
    const body = { id_webhook_data: ++dataId, id: 1, signin: '2026-11-23 10:00:00' };
    const received = await post('USER_CREATED', body, signed('/powens/webhooks/USER_CREATED', body));
    expect(received).toMatchObject({ status: 401, body: { error: 'signature refused: invalid-signature' } });
    const registered = await post('USER_CREATED', body, signed(`${PREFIX}/powens/webhooks/USER_CREATED`, body));
    expect(registered.status).toBe(200);
  });

  test('a request carrying BI-Signature is judged by it alone, even with a valid user token', async () => {
    const c = await company();
    const body = { id_webhook_data: ++dataId, user: { id: c.userId }, connection: { id: c.powensConnectionId } };
    const r = await post('ACCOUNTS_FETCHED', body, {
      ...signed('/wrong/path', body),
      authorization: `Bearer ${c.token}`,
    });
    expect(r.status).toBe(401);
  });
});

describe('Bearer user token (POWENS_WEBHOOK_BEARER=true)', () => {
  test('the sandbox’s deliveries without a provider (user token only) are accepted', async () => {
    await s.sandbox.flushWebhooks(); // earlier tests' webhooks, out of the way
    await s.admin('PUT', '/webhooks/config', { auth: 'bearer' });
    try {
      const c = await company();
      const results = await s.sandbox.flushWebhooks();
      expect(results.map((r) => [r.event, r.status])).toEqual([
        ['ACCOUNTS_FETCHED', 200],
        ['CONNECTION_SYNCED', 200],
      ]);
      expect(
        await waitFor(
          () => s.signalsOf(c.connection.id).catch(() => [] as string[]),
          (n) => n.includes('synced'),
        ),
      ).toContain('synced');
    } finally {
      await s.admin('PUT', '/webhooks/config', { auth: 'hmac' });
    }
  });

  test('another company’s token, an unknown token or a body naming nobody we know: 401, nothing recorded', async () => {
    const a = await company();
    const b = await company();
    await s.sandbox.flushWebhooks(); // their own connection webhooks, out of the way
    const synced = (id: number, userId: number) => ({
      id_webhook_data: ++dataId,
      user: { id: userId, signin: '2026-11-23 10:00:00' },
      connection: { id, state: 'wrongpass', last_update: null, accounts: [] },
    });
    const cases = [
      await post('CONNECTION_SYNCED', synced(a.powensConnectionId, a.userId), { authorization: `Bearer ${b.token}` }),
      await post('CONNECTION_SYNCED', synced(a.powensConnectionId, a.userId), { authorization: 'Bearer nope' }),
      await post('CONNECTION_SYNCED', synced(987654, 987654), { authorization: `Bearer ${a.token}` }),
    ];
    expect(cases.map((c) => c.status)).toEqual([401, 401, 401]);
    expect(cases[0]!.body.error).toBe('token refused: not the user token of the connection');
    const ids = [dataId, dataId - 1, dataId - 2].map(String);
    expect(await s.prisma.webhookDelivery.count({ where: { id: { in: ids } } })).toBe(0);

    const ok = await post('CONNECTION_SYNCED', synced(a.powensConnectionId, a.userId), {
      authorization: `Bearer ${a.token}`,
    });
    expect(ok).toEqual({ status: 200, body: { received: true, duplicate: false } });
    // An event without a connection names its user.
    const user = await post(
      'USER_DELETED',
      { id_webhook_data: ++dataId, id: b.userId, signin: '2026-11-23 10:00:00' },
      { authorization: `Bearer ${b.token}` },
    );
    expect(user.status).toBe(200);
  });
});
