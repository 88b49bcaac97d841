/** Database rows → API representations (the shapes of api/schemas.ts). */
import { balanceCheck } from '../domain/balance-check';
import { statementIban } from '../domain/identifiers';
import { camtVersionName, formatChoice, formatsName } from '../statement-files';
import { linkState, type LinkState } from '../domain/links';
import { noIbanReason } from '../domain/statements';
import { collectAvailability } from './collect-now';
import { bounceReasonFr, deliveryOf, DELIVERY_STATE_FR } from '../domain/email-bounces';
import type { Db, Prisma } from '../db/client';

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);
const day = (d: Date | null | undefined) => (d ? d.toISOString().slice(0, 10) : null);

export function presentLink(l: Prisma.LinkGetPayload<object>) {
  return {
    id: l.id,
    kind: l.kind === 'ADD_ACCOUNTS' ? ('add-accounts' as const) : ('update-credentials' as const),
    companyId: l.companyId,
    connectionId: l.connectionId,
    recipient: l.recipient,
    automatic: l.automatic,
    createdAt: l.createdAt.toISOString(),
    expiresAt: l.expiresAt.toISOString(),
    usedAt: iso(l.usedAt),
    revokedAt: iso(l.revokedAt),
    state: linkState(l),
  };
}

/** A connection's latest link as the list shows it: its state, and when it was used, else sent. */
export function latestLinkState(
  l: { createdAt: Date; usedAt: Date | null; revokedAt: Date | null; expiresAt: Date },
  now: Date,
): { state: LinkState; at: string } {
  return { state: linkState(l, now), at: (l.usedAt ?? l.createdAt).toISOString() };
}

export const companyInclude = {
  portalAccount: { select: { name: true } },
  connections: { where: { active: true }, select: { state: true } },
} satisfies Prisma.CompanyInclude;

/**
 * Bank-account counts of a page of companies, in one grouped query on the page's ids (Prisma's
 * `_count` include aggregates the whole table and costs tens of milliseconds at 100 000 accounts).
 */
export async function withAccountCounts<T extends { id: string }>(
  prisma: Db,
  companies: T[],
): Promise<Array<T & { accountCount: number }>> {
  if (!companies.length) return [];
  const rows = await prisma.bankAccount.groupBy({
    by: ['companyId'],
    where: { companyId: { in: companies.map((c) => c.id) } },
    _count: { _all: true },
  });
  const counts = new Map(rows.map((r) => [r.companyId, r._count._all]));
  return companies.map((c) => ({ ...c, accountCount: counts.get(c.id) ?? 0 }));
}

/** A suppressed address (permanent bounce, spam complaint), as the companies screen flags it. */
export interface EmailBounce {
  at: string;
  type: string;
  reason: string;
  details: string | null;
}

/** The suppressions of these addresses, in one query: address (lower-case) → why and since when. */
export async function emailBounces(prisma: Db, addresses: Array<string | null>): Promise<Map<string, EmailBounce>> {
  const wanted = [...new Set(addresses.filter((a): a is string => !!a).map((a) => a.trim().toLowerCase()))];
  if (!wanted.length) return new Map();
  const rows = await prisma.emailSuppression.findMany({ where: { address: { in: wanted } } });
  return new Map(
    rows.map((r) => [
      r.address,
      { at: r.createdAt.toISOString(), type: r.reason, reason: bounceReasonFr(r.reason), details: r.details },
    ]),
  );
}

/** A page of companies with their address's bounce, if any. */
export async function withEmailBounces<T extends { email: string | null }>(
  prisma: Db,
  companies: T[],
): Promise<Array<T & { emailBounce: EmailBounce | null }>> {
  const bounces = await emailBounces(
    prisma,
    companies.map((c) => c.email),
  );
  return companies.map((c) => ({ ...c, emailBounce: (c.email && bounces.get(c.email.trim().toLowerCase())) || null }));
}

/** A message as the statement's deliveries show it. */
export function presentDelivery(m: {
  id: string;
  to: string;
  status: string;
  createdAt: Date;
  sentAt: Date | null;
  deliveredAt: Date | null;
  bouncedAt: Date | null;
  bounceType: string | null;
  lastError: string | null;
  lastErrorCode: number | null;
  nextAttemptAt: Date | null;
  idempotencyKey: string;
}) {
  const d = deliveryOf(m);
  return {
    id: m.id,
    to: m.to,
    state: d.state,
    stateText: DELIVERY_STATE_FR[d.state],
    reason: d.reason,
    resend: m.idempotencyKey.includes('/resend/'),
    queuedAt: m.createdAt.toISOString(),
    sentAt: iso(m.sentAt),
    deliveredAt: iso(m.deliveredAt),
    bouncedAt: iso(m.bouncedAt),
    nextAttemptAt: m.status === 'QUEUED' ? iso(m.nextAttemptAt) : null,
  };
}

export const deliverySelect = {
  id: true,
  to: true,
  status: true,
  createdAt: true,
  sentAt: true,
  deliveredAt: true,
  bouncedAt: true,
  bounceType: true,
  lastError: true,
  lastErrorCode: true,
  nextAttemptAt: true,
  idempotencyKey: true,
} satisfies Prisma.EmailMessageSelect;

