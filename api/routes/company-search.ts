/** Companies ("redevables") searched: the list and its export (CSV or Excel), with the same filters. */
import { z } from 'zod';
import type { Prisma } from '../../db/client';
import type { AuthContext } from '../auth-context';
import { companyInclude, presentCompany, withAccountCounts, withEmailBounces } from '../present';
import {
  companyOut,
  filterText,
  ibanFilter,
  list,
  order,
  pageQuery,
  queryBool,
  scopeQuery,
  siretFilter,
} from '../schemas';
import { companyScope, scopeAccountIds } from '../scope';
import { companyFilter } from '../lookups';
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

export const companyListQuery = scopeQuery.extend(pageQuery.shape).extend({
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
});

/** The companies a search asks for (scope, filters), shared by the list and its export. */
async function companyListWhere(
  prisma: RouteContext['deps']['prisma'],
  auth: AuthContext,
  query: z.infer<typeof companyListQuery>,
): Promise<Prisma.CompanyWhereInput> {
  const ids = await scopeAccountIds(prisma, auth, query.includeSecondary);
  const bounced =
    query.emailBounced === undefined
      ? undefined
      : (
          await prisma.$queryRaw<Array<{ id: string }>>`
        SELECT c.id::text AS id FROM "Company" c JOIN "EmailSuppression" s ON s.address = lower(trim(c.email))
        WHERE c."portalAccountId" = ANY(${ids}::uuid[])`
        ).map((r) => r.id);
  const where: Prisma.CompanyWhereInput = {
    ...companyScope(ids),
    ...(bounced === undefined ? {} : query.emailBounced ? { id: { in: bounced } } : { id: { notIn: bounced } }),
    ...(query.includeInactive ? {} : { active: true }),
    ...companyFilter(query),
    ...(query.collection === 'error'
      ? { connections: { some: { active: true, state: { not: null } } } }
      : query.collection === 'success'
        ? {
            AND: [
              { connections: { some: { active: true, state: null } } },
              { connections: { none: { active: true, state: { not: null } } } },
            ],
          }
        : {}),
  };
  return where;
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
    responses: { 200: { description: 'Redevables', schema: list(companyOut) } },
    handler: async ({ auth, query }) => {
      const where = await companyListWhere(prisma, auth, query);
      const [rows, total] = await Promise.all([
        prisma.company.findMany({
          where,
          include: companyInclude,
          orderBy: [{ [query.sort]: query.order }, { id: 'asc' }],
          take: query.limit,
          skip: query.offset,
        }),
        prisma.company.count({ where }),
      ]);
      return {
        items: (await withEmailBounces(prisma, await withAccountCounts(prisma, rows))).map(presentCompany),
        total,
        limit: query.limit,
        offset: query.offset,
      };
    },
  });

  api.op({
    method: 'get',
    path: '/companies/export',
    tag: TAG,
    summary: 'Exporter la recherche de redevables (CSV ou Excel), avec les mêmes filtres que la liste',
    rights: ['MANAGE_COMPANIES', 'CONFIGURE_BANKS', 'VIEW_STATEMENTS'],
    query: companyListQuery.extend({ format: exportFormat }),
    responses: { 200: { description: 'Le fichier', contentType: 'text/csv' } },
    handler: async ({ auth, query, res }) => {
      const where = await companyListWhere(prisma, auth, query);
      const rows = await withEmailBounces(
        prisma,
        await withAccountCounts(
          prisma,
          await prisma.company.findMany({
            where,
            include: companyInclude,
            orderBy: [{ [query.sort]: query.order }, { id: 'asc' }],
            take: EXPORT_MAX_ROWS,
          }),
        ),
      );
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
