/**
 * A bank account's statement formats: the company's choice (PATCH /companies/{id}
 * `statementFormats`, `camtVersion`) applies unless the account overrides it here.
 */
import { z } from 'zod';
import { camtVersionName, formatChoice, formatsName, storedCamtVersion, storedFormats } from '../../statement-files';
import type { Prisma } from '../../db/client';
import { audit } from '../audit';
import type { AuthContext } from '../auth-context';
import { notFound } from '../errors';
import { camtVersionEnum, idParam, scopeQuery, statementFormatsEnum } from '../schemas';
import { bankAccountScope, scopeAccountIds } from '../scope';
import type { RouteContext } from '../deps';

const TAG = 'Comptes bancaires';

const select = {
  id: true,
  statementFormats: true,
  camtVersion: true,
  company: { select: { id: true, portalAccountId: true, statementFormats: true, camtVersion: true } },
} satisfies Prisma.BankAccountSelect;

export const accountFormatsOut = z
  .object({
    bankAccountId: z.uuid(),
    statementFormats: statementFormatsEnum.nullable().describe('Choix propre au compte (null : celui du redevable)'),
    camtVersion: camtVersionEnum.nullable().describe('Choix propre au compte (null : celui du redevable)'),
    company: z.object({ id: z.uuid(), statementFormats: statementFormatsEnum, camtVersion: camtVersionEnum }),
    effective: z.object({
      formats: z.array(z.enum(['cfonb120', 'camt053'])),
      camtVersion: camtVersionEnum,
    }),
  })
  .meta({ id: 'BankAccountFormats' });

function present(a: Prisma.BankAccountGetPayload<{ select: typeof select }>) {
  return {
    bankAccountId: a.id,
    statementFormats: a.statementFormats ? formatsName(a.statementFormats) : null,
    camtVersion: a.camtVersion ? camtVersionName(a.camtVersion) : null,
    company: {
      id: a.company.id,
      statementFormats: formatsName(a.company.statementFormats),
      camtVersion: camtVersionName(a.company.camtVersion),
    },
    effective: formatChoice(a.company, a),
  };
}

export function statementFormatRoutes(ctx: RouteContext) {
  const { api, deps } = ctx;
  const { prisma } = deps;

  async function find(auth: AuthContext, id: string, includeSecondary: boolean) {
    const ids = await scopeAccountIds(prisma, auth, includeSecondary);
    const a = await prisma.bankAccount.findFirst({ where: { id, ...bankAccountScope(ids) }, select });
    if (!a) throw notFound('Compte bancaire');
    return a;
  }

  api.op({
    method: 'get',
    path: '/bank-accounts/{id}/formats',
    tag: TAG,
    summary: 'Les formats de relevés livrés pour ce compte (CFONB120, camt.053 ou les deux)',
    rights: ['MANAGE_COMPANIES', 'CONFIGURE_BANKS', 'VIEW_STATEMENTS'],
    params: idParam,
    query: scopeQuery,
    responses: { 200: { description: 'Formats', schema: accountFormatsOut } },
    handler: async ({ auth, params, query }) => present(await find(auth, params.id, query.includeSecondary)),
  });

  api.op({
    method: 'put',
    path: '/bank-accounts/{id}/formats',
    tag: TAG,
    summary: 'Choisir les formats de relevés de ce compte (null : ceux du redevable)',
    rights: ['MANAGE_COMPANIES', 'CONFIGURE_BANKS'],
    params: idParam,
    query: scopeQuery,
    body: z.object({
      statementFormats: statementFormatsEnum.nullable(),
      camtVersion: camtVersionEnum.nullable().optional(),
    }),
    responses: { 200: { description: 'Formats', schema: accountFormatsOut } },
    handler: async ({ auth, params, query, body, req }) => {
      const a = await find(auth, params.id, query.includeSecondary);
      const updated = await prisma.$transaction(async (tx) => {
        const u = await tx.bankAccount.update({
          where: { id: a.id },
          data: {
            statementFormats: body.statementFormats === null ? null : storedFormats(body.statementFormats),
            camtVersion: body.camtVersion ? storedCamtVersion(body.camtVersion) : null,
          },
          select,
        });
        await audit(
          tx,
          { auth, req },
          {
            action: 'bank-account.formats',
            entityType: 'BankAccount',
            entityId: a.id,
            detail: body,
            portalAccountId: a.company.portalAccountId,
          },
        );
        return u;
      });
      return present(updated);
    },
  });
}
