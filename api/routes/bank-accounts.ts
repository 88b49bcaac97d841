/** Bank accounts: search (SIRET, name, IBAN, connection state, link state), detail, (re)activation. */
import { z } from 'zod';
import type { Prisma } from '../../prisma/client';
import { deactivateSignal, reactivateSignal } from '../../workflows/messages';
import { audit } from '../audit';
import type { AuthContext } from '../auth-context';
import { conflict, notFound } from '../errors';
import {
  bankAccountInclude,
  iso,
  linkState,
  presentBankAccount,
  presentLink,
  presentStatement,
  statementSelect,
  type LinkState,
} from '../present';
import {
  bankAccountOut,
  filterText,
  ibanFilter,
  idParam,
  linkOut,
  linkStateEnum,
  list,
  order,
  pageQuery,
  queryBool,
  scopeQuery,
  siretFilter,
  statementOut,
} from '../schemas';
import { bankAccountScope, scopeAccountIds } from '../scope';
import { notifyWorkflows, signalConnection } from '../temporal';
import type { RouteContext } from '../v1';
import { companyFilter } from './companies';

const TAG = 'Comptes bancaires';

const listQuery = scopeQuery.extend(pageQuery.shape).extend({
  siret: siretFilter.describe('SIREN (9 chiffres), SIRET (14) ou leur début'),
  name: filterText(100).describe('Partie de la raison sociale du redevable'),
  iban: ibanFilter.describe('Partie de l’IBAN (espaces ignorés)'),
  connection: z.enum(['ok', 'error'], { message: 'ok ou error attendu' }).optional(),
  link: linkStateEnum.optional().describe('État du dernier lien de la connexion'),
  includeInactive: queryBool.default(false),
  sort: z
    .enum(['createdAt', 'name', 'siren', 'iban', 'label'], { message: 'createdAt, name, siren, iban ou label attendu' })
    .default('createdAt'),
  order,
});

const eventOut = z.object({
  id: z.uuid(),
  kind: z.string(),
  field: z.string().nullable(),
  oldValue: z.string().nullable(),
  newValue: z.string().nullable(),
  detail: z.unknown(),
  occurredAt: z.iso.datetime(),
});

/** Connections of the scope whose latest link is in the given state. */
async function connectionsByLinkState(
  prisma: RouteContext['deps']['prisma'],
  ids: string[],
  state: LinkState,
): Promise<string[]> {
  const rows = await prisma.$queryRaw<
    Array<{ id: string; usedAt: Date | null; revokedAt: Date | null; expiresAt: Date }>
  >`
    SELECT DISTINCT ON (l."connectionId") l."connectionId"::text AS id, l."usedAt", l."revokedAt", l."expiresAt"
    FROM "Link" l JOIN "Company" c ON c.id = l."companyId"
    WHERE c."portalAccountId" = ANY(${ids}::uuid[]) AND l."connectionId" IS NOT NULL
    ORDER BY l."connectionId", l."createdAt" DESC`;
  const now = new Date();
  return rows.filter((r) => linkState(r, now) === state).map((r) => r.id);
}

