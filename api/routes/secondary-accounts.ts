/**
 * Secondary portal accounts (manual §1, "Gestion de vos comptes secondaires"): a primary account
 * creates, edits, closes and reopens them. Each secondary has its own login (a password the primary
 * sets, or an invitation e-mail with a one-time link to choose it), its own settings and its own
 * companies; it never sees its siblings nor its primary's own data (api/scope.ts). Closing one
 * blocks its sign-ins and API keys; its companies stay visible to the primary.
 */
import { z } from 'zod';
import type { Prisma } from '../../db/client';
import { audit } from '../audit';
import { hashPassword } from '../auth';
import type { AuthContext } from '../auth-context';
import { nicIn, siretProblem, sirenIn } from '../company-input';
import { badRequest, conflict, forbidden, notFound } from '../errors';
import { iso } from '../present';
import { idParam, password } from '../schemas';
import { invite } from '../invitations';
import type { RouteContext } from '../deps';

const TAG = 'Comptes secondaires';
const login = z
  .string({ message: 'identifiant attendu' })
  .trim()
  .regex(/^[A-Za-z0-9._@-]{3,60}$/, '3 à 60 caractères : lettres, chiffres, point, tiret, @ ou _');

const secondaryOut = z
  .object({
    id: z.uuid(),
    name: z.string(),
    siren: z.string(),
    nic: z.string().nullable(),
    siret: z.string().nullable(),
    email: z.string(),
    phone: z.string().nullable(),
    status: z.enum(['open', 'closed']),
    closedAt: z.iso.datetime().nullable(),
    createdAt: z.iso.datetime(),
    companyCount: z.number().int(),
    users: z.array(
      z.object({
        id: z.uuid(),
        login: z.string(),
        state: z.enum(['active', 'invited', 'invitation-expired']).describe('invited : mot de passe pas encore choisi'),
        invitationExpiresAt: z.iso.datetime().nullable(),
      }),
    ),
  })
  .meta({ id: 'SecondaryAccount' });

const createIn = z
  .object({
    name: z.string().trim().min(1, 'obligatoire').max(100, 'au plus 100 caractères'),
    siren: sirenIn,
    nic: nicIn.optional(),
    email: z.email({ message: 'adresse e-mail invalide' }).max(250),
    phone: z.string().trim().max(30).optional(),
    login,
    password: password.optional().describe('Mot de passe choisi par le compte principal'),
    invite: z
      .boolean({ message: 'booléen attendu' })
      .optional()
      .describe('true : un e-mail d’invitation porte un lien à usage unique pour choisir le mot de passe'),
  })
  .superRefine((v, ctx) => {
    if (!v.password && !v.invite)
      ctx.addIssue({ code: 'custom', path: ['password'], message: 'un mot de passe, ou une invitation par e-mail' });
    if (v.password && v.invite)
      ctx.addIssue({ code: 'custom', path: ['invite'], message: 'un mot de passe ou une invitation, pas les deux' });
    const bad = typeof v.nic === 'string' ? siretProblem(v.siren, v.nic) : null;
    if (bad) ctx.addIssue({ code: 'custom', path: ['nic'], message: bad });
  });

const patchIn = z
  .object({
    name: z.string().trim().min(1, 'obligatoire').max(100).optional(),
    siren: sirenIn.optional(),
    nic: nicIn.nullable().optional(),
    email: z.email({ message: 'adresse e-mail invalide' }).max(250).optional(),
    phone: z.string().trim().max(30).nullable().optional(),
    password: password.optional().describe('Nouveau mot de passe de l’utilisateur du compte'),
  })
  .refine((v) => Object.values(v).some((x) => x !== undefined), { message: 'au moins un champ à modifier' });

type SecondaryRow = Prisma.PortalAccountGetPayload<{
  include: { users: { include: { passwordSetups: true } }; _count: { select: { companies: true } } };
}>;

function present(a: SecondaryRow, now = new Date()) {
  return {
    id: a.id,
    name: a.name,
    siren: a.siren,
    nic: a.nic,
    siret: a.nic ? a.siren + a.nic : null,
    email: a.contactEmail,
    phone: a.contactPhone,
    status: a.closedAt ? ('closed' as const) : ('open' as const),
    closedAt: iso(a.closedAt),
    createdAt: a.createdAt.toISOString(),
    companyCount: a._count.companies,
    users: a.users.map((u) => {
      const pending = u.passwordSetups
        .filter((p) => !p.usedAt && !p.revokedAt)
        .sort((x, y) => y.createdAt.getTime() - x.createdAt.getTime())[0];
      const state = u.passwordHash
        ? ('active' as const)
        : pending && pending.expiresAt > now
          ? ('invited' as const)
          : ('invitation-expired' as const);
      return { id: u.id, login: u.login, state, invitationExpiresAt: u.passwordHash ? null : iso(pending?.expiresAt) };
    }),
  };
}

