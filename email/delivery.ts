/**
 * Statement delivery per the portal account's reception mode (manual, section 1):
 *  - NONE: download only, no e-mail;
 *  - ACCOUNT_MAILBOX: the portal account's own mailbox (its contact address);
 *  - DEDICATED_MAILBOX: the account's dedicated statements mailbox.
 * Statements never go to arbitrary external addresses ("les relevés ne pourront pas être envoyés
 * sur des adresses externes au portail"): never to a company, and a dedicated mailbox must belong
 * to the account's own domain (the domain of its contact address), else the delivery is refused
 * and the refusal recorded on the message.
 */
import type { Db, Prisma } from '../db/client';
import { balanceCheck } from '../domain/balance-check';
import type { PeriodicityKind } from '../domain/periodicity';
import {
  formatChoice,
  loadCamt053,
  type CamtFile,
  type FormatChoice,
  type StoredCamtVersion,
  type StoredFormats,
} from '../statement-files';
import { renderStatementDelivery, type Platform, type RenderedEmail } from './messages';
import { prismaSql, type Sql } from '../db/sql';
import { enqueueEmails, type EnqueueOptions } from './outbox';
import { renderStatementDownloadLink } from './notices';

/**
 * Postmark refuses messages over 10 MB (body and base64 attachments): attachments above this size
 * are not sent; the message links to the statement's Réception page instead.
 */
export const MAX_ATTACHMENT_BYTES = 7 * 1024 * 1024;

export interface ReceptionSettings {
  receptionMode: 'NONE' | 'ACCOUNT_MAILBOX' | 'DEDICATED_MAILBOX';
  contactEmail: string;
  dedicatedMailbox: string | null;
}

export type StatementRecipient =
  { to: string } | { to: null; mode: 'download-only' } | { to: null; mode: 'refused'; reason: string };

const domainOf = (address: string) => address.trim().toLowerCase().split('@').pop() ?? '';

/** Why a dedicated mailbox is not acceptable for the account (French), or null when it is. */
export function dedicatedMailboxProblem(contactEmail: string, mailbox: string): string | null {
  if (!/^[^\s@]+@[^\s@]+$/.test(mailbox.trim())) return 'adresse e-mail invalide';
  if (domainOf(mailbox) !== domainOf(contactEmail))
    return `la boîte dédiée aux relevés doit appartenir au domaine du compte (@${domainOf(contactEmail)})`;
  return null;
}

export function statementRecipient(account: ReceptionSettings): StatementRecipient {
  switch (account.receptionMode) {
    case 'NONE':
      return { to: null, mode: 'download-only' };
    case 'ACCOUNT_MAILBOX':
      return { to: account.contactEmail };
    case 'DEDICATED_MAILBOX': {
      if (!account.dedicatedMailbox)
        return { to: null, mode: 'refused', reason: 'boîte dédiée aux relevés non renseignée' };
      const problem = dedicatedMailboxProblem(account.contactEmail, account.dedicatedMailbox);
      return problem ? { to: null, mode: 'refused', reason: problem } : { to: account.dedicatedMailbox.trim() };
    }
  }
}

export const statementIdempotencyKey = (statementId: string) => `statement/${statementId}`;

/** What a statement's delivery e-mail needs besides the statement: its account, company and firm. */
interface DeliveryContext {
  bankAccountId: string;
  label: string;
  iban: string | null;
  companyName: string;
  siren: string;
  nic: string | null;
  periodicityKind: string;
  portalAccountId: string;
  firmName: string;
  contactEmail: string;
  contactPhone: string | null;
  receptionMode: ReceptionSettings['receptionMode'];
  dedicatedMailbox: string | null;
  bank: string | null;
}

interface LoadedStatement {
  id: string;
  state: string;
  periodStart: Date;
  periodEnd: Date;
  transactionCount: number;
  deletedCount: number;
  cfonb: Uint8Array | null;
  deletedCsv: Uint8Array | null;
  /** The formats delivered (the account's choice, else its company's). */
  choice: FormatChoice;
  /** A balance break's headline and details, or null. */
  balanceBreak: { message: string; details: string[] } | null;
  context: DeliveryContext;
}

