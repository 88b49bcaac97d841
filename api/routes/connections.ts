/**
 * A bank connection: its state, its accounts and what a collect would do now; collect now (with or
 * without an intermediate statement).
 */
import { z } from 'zod';
import { classifyPowensState } from '../../domain/powens-states';
import type { PeriodicityInput } from '../../domain/periodicity';
import { audit } from '../audit';
import {
  collectAvailability,
  COLLECT_COOLDOWN_MS,
  connectionStateFr,
  cooldownDetail,
  dailyLimitDetail,
  intermediateStatementPreview,
  MAX_FORCED_SYNCS_PER_DAY,
  waitingForUserDetail,
} from '../collect-now';
import { conflict, HttpError } from '../errors';
import { iso } from '../present';
import { collectAvailabilityOut, idParam, isoDate, scopeQuery } from '../schemas';
import { collectNow } from '../temporal';
import type { RouteContext } from '../deps';
import { findConnection } from '../lookups';

const TAG = 'Liens et connexions';

const connectionOut = z
  .object({
    id: z.uuid(),
    companyId: z.uuid(),
    company: z.object({
      id: z.uuid(),
      name: z.string(),
      siren: z.string(),
      portalAccountId: z.uuid(),
      periodicity: z.object({ kind: z.string(), day: z.number().int().nullable(), month: z.number().int().nullable() }),
    }),
    bankName: z.string().nullable(),
    active: z.boolean(),
    state: z.string().nullable().describe('État Powens (null = opérationnelle ; wrongpass, SCARequired…)'),
    stateMessage: z.string().describe('Cet état, en français'),
    lastSyncAt: z.iso.datetime().nullable(),
    lastSuccessAt: z.iso.datetime().nullable(),
    accounts: z.array(z.object({ id: z.uuid(), label: z.string(), iban: z.string().nullable() })),
    collect: collectAvailabilityOut,
    intermediateStatement: z
      .object({
        until: isoDate.describe('Dernier jour couvert : hier (heure de Paris)'),
        nextStart: isoDate.describe('Premier jour du prochain relevé périodique'),
        nextEnd: isoDate.describe('Dernier jour du prochain relevé périodique'),
        periodicity: z.string().describe('MENSUEL, TRIMESTRIEL…'),
        text: z.string().describe('L’effet, en français'),
      })
      .describe('Ce que ferait maintenant un relevé intermédiaire (`POST …/collect` avec `statement: true`)'),
  })
  .meta({ id: 'BankConnection' });

