/** Links to companies ("jetons"), and actions on a bank connection (new link, collect now). */
import { z } from 'zod';
import { needsNewCredentials } from '../../domain/powens-states';
import { audit } from '../audit';
import type { AuthContext } from '../auth-context';
import { badRequest, conflict, forbidden, HttpError, notFound } from '../errors';
import { issueLink } from '../links';
import { presentLink } from '../present';
import { issueWebviewState } from '../public/state';
import { idParam, linkOut, scopeQuery } from '../schemas';
import { connectionScope, scopeAccountIds } from '../scope';
import { collectNow } from '../temporal';
import type { RouteContext } from '../v1';
import { findCompany } from './companies';

const TAG = 'Liens et connexions';

const recipientIn = z.object({
  recipient: z
    .email({ message: 'adresse e-mail invalide' })
    .max(250)
    .optional()
    .describe('Par défaut l’e-mail du redevable.'),
});

export function linkRoutes(ctx: RouteContext) {
  const { api, deps, limiters } = ctx;
  const { prisma, config, temporal, logger } = deps;

  const firmOf = async (portalAccountId: string) => {
    const a = await prisma.portalAccount.findUniqueOrThrow({ where: { id: portalAccountId } });
    return { name: a.name, email: a.contactEmail, phone: a.contactPhone };
  };

  async function findConnection(auth: AuthContext, id: string, includeSecondary: boolean) {
    const ids = await scopeAccountIds(prisma, auth, includeSecondary);
    const c = await prisma.bankConnection.findFirst({
      where: { id, ...connectionScope(ids) },
      include: { company: true, bank: true, accounts: { where: { active: true }, select: { label: true } } },
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
      const firm = await firmOf(company.portalAccountId);
      const bank = body.bankId
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

  api.op({
    method: 'post',
    path: '/connections/{id}/collect',
    tag: TAG,
    summary: 'Collecter maintenant (et, avec `statement: true`, émettre un relevé jusqu’à aujourd’hui)',
    description:
      'Demande transmise au workflow de la connexion. Si le workflow n’existe pas (encore) ou si Temporal est indisponible, la demande est enregistrée mais `outcome` l’indique.',
    rights: ['CONFIGURE_BANKS'],
    status: 202,
    params: idParam,
    query: scopeQuery,
    body: z.object({ statement: z.boolean({ message: 'booléen attendu' }).default(false) }),
    responses: {
      202: {
        description: 'Demande prise en compte',
        schema: z.object({
          outcome: z.enum(['delivered', 'no-workflow', 'unavailable']),
          statementIds: z.array(z.uuid()),
          collected: z.number().int().nullable(),
        }),
      },
    },
    handler: async ({ auth, params, query, body, req }) => {
      const connection = await findConnection(auth, params.id, query.includeSecondary);
      if (!connection.active || !connection.company.active) throw conflict('La connexion est désactivée.');
      await prisma.$transaction(async (tx) => {
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
      });
      return collectNow(temporal, logger, connection.id, body.statement);
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
    responses: {
      200: { description: 'URL de la webview', schema: urlOut },
      403: { description: 'SIREN différent de celui du compte' },
    },
    handler: async ({ auth, params, query, req }) => {
      const company = await findCompany(ctx, auth, params.id, query.includeSecondary);
      if (!company.active) throw conflict('Le redevable est désactivé : réactivez-le d’abord.');
      directOnlyForOwnSiren(auth, company.siren);
      const powens = webviews();
      const state = await issueWebviewState(prisma, config.SESSION_SECRET, { flow: 'connect', companyId: company.id });
      const url = await powens.connectUrl({ companyId: company.id, redirectUri: callbackUri, state });
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