const include = {
  users: { include: { passwordSetups: true }, orderBy: { createdAt: 'asc' } },
  _count: { select: { companies: true } },
} satisfies Prisma.PortalAccountInclude;

export function secondaryAccountRoutes({ api, deps }: RouteContext) {
  const { prisma, config } = deps;

  const primaryOnly = (auth: AuthContext) => {
    if (auth.account.kind !== 'PRIMARY') throw forbidden('Seul un compte principal gère des comptes secondaires.');
  };

  async function findSecondary(auth: AuthContext, id: string) {
    primaryOnly(auth);
    const a = await prisma.portalAccount.findFirst({ where: { id, parentId: auth.account.id }, include });
    if (!a) throw notFound('Compte secondaire');
    return a;
  }

  api.op({
    method: 'get',
    path: '/accounts',
    tag: TAG,
    summary: 'Les comptes secondaires du compte principal (ouverts et fermés)',
    rights: ['ADMIN'],
    responses: {
      200: {
        description: 'Comptes secondaires',
        schema: z.object({ items: z.array(secondaryOut), total: z.number().int() }),
      },
    },
    handler: async ({ auth }) => {
      primaryOnly(auth);
      const rows = await prisma.portalAccount.findMany({
        where: { parentId: auth.account.id },
        include,
        orderBy: { name: 'asc' },
      });
      return { items: rows.map((r) => present(r)), total: rows.length };
    },
  });

  api.op({
    method: 'post',
    path: '/accounts',
    tag: TAG,
    summary: 'Créer un compte secondaire (identifiant, mot de passe ou invitation par e-mail)',
    description:
      'Le compte secondaire a ses propres redevables, connexions, relevés et paramètres (mode de réception). Son utilisateur a tous les droits sur ce compte. Avec `invite: true`, un e-mail porte un lien à usage unique (7 jours) pour choisir le mot de passe.',
    rights: ['ADMIN'],
    status: 201,
    body: createIn,
    responses: {
      201: { description: 'Compte créé', schema: secondaryOut },
      409: { description: 'Identifiant déjà pris' },
    },
    handler: async ({ auth, body, req }) => {
      primaryOnly(auth);
      if (await prisma.user.findUnique({ where: { login: body.login } }))
        throw conflict('Cet identifiant est déjà utilisé.', [{ field: 'login', reason: 'déjà utilisé' }]);
      const created = await prisma.$transaction(async (tx) => {
        const account = await tx.portalAccount.create({
          data: {
            kind: 'SECONDARY',
            parentId: auth.account.id,
            rootId: auth.account.rootId,
            name: body.name,
            siren: body.siren,
            nic: body.nic ?? null,
            contactEmail: body.email,
            contactPhone: body.phone || null,
          },
        });
        const user = await tx.user.create({
          data: {
            portalAccountId: account.id,
            login: body.login,
            passwordHash: body.password ? await hashPassword(body.password) : '',
            displayName: body.name,
            email: body.email,
            rights: ['ADMIN', 'CONFIGURE_BANKS', 'MANAGE_COMPANIES', 'VIEW_STATEMENTS'],
          },
        });
        if (body.invite)
          await invite(tx, config, {
            userId: user.id,
            login: body.login,
            to: body.email,
            account,
            primaryName: auth.account.name,
          });
        const { password: _p, ...detail } = body;
        await audit(
          tx,
          { auth, req },
          { action: 'account.create', entityType: 'PortalAccount', entityId: account.id, detail },
        );
        return account.id;
      });
      return present(await prisma.portalAccount.findUniqueOrThrow({ where: { id: created }, include }));
    },
  });

  api.op({
    method: 'get',
    path: '/accounts/{id}',
    tag: TAG,
    summary: 'Un compte secondaire',
    rights: ['ADMIN'],
    params: idParam,
    responses: { 200: { description: 'Compte secondaire', schema: secondaryOut } },
    handler: async ({ auth, params }) => present(await findSecondary(auth, params.id)),
  });

  api.op({
    method: 'patch',
    path: '/accounts/{id}',
    tag: TAG,
    summary: 'Modifier un compte secondaire (nom, SIRET, e-mail, téléphone, mot de passe)',
    rights: ['ADMIN'],
    params: idParam,
    body: patchIn,
    responses: { 200: { description: 'Compte secondaire', schema: secondaryOut } },
    handler: async ({ auth, params, body, req }) => {
      const a = await findSecondary(auth, params.id);
      const siren = body.siren ?? a.siren;
      const nic = body.nic === undefined ? a.nic : body.nic;
      const bad = siretProblem(siren, nic);
      if (bad) throw badRequest('Le SIRET obtenu est invalide.', [{ field: 'nic', reason: bad }]);
      await prisma.$transaction(async (tx) => {
        await tx.portalAccount.update({
          where: { id: a.id },
          data: {
            name: body.name,
            siren: body.siren,
            nic: body.nic,
            contactEmail: body.email,
            contactPhone: body.phone,
          },
        });
        if (body.password) {
          const hash = await hashPassword(body.password);
          await tx.user.updateMany({ where: { portalAccountId: a.id }, data: { passwordHash: hash } });
          // The new password ends the sessions opened with the old one, and any pending invitation.
          await tx.session.deleteMany({ where: { user: { portalAccountId: a.id } } });
          await tx.passwordSetup.updateMany({
            where: { user: { portalAccountId: a.id }, usedAt: null, revokedAt: null },
            data: { revokedAt: new Date() },
          });
        }
        const { password: _p, ...detail } = body;
        await audit(
          tx,
          { auth, req },
          {
            action: 'account.update',
            entityType: 'PortalAccount',
            entityId: a.id,
            detail: { ...detail, passwordChanged: !!body.password },
          },
        );
      });
      return present(await prisma.portalAccount.findUniqueOrThrow({ where: { id: a.id }, include }));
    },
  });

  for (const close of [true, false]) {
    api.op({
      method: 'post',
      path: `/accounts/{id}/${close ? 'close' : 'reopen'}`,
      tag: TAG,
      summary: close
        ? 'Fermer un compte secondaire : ses utilisateurs et clés ne peuvent plus se connecter (ses données restent)'
        : 'Rouvrir un compte secondaire fermé',
      rights: ['ADMIN'],
      params: idParam,
      responses: { 200: { description: 'Compte secondaire', schema: secondaryOut } },
      handler: async ({ auth, params, req }) => {
        const a = await findSecondary(auth, params.id);
        await prisma.$transaction(async (tx) => {
          if (close && !a.closedAt) {
            await tx.portalAccount.update({ where: { id: a.id }, data: { closedAt: new Date() } });
            await tx.session.deleteMany({ where: { user: { portalAccountId: a.id } } });
          } else if (!close && a.closedAt) {
            await tx.portalAccount.update({ where: { id: a.id }, data: { closedAt: null } });
          }
          await audit(
            tx,
            { auth, req },
            { action: close ? 'account.close' : 'account.reopen', entityType: 'PortalAccount', entityId: a.id },
          );
        });
        return present(await prisma.portalAccount.findUniqueOrThrow({ where: { id: a.id }, include }));
      },
    });
  }

  api.op({
    method: 'post',
    path: '/accounts/{id}/invitation',
    tag: TAG,
    summary: 'Envoyer (à nouveau) l’invitation : un lien à usage unique pour choisir le mot de passe',
    rights: ['ADMIN'],
    status: 201,
    params: idParam,
    responses: { 201: { description: 'Invitation envoyée', schema: secondaryOut } },
    handler: async ({ auth, params, req }) => {
      const a = await findSecondary(auth, params.id);
      if (a.closedAt) throw conflict('Le compte est fermé : rouvrez-le avant d’inviter son utilisateur.');
      const user = a.users[0];
      if (!user) throw conflict('Ce compte n’a pas d’utilisateur.');
      await prisma.$transaction(async (tx) => {
        await invite(tx, config, {
          userId: user.id,
          login: user.login,
          to: a.contactEmail,
          account: a,
          primaryName: auth.account.name,
        });
        await audit(tx, { auth, req }, { action: 'account.invite', entityType: 'PortalAccount', entityId: a.id });
      });
      return present(await prisma.portalAccount.findUniqueOrThrow({ where: { id: a.id }, include }));
    },
  });
}
