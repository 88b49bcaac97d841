/**
 * Spreadsheets (issue 20): the companies import takes an `.xlsx` with the same per-line French
 * errors as a CSV (and SIRENs typed as numbers keep their leading zeros); the import template
 * (`.xlsx` with French headers, an example row and validation lists, and `.csv`); the companies,
 * bank accounts and statements lists exported to CSV and `.xlsx` with the list's filters.
 */
import ExcelJS from 'exceljs';
import { XLSX_TYPE } from '../../api/spreadsheet';
import {
  call,
  createCompanyWithAccounts,
  createStatement,
  createTenant,
  luhn,
  siren,
  siretNic,
  useApi,
  type Tenant,
} from './support';

const api = useApi();
let t: Tenant;

beforeAll(async () => {
  t = await createTenant(api.prisma, { name: 'Cabinet Tableur' });
});

async function workbook(rows: unknown[][]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const sheet = wb.addWorksheet('Redevables');
  for (const r of rows) sheet.addRow(r);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

const importFile = (body: Buffer, type: string, query = '') =>
  call(api, 'POST', `/api/v1/companies/import${query}`, { key: t.key, raw: body, headers: { 'content-type': type } });

async function readXlsx(buffer: Buffer) {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(buffer as unknown as ArrayBuffer);
  return wb;
}

test('an .xlsx import reports each bad line in French, like a CSV, and creates nothing', async () => {
  const good = siren(2001);
  const file = await workbook([
    [
      'SIREN',
      'NIC',
      'Raison sociale',
      'Raison sociale (suite)',
      'Email',
      'Périodicité',
      'Mois',
      'Jour',
      'Saisie déportée (0/1)',
    ],
    [Number(good), null, 'Menuiserie Tableur', null, 'menuiserie@tableur.test', 'MENSUELLE', null, 0, 1],
    ['123456789', null, 'Clé fausse', null, null, 'HEBDOMADAIRE', null, 9, 0],
    [siren(2002), null, 'Sans périodicité', null, null, 'BIMENSUELLE', null, null, 0],
  ]);
  const r = await importFile(file, XLSX_TYPE, '?dryRun=true');
  expect(r.status).toBe(422);
  expect(r.body.detail).toBe('2 ligne(s) en erreur sur 3 : aucun redevable n’a été créé.');
  expect(r.body.errors).toEqual([
    { line: 3, column: 1, field: 'siren', reason: 'SIREN invalide : clé de contrôle (Luhn) incorrecte' },
    { line: 3, column: 8, field: 'day', reason: 'Le jour doit être compris entre 1 et 7 (1 = dimanche, 7 = samedi)' },
    {
      line: 4,
      column: 6,
      field: 'periodicity',
      reason: expect.stringContaining('périodicité inconnue « BIMENSUELLE »'),
    },
  ]);
  expect(await api.prisma.company.count({ where: { portalAccountId: t.accountId } })).toBe(0);
});

test('a valid .xlsx creates the companies; a SIREN or NIC typed as a number keeps its leading zeros', async () => {
  const s1 = siren(2003);
  const nic = siretNic(s1); // e.g. "00007": typed as the number 7 in Excel
  const zero = Array.from({ length: 10 }, (_, k) => `0001234${k}`.slice(0, 8) + k).find(
    (x) => luhn(x) && x.startsWith('0'),
  )!;
  const file = await workbook([
    [Number(s1), Number(nic), 'Garage Excel', null, null, 'TRIMESTRIELLE', 2, 15, 0],
    [Number(zero), null, 'Zéros en tête', null, null, 'JOURNALIERE', null, null, 0],
  ]);
  const r = await importFile(file, XLSX_TYPE);
  expect(r.status).toBe(201);
  expect(r.body).toMatchObject({ lines: 2, created: 2, errors: [] });
  expect(await api.prisma.company.findFirstOrThrow({ where: { name: 'Garage Excel' } })).toMatchObject({
    siren: s1,
    nic,
    periodicityKind: 'QUARTERLY',
    periodicityMonth: 2,
    periodicityDay: 15,
  });
  expect((await api.prisma.company.findFirstOrThrow({ where: { name: 'Zéros en tête' } })).siren).toBe(zero);
});

test('the import template: .xlsx with French headers, an example and validation lists; .csv with the same columns', async () => {
  const x = await call(api, 'GET', '/api/v1/companies/import/template.xlsx', { key: t.key });
  expect(x.status).toBe(200);
  expect(x.headers.get('content-type')).toContain(XLSX_TYPE);
  expect(x.headers.get('content-disposition')).toContain('modele_import_redevables.xlsx');
  const wb = await readXlsx(x.buffer);
  const sheet = wb.getWorksheet('Redevables')!;
  expect(sheet.getRow(1).values).toEqual([
    undefined,
    'SIREN',
    'NIC',
    'Raison sociale',
    'Raison sociale (suite)',
    'Email',
    'Périodicité',
    'Mois',
    'Jour',
    'Saisie déportée (0/1)',
  ]);
  expect(sheet.getCell('C2').value).toBe('BOULANGERIE DUPONT');
  expect(sheet.getCell('F2').dataValidation).toMatchObject({
    type: 'list',
    formulae: ['"JOURNALIERE,HEBDOMADAIRE,MENSUELLE,TRIMESTRIELLE,SEMESTRIELLE,ANNUELLE"'],
  });
  expect(sheet.getCell('I3').dataValidation).toMatchObject({ type: 'list', formulae: ['"0,1"'] });
  expect(wb.getWorksheet('Aide')).toBeDefined();
  // The example row of the template is itself a valid import.
  const dry = await importFile(x.buffer, XLSX_TYPE, '?dryRun=true');
  expect(dry.status).toBe(200);
  expect(dry.body).toMatchObject({ lines: 1, errors: [] });

  const c = await call(api, 'GET', '/api/v1/companies/import/template.csv', { key: t.key });
  expect(c.headers.get('content-type')).toContain('text/csv');
  const text = c.buffer.toString('utf8');
  expect(
    text.startsWith(
      '\uFEFFSIREN;NIC;Raison sociale;Raison sociale (suite);Email;Périodicité;Mois;Jour;Saisie déportée (0/1)\r\n',
    ),
  ).toBe(true);
  const dryCsv = await importFile(c.buffer, 'text/csv', '?dryRun=true');
  expect(dryCsv.status).toBe(200);
});

test('the lists export to CSV and .xlsx with their filters', async () => {
  const a = await createCompanyWithAccounts(api.prisma, t, { name: 'Export Alpha', accounts: 2 });
  await createCompanyWithAccounts(api.prisma, t, { name: 'Export Beta', state: 'wrongpass' });
  await createStatement(api.prisma, a.accounts[0]!.id);

  const csv = await call(api, 'GET', '/api/v1/companies/export?format=csv&name=export', { key: t.key });
  expect(csv.status).toBe(200);
  expect(csv.headers.get('content-disposition')).toMatch(/redevables_\d{4}-\d{2}-\d{2}\.csv/);
  const lines = csv.buffer
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trim()
    .split('\r\n');
  expect(lines[0]).toBe(
    'SIREN;NIC;Raison sociale;Raison sociale (suite);Email;Périodicité;Comptes bancaires;Collecte;Actif;Adresse rejetée',
  );
  expect(lines.slice(1).map((l) => l.split(';')[2])).toEqual(['Export Alpha', 'Export Beta']);
  const errorOnly = await call(api, 'GET', '/api/v1/companies/export?format=xlsx&collection=error', { key: t.key });
  const sheet = (await readXlsx(errorOnly.buffer)).getWorksheet('Redevables')!;
  expect(sheet.rowCount).toBe(2);
  expect(sheet.getCell('C2').value).toBe('Export Beta');

  const accounts = await call(api, 'GET', '/api/v1/bank-accounts/export?format=xlsx&name=alpha', { key: t.key });
  const accountsSheet = (await readXlsx(accounts.buffer)).getWorksheet('Comptes bancaires')!;
  expect(accountsSheet.rowCount).toBe(3);
  expect(accountsSheet.getCell('E1').value).toBe('Libellé');

  const statements = await call(api, 'GET', '/api/v1/statements/export?format=csv&state=success', { key: t.key });
  const rows = statements.buffer
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trim()
    .split('\r\n');
  expect(rows).toHaveLength(2);
  expect(rows[1]).toContain('Export Alpha;');
  expect(rows[1]).toContain(';31/10/2026;');
  expect((await call(api, 'GET', '/api/v1/statements/export?format=pdf', { key: t.key })).status).toBe(400);
});
