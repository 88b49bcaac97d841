/**
 * The portal's login and sessions: a login form posted from another site (foreign Origin,
 * `Origin: null`, Sec-Fetch-Site cross-site) gets no session; a session closes after
 * SESSION_IDLE_MINUTES without use and 12 hours after login however active, and use moves its
 * idle expiry.
 */
import { SESSION_TTL_MS } from '../../api/auth';
import { call, createTenant, listenApp, testConfig, useApi, type Tenant } from '../api/support';
import { PortalSession, textOf } from './support';

// Many logins from one address in this file: the login limit is test/api/client-address.test.ts' subject.
const api = useApi({ rateLimits: { login: 100 } });
let t: Tenant;

beforeAll(async () => {
  t = await createTenant(api.prisma);
  await api.prisma.portalAccount.update({
    where: { id: t.accountId },
    data: { acceptedTermsVersion: '2026-01', acceptedTermsAt: new Date() },
  });
});

const counts = async () => ({
  sessions: await api.prisma.session.count({ where: { userId: t.userId } }),
  logins: await api.prisma.auditEvent.count({ where: { actorId: t.userId, action: 'auth.login' } }),
});

function postLogin(headers: Record<string, string>, baseUrl = api.baseUrl) {
  return fetch(`${baseUrl}/connexion`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ login: t.login, password: t.password, retour: '/redevables' }).toString(),
    redirect: 'manual',
  });
}

describe('login from another site', () => {
  test('a foreign origin, Origin: null and a cross-site fetch are refused with a French page, no session', async () => {
    const before = await counts();
    const refused: Array<Record<string, string>> = [
      { origin: 'null' },
      { origin: 'https://evil.example' },
      { origin: 'http://releves.test.evil.example' },
      { 'sec-fetch-site': 'cross-site', origin: api.baseUrl },
      { 'sec-fetch-site': 'same-site' },
      { 'sec-fetch-site': 'none' },
    ];
    for (const headers of refused) {
      const r = await postLogin(headers);
      expect({ headers, status: r.status }).toEqual({ headers, status: 403 });
      expect(r.headers.getSetCookie()).toEqual([]);
      expect(textOf(await r.text())).toContain('Connexion refusée : le formulaire ne provient pas de ce site.');
    }
    expect(await counts()).toEqual(before);
  });

  test('the API’s login takes JSON only: a cross-site form (text/plain, urlencoded) cannot post it', async () => {
    const before = await counts();
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const r = await fetch(`${api.baseUrl}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': type, origin: 'https://evil.example' },
        body: JSON.stringify({ login: t.login, password: t.password }),
      });
      expect({ type, status: r.status }).toEqual({ type, status: 400 });
      expect(r.headers.getSetCookie()).toEqual([]);
    }
    expect(await counts()).toEqual(before);
  });

  test('the portal’s own page (its origin, or the public one, or same-origin fetch metadata) logs in', async () => {
    const accepted: Array<Record<string, string>> = [
      { origin: api.baseUrl, 'sec-fetch-site': 'same-origin' },
      { origin: api.baseUrl },
      { origin: 'http://releves.test' },
      {},
    ];
    for (const headers of accepted) {
      const r = await postLogin(headers);
      expect({ headers, status: r.status }).toEqual({ headers, status: 303 });
      expect(r.headers.getSetCookie().join()).toMatch(/releves_session=/);
    }
  });
});

describe('idle timeout and absolute lifetime', () => {
  async function loggedIn() {
    const s = new PortalSession(api);
    expect((await s.login(t.login, t.password)).status).toBe(303);
    const session = await api.prisma.session.findFirstOrThrow({
      where: { userId: t.userId },
      orderBy: { createdAt: 'desc' },
    });
    return { s, session };
  }
  const minutes = (n: number) => n * 60_000;

  test('a login opens a session for SESSION_IDLE_MINUTES (30 by default)', async () => {
    const { session } = await loggedIn();
    expect(session.expiresAt.getTime() - session.createdAt.getTime()).toBe(minutes(30));
    const five = await listenApp(api, { config: testConfig({ SESSION_IDLE_MINUTES: '5' }) });
    try {
      const r = await call({ ...api, baseUrl: five.baseUrl }, 'POST', '/api/v1/auth/login', {
        body: { login: t.login, password: t.password },
      });
      expect(r.status).toBe(200);
      const s5 = await api.prisma.session.findFirstOrThrow({
        where: { userId: t.userId },
        orderBy: { createdAt: 'desc' },
      });
      expect(s5.expiresAt.getTime() - s5.createdAt.getTime()).toBe(minutes(5));
    } finally {
      await five.close();
    }
  });

  test('unused for longer than the idle timeout: closed (the portal sends to the login page, the API 401)', async () => {
    const { s, session } = await loggedIn();
    expect((await s.get('/redevables')).status).toBe(200);
    // Last used 31 minutes ago.
    await api.prisma.session.update({
      where: { id: session.id },
      data: { createdAt: new Date(Date.now() - minutes(40)), expiresAt: new Date(Date.now() - minutes(1)) },
    });
    const page = await s.get('/redevables');
    expect(page.status).toBe(303);
    expect(page.location).toBe('/connexion?retour=%2Fredevables');
    const me = await call(api, 'GET', '/api/v1/me', {
      headers: { cookie: `releves_session=${s.cookie('releves_session')}` },
    });
    expect(me.status).toBe(401);
    expect(me.body.detail).toBe('Session expirée : veuillez vous reconnecter.');
  });

  test('used within the idle timeout: its expiry moves to 30 minutes after this use', async () => {
    const { s, session } = await loggedIn();
    await api.prisma.session.update({
      where: { id: session.id },
      data: { createdAt: new Date(Date.now() - minutes(28)), expiresAt: new Date(Date.now() + minutes(2)) },
    });
    const before = Date.now();
    expect((await s.get('/redevables')).status).toBe(200);
    const moved = await api.prisma.session.findUniqueOrThrow({ where: { id: session.id } });
    expect(moved.expiresAt.getTime()).toBeGreaterThanOrEqual(before + minutes(30) - 1000);
    expect(moved.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + minutes(30));
  });

  test('however active, a session ends 12 hours after login', async () => {
    const { s, session } = await loggedIn();
    const createdAt = new Date(Date.now() - SESSION_TTL_MS + minutes(5));
    await api.prisma.session.update({
      where: { id: session.id },
      data: { createdAt, expiresAt: new Date(Date.now() + 30_000) },
    });
    expect((await s.get('/redevables')).status).toBe(200);
    const capped = await api.prisma.session.findUniqueOrThrow({ where: { id: session.id } });
    expect(capped.expiresAt.getTime()).toBe(createdAt.getTime() + SESSION_TTL_MS);
    // Past the 12 hours, even with an expiry further away (written before the rule): closed.
    await api.prisma.session.update({
      where: { id: session.id },
      data: { createdAt: new Date(Date.now() - SESSION_TTL_MS - 1000), expiresAt: new Date(Date.now() + minutes(10)) },
    });
    expect((await s.get('/redevables')).status).toBe(303);
  });
});
