/**
 * The practice portal's messages (issue 20), beside the manual's in messages.ts: the invitation of
 * a secondary account's user, the firm's daily summary of the addresses that bounced, and the
 * statement e-mail that carries a download link instead of a file too large to be attached.
 * Pure functions of their input, rendered from templates/ like the others.
 */
import { PERIODICITY_LABELS, type PeriodicityKind } from '../domain/periodicity';
import {
  humanSize,
  PLATFORM_NAME,
  frDate,
  companyId,
  type CompanyRef,
  type Platform,
  type RenderedEmail,
} from './messages';
import { renderMessageTemplate } from './render';
import { frDateTime } from '../domain/french';

const platformContext = (p?: Platform) => ({
  platform: {
    name: p?.name ?? PLATFORM_NAME,
    supportEmail: p?.supportEmail ?? null,
    supportPhone: p?.supportPhone ?? null,
  },
});

function render(kind: string, template: string, to: string, context: Record<string, unknown>, platform?: Platform) {
  return { kind, to, ...renderMessageTemplate(template, { ...platformContext(platform), ...context }) };
}

/** A secondary account's user is invited to choose a password (one-time link). */
export function renderAccountInvitation(input: {
  to: string;
  primary: { name: string };
  account: { name: string };
  login: string;
  url: string;
  expiresAt: Date;
  platform?: Platform;
}): RenderedEmail {
  return render(
    'account.invitation',
    'account-invitation',
    input.to,
    {
      primary: input.primary,
      account: input.account,
      login: input.login,
      url: input.url,
      expiresAt: frDateTime(input.expiresAt),
    },
    input.platform,
  );
}

export interface BounceLine {
  address: string;
  /** The company whose address it is, when it is one. */
  company: string | null;
  /** Why, in French (bounceReasonFr). */
  reason: string;
  at: Date;
}

/** The firm's one alert a day listing the addresses that bounced since `since`. */
export function renderBounceSummary(input: {
  to: string;
  since: Date;
  bounces: BounceLine[];
  url: string;
  platform?: Platform;
}): RenderedEmail {
  return render(
    'firm.bounce-summary',
    'firm-bounce-summary',
    input.to,
    {
      count: input.bounces.length,
      since: frDateTime(input.since),
      bounces: input.bounces.map((b) => ({ ...b, at: frDateTime(b.at) })),
      url: input.url,
    },
    input.platform,
  );
}

/** A statement whose files are too large for an e-mail: the message links to its Réception page. */
export function renderStatementDownloadLink(input: {
  to: string;
  company: CompanyRef;
  account: { label: string; iban: string | null };
  periodicity: PeriodicityKind;
  periodStart: Date | string;
  periodEnd: Date | string;
  transactionCount: number;
  size: number;
  url: string;
  platform?: Platform;
}): RenderedEmail {
  return render(
    'statement.delivery',
    'statement-download-link',
    input.to,
    {
      periodicity: PERIODICITY_LABELS[input.periodicity],
      company: { name: input.company.name, id: companyId(input.company) },
      account: { label: input.account.label, number: input.account.iban ?? input.account.label },
      periodStart: frDate(input.periodStart),
      periodEnd: frDate(input.periodEnd),
      transactionCount: input.transactionCount,
      size: humanSize(input.size),
      url: input.url,
    },
    input.platform,
  );
}
