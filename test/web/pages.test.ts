/**
 * The portal's pages over real HTTP against the real app and PostgreSQL: status, key French
 * texts, forms going through the API (CSRF, validation messages), downloads, and scoping (another
 * portal account's ids answer 404 like the API).
 */
import { COLLECT_COOLDOWN_MS } from '../../api/collect-now';
import { writeCfonb } from '../../domain/cfonb120';
import { addDays, nextPeriodEnd, parisDate } from '../../domain/schedule';
import { frDay, frTime } from '../../web/format';
import {
  createCompanyWithAccounts,
  createStatement,
  createTenant,
  siren,
  siretNic,
  useApi,
  type Tenant,
} from '../api/support';
import { PortalSession, textOf } from './support';

const api = useApi();

let firm: Tenant;
let secondary: Tenant;
let other: Tenant;
let s: PortalSession;

async function acceptTerms(t: Tenant) {
  await api.prisma.portalAccount.update({
    where: { id: t.accountId },
    data: { acceptedTermsVersion: '2026-01', acceptedTermsAt: new Date() },
  });
}

beforeAll(async () => {
  firm = await createTenant(api.prisma, { name: 'Cabinet Portail' });
  secondary = await createTenant(api.prisma, { name: 'Antenne de Lyon', parent: firm });
  other = await createTenant(api.prisma, { name: 'Cabinet Étranger' });
  await acceptTerms(secondary);
  await acceptTerms(other);
  s = new PortalSession(api);
});

describe('login and subscription', () => {
  test('a page without session sends to the login page with the return address', async () => {
    const r = await new PortalSession(api).get('/redevables?name=x');
    expect(r.status).toBe(303);
    expect(r.location).toBe('/connexion?retour=%2Fredevables%3Fname%3Dx');
    const login = await new PortalSession(api).get(r.location!);
    expect(login.status).toBe(200);
    expect(login.text).toContain('<html lang="fr">');
    expect(login.text).toContain('Connexion à votre espace');
    expect(login.text).toMatch(/<label for="f-login"\s*>Identifiant/);
    // One document: head, then body, then the end of the document.
    expect(login.text.match(/<\/html>/g)).toHaveLength(1);
    expect(login.text.trimEnd().endsWith('</html>')).toBe(true);
  });

  test('a wrong password re-renders the form with the French reason', async () => {
    const r = await new PortalSession(api).login(firm.login, 'mauvais');
    expect(r.status).toBe(401);
    expect(r.text).toContain('Identifiant ou mot de passe incorrect.');
    expect(r.text).toContain(`value="${firm.login}"`);
    // One document: <html> closes once, after the body.
    expect(r.text.match(/<\/html>/g)).toHaveLength(1);
    expect(r.text.indexOf('<body')).toBeLessThan(r.text.indexOf('</html>'));
  });

  test('first use: every page leads to the subscription page until the terms are accepted', async () => {
    const r = await s.login(firm.login, firm.password);
    expect(r.status).toBe(303);
    expect(r.headers.getSetCookie().join()).toMatch(/releves_session=/);
    const list = await s.follow(r);
    expect(list.status).toBe(303);
    expect(list.location).toBe('/souscription');
    const sub = await s.get('/souscription');
    expect(sub.status).toBe(200);
    expect(sub.text).toContain('J’accepte les CGAU');
    expect(sub.text).toContain('Boîte dédiée aux relevés');
    expect(sub.text).toContain('Souscrire au service');

    const refused = await s.post('/souscription', { receptionMode: 'none' });
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('Vous devez accepter les CGAU');

    const noMailbox = await s.post('/souscription', { receptionMode: 'dedicated-mailbox', acceptTerms: 'true' });
    expect(noMailbox.status).toBe(400);
    expect(noMailbox.text).toContain('obligatoire pour une boîte dédiée aux relevés');

    const badCsrf = await s.post('/souscription', { _csrf: 'faux', receptionMode: 'none', acceptTerms: 'true' });
    expect(badCsrf.status).toBe(403);
    expect(badCsrf.text).toContain('Jeton CSRF absent ou invalide');

    const outside = await s.post('/souscription', {
      receptionMode: 'dedicated-mailbox',
      dedicatedMailbox: 'releves@ailleurs.test',
      acceptTerms: 'true',
    });
    expect(outside.status).toBe(400);
    expect(outside.text).toContain('domaine du compte');

    const ok = await s.post('/souscription', {
      receptionMode: 'dedicated-mailbox',
      dedicatedMailbox: 'releves@example.test',
      acceptTerms: 'true',
    });
    expect(ok.status).toBe(303);
    expect(ok.location).toBe('/redevables');
    const account = await api.prisma.portalAccount.findUniqueOrThrow({ where: { id: firm.accountId } });
    expect(account.receptionMode).toBe('DEDICATED_MAILBOX');
    expect(account.dedicatedMailbox).toBe('releves@example.test');
    expect(account.acceptedTermsVersion).toBe('2026-01');
    const page = await s.follow(ok);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Votre souscription au service est enregistrée.');
    const settings = await s.get('/souscription');
    expect(textOf(settings.text)).toMatch(/CGAU acceptées \(version 2026-01\) le \d{2}\/\d{2}\/\d{4} à \d{2}:\d{2}/);
  });

  test('static files ship with the app and the pages allow no external source', async () => {
    const css = await s.get('/static/portal.css');
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/text\/css/);
    const js = await s.get('/static/portal.js');
    expect(js.status).toBe(200);
    const page = await s.get('/redevables');
    expect(page.text).not.toMatch(/(src|href)="https?:\/\//);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/script-src 'self'/);
    // Forms may lead to our own pages and, through their 303, to Powens' webview only.
    expect(csp).toContain("form-action 'self' http://localhost:3100;");
  });
});

