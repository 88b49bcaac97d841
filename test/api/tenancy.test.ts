/**
 * Cross-tenant isolation: every route that takes an id is called with the ids of another portal
 * account's data and must answer 404 (and change nothing); the route list comes from the API's own
 * registry, so a new route without a case here fails the test.
 */
import { createApiV1 } from '../../api/v1';
import { createLogger } from '../../lib/logger';
import { call, createCompanyWithAccounts, createStatement, createTenant, useApi, type Tenant } from './support';

const api = useApi();
let mine: Tenant;
let other: Tenant;
let otherSecondary: Tenant;
const ids: Record<string, string> = {};

beforeAll(async () => {
  mine = await createTenant(api.prisma, { name: 'Mon cabinet' });
  other = await createTenant(api.prisma, { name: 'Autre cabinet' });
  otherSecondary = await createTenant(api.prisma, { name: 'Secondaire de l’autre', parent: other });
  const theirs = await createCompanyWithAccounts(api.prisma, otherSecondary, { accounts: 1 });
  const statement = await createStatement(api.prisma, theirs.accounts[0]!.id);
  const notification = await api.prisma.notification.create({
    data: { portalAccountId: other.accountId, kind: 'info', title: 'Titre', body: 'Corps' },
  });
  ids.company = theirs.company.id;
  ids.connection = theirs.connection.id;
  ids.bankAccount = theirs.accounts[0]!.id;
  ids.statement = statement.id;
  ids.notification = notification.id;
  ids.account = otherSecondary.accountId;
  const endpoint = await api.prisma.webhookEndpoint.create({
    data: {
      portalAccountId: other.accountId,
      url: 'https://hooks.example.com/x',
      events: ['link.expired'],
      secretEnc: 'x',
    },
  });
  await api.prisma.webhookEvent.create({
    data: {
      id: 'msg_tenancy',
      portalAccountId: other.accountId,
      type: 'link.expired',
      body: '{}',
      idempotencyKey: 't',
      occurredAt: new Date(),
    },
  });
  const delivery = await api.prisma.webhookMessage.create({
    data: { eventId: 'msg_tenancy', endpointId: endpoint.id },
  });
  ids.webhook = endpoint.id;
  ids.delivery = delivery.id;
});

const cases: Record<string, { id: keyof typeof ids; body?: unknown }> = {
  'get /companies/{id}': { id: 'company' },
  'patch /companies/{id}': { id: 'company', body: { name: 'Piraté' } },
  'post /companies/{id}/deactivate': { id: 'company' },
  'post /companies/{id}/reactivate': { id: 'company' },
  'post /companies/{id}/links': { id: 'company', body: {} },
  'get /companies/{id}/links': { id: 'company' },
  'post /companies/{id}/connect': { id: 'company', body: {} },
  'post /connections/{id}/links': { id: 'connection', body: {} },
  'post /connections/{id}/reconnect': { id: 'connection', body: {} },
  'get /connections/{id}': { id: 'connection' },
  'post /connections/{id}/collect': { id: 'connection', body: { statement: true } },
  'get /bank-accounts/{id}': { id: 'bankAccount' },
  'post /bank-accounts/{id}/deactivate': { id: 'bankAccount' },
  'post /bank-accounts/{id}/reactivate': { id: 'bankAccount' },
  'get /statements/{id}': { id: 'statement' },
  'get /statements/{id}/cfonb': { id: 'statement' },
  'get /statements/{id}/deleted.csv': { id: 'statement' },
  'get /statements/{id}/camt053': { id: 'statement' },
  'get /bank-accounts/{id}/formats': { id: 'bankAccount' },
  'put /bank-accounts/{id}/formats': { id: 'bankAccount', body: { statementFormats: 'both' } },
  'get /webhook-endpoints/{id}': { id: 'webhook' },
  'patch /webhook-endpoints/{id}': { id: 'webhook', body: { enabled: false } },
  'delete /webhook-endpoints/{id}': { id: 'webhook' },
  'post /webhook-endpoints/{id}/rotate-secret': { id: 'webhook' },
  'get /webhook-endpoints/{id}/deliveries': { id: 'webhook' },
  'post /webhook-deliveries/{id}/resend': { id: 'delivery' },
  'post /notifications/{id}/read': { id: 'notification' },
  'post /companies/{id}/email/reactivate': { id: 'company' },
  'post /statements/{id}/resend': { id: 'statement' },
  'get /accounts/{id}': { id: 'account' },
  'patch /accounts/{id}': { id: 'account', body: { name: 'Piraté' } },
  'post /accounts/{id}/close': { id: 'account' },
  'post /accounts/{id}/reopen': { id: 'account' },
  'post /accounts/{id}/invitation': { id: 'account' },
};

