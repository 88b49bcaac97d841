/**
 * End to end in a real Chromium: the firm logs in and subscribes, creates a company, sends it a
 * link; the company reads the link in the mail sink, opens it (on a phone-sized screen), consents,
 * goes through the sandbox's webview choosing three accounts; the firm sees the accounts, clicks
 * "Collecter maintenant" (collect only: what came in and the connection's state, then the button
 * waits for its cooldown), issues an intermediate statement after its confirmation page, finds the
 * statements in Réception, opens a detail, downloads a CFONB file and a ZIP of two statements; then
 * a wrong password: the collect shows it, the portal no longer offers to force a sync and sends the
 * company an update link instead. Screenshots of every screen go to test/artifacts/e2e/portal/
 * (not committed).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { addDays, nextPeriodEnd, parisDate as parisDay } from '../../domain/schedule';
import { frDay as fr, frTime } from '../../web/format';
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

test('the firm sees the three accounts, collects now (collect only), then waits for the cooldown', async () => {
  await page.getByRole('link', { name: 'Comptes bancaires', exact: true }).first().click();
  await page.waitForURL('**/comptes');
  await page.getByRole('textbox', { name: 'Raison sociale', exact: true }).fill(COMPANY.name);
  await page.getByRole('button', { name: 'Rechercher' }).click();
  // The webview offered only the account types that can get a statement (account_types).
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
  expect(flash).toMatch(
    /^Collecte effectuée : \d+ transactions? collectées?\. État de la connexion : opérationnelle\./,
  );
  await screenshot(page, 'collecte');

  // One click = one sync: every button of this connection waits for the end of the cooldown.
  const connection = await s.prisma.bankConnection.findFirstOrThrow({ where: { companyId: companyRow.id } });
  const until = frTime(new Date(connection.collectRequestedAt!.getTime() + 15 * 60_000));
  const waiting = page.getByRole('button', { name: /^Collecter maintenant le compte/ });
  expect(await waiting.count()).toBe(3);
  for (let i = 0; i < 3; i++) {
    await expect(waiting.nth(i).isDisabled()).resolves.toBe(true);
    expect(await waiting.nth(i).innerText()).toMatch(new RegExp(`Collecter maintenant\\s+Disponible à ${until}`));
  }
  await expect(
    page
      .getByRole('button', { name: /^Émettre un relevé intermédiaire/ })
      .first()
      .isDisabled(),
  ).resolves.toBe(true);
  await screenshot(page, 'collecte-delai');
});

