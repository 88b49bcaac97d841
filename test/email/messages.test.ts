/**
 * Every message of the manuals: a snapshot of subject, text and HTML, plus the facts each must
 * carry (firm name and contact, accounts, error detail, link and its 72 h, whether a link went out),
 * HTML escaping, and the 2 Mo zip rule of the statement attachment.
 */
import { inflateRawSync } from 'node:zlib';
import {
  ZIP_THRESHOLD_BYTES,
  renderAccountsConnected,
  renderAddAccountsLink,
  renderConnectionRequest,
  renderCredentialsUpdated,
  renderFirmConnectionAlert,
  renderStatementDelivery,
  renderTemplate,
  renderUpdateCredentialsLink,
  type RenderedEmail,
  type StatementDeliveryInput,
} from '../../email';
import { renderLinkEmail } from '../../api/emails';

const firm = { name: 'EXPERT COMPTABLE TEST', email: 'expertcomptable@test.fr', phone: '0102030405' };
const company = { name: 'ENTREPRISE TEST', siren: '079555421', nic: '00019' };
const platform = { supportEmail: 'support@releves.example', supportPhone: '04 77 81 04 69' };
const expiresAt = new Date('2019-10-24T09:45:00Z'); // 11:45 in Paris, as in the manual
const url = 'https://releves.example/l/pftwZeX6Kv9E5D-tXdQzQ';
const accounts = [
  { label: 'Compte chèque', bank: 'Connecteur de test' },
  { label: 'Compte carte débit différé', bank: 'Connecteur de test' },
  { label: 'Compte chèque USD', bank: 'Connecteur de test' },
];