test('every route with an id answers 404 for another account’s data, with or without includeSecondary', async () => {
  const { operations } = createApiV1({
    config: api.config,
    prisma: api.prisma,
    temporal: api.temporal,
    logger: createLogger('t', 'silent'),
  });
  const withId = operations.filter((o) => o.path.includes('{id}')).map((o) => `${o.method} ${o.path}`);
  expect(withId.filter((r) => !cases[r])).toEqual([]); // every such route has a case below
  for (const route of withId) {
    const c = cases[route]!;
    const [method, path] = route.split(' ') as [string, string];
    for (const suffix of ['', '?includeSecondary=true']) {
      const r = await call(api, method.toUpperCase(), path.replace('{id}', ids[c.id]!) + suffix, {
        key: mine.key,
        body: c.body,
      });
      expect({ route, suffix, status: r.status }).toEqual({ route, suffix, status: 404 });
      expect(r.headers.get('content-type')).toContain('application/problem+json');
    }
  }
  // Nothing changed on their side.
  const company = await api.prisma.company.findUniqueOrThrow({ where: { id: ids.company } });
  expect(company).toMatchObject({ active: true });
  expect(company.name).not.toBe('Piraté');
  expect(await api.prisma.link.count({ where: { companyId: ids.company } })).toBe(0);
  expect((await api.prisma.notification.findUniqueOrThrow({ where: { id: ids.notification } })).readAt).toBeNull();
  expect(await api.prisma.auditEvent.count({ where: { portalAccountId: mine.accountId } })).toBe(0);
  expect(await api.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: ids.webhook } })).toMatchObject({
    enabled: true,
    secretEnc: 'x',
  });
  expect(
    (await api.prisma.bankAccount.findUniqueOrThrow({ where: { id: ids.bankAccount } })).statementFormats,
  ).toBeNull();
});

test('lists never show another account’s data; the ZIP refuses foreign ids', async () => {
  for (const path of ['/companies', '/bank-accounts', '/statements', '/notifications', '/banks']) {
    const r = await call(api, 'GET', `/api/v1${path}?includeSecondary=true`, { key: mine.key });
    expect({ path, status: r.status, total: r.body.total }).toEqual({ path, status: 200, total: 0 });
  }
  const zip = await call(api, 'POST', '/api/v1/statements/zip', { key: mine.key, body: { ids: [ids.statement] } });
  expect(zip.status).toBe(404);
});

test('a primary sees its secondary’s data only with includeSecondary; the secondary never sees its primary’s', async () => {
  const path = `/api/v1/bank-accounts/${ids.bankAccount}`;
  expect((await call(api, 'GET', path, { key: other.key })).status).toBe(404);
  expect((await call(api, 'GET', `${path}?includeSecondary=true`, { key: other.key })).status).toBe(200);
  expect((await call(api, 'GET', path, { key: otherSecondary.key })).status).toBe(200);
  const primaryCompany = await createCompanyWithAccounts(api.prisma, other, {});
  expect(
    (await call(api, 'GET', `/api/v1/companies/${primaryCompany.company.id}`, { key: otherSecondary.key })).status,
  ).toBe(404);
});
