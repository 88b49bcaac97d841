/**
 * Direct connection: the caller enters the bank credentials in the Powens webview, for a company of
 * the account's own SIREN only (connect a bank, reconnect a connection).
 */
import { z } from 'zod';
import { needsNewCredentials } from '../../domain/powens-states';
import { audit } from '../audit';
import type { AuthContext } from '../auth-context';
import { badRequest, conflict, forbidden, HttpError } from '../errors';
import { issueWebviewState } from '../public/state';
import { idParam, scopeQuery } from '../schemas';
import type { RouteContext } from '../deps';
import { bankForConnector, findCompany, findConnection } from '../lookups';

const TAG = 'Liens et connexions';

export function webviewRoutes(ctx: RouteContext) {
  const { api, deps, limiters } = ctx;
  const { prisma, config } = deps;
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
      const connection = await findConnection(ctx, auth, params.id, query.includeSecondary);
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
