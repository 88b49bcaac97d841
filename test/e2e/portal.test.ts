/**
 * End to end in a real Chromium: the firm logs in and subscribes, creates a company, sends it a
 * link; the company reads the link in the mail sink, opens it (on a phone-sized screen), consents,
 * goes through the sandbox's webview choosing three accounts; the firm sees the accounts, clicks
 * "Collecter maintenant", finds the statements in Réception, opens a detail, downloads a CFONB
 * file and a ZIP of two statements; then a wrong password twice gives the alert (bell) and a new
 * link. Screenshots of every screen go to test/artifacts/e2e/portal/ (not committed).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { createTenant, siren, type Tenant } from '../api/support';
import { completeWebview, eventually, useE2EStack } from './stack';

const s = useE2EStack('portal');
let firm: Tenant;
let desk: BrowserContext;
let phone: BrowserContext;
let page: Page;
let shot = 0;
const COMPANY = { siren: siren(7301), name: 'Atelier Dupuis', email: 'compta@atelier-dupuis.test' };

async function screenshot(p: Page, name: string) {
  await p.screenshot({ path: join(s.artifacts, `${String(++shot).padStart(2, '0')}-${name}.png`), fullPage: true });
}

/** The text of the page's main region, spaces collapsed. */
const mainText = async (p: Page) => (await p.locator('main').innerText()).replace(/\s+/g, ' ');

beforeAll(async () => {
  firm = await createTenant(s.prisma, { name: 'Cabinet Dupont Expertise' });
  desk = await s.browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'fr-FR', acceptDownloads: true });
  phone = await s.browser.newContext({
    viewport: { width: 390, height: 844 },
    isMobile: true,
    hasTouch: true,
    locale: 'fr-FR',
  });
  page = await desk.newPage();
  page.on('dialog', (d) => void d.accept()); // the confirmations of data-confirm forms
});

afterAll(async () => {
  await desk?.close();
  await phone?.close();
});

test('the firm logs in, subscribes and creates a company', async () => {
  await page.goto(`${s.baseUrl}/redevables`);
  expect(new URL(page.url()).pathname).toBe('/connexion');
  await screenshot(page, 'connexion');
  await page.getByLabel('Identifiant').fill(firm.login);
  await page.getByLabel('Mot de passe').fill(firm.password);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.waitForURL('**/souscription');
  await screenshot(page, 'souscription');
  await page.getByLabel('J’accepte les CGAU').check();
  await page.getByLabel('Pas de réception par mail').check();
  await page.getByRole('button', { name: 'Souscrire au service' }).click();
  await page.waitForURL('**/redevables');
  expect(await mainText(page)).toContain('Votre souscription au service est enregistrée.');

  await page.getByRole('link', { name: 'Créer un redevable' }).click();
  // By accessible name (what a screen reader announces), not by markup.
  const box = (name: string) => page.getByRole('textbox', { name, exact: true });
  await box('SIREN').fill(COMPANY.siren);
  await box('Raison sociale').fill(COMPANY.name);
  await box('Email').fill(COMPANY.email);
  await page.getByRole('combobox', { name: 'Périodicité' }).selectOption('MONTHLY');
  await box('Jour').fill('0');
  await screenshot(page, 'creation-redevable');
  await page.getByRole('button', { name: 'Créer le redevable' }).click();
  await page.waitForURL(/\/redevables\/[0-9a-f-]{36}$/);
  const text = await mainText(page);
  expect(text).toContain(`Le redevable ${COMPANY.name} est créé.`);
  expect(text).toContain('0 compte(s) bancaire(s) disponible(s)');
  await screenshot(page, 'fiche-redevable');
});

test('the firm sends a link; the Jetons tab shows it valid', async () => {
  await page.getByRole('button', { name: 'Ajouter des comptes bancaires' }).click();
  await page.waitForURL(/onglet=jetons/);
  const text = await mainText(page);
  expect(text).toContain(`Un lien sécurisé valable 72 h a été envoyé à ${COMPANY.email}.`);
  expect(text).toContain('Ajout de nouveaux comptes bancaires');
  expect(text).toContain('Jeton valide');
  expect(text).toMatch(/\d{2}\/\d{2}\/\d{4} à \d{2}:\d{2}/);
  await screenshot(page, 'jetons');
});

test('the company opens the link from the mail sink and connects three accounts in the webview', async () => {
  const mail = await eventually('the link e-mail in the sink', async () =>
    (await s.mails(COMPANY.email)).find((m) => /\/l\/[\w-]+/.test(m.text)),
  );
  const url = /(https?:\/\/\S+\/l\/[\w-]+)/.exec(mail.text)![1]!;
  const company = await phone.newPage();
  await company.goto(url);
  expect(await company.locator('body').innerText()).toContain('Cabinet Dupont Expertise');
  await screenshot(company, 'lien-redevable-mobile');
  await company.locator('input[name="consent"]').check();
  await company.getByRole('button', { name: 'Choisir ma banque' }).click();
  await company.waitForURL(`${s.powensOrigin}/**`);

  const chosen = await completeWebview(
    company,
    { powensOrigin: s.powensOrigin, accounts: 3, company: COMPANY },
    (step) => screenshot(company, `webview-${step}`),
  );
  expect(chosen).toBe(3);
  expect(company.url().startsWith(`${s.baseUrl}/powens/callback`)).toBe(true);
  expect(await company.locator('body').innerText()).toContain('Merci, vos comptes sont connectés');
  await screenshot(company, 'merci-mobile');
  await company.close();
});