/** What the query gives besides the context. */
interface StatementColumns {
  id: string;
  state: string;
  periodStart: Date;
  periodEnd: Date;
  transactionCount: number;
  deletedCount: number;
  cfonb: Uint8Array | null;
  deletedCsv: Uint8Array | null;
  currency: string;
  openingBalance: string;
  closingBalance: string;
  previousClosingBalance: string | null;
  bankBalance: string | null;
  bankBalanceAt: Date | null;
  bookedAfterPeriodEnd: string | null;
  companyFormats: StoredFormats;
  companyVersion: StoredCamtVersion;
  accountFormats: StoredFormats | null;
  accountVersion: StoredCamtVersion | null;
}

/** The statements and their delivery contexts (account, company, firm, bank), in one query whatever their number. */
async function loadForDelivery(sql: Sql, statementIds: string[]): Promise<LoadedStatement[]> {
  const { rows } = await sql.query<StatementColumns & DeliveryContext>(
    `SELECT s.id::text, s.state::text, s."periodStart", s."periodEnd", s."transactionCount", s."deletedCount",
            s.cfonb, s."deletedCsv", s.currency, s."openingBalance"::text AS "openingBalance",
            s."closingBalance"::text AS "closingBalance", s."previousClosingBalance"::text AS "previousClosingBalance",
            s."bankBalance"::text AS "bankBalance", s."bankBalanceAt", s."bookedAfterPeriodEnd"::text AS "bookedAfterPeriodEnd",
            c."statementFormats"::text AS "companyFormats", c."camtVersion"::text AS "companyVersion",
            a."statementFormats"::text AS "accountFormats", a."camtVersion"::text AS "accountVersion",
            a.id::text AS "bankAccountId", a.label, a.iban,
            c.name AS "companyName", c.siren, c.nic, c."periodicityKind"::text AS "periodicityKind",
            p.id::text AS "portalAccountId", p.name AS "firmName", p."contactEmail", p."contactPhone",
            p."receptionMode"::text AS "receptionMode", p."dedicatedMailbox",
            COALESCE(b.name, k."connectorName") AS bank
     FROM "Statement" s
     JOIN "BankAccount" a ON a.id = s."bankAccountId"
     JOIN "Company" c ON c.id = a."companyId"
     JOIN "PortalAccount" p ON p.id = c."portalAccountId"
     JOIN "BankConnection" k ON k.id = a."connectionId"
     LEFT JOIN "Bank" b ON b.id = k."bankId"
     WHERE s.id = ANY($1::uuid[])`,
    [statementIds],
  );
  return rows.map((r) => {
    const { id, state, periodStart, periodEnd, transactionCount, deletedCount, cfonb, deletedCsv } = r;
    const { currency, openingBalance, closingBalance, previousClosingBalance, bankBalance, bankBalanceAt } = r;
    const { bookedAfterPeriodEnd, companyFormats, companyVersion, accountFormats, accountVersion } = r;
    const check =
      state === 'SUCCESS'
        ? balanceCheck({
            currency,
            openingBalance,
            closingBalance,
            previousClosingBalance,
            bankBalance,
            bankBalanceAt,
            bookedAfterPeriodEnd,
            periodEnd: periodEnd.toISOString().slice(0, 10),
          })
        : null;
    const context: DeliveryContext = {
      bankAccountId: r.bankAccountId,
      label: r.label,
      iban: r.iban,
      companyName: r.companyName,
      siren: r.siren,
      nic: r.nic,
      periodicityKind: r.periodicityKind,
      portalAccountId: r.portalAccountId,
      firmName: r.firmName,
      contactEmail: r.contactEmail,
      contactPhone: r.contactPhone,
      receptionMode: r.receptionMode,
      dedicatedMailbox: r.dedicatedMailbox,
      bank: r.bank,
    };
    return {
      id,
      state,
      periodStart,
      periodEnd,
      transactionCount,
      deletedCount,
      cfonb,
      deletedCsv,
      choice: formatChoice(
        { statementFormats: companyFormats, camtVersion: companyVersion },
        { statementFormats: accountFormats, camtVersion: accountVersion },
      ),
      balanceBreak: check?.status === 'break' ? { message: check.message!, details: check.details } : null,
      context,
    };
  });
}