export function presentCompany(
  c: Omit<Prisma.CompanyGetPayload<{ include: typeof companyInclude }>, 'powensTokenEnc'> & {
    accountCount: number;
    emailBounce?: EmailBounce | null;
  },
) {
  const collection = c.connections.some((x) => x.state !== null) ? 'error' : c.connections.length ? 'success' : 'none';
  return {
    id: c.id,
    portalAccountId: c.portalAccountId,
    portalAccountName: c.portalAccount.name,
    siren: c.siren,
    nic: c.nic,
    siret: c.nic ? c.siren + c.nic : null,
    name: c.name,
    name2: c.name2,
    email: c.email,
    periodicity: { kind: c.periodicityKind, day: c.periodicityDay, month: c.periodicityMonth },
    autoLinks: c.autoLinks,
    statementFormats: formatsName(c.statementFormats),
    camtVersion: camtVersionName(c.camtVersion),
    active: c.active,
    deactivatedAt: iso(c.deactivatedAt),
    collection: collection as 'success' | 'error' | 'none',
    accountCount: c.accountCount,
    emailBounce: c.emailBounce ?? null,
    createdAt: c.createdAt.toISOString(),
  };
}

export const bankAccountInclude = {
  company: { select: { siren: true, nic: true, name: true, portalAccountId: true } },
  connection: {
    select: {
      state: true,
      errorCode: true,
      lastSyncAt: true,
      lastSuccessAt: true,
      connectorName: true,
      active: true,
      collectRequestedAt: true,
      bank: { select: { name: true } },
    },
  },
} satisfies Prisma.BankAccountInclude;

/** Whether the account can get a CFONB120 statement, and why not (French). */
export function statementAvailability(a: { iban: string | null; number: string | null; type: string }) {
  const available = statementIban(a) !== null;
  return { available, reason: available ? null : noIbanReason(a.type) };
}

export function presentBankAccount(a: Prisma.BankAccountGetPayload<{ include: typeof bankAccountInclude }>) {
  return {
    id: a.id,
    companyId: a.companyId,
    connectionId: a.connectionId,
    company: a.company,
    bankName: a.connection.bank?.name ?? a.connection.connectorName,
    iban: a.iban,
    bic: a.bic,
    label: a.label,
    type: a.type,
    currency: a.currency,
    active: a.active,
    statement: statementAvailability(a),
    deactivatedAt: iso(a.deactivatedAt),
    collectedUntil: day(a.collectedUntil),
    connection: {
      state: a.connection.state === null ? ('ok' as const) : ('error' as const),
      errorCode: a.connection.errorCode ?? a.connection.state,
      lastSyncAt: iso(a.connection.lastSyncAt),
      lastSuccessAt: iso(a.connection.lastSuccessAt),
      collect: collectAvailability(a.connection),
    },
    createdAt: a.createdAt.toISOString(),
  };
}

export const statementInclude = {
  bankAccount: {
    select: {
      iban: true,
      statementFormats: true,
      camtVersion: true,
      company: {
        select: {
          id: true,
          siren: true,
          nic: true,
          name: true,
          statementFormats: true,
          camtVersion: true,
          portalAccountId: true,
          portalAccount: { select: { name: true } },
        },
      },
    },
  },
} satisfies Prisma.StatementInclude;

export const statementSelect = {
  id: true,
  bankAccountId: true,
  periodStart: true,
  periodEnd: true,
  receivedAt: true,
  state: true,
  transactionCount: true,
  deletedCount: true,
  currency: true,
  openingBalance: true,
  closingBalance: true,
  errorMessage: true,
  previousClosingBalance: true,
  bankBalance: true,
  bankBalanceAt: true,
  bookedAfterPeriodEnd: true,
  ...statementInclude,
} satisfies Prisma.StatementSelect;

/** The balance continuity of an issued statement (null otherwise). */
export function presentBalanceCheck(s: Prisma.StatementGetPayload<{ select: typeof statementSelect }>) {
  if (s.state !== 'SUCCESS') return null;
  return balanceCheck({
    currency: s.currency,
    openingBalance: s.openingBalance.toFixed(),
    closingBalance: s.closingBalance.toFixed(),
    previousClosingBalance: s.previousClosingBalance?.toFixed() ?? null,
    bankBalance: s.bankBalance?.toFixed() ?? null,
    bankBalanceAt: s.bankBalanceAt,
    bookedAfterPeriodEnd: s.bookedAfterPeriodEnd?.toFixed() ?? null,
    periodEnd: day(s.periodEnd)!,
  });
}

export function presentStatement(s: Prisma.StatementGetPayload<{ select: typeof statementSelect }>) {
  return {
    id: s.id,
    bankAccountId: s.bankAccountId,
    company: {
      id: s.bankAccount.company.id,
      siren: s.bankAccount.company.siren,
      nic: s.bankAccount.company.nic,
      name: s.bankAccount.company.name,
      portalAccountId: s.bankAccount.company.portalAccountId,
      portalAccountName: s.bankAccount.company.portalAccount.name,
    },
    iban: s.bankAccount.iban,
    periodStart: day(s.periodStart)!,
    periodEnd: day(s.periodEnd)!,
    receivedAt: s.receivedAt.toISOString(),
    state: s.state.toLowerCase() as 'success' | 'running' | 'failure',
    transactionCount: s.transactionCount,
    deletedCount: s.deletedCount,
    currency: s.currency,
    openingBalance: s.openingBalance.toFixed(2),
    closingBalance: s.closingBalance.toFixed(2),
    errorMessage: s.errorMessage,
    ...formatChoice(s.bankAccount.company, s.bankAccount),
    balanceCheck: presentBalanceCheck(s),
  };
}

export { iso, day };
