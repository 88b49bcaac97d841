/**
 * Every e-mail of the manuals, rendered from the templates in `templates/` (French, text + HTML),
 * signed with the firm's name and contact as in the manual's examples:
 *  - to the company: add-accounts link (4.1.2), update-credentials link with the accounts and the
 *    error detail (2.a, 4.2.1), the connection request (INGENEO page);
 *  - to the firm: connection alert saying whether a link went out (2.a, 4.2.1), success notices
 *    when the company connected accounts (4.1.5) or updated its credentials (4.2.2);
 *  - statement delivery (3.a): "Relevé QUOTIDIEN du compte bancaire <company> - <account>", the
 *    `.cfonb` file (zipped over 2 Mo) and the deleted-transactions `.csv` when there is one.
 * Pure functions of their input (no database), so the API and the activities share them.
 */
import { frDateTime } from '../domain/french';
import { stateMessageFr } from '../domain/powens-states';
import { PERIODICITY_LABELS, type PeriodicityKind } from '../domain/periodicity';
import { statementAttachments, type EmailAttachmentInput } from './attachments';
import { renderMessageTemplate } from './render';

export const PLATFORM_NAME = 'Relevés';
export const LINK_VALIDITY_HOURS = 72;

export type EmailKind =
  | 'link.add-accounts'
  | 'link.update-credentials'
  | 'company.connection-request'
  | 'firm.connection-alert'
  | 'firm.accounts-connected'
  | 'firm.credentials-updated'
  | 'firm.webhook-disabled'
  | 'statement.delivery';

export interface RenderedEmail {
  kind: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  attachments?: EmailAttachmentInput[];
}

/** The accounting firm (portal account): name and contact, as signed in the manual's examples. */
export interface Firm {
  name: string;
  email: string;
  phone: string | null;
}

/** The platform's support contact (foot of the firm alerts, manual 4.2.1). */
export interface Platform {
  name?: string;
  supportEmail: string;
  supportPhone?: string | null;
  /** The portal's address (PUBLIC_BASE_URL): links to its pages, e.g. a statement too large to attach. */
  portalUrl?: string;
}

export interface CompanyRef {
  name: string;
  siren: string;
  nic?: string | null;
}

export interface AccountRef {
  label: string;
  /** The bank (connector) name, shown as "COMPTE CHÈQUE (CONNECTEUR DE TEST)". */
  bank?: string | null;
}

export interface ConnectionError {
  /** Powens state (wrongpass, SCARequired, decoupled…), explained with the manual's table (4.2.3). */
  state?: string | null;
  /** The bank's own message, when Powens gives one. */
  message?: string | null;
}

const upper = (s: string) => s.toLocaleUpperCase('fr-FR');

/** "COMPTE CHÈQUE (CONNECTEUR DE TEST)" as in the manual's lists. */
export const accountLine = (a: AccountRef) => upper(a.bank ? `${a.label} (${a.bank})` : a.label);

/** The error detail as in the manual: our French explanation of the state, then the bank's text. */
export function errorDetail(e: ConnectionError): string {
  const parts = [e.state ? stateMessageFr(e.state) : null, e.message?.trim() || null].filter(
    (p, i, all): p is string => !!p && all.indexOf(p) === i,
  );
  return parts.join(' ') || stateMessageFr('bug');
}

/** SIRET when the NIC is known, else SIREN ("07955542100019 - ENTREPRISE TEST"). */
export const companyId = (c: CompanyRef) => (c.nic ? `${c.siren}${c.nic}` : c.siren);

/** "dd/mm/yyyy" of a calendar date (stored at 00:00 UTC). */
export const frDate = (d: Date | string) => {
  const iso = typeof d === 'string' ? d.slice(0, 10) : d.toISOString().slice(0, 10);
  return iso.split('-').reverse().join('/');
};

const firmContext = (firm: Firm) => ({ firm: { name: firm.name, email: firm.email, phone: firm.phone } });
const platformContext = (p?: Platform) => ({
  platform: {
    name: p?.name ?? PLATFORM_NAME,
    supportEmail: p?.supportEmail ?? null,
    supportPhone: p?.supportPhone ?? null,
  },
});

/** Every e-mail is signed with the firm and the platform's contact; `context` adds the rest. */
function render(
  kind: EmailKind,
  template: string,
  input: { to: string; firm: Firm; platform?: Platform },
  context: Record<string, unknown>,
): RenderedEmail {
  return {
    kind,
    to: input.to,
    ...renderMessageTemplate(template, {
      ...firmContext(input.firm),
      ...platformContext(input.platform),
      ...context,
    }),
  };
}