/** Text content of the HTML (tags dropped, entities decoded) to check the same facts in both. */
const htmlText = (html: string) =>
  html
    .replace(/<\/?(strong|a)\b[^>]*>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');

function expectFacts(m: RenderedEmail, facts: string[]) {
  for (const f of facts) {
    expect(m.text).toContain(f);
    expect(htmlText(m.html)).toContain(f);
  }
}

const snapshot = (m: RenderedEmail) => ({
  kind: m.kind,
  to: m.to,
  subject: m.subject,
  text: m.text,
  html: m.html,
  attachments: m.attachments?.map((a) => ({ name: a.name, contentType: a.contentType, size: a.content.length })),
});

const firmContact = [firm.name, firm.email, firm.phone];

test('4.1.2 add-accounts link: the firm asks, the secure URL valid 72 h, the firm contact', () => {
  const m = renderAddAccountsLink({ to: 'redevable@test.fr', firm, company, url, expiresAt, platform });
  expect(m.kind).toBe('link.add-accounts');
  expect(m.subject).toBe(
    'EXPERT COMPTABLE TEST : activation de la réception de vos relevés bancaires (ENTREPRISE TEST)',
  );
  expectFacts(m, [
    'EXPERT COMPTABLE TEST vous demande de saisir vos identifiants bancaires',
    'au format CFONB120',
    "72 prochaines heures, jusqu'au 24/10/2019 à 11:45",
    url,
    '07955542100019 - ENTREPRISE TEST',
    ...firmContact,
    'adresse technique, merci de ne pas y répondre',
  ]);
  expect(m.html).toContain(`href="${url}"`);
  expect(snapshot(m)).toMatchSnapshot();
});

test('2.a / 4.2.1 update-credentials link: accounts concerned and the error detail', () => {
  const m = renderUpdateCredentialsLink({
    to: 'redevable@test.fr',
    firm,
    company,
    accounts,
    error: { state: 'decoupled', message: 'You need to confirm the connection on your bank website' },
    url,
    expiresAt,
    platform,
  });
  expect(m.kind).toBe('link.update-credentials');
  expectFacts(m, [
    'EXPERT COMPTABLE TEST vous demande de mettre à jour les identifiants bancaires',
    'Compte(s) bancaire(s) concerné(s)',
    'COMPTE CHÈQUE (CONNECTEUR DE TEST)',
    'COMPTE CARTE DÉBIT DIFFÉRÉ (CONNECTEUR DE TEST)',
    'COMPTE CHÈQUE USD (CONNECTEUR DE TEST)',
    "Détails de l'erreur",
    // the manual's example: our explanation of the state, then the bank's own words
    'Une action de votre part est nécessaire sur l’application de votre banque. You need to confirm the connection on your bank website',
    url,
    ...firmContact,
  ]);
  expect(snapshot(m)).toMatchSnapshot();
});

test('INGENEO connection request: the bank, the consent warning, the 48-72 h delay', () => {
  const m = renderConnectionRequest({
    to: 'dirigeant@entreprise.test',
    firm,
    company,
    bank: 'Crédit Agricole',
    requestedBy: 'Marie Martin',
    url,
    expiresAt,
    platform,
  });
  expect(m.kind).toBe('company.connection-request');
  expect(m.subject).toBe(
    'EXPERT COMPTABLE TEST vous demande de connecter votre banque Crédit Agricole (ENTREPRISE TEST)',
  );
  expectFacts(m, [
    'Marie Martin, du cabinet EXPERT COMPTABLE TEST, vous invite à connecter votre banque Crédit Agricole',
    'vous autorisez explicitement EXPERT COMPTABLE TEST',
    '48 à 72 heures après la connexion',
    url,
    ...firmContact,
  ]);
  expect(snapshot(m)).toMatchSnapshot();
});

describe('2.a / 4.2.1 firm alert', () => {
  const base = {
    to: firm.email,
    firm,
    company,
    bank: 'Connecteur de test',
    accounts,
    error: { state: 'wrongpass', message: null },
    companyUrl: 'https://releves.example/redevables/c-1',
    platform,
  };

  test('says the link was sent, to whom, valid 72 h; accounts, error and support contact', () => {
    const m = renderFirmConnectionAlert({
      ...base,
      link: { sent: true, recipient: 'redevable@test.fr', expiresAt },
    });
    expect(m.kind).toBe('firm.connection-alert');
    expect(m.subject).toBe('Alerte Relevés de compte : 07955542100019 - ENTREPRISE TEST');
    expectFacts(m, [
      'Une erreur est survenue lors de la connexion à la banque CONNECTEUR DE TEST',
      'de la société 07955542100019 - ENTREPRISE TEST configuré(s) sur le compte client EXPERT COMPTABLE TEST',
      'COMPTE CHÈQUE',
      'COMPTE CARTE DÉBIT DIFFÉRÉ',
      "L'authentification au site de la banque a échoué.",
      'Un jeton de mise à jour valide durant les 72 prochaines heures',
      "transmis au redevable sur l'adresse email redevable@test.fr",
      'support@releves.example',
      '04 77 81 04 69',
    ]);
    expect(m.text).not.toContain('Aucun jeton');
    expect(snapshot(m)).toMatchSnapshot();
  });

  test.each([
    ['opted-out', 'Ne pas générer automatiquement le jeton'],
    ['no-email', "sa fiche n'a pas d'adresse e-mail"],
    ['link-still-valid', 'encore valide'],
    ['first-failure', 'seconde tentative de connexion en erreur'],
  ] as const)('says no link was sent (%s) and where to send one', (reason, why) => {
    const m = renderFirmConnectionAlert({ ...base, link: { sent: false, reason } });
    expectFacts(m, ['Aucun', why]);
    expect(m.text).toContain('https://releves.example/redevables/c-1');
    expect(m.html).toContain('href="https://releves.example/redevables/c-1"');
    expect(m.text).not.toContain('a été automatiquement généré');
  });
});

test('4.1.5 accounts connected and 4.2.2 credentials updated: company and its accounts', () => {
  const input = {
    to: firm.email,
    firm,
    company,
    accounts,
    companyUrl: 'https://releves.example/redevables/c-1',
    platform,
  };
  const connected = renderAccountsConnected(input);
  expect(connected.kind).toBe('firm.accounts-connected');
  expectFacts(connected, [
    'ENTREPRISE TEST a saisi ses identifiants bancaires et activé la collecte des relevés sur le(s) compte(s) bancaire(s) suivant(s)',
    'COMPTE CHÈQUE USD (CONNECTEUR DE TEST)',
  ]);
  const updated = renderCredentialsUpdated(input);
  expect(updated.kind).toBe('firm.credentials-updated');
  expectFacts(updated, [
    "ENTREPRISE TEST a mis à jour ses identifiants bancaires relatifs à l'accès du/des compte(s) suivant(s)",
    'COMPTE CARTE DÉBIT DIFFÉRÉ (CONNECTEUR DE TEST)',
  ]);
  expect(snapshot(connected)).toMatchSnapshot();
  expect(snapshot(updated)).toMatchSnapshot();
});

describe('3.a statement delivery', () => {
  const input: StatementDeliveryInput = {
    to: 'brunol@recette.example',
    firm,
    company: { name: 'test PRM1', siren: '404833048', nic: '00022' },
    account: { label: 'Livret A', iban: 'FR7613854399726300290000135' },
    periodicity: 'DAILY',
    periodStart: '2016-08-03',
    periodEnd: '2016-08-04',
    transactionCount: 3,
    deletedCount: 1,
    cfonb: Buffer.from('0130004...'.padEnd(120, ' ') + '\n'),
    deletedCsv: Buffer.from('date;libelle;montant\n'),
    platform,
  };

  test('subject as in the manual, .cfonb and deleted-transactions .csv attached', async () => {
    const m = await renderStatementDelivery(input);
    expect(m.kind).toBe('statement.delivery');
    expect(m.subject).toBe('Relevé QUOTIDIEN du compte bancaire test PRM1 - Livret A');
    expectFacts(m, [
      'le relevé QUOTIDIEN au format CFONB120 du compte bancaire FR7613854399726300290000135',
      'du 03/08/2016 au 04/08/2016',
      '1 transaction(s) supprimée(s)',
    ]);
    expect(m.attachments!.map((a) => [a.name, a.contentType])).toEqual([
      ['Releve_LIVRETA_404833048_du_03082016_au_04082016.cfonb', 'application/octet-stream'],
      ['Transactions_supprimees_LIVRETA_404833048_du_03082016_au_04082016.csv', 'text/csv'],
    ]);
    expect(m.attachments![0]!.content.equals(input.cfonb!)).toBe(true);
    expect(snapshot(m)).toMatchSnapshot();
  });

  test('no CSV when nothing was deleted; the periodicity names the subject', async () => {
    const m = await renderStatementDelivery({ ...input, deletedCsv: null, deletedCount: 0, periodicity: 'MONTHLY' });
    expect(m.subject).toBe('Relevé MENSUEL du compte bancaire test PRM1 - Livret A');
    expect(m.attachments!.map((a) => a.name)).toEqual(['Releve_LIVRETA_404833048_du_03082016_au_04082016.cfonb']);
    expect(m.text).not.toContain('supprimée');
  });

  test('2 Mo rule: exactly 2 Mo stays plain, one byte more is zipped (and unzips to the same bytes)', async () => {
    const line = '0130004'.padEnd(120, 'X') + '\n';
    const exact = Buffer.alloc(ZIP_THRESHOLD_BYTES, line);
    const plain = await renderStatementDelivery({ ...input, cfonb: exact });
    expect(plain.attachments![0]!.name).toMatch(/\.cfonb$/);
    expect(plain.attachments![0]!.content.length).toBe(2 * 1024 * 1024);

    const big = Buffer.alloc(ZIP_THRESHOLD_BYTES + 1, line);
    const zipped = await renderStatementDelivery({ ...input, cfonb: big });
    const [zip, csv] = zipped.attachments!;
    expect(zip!.name).toBe('Releve_LIVRETA_404833048_du_03082016_au_04082016.zip');
    expect(zip!.contentType).toBe('application/zip');
    expect(csv!.name).toMatch(/\.csv$/);
    expect(zip!.content.length).toBeLessThan(big.length);
    expectFacts(zipped, ['compressé au format ZIP', 'Releve_LIVRETA_404833048_du_03082016_au_04082016.zip']);
    // The archive holds one entry, the .cfonb file, whose bytes are the statement's.
    const z = zip!.content;
    expect(z.readUInt32LE(0)).toBe(0x04034b50);
    const nameLength = z.readUInt16LE(26);
    const extraLength = z.readUInt16LE(28);
    expect(z.subarray(30, 30 + nameLength).toString()).toBe('Releve_LIVRETA_404833048_du_03082016_au_04082016.cfonb');
    const cd = z.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    const compressedSize = z.readUInt32LE(cd + 20);
    const data = z.subarray(30 + nameLength + extraLength, 30 + nameLength + extraLength + compressedSize);
    expect(inflateRawSync(data).equals(big)).toBe(true);
  });

  const camt053 = { xml: Buffer.from('<?xml version="1.0" encoding="UTF-8"?>\n<Document/>\n'), version: '08' as const };

  test('the chosen formats are attached: camt.053 alone, or both', async () => {
    const only = await renderStatementDelivery({ ...input, cfonb: null, camt053, deletedCsv: null });
    expect(only.attachments!.map((a) => [a.name, a.contentType])).toEqual([
      ['Releve_LIVRETA_404833048_du_03082016_au_04082016.xml', 'application/xml'],
    ]);
    expectFacts(only, ['le relevé QUOTIDIEN au format ISO 20022 camt.053.001.08 du compte bancaire']);
    const both = await renderStatementDelivery({ ...input, camt053: { ...camt053, version: '02' } });
    expect(both.attachments!.map((a) => a.name)).toEqual([
      'Releve_LIVRETA_404833048_du_03082016_au_04082016.cfonb',
      'Releve_LIVRETA_404833048_du_03082016_au_04082016.xml',
      'Transactions_supprimees_LIVRETA_404833048_du_03082016_au_04082016.csv',
    ]);
    expect(both.attachments![1]!.content.equals(camt053.xml)).toBe(true);
    expectFacts(both, ['aux formats CFONB120 et ISO 20022 camt.053.001.02 du compte bancaire']);
  });

  test('both formats over 2 Mo together go in one ZIP', async () => {
    const half = Buffer.alloc(ZIP_THRESHOLD_BYTES / 2 + 1, 'X');
    const m = await renderStatementDelivery({ ...input, cfonb: half, camt053: { xml: half, version: '08' } });
    expect(m.attachments!.map((a) => a.name)).toEqual([
      'Releve_LIVRETA_404833048_du_03082016_au_04082016.zip',
      'Transactions_supprimees_LIVRETA_404833048_du_03082016_au_04082016.csv',
    ]);
    expectFacts(m, ['Les fichiers du relevé dépassant 2 Mo, ils sont compressés ensemble au format ZIP.']);
    const z = m.attachments![0]!.content;
    const names: string[] = [];
    for (
      let at = z.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
      at >= 0;
      at = z.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), at + 4)
    )
      names.push(z.subarray(at + 46, at + 46 + z.readUInt16LE(at + 28)).toString());
    expect(names).toEqual([
      'Releve_LIVRETA_404833048_du_03082016_au_04082016.cfonb',
      'Releve_LIVRETA_404833048_du_03082016_au_04082016.xml',
    ]);
  });

  test('a balance break is told in the e-mail, with what was compared', async () => {
    const m = await renderStatementDelivery({
      ...input,
      balanceBreak: {
        message: 'Rupture de solde : écart de 12,34 €',
        details: ['Le solde de clôture (150,00 €) diffère du solde comptable de la banque (162,34 €).'],
      },
    });
    expectFacts(m, [
      'Rupture de solde : écart de 12,34 €',
      'Le solde de clôture (150,00 €) diffère du solde comptable de la banque (162,34 €).',
    ]);
    expect((await renderStatementDelivery(input)).text).not.toContain('Rupture');
  });
});

