/**
 * Companies ("redevables"): create, read, modify, reactivate the e-mail address, deactivate and
 * reactivate (their search and export: company-search.ts).
 */
import { z } from 'zod';
import { deactivateSignal, reactivateSignal, settingsChangedSignal } from '../../workflows/messages';
import { audit } from '../audit';
import { companyCreate, companyPatch, sirenTaken, siretProblem } from '../company-input';
import { conflict } from '../errors';
import {
  bankAccountInclude,
  companyInclude,
  presentBankAccount,
  presentCompany,
  withAccountCounts,
  withEmailBounces,
} from '../present';
import { postmarkClient } from '../../email';
import { HttpError } from '../errors';
import { bankAccountOut, companyOut, idParam, scopeQuery } from '../schemas';
import { findCompany, sirenUnique } from '../lookups';
import { storedCamtVersion, storedFormats } from '../../statement-files';
import { notifyWorkflows, signalConnection } from '../temporal';
import type { RouteContext } from '../deps';

const TAG = 'Redevables';

export function companyRoutes(ctx: RouteContext) {
  const { api, deps } = ctx;
  const { prisma, temporal, logger } = deps;

  api.op({
    method: 'post',
    path: '/companies',
    tag: TAG,
    summary: 'Créer un redevable',
    description: 'Le SIREN est unique sur un compte principal et tous ses comptes secondaires (409 sinon).',
    rights: ['MANAGE_COMPANIES'],
    status: 201,
    body: companyCreate,
    responses: {
      201: { description: 'Redevable créé', schema: companyOut },
      409: { description: 'SIREN déjà utilisé' },
    },
    handler: async ({ auth, body, req }) => {
      if (await sirenTaken(prisma, auth.account.rootId, body.siren)) {
        throw conflict('Un redevable de même SIREN existe déjà sur ce compte ou un compte rattaché.', [
          { field: 'siren', reason: 'déjà utilisé' },
        ]);
      }
      const company = await sirenUnique(() =>
        prisma.$transaction(async (tx) => {
          const c = await tx.company.create({
            data: {
              portalAccountId: auth.account.id,
              rootAccountId: auth.account.rootId,
              siren: body.siren,
              nic: body.nic ?? null,
              name: body.name,
              name2: body.name2 ?? null,
              email: body.email,
              periodicityKind: body.periodicity.kind,
              periodicityDay: body.periodicity.day ?? null,
              periodicityMonth: body.periodicity.month ?? null,
              autoLinks: body.autoLinks ?? true,
              ...(body.statementFormats ? { statementFormats: storedFormats(body.statementFormats) } : {}),
              ...(body.camtVersion ? { camtVersion: storedCamtVersion(body.camtVersion) } : {}),
            },
            include: companyInclude,
          });
          await audit(
            tx,
            { auth, req },
            { action: 'company.create', entityType: 'Company', entityId: c.id, detail: body },
          );
          return c;
        }),
      );
      return presentCompany({ ...company, accountCount: 0 });
    },
  });

  api.op({
    method: 'get',
    path: '/companies/{id}',
    tag: TAG,
    summary: 'Un redevable et ses comptes bancaires',
    rights: ['MANAGE_COMPANIES', 'CONFIGURE_BANKS', 'VIEW_STATEMENTS'],
    params: idParam,
    query: scopeQuery,
    responses: { 200: { description: 'Redevable', schema: companyOut.extend({ accounts: z.array(bankAccountOut) }) } },
    handler: async ({ auth, params, query }) => {
      const company = await findCompany(ctx, auth, params.id, query.includeSecondary);
      const accounts = await prisma.bankAccount.findMany({
        where: { companyId: company.id },
        include: bankAccountInclude,
        orderBy: { createdAt: 'asc' },
      });
      const [withBounce] = await withEmailBounces(prisma, [{ ...company, accountCount: accounts.length }]);
      return {
        ...presentCompany(withBounce!),
        accounts: accounts.map(presentBankAccount),
      };
    },
  });

  api.op({
    method: 'patch',
    path: '/companies/{id}',
    tag: TAG,
    summary:
      'Modifier un redevable (identification, e-mail, périodicité, envoi automatique des liens, formats des relevés)',
    rights: ['MANAGE_COMPANIES'],
    params: idParam,
    query: scopeQuery,
    body: companyPatch,
    responses: {
      200: { description: 'Redevable modifié', schema: companyOut },
      409: { description: 'SIREN déjà utilisé' },
    },
    handler: async ({ auth, params, query, body, req }) => {
      const company = await findCompany(ctx, auth, params.id, query.includeSecondary);
      if (body.siren && body.siren !== company.siren && (await sirenTaken(prisma, company.rootAccountId, body.siren))) {
        throw conflict('Un redevable de même SIREN existe déjà sur ce compte ou un compte rattaché.', [
          { field: 'siren', reason: 'déjà utilisé' },
        ]);
      }
      const nic = body.nic === undefined ? company.nic : body.nic;
      const siren = body.siren ?? company.siren;
      const bad = siretProblem(siren, nic);
      if (bad) throw conflict('Le SIRET obtenu est invalide.', [{ field: 'nic', reason: bad }]);
      const periodicityChanged =
        body.periodicity !== undefined || (body.autoLinks !== undefined && body.autoLinks !== company.autoLinks);
      const updated = await sirenUnique(() =>
        prisma.$transaction(async (tx) => {
          const c = await tx.company.update({
            where: { id: company.id },
            data: {
              siren: body.siren,
              nic: body.nic,
              name: body.name,
              name2: body.name2,
              email: body.email,
              autoLinks: body.autoLinks,
              statementFormats: body.statementFormats && storedFormats(body.statementFormats),
              camtVersion: body.camtVersion && storedCamtVersion(body.camtVersion),
              ...(body.periodicity
                ? {
                    periodicityKind: body.periodicity.kind,
                    periodicityDay: body.periodicity.day ?? null,
                    periodicityMonth: body.periodicity.month ?? null,
                  }
                : {}),
            },
            include: companyInclude,
          });
          await audit(
            tx,
            { auth, req },
            {
              action: 'company.update',
              entityType: 'Company',
              entityId: c.id,
              detail: body,
              portalAccountId: c.portalAccountId,
            },
          );
          return c;
        }),
      );
      if (periodicityChanged) {
        const connections = await prisma.bankConnection.findMany({
          where: { companyId: company.id, active: true },
          select: { id: true },
        });
        notifyWorkflows(connections.map((x) => signalConnection(temporal, logger, x.id, settingsChangedSignal)));
      }
      return presentCompany((await withEmailBounces(prisma, await withAccountCounts(prisma, [updated])))[0]!);
    },
  });

  api.op({
    method: 'post',
    path: '/companies/{id}/email/reactivate',
    tag: TAG,
    summary: 'Réactiver l’adresse e-mail du redevable après un rejet définitif (elle recevra de nouveau les messages)',
    description:
      'Après un rejet définitif (adresse inexistante, plainte…), plus rien n’est envoyé à l’adresse. Si elle est de nouveau valable, cette action la réactive (chez Postmark aussi). Sinon, modifiez l’adresse du redevable.',
    rights: ['MANAGE_COMPANIES'],
    params: idParam,
    query: scopeQuery,
    responses: {
      200: { description: 'Redevable', schema: companyOut },
      409: { description: 'L’adresse n’est pas désactivée' },
      502: { description: 'Postmark n’a pas pu réactiver l’adresse' },
    },
    handler: async ({ auth, params, query, req }) => {
      const company = await findCompany(ctx, auth, params.id, query.includeSecondary);
      const address = company.email?.trim().toLowerCase();
      const suppression = address ? await prisma.emailSuppression.findUnique({ where: { address } }) : null;
      if (!address || !suppression) throw conflict('L’adresse de ce redevable n’est pas désactivée.');
      if (suppression.postmarkBounceId && /^\d+$/.test(suppression.postmarkBounceId)) {
        try {
          await postmarkClient(deps.config, 10).activateBounce(Number(suppression.postmarkBounceId));
        } catch (err) {
          const status = (err as { statusCode?: number }).statusCode ?? 0;
          // 422: Postmark no longer knows the bounce (or holds no suppression): ours alone remains.
          if (status !== 422) {
            logger.warn({ err, companyId: company.id }, 'Postmark bounce activation failed');
            throw new HttpError(
              502,
              'Bad Gateway',
              'Postmark n’a pas pu réactiver l’adresse pour le moment : réessayez dans quelques minutes.',
            );
          }
        }
      }
      await prisma.$transaction(async (tx) => {
        await tx.emailSuppression.deleteMany({ where: { address } });
        await audit(
          tx,
          { auth, req },
          {
            action: 'company.email-reactivate',
            entityType: 'Company',
            entityId: company.id,
            detail: { address, reason: suppression.reason },
            portalAccountId: company.portalAccountId,
          },
        );
      });
      const [row] = await withEmailBounces(prisma, await withAccountCounts(prisma, [company]));
      return presentCompany(row!);
    },
  });

  for (const activate of [false, true]) {
    api.op({
      method: 'post',
      path: `/companies/{id}/${activate ? 'reactivate' : 'deactivate'}`,
      tag: TAG,
      summary: activate
        ? 'Réactiver un redevable et les comptes désactivés avec lui (la collecte reprend à la dernière date livrée)'
        : 'Désactiver un redevable et tous ses comptes bancaires (rien n’est supprimé)',
      rights: ['MANAGE_COMPANIES'],
      params: idParam,
      query: scopeQuery,
      responses: { 200: { description: 'Redevable', schema: companyOut } },
      handler: async ({ auth, params, query, req }) => {
        const company = await findCompany(ctx, auth, params.id, query.includeSecondary);
        const now = new Date();
        const result = await prisma.$transaction(async (tx) => {
          let accountIds: string[] = [];
          // The company before its accounts, as a rename locks them (migration
          // 20261212090000_company_name_search): the other order could deadlock with one.
          if (!activate && company.active) {
            await tx.company.update({ where: { id: company.id }, data: { active: false, deactivatedAt: now } });
            const accounts = await tx.bankAccount.findMany({
              where: { companyId: company.id, active: true },
              select: { id: true },
            });
            accountIds = accounts.map((a) => a.id);
            await tx.bankAccount.updateMany({
              where: { id: { in: accountIds } },
              data: { active: false, deactivatedAt: now },
            });
            await tx.bankAccountEvent.createMany({
              data: accountIds.map((id) => ({ bankAccountId: id, kind: 'DEACTIVATED', detail: { reason: 'company' } })),
            });
            await tx.bankConnection.updateMany({ where: { companyId: company.id }, data: { active: false } });
          } else if (activate && !company.active) {
            await tx.company.update({ where: { id: company.id }, data: { active: true, deactivatedAt: null } });
            // The accounts deactivated with the company (not those deactivated one by one before).
            const since = company.deactivatedAt ?? new Date(0);
            const accounts = await tx.bankAccount.findMany({
              where: { companyId: company.id, active: false, deactivatedAt: { gte: since } },
              select: { id: true },
            });
            accountIds = accounts.map((a) => a.id);
            await tx.bankAccount.updateMany({
              where: { id: { in: accountIds } },
              data: { active: true, deactivatedAt: null },
            });
            await tx.bankAccountEvent.createMany({
              data: accountIds.map((id) => ({ bankAccountId: id, kind: 'REACTIVATED', detail: { reason: 'company' } })),
            });
            await tx.bankConnection.updateMany({ where: { companyId: company.id }, data: { active: true } });
          }
          await audit(
            tx,
            { auth, req },
            {
              action: activate ? 'company.reactivate' : 'company.deactivate',
              entityType: 'Company',
              entityId: company.id,
              detail: { bankAccountIds: accountIds },
              portalAccountId: company.portalAccountId,
            },
          );
          return tx.company.findUniqueOrThrow({ where: { id: company.id }, include: companyInclude });
        });
        const connections = await prisma.bankConnection.findMany({
          where: { companyId: company.id },
          select: { id: true },
        });
        notifyWorkflows(
          connections.map((x) =>
            signalConnection(temporal, logger, x.id, activate ? reactivateSignal : deactivateSignal, {}),
          ),
        );
        return presentCompany((await withEmailBounces(prisma, await withAccountCounts(prisma, [result])))[0]!);
      },
    });
  }
}
