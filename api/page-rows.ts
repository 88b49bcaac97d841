/**
 * A search's page of rows with what the list shows of their relations, in one SQL statement and in
 * the page's order. The same shapes as Prisma's `findMany` with api/present.ts's select/include
 * (test/api/page-rows.test.ts holds them equal), without Prisma's query compilation and its one
 * statement per relation: on the busiest routes (GET /statements, /bank-accounts, /companies)
 * that was most of the API process's CPU per request (bench/RESULTS.md, "api").
 *
 * The lists read their page in one round trip (`statementPage`, `bankAccountPage`, `companyPage`):
 * the search's page of ids runs inside the rows' statement (its ORDER BY kept by `ARRAY(…)`), with
 * the search's capped count beside it, sent by pg on the API's pool (db/client.ts `readSql`).
 */
import { Prisma, readSql, type Db } from '../db/client';
import {
  latestLinkState,
  type bankAccountInclude,
  type companyInclude,
  type EmailBounce,
  type statementSelect,
} from './present';
import type { LinkState } from '../domain/links';
import { bounceReasonFr } from '../domain/email-bounces';

export type StatementRow = Prisma.StatementGetPayload<{ select: typeof statementSelect }>;
export type BankAccountRow = Prisma.BankAccountGetPayload<{ include: typeof bankAccountInclude }>;

/** A page: its ids in order, or a query returning them (one column) in its own order. */
export type PageIds = string[] | Prisma.Sql;

/**
 * The latest link of the connection `connection` (a column of the outer query, whose aliases
 * must not be `ln`), ties on the creation instant broken by id: the one the lists show, filter on
 * (`link=`) and count as valid.
 */
export const latestLinkOf = (connection: Prisma.Sql) =>
  Prisma.sql`SELECT ln.id, ln."createdAt", ln."usedAt", ln."revokedAt", ln."expiresAt" FROM "Link" ln
    WHERE ln."connectionId" = ${connection} ORDER BY ln."createdAt" DESC, ln.id DESC LIMIT 1`;

/** The page's ids with their rank: joined, then sorted back into the search's order. */
const page = (ids: PageIds) =>
  Array.isArray(ids)
    ? Prisma.sql`unnest(${ids}::uuid[]) WITH ORDINALITY AS page(id, n)`
    : Prisma.sql`unnest(ARRAY(${ids})::uuid[]) WITH ORDINALITY AS page(id, n)`;

const decimal = (v: string): Prisma.Decimal => new Prisma.Decimal(v);
const decimalOrNull = (v: string | null): Prisma.Decimal | null => (v === null ? null : new Prisma.Decimal(v));

/**
 * A page's options: the search's capped count, whether its statement is planned once, and the WITH
 * item its page and count read (keysetSearch's `planOnce` and `with`).
 */
interface PageOptions {
  total?: Prisma.Sql;
  planOnce?: boolean;
  with?: Prisma.Sql;
}

/**
 * Runs the rows' SQL (`rows`, ordered by its `n`) with, when `total` is given, that count (a
 * query returning one number) beside it in the same statement: one row of nulls and the total when
 * the page is empty (an offset past the end).
 */
async function pageWithTotal<R extends { n: unknown }>(
  prisma: Db,
  rows: Prisma.Sql,
  { total, planOnce, with: withItem }: PageOptions,
): Promise<{ rows: R[]; total: number | null }> {
  const head = withItem ? Prisma.sql`WITH ${withItem} ` : Prisma.empty;
  if (!total)
    return { rows: await readSql<R>(prisma, Prisma.sql`${head}${rows} ORDER BY n`, { planOnce }), total: null };
  const found = await readSql<R & { total: number }>(
    prisma,
    Prisma.sql`${head}SELECT (${total})::int AS total, r.* FROM (SELECT 1) one LEFT JOIN (${rows}) r ON true ORDER BY r.n`,
    { planOnce },
  );
  return { rows: found.filter((r) => r.n !== null), total: found[0]?.total ?? 0 };
}