describe('Redevables', () => {
  let companyId: string;
  const sirenA = siren(501);

  test('create: validation messages in French, then the company page', async () => {
    const form = await s.get('/redevables/nouveau');
    expect(form.status).toBe(200);
    expect(textOf(form.text)).toContain('Création d’un redevable');
    const bad = await s.post('/redevables/nouveau', {
      siren: '123456789',
      name: '',
      email: 'pas-un-email',
      'periodicity.kind': 'WEEKLY',
      'periodicity.day': '9',
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('SIREN invalide : clé de contrôle (Luhn) incorrecte');
    expect(bad.text).toContain('adresse e-mail invalide');
    expect(bad.text).toMatch(/id="f-siren"[^>]*aria-invalid="true"/);

    const ok = await s.post('/redevables/nouveau', {
      siren: sirenA,
      nic: siretNic(sirenA),
      name: 'Boulangerie Martin',
      email: 'compta@boulangerie.test',
      'periodicity.kind': 'MONTHLY',
      'periodicity.day': '0',
    });
    expect(ok.status).toBe(303);
    companyId = ok.location!.split('/').pop()!;
    const page = await s.follow(ok);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Le redevable Boulangerie Martin est créé.');
    expect(page.text).toContain('Mensuelle, fin de mois');
    expect(textOf(page.text)).toContain('0 compte(s) bancaire(s) disponible(s) pour la réception des relevés');
    expect(page.text).toContain('Ajouter des comptes bancaires');

    const dup = await s.post('/redevables/nouveau', {
      siren: sirenA,
      name: 'Doublon',
      email: 'x@y.test',
      'periodicity.kind': 'DAILY',
    });
    expect(dup.status).toBe(409);
    expect(dup.text).toContain('Un redevable de même SIREN existe déjà');
  });

  test('search by SIRET, name, IBAN and collection state; deactivated ones on request', async () => {
    const withAccounts = await createCompanyWithAccounts(api.prisma, firm, { name: 'Garage Durand', accounts: 2 });
    await createCompanyWithAccounts(api.prisma, firm, { name: 'Pharmacie en erreur', state: 'wrongpass' });
    const all = await s.get('/redevables');
    expect(all.status).toBe(200);
    expect(all.text).toContain('Boulangerie Martin');
    expect(all.text).toContain('Garage Durand');
    expect(textOf(all.text)).toContain('3 redevables trouvés');

    const bySiret = await s.get(`/redevables?siret=${sirenA}`);
    expect(bySiret.text).toContain('Boulangerie Martin');
    expect(bySiret.text).not.toContain('Garage Durand');

    const byIban = await s.get(`/redevables?iban=${encodeURIComponent(withAccounts.accounts[1]!.iban!.slice(4, 20))}`);
    expect(byIban.text).toContain('Garage Durand');
    expect(byIban.text).not.toContain('Boulangerie Martin');

    const errors = await s.get('/redevables?collection=error');
    expect(errors.text).toContain('Pharmacie en erreur');
    expect(errors.text).not.toContain('Garage Durand');

    const badSiret = await s.get('/redevables?siret=abc');
    expect(badSiret.status).toBe(400);
    expect(badSiret.text).toContain('SIREN ou SIRET attendu (chiffres uniquement)');

    const off = await s.post(`/redevables/${companyId}/desactiver`, { retour: '/redevables' });
    expect(off.status).toBe(303);
    const after = await s.follow(off);
    expect(after.text).toContain('Le redevable est désactivé');
    expect(after.text).not.toContain('Boulangerie Martin');
    const inactive = await s.get('/redevables?includeInactive=true');
    expect(inactive.text).toContain('Boulangerie Martin');
    expect(inactive.text).toContain('Réactiver');
    const on = await s.post(`/redevables/${companyId}/reactiver`, { retour: '/redevables' });
    expect((await s.follow(on)).text).toContain('Boulangerie Martin');
  });

  test('a firm past 1 000 companies: the count says “plus de”, and the pages go on past it', async () => {
    const big = await createTenant(api.prisma, { name: 'Cabinet Volume' });
    await acceptTerms(big);
    await api.prisma.$executeRaw`
      INSERT INTO "Company" (id, "portalAccountId", "rootAccountId", siren, name, "periodicityKind", "periodicityDay",
                             "updatedAt")
      SELECT gen_random_uuid(), ${big.accountId}::uuid, ${big.rootId}::uuid, lpad((800000000 + i)::text, 9, '0'),
             'Volume ' || lpad(i::text, 4, '0'), 'MONTHLY', 0, now()
      FROM generate_series(1, 1100) AS i`;
    const v = new PortalSession(api);
    expect((await v.login(big.login, big.password)).status).toBe(303);
    const first = textOf((await v.get('/redevables')).text);
    // Figures as the portal writes them (fr-FR: a narrow no-break space between thousands).
    expect(first).toMatch(/plus de 1\s000 redevables trouvés/);
    expect(first).toMatch(/1–50 sur plus de 1\s000 Suivant/);
    expect(first).toContain('Volume 0001 Mensuelle, fin de mois');
    // Counted again from the page on: the last page is exact.
    const last = textOf((await v.get('/redevables?offset=1050')).text);
    expect(last).toMatch(/1\s051–1\s100 sur 1\s100/);
    expect(last).toContain('Volume 1100');
    expect(last).not.toContain('Suivant');
  });

  test('secondary accounts’ companies with the account name in the first column', async () => {
    await createCompanyWithAccounts(api.prisma, secondary, { name: 'Client de Lyon' });
    const own = await s.get('/redevables');
    expect(own.text).not.toContain('Client de Lyon');
    const withSecondary = await s.get('/redevables?includeSecondary=true');
    expect(withSecondary.text).toContain('Client de Lyon');
    expect(withSecondary.text).toMatch(/<th scope="col">Compte<\/th>/);
    expect(withSecondary.text).toMatch(/<td>Antenne de Lyon<\/td>\s*<td>\d{9}<\/td>/);
  });

  test('edit, send a link, and the Jetons tab lists it', async () => {
    const edit = await s.get(`/redevables/${companyId}/modifier`);
    expect(edit.status).toBe(200);
    expect(edit.text).toContain('value="Boulangerie Martin"');
    const saved = await s.post(`/redevables/${companyId}/modifier`, {
      siren: sirenA,
      nic: '',
      name: 'Boulangerie Martin et Fils',
      email: 'compta@boulangerie.test',
      'periodicity.kind': 'WEEKLY',
      'periodicity.day': '2',
      noAutoLinks: 'true',
    });
    expect(saved.status).toBe(303);
    const page = await s.follow(saved);
    expect(page.text).toContain('Boulangerie Martin et Fils');
    expect(page.text).toContain('Hebdomadaire, le lundi');
    expect(page.text).toContain('option « ne pas générer automatiquement » cochée');

    const badBank = await s.post(`/redevables/${companyId}/lien`, { banque: 'Banque qui n’existe pas' });
    expect(badBank.status).toBe(303);
    expect((await s.follow(badBank)).text).toContain('Banque inconnue : « Banque qui n’existe pas »');
    const sent = await s.post(`/redevables/${companyId}/lien`, { banque: '', recipient: '' });
    expect(sent.status).toBe(303);
    const tab = await s.follow(sent);
    expect(tab.text).toContain('Un lien sécurisé valable 72 h a été envoyé à compta@boulangerie.test.');
    expect(tab.text).toContain('10 derniers jetons');
    expect(tab.text).toContain('Ajout de nouveaux comptes bancaires');
    expect(tab.text).toContain('Jeton valide');
    expect(textOf(tab.text)).toMatch(/\d{2}\/\d{2}\/\d{4} à \d{2}:\d{2}/);
    const mail = await api.prisma.emailMessage.findFirst({ where: { to: 'compta@boulangerie.test' } });
    expect(mail).not.toBeNull();
  });

  test('import: dry run, line-by-line report, then creation', async () => {
    const page = await s.get('/redevables/import');
    expect(page.status).toBe(200);
    expect(page.text).toContain('enctype="multipart/form-data"');
    const upload = (content: string, dryRun: boolean) => {
      const boundary = '----releves' + Math.random().toString(16).slice(2);
      const parts = [
        `--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${s.csrf}\r\n`,
        ...(dryRun ? [`--${boundary}\r\nContent-Disposition: form-data; name="dryRun"\r\n\r\ntrue\r\n`] : []),
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="redevables.csv"\r\nContent-Type: text/csv\r\n\r\n${content}\r\n`,
        `--${boundary}--\r\n`,
      ];
      return s.request(
        'POST',
        '/redevables/import',
        Buffer.from(parts.join('')),
        `multipart/form-data; boundary=${boundary}`,
      );
    };
    const a = siren(611);
    const b = siren(612);
    const good = `${a};;Import Un;;un@import.test;MENSUELLE;;15;0\n${b};;Import Deux;;deux@import.test;JOURNALIERE;;;0\n`;
    const bad = `${a};;Import Un;;un@import.test;MENSUELLE;;15;0\n123;;;;;HEBDO;;;0\n`;

    const errors = await upload(bad, true);
    expect(errors.status).toBe(422);
    expect(textOf(errors.text)).toContain('Rapport de vérification');
    expect(textOf(errors.text)).toMatch(/ 2 1 siren SIREN invalide/);
    expect(errors.text).toContain('aucun redevable n’a été créé');

    const dry = await upload(good, true);
    expect(dry.status).toBe(200);
    expect(dry.text).toContain('Fichier valide : 2 lignes vérifiées');
    expect(await api.prisma.company.count({ where: { siren: { in: [a, b] } } })).toBe(0);

    const real = await upload(good, false);
    expect(real.status).toBe(200);
    expect(real.text).toContain('2 redevables créés');
    expect(await api.prisma.company.count({ where: { siren: { in: [a, b] } } })).toBe(2);
  });
});

describe('bank accounts, Réception, notifications, banks', () => {
  let fixture: Awaited<ReturnType<typeof createCompanyWithAccounts>>;
  let statementId: string;
  let secondStatementId: string;

  beforeAll(async () => {
    fixture = await createCompanyWithAccounts(api.prisma, firm, { name: 'Menuiserie Petit', accounts: 2 });
    await api.prisma.bankAccountEvent.create({
      data: {
        bankAccountId: fixture.accounts[0]!.id,
        kind: 'LABEL_CHANGED',
        field: 'label',
        oldValue: 'Compte de test',
        newValue: 'Compte chèque',
      },
    });
    const st = await createStatement(api.prisma, fixture.accounts[0]!.id, { periodEnd: '2026-10-31' });
    const cfonb = writeCfonb([
      {
        account: { iban: 'FR7630004000031234567890143', currency: 'EUR' },
        opening: { date: '2026-10-01', balance: '1234.56' },
        closing: { date: '2026-10-31', balance: '-42.10' },
        movements: [
          {
            bookingDate: '2026-10-03',
            valueDate: '2026-10-04',
            amount: '-1276.66',
            label: 'PRLV SEPA EDF CLIENT 123',
            type: 'order',
          },
        ],
      },
    ]);
    await api.prisma.statement.update({ where: { id: st.id }, data: { cfonb: new Uint8Array(cfonb) } });
    statementId = st.id;
    secondStatementId = (await createStatement(api.prisma, fixture.accounts[1]!.id, { periodEnd: '2026-09-30' })).id;
    await api.prisma.link.create({
      data: {
        kind: 'UPDATE_CREDENTIALS',
        companyId: fixture.company.id,
        portalAccountId: fixture.company.portalAccountId,
        connectionId: fixture.connection.id,
        recipient: 'petit@menuiserie.test',
        secretHash: 'x'.repeat(64),
        expiresAt: new Date(Date.now() - 3600_000),
      },
    });
  });

  test('fleet list with filters and the link state', async () => {
    const list = await s.get('/comptes');
    expect(list.status).toBe(200);
    expect(list.text).toContain('Menuiserie Petit');
    expect(list.text).toContain('Jeton expiré');
    const expired = await s.get('/comptes?link=expired');
    expect(expired.text).toContain('Menuiserie Petit');
    expect(expired.text).not.toContain('Garage Durand');
    const errors = await s.get('/comptes?connection=error');
    expect(errors.text).toContain('Pharmacie en erreur');
    expect(errors.text).toContain('L&#39;authentification au site de la banque a échoué');
    expect(errors.text).not.toContain('Menuiserie Petit');
  });

  test('account detail: identity, events with old and new values, links, last statements', async () => {
    const r = await s.get(`/comptes/${fixture.accounts[0]!.id}`);
    expect(r.status).toBe(200);
    const t = textOf(r.text);
    expect(t).toContain('Détail d’un compte bancaire');
    expect(t).toContain(
      'Mise à jour du libellé du compte Ancienne valeur=Compte de test, nouvelle valeur=Compte chèque',
    );
    expect(t).toContain('Historique des jetons');
    expect(t).toContain('petit@menuiserie.test');
    expect(t).toContain('Liste des 1 dernier(s) relevé(s) reçu(s)');
    expect(t).toContain('01/10/2026 au 31/10/2026');
    expect(r.text).toContain(`/reception/${statementId}/cfonb`);
  });

  test('collect now: collect only, the outcome, then the cooldown on the buttons (Temporal unreachable here)', async () => {
    const account = `/comptes/${fixture.accounts[0]!.id}`;
    const r = await s.post(`/connexions/${fixture.connection.id}/collecter`, { retour: account });
    expect(r.status).toBe(303);
    expect(r.location).toBe(account);
    const { collectRequestedAt } = await api.prisma.bankConnection.findUniqueOrThrow({
      where: { id: fixture.connection.id },
    });
    const until = frTime(new Date(collectRequestedAt!.getTime() + COLLECT_COOLDOWN_MS));
    const page = await s.follow(r);
    const t = textOf(page.text);
    expect(t).toContain(
      `Demande enregistrée : le service de collecte est momentanément indisponible. Nouvelle demande possible à ${until}.`,
    );
    const audit = await api.prisma.auditEvent.findFirstOrThrow({
      where: { action: 'connection.collect', entityId: fixture.connection.id },
    });
    expect(audit.detail).toEqual({ statement: false });
    // Both buttons of the connection are disabled until the end of the cooldown, with its time.
    expect(page.text).not.toContain(`action="/connexions/${fixture.connection.id}/collecter"`);
    expect(page.text).toMatch(
      new RegExp(
        `<button[^>]*disabled[^>]*aria-label="Collecter maintenant le compte Compte chèque : disponible à ${until}"`,
      ),
    );
    expect(t).toContain(`Collecter maintenant Disponible à ${until}`);
    expect(t).toContain(`Émettre un relevé intermédiaire Disponible à ${until}`);

    // A form posted anyway (a page opened earlier): the API's 429, in French.
    const again = await s.follow(await s.post(`/connexions/${fixture.connection.id}/collecter`, { retour: account }));
    expect(textOf(again.text)).toContain(`nouvelle demande possible à ${until}.`);
    const list = await s.get('/comptes?name=Menuiserie');
    expect(textOf(list.text)).toContain(`Collecter maintenant Disponible à ${until}`);
  });

  test('an intermediate statement is confirmed on its own page first (no script needed), then asked with statement: true', async () => {
    await api.prisma.bankConnection.update({
      where: { id: fixture.connection.id },
      data: { collectRequestedAt: null },
    });
    const account = `/comptes/${fixture.accounts[0]!.id}`;
    const detail = await s.get(account);
    const href = `/connexions/${fixture.connection.id}/releve-intermediaire?retour=${encodeURIComponent(account)}`;
    expect(detail.text).toContain(`href="${href.replace(/&/g, '&amp;')}"`);
    const confirm = await s.get(href);
    expect(confirm.status).toBe(200);
    const t = textOf(confirm.text);
    const yesterday = addDays(parisDate(new Date()), -1);
    const nextEnd = nextPeriodEnd({ kind: 'MONTHLY', day: 0 }, yesterday);
    expect(t).toContain('Émettre un relevé intermédiaire');
    expect(t).toContain(
      `Un relevé sera émis jusqu’au ${frDay(yesterday)}. Le prochain relevé MENSUEL couvrira du ${frDay(addDays(yesterday, 1))} au ${frDay(nextEnd)}.`,
    );
    expect(t).toContain('Menuiserie Petit');
    expect(t).toContain('Compte chèque');
    expect(t).toContain('Mensuelle');
    // A plain form (no data-confirm): the page itself is the confirmation.
    expect(confirm.text).toMatch(
      new RegExp(`<form method="post" action="/connexions/${fixture.connection.id}/releve-intermediaire"`),
    );
    expect(confirm.text).toContain(`name="retour" value="${account}"`);
    expect(confirm.text).toContain(`<a href="${account}">Annuler</a>`);

    const r = await s.post(`/connexions/${fixture.connection.id}/releve-intermediaire`, { retour: account });
    expect(r.status).toBe(303);
    expect(r.location).toBe(account);
    expect(textOf((await s.follow(r)).text)).toContain('le service de collecte est momentanément indisponible');
    const audit = await api.prisma.auditEvent.findFirstOrThrow({
      where: { action: 'connection.collect', entityId: fixture.connection.id },
      orderBy: { at: 'desc' },
    });
    expect(audit.detail).toEqual({ statement: true });

    // During the cooldown the page says when, and offers no button.
    const waiting = await s.get(href);
    expect(textOf(waiting.text)).toContain('nouvelle demande possible à');
    expect(waiting.text).not.toContain('Émettre le relevé intermédiaire');
  });

  test('a connection waiting for its company: the reason and the update link instead of the collect buttons; a post is refused', async () => {
    const waiting = await createCompanyWithAccounts(api.prisma, firm, { name: 'Librairie Morel', state: 'wrongpass' });
    const path = `/comptes/${waiting.accounts[0]!.id}`;
    const r = await s.get(path);
    const t = textOf(r.text);
    expect(t).toContain(
      'Collecte impossible : la connexion attend une action du redevable (la banque refuse les identifiants enregistrés (mot de passe changé ?)).',
    );
    expect(t).toContain('Envoyez-lui un lien de mise à jour des identifiants (« Mettre à jour les identifiants »)');
    expect(r.text).not.toContain(`/connexions/${waiting.connection.id}/collecter`);
    expect(r.text).not.toContain(`/connexions/${waiting.connection.id}/releve-intermediaire`);
    expect(r.text).toMatch(
      new RegExp(
        `action="/connexions/${waiting.connection.id}/lien"[\\s\\S]*?<button\\s+type="submit"\\s+class="small primary"`,
      ),
    );
    const company = await s.get(`/redevables/${waiting.company.id}`);
    expect(textOf(company.text)).toContain('Collecte impossible : la connexion attend une action du redevable');

    const refused = await s.follow(await s.post(`/connexions/${waiting.connection.id}/collecter`, { retour: path }));
    expect(textOf(refused.text)).toContain(
      'Forcer une synchronisation sans lui pourrait bloquer son accès à la banque.',
    );
    const page = await s.get(`/connexions/${waiting.connection.id}/releve-intermediaire`);
    expect(textOf(page.text)).toContain('Collecte impossible : la connexion attend une action du redevable');
    expect(page.text).not.toContain('Émettre le relevé intermédiaire');
    expect(await api.prisma.auditEvent.count({ where: { entityId: waiting.connection.id } })).toBe(0);
  });

  test('deactivate and reactivate an account', async () => {
    const id = fixture.accounts[1]!.id;
    const off = await s.post(`/comptes/${id}/desactiver`, { retour: `/comptes/${id}` });
    expect((await s.follow(off)).text).toContain('La réception des relevés est désactivée sur ce compte bancaire.');
    expect((await api.prisma.bankAccount.findUniqueOrThrow({ where: { id } })).active).toBe(false);
    const on = await s.post(`/comptes/${id}/reactiver`, { retour: `/comptes/${id}` });
    expect((await s.follow(on)).text).toContain('réactivée');
  });

  test('a card without IBAN: shown as unable to get a CFONB statement, never offered for activation', async () => {
    const card = await api.prisma.bankAccount.create({
      data: {
        connectionId: fixture.connection.id,
        companyId: fixture.company.id,
        portalAccountId: fixture.company.portalAccountId,
        powensAccountId: 9_001,
        iban: null,
        number: 'XXXX XXXX XXXX 4242',
        label: 'Carte Visa Business',
        type: 'card',
        currency: 'EUR',
        active: false,
      },
    });
    const company = await s.get(`/redevables/${fixture.company.id}`);
    expect(company.text).toContain('1 sans relevé CFONB possible (compte sans IBAN)');
    expect(company.text).toContain('Relevé CFONB indisponible : compte sans IBAN (carte)');
    expect(company.text).not.toContain(`/comptes/${card.id}/reactiver`);
    const detail = await s.get(`/comptes/${card.id}`);
    expect(detail.text).toContain('Relevé CFONB indisponible : compte sans IBAN (carte)');
    expect(detail.text).toContain('carte'); // the type in French
    // A post made anyway (an older page, a crafted form): the API refuses and nothing changes.
    const on = await s.post(`/comptes/${card.id}/reactiver`, { retour: `/comptes/${card.id}` });
    expect((await s.follow(on)).text).toContain('ce compte ne peut pas recevoir de relevés');
    expect((await api.prisma.bankAccount.findUniqueOrThrow({ where: { id: card.id } })).active).toBe(false);
  });

  test('Réception: search, detail read back from the CFONB file, downloads and ZIP', async () => {
    const list = await s.get('/reception');
    expect(list.status).toBe(200);
    expect(list.text).toContain('Recherche des relevés reçus');
    expect(list.text).toContain('Menuiserie Petit');
    expect(list.text).toContain('01/10/2026 au 31/10/2026');

    const today = new Date();
    const dd = `${String(today.getUTCDate()).padStart(2, '0')}/${String(today.getUTCMonth() + 1).padStart(2, '0')}/${today.getUTCFullYear()}`;
    const byDate = await s.get(`/reception?from=${encodeURIComponent(dd)}&name=Menuiserie`);
    expect(textOf(byDate.text)).toContain('2 relevés trouvés');
    const badDate = await s.get('/reception?from=31%2F02%2F2026');
    expect(badDate.status).toBe(400);
    expect(badDate.text).toContain('date au format jj/mm/aaaa attendue');
    const future = await s.get('/reception?from=01%2F01%2F2099');
    expect(textOf(future.text)).toContain('0 relevé trouvé');

    const detail = await s.get(`/reception/${statementId}`);
    expect(detail.status).toBe(200);
    const t = textOf(detail.text);
    expect(t).toContain('lu depuis le fichier CFONB120');
    expect(t).toContain('PRLV SEPA EDF CLIENT 123');
    expect(t).toContain('1\u202f276,66\u00a0€');
    expect(t).toContain('1\u202f234,56\u00a0€');
    expect(t).toMatch(/Solde final 42,10\u00a0€ /); // a debtor balance, in the Débit column
    expect(t).toContain('03/10/2026');
    expect(t).toContain('Transactions supprimées par la banque');

    const file = await s.get(`/reception/${statementId}/cfonb`);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-disposition')).toMatch(
      /^attachment; filename="?Releve_FR76\d+_du_01102026_au_31102026\.cfonb/,
    );
    expect(file.buffer.toString('latin1').slice(0, 2)).toBe('01');
    const csv = await s.get(`/reception/${statementId}/supprimees.csv`);
    expect(csv.status).toBe(200);
    expect(csv.text).toContain('FRAIS');

    const zip = await s.post('/reception/zip', { mode: 'selection', ids: [statementId, secondStatementId] });
    expect(zip.status).toBe(200);
    expect(zip.headers.get('content-type')).toBe('application/zip');
    expect(zip.buffer.subarray(0, 2).toString()).toBe('PK');
    expect((zip.buffer.toString('latin1').match(/\.cfonb/g) ?? []).length).toBeGreaterThanOrEqual(4); // 2 entries × (local + central)

    // "Tout télécharger": every successful statement of the search (here the company's two).
    const all = await s.post('/reception/zip', { mode: 'all', filters: '?name=Menuiserie' });
    expect(all.status).toBe(200);
    expect(new Set(all.buffer.toString('latin1').match(/Releve_\w+\.cfonb/g)).size).toBe(2);

    const none = await s.post('/reception/zip', { mode: 'selection' });
    expect(none.status).toBe(303);
    expect((await s.follow(none)).text).toContain('Sélectionnez au moins un relevé');
  });

  test('notifications bell, mark as read', async () => {
    const n = await api.prisma.notification.create({
      data: {
        portalAccountId: firm.accountId,
        kind: 'connection-error',
        title: 'Connexion en erreur : Menuiserie Petit',
        body: 'Un nouveau lien a été envoyé au redevable.',
        url: `/comptes/${fixture.accounts[0]!.id}`,
      },
    });
    const page = await s.get('/redevables');
    expect(page.text).toMatch(/aria-label="Notifications : 1 non lue"/);
    const list = await s.get('/notifications');
    expect(list.status).toBe(200);
    expect(list.text).toContain('Connexion en erreur : Menuiserie Petit');
    const read = await s.post(`/notifications/${n.id}/lue`, { aller: n.url! });
    expect(read.status).toBe(303);
    expect(read.location).toBe(`/comptes/${fixture.accounts[0]!.id}`);
    expect((await api.prisma.notification.findUniqueOrThrow({ where: { id: n.id } })).readAt).not.toBeNull();
    const after = await s.get('/redevables');
    expect(after.text).toMatch(/aria-label="Notifications : 0 non lue"/);
  });

  test('bank referential: add a bank, French errors', async () => {
    const bad = await s.post('/banques', { name: '', bic: 'XX' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('BIC invalide (8 ou 11 caractères)');
    const ok = await s.post('/banques', { name: 'Banque Populaire', bic: 'CCBPFRPPXXX', connector: '40' });
    expect(ok.status).toBe(303);
    const page = await s.follow(ok);
    expect(page.text).toContain('La banque Banque Populaire est ajoutée au référentiel.');
    expect(page.text).toContain('CCBPFRPPXXX');
  });

  test('scoping: another portal account’s ids answer 404, and nothing changes', async () => {
    const foreign = await createCompanyWithAccounts(api.prisma, other, { name: 'Société Étrangère' });
    const foreignStatement = await createStatement(api.prisma, foreign.accounts[0]!.id);
    const note = await api.prisma.notification.create({
      data: { portalAccountId: other.accountId, kind: 'x', title: 'Secret', body: 'Secret' },
    });
    for (const path of [
      `/redevables/${foreign.company.id}`,
      `/redevables/${foreign.company.id}?onglet=jetons`,
      `/redevables/${foreign.company.id}/modifier`,
      `/comptes/${foreign.accounts[0]!.id}`,
      `/reception/${foreignStatement.id}`,
      `/reception/${foreignStatement.id}/cfonb`,
      `/reception/${foreignStatement.id}/supprimees.csv`,
    ]) {
      const r = await s.get(path);
      expect([path, r.status]).toEqual([path, 404]);
      expect(r.text).not.toContain('Société Étrangère');
    }
    for (const path of [
      `/redevables/${foreign.company.id}/desactiver`,
      `/redevables/${foreign.company.id}/lien`,
      `/comptes/${foreign.accounts[0]!.id}/desactiver`,
      `/connexions/${foreign.connection.id}/collecter`,
      `/connexions/${foreign.connection.id}/lien`,
      `/notifications/${note.id}/lue`,
    ]) {
      const r = await s.post(path, {});
      expect([path, r.status]).toEqual([path, 404]);
    }
    const zip = await s.post('/reception/zip', { mode: 'selection', ids: [foreignStatement.id] });
    expect(zip.status).toBe(303);
    expect((await s.follow(zip)).text).toContain('introuvable');
    expect((await api.prisma.company.findUniqueOrThrow({ where: { id: foreign.company.id } })).active).toBe(true);
    expect(await api.prisma.link.count({ where: { companyId: foreign.company.id } })).toBe(0);
    const list = await s.get('/redevables?includeSecondary=true&includeInactive=true');
    expect(list.text).not.toContain('Société Étrangère');
  });

  test('a secondary account sees only its own companies; the primary’s ids answer 404', async () => {
    const lyon = new PortalSession(api);
    expect((await lyon.login(secondary.login, secondary.password)).status).toBe(303);
    const list = await lyon.get('/redevables');
    expect(list.status).toBe(200);
    expect(list.text).toContain('Client de Lyon');
    expect(list.text).not.toContain('Menuiserie Petit');
    expect(list.text).not.toContain('Afficher les redevables des comptes secondaires');
    expect((await lyon.get(`/redevables/${fixture.company.id}`)).status).toBe(404);
    expect((await lyon.get(`/comptes/${fixture.accounts[0]!.id}`)).status).toBe(404);
    expect((await lyon.get(`/reception/${statementId}`)).status).toBe(404);
    // The primary opens its secondary's company (includeSecondary on routes with an id).
    const lyonCompany = await api.prisma.company.findFirstOrThrow({ where: { portalAccountId: secondary.accountId } });
    const fromPrimary = await s.get(`/redevables/${lyonCompany.id}`);
    expect(fromPrimary.status).toBe(200);
    expect(textOf(fromPrimary.text)).toContain('Compte Antenne de Lyon');
  });

  test('rights: a statements-only user has no company actions, and a write answers 403', async () => {
    const viewer = await createTenant(api.prisma, { name: 'Cabinet Lecture', rights: ['VIEW_STATEMENTS'] });
    await acceptTerms(viewer);
    const v = new PortalSession(api);
    await v.login(viewer.login, viewer.password);
    const list = await v.get('/redevables');
    expect(list.status).toBe(200);
    expect(list.text).not.toContain('Créer un redevable');
    const refused = await v.post('/redevables/nouveau', {
      siren: siren(801),
      name: 'Interdit',
      email: 'x@example.test',
      'periodicity.kind': 'DAILY',
    });
    expect(refused.status).toBe(403);
    expect(textOf(refused.text)).toContain("Votre profil n'a pas le droit d'effectuer cette action.");
    expect((await v.get('/reception')).status).toBe(200);
  });

  test('logout ends the session', async () => {
    const out = await s.post('/deconnexion', {});
    expect(out.status).toBe(303);
    expect(out.location).toBe('/connexion');
    const again = await s.get('/redevables');
    expect(again.status).toBe(303);
    expect(again.location).toMatch(/^\/connexion/);
  });
});