/** The camt.053 files of the loaded statements whose chosen formats include it (two queries). */
async function camtFor(sql: Sql, loaded: LoadedStatement[]): Promise<Map<string, CamtFile>> {
  return loadCamt053(
    sql,
    loaded.filter((s) => s.state === 'SUCCESS' && s.choice.formats.includes('camt053')).map((s) => s.id),
  );
}

/**
 * Enqueues the delivery e-mail of one issued statement in `tx` (keyed `statement/<id>`).
 * Returns what happened: queued, download-only (nothing written) or refused (written as FAILED
 * with the reason, so the firm sees why its statements did not arrive).
 */
export async function enqueueStatementDelivery(
  tx: Prisma.TransactionClient,
  statementId: string,
  platform?: Platform,
  opts: { idempotencyKey?: string; publicBaseUrl?: string } = {},
): Promise<'queued' | 'download-only' | 'refused' | 'not-ready'> {
  const sql = prismaSql(tx);
  const [s] = await loadForDelivery(sql, [statementId]);
  if (!s) throw new Error(`statement ${statementId} not found`);
  const d = await prepareDelivery(s, platform, (await camtFor(sql, [s])).get(s.id), opts.publicBaseUrl);
  if (d.outcome === 'queued' || d.outcome === 'refused') {
    if (opts.idempotencyKey) d.message.opts.idempotencyKey = opts.idempotencyKey;
    await enqueueEmails(sql, [d.message]);
  }
  return d.outcome;
}

type Delivery =
  | { outcome: 'queued' | 'refused'; message: { email: RenderedEmail; opts: EnqueueOptions; failed?: string } }
  | { outcome: 'download-only' | 'not-ready' };

/**
 * Renders a loaded statement's delivery e-mail; a refused one is to be written as FAILED, with the
 * reason and without its attachments.
 */
async function prepareDelivery(
  s: LoadedStatement,
  platform?: Platform,
  camt?: CamtFile,
  publicBaseUrl?: string,
): Promise<Delivery> {
  if (s.state !== 'SUCCESS' || !s.cfonb) return { outcome: 'not-ready' };
  const c = s.context;
  const account: ReceptionSettings = {
    receptionMode: c.receptionMode,
    contactEmail: c.contactEmail,
    dedicatedMailbox: c.dedicatedMailbox,
  };
  const recipient = statementRecipient(account);
  if (recipient.to === null && recipient.mode === 'download-only') return { outcome: 'download-only' };
  const rendered = await renderStatementDelivery({
    to: recipient.to ?? c.contactEmail,
    firm: { name: c.firmName, email: c.contactEmail, phone: c.contactPhone },
    company: { name: c.companyName, siren: c.siren, nic: c.nic },
    account: { label: c.label, iban: c.iban, bank: c.bank },
    periodicity: c.periodicityKind as PeriodicityKind,
    periodStart: s.periodStart,
    periodEnd: s.periodEnd,
    transactionCount: s.transactionCount,
    deletedCount: s.deletedCount,
    // A camt.053 that cannot be produced (never seen: same invariants as CFONB) leaves the CFONB file.
    cfonb: s.choice.formats.includes('cfonb120') || !camt?.ok ? Buffer.from(s.cfonb) : null,
    camt053: camt?.ok ? { xml: camt.xml, version: camt.version } : null,
    camtProblem: camt && !camt.ok ? camt.reason : null,
    deletedCsv: s.deletedCsv ? Buffer.from(s.deletedCsv) : null,
    balanceBreak: s.balanceBreak,
    platform,
  });
  const opts = {
    idempotencyKey: statementIdempotencyKey(s.id),
    portalAccountId: c.portalAccountId,
    statementId: s.id,
  };
  const size = (rendered.attachments ?? []).reduce((n, a) => n + a.content.length, 0);
  if (recipient.to !== null && size > MAX_ATTACHMENT_BYTES) {
    // Too large for an e-mail: a link to the statement instead of its files, never a message
    // Postmark would refuse again and again.
    const link = statementDownloadLink(s, recipient.to, size, platform, publicBaseUrl);
    return { outcome: 'queued', message: { email: link, opts } };
  }
  if (recipient.to === null)
    return {
      outcome: 'refused',
      message: {
        email: { ...rendered, to: account.dedicatedMailbox ?? '', attachments: undefined },
        opts,
        failed: `envoi refusé : ${recipient.reason}`,
      },
    };
  return { outcome: 'queued', message: { email: rendered, opts } };
}