/** The link's part of the link e-mails: its address, how long it lasts and until when. */
const linkContext = (input: { url: string; expiresAt: Date }) => ({
  url: input.url,
  hours: LINK_VALIDITY_HOURS,
  expiresAt: frDateTime(input.expiresAt),
});

/** 4.1.2: the company is asked to enter its bank credentials and choose its accounts. */
export function renderAddAccountsLink(input: {
  to: string;
  firm: Firm;
  company: CompanyRef;
  url: string;
  expiresAt: Date;
  platform?: Platform;
}): RenderedEmail {
  return render('link.add-accounts', 'add-accounts-link', input, {
    company: { name: input.company.name, id: companyId(input.company) },
    ...linkContext(input),
  });
}

/** 2.a and 4.2.1: the company is asked to update its credentials; accounts and error detail. */
export function renderUpdateCredentialsLink(input: {
  to: string;
  firm: Firm;
  company: CompanyRef;
  accounts: AccountRef[];
  error: ConnectionError;
  url: string;
  expiresAt: Date;
  platform?: Platform;
}): RenderedEmail {
  return render('link.update-credentials', 'update-credentials-link', input, {
    company: { name: input.company.name, id: companyId(input.company) },
    accounts: input.accounts.map(accountLine),
    errorDetail: errorDetail(input.error),
    ...linkContext(input),
  });
}

/**
 * INGENEO page, option 2: the firm asks the account holder to connect a bank of its referential
 * itself (consent, the 48–72 h delay before the first movements).
 */
export function renderConnectionRequest(input: {
  to: string;
  firm: Firm;
  company: CompanyRef;
  bank: string | null;
  requestedBy?: string | null;
  url: string;
  expiresAt: Date;
  platform?: Platform;
}): RenderedEmail {
  return render('company.connection-request', 'connection-request', input, {
    company: { name: input.company.name, id: companyId(input.company) },
    bank: input.bank,
    requestedBy: input.requestedBy ?? null,
    ...linkContext(input),
  });
}

/** Why no link went out with an alert (the firm can send one from the portal). */
export type NoLinkReason = 'opted-out' | 'no-email' | 'link-still-valid' | 'first-failure' | 'company-inactive';

const NO_LINK_REASONS: Record<NoLinkReason, string> = {
  'opted-out':
    "Aucun jeton de mise à jour n'a été envoyé au redevable : l'option « Ne pas générer automatiquement le jeton / mail de mise à jour des identifiants bancaires » est cochée sur sa fiche.",
  'no-email': "Aucun jeton de mise à jour n'a été envoyé au redevable : sa fiche n'a pas d'adresse e-mail.",
  'link-still-valid':
    "Aucun nouveau jeton n'a été envoyé au redevable : le lien de mise à jour qu'il a déjà reçu est encore valide.",
  'first-failure':
    "Aucun jeton de mise à jour n'a encore été envoyé au redevable : il ne l'est qu'à partir de la seconde tentative de connexion en erreur.",
  'company-inactive': "Aucun jeton de mise à jour n'a été envoyé au redevable : il est désactivé.",
};

/** 2.a and 4.2.1: the firm's alert, saying whether a link was sent (and to whom) or why not. */
export function renderFirmConnectionAlert(input: {
  to: string;
  firm: Firm;
  company: CompanyRef;
  bank: string | null;
  accounts: AccountRef[];
  error: ConnectionError;
  link: { sent: true; recipient: string; expiresAt: Date } | { sent: false; reason: NoLinkReason };
  /** Page of the company in the portal, to send a link by hand. */
  companyUrl: string;
  platform: Platform;
}): RenderedEmail {
  return render('firm.connection-alert', 'firm-connection-alert', input, {
    company: { name: input.company.name, id: companyId(input.company) },
    bank: upper(input.bank ?? 'votre banque'),
    accounts: input.accounts.map((a) => upper(a.label)),
    errorDetail: errorDetail(input.error),
    linkSent: input.link.sent,
    linkRecipient: input.link.sent ? input.link.recipient : null,
    linkExpiresAt: input.link.sent ? frDateTime(input.link.expiresAt) : null,
    hours: LINK_VALIDITY_HOURS,
    noLinkReason: input.link.sent ? null : NO_LINK_REASONS[input.link.reason],
    companyUrl: input.companyUrl,
  });
}

/** What the firm's success notices (4.1.5, 4.2.2) say: the company and its accounts. */
export interface FirmNoticeInput {
  to: string;
  firm: Firm;
  company: CompanyRef;
  accounts: AccountRef[];
  companyUrl: string;
  platform?: Platform;
}

