/**
 * TRUST_PROXY over HTTP: the client address Express derives is what the rate limits count and the
 * audit rows record. From an untrusted peer (TRUST_PROXY off, or a list that does not name it) a
 * changing X-Forwarded-For never resets a limit, on the API, the link pages and the portal's login;
 * the portal's own hop to the API cannot be forged; from a trusted proxy, the forwarded address and
 * protocol count (each client its own limit, Secure session cookie behind https).
 */
import { PortalSession } from '../web/support';
import { call, createTenant, listenApp, testConfig, useApi, type Tenant } from './support';

const api = useApi();
let t: Tenant;
const stops: Array<() => Promise<void>> = [];

beforeAll(async () => {
  t = await createTenant(api.prisma);
});
afterAll(async () => {
  for (const stop of stops) await stop();
});

async function app(env: Record<string, string>) {
  const started = await listenApp(api, { config: testConfig(env) });
  stops.push(started.close);
  return { ...api, baseUrl: started.baseUrl };
}

const sessions = () => api.prisma.session.count({ where: { userId: t.userId } });
const logins = () => api.prisma.auditEvent.count({ where: { actorId: t.userId, action: 'auth.login' } });

/** `n` API login attempts with a wrong password, each claiming another client address. */
async function spoofedLogins(baseUrl: string, n: number, extra: Record<string, string> = {}) {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${baseUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': `203.0.113.${i + 1}`, ...extra },
      body: JSON.stringify({ login: t.login, password: 'mauvais' }),
    });
    statuses.push(res.status);
    await res.arrayBuffer();
  }
  return statuses;
}

test('TRUST_PROXY off (default): 30 logins with a changing X-Forwarded-For still get 429 after the limit, and the right password then too', async () => {
  const before = { sessions: await sessions(), logins: await logins() };
  const statuses = await spoofedLogins(api.baseUrl, 30);
  expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
  expect(statuses.slice(10)).toEqual(Array(20).fill(429));
  const right = await call(api, 'POST', '/api/v1/auth/login', {
    body: { login: t.login, password: t.password },
    headers: { 'x-forwarded-for': '198.51.100.77' },
  });
  expect(right.status).toBe(429);
  expect(right.headers.get('content-type')).toContain('application/problem+json');
  expect(right.body.detail).toBe('Trop de tentatives de connexion : réessayez dans quelques minutes.');
  expect({ sessions: await sessions(), logins: await logins() }).toEqual(before);
});

test('a list of proxies that does not name the peer: X-Forwarded-For is ignored, the limit holds', async () => {
  const behind = await app({ TRUST_PROXY: '10.0.0.0/8,192.168.0.1' });
  const statuses = await spoofedLogins(behind.baseUrl, 30);
  expect(statuses.filter((s) => s === 429)).toHaveLength(20);
});

test('the portal’s hop to its API cannot be forged: a wrong hop secret with changing client addresses still gets 429', async () => {
  const fresh = await app({});
  const statuses = await spoofedLogins(fresh.baseUrl, 30, {
    'x-releves-portal-hop': 'guessed-secret',
    'x-releves-client-ip': '198.51.100.1',
  });
  expect(statuses.filter((s) => s === 429)).toHaveLength(20);
});

test('the portal’s login form: changing X-Forwarded-For does not reset its limit either', async () => {
  const fresh = await app({});
  const before = { sessions: await sessions(), logins: await logins() };
  const statuses: number[] = [];
  for (let i = 0; i < 30; i++) {
    const res = await fetch(`${fresh.baseUrl}/connexion`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': `203.0.113.${i + 1}` },
      body: new URLSearchParams({ login: t.login, password: 'mauvais', retour: '/redevables' }).toString(),
    });
    statuses.push(res.status);
    await res.arrayBuffer();
  }
  expect(statuses.slice(10)).toEqual(Array(20).fill(429));
  expect({ sessions: await sessions(), logins: await logins() }).toEqual(before);
});

test('the company link pages: 35 requests with changing X-Forwarded-For get 429 past 30', async () => {
  const fresh = await app({});
  const statuses: number[] = [];
  for (let i = 0; i < 35; i++) {
    const res = await fetch(`${fresh.baseUrl}/l/${'A'.repeat(43)}`, {
      headers: { 'x-forwarded-for': `203.0.113.${i}` },
    });
    statuses.push(res.status);
    await res.arrayBuffer();
  }
  expect(statuses.slice(0, 30)).toEqual(Array(30).fill(404));
  expect(statuses.slice(30)).toEqual(Array(5).fill(429));
});

test('behind a trusted proxy: each forwarded client has its own limit, is audited with its address, and gets a Secure cookie over https', async () => {
  const proxied = await app({ TRUST_PROXY: 'loopback' });
  // Another client's failures do not block this one.
  expect((await spoofedLogins(proxied.baseUrl, 12)).every((s) => s === 401)).toBe(true);
  const r = await call(proxied, 'POST', '/api/v1/auth/login', {
    body: { login: t.login, password: t.password },
    headers: { 'x-forwarded-for': '198.51.100.20', 'x-forwarded-proto': 'https' },
  });
  expect(r.status).toBe(200);
  expect(r.headers.get('set-cookie')).toMatch(/; Secure/i);
  const audit = await api.prisma.auditEvent.findFirstOrThrow({
    where: { actorId: t.userId, action: 'auth.login' },
    orderBy: { at: 'desc' },
  });
  expect(audit.ip).toBe('198.51.100.20');
  // Plain http behind the proxy (and http PUBLIC_BASE_URL): not Secure.
  const plain = await call(proxied, 'POST', '/api/v1/auth/login', {
    body: { login: t.login, password: t.password },
    headers: { 'x-forwarded-for': '198.51.100.21' },
  });
  expect(plain.headers.get('set-cookie')).not.toMatch(/Secure/i);

  // The portal: its internal API call keeps the browser's address and protocol.
  const page = await fetch(`${proxied.baseUrl}/connexion`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-forwarded-for': '198.51.100.30',
      'x-forwarded-proto': 'https',
    },
    body: new URLSearchParams({ login: t.login, password: t.password, retour: '/redevables' }).toString(),
    redirect: 'manual',
  });
  expect(page.status).toBe(303);
  expect(page.headers.getSetCookie().find((c) => c.startsWith('releves_session='))).toMatch(/; Secure/i);
  const portalAudit = await api.prisma.auditEvent.findFirstOrThrow({
    where: { actorId: t.userId, action: 'auth.login' },
    orderBy: { at: 'desc' },
  });
  expect(portalAudit.ip).toBe('198.51.100.30');
});

test('an https PUBLIC_BASE_URL makes the session cookie Secure on the API and the portal, whatever the hop', async () => {
  const https = await app({ PUBLIC_BASE_URL: 'https://releves.example.fr' });
  const r = await call(https, 'POST', '/api/v1/auth/login', { body: { login: t.login, password: t.password } });
  expect(r.headers.get('set-cookie')).toMatch(/; Secure/i);
  const page = await new PortalSession(https).login(t.login, t.password);
  expect(page.status).toBe(303);
  expect(page.headers.getSetCookie().find((c) => c.startsWith('releves_session='))).toMatch(/; Secure/i);
});
