/**
 * The searches over the big tables (companies, bank accounts, statements): their shared filters,
 * and `keysetSearch`, which turns a route's FROM and filters into its page of ids (offset or
 * cursor) and its count capped at `offset + COUNT_CAP` (api/schemas.ts). Each route writes its
 * own filters and chooses its scopes; api/page-rows.ts runs the page and the count in one statement.
 */
import { Prisma, readSql, type Db } from '../db/client';
import { invalidFields } from './errors';
import { afterQuery, COUNT_CAP, pageQuery, scopeQuery } from './schemas';

/** `%`, `_` and `\\` taken literally in a LIKE pattern. */
export const likeContains = (v: string) => `%${v.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * The alias of a searched table that carries the portal account: company, bank account, statement,
 * link, bank connection.
 */
type Scoped = 'c' | 'a' | 's' | 'l' | 'x';

/**
 * The row `alias` (the company `c`, or the statement `s` or bank account `a`, which carry their
 * company's portal account) in the caller's scope; one account as an equality: the planner uses its
 * indexes.
 */
export const portalAccountIn = (alias: Scoped, ids: string[]) => {
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

/** The conditions a search's SIRET and name filters put on the company `c`. */
export function companyConds(q: { siret?: string; name?: string }): Prisma.Sql[] {
  const conds = siretSql(q.siret);
  if (q.name) conds.push(Prisma.sql`c.name ILIKE ${likeContains(q.name)}`);
  return conds;
}

/**
 * The rows that `select` reads, when it reads at most `cap`; null when it reads more (it is run
 * with LIMIT cap + 1: the first cap + 1 are enough to know). A search builds its page from a few
 * such rows (keysetSearch's `narrow`), and walks the sort's index past them. The rows are counted
 * where they are read: too many, and one row comes back, marked so (the API parsed a firm's 2 001
 * first expired links on every page of `link=expired` to learn that they were many: 0.35 ms of its
 * CPU a request). Each row comes back as `select` names its columns, with that mark (`many`).
 */
async function fewRows<R extends object>(
  prisma: Db,
  select: Prisma.Sql,
  cap: number,
  options: { planOnce?: boolean } = {},
): Promise<R[] | null> {
  const rows = await readSql<R & { many: boolean }>(
    prisma,
    Prisma.sql`SELECT (f.s).*, f.many
      FROM (SELECT s, count(*) OVER () > ${cap} AS many, row_number() OVER () AS i FROM (${select} LIMIT ${cap + 1}) s) f
      WHERE NOT f.many OR f.i = 1`,
    options,
  );
  return rows[0]?.many ? null : rows;
}

/**
 * The ids that `select` reads (its `id` column, text), deduplicated, when it reads at most `cap`
 * rows; null when it reads more (fewRows). As rows, not one array: pg parses a thousand ids in rows
 * faster than in an array's text.
 */
export async function fewIds(
  prisma: Db,
  select: Prisma.Sql,
  cap: number,
  options: { planOnce?: boolean } = {},
): Promise<string[] | null> {
  const rows = await fewRows<{ id: string }>(prisma, select, cap, options);
  return rows && [...new Set(rows.map((r) => r.id))];
}

/**
 * The companies of the portal accounts `ids` that the search's SIRET and name (companyConds) match,
 * when there are at most `cap` of them; null when there are more, or no such filter. A search
 * filtered on the company then builds its page from these companies (keysetSearch's `narrow`)
 * instead of walking the sort's index until the page is full: PostgreSQL walks that index when it
 * expects the matches to come soon, and a SIREN prefix or a pair of common words matching a few
 * companies of a big firm (or none) made it read the whole firm's rows (80 s for a statement page;
 * bench/RESULTS.md, “searches on the company matching few”). Read through the (portalAccountId,
 * siren) and trigram indexes: 0.1–8 ms. A whole SIREN or SIRET is an equality on that index, the
 * same plan for any value: planned once (db/client.ts readSql).
 */
export async function fewCompanies(
  prisma: Db,
  ids: string[],
  q: { siret?: string; name?: string },
  cap: number,
): Promise<string[] | null> {
  const conds = companyConds(q);
  if (conds.length === 0) return null;
  const exact = !q.name && (q.siret?.length === 9 || q.siret?.length === 14);
  return fewIds(
    prisma,
    Prisma.sql`SELECT c.id::text AS id FROM "Company" c WHERE ${portalAccountIn('c', ids)} AND ${Prisma.join(conds, ' AND ')}`,
    cap,
    { planOnce: exact },
  );
}

/** Up to this many bank accounts matched by an IBAN part, a search is read from them (fewIbanAccounts). */
const FEW_IBAN_ACCOUNTS = 300;

/**
 * An IBAN part shorter than this is not looked up first: it may match many accounts (a country and
 * bank code, `FR7638`: 1 % of them), whose trigrams cost 14 ms to read, for nothing.
 */
const IBAN_LOOKUP_LENGTH = 10;

/**
 * The bank accounts of the portal accounts `ids` whose IBAN holds `iban` (its trigram index read
 * once), when the part is long enough to match few (an account number, a whole IBAN) and there are
 * at most FEW_IBAN_ACCOUNTS of them; else null. A search on part of an IBAN then builds its page
 * and its count from these accounts (keysetSearch's `narrow`), where the page and the count each
 * read the trigram index (4 ms each at 1 000 000 accounts: the posting lists of digit trigrams are
 * long; bench/RESULTS.md, “an IBAN part read once”).
 */
export async function fewIbanAccounts(
  prisma: Db,
  ids: string[],
  iban: string,
): Promise<Array<{ id: string; companyId: string }> | null> {
  if (iban.length < IBAN_LOOKUP_LENGTH) return null;
  return fewRows<{ id: string; companyId: string }>(
    prisma,
    Prisma.sql`SELECT a.id::text AS id, a."companyId"::text AS "companyId" FROM "BankAccount" a
      WHERE ${portalAccountIn('a', ids)} AND a.iban LIKE ${likeContains(iban)}`,
    FEW_IBAN_ACCOUNTS,
  );
}

/** What a list's query holds besides its filters: whose rows, in which order, which page. */
const NOT_FILTERS = new Set([
  ...Object.keys(scopeQuery.shape),
  ...Object.keys(pageQuery.shape),
  ...Object.keys(afterQuery.shape),
  'sort',
  'order',
  'includeInactive',
]);

/**
 * Whether a list's query (parsed) has no filter: any field but NOT_FILTERS' (an export's format too)
 * is one, but those of `indexed` (conditions the walked index answers itself).
 */
export const unfiltered = (q: object, indexed: readonly string[] = []): boolean =>
  Object.entries(q).every(([k, v]) => v === undefined || NOT_FILTERS.has(k) || indexed.includes(k));

/** A list of ids as the FROM item `scope(id)` that keysetSearch merges a page from (its `narrow.from`). */
export const idsScope = (ids: string[]) => Prisma.sql`unnest(${ids}::uuid[]) AS scope(id)`;

/** An item of a list and its sort key, as the list shows it (null for a null key): where the next page starts. */
interface AfterItem {
  id: string;
  key: string | null;
}

/** The type of a list's sort key, as PostgreSQL casts the cursor's text back. */
export type KeyCast = 'timestamp' | 'date' | 'text';

const KEY_TEXT: Record<KeyCast, (k: string) => boolean> = {
  timestamp: (k) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/.test(k) && !Number.isNaN(Date.parse(k)),
  date: (k) => /^\d{4}-\d{2}-\d{2}$/.test(k) && !Number.isNaN(Date.parse(k)),
  text: (k) => k.length <= 500,
};
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The cursor of the page after `item` in a list sorted by `sort` `order` (`nextAfter`): opaque to
 * the caller (base64url of the sort, the order, the item's key and id). It carries the item's place,
 * not a reference to it: a failed or pending statement is deleted when it is issued again, and the
 * walk goes on after it all the same.
 */
function encodeAfter(sort: string, order: string, item: AfterItem): string {
  return Buffer.from(JSON.stringify([sort, order, item.key, item.id])).toString('base64url');
}

/** A cursor back to its item, for the list's sort and order; anything else is a field error on `after`. */
function decodeAfter(token: string, sort: string, order: string, cast: KeyCast): AfterItem {
  let v: unknown = null;
  try {
    v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    // not a cursor of ours
  }
  const [s, o, key, id] = Array.isArray(v) && v.length === 4 ? (v as unknown[]) : [];
  const valid =
    typeof s === 'string' &&
    typeof o === 'string' &&
    (key === null || (typeof key === 'string' && KEY_TEXT[cast](key))) &&
    typeof id === 'string' &&
    UUID.test(id);
  if (!valid)
    throw invalidFields([
      { field: 'after', reason: 'curseur invalide (le nextAfter d’une page de cette liste attendu)' },
    ]);
  if (s !== sort || o !== order)
    throw invalidFields([
      { field: 'after', reason: `curseur d’un autre tri (sort=${s}, order=${o}) : reprendre à la première page` },
    ]);
  return { key: key as string | null, id };
}

/**
 * The rows after the item (`key`, `id`) in the order `sort direction, id idDirection` (keyset
 * pagination), written so that PostgreSQL starts its index walk at that item: a row comparison when
 * both go the same way, else a bound on the key. `key` is the cursor's text, cast back by `cast`;
 * a nullable sort key sorts its nulls as ORDER BY does, last ascending and first descending.
 */
function afterSql(
  o: { sort: Prisma.Sql; cast: KeyCast; id: Prisma.Sql; desc: boolean; idDesc: boolean; nullable?: boolean },
  at: AfterItem,
): Prisma.Sql {
  const { sort, id } = o;
  const idAfter = Prisma.sql`${id} ${Prisma.raw(o.idDesc ? '<' : '>')} ${at.id}::uuid`;
  if (at.key === null) {
    // A null key (an account without IBAN): the other nulls after its id, then, descending, every key.
    const nulls = Prisma.sql`(${sort} IS NULL AND ${idAfter})`;
    return o.desc ? Prisma.sql`(${nulls} OR ${sort} IS NOT NULL)` : nulls;
  }
  const key = Prisma.sql`${at.key}::${Prisma.raw(o.cast)}`;
  const op = Prisma.raw(o.desc ? '<' : '>');
  const keyed =
    o.desc === o.idDesc
      ? Prisma.sql`(${sort}, ${id}) ${op} (${key}, ${at.id}::uuid)`
      : Prisma.sql`${sort} ${Prisma.raw(o.desc ? '<=' : '>=')} ${key} AND (${sort} ${op} ${key} OR ${idAfter})`;
  // Ascending, the nulls come last: after any key.
  return o.nullable && !o.desc ? Prisma.sql`((${keyed}) OR ${sort} IS NULL)` : Prisma.sql`(${keyed})`;
}

/** A list's sort key: its SQL, its type, and its value as the list shows an item (the cursor's key). */
export interface SortKey<T> {
  sort: Prisma.Sql;
  cast: KeyCast;
  of: (item: T) => string | null;
  /** Only a nullable key (the IBAN) has nulls to place: last ascending, first descending. */
  nullable?: true;
}

/**
 * A search's page of ids and its count (api/page-rows.ts runs both in the statement that reads the
 * page's rows), and `cursor`, the `nextAfter` of an item of the page.
 *
 * `from` names the listed rows `row` and their joins, `conds` the filters. The page is sorted by
 * `key`, ties broken by the id (descending with a descending sort when `idDesc`, else ascending),
 * after the place of `q.after` if given (keyset pagination), at `q.offset` else; it is scoped on
 * `pageOn`: one alias as an equality so that PostgreSQL walks that table's (portalAccountId, key)
 * index and stops at the page, or several (the same rows) to let the planner choose. Scoped on the
 * listed rows alone for several portal accounts (a primary with its secondaries), each one's first
 * offset + limit rows are walked so, then merged. With `narrow` (a few companies matched: fewCompanies),
 * the page is merged the same way from each of the `narrow.from` values (`scope(id)`: companies, or
 * their bank accounts) on `narrow.on`, each one's first offset + limit rows in order, the scopes and
 * every filter kept (but the scopes of a `scoped` narrow, whose values are the caller's already): its
 * cost follows the matches, not the firm's size (the count's too). The count,
 * scoped on `countOn`, stops at offset + COUNT_CAP: counting every match of a million-row search
 * costs seconds.
 *
 * `planOnce`: the plan is the same whatever the values, so PostgreSQL may plan the statement once
 * per session (db/client.ts `readSql`): the query has no filter but those its index answers
 * (`indexed`) and its page walks the listed rows' own (portalAccountId, key, id) index (whatever the
 * firm, the page or the cursor), or it is
 * narrowed (each of a few companies or connections walked by its own key, the filters checked on
 * its rows: one company or a thousand alike). Planning was most of PostgreSQL's time for those
 * (a one-SIREN statement page: 1.3 of 2.4 ms). A filter walked over the firm's rows, or a sort on
 * the company (its index walked, then the accounts joined), keeps a plan made for its values: the
 * generic plan of a SIREN prefix's statements walked took 54 ms against 6.4 (bench/RESULTS.md,
 * "api" 2026-12-06).
 */
export function keysetSearch<T extends { id: string }>(
  q: { sort: string; order: 'asc' | 'desc'; after?: string; limit: number; offset: number },
  o: {
    from: Prisma.Sql;
    conds: Prisma.Sql[];
    row: Scoped;
    ids: string[];
    pageOn: Scoped[];
    countOn: Scoped;
    key: SortKey<T>;
    idDesc: boolean;
    /**
     * `scoped`: the FROM item keeps only values in the caller's scope itself, and they stand for
     * every filter on the company: the rows walked from them are not scoped again (a statement's
     * index (bankAccountId, receivedAt, id) then answers the walk without the table).
     */
    narrow?: { on: Prisma.Sql; from: Prisma.Sql; scoped?: boolean };
    /** Fields of `q` the walked (portalAccountId, …, key, id) index answers itself: not filters for `planOnce`. */
    indexed?: readonly string[];
    /**
     * The count read from other rows than the page's walk, when far fewer of them lead to its
     * offset + COUNT_CAP matches (bank accounts by their connection's latest link: a firm's links in
     * that state, newest first, then their accounts; the accounts or statements of a name from its
     * companies): its FROM, the alias scoped, the conditions that replace `conds`, and the order it
     * reads them in if it matters, for one portal account (several: read in the index's order,
     * where sorting them all would cost more), and `distinct`, what a match is when several rows
     * lead to it (a company's connections in error: the company once). Not when narrowed.
     */
    counting?: { from: Prisma.Sql; on: Scoped; conds: Prisma.Sql[]; order?: Prisma.Sql; distinct?: Prisma.Sql };
    /**
     * The page and the count read from one walk of the sort's index, when a filter that no index
     * answers (a name matching many) leaves the count nothing better than that same walk: its
     * first offset + COUNT_CAP + 1 matches in order, the page taken from them and the count made
     * of them (`with`, the statement's WITH item). Two walks each read a firm's 20 000 names before
     * its first “dupont” (bench/RESULTS.md, “one walk for the page and the count”). Ignored when
     * narrowed, counted otherwise, merged from several portal accounts, or for a page longer than
     * the count's cap (an export, which reads no count).
     */
    sharedWalk?: boolean;
  },
): {
  page: Prisma.Sql;
  count: Prisma.Sql;
  cursor: (last: T) => string;
  planOnce: boolean;
  /** The WITH item the page and the count read (`sharedWalk`), to put before the statement that runs them. */
  with?: Prisma.Sql;
} {
  const { key, ids } = o;
  const desc = q.order === 'desc';
  const id = Prisma.raw(`${o.row}.id`);
  const at = q.after ? decodeAfter(q.after, q.sort, q.order, key.cast) : undefined;
  const after = at ? [afterSql({ ...key, id, desc, idDesc: o.idDesc }, at)] : [];
  const conds = [...o.conds, ...after];
  const where = (scope: Prisma.Sql[]) => Prisma.sql`${o.from} WHERE ${Prisma.join([...scope, ...conds], ' AND ')}`;
  const order = Prisma.sql`${Prisma.raw(desc ? 'DESC' : 'ASC')}`;
  const idOrder = Prisma.sql`${Prisma.raw(o.idDesc ? 'DESC' : 'ASC')}`;
  const scopes = o.pageOn.map((alias) => portalAccountIn(alias, ids));
  // Each scope value's first offset + limit rows in order, then merged.
  const merged = (values: Prisma.Sql, on: Prisma.Sql, others: Prisma.Sql[]) =>
    Prisma.sql`SELECT x.id FROM ${values} CROSS JOIN LATERAL (
          SELECT ${id}, ${key.sort} AS k ${where([Prisma.sql`${on} = scope.id`, ...others])}
          ORDER BY ${key.sort} ${order}, ${id} ${idOrder} LIMIT ${q.offset + q.limit}) x
        ORDER BY x.k ${order}, x.id ${idOrder} LIMIT ${q.limit} OFFSET ${q.offset}`;
  const cursor = (last: T) => encodeAfter(q.sort, q.order, { id: last.id, key: key.of(last) });
  const sorted = Prisma.sql`ORDER BY ${key.sort} ${order}, ${id} ${idOrder}`;
  const mergedScopes = ids.length > 1 && o.pageOn.length === 1 && o.pageOn[0] === o.row;
  if (o.sharedWalk && q.limit <= COUNT_CAP && !o.narrow && !o.counting && !mergedScopes) {
    return {
      with: Prisma.sql`walk AS MATERIALIZED (SELECT ${id} AS id, row_number() OVER (${sorted}) AS n ${where(scopes)}
        ${sorted} LIMIT ${q.offset + COUNT_CAP + 1})`,
      page: Prisma.sql`SELECT w.id FROM walk w WHERE w.n > ${q.offset} ORDER BY w.n LIMIT ${q.limit}`,
      count: Prisma.sql`SELECT count(*) FROM walk`,
      cursor,
      planOnce: false,
    };
  }
  const page = o.narrow
    ? merged(o.narrow.from, o.narrow.on, o.narrow.scoped ? [] : scopes)
    : mergedScopes
      ? merged(idsScope(ids), Prisma.raw(`${o.row}."portalAccountId"`), [])
      : Prisma.sql`SELECT ${id} ${where(scopes)} ${sorted} LIMIT ${q.limit} OFFSET ${q.offset}`;
  // The matches counted from the narrow set too: from the company's indexes, PostgreSQL may expect
  // the count's rows soon and read the whole Company table for a name that matches none of the
  // firm's (70 ms; bench/RESULTS.md, “searches on the company matching few”).
  const countScope = portalAccountIn(o.countOn, ids);
  const c = o.counting;
  const counted = o.narrow
    ? Prisma.sql`SELECT 1 FROM ${o.narrow.from} CROSS JOIN LATERAL (
          SELECT 1 ${where([Prisma.sql`${o.narrow.on} = scope.id`, ...(o.narrow.scoped ? [] : [countScope])])}) y`
    : c
      ? Prisma.sql`SELECT ${c.distinct ? Prisma.sql`DISTINCT ${c.distinct}` : Prisma.sql`1`} ${c.from} WHERE ${Prisma.join(
          [portalAccountIn(c.on, ids), ...c.conds, ...after],
          ' AND ',
        )} ${c.order && ids.length === 1 ? Prisma.sql`ORDER BY ${c.order}` : Prisma.empty}`
      : Prisma.sql`SELECT 1 ${where([countScope])}`;
  return {
    page,
    count: Prisma.sql`SELECT count(*) FROM (${counted} LIMIT ${q.offset + COUNT_CAP + 1}) counted`,
    cursor,
    planOnce:
      o.narrow !== undefined ||
      (unfiltered(q, o.indexed) && o.pageOn.length === 1 && o.pageOn[0] === o.row && o.countOn === o.row),
  };
}
