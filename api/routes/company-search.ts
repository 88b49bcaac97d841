/** Companies ("redevables") searched: the list and its export (CSV or Excel), with the same filters. */
import { z } from 'zod';
import { Prisma, type Db } from '../../db/client';
import { companyPage } from '../page-rows';
import { presentCompany } from '../present';
import {
  afterQuery,
  afterWithoutOffset,
  cappedList,
  cappedPage,
  companyOut,
  filterText,
  ibanFilter,
  order,
  pageQuery,
  queryBool,
  scopeQuery,
  siretFilter,
} from '../schemas';
import { scopeAccountIds } from '../scope';
import {
  companyConds,
  fewCompanies,
  fewIbanAccounts,
  fewIds,
  idsScope,
  keysetSearch,
  likeContains,
  portalAccountIn,
  type SortKey,
  unfiltered,
} from '../search-sql';
import { EXPORT_MAX_ROWS, exportFormat } from '../schemas';
import { sendTable, type ExportColumn } from '../spreadsheet';
import { describePeriodicity, type PeriodicityInput } from '../../domain/identifiers';
import type { RouteContext } from '../deps';

const COLLECTION_FR = { success: 'Succès', error: 'Erreur', none: 'Aucun compte' } as const;
const describePeriodicitySafe = (p: { kind: string; day: number | null; month: number | null }) => {
  try {
    return describePeriodicity(p as PeriodicityInput);
  } catch {
    return p.kind;
  }
};

const TAG = 'Redevables';

export const companyListQuery = scopeQuery
  .extend(pageQuery.shape)
  .extend(afterQuery.shape)
  .extend({
    siret: siretFilter.describe('SIREN (9 chiffres), SIRET (14) ou leur début'),
    name: filterText(100).describe('Partie de la raison sociale (insensible à la casse)'),
    iban: ibanFilter.describe('Partie d’un IBAN d’un compte du redevable'),
    collection: z.enum(['success', 'error'], { message: 'success ou error attendu' }).optional(),
    emailBounced: queryBool
      .optional()
      .describe('true : seulement les redevables dont l’adresse a été rejetée définitivement'),
    includeInactive: queryBool.default(false),
    sort: z.enum(['name', 'siren', 'createdAt'], { message: 'name, siren ou createdAt attendu' }).default('name'),
    order,
  })
  .superRefine(afterWithoutOffset, { when: () => true });

type ListQuery = z.infer<typeof companyListQuery>;
type Listed = ReturnType<typeof presentCompany>;

/** Each sort's key on the company `c`, its type, and its value as the list shows it (the cursor's key). */
const SORT_SQL: Record<ListQuery['sort'], SortKey<Listed>> = {
  name: { sort: Prisma.sql`c.name`, cast: 'text', of: (c) => c.name },
  siren: { sort: Prisma.sql`c.siren`, cast: 'text', of: (c) => c.siren },
  createdAt: { sort: Prisma.sql`c."createdAt"`, cast: 'timestamp', of: (c) => c.createdAt },
};

/**
 * A connection `x` active and in error: the rows of the partial index (portalAccountId, companyId)
 * WHERE active AND state IS NOT NULL (migration 20261214090000).
 */
const CONNECTION_IN_ERROR = [Prisma.sql`x.active`, Prisma.sql`x.state IS NOT NULL`];

/** A company `c` with an active connection in error (its last collection failed), or active and not. */
const activeConnection = (error: boolean) =>
  Prisma.sql`EXISTS (SELECT 1 FROM "BankConnection" x WHERE x."companyId" = c.id AND ${Prisma.join(
    error ? CONNECTION_IN_ERROR : [Prisma.sql`x.active`, Prisma.sql`x.state IS NULL`],
    ' AND ',
  )})`;

/**
 * A company `c` of the portal accounts `ids` with an active connection in error, probed in the
 * firm's range of that index, without the table.
 */
const inError = (ids: string[]) =>
  Prisma.sql`c.id IN (SELECT x."companyId" FROM "BankConnection" x
    WHERE ${portalAccountIn('x', ids)} AND ${Prisma.join(CONNECTION_IN_ERROR, ' AND ')})`;