test('an intermediate statement: the confirmation says what it does to the next monthly one, then the statements are in Réception', async () => {
  const companyRow = await s.prisma.company.findFirstOrThrow({ where: { siren: COMPANY.siren } });
  // The quarter of an hour has passed.
  await s.prisma.bankConnection.updateMany({
    where: { companyId: companyRow.id },
    data: { collectRequestedAt: new Date(Date.now() - 16 * 60_000) },
  });
  await page.goto(`${s.baseUrl}/redevables/${companyRow.id}`);
  await page
    .getByRole('link', { name: /^Émettre un relevé intermédiaire pour le compte/ })
    .first()
    .click();
  await page.waitForURL(/\/connexions\/[0-9a-f-]{36}\/releve-intermediaire/);
  const today = parisDay(new Date());
  const yesterday = addDays(today, -1);
  const nextEnd = nextPeriodEnd({ kind: 'MONTHLY', day: 0 }, yesterday);
  const confirm = await mainText(page);
  expect(confirm).toContain(
    `Un relevé sera émis jusqu’au ${fr(yesterday)}. Le prochain relevé MENSUEL couvrira du ${fr(today)} au ${fr(nextEnd)}.`,
  );
  expect(confirm).toContain(COMPANY.name);
  await screenshot(page, 'releve-intermediaire-confirmation');
  await page.getByRole('button', { name: 'Émettre le relevé intermédiaire' }).click();
  await page.waitForURL(`${s.baseUrl}/redevables/${companyRow.id}`);
  const flash = await page.locator('.flash').first().innerText();
  expect(flash).toMatch(
    new RegExp(
      `^Relevé intermédiaire jusqu’au ${fr(yesterday)} : [1-9]\\d* relevés? émis, à retrouver dans « Réception »\\.`,
    ),
  );
  expect(flash).toContain('État de la connexion : opérationnelle.');
  await screenshot(page, 'releve-intermediaire');

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

test('a wrong password: the collect shows it; the portal then refuses to force a sync and sends an update link instead', async () => {
  const connection = await s.prisma.bankConnection.findFirstOrThrow({
    where: { company: { siren: COMPANY.siren } },
  });
  const forced = await s.admin('POST', `/connections/${connection.powensConnectionId}/state`, {
    state: 'wrongpass',
    apply: true,
  });
  expect(forced.status).toBe(200);
  await s.prisma.bankConnection.update({
    where: { id: connection.id },
    data: { collectRequestedAt: new Date(Date.now() - 16 * 60_000) },
  });
  const account = await s.prisma.bankAccount.findFirstOrThrow({ where: { connectionId: connection.id } });
  await page.goto(`${s.baseUrl}/comptes/${account.id}`);
  await page.getByRole('button', { name: /^Collecter maintenant le compte/ }).click();
  await page.waitForLoadState();
  const flash = await page.locator('.flash').first().innerText();
  expect(flash).toMatch(
    /^Collecte effectuée : 0 transaction collectée\. État de la connexion : en attente du redevable/,
  );
  expect(flash).toContain('la banque refuse les identifiants enregistrés');
  await screenshot(page, 'collecte-wrongpass');

  // The connection waits for its user: no forced sync is offered, the reason and the remedy are.
  await page.goto(`${s.baseUrl}/comptes/${account.id}`);
  const detail = await mainText(page);
  expect(detail).toContain('Connexion bancaire en erreur');
  expect(detail).toContain(
    'Collecte impossible : la connexion attend une action du redevable (la banque refuse les identifiants enregistrés (mot de passe changé ?)).',
  );
  expect(detail).toContain('Envoyez-lui un lien de mise à jour des identifiants');
  expect(await page.getByRole('button', { name: /^Collecter maintenant/ }).count()).toBe(0);
  expect(await page.getByRole('link', { name: /^Émettre un relevé intermédiaire/ }).count()).toBe(0);
  await screenshot(page, 'collecte-refusee');

  // A page opened before the failure still posts: the API refuses (409) and the page says why.
  const stale = await s.prisma.bankConnection.update({
    where: { id: connection.id },
    data: { state: null, collectRequestedAt: null },
  });
  await page.goto(`${s.baseUrl}/comptes/${account.id}`);
  await s.prisma.bankConnection.update({ where: { id: stale.id }, data: { state: 'wrongpass' } });
  await page.getByRole('button', { name: /^Collecter maintenant le compte/ }).click();
  await page.waitForLoadState();
  expect(await page.locator('.flash').first().innerText()).toMatch(
    /^Collecte impossible : la connexion attend une action du redevable/,
  );
  await screenshot(page, 'collecte-refusee-409');

  const before = (await s.mails(COMPANY.email)).length;
  await page.getByRole('button', { name: /^Envoyer au redevable un lien de mise à jour des identifiants/ }).click();
  await page.waitForLoadState();
  expect(await page.locator('.flash').first().innerText()).toContain(
    `Un lien de mise à jour des identifiants (72 h) a été envoyé à ${COMPANY.email}.`,
  );
  await eventually('the update-credentials e-mail', async () =>
    (await s.mails(COMPANY.email)).length > before ? true : undefined,
  );

  const companyRow = await s.prisma.company.findFirstOrThrow({ where: { siren: COMPANY.siren } });
  await page.goto(`${s.baseUrl}/redevables/${companyRow.id}?onglet=jetons`);
  const jetons = await mainText(page);
  expect(jetons).toContain('Mise à jour des identifiants bancaires');
  expect(jetons).toContain('Jeton valide');
  await screenshot(page, 'jetons-mise-a-jour');
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
