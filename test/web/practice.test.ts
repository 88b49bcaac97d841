/**
 * The practice portal's pages over HTTP (issue 20): the import form read by busboy within its
 * limits (a file too large, a body that is not multipart, an .xlsx), the template and list
 * downloads, the ISO date inputs of Réception, the secondary accounts' screen and the password page.
 */
import ExcelJS from 'exceljs';
import { LINK_SECRET_PLACEHOLDER, outboxBodies } from '../../email';
import { createCompanyWithAccounts, createTenant, siren, useApi, type Tenant } from '../api/support';
import { PortalSession, textOf } from './support';

const api = useApi({ rateLimits: { login: 1000 } });
let firm: Tenant;
let s: PortalSession;

beforeAll(async () => {
  firm = await createTenant(api.prisma, { name: 'Cabinet Pages' });
  await api.prisma.portalAccount.update({
    where: { id: firm.accountId },
    data: { acceptedTermsVersion: '2026-01', acceptedTermsAt: new Date() },
  });
  s = new PortalSession(api);
  await s.login(firm.login, firm.password);
  await s.get('/redevables/import');
});

function multipart(file: { name: string; type: string; content: Buffer }, fields: Record<string, string> = {}) {
  const boundary = '----releves' + Math.random().toString(16).slice(2);
  const parts: Buffer[] = [
    ...Object.entries({ _csrf: s.csrf, ...fields }).map(([k, v]) =>
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`),
    ),
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: ${file.type}\r\n\r\n`,
    ),
    file.content,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ];
  return { body: Buffer.concat(parts), type: `multipart/form-data; boundary=${boundary}` };
}

test('an .xlsx uploaded through the form gets the line-by-line report', async () => {
  const wb = new ExcelJS.Workbook();
  const sheet = wb.addWorksheet('Redevables');
  sheet.addRow(['SIREN', 'NIC', 'Raison sociale', 'Suite', 'Email', 'Périodicité', 'Mois', 'Jour', 'Saisie déportée']);
  sheet.addRow([siren(701), null, 'Atelier Tableur', null, null, 'MENSUELLE', null, 0, 0]);
  sheet.addRow(['12345', null, 'Mauvais SIREN', null, null, 'MENSUELLE', null, 0, 0]);
  const m = multipart(
    {
      name: 'redevables.xlsx',
      type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      content: Buffer.from(await wb.xlsx.writeBuffer()),
    },
    { dryRun: 'true' },
  );
  const r = await s.request('POST', '/redevables/import', m.body, m.type);
  expect(r.status).toBe(422);
  const text = textOf(r.text);
  expect(text).toContain('Rapport de vérification redevables.xlsx');
  expect(text).toMatch(/ 3 1 siren SIREN invalide : 9 chiffres attendus/);
});

test('busboy’s limits: a file over 40 Mo is refused (413) without being kept; a non-multipart body is a 400', async () => {
  const big = multipart({ name: 'gros.csv', type: 'text/csv', content: Buffer.alloc(41 * 1024 * 1024, 0x41) });
  const r = await s.request('POST', '/redevables/import', big.body, big.type);
  expect(r.status).toBe(413);
  expect(textOf(r.text)).toContain('Fichier trop volumineux (40 Mo au plus).');
  const notMultipart = await s.request('POST', '/redevables/import', 'un fichier brut', 'text/plain');
  expect(notMultipart.status).toBe(400);
  expect(textOf(notMultipart.text)).toContain('Formulaire d’envoi invalide');
});

test('the import template and the lists download from the portal', async () => {
  const page = await s.get('/redevables/import');
  expect(page.text).toContain('href="/redevables/import/modele.xlsx"');
  const x = await s.get('/redevables/import/modele.xlsx');
  expect(x.status).toBe(200);
  expect(x.headers.get('content-disposition')).toContain('modele_import_redevables.xlsx');
  await createCompanyWithAccounts(api.prisma, firm, { name: 'Portail Export' });
  const list = await s.get('/redevables?name=portail');
  expect(list.text).toContain('href="/redevables/export.xlsx?name=portail"');
  const csv = await s.get('/redevables/export.csv?name=portail');
  expect(csv.headers.get('content-type')).toContain('text/csv');
  expect(csv.text).toContain(';Portail Export;');
  expect((await s.get('/comptes/export.xlsx?name=portail')).status).toBe(200);
  expect((await s.get('/reception/export.csv?from=2026-01-01')).status).toBe(200);
});

test('Réception’s dates are ISO date inputs (phone keyboards), and dd/mm/yyyy typed in the address still works', async () => {
  const page = await s.get('/reception?from=2026-11-01&to=30%2F11%2F2026');
  expect(page.status).toBe(200);
  expect(page.text).toMatch(/<input\s+id="f-from"\s+name="from"\s+type="date"\s+value="2026-11-01"/);
  expect(page.text).toMatch(/<input\s+id="f-to"\s+name="to"\s+type="date"\s+value="2026-11-30"/);
});

test('the secondary accounts’ screen, and the invitation’s password page', async () => {
  const created = await s.post('/comptes-secondaires/nouveau', {
    name: 'Antenne Pages',
    siren: siren(702),
    email: 'antenne@pages.test',
    login: 'antenne.pages',
    mode: 'invite',
  });
  expect(created.status).toBe(303);
  const list = await s.follow(created);
  expect(textOf(list.text)).toContain(
    'Le compte secondaire Antenne Pages est créé : une invitation a été envoyée à antenne@pages.test.',
  );
  expect(textOf(list.text)).toContain('Invitation envoyée');
  const mail = await api.prisma.emailMessage.findFirstOrThrow({ where: { to: 'antenne@pages.test' } });
  // The stored body holds a placeholder, never the secret (email/secrets.ts).
  expect(mail.textBody).toContain(`/mot-de-passe/${LINK_SECRET_PLACEHOLDER}`);
  const path = /\/mot-de-passe\/[\w-]+/.exec(outboxBodies(mail, api.config.ENCRYPTION_KEY).text)![0];
  const visitor = new PortalSession(api);
  const form = await visitor.get(path);
  expect(textOf(form.text)).toMatch(/Compte Antenne Pages ?, identifiant antenne\.pages ?\./);
  const mismatch = await visitor.post(path, { password: 'mot-de-passe-antenne', confirm: 'autre-chose-encore' });
  expect(mismatch.status).toBe(400);
  const ok = await visitor.post(path, { password: 'mot-de-passe-antenne', confirm: 'mot-de-passe-antenne' });
  expect(textOf(ok.text)).toContain('Votre mot de passe est enregistré.');
  const again = await visitor.get(path);
  expect(again.status).toBe(410);
  await api.prisma.portalAccount.updateMany({
    where: { name: 'Antenne Pages' },
    data: { acceptedTermsVersion: '2026-01', acceptedTermsAt: new Date() },
  });
  const secondary = new PortalSession(api);
  expect((await secondary.login('antenne.pages', 'mot-de-passe-antenne')).status).toBe(303);
  // A secondary has no such screen.
  expect((await secondary.get('/comptes-secondaires')).status).toBe(403);
});
