/**
 * The SQL filters shared by the searches over the big tables (bank accounts, statements: each route
 * writes its own search, one statement per need, page of ids and a total capped at
 * `offset + COUNT_CAP`, api/schemas.ts).
 */
import { Prisma, readSql, type Db } from '../db/client';
import { invalidFields } from './errors';

/** `%`, `_` and `\\` taken literally in a LIKE pattern. */
export const likeContains = (v: string) => `%${v.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * The row `alias` (the company `c`, or the statement `s` or bank account `a`, which carry their
 * company's portal account) in the caller's scope; one account as an equality: the planner uses its
 * indexes.
 */
export const portalAccountIn = (alias: 'c' | 's' | 'a', ids: string[]) => {
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

/** An item of a list (`after`) and its sort key as `afterKey` reads it: where the next page starts. */
export interface AfterItem {
  id: string;
  key: string | null;
}

/**
 * The place of an item in a list's order (`after`): its sort key as PostgreSQL writes it (text,
 * every digit of a timestamp kept), null for a null key, read by `keyOf` (one row: the key `k`) in
 * the caller's scope. An item outside the scope, or none, is a field error.
 */
export async function afterKey(prisma: Db, keyOf: Prisma.Sql): Promise<string | null> {
  const found = await readSql<{ k: string | null }>(prisma, keyOf);
  if (!found.length) throw invalidFields([{ field: 'after', reason: 'élément introuvable dans cette liste' }]);
  return found[0]!.k;
}

/**
 * The rows after the item (`key`, `id`) in the order `sort direction, id idDirection` (keyset
 * pagination), written so that PostgreSQL starts its index walk at that item: a row comparison when
 * both go the same way, else a bound on the key. `key` is `afterKey`'s text, cast back by `cast`;
 * a nullable sort key sorts its nulls as ORDER BY does, last ascending and first descending.
 */
export function afterSql(
  o: { sort: Prisma.Sql; cast: Prisma.Sql; id: Prisma.Sql; desc: boolean; idDesc: boolean; nullable?: boolean },
  at: AfterItem,
): Prisma.Sql {
  const { sort, id } = o;
  const idAfter = Prisma.sql`${id} ${Prisma.raw(o.idDesc ? '<' : '>')} ${at.id}::uuid`;
  if (at.key === null) {
    // A null key (an account without IBAN): the other nulls after its id, then, descending, every key.
    const nulls = Prisma.sql`(${sort} IS NULL AND ${idAfter})`;
    return o.desc ? Prisma.sql`(${nulls} OR ${sort} IS NOT NULL)` : nulls;
  }
  const key = Prisma.sql`${at.key}::${o.cast}`;
  const op = Prisma.raw(o.desc ? '<' : '>');
  const keyed =
    o.desc === o.idDesc
      ? Prisma.sql`(${sort}, ${id}) ${op} (${key}, ${at.id}::uuid)`
      : Prisma.sql`${sort} ${Prisma.raw(o.desc ? '<=' : '>=')} ${key} AND (${sort} ${op} ${key} OR ${idAfter})`;
  // Ascending, the nulls come last: after any key.
  return o.nullable && !o.desc ? Prisma.sql`((${keyed}) OR ${sort} IS NULL)` : Prisma.sql`(${keyed})`;
}
