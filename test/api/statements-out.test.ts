/**
 * Issue 19 through the API: the formats a firm chooses per company and per account, the camt.053
 * download (deterministic, either version), the ZIP of the chosen formats, and the balance check
 * (list filter, detail).
 */
import { call, createCompanyWithAccounts, createStatement, createTenant, useApi, type Tenant } from './support';

const api = useApi();
const IBAN = 'FR7630004000031234567890143';
let t: Tenant;
let company: { id: string };
let accountId: string;
let statementId: string;
let brokenId: string;

beforeAll(async () => {
  t = await createTenant(api.prisma);
  const c = await createCompanyWithAccounts(api.prisma, t, { accounts: 2 });
  company = c.company;
  accountId = c.accounts[0]!.id;
  await api.prisma.bankAccount.updateMany({ where: { companyId: c.company.id }, data: { iban: IBAN } });
  statementId = (await createStatement(api.prisma, accountId, { periodEnd: '2026-09-30' })).id;
  await api.prisma.statement.update({
    where: { id: statementId },
    data: { previousClosingBalance: '100.00', bankBalance: '90.00', bookedAfterPeriodEnd: '0', iban: IBAN },
  });
  brokenId = (await createStatement(api.prisma, c.accounts[1]!.id, { periodEnd: '2026-09-30' })).id;
  await api.prisma.statement.update({
    where: { id: brokenId },
    data: {
      previousClosingBalance: '100.00',
      bankBalance: '102.34',
      bankBalanceAt: new Date('2026-10-01T03:00:00Z'),
      bookedAfterPeriodEnd: '0',
      balanceBreak: true,
    },
  });
});

test('a company chooses its formats (French errors), an account may override them', async () => {
  const get = await call(api, 'GET', `/api/v1/companies/${company.id}`, { key: t.key });
  expect(get.body).toMatchObject({ statementFormats: 'cfonb120', camtVersion: '08' });
  const bad = await call(api, 'PATCH', `/api/v1/companies/${company.id}`, {
    key: t.key,
    body: { statementFormats: 'pdf', camtVersion: '09' },
  });
  expect(bad.status).toBe(400);
  expect(bad.body.errors).toEqual([
    { field: 'statementFormats', reason: 'cfonb120, camt053 ou both attendu' },
    { field: 'camtVersion', reason: 'version camt.053 attendue : 08 (camt.053.001.08) ou 02 (camt.053.001.02)' },
  ]);
  const ok = await call(api, 'PATCH', `/api/v1/companies/${company.id}`, {
    key: t.key,
    body: { statementFormats: 'both' },
  });
  expect(ok.body).toMatchObject({ statementFormats: 'both', camtVersion: '08' });

  const own = await call(api, 'PUT', `/api/v1/bank-accounts/${accountId}/formats`, {
    key: t.key,
    body: { statementFormats: 'camt053', camtVersion: '02' },
  });
  expect(own.body).toEqual({
    bankAccountId: accountId,
    statementFormats: 'camt053',
    camtVersion: '02',
    company: { id: company.id, statementFormats: 'both', camtVersion: '08' },
    effective: { formats: ['camt053'], camtVersion: '02' },
  });
  const other = await createTenant(api.prisma);
  expect((await call(api, 'GET', `/api/v1/bank-accounts/${accountId}/formats`, { key: other.key })).status).toBe(404);
  const list = await call(api, 'GET', '/api/v1/statements', { key: t.key });
  const byId = Object.fromEntries(list.body.items.map((s: { id: string }) => [s.id, s]));
  expect(byId[statementId]).toMatchObject({ formats: ['camt053'], camtVersion: '02' });
  expect(byId[brokenId]).toMatchObject({ formats: ['cfonb120', 'camt053'], camtVersion: '08' });
});