interface StatementFlat {
  id: string;
  bankAccountId: string;
  periodStart: Date;
  periodEnd: Date;
  receivedAt: Date;
  state: StatementRow['state'];
  transactionCount: number;
  deletedCount: number;
  currency: string;
  openingBalance: string;
  closingBalance: string;
  errorMessage: string | null;
  previousClosingBalance: string | null;
  bankBalance: string | null;
  bankBalanceAt: Date | null;
  bookedAfterPeriodEnd: string | null;
  iban: string | null;
  a_statementFormats: StatementRow['bankAccount']['statementFormats'];
  a_camtVersion: StatementRow['bankAccount']['camtVersion'];
  c_id: string;
  c_siren: string;
  c_nic: string | null;
  c_name: string;
  c_statementFormats: StatementRow['bankAccount']['company']['statementFormats'];
  c_camtVersion: StatementRow['bankAccount']['company']['camtVersion'];
  c_portalAccountId: string;
  p_name: string;
}

/**
 * A page of statements (their ids, or the search's query of them), as `select: statementSelect`
 * reads them, in the page's order (unknown ids left out), and the count `total` returns (null
 * without it).
 */
export async function statementPage(
  prisma: Db,
  ids: PageIds,
  opts: PageOptions = {},
): Promise<{ rows: StatementRow[]; total: number | null }> {
  const found = await pageWithTotal<StatementFlat & { n: unknown }>(
    prisma,
    Prisma.sql`
    SELECT page.n, s.id::text AS id, s."bankAccountId"::text AS "bankAccountId", s."periodStart", s."periodEnd",
      s."receivedAt", s.state::text AS state, s."transactionCount", s."deletedCount", s.currency,
      s."openingBalance"::text AS "openingBalance", s."closingBalance"::text AS "closingBalance", s."errorMessage",
      s."previousClosingBalance"::text AS "previousClosingBalance", s."bankBalance"::text AS "bankBalance",
      s."bankBalanceAt", s."bookedAfterPeriodEnd"::text AS "bookedAfterPeriodEnd",
      a.iban, a."statementFormats"::text AS "a_statementFormats", a."camtVersion"::text AS "a_camtVersion",
      c.id::text AS c_id, c.siren AS c_siren, c.nic AS c_nic, c.name AS c_name,
      c."statementFormats"::text AS "c_statementFormats", c."camtVersion"::text AS "c_camtVersion",
      c."portalAccountId"::text AS "c_portalAccountId", p.name AS p_name
    FROM ${page(ids)}
    JOIN "Statement" s ON s.id = page.id
    JOIN "BankAccount" a ON a.id = s."bankAccountId"
    JOIN "Company" c ON c.id = a."companyId"
    JOIN "PortalAccount" p ON p.id = c."portalAccountId"`,
    opts,
  );
  const rows = found.rows.map((r) => ({
    id: r.id,
    bankAccountId: r.bankAccountId,
    periodStart: r.periodStart,
    periodEnd: r.periodEnd,
    receivedAt: r.receivedAt,
    state: r.state,
    transactionCount: r.transactionCount,
    deletedCount: r.deletedCount,
    currency: r.currency,
    openingBalance: decimal(r.openingBalance),
    closingBalance: decimal(r.closingBalance),
    errorMessage: r.errorMessage,
    previousClosingBalance: decimalOrNull(r.previousClosingBalance),
    bankBalance: decimalOrNull(r.bankBalance),
    bankBalanceAt: r.bankBalanceAt,
    bookedAfterPeriodEnd: decimalOrNull(r.bookedAfterPeriodEnd),
    bankAccount: {
      iban: r.iban,
      statementFormats: r.a_statementFormats,
      camtVersion: r.a_camtVersion,
      company: {
        id: r.c_id,
        siren: r.c_siren,
        nic: r.c_nic,
        name: r.c_name,
        statementFormats: r.c_statementFormats,
        camtVersion: r.c_camtVersion,
        portalAccountId: r.c_portalAccountId,
        portalAccount: { name: r.p_name },
      },
    },
  }));
  return { rows, total: found.total };
}

type AccountFlat = Omit<Prisma.BankAccountGetPayload<object>, 'balance'> & {
  balance: string | null;
  c_siren: string;
  c_nic: string | null;
  c_name: string;
  c_portalAccountId: string;
  p_name: string;
  x_state: string | null;
  x_errorCode: string | null;
  x_lastSyncAt: Date | null;
  x_lastSuccessAt: Date | null;
  x_connectorName: string | null;
  x_active: boolean;
  x_collectRequestedAt: Date | null;
  b_name: string | null;
  l_createdAt: Date | null;
  l_usedAt: Date | null;
  l_revokedAt: Date | null;
  l_expiresAt: Date | null;
};

