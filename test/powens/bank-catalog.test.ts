/**
 * The bank referential's catalogue (issue 20): the sandbox serves GET /connectors with the fields
 * Powens documents; the refresh caches them (daily: a fresh catalogue is left alone), with the
 * maintenance state from the connector's sources; the portal API searches it by name (accents and
 * case ignored); choosing a bank puts it in the referential and the webview opens on it
 * (`connector_uuids`), from the company's link e-mail and from a direct connection; a connection
 * of a bank in maintenance reports it from its collect.
 */
import { refreshConnectorCatalog } from '../../activities/bank-catalog';
import { createPowensClient } from '../../integrations/powens';
import { call, createCompanyWithAccounts, createTenant, type Tenant } from '../api/support';
import { linkTokenFromEmail, usePowensStack } from './stack';
import { CLIENT_ID, CLIENT_SECRET } from './support';

const s = usePowensStack();
let firm: Tenant;
let client: ReturnType<typeof createPowensClient>;

beforeAll(async () => {
  firm = await createTenant(s.prisma, { name: 'Cabinet Banques' });
  client = createPowensClient({
    baseUrl: s.config.powensBaseUrl,
    webviewUrl: s.config.powensWebviewUrl,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
  });
});

test('the sandbox serves the Connector object as Powens documents it (expand adds sources)', async () => {
  const res = await fetch(`${s.sandboxOrigin}/2.0/connectors?expand=sources`);
  const body = (await res.json()) as { connectors: Array<Record<string, unknown>> };
  const c = body.connectors.find((x) => x.name === 'Connecteur de test')!;
  expect(Object.keys(c).sort()).toEqual(
    [
      'id',
      'uuid',
      'name',
      'hidden',
      'charged',
      'code',
      'beta',
      'color',
      'slug',
      'capabilities',
      'urls',
      'sync_periodicity',
      'months_to_fetch',
      'auth_mechanism',
      'transfer_mechanism',
      'siret',
      'restricted',
      'sources',
    ].sort(),
  );
  expect(c).toMatchObject({ id: 59, capabilities: ['bank'], auth_mechanism: 'credentials', restricted: false });
  expect(c.sources).toEqual([
    { id: 591, id_connector: 59, name: 'directaccess', auth_mechanism: 'credentials', disabled: null, priority: 1 },
  ]);
  const plain = (await (await fetch(`${s.sandboxOrigin}/2.0/connectors`)).json()) as {
    connectors: Array<Record<string, unknown>>;
  };
  expect(plain.connectors[0]).not.toHaveProperty('sources');
  expect(plain.connectors[0]).not.toHaveProperty('fields');
});

test('the refresh caches the connectors with their maintenance state, once a day', async () => {
  await s.admin('POST', '/connectors/Néobanque Démo/maintenance', { on: true });
  const first = await refreshConnectorCatalog({ prisma: s.prisma, client }, { force: true });
  expect(first).toEqual({ refreshed: true, connectors: 4, maintenance: 1 });
  const neo = await s.prisma.powensConnector.findFirstOrThrow({ where: { name: 'Néobanque Démo' } });
  expect(neo).toMatchObject({ powensId: 61, maintenance: true, capabilities: ['bank'], color: '6c3fd1', listed: true });
  // Younger than a day: left alone.
  expect((await refreshConnectorCatalog({ prisma: s.prisma, client })).refreshed).toBe(false);
  // The day after: refreshed, the maintenance over.
  await s.admin('POST', '/connectors/Néobanque Démo/maintenance', { on: false });
  const later = await refreshConnectorCatalog({
    prisma: s.prisma,
    client,
    now: () => new Date(Date.now() + 25 * 3600_000),
  });
  expect(later).toMatchObject({ refreshed: true, maintenance: 0 });
});

test('the catalogue is searched by name, accents and case ignored, with each bank’s state in French', async () => {
  await s.admin('POST', '/connectors/Crédit Fictif/maintenance', { on: true });
  await refreshConnectorCatalog({ prisma: s.prisma, client }, { force: true });
  const r = await call(s, 'GET', '/api/v1/bank-catalog?name=credit', { key: firm.key });
  expect(r.status).toBe(200);
  expect(r.body.items.map((c: { name: string }) => c.name)).toEqual(['Crédit Fictif']);
  expect(r.body.items[0]).toMatchObject({
    maintenance: true,
    state: 'En maintenance : les synchronisations reprendront à la fin de la maintenance',
  });
  const all = await call(s, 'GET', '/api/v1/bank-catalog', { key: firm.key });
  expect(all.body.total).toBe(4);
  await s.admin('POST', '/connectors/Crédit Fictif/maintenance', { on: false });
});

test('a bank chosen in the catalogue: the link e-mail and the direct connection open the webview on it', async () => {
  await refreshConnectorCatalog({ prisma: s.prisma, client }, { force: true });
  const fictif = await s.prisma.powensConnector.findFirstOrThrow({ where: { name: 'Crédit Fictif' } });
  const { company } = await createCompanyWithAccounts(s.prisma, firm, { email: 'choix@banque.test' });
  const link = await call(s, 'POST', `/api/v1/companies/${company.id}/links`, {
    key: firm.key,
    body: { connectorUuid: fictif.uuid },
  });
  expect(link.status).toBe(201);
  const bank = await s.prisma.bank.findFirstOrThrow({ where: { portalAccountId: firm.accountId } });
  expect(bank).toMatchObject({ name: 'Crédit Fictif', powensConnectorUuid: fictif.uuid, powensConnectorId: 60 });
  const mail = await s.prisma.emailMessage.findFirstOrThrow({ where: { to: 'choix@banque.test' } });
  expect(mail.subject).toContain('Crédit Fictif');
  // The company consents on its link page: the webview opens on that bank.
  const token = await linkTokenFromEmail(s.prisma, 'choix@banque.test');
  const consent = await fetch(`${s.baseUrl}/l/${token}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'consent=yes',
    redirect: 'manual',
  });
  expect(consent.status).toBe(303);
  expect(new URL(consent.headers.get('location')!).searchParams.get('connector_uuids')).toBe(fictif.uuid);

  // The firm's own SIREN: the direct connection opens on the chosen bank too.
  const own = await createCompanyWithAccounts(s.prisma, firm, {
    siren: (await s.prisma.portalAccount.findUniqueOrThrow({ where: { id: firm.accountId } })).siren,
  });
  const neo = await s.prisma.powensConnector.findFirstOrThrow({ where: { name: 'Néobanque Démo' } });
  const direct = await call(s, 'POST', `/api/v1/companies/${own.company.id}/connect`, {
    key: firm.key,
    body: { connectorUuid: neo.uuid },
  });
  expect(direct.status).toBe(200);
  expect(new URL(direct.body.url as string).searchParams.get('connector_uuids')).toBe(neo.uuid);
  const unknown = await call(s, 'POST', `/api/v1/companies/${own.company.id}/connect`, {
    key: firm.key,
    body: { connectorUuid: 'not-a-connector' },
  });
  expect(unknown.status).toBe(400);
  // The referential lists the banks with their catalogue state.
  const banks = await call(s, 'GET', '/api/v1/banks', { key: firm.key });
  expect(
    banks.body.items.map((b: { name: string; connector: { state: string } }) => [b.name, b.connector.state]),
  ).toEqual([
    ['Crédit Fictif', 'Disponible'],
    ['Néobanque Démo', 'Disponible'],
  ]);
});
