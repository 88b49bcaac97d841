/**
 * Statement delivery per reception mode (manual, section 1), from the database rows to the mail
 * sink: download only, the account's mailbox, a dedicated mailbox of the account's domain; never
 * the company, never an address outside the account. Plus the `Outbox` the connection activities
 * use (firm alert from a loaded connection).
 */
import { ZIP_THRESHOLD_BYTES, createEmailActivities, enqueueStatementDelivery, statementRecipient } from '../../email';
import { createMessages } from '../../email/connection-messages';
import { camt053Of } from '../../statement-files';
import { enqueueEmail } from '../../email/connection-outbox';
import { createCompanyWithAccounts, createStatement, createTenant } from '../api/support';
import { useTestDatabase } from '../support/db';
import { useSink } from './support';

const db = useTestDatabase();
const sink = useSink();

async function setup(mode: 'NONE' | 'ACCOUNT_MAILBOX' | 'DEDICATED_MAILBOX', dedicatedMailbox: string | null = null) {
  const tenant = await createTenant(db.prisma);
  const account = await db.prisma.portalAccount.update({
    where: { id: tenant.accountId },
    data: { receptionMode: mode, dedicatedMailbox },
  });
  const { company, accounts } = await createCompanyWithAccounts(db.prisma, tenant, { accounts: 1 });
  const statement = await createStatement(db.prisma, accounts[0]!.id);
  return { account, company, bankAccount: accounts[0]!, statement };
}
const deliver = (statementId: string) => db.prisma.$transaction((tx) => enqueueStatementDelivery(tx, statementId));
const send = () => createEmailActivities({ config: sink.config, prisma: db.prisma, sql: db.sql }).sendPendingEmails();

beforeEach(() => sink.reset());

test('statementRecipient: the three modes, and only addresses of the account', () => {
  const base = { contactEmail: 'contact@cabinet.test', dedicatedMailbox: null };
  expect(statementRecipient({ ...base, receptionMode: 'NONE' })).toEqual({ to: null, mode: 'download-only' });
  expect(statementRecipient({ ...base, receptionMode: 'ACCOUNT_MAILBOX' })).toEqual({ to: 'contact@cabinet.test' });
  expect(
    statementRecipient({
      ...base,
      receptionMode: 'DEDICATED_MAILBOX',
      dedicatedMailbox: 'releves.compta@cabinet.test',
    }),
  ).toEqual({ to: 'releves.compta@cabinet.test' });
  expect(
    statementRecipient({ ...base, receptionMode: 'DEDICATED_MAILBOX', dedicatedMailbox: 'moi@gmail.test' }),
  ).toMatchObject({ to: null, mode: 'refused', reason: expect.stringContaining('@cabinet.test') });
  expect(statementRecipient({ ...base, receptionMode: 'DEDICATED_MAILBOX' })).toMatchObject({ mode: 'refused' });
});

test('none (download only): no e-mail at all', async () => {
  const s = await setup('NONE');
  expect(await deliver(s.statement.id)).toBe('download-only');
  expect(await db.prisma.emailMessage.count({ where: { idempotencyKey: `statement/${s.statement.id}` } })).toBe(0);
});

test("the account's mailbox: the statement and its deleted-transactions CSV reach the account, not the company", async () => {
  const s = await setup('ACCOUNT_MAILBOX');
  expect(await deliver(s.statement.id)).toBe('queued');
  expect(await deliver(s.statement.id)).toBe('queued'); // a retried activity: still one message
  expect(await db.prisma.emailMessage.count({ where: { idempotencyKey: `statement/${s.statement.id}` } })).toBe(1);
  expect((await send()).sent).toBe(1);

  const [m] = await sink.messages(s.account.contactEmail);
  expect(m!.subject).toBe(`Relevé MENSUEL du compte bancaire ${s.company.name} - Compte chèque`);
  expect(m!.text).toContain(s.bankAccount.iban!);
  expect(m!.attachments).toEqual([
    {
      name: `Releve_COMPTECHEQUE_${s.company.siren}_du_01102026_au_31102026.cfonb`,
      contentType: 'application/octet-stream',
      size: s.statement.cfonb!.length,
    },
    {
      name: `Transactions_supprimees_COMPTECHEQUE_${s.company.siren}_du_01102026_au_31102026.csv`,
      contentType: 'text/csv',
      size: s.statement.deletedCsv!.length,
    },
  ]);
  expect(await sink.messages(s.company.email!)).toEqual([]);
});

test('a dedicated mailbox of the account domain receives it; one outside the account is refused and recorded', async () => {
  const ok = await setup('DEDICATED_MAILBOX', 'releves.cabinet@example.test');
  expect(await deliver(ok.statement.id)).toBe('queued');
  const outside = await setup('DEDICATED_MAILBOX', 'releves@ailleurs.test');
  expect(await deliver(outside.statement.id)).toBe('refused');
  expect(
    await db.prisma.emailMessage.findUniqueOrThrow({ where: { idempotencyKey: `statement/${outside.statement.id}` } }),
  ).toMatchObject({ status: 'FAILED', lastError: expect.stringContaining('domaine du compte') });
  await send();
  expect(await sink.messages('releves.cabinet@example.test')).toHaveLength(1);
  expect(await sink.messages(ok.account.contactEmail)).toEqual([]);
  expect(await sink.messages('releves@ailleurs.test')).toEqual([]);
});