test('camt.053 download: the chosen version by default, either on request, the same bytes every time', async () => {
  const path = `/api/v1/statements/${statementId}/camt053`;
  const first = await call(api, 'GET', path, { key: t.key });
  expect(first.status).toBe(200);
  expect(first.headers.get('content-type')).toContain('application/xml');
  expect(first.headers.get('content-disposition')).toMatch(/Releve_FR76.*_du_01092026_au_30092026\.xml/);
  const xml = first.buffer.toString();
  expect(xml).toContain('urn:iso:std:iso:20022:tech:xsd:camt.053.001.02');
  expect(xml).toContain(`<MsgId>RLV${statementId.replace(/-/g, '').toUpperCase()}</MsgId>`);
  expect(xml).toContain('<Amt Ccy="EUR">10.00</Amt>');
  // The account's IBAN changes at the bank: the statement keeps the one it was written for.
  await api.prisma.bankAccount.update({ where: { id: accountId }, data: { iban: 'FR7630006000011234567890189' } });
  expect((await call(api, 'GET', path, { key: t.key })).buffer.equals(first.buffer)).toBe(true);
  const v08 = await call(api, 'GET', `${path}?version=08`, { key: t.key });
  expect(v08.buffer.toString()).toContain('camt.053.001.08');
  expect((await call(api, 'GET', `${path}?version=03`, { key: t.key })).status).toBe(400);
  const running = await createStatement(api.prisma, accountId, { periodEnd: '2026-10-31', state: 'RUNNING' });
  expect((await call(api, 'GET', `/api/v1/statements/${running.id}/camt053`, { key: t.key })).status).toBe(404);
});

test('the ZIP holds each statement in the formats chosen for its account', async () => {
  // (two accounts, IBANs told apart below: camt.053 only for the first, both formats for the other)
  const zip = await call(api, 'POST', '/api/v1/statements/zip', { key: t.key, body: { ids: [statementId, brokenId] } });
  expect(zip.status).toBe(200);
  // The central directory's entries (signature PK\x01\x02, name at +46).
  const z = zip.buffer;
  const names: string[] = [];
  const central = Buffer.from([0x50, 0x4b, 0x01, 0x02]);
  for (let at = z.indexOf(central); at >= 0; at = z.indexOf(central, at + 4))
    names.push(
      z
        .subarray(at + 46, at + 46 + z.readUInt16LE(at + 28))
        .toString()
        .replace(/_FR76\w+?_du/, '_IBAN_du'),
    );
  names.sort();
  expect(names).toEqual([
    'Releve_IBAN_du_01092026_au_30092026.cfonb',
    'Releve_IBAN_du_01092026_au_30092026.xml',
    'Releve_IBAN_du_01092026_au_30092026.xml',
    'Transactions_supprimees_IBAN_du_01092026_au_30092026.csv',
    'Transactions_supprimees_IBAN_du_01092026_au_30092026.csv',
  ]);
});

test('balance continuity: the detail tells what was compared, the list filters breaks', async () => {
  const d = await call(api, 'GET', `/api/v1/statements/${brokenId}`, { key: t.key });
  expect(d.body.balanceCheck).toMatchObject({
    status: 'break',
    opening: { previousClosingBalance: '100.00', matches: true },
    closing: { bankBalance: '102.34', expectedClosingBalance: '102.34', matches: false, gap: '-12.34' },
    message: 'Rupture de solde : écart de 12,34\u00a0€',
  });
  const ok = await call(api, 'GET', `/api/v1/statements/${statementId}`, { key: t.key });
  expect(ok.body.balanceCheck.status).toBe('ok');
  const ids = async (q: string) =>
    (await call(api, 'GET', `/api/v1/statements${q}`, { key: t.key })).body.items.map((s: { id: string }) => s.id);
  expect(await ids('?balance=break')).toEqual([brokenId]);
  expect(await ids('?balance=ok')).toEqual([statementId]);
  const bad = await call(api, 'GET', '/api/v1/statements?balance=maybe', { key: t.key });
  expect(bad.body.errors).toEqual([{ field: 'balance', reason: 'break, ok ou unchecked attendu' }]);
});