type NamedAccountRow = BankAccountRow & { company: { portalAccount: { name: string } } };
interface AccountPage<R> {
  rows: R[];
  /** Beside each row, its connection's latest link as the list shows it (null without one). */
  links: Array<{ state: LinkState; at: string } | null>;
  total: number | null;
}

/**
 * A page of bank accounts (their ids, or the search's query of them), as `include:
 * bankAccountInclude` reads them, in the page's order (unknown ids left out); beside each, its
 * connection's latest link (ties on `createdAt` broken by id, as the link filter reads it); and the
 * count `total` returns (null without it). With `portalAccountName`, the company also carries its
 * portal account's name (exports).
 */
export async function bankAccountPage(
  prisma: Db,
  ids: PageIds,
  opts?: PageOptions,
): Promise<AccountPage<BankAccountRow>>;
export async function bankAccountPage(
  prisma: Db,
  ids: PageIds,
  opts: PageOptions & { portalAccountName: true },
): Promise<AccountPage<NamedAccountRow>>;
export async function bankAccountPage(
  prisma: Db,
  ids: PageIds,
  opts: PageOptions & { portalAccountName?: boolean } = {},
): Promise<AccountPage<BankAccountRow>> {
  // Every column of the account (as `include` reads them), uuids and enums as Prisma gives them: text.
  const found = await pageWithTotal<AccountFlat & { n: unknown }>(
    prisma,
    Prisma.sql`
    SELECT page.n, a.id::text AS id, a."connectionId"::text AS "connectionId", a."companyId"::text AS "companyId",
      a."portalAccountId"::text AS "portalAccountId", a."companyName", a."powensAccountId", a.iban, a.number, a.bic, a.label, a.type, a.currency, a.active, a."activatedAt",
      a."deactivatedAt", a."collectedUntil", a.balance::text AS balance, a."balanceAt",
      a."statementFormats"::text AS "statementFormats", a."camtVersion"::text AS "camtVersion", a."createdAt",
      a."updatedAt", c.siren AS c_siren, c.nic AS c_nic, c.name AS c_name,
      c."portalAccountId"::text AS "c_portalAccountId", p.name AS p_name,
      x.state AS x_state, x."errorCode" AS "x_errorCode", x."lastSyncAt" AS "x_lastSyncAt",
      x."lastSuccessAt" AS "x_lastSuccessAt", x."connectorName" AS "x_connectorName", x.active AS x_active,
      x."collectRequestedAt" AS "x_collectRequestedAt", b.name AS b_name,
      l."createdAt" AS "l_createdAt", l."usedAt" AS "l_usedAt", l."revokedAt" AS "l_revokedAt",
      l."expiresAt" AS "l_expiresAt"
    FROM ${page(ids)}
    JOIN "BankAccount" a ON a.id = page.id
    JOIN "Company" c ON c.id = a."companyId"
    JOIN "PortalAccount" p ON p.id = c."portalAccountId"
    JOIN "BankConnection" x ON x.id = a."connectionId"
    LEFT JOIN "Bank" b ON b.id = x."bankId"
    LEFT JOIN LATERAL (${latestLinkOf(Prisma.sql`a."connectionId"`)}) l ON true`,
    opts,
  );
  const now = new Date();
  return {
    rows: found.rows.map((r) => ({
      id: r.id,
      connectionId: r.connectionId,
      companyId: r.companyId,
      portalAccountId: r.portalAccountId,
      companyName: r.companyName,
      powensAccountId: r.powensAccountId,
      iban: r.iban,
      number: r.number,
      bic: r.bic,
      label: r.label,
      type: r.type,
      currency: r.currency,
      active: r.active,
      activatedAt: r.activatedAt,
      deactivatedAt: r.deactivatedAt,
      collectedUntil: r.collectedUntil,
      balance: decimalOrNull(r.balance),
      balanceAt: r.balanceAt,
      statementFormats: r.statementFormats,
      camtVersion: r.camtVersion,
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
      company: {
        siren: r.c_siren,
        nic: r.c_nic,
        name: r.c_name,
        portalAccountId: r.c_portalAccountId,
        ...(opts.portalAccountName ? { portalAccount: { name: r.p_name } } : {}),
      },
      connection: {
        state: r.x_state,
        errorCode: r.x_errorCode,
        lastSyncAt: r.x_lastSyncAt,
        lastSuccessAt: r.x_lastSuccessAt,
        connectorName: r.x_connectorName,
        active: r.x_active,
        collectRequestedAt: r.x_collectRequestedAt,
        bank: r.b_name === null ? null : { name: r.b_name },
      },
    })),
    links: found.rows.map((r) =>
      r.l_createdAt && r.l_expiresAt
        ? latestLinkState(
            { createdAt: r.l_createdAt, usedAt: r.l_usedAt, revokedAt: r.l_revokedAt, expiresAt: r.l_expiresAt },
            now,
          )
        : null,
    ),
    total: found.total,
  };
}

