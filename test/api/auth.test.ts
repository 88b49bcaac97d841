import { call, createTenant, useApi, type Tenant } from './support';
import { seedDemo } from '../../scripts/seed-demo';

// Behind a local reverse proxy: the seedDemo test logs in as another client (X-Forwarded-For).
const api = useApi({ rateLimits: { login: 8 }, env: { TRUST_PROXY: 'loopback' } });
let t: Tenant;

beforeAll(async () => {
  t = await createTenant(api.prisma);
});

async function login(tenant: Tenant, password = tenant.password) {
  const res = await fetch(`${api.baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login: tenant.login, password }),
  });
  const body = (await res.json()) as { csrfToken: string; detail: string };
  const cookie = res.headers.get('set-cookie') ?? '';
  return { status: res.status, body, cookie, session: cookie.split(';')[0]! };
}

test('requests without credentials, with an unknown key or a malformed header answer 401 problem+json', async () => {
  const none = await call(api, 'GET', '/api/v1/me');
  expect(none.status).toBe(401);
  expect(none.headers.get('content-type')).toContain('application/problem+json');
  expect(none.body.detail).toBe('Authentification requise.');
  expect((await call(api, 'GET', '/api/v1/me', { key: 'rlv_nope' })).status).toBe(401);
  expect((await call(api, 'GET', '/api/v1/me', { headers: { authorization: 'Basic abc' } })).status).toBe(401);
});

test('an API key identifies its account; a revoked key is refused; keys are stored hashed', async () => {
  const me = await call(api, 'GET', '/api/v1/me', { key: t.key });
  expect(me.status).toBe(200);
  expect(me.body.portalAccount.id).toBe(t.accountId);
  expect(me.body.actor.type).toBe('API_KEY');
  expect(me.body.csrfToken).toBeNull();
  expect(await api.prisma.apiKey.count({ where: { keyHash: t.key } })).toBe(0);

  const other = await createTenant(api.prisma);
  await api.prisma.apiKey.updateMany({ where: { portalAccountId: other.accountId }, data: { revokedAt: new Date() } });
  expect((await call(api, 'GET', '/api/v1/me', { key: other.key })).status).toBe(401);
});

test('login sets an httpOnly SameSite session cookie; cookie writes need the CSRF token; logout ends the session', async () => {
  const s = await login(t);
  expect(s.status).toBe(200);
  expect(s.cookie).toMatch(/^releves_session=/);
  expect(s.cookie).toMatch(/HttpOnly/i);
  expect(s.cookie).toMatch(/SameSite=Lax/i);
  expect(s.cookie).not.toMatch(/Secure/i); // plain http in tests
  const stored = await api.prisma.session.findMany({ where: { userId: t.userId } });
  expect(stored.length).toBeGreaterThan(0);
  expect(stored.some((x) => s.session.endsWith(x.id))).toBe(false); // only the hash is stored

  const me = await call(api, 'GET', '/api/v1/me', { headers: { cookie: s.session } });
  expect(me.status).toBe(200);
  expect(me.body.actor).toMatchObject({ type: 'USER', id: t.userId });
  const csrf = me.body.csrfToken as string;
  expect(csrf).toBe(s.body.csrfToken);

  const body = { name: 'Banque CSRF' };
  const without = await call(api, 'POST', '/api/v1/banks', { headers: { cookie: s.session }, body });
  expect(without.status).toBe(403);
  expect(without.body.detail).toMatch(/CSRF/);
  // One character changed, whatever the token's first character is (a fixed 'x' matched 1 token in 64).
  const tampered = (csrf[0] === 'A' ? 'B' : 'A') + csrf.slice(1);
  expect(tampered).not.toBe(csrf);
  const wrong = await call(api, 'POST', '/api/v1/banks', {
    headers: { cookie: s.session, 'x-csrf-token': tampered },
    body,
  });
  expect(wrong.status).toBe(403);
  const ok = await call(api, 'POST', '/api/v1/banks', { headers: { cookie: s.session, 'x-csrf-token': csrf }, body });
  expect(ok.status).toBe(201);
  const audit = await api.prisma.auditEvent.findFirst({ where: { action: 'bank.create', entityId: ok.body.id } });
  expect(audit).toMatchObject({ actorType: 'USER', actorId: t.userId, portalAccountId: t.accountId });

  const out = await call(api, 'POST', '/api/v1/auth/logout', { headers: { cookie: s.session, 'x-csrf-token': csrf } });
  expect(out.status).toBe(204);
  expect((await call(api, 'GET', '/api/v1/me', { headers: { cookie: s.session } })).status).toBe(401);
  expect(
    await api.prisma.auditEvent.count({ where: { actorId: t.userId, action: { in: ['auth.login', 'auth.logout'] } } }),
  ).toBeGreaterThanOrEqual(2);
});

test('an expired session is refused', async () => {
  const s = await login(t);
  await api.prisma.session.updateMany({
    where: { userId: t.userId },
    data: { expiresAt: new Date(Date.now() - 1000) },
  });
  const me = await call(api, 'GET', '/api/v1/me', { headers: { cookie: s.session } });
  expect(me.status).toBe(401);
  expect(me.body.detail).toMatch(/Session expirée/);
});

test('a user without the right gets 403', async () => {
  const viewer = await createTenant(api.prisma, { rights: ['VIEW_STATEMENTS'] });
  const s = await login(viewer);
  const r = await call(api, 'POST', '/api/v1/companies', {
    headers: { cookie: s.session, 'x-csrf-token': s.body.csrfToken },
    body: { siren: '732829320', name: 'X', email: 'x@x.fr', periodicity: { kind: 'DAILY' } },
  });
  expect(r.status).toBe(403);
  expect((await call(api, 'GET', '/api/v1/statements', { headers: { cookie: s.session } })).status).toBe(200);
});

test('login is validated, wrong passwords are refused, and attempts are rate-limited', async () => {
  const invalid = await call(api, 'POST', '/api/v1/auth/login', { body: { login: '' } });
  expect(invalid.status).toBe(400);
  expect(invalid.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['login', 'password']);
  const other = await createTenant(api.prisma);
  const bad = await login(other, 'wrong');
  expect(bad.status).toBe(401);
  expect(bad.body.detail).toBe('Identifiant ou mot de passe incorrect.');
  let last = 0;
  for (let i = 0; i < 6; i++) last = (await login(other, 'wrong')).status;
  expect(last).toBe(429);
});

test('security headers are set (helmet)', async () => {
  const r = await call(api, 'GET', '/api/v1/me', { key: t.key });
  expect(r.headers.get('x-content-type-options')).toBe('nosniff');
  expect(r.headers.get('content-security-policy')).toContain("default-src 'self'");
  expect(r.headers.get('x-powered-by')).toBeNull();
});

test('seedDemo is idempotent, its keys and login work, and the other account is isolated', async () => {
  const first = await seedDemo(api.databaseUrl, api.config);
  const second = await seedDemo(api.databaseUrl, api.config);
  expect(second).toEqual(first);
  expect(await api.prisma.portalAccount.count({ where: { id: first.portalAccountId } })).toBe(1);
  const me = await call(api, 'GET', '/api/v1/me', { key: first.apiKey });
  expect(me.body.portalAccount.kind).toBe('PRIMARY');
  expect(me.body.secondaryAccounts).toHaveLength(1);
  const companies = await call(api, 'GET', '/api/v1/companies?includeSecondary=true', { key: first.apiKey });
  expect(companies.body.total).toBe(4);
  const banks = await call(api, 'GET', '/api/v1/banks', { key: first.apiKey });
  expect(banks.body.total).toBe(1);
  const other = await call(api, 'GET', '/api/v1/companies', { key: first.otherApiKey });
  expect(other.body.total).toBe(1);
  expect(other.body.items[0].portalAccountId).not.toBe(first.portalAccountId);
  const s = await fetch(`${api.baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': '10.0.0.9' },
    body: JSON.stringify({ login: first.login, password: first.password }),
  });
  expect(s.status).toBe(200);
});