test('the firm sees the three accounts, collects now and finds the statements in Réception', async () => {
  await page.getByRole('link', { name: 'Comptes bancaires', exact: true }).first().click();
  await page.waitForURL('**/comptes');
  await page.getByRole('textbox', { name: 'Raison sociale', exact: true }).fill(COMPANY.name);
  await page.getByRole('button', { name: 'Rechercher' }).click();
  expect(await mainText(page)).toContain('3 comptes bancaires trouvés');
  await screenshot(page, 'comptes-bancaires');

  const companyRow = await s.prisma.company.findFirstOrThrow({ where: { siren: COMPANY.siren } });
  await page.goto(`${s.baseUrl}/redevables/${companyRow.id}`);
  expect(await mainText(page)).toContain('3 compte(s) bancaire(s) disponible(s)');
  expect(await mainText(page)).toContain('Jeton utilisé');

  await page
    .getByRole('button', { name: /^Collecter maintenant le compte/ })
    .first()
    .click();
  await page.waitForLoadState();
  const flash = await page.locator('.flash').first().innerText();
  expect(flash).toMatch(/Collecte effectuée.*relevés? émis/);
  await screenshot(page, 'collecte');

  await page.getByRole('navigation', { name: 'Menu principal' }).getByRole('link', { name: 'Réception' }).click();
  await page.waitForURL('**/reception');
  const received = await mainText(page);
  expect(received).toMatch(/[2-9] relevés trouvés/);
  expect(received).toContain(COMPANY.name);
  await screenshot(page, 'reception');

  await page
    .getByRole('link', { name: /^Détail du relevé/ })
    .first()
    .click();
  await page.waitForURL(/\/reception\/[0-9a-f-]{36}$/);
  const detail = await mainText(page);
  expect(detail).toContain('lu depuis le fichier CFONB120');
  expect(detail).toContain('Solde initial');
  expect(detail).toMatch(/\d{2}\/\d{2}\/\d{4}/);
  await screenshot(page, 'detail-releve');

  const [cfonb] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Télécharger le relevé CFONB120' }).click(),
  ]);
  expect(cfonb.suggestedFilename()).toMatch(/^Releve_.*\.cfonb$/);
  const file = readFileSync((await cfonb.path())!, 'latin1');
  expect(file.slice(0, 2)).toBe('01');
  expect(file.split('\n')[0]!.length).toBe(120);

  await page.goBack();
  const boxes = page.locator('input[name="ids"]');
  await boxes.nth(0).check();
  await boxes.nth(1).check();
  const [zip] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Télécharger la sélection (ZIP)' }).click(),
  ]);
  expect(zip.suggestedFilename()).toMatch(/^releves_\d{4}-\d{2}-\d{2}\.zip$/);
  const archive = readFileSync((await zip.path())!);
  expect(archive.subarray(0, 2).toString()).toBe('PK');
  const names = new Set(archive.toString('latin1').match(/Releve_[\w]+\.cfonb/g));
  expect(names.size).toBe(2);
});

test('a wrong password twice: the alert in the bell and a new link for the company', async () => {
  const connection = await s.prisma.bankConnection.findFirstOrThrow({
    where: { company: { siren: COMPANY.siren } },
  });
  const forced = await s.admin('POST', `/connections/${connection.powensConnectionId}/state`, {
    state: 'wrongpass',
    apply: true,
  });
  expect(forced.status).toBe(200);
  const account = await s.prisma.bankAccount.findFirstOrThrow({ where: { connectionId: connection.id } });
  for (let i = 0; i < 2; i++) {
    await page.goto(`${s.baseUrl}/comptes/${account.id}`);
    await page.getByRole('button', { name: /^Collecter maintenant le compte/ }).click();
    await page.waitForLoadState();
  }
  const before = (await s.mails(COMPANY.email)).length;
  await eventually('the update-credentials e-mail', async () =>
    (await s.mails(COMPANY.email)).length > 1 ? true : undefined,
  );
  expect(before).toBeGreaterThanOrEqual(1);

  await page.goto(`${s.baseUrl}/comptes/${account.id}`);
  const detail = await mainText(page);
  expect(detail).toContain('Connexion bancaire en erreur');
  expect(detail).toContain("L'authentification au site de la banque a échoué");
  await screenshot(page, 'compte-en-erreur');

  const bell = page.getByRole('link', { name: /^Notifications : [1-9]\d* non lues?$/ });
  await bell.click();
  await page.waitForURL('**/notifications');
  expect(await mainText(page)).toContain(`Connexion bancaire en erreur : ${COMPANY.name}`);
  expect(await mainText(page)).toContain('Un lien de mise à jour a été envoyé au redevable.');
  await screenshot(page, 'notifications');

  const companyRow = await s.prisma.company.findFirstOrThrow({ where: { siren: COMPANY.siren } });
  await page.goto(`${s.baseUrl}/redevables/${companyRow.id}?onglet=jetons`);
  const jetons = await mainText(page);
  expect(jetons).toContain('Mise à jour des identifiants bancaires');
  expect(jetons).toContain('Jeton valide');
  await screenshot(page, 'jetons-apres-alerte');
});

test('the screens are usable on a phone: nothing wider than the screen but the tables’ own scroll', async () => {
  const mobile = await phone.newPage();
  await mobile.context().addCookies(await desk.cookies());
  for (const path of ['/redevables', '/comptes', '/reception', '/notifications']) {
    await mobile.goto(`${s.baseUrl}${path}`);
    expect([path, await mobile.evaluate('document.documentElement.scrollWidth <= window.innerWidth + 1')]).toEqual([
      path,
      true,
    ]);
    await screenshot(mobile, `mobile${path.replace(/\//g, '-')}`);
  }
  // Keyboard: the skip link is the first stop and leads to the content.
  await mobile.keyboard.press('Tab');
  expect(await mobile.evaluate('document.activeElement.textContent')).toBe('Aller au contenu');
  await mobile.close();
});
