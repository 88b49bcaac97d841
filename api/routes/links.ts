/** Links to companies ("jetons"), and actions on a bank connection (new link, collect now). */
import { z } from 'zod';
import { classifyPowensState, needsNewCredentials } from '../../domain/powens-states';
import type { PeriodicityInput } from '../../domain/periodicity';
import { audit } from '../audit';
import type { AuthContext } from '../auth-context';
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
import { badRequest, conflict, forbidden, HttpError, notFound } from '../errors';
import { issueLink } from '../links';
import { emailBounces, iso, presentLink } from '../present';
import { issueWebviewState } from '../public/state';
import { collectAvailabilityOut, idParam, isoDate, linkOut, scopeQuery } from '../schemas';
import { connectionScope, scopeAccountIds } from '../scope';
import { collectNow } from '../temporal';
import type { RouteContext } from '../v1';
import { findCompany } from './companies';
import { bankForConnector } from './banks';

const TAG = 'Liens et connexions';

const recipientIn = z.object({
  recipient: z
    .email({ message: 'adresse e-mail invalide' })
    .max(250)
    .optional()
    .describe('Par défaut l’e-mail du redevable.'),
});

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

export function linkRoutes(ctx: RouteContext) {
  const { api, deps, limiters } = ctx;
  const { prisma, config, temporal, logger } = deps;

  /** A link is never sent to an address that bounced for good: the firm changes or reactivates it first. */
  const refuseSuppressed = async (recipient: string) => {
    const [b] = (await emailBounces(prisma, [recipient])).values();
    if (b)
      throw conflict(
        `L’adresse ${recipient} a été rejetée définitivement le ${new Date(b.at).toLocaleDateString('fr-FR', { timeZone: 'Europe/Paris' })} (${b.reason}) : modifiez l’adresse du redevable ou réactivez-la avant d’envoyer un lien.`,
        [{ field: 'recipient', reason: 'adresse rejetée définitivement' }],
      );
  };

  const firmOf = async (portalAccountId: string) => {
    const a = await prisma.portalAccount.findUniqueOrThrow({ where: { id: portalAccountId } });
    return { name: a.name, email: a.contactEmail, phone: a.contactPhone };
  };

  async function findConnection(auth: AuthContext, id: string, includeSecondary: boolean) {
    const ids = await scopeAccountIds(prisma, auth, includeSecondary);
    const c = await prisma.bankConnection.findFirst({
      where: { id, ...connectionScope(ids) },
      include: {
        company: true,
        bank: true,
        accounts: { where: { active: true }, select: { id: true, label: true, iban: true }, orderBy: { label: 'asc' } },
      },
    });
    if (!c) throw notFound('Connexion bancaire');
    return c;
  }

  api.op({
    method: 'post',
    path: '/companies/{id}/links',
    tag: TAG,
    summary: 'Envoyer au redevable un lien (72 h) pour ajouter des comptes bancaires',
    description: 'Le lien précédent du même type encore valide est révoqué. Limité en fréquence par compte portail.',
    rights: ['CONFIGURE_BANKS'],
    middleware: [limiters.links],
    status: 201,
    params: idParam,
    query: scopeQuery,
    body: recipientIn.extend({
      kind: z.literal('add-accounts', { message: 'add-accounts attendu' }).default('add-accounts'),
      bankId: z
        .uuid({ message: 'identifiant de banque attendu' })
        .optional()
        .describe(
          'Banque du référentiel : l’e-mail devient la demande de connexion à cette banque (consentement, délai de 48 à 72 h).',
        ),
      connectorUuid: z
        .string()
        .trim()
        .min(1)
        .max(64)
        .optional()
        .describe('Ou une banque du catalogue (GET /bank-catalog) : elle entre dans le référentiel du compte.'),
    }),
    responses: {
      201: { description: 'Lien créé et e-mail mis en file d’envoi', schema: linkOut },
      409: { description: 'Redevable désactivé ou sans e-mail' },
    },
    handler: async ({ auth, params, query, body, req }) => {
      const company = await findCompany(ctx, auth, params.id, query.includeSecondary);
      if (!company.active) throw conflict('Le redevable est désactivé : réactivez-le avant de lui envoyer un lien.');
      const recipient = body.recipient ?? company.email;
      if (!recipient)
        throw badRequest('Le redevable n’a pas d’adresse e-mail.', [
          { field: 'recipient', reason: 'obligatoire : le redevable n’a pas d’e-mail' },
        ]);
      await refuseSuppressed(recipient);
      const firm = await firmOf(company.portalAccountId);
      const bank = body.connectorUuid
        ? await bankForConnector(prisma, { auth, req }, company.portalAccountId, body.connectorUuid)
        : body.bankId
          ? await prisma.bank.findFirst({ where: { id: body.bankId, portalAccountId: company.portalAccountId } })
          : null;
      if (body.bankId && !bank)
        throw badRequest('Banque inconnue.', [
          { field: 'bankId', reason: 'aucune banque de ce référentiel ne porte cet identifiant' },
        ]);
      const requestedBy = auth.actor.type === 'USER' ? auth.actor.name : null;
      const link = await prisma.$transaction(async (tx) => {
        const { link } = await issueLink(tx, config, {
          kind: 'ADD_ACCOUNTS',
          company,
          recipient,
          firm,
          bank,
          requestedBy,
        });
        await audit(
          tx,
          { auth, req },
          {
            action: 'link.create',
            entityType: 'Link',
            entityId: link.id,
            detail: { kind: 'add-accounts', companyId: company.id, recipient, bankId: bank?.id ?? null },
            portalAccountId: company.portalAccountId,
          },
        );
        return link;
      });
      return presentLink(link);
    },
  });

  api.op({
    method: 'get',
    path: '/companies/{id}/links',
    tag: TAG,
    summary: 'Les 10 derniers liens envoyés au redevable, avec leur état (valid, used, expired)',
    rights: ['CONFIGURE_BANKS', 'MANAGE_COMPANIES'],
    params: idParam,
    query: scopeQuery,
    responses: {
      200: { description: 'Liens', schema: z.object({ items: z.array(linkOut), total: z.number().int() }) },
    },
    handler: async ({ auth, params, query }) => {
      const company = await findCompany(ctx, auth, params.id, query.includeSecondary);
      const links = await prisma.link.findMany({
        where: { companyId: company.id },
        orderBy: { createdAt: 'desc' },
        take: 10,
      });
      return { items: links.map(presentLink), total: links.length };
    },
  });

  api.op({
    method: 'post',
    path: '/connections/{id}/links',
    tag: TAG,
    summary: 'Envoyer au redevable un lien (72 h) pour mettre à jour ses identifiants bancaires',
    rights: ['CONFIGURE_BANKS'],
    middleware: [limiters.links],
    status: 201,
    params: idParam,
    query: scopeQuery,
    body: recipientIn.extend({
      kind: z.literal('update-credentials', { message: 'update-credentials attendu' }).default('update-credentials'),
    }),
    responses: { 201: { description: 'Lien créé et e-mail mis en file d’envoi', schema: linkOut } },
    handler: async ({ auth, params, query, body, req }) => {
      const connection = await findConnection(auth, params.id, query.includeSecondary);
      const company = connection.company;
      if (!company.active) throw conflict('Le redevable est désactivé : réactivez-le avant de lui envoyer un lien.');
      const recipient = body.recipient ?? company.email;
      if (!recipient)
        throw badRequest('Le redevable n’a pas d’adresse e-mail.', [
          { field: 'recipient', reason: 'obligatoire : le redevable n’a pas d’e-mail' },
        ]);
      await refuseSuppressed(recipient);
      const bankName = connection.bank?.name ?? connection.connectorName ?? '';
      const firm = await firmOf(company.portalAccountId);
      const link = await prisma.$transaction(async (tx) => {
        const { link } = await issueLink(tx, config, {
          kind: 'UPDATE_CREDENTIALS',
          company,
          connection: {
            id: connection.id,
            accounts: connection.accounts.map((a) => (bankName ? `${a.label} (${bankName})` : a.label).toUpperCase()),
            errorMessage: connection.errorMessage,
            state: connection.state,
          },
          recipient,
          firm,
        });
        await audit(
          tx,
          { auth, req },
          {
            action: 'link.create',
            entityType: 'Link',
            entityId: link.id,
            detail: { kind: 'update-credentials', connectionId: connection.id, recipient },
            portalAccountId: company.portalAccountId,
          },
        );
        return link;
      });
      return presentLink(link);
    },
  });

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
      const c = await findConnection(auth, params.id, query.includeSecondary);
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
      const connection = await findConnection(auth, params.id, query.includeSecondary);
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

  // ---- direct connection: the caller enters the credentials in the Powens webview -------------
  const directOnlyForOwnSiren = (auth: AuthContext, siren: string) => {
    if (siren !== auth.account.siren) {
      throw forbidden(
        'La saisie directe des identifiants bancaires n’est possible que pour le SIREN de votre propre compte : envoyez un lien au redevable.',
      );
    }
  };
  const webviews = () => {
    if (!deps.powens)
      throw new HttpError(503, 'Service Unavailable', 'La connexion directe à Powens est momentanément indisponible.');
    return deps.powens;
  };
  const callbackUri = `${config.publicBaseUrl}/powens/callback`;
  const urlOut = z.object({ url: z.url() });

  api.op({
    method: 'post',
    path: '/companies/{id}/connect',
    tag: TAG,
    summary: 'URL de la webview Powens pour connecter directement une banque (SIREN du redevable = SIREN du compte)',
    description:
      'Comme le prévoit le manuel (4.1.1), la saisie directe n’est permise que si le SIREN du redevable est celui du compte portail ; sinon 403 : envoyer un lien.',
    rights: ['CONFIGURE_BANKS'],
    middleware: [limiters.links],
    params: idParam,
    query: scopeQuery,
    body: z.object({
      bankId: z.uuid({ message: 'identifiant de banque attendu' }).optional().describe('Banque du référentiel'),
      connectorUuid: z
        .string()
        .trim()
        .min(1)
        .max(64)
        .optional()
        .describe('Ou une banque du catalogue : la webview s’ouvre sur elle'),
    }),
    responses: {
      200: { description: 'URL de la webview', schema: urlOut },
      403: { description: 'SIREN différent de celui du compte' },
    },
    handler: async ({ auth, params, query, body, req }) => {
      const company = await findCompany(ctx, auth, params.id, query.includeSecondary);
      if (!company.active) throw conflict('Le redevable est désactivé : réactivez-le d’abord.');
      directOnlyForOwnSiren(auth, company.siren);
      const powens = webviews();
      const bank = body.connectorUuid
        ? await bankForConnector(prisma, { auth, req }, company.portalAccountId, body.connectorUuid)
        : body.bankId
          ? await prisma.bank.findFirst({ where: { id: body.bankId, portalAccountId: company.portalAccountId } })
          : null;
      if (body.bankId && !bank)
        throw badRequest('Banque inconnue.', [
          { field: 'bankId', reason: 'aucune banque de ce référentiel ne porte cet identifiant' },
        ]);
      const state = await issueWebviewState(prisma, config.SESSION_SECRET, { flow: 'connect', companyId: company.id });
      const url = await powens.connectUrl({ companyId: company.id, redirectUri: callbackUri, state, bankId: bank?.id });
      await prisma.$transaction((tx) =>
        audit(
          tx,
          { auth, req },
          {
            action: 'connection.connect',
            entityType: 'Company',
            entityId: company.id,
            portalAccountId: company.portalAccountId,
          },
        ),
      );
      return { url };
    },
  });

  api.op({
    method: 'post',
    path: '/connections/{id}/reconnect',
    tag: TAG,
    summary:
      'URL de la webview Powens pour ressaisir directement les identifiants d’une connexion (même règle de SIREN)',
    rights: ['CONFIGURE_BANKS'],
    middleware: [limiters.links],
    params: idParam,
    query: scopeQuery,
    responses: {
      200: { description: 'URL de la webview', schema: urlOut },
      403: { description: 'SIREN différent de celui du compte' },
    },
    handler: async ({ auth, params, query, req }) => {
      const connection = await findConnection(auth, params.id, query.includeSecondary);
      if (!connection.company.active) throw conflict('Le redevable est désactivé : réactivez-le d’abord.');
      directOnlyForOwnSiren(auth, connection.company.siren);
      const powens = webviews();
      const resetCredentials = needsNewCredentials(connection.state);
      const state = await issueWebviewState(prisma, config.SESSION_SECRET, {
        flow: 'reconnect',
        companyId: connection.companyId,
        connectionId: connection.id,
        resetCredentials,
      });
      const url = await powens.reconnectUrl({
        companyId: connection.companyId,
        connectionId: connection.id,
        powensConnectionId: connection.powensConnectionId,
        redirectUri: callbackUri,
        state,
        resetCredentials,
      });
      await prisma.$transaction((tx) =>
        audit(
          tx,
          { auth, req },
          {
            action: 'connection.reconnect',
            entityType: 'BankConnection',
            entityId: connection.id,
            portalAccountId: connection.company.portalAccountId,
          },
        ),
      );
      return { url };
    },
  });
}
