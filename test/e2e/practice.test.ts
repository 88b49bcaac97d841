/**
 * The practice portal (issue 20) in a real Chromium on the running system: a primary creates a
 * secondary account that logs in on its own and sees only its own companies; the primary shows the
 * secondaries' companies with the account in the first column. Screenshots of the new screens go to
 * test/artifacts/e2e/practice/; with SCREENS=1 the README's copies in docs/screens/ are refreshed.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import ExcelJS from 'exceljs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { createCompanyWithAccounts, createStatement, createTenant, siren, type Tenant } from '../api/support';
import { enqueueStatementDelivery } from '../../email';
import { writeCfonb } from '../../domain/cfonb120';
import { refreshConnectorCatalog } from '../../activities/bank-catalog';
import { createPowensClient } from '../../integrations/powens';
import { eventually, useE2EStack } from './stack';

const s = useE2EStack('practice');
let firm: Tenant;
let desk: BrowserContext;
let page: Page;
const DOCS = join(__dirname, '..', '..', 'docs', 'screens');

/** A screenshot of the viewport (small PNGs for the README), kept under test/artifacts and, with SCREENS=1, docs/screens. */
async function screenshot(p: Page, name: string) {
  const file = join(s.artifacts, `${name}.png`);
  await p.screenshot({ path: file });
  if (process.env.SCREENS === '1') {
    mkdirSync(DOCS, { recursive: true });
    copyFileSync(file, join(DOCS, `${name}.png`));
  }
}

const mainText = async (p: Page) => (await p.locator('main').innerText()).replace(/\s+/g, ' ');

async function signIn(p: Page, login: string, password: string) {
  await p.goto(`${s.baseUrl}/connexion`);
  await p.getByLabel('Identifiant').fill(login);
  await p.getByLabel('Mot de passe').fill(password);
  await p.getByRole('button', { name: 'Se connecter' }).click();
}

beforeAll(async () => {
  firm = await createTenant(s.prisma, { name: 'Cabinet Martin & Associés' });
  await s.prisma.portalAccount.update({
    where: { id: firm.accountId },
    data: { acceptedTermsVersion: '2026-01', acceptedTermsAt: new Date(), receptionMode: 'ACCOUNT_MAILBOX' },
  });
  desk = await s.browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'fr-FR', acceptDownloads: true });
  page = await desk.newPage();
  page.on('dialog', (d) => void d.accept());
});

afterAll(async () => {
  await desk?.close();
});

test('a primary creates a secondary account, which logs in on its own and sees only its own companies', async () => {
  await createCompanyWithAccounts(s.prisma, firm, { name: 'Client du cabinet' });
  await signIn(page, firm.login, firm.password);
  await page.waitForURL('**/redevables');
  await page.getByRole('link', { name: 'Comptes secondaires' }).click();
  await page.getByRole('link', { name: 'Créer un compte secondaire' }).click();
  const box = (name: string) => page.getByRole('textbox', { name, exact: true });
  await box('Nom du compte').fill('Bureau de Lyon');
  await box('SIREN').fill(siren(8801));
  await box('Email').fill('lyon@martin-associes.test');
  await box('Identifiant').fill('martin.lyon');
  await page.getByLabel('Mot de passe', { exact: true }).fill('bureau-de-lyon-2026');
  await screenshot(page, 'compte-secondaire-creation');
  await page.getByRole('button', { name: 'Créer le compte secondaire' }).click();
  await page.waitForURL('**/comptes-secondaires');
  expect(await mainText(page)).toContain('Le compte secondaire Bureau de Lyon est créé : identifiant martin.lyon.');
  expect(await mainText(page)).toContain('Ouvert');
  await screenshot(page, 'comptes-secondaires');

  // The secondary, in its own browser, logs in, subscribes for itself and creates a company.
  const lyon = await (
    await s.browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'fr-FR' })
  ).newPage();
  await signIn(lyon, 'martin.lyon', 'bureau-de-lyon-2026');
  await lyon.waitForURL('**/souscription');
  await lyon.getByLabel('J’accepte les CGAU').check();
  await lyon.getByLabel('Boîte par défaut').check();
  await lyon.getByRole('button', { name: 'Souscrire au service' }).click();
  await lyon.waitForURL('**/redevables');
  expect(await lyon.getByRole('link', { name: 'Comptes secondaires' }).count()).toBe(0);
  await lyon.getByRole('link', { name: 'Créer un redevable' }).click();
  await lyon.getByRole('textbox', { name: 'SIREN', exact: true }).fill(siren(8802));
  await lyon.getByRole('textbox', { name: 'Raison sociale', exact: true }).fill('Boulangerie Lyonnaise');
  await lyon.getByRole('textbox', { name: 'Email', exact: true }).fill('compta@boulangerie-lyon.test');
  await lyon.getByRole('button', { name: 'Créer le redevable' }).click();
  await lyon.waitForURL(/\/redevables\/[0-9a-f-]{36}$/);
  await lyon.goto(`${s.baseUrl}/redevables`);
  const lyonText = await mainText(lyon);
  expect(lyonText).toContain('Boulangerie Lyonnaise');
  expect(lyonText).not.toContain('Client du cabinet');
  expect(lyonText).not.toContain('Afficher les redevables des comptes secondaires');
  await lyon.context().close();

  // The primary shows its secondaries' companies: the first column names the account.
  await page.goto(`${s.baseUrl}/redevables`);
  expect(await mainText(page)).not.toContain('Boulangerie Lyonnaise');
  await page.getByLabel('Afficher les redevables des comptes secondaires').check();
  await page.getByRole('button', { name: 'Rechercher' }).click();
  await page.waitForURL(/includeSecondary=true/);
  const firstColumn = await page.locator('table.list tbody tr td:first-child').allInnerTexts();
  expect(firstColumn.sort()).toEqual(['Bureau de Lyon', 'Cabinet Martin & Associés']);
  await screenshot(page, 'redevables-secondaires');
});