/**
 * A company as the list shows it: what `include: companyInclude` reads (without the Powens token,
 * which no list needs), its bank-account count (`withAccountCounts`) and its address's suppression
 * (`withEmailBounces`).
 */
export type CompanyRow = Omit<Prisma.CompanyGetPayload<{ include: typeof companyInclude }>, 'powensTokenEnc'> & {
  accountCount: number;
  emailBounce: EmailBounce | null;
};

type CompanyFlat = Omit<CompanyRow, 'portalAccount' | 'connections' | 'emailBounce'> & {
  p_name: string;
  x_states: Array<string | null>;
  e_at: Date | null;
  e_reason: string | null;
  e_details: string | null;
};

/**
 * A page of companies (their ids, or the search's query of them) in the page's order (unknown ids
 * left out), each with its portal account's name, its active connections' states (ordered by id),
 * its bank-account count and its address's suppression (the address trimmed and lower-cased, as
 * the `emailBounced` filter matches it); and the count `total` returns (null without it).
 */
export async function companyPage(
  prisma: Db,
  ids: PageIds,
  opts: PageOptions = {},
): Promise<{ rows: CompanyRow[]; total: number | null }> {
  const found = await pageWithTotal<CompanyFlat & { n: unknown }>(
    prisma,
    Prisma.sql`
    SELECT page.n, c.id::text AS id, c."portalAccountId"::text AS "portalAccountId",
      c."rootAccountId"::text AS "rootAccountId", c.siren, c.nic, c.name, c.name2, c.email,
      c."periodicityKind"::text AS "periodicityKind", c."periodicityDay", c."periodicityMonth", c."autoLinks",
      c."statementFormats"::text AS "statementFormats", c."camtVersion"::text AS "camtVersion", c.active,
      c."deactivatedAt", c."powensUserId", c."createdAt", c."updatedAt", p.name AS p_name,
      ARRAY(SELECT x.state FROM "BankConnection" x WHERE x."companyId" = c.id AND x.active ORDER BY x.id) AS x_states,
      (SELECT count(*)::int FROM "BankAccount" a WHERE a."companyId" = c.id) AS "accountCount",
      e."createdAt" AS e_at, e.reason AS e_reason, e.details AS e_details
    FROM ${page(ids)}
    JOIN "Company" c ON c.id = page.id
    JOIN "PortalAccount" p ON p.id = c."portalAccountId"
    LEFT JOIN "EmailSuppression" e ON e.address = lower(trim(c.email))`,
    opts,
  );
  return {
    // Each field named (a rest pattern, `{ n, p_name, …, ...c }`, copied each row's fields one by
    // one in V8's slow path: 3.4 µs a row, a tenth of the API's CPU for a page of 50 companies).
    rows: found.rows.map((r) => ({
      id: r.id,
      portalAccountId: r.portalAccountId,
      rootAccountId: r.rootAccountId,
      siren: r.siren,
      nic: r.nic,
      name: r.name,
      name2: r.name2,
      email: r.email,
      periodicityKind: r.periodicityKind,
      periodicityDay: r.periodicityDay,
      periodicityMonth: r.periodicityMonth,
      autoLinks: r.autoLinks,
      statementFormats: r.statementFormats,
      camtVersion: r.camtVersion,
      active: r.active,
      deactivatedAt: r.deactivatedAt,
      powensUserId: r.powensUserId,
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
      accountCount: r.accountCount,
      portalAccount: { name: r.p_name },
      connections: r.x_states.map((state) => ({ state })),
      emailBounce:
        r.e_at && r.e_reason !== null
          ? { at: r.e_at.toISOString(), type: r.e_reason, reason: bounceReasonFr(r.e_reason), details: r.e_details }
          : null,
    })),
    total: found.total,
  };
}
