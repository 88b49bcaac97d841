/**
 * Issue 19 in the portal: the formats on the company's edit form, the camt.053 download and the
 * balance break in Réception (flag, filter, detail).
 */
import { createCompanyWithAccounts, createStatement, createTenant, useApi, type Tenant } from '../api/support';
import { PortalSession, textOf } from './support';

const api = useApi();
let firm: Tenant;
let s: PortalSession;
let companyId: string;
let ok: string;
let broken: string;

beforeAll(async () => {
  firm = await createTenant(api.prisma, { name: 'Cabinet Formats' });
  await api.prisma.portalAccount.update({
    where: { id: firm.accountId },
    data: { acceptedTermsVersion: '2026-01', acceptedTermsAt: new Date() },
  });
  const c = await createCompanyWithAccounts(api.prisma, firm, { accounts: 2, name: 'Atelier Formats' });
  companyId = c.company.id;
  await api.prisma.bankAccount.updateMany({
    where: { companyId },
    data: { iban: 'FR7630004000031234567890143' },
  });
  ok = (await createStatement(api.prisma, c.accounts[0]!.id, { periodEnd: '2026-09-30' })).id;
  broken = (await createStatement(api.prisma, c.accounts[1]!.id, { periodEnd: '2026-09-30' })).id;
  await api.prisma.statement.update({
    where: { id: broken },
    data: { previousClosingBalance: '100', bankBalance: '102.34', bookedAfterPeriodEnd: '0', balanceBreak: true },
  });
  s = new PortalSession(api);
  expect((await s.login(firm.login, firm.password)).status).toBe(303);
});

test('the company edit form chooses the formats; the company page shows them', async () => {
  const form = await s.get(`/redevables/${companyId}/modifier`);
  expect(form.text).toContain('name="statementFormats"');
  expect(textOf(form.text)).toContain('Version camt.053');
  const company = await api.prisma.company.findUniqueOrThrow({ where: { id: companyId } });
  const saved = await s.post(`/redevables/${companyId}/modifier`, {
    siren: company.siren,
    nic: '',
    name: company.name,
    name2: '',
    email: company.email!,
    'periodicity.kind': 'MONTHLY',
    'periodicity.day': '0',
    'periodicity.month': '',
    statementFormats: 'both',
    camtVersion: '02',
  });
  expect(saved.status).toBe(303);
  expect(await api.prisma.company.findUniqueOrThrow({ where: { id: companyId } })).toMatchObject({
    statementFormats: 'BOTH',
    camtVersion: 'V02',
  });
  expect(textOf((await s.get(`/redevables/${companyId}`)).text)).toContain('CFONB120 et camt.053 (camt.053.001.02)');
  const bad = await s.post(`/redevables/${companyId}/modifier`, {
    siren: company.siren,
    name: company.name,
    email: company.email!,
    'periodicity.kind': 'MONTHLY',
    'periodicity.day': '0',
    statementFormats: 'pdf',
  });
  expect(bad.status).toBe(400);
  expect(textOf(bad.text)).toContain('cfonb120, camt053 ou both attendu');
});

test('Réception: camt.053 download, the break flagged, filtered and explained', async () => {
  const list = await s.get('/reception');
  expect(list.text).toContain(`/reception/${ok}/camt053`);
  expect(textOf(list.text)).toContain('Rupture de solde : écart de 12,34');
  const breaks = await s.get('/reception?balance=break');
  expect(breaks.text).toContain(`/reception/${broken}`);
  expect(breaks.text).not.toContain(`/reception/${ok}"`);
  const file = await s.get(`/reception/${ok}/camt053`);
  expect(file.status).toBe(200);
  expect(file.headers.get('content-type')).toContain('application/xml');
  expect(file.text).toContain('urn:iso:std:iso:20022:tech:xsd:camt.053.001.02');
  const detail = textOf((await s.get(`/reception/${broken}`)).text);
  expect(detail).toContain('Rupture de solde : écart de 12,34');
  expect(detail).toContain('diffère du solde comptable de la banque');
  expect(detail).toContain('Formats livrés CFONB120 et camt.053.001.02');
  expect(textOf((await s.get(`/reception/${ok}`)).text)).toContain('Télécharger le relevé camt.053');
});
