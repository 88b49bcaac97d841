/**
 * A search's page of rows with what the list shows of their relations, in one SQL statement and in
 * the page's order. The same shapes as Prisma's `findMany` with api/present.ts's select/include
 * (test/api/page-rows.test.ts holds them equal), without Prisma's query compilation and its one
 * statement per relation: on the busiest routes (GET /statements, GET /bank-accounts) that was
 * most of the API process's CPU per request (bench/RESULTS.md, "api").
 */
import { Prisma, type Db } from '../db/client';
import type { bankAccountInclude, statementSelect } from './present';

export type StatementRow = Prisma.StatementGetPayload<{ select: typeof statementSelect }>;
export type BankAccountRow = Prisma.BankAccountGetPayload<{ include: typeof bankAccountInclude }>;

/** The page's ids with their rank: joined, then sorted back into the search's order. */
const page = (ids: string[]) => Prisma.sql`unnest(${ids}::uuid[]) WITH ORDINALITY AS page(id, n)`;

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
  openingBalance: Prisma.Decimal;
  closingBalance: Prisma.Decimal;
  errorMessage: string | null;
  previousClosingBalance: Prisma.Decimal | null;
  bankBalance: Prisma.Decimal | null;
  bankBalanceAt: Date | null;
  bookedAfterPeriodEnd: Prisma.Decimal | null;
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

/** Statements by id, in the order given (unknown ids left out), as `select: statementSelect` reads them. */
export async function statementRows(prisma: Db, ids: string[]): Promise<StatementRow[]> {
  if (!ids.length) return [];
  const rows = await prisma.$queryRaw<StatementFlat[]>`
    SELECT s.id::text AS id, s."bankAccountId"::text AS "bankAccountId", s."periodStart", s."periodEnd",
      s."receivedAt", s.state::text AS state, s."transactionCount", s."deletedCount", s.currency,
      s."openingBalance", s."closingBalance", s."errorMessage", s."previousClosingBalance", s."bankBalance",
      s."bankBalanceAt", s."bookedAfterPeriodEnd",
      a.iban, a."statementFormats"::text AS "a_statementFormats", a."camtVersion"::text AS "a_camtVersion",
      c.id::text AS c_id, c.siren AS c_siren, c.nic AS c_nic, c.name AS c_name,
      c."statementFormats"::text AS "c_statementFormats", c."camtVersion"::text AS "c_camtVersion",
      c."portalAccountId"::text AS "c_portalAccountId", p.name AS p_name
    FROM ${page(ids)}
    JOIN "Statement" s ON s.id = page.id
    JOIN "BankAccount" a ON a.id = s."bankAccountId"
    JOIN "Company" c ON c.id = a."companyId"
    JOIN "PortalAccount" p ON p.id = c."portalAccountId"
    ORDER BY page.n`;
  return rows.map((r) => ({
    id: r.id,
    bankAccountId: r.bankAccountId,
    periodStart: r.periodStart,
    periodEnd: r.periodEnd,
    receivedAt: r.receivedAt,
    state: r.state,
    transactionCount: r.transactionCount,
    deletedCount: r.deletedCount,
    currency: r.currency,
    openingBalance: r.openingBalance,
    closingBalance: r.closingBalance,
    errorMessage: r.errorMessage,
    previousClosingBalance: r.previousClosingBalance,
    bankBalance: r.bankBalance,
    bankBalanceAt: r.bankBalanceAt,
    bookedAfterPeriodEnd: r.bookedAfterPeriodEnd,
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
}

type AccountFlat = Prisma.BankAccountGetPayload<object> & {
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
};

/**
 * Bank accounts by id, in the order given (unknown ids left out), as `include: bankAccountInclude`
 * reads them; with `portalAccountName`, the company also carries its portal account's name (exports).
 */
export async function bankAccountRows(prisma: Db, ids: string[]): Promise<BankAccountRow[]>;
export async function bankAccountRows(
  prisma: Db,
  ids: string[],
  opts: { portalAccountName: true },
): Promise<Array<BankAccountRow & { company: { portalAccount: { name: string } } }>>;
export async function bankAccountRows(
  prisma: Db,
  ids: string[],
  opts: { portalAccountName?: boolean } = {},
): Promise<BankAccountRow[]> {
  if (!ids.length) return [];
  // Every column of the account (as `include` reads them), uuids and enums as Prisma gives them: text.
  const rows = await prisma.$queryRaw<AccountFlat[]>`
    SELECT a.id::text AS id, a."connectionId"::text AS "connectionId", a."companyId"::text AS "companyId",
      a."powensAccountId", a.iban, a.number, a.bic, a.label, a.type, a.currency, a.active, a."activatedAt",
      a."deactivatedAt", a."collectedUntil", a.balance, a."balanceAt", a."statementFormats"::text AS "statementFormats",
      a."camtVersion"::text AS "camtVersion", a."createdAt", a."updatedAt",
      c.siren AS c_siren, c.nic AS c_nic, c.name AS c_name, c."portalAccountId"::text AS "c_portalAccountId",
      p.name AS p_name,
      x.state AS x_state, x."errorCode" AS "x_errorCode", x."lastSyncAt" AS "x_lastSyncAt",
      x."lastSuccessAt" AS "x_lastSuccessAt", x."connectorName" AS "x_connectorName", x.active AS x_active,
      x."collectRequestedAt" AS "x_collectRequestedAt", b.name AS b_name
    FROM ${page(ids)}
    JOIN "BankAccount" a ON a.id = page.id
    JOIN "Company" c ON c.id = a."companyId"
    JOIN "PortalAccount" p ON p.id = c."portalAccountId"
    JOIN "BankConnection" x ON x.id = a."connectionId"
    LEFT JOIN "Bank" b ON b.id = x."bankId"
    ORDER BY page.n`;
  return rows.map((r) => ({
    id: r.id,
    connectionId: r.connectionId,
    companyId: r.companyId,
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
    balance: r.balance,
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
  }));
}
