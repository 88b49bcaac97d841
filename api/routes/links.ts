/**
 * Links to companies ("jetons"): send one to add bank accounts or to update a connection's
 * credentials, list a company's last ones.
 */
import { z } from 'zod';
import { audit } from '../audit';
import { badRequest, conflict } from '../errors';
import { issueLink } from '../links';
import { emailBounces, presentLink } from '../present';
import { idParam, linkOut, scopeQuery } from '../schemas';
import type { RouteContext } from '../deps';
import { bankForConnector, findCompany, findConnection } from '../lookups';

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
  const { prisma, config } = deps;

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
      const connection = await findConnection(ctx, auth, params.id, query.includeSecondary);
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
}