/**
 * The companies of the portal accounts `ids` with an active connection in error, when their
 * connections in error are at most `cap` (else null), from the same index: the page of
 * `collection=error` is then read from them (keysetSearch's `narrow`). A firm with few companies in
 * error among thousands walked them all in the sort's order (or read them all to sort the few:
 * 10 000 companies, 4 673 heap pages for 16 in error). Not DISTINCT (fewIds deduplicates):
 * PostgreSQL then read the firm's 17 824 connections in error to hash them.
 */
const fewCompaniesInError = (prisma: Db, ids: string[], cap: number): Promise<string[] | null> =>
  fewIds(
    prisma,
    Prisma.sql`SELECT x."companyId"::text AS id FROM "BankConnection" x
      WHERE ${portalAccountIn('x', ids)} AND ${Prisma.join(CONNECTION_IN_ERROR, ' AND ')}`,
    cap,
    { planOnce: true },
  );

/**
 * Up to this many companies matched by a SIRET or name filter, the page is sorted from them; past
 * it, the sort's index is walked until the page is full. At 200 000 companies: none of 176 000
 * ("garage dupont") 171 ms walked, 18 from the matches; 126: 1.4 against 1.7; 840: 5.1 against 9.4
 * (bench/RESULTS.md, “searches on the company matching few”).
 */
const FEW_COMPANIES = 300;

/**
 * The SQL of a search (shared by the list and its export; api/search-sql.ts keysetSearch): its page
 * of ids walked in the sort's index within the caller's portal account ((portalAccountId, name |
 * siren | createdAt), stopped at the page), its capped count (a firm of 200 000 companies counted
 * them all on every page before: bench/RESULTS.md, "api"), the cursor of an item.
 */
async function searchCompanies(prisma: Db, ids: string[], q: ListQuery) {
  const conds: Prisma.Sql[] = companyConds(q);
  // An IBAN part matching few accounts: the page from their companies (fewIbanAccounts).
  const byIban = q.iban ? await fewIbanAccounts(prisma, ids, q.iban) : null;
  const companies = byIban
    ? [...new Set(byIban.map((a) => a.companyId))]
    : ((await fewCompanies(prisma, ids, q, FEW_COMPANIES)) ??
      (q.collection === 'error' ? await fewCompaniesInError(prisma, ids, FEW_COMPANIES) : null));
  if (!q.includeInactive) conds.push(Prisma.sql`c.active`);
  if (q.iban) {
    conds.push(
      Prisma.sql`EXISTS (SELECT 1 FROM "BankAccount" a WHERE a."companyId" = c.id AND a.iban LIKE ${likeContains(q.iban)})`,
    );
  }
  // Collection: in error when one of its active connections is; a success when it has active
  // connections and none in error (a company without any is neither).
  if (q.collection === 'success') conds.push(Prisma.sql`${activeConnection(false)} AND NOT ${activeConnection(true)}`);
  if (q.emailBounced !== undefined) {
    conds.push(
      Prisma.sql`${q.emailBounced ? Prisma.empty : Prisma.sql`NOT`} EXISTS (
        SELECT 1 FROM "EmailSuppression" e WHERE e.address = lower(trim(c.email)))`,
    );
  }
  // Ties broken by the id, ascending either way.
  const error = q.collection === 'error';
  return keysetSearch(q, {
    from: Prisma.sql`FROM "Company" c`,
    conds: error ? [...conds, inError(ids)] : conds,
    row: 'c',
    ids,
    pageOn: ['c'],
    countOn: 'c',
    key: SORT_SQL[q.sort],
    idDesc: false,
    // A few companies, of the accounts an IBAN part matches, matched by the SIRET or the name, or in
    // error (FEW_COMPANIES): the page from them.
    narrow: companies ? { on: Prisma.sql`c.id`, from: idsScope(companies) } : undefined,
    // A name matching many, the active companies in name order and no other filter: the count
    // would walk the same (portalAccountId, name, id) index, checking the same name on the same rows.
    sharedWalk: q.name !== undefined && q.sort === 'name' && !q.includeInactive && unfiltered(q, ['name']),
    // In error (and many): counted from the firm's connections in error, in company order, each
    // company once, each one's company probed (`OFFSET 0` keeps PostgreSQL from joining the two
    // lists in id order instead: a tenth of the firm's companies in error, 1 018 connections read
    // for the capped count, and 11 265 companies of every firm walked by id: 3.3 ms, 1.3 probed,
    // 7.7 walking the firm's companies before; bench/RESULTS.md, “a company's collection in error”).
    counting: error
      ? {
          from: Prisma.sql`FROM "BankConnection" x
            CROSS JOIN LATERAL (SELECT * FROM "Company" c WHERE c.id = x."companyId" OFFSET 0) c`,
          on: 'x',
          conds: [...CONNECTION_IN_ERROR, ...conds],
          order: Prisma.sql`x."companyId"`,
          distinct: Prisma.sql`x."companyId"`,
        }
      : undefined,
  });
}