test('a company whose address bounces is flagged on the companies screen, with the date and the reason', async () => {
  await page.goto(`${s.baseUrl}/redevables/nouveau`);
  const box = (name: string) => page.getByRole('textbox', { name, exact: true });
  await box('SIREN').fill(siren(8803));
  await box('Raison sociale').fill('Garage Introuvable');
  await box('Email').fill('HardBounce@bounce-testing.postmarkapp.com');
  await page.getByRole('button', { name: 'Créer le redevable' }).click();
  await page.waitForURL(/\/redevables\/[0-9a-f-]{36}$/);
  const companyUrl = page.url();
  await page.getByRole('button', { name: 'Ajouter des comptes bancaires' }).click();
  await page.waitForURL(/onglet=jetons/);
  // The outbox sends the link; Postmark (the sink) bounces it back through the webhook.
  await eventually(
    'the bounce recorded',
    async () =>
      (await s.prisma.emailSuppression.findUnique({
        where: { address: 'hardbounce@bounce-testing.postmarkapp.com' },
      })) ?? undefined,
  );
  await page.goto(`${s.baseUrl}/redevables?adresse=rejet`);
  const row = page.locator('table.list tbody tr', { hasText: 'Garage Introuvable' });
  const text = (await row.innerText()).replace(/\s+/g, ' ');
  expect(text).toContain('Adresse e-mail rejetée');
  expect(text).toMatch(
    /le \d{2}\/\d{2}\/\d{4} à \d{2}:\d{2} : adresse inexistante ou refusée par le serveur du destinataire/,
  );
  expect(await page.locator('table.list tbody tr').count()).toBe(1);
  await screenshot(page, 'redevables-adresse-rejetee');
  // One bell notification for the day; the summary e-mail waits for 08:00.
  expect(await page.getByRole('link', { name: 'Notifications : 1 non lue' }).count()).toBe(1);
  expect(await s.prisma.emailMessage.count({ where: { kind: 'firm.bounce-summary', status: 'QUEUED' } })).toBe(1);

  // The company page offers to reactivate the address.
  await page.goto(companyUrl);
  await page.getByRole('button', { name: 'Réactiver l’adresse' }).click();
  await page.waitForURL(companyUrl);
  expect(await mainText(page)).toContain('L’adresse e-mail est réactivée');
  expect(await mainText(page)).not.toContain('Adresse e-mail rejetée');
});

test('a bank chosen in the catalogue opens Powens’ webview on it', async () => {
  // The worker's daily refresh, here at once; one bank is in maintenance at Powens.
  await s.admin('POST', '/connectors/Crédit Fictif/maintenance', { on: true });
  const client = createPowensClient({
    baseUrl: s.config.powensBaseUrl,
    webviewUrl: s.config.powensWebviewUrl,
    clientId: s.config.POWENS_CLIENT_ID,
    clientSecret: s.config.POWENS_CLIENT_SECRET,
  });
  await refreshConnectorCatalog({ prisma: s.prisma, client }, { force: true });

  await page.goto(`${s.baseUrl}/banques`);
  await page.getByRole('textbox', { name: 'Nom de la banque', exact: true }).first().fill('credit');
  await page.getByRole('button', { name: 'Rechercher' }).click();
  await page.waitForURL(/nom=credit/);
  const found = (await page.locator('main').innerText()).replace(/\s+/g, ' ');
  expect(found).toContain('Crédit Fictif');
  expect(found).toContain('En maintenance');
  expect(found).not.toContain('Néobanque Démo');
  await screenshot(page, 'banques-catalogue');

  // The firm's own company: "Saisir directement mes identifiants" on the bank it typed.
  const own = await createCompanyWithAccounts(s.prisma, firm, {
    name: 'Cabinet Martin (propre compte)',
    siren: (await s.prisma.portalAccount.findUniqueOrThrow({ where: { id: firm.accountId } })).siren,
    accounts: 0,
  });
  await page.goto(`${s.baseUrl}/redevables/${own.company.id}`);
  await page.locator('#f-banque-directe').fill('Néobanque Démo');
  await screenshot(page, 'redevable-choix-banque');
  await page.getByRole('button', { name: 'Saisir directement mes identifiants' }).click();
  await page.waitForURL(`${s.powensOrigin}/**`);
  const neo = await s.prisma.powensConnector.findFirstOrThrow({ where: { name: 'Néobanque Démo' } });
  // The session's first address carried the bank; the webview skipped its bank list.
  const body = await page.locator('body').innerText();
  expect(body).toContain('Néobanque Démo');
  expect(await page.getByRole('button', { name: 'Connecteur de test' }).count()).toBe(0);
  const bank = await s.prisma.bank.findFirstOrThrow({
    where: { portalAccountId: firm.accountId, name: 'Néobanque Démo' },
  });
  expect(bank.powensConnectorUuid).toBe(neo.uuid);
  await screenshot(page, 'webview-banque-preselectionnee');
});