export function connectionRoutes(ctx: RouteContext) {
  const { api, deps } = ctx;
  const { prisma, temporal, logger } = deps;
  const periodicityOf = (c: {
    periodicityKind: string;
    periodicityDay: number | null;
    periodicityMonth: number | null;
  }) => ({ kind: c.periodicityKind, day: c.periodicityDay, month: c.periodicityMonth }) satisfies PeriodicityInput;

  api.op({
    method: 'get',
    path: '/connections/{id}',
    tag: TAG,
    summary:
      'Une connexion bancaire : état, comptes actifs, collecte possible maintenant, effet d’un relevé intermédiaire',
    rights: ['CONFIGURE_BANKS', 'MANAGE_COMPANIES', 'VIEW_STATEMENTS'],
    params: idParam,
    query: scopeQuery,
    responses: { 200: { description: 'Connexion bancaire', schema: connectionOut } },
    handler: async ({ auth, params, query }) => {
      const c = await findConnection(ctx, auth, params.id, query.includeSecondary);
      const now = new Date();
      return {
        id: c.id,
        companyId: c.companyId,
        company: {
          id: c.company.id,
          name: c.company.name,
          siren: c.company.siren,
          portalAccountId: c.company.portalAccountId,
          periodicity: {
            kind: c.company.periodicityKind,
            day: c.company.periodicityDay,
            month: c.company.periodicityMonth,
          },
        },
        bankName: c.bank?.name ?? c.connectorName,
        active: c.active && c.company.active,
        state: c.state,
        stateMessage: connectionStateFr(c.state),
        lastSyncAt: iso(c.lastSyncAt),
        lastSuccessAt: iso(c.lastSuccessAt),
        accounts: c.accounts,
        collect: collectAvailability({ ...c, active: c.active && c.company.active }, now),
        intermediateStatement: intermediateStatementPreview(periodicityOf(c.company), now),
      };
    },
  });

  api.op({
    method: 'post',
    path: '/connections/{id}/collect',
    tag: TAG,
    summary:
      'Collecter maintenant (synchronisation Powens sans le titulaire) ; avec `statement: true`, émettre aussi un relevé intermédiaire jusqu’à hier',
    description:
      'Collecte seule par défaut : aucun relevé n’est émis et les relevés périodiques ne changent pas. ' +
      'Avec `statement: true`, un relevé intermédiaire est émis jusqu’à hier et le prochain relevé périodique commence le lendemain ' +
      '(`GET /connections/{id}` décrit l’effet : `intermediateStatement`). ' +
      'Refusée (409) quand la connexion attend une action du redevable (wrongpass, SCARequired…) : une synchronisation forcée pourrait bloquer son accès à la banque, envoyez-lui un lien de mise à jour. ' +
      `Une demande au plus par connexion toutes les ${COLLECT_COOLDOWN_MS / 60_000} minutes (429 avec Retry-After). ` +
      'Si le workflow n’existe pas (encore) ou si Temporal est indisponible, `outcome` l’indique.',
    rights: ['CONFIGURE_BANKS'],
    status: 202,
    params: idParam,
    query: scopeQuery,
    body: z.object({
      statement: z
        .boolean({ message: 'booléen attendu' })
        .default(false)
        .describe('Émettre aussi un relevé intermédiaire jusqu’à hier'),
    }),
    responses: {
      202: {
        description: 'Demande prise en compte',
        schema: z.object({
          outcome: z.enum(['delivered', 'no-workflow', 'unavailable']),
          statementIds: z.array(z.uuid()),
          collected: z.number().int().nullable().describe('Transactions collectées (null sans réponse du workflow)'),
          state: z
            .string()
            .nullable()
            .describe('État Powens de la connexion après la tentative (null = opérationnelle)'),
          stateMessage: z.string().describe('Cet état, en français'),
          statementUntil: isoDate.nullable().describe('Dernier jour couvert par le relevé intermédiaire demandé'),
          availableAt: z.iso.datetime().describe('Prochaine demande possible (fin du délai)'),
        }),
      },
      409: { description: 'Connexion désactivée, ou en attente d’une action du redevable' },
      429: {
        description:
          'Une collecte a déjà été demandée il y a moins d’un quart d’heure, ou trois en 24 heures (DSP2) ; en-tête Retry-After',
      },
    },
    handler: async ({ auth, params, query, body, req, res }) => {
      const connection = await findConnection(ctx, auth, params.id, query.includeSecondary);
      if (!connection.active || !connection.company.active) throw conflict('La connexion est désactivée.');
      if (classifyPowensState(connection.state) === 'user-action')
        throw conflict(waitingForUserDetail(connection.state!));
      // The cooldown, claimed atomically: of two simultaneous clicks, one wins (PostgreSQL re-checks
      // the condition on the row the other one just updated).
      const now = new Date();
      const dayAgo = new Date(now.getTime() - 86_400_000);
      const claimed = await prisma.$transaction(async (tx) => {
        // The day's forced syncs (PSD2: four unattended accesses a day, Powens' own included).
        const today = await tx.auditEvent.findMany({
          where: {
            portalAccountId: connection.company.portalAccountId,
            action: 'connection.collect',
            entityId: connection.id,
            at: { gt: dayAgo },
          },
          orderBy: { at: 'asc' },
          select: { at: true },
        });
        if (today.length >= MAX_FORCED_SYNCS_PER_DAY)
          return { limit: new Date(today[0]!.at.getTime() + 86_400_000), cooldown: false };
        const won = await tx.bankConnection.updateMany({
          where: {
            id: connection.id,
            OR: [
              { collectRequestedAt: null },
              { collectRequestedAt: { lte: new Date(now.getTime() - COLLECT_COOLDOWN_MS) } },
            ],
          },
          data: { collectRequestedAt: now },
        });
        if (won.count === 0) return { limit: null, cooldown: true };
        await audit(
          tx,
          { auth, req },
          {
            action: 'connection.collect',
            entityType: 'BankConnection',
            entityId: connection.id,
            detail: { statement: body.statement },
            portalAccountId: connection.company.portalAccountId,
          },
        );
        return { limit: null, cooldown: false };
      });
      if (claimed.limit) {
        const limit = claimed.limit;
        res.set('Retry-After', String(Math.max(1, Math.ceil((limit.getTime() - Date.now()) / 1000))));
        throw new HttpError(429, 'Too Many Requests', dailyLimitDetail(limit));
      }
      if (claimed.cooldown) {
        const { collectRequestedAt } = await prisma.bankConnection.findUniqueOrThrow({
          where: { id: connection.id },
          select: { collectRequestedAt: true },
        });
        const requestedAt = collectRequestedAt ?? now;
        const availableAt = new Date(requestedAt.getTime() + COLLECT_COOLDOWN_MS);
        res.set('Retry-After', String(Math.max(1, Math.ceil((availableAt.getTime() - Date.now()) / 1000))));
        throw new HttpError(429, 'Too Many Requests', cooldownDetail(requestedAt, availableAt));
      }
      const r = await collectNow(temporal, logger, connection.id, body.statement);
      let availableAt = new Date(now.getTime() + COLLECT_COOLDOWN_MS);
      if (r.outcome === 'no-workflow') {
        // Nothing was synced: the claim is given back (unless another request took it since).
        await prisma.bankConnection.updateMany({
          where: { id: connection.id, collectRequestedAt: now },
          data: { collectRequestedAt: connection.collectRequestedAt },
        });
        availableAt = now;
      }
      const state =
        r.state !== undefined
          ? r.state
          : (await prisma.bankConnection.findUniqueOrThrow({ where: { id: connection.id }, select: { state: true } }))
              .state;
      return {
        outcome: r.outcome,
        statementIds: r.statementIds,
        collected: r.collected,
        state,
        stateMessage: connectionStateFr(state),
        statementUntil: body.statement
          ? intermediateStatementPreview(periodicityOf(connection.company), now).until
          : null,
        availableAt: availableAt.toISOString(),
      };
    },
  });
}