export function bankAccountRoutes(ctx: RouteContext) {
  const { api, deps } = ctx;
  const { prisma, temporal, logger } = deps;

  async function findAccount(auth: AuthContext, id: string, includeSecondary: boolean) {
    const ids = await scopeAccountIds(prisma, auth, includeSecondary);
    const a = await prisma.bankAccount.findFirst({
      where: { id, ...bankAccountScope(ids) },
      include: { ...bankAccountInclude, company: true },
    });
    if (!a) throw notFound('Compte bancaire');
    return a;
  }

  api.op({
    method: 'get',
    path: '/bank-accounts',
    tag: TAG,
    summary: 'Rechercher des comptes bancaires',
    rights: ['CONFIGURE_BANKS', 'MANAGE_COMPANIES', 'VIEW_STATEMENTS'],
    query: listQuery,
    responses: { 200: { description: 'Comptes bancaires', schema: list(bankAccountOut) } },
    handler: async ({ auth, query }) => {
      const ids = await scopeAccountIds(prisma, auth, query.includeSecondary);
      const { iban, ...companyFilters } = query;
      const company = companyFilter({ siret: companyFilters.siret, name: companyFilters.name });
      const where: Prisma.BankAccountWhereInput = {
        ...bankAccountScope(ids),
        ...(Object.keys(company).length ? { company: { portalAccountId: { in: ids }, ...company } } : {}),
        ...(query.includeInactive ? {} : { active: true }),
        ...(iban ? { iban: { contains: iban } } : {}),
        ...(query.connection ? { connection: { state: query.connection === 'ok' ? null : { not: null } } } : {}),
        ...(query.link ? { connectionId: { in: await connectionsByLinkState(prisma, ids, query.link) } } : {}),
      };
      const orderBy: Prisma.BankAccountOrderByWithRelationInput[] =
        query.sort === 'name'
          ? [{ company: { name: query.order } }]
          : query.sort === 'siren'
            ? [{ company: { siren: query.order } }]
            : [{ [query.sort]: query.order }];
      const [rows, total] = await Promise.all([
        prisma.bankAccount.findMany({
          where,
          include: bankAccountInclude,
          orderBy: [...orderBy, { id: 'asc' }],
          take: query.limit,
          skip: query.offset,
        }),
        prisma.bankAccount.count({ where }),
      ]);
      return { items: rows.map(presentBankAccount), total, limit: query.limit, offset: query.offset };
    },
  });

  api.op({
    method: 'get',
    path: '/bank-accounts/{id}',
    tag: TAG,
    summary: 'Détail d’un compte bancaire : historique, 10 derniers relevés, liens de sa connexion',
    rights: ['CONFIGURE_BANKS', 'MANAGE_COMPANIES', 'VIEW_STATEMENTS'],
    params: idParam,
    query: scopeQuery,
    responses: {
      200: {
        description: 'Compte bancaire',
        schema: bankAccountOut.extend({
          balance: z.string().nullable(),
          balanceAt: z.iso.datetime().nullable(),
          events: z.array(eventOut),
          statements: z.array(statementOut),
          links: z.array(linkOut),
        }),
      },
    },
    handler: async ({ auth, params, query }) => {
      const a = await findAccount(auth, params.id, query.includeSecondary);
      const [events, statements, links] = await Promise.all([
        prisma.bankAccountEvent.findMany({
          where: { bankAccountId: a.id },
          orderBy: { occurredAt: 'desc' },
          take: 100,
        }),
        prisma.statement.findMany({
          where: { bankAccountId: a.id },
          orderBy: { receivedAt: 'desc' },
          take: 10,
          select: statementSelect,
        }),
        prisma.link.findMany({ where: { connectionId: a.connectionId }, orderBy: { createdAt: 'desc' }, take: 10 }),
      ]);
      return {
        ...presentBankAccount(a),
        balance: a.balance?.toFixed(2) ?? null,
        balanceAt: iso(a.balanceAt),
        events: events.map((e) => ({ ...e, bankAccountId: undefined, occurredAt: e.occurredAt.toISOString() })),
        statements: statements.map(presentStatement),
        links: links.map(presentLink),
      };
    },
  });

  for (const activate of [false, true]) {
    api.op({
      method: 'post',
      path: `/bank-accounts/{id}/${activate ? 'reactivate' : 'deactivate'}`,
      tag: TAG,
      summary: activate
        ? 'Réactiver la réception des relevés (reprise à la dernière date livrée)'
        : 'Désactiver la réception des relevés sur ce compte (rien n’est supprimé)',
      rights: ['CONFIGURE_BANKS'],
      params: idParam,
      query: scopeQuery,
      responses: {
        200: { description: 'Compte bancaire', schema: bankAccountOut },
        409: { description: 'Redevable désactivé' },
      },
      handler: async ({ auth, params, query, req }) => {
        const a = await findAccount(auth, params.id, query.includeSecondary);
        if (activate && !a.company.active)
          throw conflict('Le redevable est désactivé : réactivez d’abord le redevable.');
        const updated = await prisma.$transaction(async (tx) => {
          if (a.active !== activate) {
            await tx.bankAccount.update({
              where: { id: a.id },
              data: { active: activate, deactivatedAt: activate ? null : new Date() },
            });
            await tx.bankAccountEvent.create({
              data: {
                bankAccountId: a.id,
                kind: activate ? 'REACTIVATED' : 'DEACTIVATED',
                detail: { by: auth.actor.type, resumeAfter: a.collectedUntil?.toISOString().slice(0, 10) ?? null },
              },
            });
          }
          await audit(
            tx,
            { auth, req },
            {
              action: activate ? 'bank-account.reactivate' : 'bank-account.deactivate',
              entityType: 'BankAccount',
              entityId: a.id,
              portalAccountId: a.company.portalAccountId,
            },
          );
          return tx.bankAccount.findUniqueOrThrow({ where: { id: a.id }, include: bankAccountInclude });
        });
        notifyWorkflows([
          signalConnection(temporal, logger, a.connectionId, activate ? reactivateSignal : deactivateSignal, {
            bankAccountId: a.id,
          }),
        ]);
        return presentBankAccount(updated);
      },
    });
  }
}
