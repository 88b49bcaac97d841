/**
 * The SQL filters shared by the searches over the big tables (bank accounts, statements: each route
 * writes its own search, one statement per need, page of ids and a total capped at
 * `offset + COUNT_CAP`, api/schemas.ts).
 */
import { Prisma } from '../db/client';

/** `%`, `_` and `\\` taken literally in a LIKE pattern. */
export const likeContains = (v: string) => `%${v.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * The row `alias` (the company `c`, or the statement `s`, which carries its company's portal
 * account) in the caller's scope; one account as an equality: the planner uses its indexes.
 */
export const portalAccountIn = (alias: 'c' | 's', ids: string[]) => {
  const column = Prisma.raw(`${alias}."portalAccountId"`);
  return ids.length === 1 ? Prisma.sql`${column} = ${ids[0]}::uuid` : Prisma.sql`${column} = ANY(${ids}::uuid[])`;
};

/** SIREN (9 digits), SIRET (14) or their beginning, on the company `c`. */
export function siretSql(siret: string | undefined): Prisma.Sql[] {
  if (!siret) return [];
  const siren = siret.slice(0, 9);
  const conds = [siren.length === 9 ? Prisma.sql`c.siren = ${siren}` : Prisma.sql`c.siren LIKE ${`${siren}%`}`];
  const nic = siret.slice(9);
  if (nic) conds.push(nic.length === 5 ? Prisma.sql`c.nic = ${nic}` : Prisma.sql`c.nic LIKE ${`${nic}%`}`);
  return conds;
}