test('a statement over 2 Mo arrives zipped', async () => {
  const s = await setup('ACCOUNT_MAILBOX');
  const big = Buffer.alloc(ZIP_THRESHOLD_BYTES + 1000, '0130004'.padEnd(120, ' ') + '\n');
  await db.prisma.statement.update({ where: { id: s.statement.id }, data: { cfonb: new Uint8Array(big) } });
  await createMessages(sink.config).enqueueStatementDeliveries(db.prisma, [s.statement.id]);
  await send();
  const [m] = await sink.messages(s.account.contactEmail);
  expect(m!.attachments[0]).toMatchObject({ name: expect.stringMatching(/\.zip$/), contentType: 'application/zip' });
  expect(m!.attachments[0]!.size).toBeLessThan(big.length / 10);
  expect(m!.text).toContain('compressé au format ZIP');
});

test('the formats the firm chose are attached: camt.053 rendered from the stored statement, alone or beside the CFONB file', async () => {
  const s = await setup('ACCOUNT_MAILBOX');
  await db.prisma.company.update({ where: { id: s.company.id }, data: { statementFormats: 'BOTH' } });
  // (the fixtures' IBANs have no valid key: camt.053 checks it)
  const iban = 'FR7630004000031234567890143';
  await db.prisma.bankAccount.update({ where: { id: s.bankAccount.id }, data: { camtVersion: 'V02', iban } });
  expect(await deliver(s.statement.id)).toBe('queued');
  const other = await setup('ACCOUNT_MAILBOX');
  await db.prisma.bankAccount.update({
    where: { id: other.bankAccount.id },
    data: { statementFormats: 'CAMT053', iban },
  });
  expect(await deliver(other.statement.id)).toBe('queued');
  await send();
  const [m] = await sink.messages(s.account.contactEmail);
  const base = `COMPTECHEQUE_${s.company.siren}_du_01102026_au_31102026`;
  expect(m!.attachments.map((a) => a.name)).toEqual([
    `Releve_${base}.cfonb`,
    `Releve_${base}.xml`,
    `Transactions_supprimees_${base}.csv`,
  ]);
  expect(m!.text).toContain('aux formats CFONB120 et ISO 20022 camt.053.001.02');
  const stored = await db.prisma.emailAttachment.findFirstOrThrow({
    where: { message: { idempotencyKey: `statement/${s.statement.id}` }, name: { endsWith: '.xml' } },
  });
  const camt = await camt053Of(db.sql, s.statement.id);
  expect(camt).toMatchObject({ ok: true, version: '02' });
  expect(Buffer.from(stored.content).equals((camt as { xml: Buffer }).xml)).toBe(true);
  const [n] = await sink.messages(other.account.contactEmail);
  expect(n!.attachments.map((a) => a.name)).toEqual([
    `Releve_COMPTECHEQUE_${other.company.siren}_du_01102026_au_31102026.xml`,
    `Transactions_supprimees_COMPTECHEQUE_${other.company.siren}_du_01102026_au_31102026.csv`,
  ]);
  expect(n!.text).toContain('au format ISO 20022 camt.053.001.08');
});

test('the Outbox of the connection activities: firm alert and update link from a loaded connection', async () => {
  const tenant = await createTenant(db.prisma, { name: 'COMPTE BRUNOL - TEST' });
  const { connection } = await createCompanyWithAccounts(db.prisma, tenant, { accounts: 2, state: 'wrongpass' });
  const loaded = await db.prisma.bankConnection.findUniqueOrThrow({
    where: { id: connection.id },
    include: { company: { include: { portalAccount: true } }, accounts: true },
  });
  const outbox = createMessages(sink.config, () => new Date('2026-11-23T10:00:00Z'));
  const failure = { state: 'wrongpass', errorMessage: null, consecutiveErrors: 2 };
  const link = outbox.renderCredentialsLink(
    loaded,
    { expiresAt: new Date('2026-11-26T10:00:00Z') },
    'http://releves.test/l/s',
    failure,
  );
  const alert = outbox.renderFirmAlert(loaded, failure, true);
  await db.prisma.$transaction(async (tx) => {
    await enqueueEmail(tx, link, { idempotencyKey: 'reconnect/x/company-link' });
    await enqueueEmail(tx, alert, { idempotencyKey: 'reconnect/x/firm-alert' });
  });
  await send();
  const [toCompany] = await sink.messages(loaded.company.email!);
  expect(toCompany!.text).toContain('COMPTE BRUNOL - TEST vous demande de mettre à jour les identifiants bancaires');
  expect(toCompany!.text).toContain('LIVRET 1 (CONNECTEUR DE TEST)');
  expect(toCompany!.text).toContain("L'authentification au site de la banque a échoué.");
  const [toFirm] = await sink.messages(loaded.company.portalAccount.contactEmail);
  expect(toFirm!.subject).toContain('Alerte Relevés de compte');
  expect(toFirm!.text).toContain(`transmis au redevable sur l'adresse email ${loaded.company.email}`);
  expect(toFirm!.text).toContain('support@releves.example');
});