function renderFirmNotice(kind: EmailKind, template: string, input: FirmNoticeInput): RenderedEmail {
  return render(kind, template, input, {
    company: { name: upper(input.company.name), id: companyId(input.company) },
    accounts: input.accounts.map(accountLine),
    companyUrl: input.companyUrl,
  });
}

/** 4.1.5: the company connected its bank and chose accounts. */
export function renderAccountsConnected(input: FirmNoticeInput): RenderedEmail {
  return renderFirmNotice('firm.accounts-connected', 'firm-accounts-connected', input);
}

/** 4.2.2: the company updated its credentials. */
export function renderCredentialsUpdated(input: FirmNoticeInput): RenderedEmail {
  return renderFirmNotice('firm.credentials-updated', 'firm-credentials-updated', input);
}

/** Issue 19: a webhook endpoint failing for 3 days was disabled. */
export function renderWebhookDisabled(input: {
  to: string;
  firm: Firm;
  endpoint: { url: string; description: string };
  failingSince: Date;
  disabledAt: Date;
  pageUrl: string;
  platform: Platform;
}): RenderedEmail {
  return render('firm.webhook-disabled', 'firm-webhook-disabled', input, {
    endpoint: input.endpoint,
    failingSince: frDateTime(input.failingSince),
    disabledAt: frDateTime(input.disabledAt),
    pageUrl: input.pageUrl,
  });
}

export interface StatementDeliveryInput {
  to: string;
  firm: Firm;
  company: CompanyRef;
  account: { label: string; iban: string | null; bank?: string | null };
  periodicity: PeriodicityKind;
  periodStart: Date | string;
  periodEnd: Date | string;
  transactionCount: number;
  deletedCount: number;
  /** The CFONB120 file, null when only camt.053 is delivered. */
  cfonb: Buffer | null;
  /** The camt.053 file and its version, when delivered. */
  camt053?: { xml: Buffer; version: '08' | '02' } | null;
  /** Why the camt.053 chosen could not be produced (the e-mail says so; the CFONB file still goes). */
  camtProblem?: string | null;
  deletedCsv: Buffer | null;
  /** A "rupture de solde" (domain/balance-check.ts): its headline and what was compared. */
  balanceBreak?: { message: string; details: string[] } | null;
  platform?: Platform;
}

/**
 * 3.a: the statement in the chosen formats (`.cfonb`, camt.053 `.xml`; zipped over 2 Mo), plus the
 * deleted-transactions CSV, and a balance break when there is one.
 */
export async function renderStatementDelivery(input: StatementDeliveryInput): Promise<RenderedEmail> {
  const attachments = await statementAttachments({ ...input, camt053: input.camt053?.xml ?? null });
  const periodicity = PERIODICITY_LABELS[input.periodicity];
  const names = [
    ...(input.cfonb ? ['CFONB120'] : []),
    ...(input.camt053 ? [`ISO 20022 camt.053.001.${input.camt053.version}`] : []),
  ];
  const zipped = attachments[0]?.name.endsWith('.zip') ?? false;
  return {
    ...render('statement.delivery', 'statement-delivery', input, {
      periodicity,
      company: { name: input.company.name, id: companyId(input.company) },
      account: { label: input.account.label, number: input.account.iban ?? input.account.label },
      periodStart: frDate(input.periodStart),
      periodEnd: frDate(input.periodEnd),
      transactionCount: input.transactionCount,
      deletedCount: input.deletedCount,
      hasDeleted: input.deletedCsv !== null,
      formatPhrase: names.length > 1 ? `aux formats ${names.join(' et ')}` : `au format ${names[0] ?? 'CFONB120'}`,
      zipped,
      zipText:
        names.length > 1
          ? 'Les fichiers du relevé dépassant 2 Mo, ils sont compressés ensemble au format ZIP.'
          : `Le relevé dépassant 2 Mo, le fichier ${input.cfonb ? '.cfonb' : '.xml'} est compressé au format ZIP.`,
      camtProblem: input.camtProblem ?? null,
      balanceBreak: input.balanceBreak ?? null,
      attachments: attachments.map((a) => ({ name: a.name, size: humanSize(a.content.length) })),
    }),
    attachments,
  };
}

/** "864 o", "1,5 Ko", "2,1 Mo". */
export function humanSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} o`;
  const fmt = (n: number) => n.toLocaleString('fr-FR', { maximumFractionDigits: 1 });
  if (bytes < 1024 * 1024) return `${fmt(bytes / 1024)} Ko`;
  return `${fmt(bytes / 1024 / 1024)} Mo`;
}
