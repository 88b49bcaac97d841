/**
 * Every button that leads to Powens' webview, clicked in a real Chromium, lands on the sandbox's
 * webview page: the portal's "Saisir directement mes identifiants" (company page) and "Saisir mes
 * identifiants" (company page, fleet list, account detail), and the company's link pages
 * (/l/<secret>: "Choisir ma banque", "Mettre à jour mes identifiants"). The portal's forms answer
 * with a 303 to the webview, which the browser follows only if the page's Content-Security-Policy
 * allows that origin in form-action. Screenshots: test/artifacts/e2e/powens/.
 */
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { createTenant, siren, type Tenant } from '../api/support';
import { completeWebview, eventually, useE2EStack } from './stack';

const s = useE2EStack('powens');
const OWN_SIREN = siren(7411);
const OWN = { name: 'Cabinet Martin Conseil', email: 'banque@cabinet-martin.test' };
const CLIENT = { siren: siren(7412), name: 'Fromagerie Leroy', email: 'compta@fromagerie-leroy.test' };
let firm: Tenant;
let desk: BrowserContext;
let page: Page;
let ownId: string;
let clientId: string;
let shot = 0;
const csp: string[] = [];

async function screenshot(p: Page, name: string) {
  await p.screenshot({ path: join(s.artifacts, `${String(++shot).padStart(2, '0')}-${name}.png`), fullPage: true });
}

async function createCompany(body: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${s.baseUrl}/api/v1/companies`, {
    method: 'POST',
    headers: { authorization: `Bearer ${firm.key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ periodicity: { kind: 'MONTHLY', day: 0 }, autoLinks: false, ...body }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

/** The webview page we landed on: its address and its heading. */
async function landedOnWebview(p: Page, flow: 'connect' | 'reconnect'): Promise<string> {
  await p.waitForURL(`${s.powensOrigin}/webview/**`);
  const url = new URL(p.url());
  expect(url.origin).toBe(s.powensOrigin);
  // The sandbox answers /webview/fr/<flow>?… with the session's first step.
  expect(url.pathname).toMatch(new RegExp(`^/webview/(fr/${flow}|s/[\\w-]+/\\w+)$`));
  expect(await p.locator('footer').innerText()).toContain('Proposé par Powens');
  return (await p.locator('h1').innerText()).trim();
}

/** The link e-mailed to `to` (newest first), opened by the company in its own browser. */
async function linkFor(to: string, count: number): Promise<string> {
  const mails = await eventually(`${count} link e-mail(s) to ${to}`, async () => {
    const m = (await s.mails(to)).filter((x) => /\/l\/[\w-]+/.test(x.text));
    return m.length >= count ? m : undefined;
  });
  return /(https?:\/\/\S+\/l\/[\w-]+)/.exec(mails[0]!.text)![1]!;
}

beforeAll(async () => {
  firm = await createTenant(s.prisma, { name: OWN.name, siren: OWN_SIREN });
  await s.prisma.portalAccount.update({
    where: { id: firm.accountId },
    data: { acceptedTermsVersion: '2026-01', acceptedTermsAt: new Date() },
  });
  ownId = await createCompany({ siren: OWN_SIREN, name: OWN.name, email: OWN.email });
  clientId = await createCompany({ siren: CLIENT.siren, name: CLIENT.name, email: CLIENT.email });
  desk = await s.browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'fr-FR' });
  page = await desk.newPage();
  page.on('dialog', (d) => void d.accept());
  // A form-action refusal shows in the console (and the page stays where it was).
  desk.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) csp.push(m.text());
  });
  await page.goto(`${s.baseUrl}/connexion`);
  await page.getByLabel('Identifiant').fill(firm.login);
  await page.getByLabel('Mot de passe').fill(firm.password);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.waitForURL('**/redevables');
});

afterAll(async () => {
  await desk?.close();
});

afterEach(() => {
  expect(csp.splice(0)).toEqual([]);
});

