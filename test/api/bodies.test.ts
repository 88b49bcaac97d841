/**
 * Malformed or oversize requests anywhere: the JSON API and Postmark's webhook answer 400/413/415
 * problem+json in French, the portal's forms and the company link pages a French page; never a
 * 500, and nothing changes in the database.
 */
import { PortalSession, textOf } from '../web/support';
import { call, createTenant, useApi, type Tenant } from './support';

const api = useApi();
let t: Tenant;

beforeAll(async () => {
  t = await createTenant(api.prisma);
  await api.prisma.portalAccount.update({
    where: { id: t.accountId },
    data: { acceptedTermsVersion: '2026-01', acceptedTermsAt: new Date() },
  });
});

/** Every row count that a request could have changed. */
async function snapshot() {
  const [companies, emails, suppressions, audit, sessions, links] = await Promise.all([
    api.prisma.company.count(),
    api.prisma.emailMessage.count(),
    api.prisma.emailSuppression.count(),
    api.prisma.auditEvent.count(),
    api.prisma.session.count(),
    api.prisma.link.count(),
  ]);
  return { companies, emails, suppressions, audit, sessions, links };
}

const company = {
  siren: '732829320',
  name: 'Société Corps',
  email: 'corps@example.test',
  periodicity: { kind: 'MONTHLY' },
};

test('JSON API: malformed, oversize, wrongly encoded bodies and a malformed URL answer problem+json, not 500', async () => {
  const before = await snapshot();
  const json = { authorization: `Bearer ${t.key}`, 'content-type': 'application/json' };
  const cases = [
    await call(api, 'POST', '/api/v1/companies', { raw: '{"siren": "7328', headers: json }),
    await call(api, 'POST', '/api/v1/companies', {
      raw: JSON.stringify({ ...company, name: 'x'.repeat(2 * 1024 * 1024) }),
      headers: json,
    }),
    await call(api, 'POST', '/api/v1/companies', {
      raw: JSON.stringify(company),
      headers: { ...json, 'content-type': 'application/json; charset=latin-9' },
    }),
    await call(api, 'POST', '/api/v1/companies', {
      raw: JSON.stringify(company),
      headers: { ...json, 'content-encoding': 'compress' },
    }),
    // Brotli is inflated by the parser (within the same limit): bytes that are not brotli are 400.
    await call(api, 'POST', '/api/v1/companies', {
      raw: JSON.stringify(company),
      headers: { ...json, 'content-encoding': 'br' },
    }),
    await call(api, 'POST', '/api/v1/auth/login', { raw: '{', headers: { 'content-type': 'application/json' } }),
    await call(api, 'GET', '/api/v1/companies/%E0%A4%A', { key: t.key }),
  ];
  expect(cases.map((c) => c.status)).toEqual([400, 413, 415, 415, 400, 400, 400]);
  for (const c of cases) {
    expect(c.headers.get('content-type')).toContain('application/problem+json');
    expect(c.body).toMatchObject({ type: 'about:blank', status: c.status, detail: expect.any(String) });
  }
  expect(cases.map((c) => c.body.detail)).toEqual([
    "Le corps de la requête n'est pas un JSON valide.",
    'Le corps de la requête est trop volumineux.',
    'Le corps de la requête utilise un encodage ou un jeu de caractères non pris en charge.',
    'Le corps de la requête utilise un encodage ou un jeu de caractères non pris en charge.',
    'Le corps de la requête est illisible ou incomplet.',
    "Le corps de la requête n'est pas un JSON valide.",
    "L'adresse de la requête est invalide.",
  ]);
  expect(await snapshot()).toEqual(before);
});

test('Postmark webhook: a malformed or oversize body is 400/413 problem+json once authenticated, nothing recorded', async () => {
  const before = await snapshot();
  const auth = `Basic ${Buffer.from(`postmark:${api.config.POSTMARK_WEBHOOK_SECRET}`).toString('base64')}`;
  const headers = { authorization: auth, 'content-type': 'application/json' };
  const malformed = await call(api, 'POST', '/webhooks/postmark', { raw: '{"RecordType": "Bounce",', headers });
  const oversize = await call(api, 'POST', '/webhooks/postmark', {
    raw: JSON.stringify({ RecordType: 'Bounce', Email: 'a@example.test', Details: 'x'.repeat(1100 * 1024) }),
    headers,
  });
  const wrongShape = await call(api, 'POST', '/webhooks/postmark', { raw: '[1, 2]', headers });
  expect([malformed.status, oversize.status, wrongShape.status]).toEqual([400, 413, 400]);
  for (const r of [malformed, oversize, wrongShape])
    expect(r.headers.get('content-type')).toContain('application/problem+json');
  // Without the credentials nothing is even read: 401.
  const anonymous = await call(api, 'POST', '/webhooks/postmark', {
    raw: '{',
    headers: { 'content-type': 'application/json' },
  });
  expect(anonymous.status).toBe(401);
  expect(await snapshot()).toEqual(before);
});

test('portal: a 300 KB form answers 413 with a French page, logged in or not; nothing is created', async () => {
  const s = new PortalSession(api);
  expect((await s.login(t.login, t.password)).status).toBe(303);
  const form = await s.get('/redevables/nouveau');
  expect(form.status).toBe(200);
  const before = await snapshot();
  const r = await s.post('/redevables/nouveau', {
    siren: company.siren,
    name: 'x'.repeat(300 * 1024),
    email: company.email,
    periodicityKind: 'MONTHLY',
  });
  expect(r.status).toBe(413);
  expect(r.headers.get('content-type')).toContain('text/html');
  expect(r.text).toContain('<html lang="fr">');
  expect(textOf(r.text)).toContain(
    'Le formulaire envoyé est trop volumineux. Réduisez le texte saisi ou la taille du fichier, puis réessayez.',
  );
  const anonymous = await new PortalSession(api).post('/connexion', { login: 'x'.repeat(300 * 1024), password: 'p' });
  expect(anonymous.status).toBe(413);
  expect(textOf(anonymous.text)).toContain('Le formulaire envoyé est trop volumineux.');
  // A charset the form parser does not know, a malformed address: French pages too.
  const charset = await s.request(
    'POST',
    '/redevables/nouveau',
    'a=b',
    'application/x-www-form-urlencoded; charset=klingon',
  );
  expect(charset.status).toBe(415);
  expect(textOf(charset.text)).toContain(
    'Le formulaire envoyé utilise un encodage ou un jeu de caractères non pris en charge.',
  );
  const url = await s.get('/redevables/%E0%A4%A');
  expect(url.status).toBe(400);
  expect(url.text).toContain('<html lang="fr">');
  expect(await snapshot()).toEqual(before);
});

test('company link pages: an oversize consent form answers 413 with a French page', async () => {
  const before = await snapshot();
  const res = await fetch(`${api.baseUrl}/l/${'A'.repeat(43)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `consent=yes&x=${'y'.repeat(10 * 1024)}`,
  });
  expect(res.status).toBe(413);
  const text = await res.text();
  expect(text).toContain('<html lang="fr">');
  expect(textOf(text)).toContain('Le formulaire envoyé est trop volumineux.');
  expect(await snapshot()).toEqual(before);
});
