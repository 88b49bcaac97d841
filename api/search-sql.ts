/**
 * The SQL filters shared by the searches over the big tables (bank accounts, statements: each route
 * writes its own search, one statement per need, page of ids and a total capped at
 * `offset + COUNT_CAP`, api/schemas.ts).
 */
import { Prisma } from '../db/client';

/** `%`, `_` and `\\` taken literally in a LIKE pattern. */
export const likeContains = (v: string) => `%${v.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** The company `c` in the caller's scope (one account as an equality: the planner uses its indexes). */
export const companyInScope = (ids: string[]) =>
  ids.length === 1
    ? Prisma.sql`c."portalAccountId" = ${ids[0]}::uuid`
    : Prisma.sql`c."portalAccountId" = ANY(${ids}::uuid[])`;

/** The statement `s` in the caller's scope, by the portal account it carries (Statement.portalAccountId). */
export const statementInScope = (ids: string[]) =>
  ids.length === 1
    ? Prisma.sql`s."portalAccountId" = ${ids[0]}::uuid`
    : Prisma.sql`s."portalAccountId" = ANY(${ids}::uuid[])`;

/** SIREN (9 digits), SIRET (14) or their beginning, on the company `c`. */
export function siretSql(siret: string | undefined): Prisma.Sql[] {
  if (!siret) return [];
  const siren = siret.slice(0, 9);
  const conds = [siren.length === 9 ? Prisma.sql`c.siren = ${siren}` : Prisma.sql`c.siren LIKE ${`${siren}%`}`];
  const nic = siret.slice(9);
  if (nic) conds.push(nic.length === 5 ? Prisma.sql`c.nic = ${nic}` : Prisma.sql`c.nic LIKE ${`${nic}%`}`);
  return conds;
}
