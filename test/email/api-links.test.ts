/**
 * The portal API sends its link e-mails through the e-mail module: the add-accounts link, and with
 * a bank of the referential the INGENEO-style connection request, sent to the company via the sink.
 */
import { createEmailActivities } from '../../email';
import { call, createCompanyWithAccounts, createTenant, useApi, type Tenant } from '../api/support';
import { useSink } from './support';

const api = useApi();
const sink = useSink();
let t: Tenant;

beforeAll(async () => {
  t = await createTenant(api.prisma, { name: 'EXPERT COMPTABLE TEST' });
});

test('a link with a bank of the referential is the connection request naming it', async () => {
  const bank = await api.prisma.bank.create({ data: { portalAccountId: t.accountId, name: 'Crédit Agricole' } });
  const { company } = await createCompanyWithAccounts(api.prisma, t, { accounts: 0 });
  const r = await call(api, 'POST', `/api/v1/companies/${company.id}/links`, { key: t.key, body: { bankId: bank.id } });
  expect(r.status).toBe(201);
  const mail = await api.prisma.emailMessage.findUniqueOrThrow({ where: { idempotencyKey: `link:${r.body.id}` } });
  expect(mail.kind).toBe('company.connection-request');
  expect(mail.subject).toContain('vous demande de connecter votre banque Crédit Agricole');

  await createEmailActivities({ config: sink.config, prisma: api.prisma, sql: api.sql }).sendPendingEmails();
  const [received] = await sink.messages(company.email!);
  expect(received!.text).toContain('EXPERT COMPTABLE TEST vous invite à connecter votre banque Crédit Agricole');
  expect(received!.text).toContain('48 à 72 heures après la connexion');
  expect(received!.text).toMatch(/http:\/\/releves\.test\/l\/[A-Za-z0-9_-]{43}/);
});

test('without a bank it is the add-accounts link (4.1.2); a bank of another account is refused', async () => {
  const { company } = await createCompanyWithAccounts(api.prisma, t, { accounts: 0 });
  const plain = await call(api, 'POST', `/api/v1/companies/${company.id}/links`, { key: t.key, body: {} });
  expect(
    (await api.prisma.emailMessage.findUniqueOrThrow({ where: { idempotencyKey: `link:${plain.body.id}` } })).kind,
  ).toBe('link.add-accounts');

  const other = await createTenant(api.prisma);
  const foreign = await api.prisma.bank.create({ data: { portalAccountId: other.accountId, name: 'Banque X' } });
  const r = await call(api, 'POST', `/api/v1/companies/${company.id}/links`, {
    key: t.key,
    body: { bankId: foreign.id },
  });
  expect(r.status).toBe(400);
  expect(r.body.errors).toEqual([{ field: 'bankId', reason: expect.any(String) }]);
});