test('values are HTML-escaped in the HTML body and kept verbatim in the text', () => {
  const m = renderAccountsConnected({
    to: firm.email,
    firm: { ...firm, name: 'Cabinet <script>alert(1)</script> & Associés' },
    company: { name: 'Dupont & "Fils" <SARL>', siren: '123456789' },
    accounts: [{ label: '<img src=x onerror=alert(1)>' }],
    companyUrl: 'https://releves.example/redevables/c-1',
  });
  expect(m.html).not.toMatch(/<script|<img/);
  expect(m.html).toContain('DUPONT &amp; &quot;FILS&quot; &lt;SARL&gt;');
  expect(m.html).toContain('&lt;IMG SRC=X ONERROR=ALERT(1)&gt;');
  expect(m.text).toContain('DUPONT & "FILS" <SARL>');
});

test('the renderer: sections, inverted sections, lists, standalone lines, unknown names fail', () => {
  const t = 'A\n{{#items}}\n- {{name}}\n{{/items}}\n{{^items}}\nnone\n{{/items}}\nB {{{raw}}} {{esc}}';
  expect(renderTemplate(t, { items: [{ name: 'x' }, { name: 'y' }], raw: '<b>', esc: '<b>' }, { html: true })).toBe(
    'A\n- x\n- y\nB <b> &lt;b&gt;',
  );
  expect(renderTemplate(t, { items: [], raw: '', esc: '' }, { html: false })).toBe('A\nnone\nB  ');
  expect(() => renderTemplate('{{nope}}', {}, { html: false, name: 't' })).toThrow('t: unknown name {{nope}}');
  expect(() => renderTemplate('{{#a}}x', { a: 1 }, { html: false, name: 't' })).toThrow('never closed');
});

test('the API renders links with the same module (api/emails.ts)', () => {
  const viaApi = renderLinkEmail({
    kind: 'UPDATE_CREDENTIALS',
    firm,
    company,
    connection: {
      accounts: ['COMPTE CHÈQUE (CONNECTEUR DE TEST)'],
      errorMessage: 'Mot de passe erroné',
      state: 'wrongpass',
    },
    url,
    expiresAt,
  });
  const direct = renderUpdateCredentialsLink({
    to: 'x@y.z',
    firm,
    company,
    accounts: [{ label: 'Compte chèque', bank: 'Connecteur de test' }],
    error: { state: 'wrongpass', message: 'Mot de passe erroné' },
    url,
    expiresAt,
  });
  expect(viaApi).toEqual({ kind: direct.kind, subject: direct.subject, text: direct.text, html: direct.html });
});