/** The statement's e-mail with a link to its Réception page instead of its files. */
function statementDownloadLink(
  s: LoadedStatement,
  to: string,
  size: number,
  platform?: Platform,
  publicBaseUrl = platform?.portalUrl ?? '',
): RenderedEmail {
  const c = s.context;
  return renderStatementDownloadLink({
    to,
    company: { name: c.companyName, siren: c.siren, nic: c.nic },
    account: { label: c.label, iban: c.iban },
    periodicity: c.periodicityKind as PeriodicityKind,
    periodStart: s.periodStart,
    periodEnd: s.periodEnd,
    transactionCount: s.transactionCount,
    size,
    url: `${publicBaseUrl.replace(/\/+$/, '')}/reception/${s.id}`,
    platform,
  });
}

/**
 * The link version of a statement's e-mail (Postmark refused the files as too large): its
 * subject and bodies, for the sender to send instead, without attachments.
 */
export async function statementLinkVersion(
  sql: Sql,
  statementId: string,
  to: string,
  publicBaseUrl: string,
  platform?: Platform,
): Promise<RenderedEmail | null> {
  const [s] = await loadForDelivery(sql, [statementId]);
  if (!s) return null;
  const size = (s.cfonb?.length ?? 0) + (s.deletedCsv?.length ?? 0);
  return statementDownloadLink(s, to, size, platform, publicBaseUrl);
}

/**
 * The delivery e-mails of statements, in the caller's transaction (the one that issued them, so
 * that a statement never exists without its e-mail): loaded and written in a fixed number of
 * queries, in the order given. Returns how many were queued.
 */
export async function enqueueStatementDeliveriesIn(
  sql: Sql,
  statementIds: string[],
  platform?: Platform,
): Promise<number> {
  if (statementIds.length === 0) return 0;
  const loaded = await loadForDelivery(sql, statementIds);
  const byId = new Map(loaded.map((s) => [s.id, s]));
  const camt = await camtFor(sql, loaded);
  const messages: Array<{ email: RenderedEmail; opts: EnqueueOptions; failed?: string }> = [];
  let queued = 0;
  for (const id of statementIds) {
    const s = byId.get(id);
    if (!s) throw new Error(`statement ${id} not found`);
    const d = await prepareDelivery(s, platform, camt.get(id));
    if (d.outcome === 'queued') queued++;
    if (d.outcome === 'queued' || d.outcome === 'refused') messages.push(d.message);
  }
  await enqueueEmails(sql, messages);
  return queued;
}

/**
 * The delivery e-mails of issued statements that do not have theirs yet (statements issued by the
 * workflow already do: this is the catch-up, e.g. for statements issued before that was so), in
 * one database transaction. Returns how many were queued.
 */
export async function enqueueStatementDeliveries(prisma: Db, statementIds: string[], platform?: Platform) {
  if (statementIds.length === 0) return 0;
  const done = new Set(
    (
      await prisma.emailMessage.findMany({
        where: { idempotencyKey: { in: statementIds.map(statementIdempotencyKey) } },
        select: { idempotencyKey: true },
      })
    ).map((m) => m.idempotencyKey),
  );
  const missing = statementIds.filter((id) => !done.has(statementIdempotencyKey(id)));
  if (missing.length === 0) return 0;
  return prisma.$transaction((tx) => enqueueStatementDeliveriesIn(prismaSql(tx), missing, platform), {
    timeout: 60_000 + 2_000 * missing.length,
  });
}