export function companySearchRoutes(ctx: RouteContext) {
  const { api, deps } = ctx;
  const { prisma } = deps;

  api.op({
    method: 'get',
    path: '/companies',
    tag: TAG,
    summary: 'Rechercher des redevables (SIRET, raison sociale, IBAN, état de la collecte)',
    rights: ['MANAGE_COMPANIES', 'CONFIGURE_BANKS', 'VIEW_STATEMENTS'],
    query: companyListQuery,
    responses: { 200: { description: 'Redevables', schema: cappedList(companyOut) } },
    handler: async ({ auth, query }) => {
      // The page, its rows and the capped total in one round trip (api/page-rows.ts).
      const ids = await scopeAccountIds(prisma, auth, query.includeSecondary);
      const search = await searchCompanies(prisma, ids, query);
      const found = await companyPage(prisma, search.page, {
        total: search.count,
        planOnce: search.planOnce,
        with: search.with,
      });
      return cappedPage(found.rows.map(presentCompany), found.total, query, search.cursor);
    },
  });

  api.op({
    method: 'get',
    path: '/companies/export',
    tag: TAG,
    summary: 'Exporter la recherche de redevables (CSV ou Excel), avec les mêmes filtres que la liste',
    rights: ['MANAGE_COMPANIES', 'CONFIGURE_BANKS', 'VIEW_STATEMENTS'],
    query: companyListQuery.and(z.object({ format: exportFormat })),
    responses: { 200: { description: 'Le fichier', contentType: 'text/csv' } },
    handler: async ({ auth, query, res }) => {
      const ids = await scopeAccountIds(prisma, auth, query.includeSecondary);
      const search = await searchCompanies(prisma, ids, { ...query, limit: EXPORT_MAX_ROWS, offset: 0 });
      const { rows } = await companyPage(prisma, search.page, { with: search.with });
      const out = rows.map(presentCompany);
      await sendTable(res, {
        format: query.format,
        name: 'redevables',
        sheet: 'Redevables',
        rows: out,
        columns: [
          ...(query.includeSecondary
            ? [['Compte', (c: (typeof out)[number]) => c.portalAccountName, 24] as const]
            : []),
          ['SIREN', (c) => c.siren, 12],
          ['NIC', (c) => c.nic, 8],
          ['Raison sociale', (c) => c.name, 30],
          ['Raison sociale (suite)', (c) => c.name2, 24],
          ['Email', (c) => c.email, 30],
          ['Périodicité', (c) => describePeriodicitySafe(c.periodicity), 24],
          ['Comptes bancaires', (c) => c.accountCount, 10],
          ['Collecte', (c) => COLLECTION_FR[c.collection], 12],
          ['Actif', (c) => (c.active ? 'Oui' : 'Non'), 8],
          [
            'Adresse rejetée',
            (c) => (c.emailBounce ? `${c.emailBounce.at.slice(0, 10)} : ${c.emailBounce.reason}` : ''),
            40,
          ],
        ] as ExportColumn<(typeof out)[number]>[],
      });
    },
  });
}
