/**
 * The SQL of the searches over the big tables (bank accounts, statements): the filters they share,
 * and the statement search itself, shared by the list and its export. One statement per need (page
 * of ids, capped total), so that PostgreSQL walks an index in the requested order and stops at the
 * page, and counts no further than `offset + COUNT_CAP` (api/schemas.ts).
 */
import { Prisma, type Db } from '../db/client';
import { cappedTotal, COUNT_CAP } from './schemas';

/** `%`, `_` and `\\` taken literally in a LIKE pattern. */
export const likeContains = (v: string) => `%${v.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** The company `c` in the caller's scope (one account as an equality: the planner uses its indexes). */
export const companyInScope = (ids: string[]) =>
  ids.length === 1
    ? Prisma.sql`c."portalAccountId" = ${ids[0]}::uuid`
    : Prisma.sql`c."portalAccountId" = ANY(${ids}::uuid[])`;

/** SIREN (9 digits), SIRET (14) or their beginning, on the company `c`. */
export function siretSql(siret: string | undefined): Prisma.Sql[] {
  if (!siret) return [];
  const siren = siret.slice(0, 9);
  const conds = [siren.length === 9 ? Prisma.sql`c.siren = ${siren}` : Prisma.sql`c.siren LIKE ${`${siren}%`}`];
  const nic = siret.slice(9);
  if (nic) conds.push(nic.length === 5 ? Prisma.sql`c.nic = ${nic}` : Prisma.sql`c.nic LIKE ${`${nic}%`}`);
  return conds;
}

/** The filters of `GET /statements` once validated (api/routes/statements.ts). */
export interface StatementSearch {
  receivedFrom?: string;
  receivedTo?: string;
  siret?: string;
  name?: string;
  iban?: string;
  state?: 'success' | 'running' | 'failure';
  delivery?: 'none' | 'queued' | 'sent' | 'delivered' | 'bounced' | 'failed';
  balance?: 'break' | 'ok' | 'unchecked';
  sort: 'receivedAt' | 'periodEnd';
  order: 'asc' | 'desc';
  limit: number;
  offset: number;
}

const STATE = { success: 'SUCCESS', running: 'RUNNING', failure: 'FAILURE' } as const;

/** A statement's e-mails as the Réception filter reads them. */
const DELIVERY_SQL: Record<NonNullable<StatementSearch['delivery']>, Prisma.Sql> = {
  none: Prisma.sql`NOT EXISTS (SELECT 1 FROM "EmailMessage" e WHERE e."statementId" = s.id)`,
  queued: Prisma.sql`EXISTS (SELECT 1 FROM "EmailMessage" e WHERE e."statementId" = s.id AND e.status IN ('QUEUED', 'SENDING'))`,
  sent: Prisma.sql`EXISTS (SELECT 1 FROM "EmailMessage" e WHERE e."statementId" = s.id AND e.status = 'SENT' AND e."deliveredAt" IS NULL)`,
  delivered: Prisma.sql`EXISTS (SELECT 1 FROM "EmailMessage" e WHERE e."statementId" = s.id AND e."deliveredAt" IS NOT NULL)`,
  bounced: Prisma.sql`EXISTS (SELECT 1 FROM "EmailMessage" e WHERE e."statementId" = s.id AND e.status = 'BOUNCED')`,
  failed: Prisma.sql`EXISTS (SELECT 1 FROM "EmailMessage" e WHERE e."statementId" = s.id AND e.status IN ('FAILED', 'SUPPRESSED'))`,
};

/** The balance filter (domain/balance-check.ts: a break is recorded on the row when issued). */
const BALANCE_SQL: Record<NonNullable<StatementSearch['balance']>, Prisma.Sql> = {
  break: Prisma.sql`s.state = 'SUCCESS' AND s."balanceBreak"`,
  ok: Prisma.sql`s.state = 'SUCCESS' AND NOT s."balanceBreak" AND (s."previousClosingBalance" IS NOT NULL OR s."bankBalance" IS NOT NULL)`,
  unchecked: Prisma.sql`s.state = 'SUCCESS' AND s."previousClosingBalance" IS NULL AND s."bankBalance" IS NULL`,
};

/**
 * The page of statement ids a search asks for, in order, and (unless `count` is false) its total,
 * capped. `ids` are the portal accounts in the caller's scope.
 */
export async function searchStatements(
  prisma: Db,
  ids: string[],
  q: StatementSearch,
  count = true,
): Promise<{ ids: string[]; total: number; totalCapped: boolean }> {
  const conds: Prisma.Sql[] = [companyInScope(ids), ...siretSql(q.siret)];
  if (q.name) conds.push(Prisma.sql`c.name ILIKE ${likeContains(q.name)}`);
  if (q.iban) conds.push(Prisma.sql`a.iban LIKE ${likeContains(q.iban)}`);
  if (q.state) conds.push(Prisma.sql`s.state = ${STATE[q.state]}::"StatementState"`);
  if (q.delivery) conds.push(DELIVERY_SQL[q.delivery]);
  if (q.balance) conds.push(BALANCE_SQL[q.balance]);
  // receivedAt is a timestamp without time zone holding UTC (Prisma's DateTime): compared as such.
  if (q.receivedFrom) conds.push(Prisma.sql`s."receivedAt" >= ${q.receivedFrom}::timestamp`);
  if (q.receivedTo) conds.push(Prisma.sql`s."receivedAt" < ${q.receivedTo}::timestamp + interval '1 day'`);
  const from = Prisma.sql`FROM "Statement" s JOIN "BankAccount" a ON a.id = s."bankAccountId"
    JOIN "Company" c ON c.id = a."companyId" WHERE ${Prisma.join(conds, ' AND ')}`;
  // Ties broken by the id in the same direction: (periodEnd, id) walked either way, no sort of a
  // month's million statements that share their period end.
  const sort = q.sort === 'periodEnd' ? Prisma.sql`s."periodEnd"` : Prisma.sql`s."receivedAt"`;
  const direction = q.order === 'desc' ? Prisma.sql`DESC` : Prisma.sql`ASC`;
  const [page, counted] = await Promise.all([
    prisma.$queryRaw<Array<{ id: string }>>`SELECT s.id::text AS id ${from}
      ORDER BY ${sort} ${direction}, s.id ${direction} LIMIT ${q.limit} OFFSET ${q.offset}`,
    count
      ? prisma.$queryRaw<Array<{ total: bigint }>>`SELECT count(*) AS total FROM (SELECT 1 ${from}
          LIMIT ${q.offset + COUNT_CAP + 1}) counted`
      : Promise.resolve([]),
  ]);
  return { ids: page.map((r) => r.id), ...cappedTotal(Number(counted[0]?.total ?? 0), q.offset) };
}
