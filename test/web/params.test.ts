/**
 * Portal path parameters never reach the API as paths: every `:id` route of the portal refuses a
 * non-UUID id with a French 404 (the traversals of the issue among them), and the portal's API
 * client refuses any unsafe segment. Each refusal leaves the database as it was.
 */
import type { Request } from 'express';
import { createPortal } from '../../web';
import { ApiClient, ApiError } from '../../web/api-client';
import { createLogger } from '../../lib/logger';
import { createCompanyWithAccounts, createTenant, useApi, type Tenant } from '../api/support';
import { PortalSession, textOf } from './support';

const api = useApi();
let t: Tenant;
let s: PortalSession;
let fixture: Awaited<ReturnType<typeof createCompanyWithAccounts>>;

beforeAll(async () => {
  t = await createTenant(api.prisma);
  await api.prisma.portalAccount.update({
    where: { id: t.accountId },
    data: { acceptedTermsVersion: '2026-01', acceptedTermsAt: new Date() },
  });
  fixture = await createCompanyWithAccounts(api.prisma, t, { accounts: 2 });
  s = new PortalSession(api);
  expect((await s.login(t.login, t.password)).status).toBe(303);
  expect((await s.get('/redevables')).status).toBe(200); // the CSRF token of the session
});

async function state() {
  const [company, accounts, audit, links, emails] = await Promise.all([
    api.prisma.company.findUniqueOrThrow({ where: { id: fixture.company.id } }),
    api.prisma.bankAccount.findMany({ where: { companyId: fixture.company.id }, orderBy: { id: 'asc' } }),
    api.prisma.auditEvent.count(),
    api.prisma.link.count(),
    api.prisma.emailMessage.count(),
  ]);
  return { company, accounts, audit, links, emails };
}

const expectNotFound = (r: { status: number; text: string }) => {
  expect(r.status).toBe(404);
  expect(r.text).toContain('<html lang="fr">');
  expect(textOf(r.text)).toContain('Cette page n’existe pas.');
};

test('the issue’s traversals: /redevables/..%2F..%2Fv1%2Fme reads nothing, /comptes/..%2Fcompanies%2F<id>/desactiver deactivates nothing', async () => {
  const before = await state();
  const me = await s.get('/redevables/..%2F..%2Fv1%2Fme');
  expectNotFound(me);
  expect(me.text).not.toContain(t.accountId);
  const deactivate = await s.post(`/comptes/..%2Fcompanies%2F${fixture.company.id}/desactiver`);
  expectNotFound(deactivate);
  expect(await state()).toEqual(before);
  expect((await state()).company.active).toBe(true);
  // The account's own id still works.
  const own = await s.post(`/comptes/${fixture.accounts[0]!.id}/desactiver`);
  expect(own.status).toBe(303);
  expect((await api.prisma.bankAccount.findUniqueOrThrow({ where: { id: fixture.accounts[0]!.id } })).active).toBe(
    false,
  );
  expect(await api.prisma.company.findUniqueOrThrow({ where: { id: fixture.company.id } })).toMatchObject({
    active: true,
  });
  await s.post(`/comptes/${fixture.accounts[0]!.id}/reactiver`);
});

test('every :id route of the portal answers a French 404 to ids that are not UUIDs, never a 500, and changes nothing', async () => {
  const router = createPortal({ logger: createLogger('test', 'silent') });
  const routes = router.stack
    .filter((l) => l.route?.path.includes(':id'))
    .flatMap((l) =>
      Object.keys((l.route as unknown as { methods: Record<string, boolean> }).methods).map(
        (m) => [m.toUpperCase(), l.route!.path] as const,
      ),
    );
  expect(routes.length).toBeGreaterThanOrEqual(19);
  const ids = [
    '..%2F..%2Fv1%2Fme',
    `..%2Fcompanies%2F${fixture.company.id}`,
    '.%2E%2Fx',
    `${fixture.company.id}%3Fx%3D1`,
    `${fixture.company.id}%23`,
    'not-a-uuid',
    `${fixture.company.id}x`,
  ];
  const before = await state();
  for (const [method, path] of routes)
    for (const id of ids) {
      const url = path.replace(':id', id);
      const r = method === 'GET' ? await s.get(url) : await s.post(url);
      expect({ method, url, status: r.status }).toEqual({ method, url, status: 404 });
      expect(textOf(r.text)).toContain('Cette page n’existe pas.');
    }
  expect(await state()).toEqual(before);
});

test('the portal’s API client refuses any path segment that could leave its resource', () => {
  const client = new ApiClient({
    socket: { localAddress: '127.0.0.1', localPort: 3000 },
    headers: {},
  } as unknown as Request);
  for (const path of [
    '/companies/../../v1/me',
    '/bank-accounts/../companies/x/deactivate',
    '/companies/./x',
    '/companies/x?y=1',
    '/companies/x#y',
    '/companies/a%2Fb',
    '/companies/a b',
    '/companies//x',
    'companies/x',
  ]) {
    expect(() => client.url(path)).toThrow(ApiError);
    try {
      client.url(path);
    } catch (e) {
      expect((e as ApiError).problem.status).toBe(404);
    }
  }
  expect(client.url('/statements/0b5f7c1e-8f6a-4d2b-9c1a-2f3e4d5c6b7a/deleted.csv', { a: 'b/../c' })).toBe(
    'http://127.0.0.1:3000/api/v1/statements/0b5f7c1e-8f6a-4d2b-9c1a-2f3e4d5c6b7a/deleted.csv?a=b%2F..%2Fc',
  );
});