test('"Saisir directement mes identifiants" (own SIREN) opens the webview; connecting there brings the accounts', async () => {
  await page.goto(`${s.baseUrl}/redevables/${ownId}`);
  await page.getByRole('button', { name: 'Saisir directement mes identifiants' }).click();
  expect(await landedOnWebview(page, 'connect')).toBe('Choisissez votre banque');
  await screenshot(page, 'connexion-directe');

  const chosen = await completeWebview(page, { powensOrigin: s.powensOrigin, accounts: 2, company: OWN });
  expect(chosen).toBe(2);
  expect(page.url().startsWith(`${s.baseUrl}/powens/callback`)).toBe(true);
  expect(await page.locator('body').innerText()).toContain('Merci, vos comptes sont connectés');
  await page.goto(`${s.baseUrl}/redevables/${ownId}`);
  expect(await page.locator('main').innerText()).toContain('2 compte(s) bancaire(s) disponible(s)');
});

test('"Saisir mes identifiants" opens the reconnection webview from the company page, the fleet list and the account detail', async () => {
  const account = await s.prisma.bankAccount.findFirstOrThrow({
    where: { companyId: ownId },
    orderBy: { label: 'asc' },
  });
  for (const [name, path] of [
    ['redevable', `/redevables/${ownId}`],
    ['comptes', `/comptes?name=${encodeURIComponent(OWN.name)}`],
    ['compte', `/comptes/${account.id}`],
  ] as const) {
    await page.goto(`${s.baseUrl}${path}`);
    await page
      .getByRole('button', { name: /^Saisir directement les identifiants bancaires/ })
      .first()
      .click();
    // The connection is fine: the sandbox's reconnection asks nothing and offers to sync.
    expect([name, await landedOnWebview(page, 'reconnect')]).toEqual([name, 'Votre connexion']);
    expect(await page.locator('.bank').innerText()).toBe('Connecteur de test');
    await screenshot(page, `reconnexion-${name}`);
  }
});

test('the link pages: "Choisir ma banque" (new accounts) and "Mettre à jour mes identifiants" open the webview', async () => {
  const company = await desk.browser()!.newContext({ viewport: { width: 390, height: 844 }, locale: 'fr-FR' });
  company.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) csp.push(m.text());
  });
  try {
    // Add accounts: the firm sends the link from the client's page.
    await page.goto(`${s.baseUrl}/redevables/${clientId}`);
    await page.getByRole('button', { name: 'Ajouter des comptes bancaires' }).click();
    await page.waitForURL(/onglet=jetons/);
    const add = await company.newPage();
    await add.goto(await linkFor(CLIENT.email, 1));
    await add.locator('input[name="consent"]').check();
    await add.getByRole('button', { name: 'Choisir ma banque' }).click();
    expect(await landedOnWebview(add, 'connect')).toBe('Choisissez votre banque');
    await screenshot(add, 'lien-ajout');

    // Update credentials: the firm sends the link for its own connection.
    await page.goto(`${s.baseUrl}/redevables/${ownId}`);
    await page
      .getByRole('button', { name: /^Envoyer au redevable un lien de mise à jour des identifiants/ })
      .first()
      .click();
    await page.waitForLoadState();
    expect(await page.locator('.flash').first().innerText()).toContain(
      `Un lien de mise à jour des identifiants (72 h) a été envoyé à ${OWN.email}.`,
    );
    const update = await company.newPage();
    await update.goto(await linkFor(OWN.email, 1));
    expect(await update.locator('h1').innerText()).toBe('Mise à jour de vos identifiants bancaires');
    await update.locator('input[name="consent"]').check();
    await update.getByRole('button', { name: 'Mettre à jour mes identifiants' }).click();
    expect(await landedOnWebview(update, 'reconnect')).toBe('Votre connexion');
    expect(await update.locator('.bank').innerText()).toBe('Connecteur de test');
    await screenshot(update, 'lien-mise-a-jour');
  } finally {
    await company.close();
  }
});