test('an .xlsx import with a bad line: the line-by-line report in French, nothing created', async () => {
  await page.goto(`${s.baseUrl}/redevables/import`);
  // The template downloads from the page.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Télécharger le modèle Excel' }).click(),
  ]);
  expect(download.suggestedFilename()).toBe('modele_import_redevables.xlsx');
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile((await download.path())!);
  const sheet = wb.getWorksheet('Redevables')!;
  // Typed over the example row and the one below, as a person fills the template.
  sheet.getRow(2).values = [
    siren(8804),
    '',
    'Pharmacie du Centre',
    '',
    'compta@pharmacie-centre.test',
    'MENSUELLE',
    '',
    0,
    1,
  ];
  sheet.getRow(3).values = [siren(8805), '', 'Cave Coopérative', '', '', 'TRIMESTRIELLE', 5, 10, 0];
  const file = `${s.artifacts}/redevables.xlsx`;
  writeFileSync(file, Buffer.from(await wb.xlsx.writeBuffer()));

  await page.locator('#f-file').setInputFiles(file);
  await page.getByLabel('Vérifier seulement (simulation : rien n’est créé)').uncheck();
  await page.getByRole('button', { name: 'Importer' }).click();
  await page.waitForLoadState();
  const text = await mainText(page);
  expect(text).toContain('Rapport d’import redevables.xlsx');
  expect(text).toContain('1 erreur : aucun redevable n’a été créé.');
  const row = (await page.locator('table.list tbody tr').first().innerText()).replace(/\s+/g, ' ').trim();
  expect(row).toBe('3 7 month Le mois doit être compris entre 1 et 3 (mois dans le trimestre)');
  expect(await s.prisma.company.count({ where: { name: 'Pharmacie du Centre' } })).toBe(0);
  await screenshot(page, 'import-xlsx-erreurs');
});

test('a statement’s deliveries are shown on its detail, Renvoyer sends it again, Réception filters on them', async () => {
  const { accounts } = await createCompanyWithAccounts(s.prisma, firm, { name: 'Menuiserie Envois' });
  const statement = await createStatement(s.prisma, accounts[0]!.id);
  // A real CFONB120 file, so that the detail reads it back.
  const cfonb = writeCfonb([
    {
      account: { iban: 'FR7630004000031234567890143', currency: 'EUR' },
      opening: { date: '2026-10-01', balance: '100.00' },
      closing: { date: '2026-10-31', balance: '90.00' },
      movements: [
        {
          bookingDate: '2026-10-31',
          valueDate: '2026-10-31',
          amount: '-10.00',
          label: 'CB CAFE DU PORT',
          type: 'card',
        },
      ],
    },
  ]);
  await s.prisma.statement.update({ where: { id: statement.id }, data: { cfonb: new Uint8Array(cfonb) } });
  await s.prisma.$transaction((tx) => enqueueStatementDelivery(tx, statement.id));
  await eventually(
    'the statement delivered',
    async () =>
      (await s.prisma.emailMessage.findFirst({ where: { statementId: statement.id, deliveredAt: { not: null } } })) ??
      undefined,
  );
  await page.goto(`${s.baseUrl}/reception/${statement.id}`);
  await page.getByRole('button', { name: 'Renvoyer par e-mail' }).click();
  await page.waitForURL(`**/reception/${statement.id}`);
  const contactEmail = (await s.prisma.portalAccount.findUniqueOrThrow({ where: { id: firm.accountId } })).contactEmail;
  expect(await mainText(page)).toContain(`Le relevé est renvoyé à ${contactEmail}.`);
  await eventually(
    'the second delivery',
    async () =>
      (await s.prisma.emailMessage.count({ where: { statementId: statement.id, deliveredAt: { not: null } } })) === 2 ||
      undefined,
  );
  await page.reload();
  const deliveries = page.locator('section[aria-labelledby="envois"] tbody tr');
  expect(await deliveries.count()).toBe(2);
  expect((await deliveries.first().innerText()).replace(/\s+/g, ' ')).toContain(`${contactEmail} (renvoi) ✓ Remis`);
  await screenshot(page, 'releve-envois');
  await page.goto(`${s.baseUrl}/reception?delivery=delivered&name=Menuiserie`);
  expect(await page.locator('table.list tbody tr').count()).toBe(1);
});
