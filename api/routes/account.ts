/**
 * Login/logout, the caller (`/me`) and the account's settings (its bank referential: banks.ts; its
 * notifications: notifications.ts).
 */
import { z } from 'zod';
import { audit } from '../audit';
import {
  CLOSED_ACCOUNT,
  dummyPasswordHash,
  newSessionToken,
  SESSION_COOKIE,
  SESSION_TTL_MS,
  sessionCookieOptions,
  sessionExpiry,
  verifyPassword,
} from '../auth';
import { dedicatedMailboxProblem } from '../../email';
import { badRequest, unauthorized } from '../errors';
import type { RouteContext } from '../deps';
import { iso } from '../present';

const TAG_AUTH = 'Authentification';
const TAG_ACCOUNT = 'Compte';

const accountOut = z.object({
  id: z.uuid(),
  kind: z.enum(['PRIMARY', 'SECONDARY']),
  name: z.string(),
  siren: z.string(),
  parentId: z.uuid().nullable(),
  closed: z.boolean().describe('Compte secondaire fermé par son compte principal'),
});

const meOut = z
  .object({
    actor: z.object({ type: z.enum(['USER', 'API_KEY']), id: z.uuid(), name: z.string() }),
    rights: z.array(z.enum(['CONFIGURE_BANKS', 'MANAGE_COMPANIES', 'VIEW_STATEMENTS', 'ADMIN'])),
    portalAccount: accountOut,
    secondaryAccounts: z.array(accountOut),
    csrfToken: z.string().nullable().describe('Session : à renvoyer dans l’en-tête X-CSRF-Token pour toute écriture.'),
  })
  .meta({ id: 'Me' });

const settingsOut = z
  .object({
    receptionMode: z.enum(['none', 'account-mailbox', 'dedicated-mailbox']),
    dedicatedMailbox: z.string().nullable(),
    acceptedTermsVersion: z.string().nullable(),
    acceptedTermsAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'Settings' });

const RECEPTION = {
  none: 'NONE',
  'account-mailbox': 'ACCOUNT_MAILBOX',
  'dedicated-mailbox': 'DEDICATED_MAILBOX',
} as const;
const RECEPTION_OUT = {
  NONE: 'none',
  ACCOUNT_MAILBOX: 'account-mailbox',
  DEDICATED_MAILBOX: 'dedicated-mailbox',
} as const;

const settingsIn = z
  .object({
    receptionMode: z.enum(['none', 'account-mailbox', 'dedicated-mailbox'], {
      message: 'mode de réception attendu : none, account-mailbox ou dedicated-mailbox',
    }),
    dedicatedMailbox: z.email({ message: 'adresse e-mail invalide' }).max(250).optional(),
    acceptTerms: z
      .boolean({ message: 'booléen attendu' })
      .optional()
      .describe('true : accepte les CGAU dans leur version termsVersion.'),
    termsVersion: z.string().trim().min(1).max(40).optional(),
  })
  .superRefine((v, ctx) => {
    if (v.receptionMode === 'dedicated-mailbox' && !v.dedicatedMailbox) {
      ctx.addIssue({
        code: 'custom',
        path: ['dedicatedMailbox'],
        message: 'obligatoire pour une boîte dédiée aux relevés',
      });
    }
    if (v.acceptTerms === true && !v.termsVersion) {
      ctx.addIssue({ code: 'custom', path: ['termsVersion'], message: 'version des CGAU acceptée obligatoire' });
    }
    if (v.acceptTerms === false) {
      ctx.addIssue({
        code: 'custom',
        path: ['acceptTerms'],
        message: 'l’acceptation des CGAU ne peut pas être retirée',
      });
    }
  });

export function accountRoutes({ api, deps, limiters }: RouteContext) {
  const { prisma } = deps;

  api.op({
    method: 'post',
    path: '/auth/login',
    tag: TAG_AUTH,
    summary: 'Connexion (cookie de session)',
    description: 'Ouvre une session : cookie httpOnly `releves_session`. Limité en fréquence (429 au-delà).',
    auth: false,
    middleware: [limiters.login],
    body: z.object({
      login: z.string().trim().min(1, 'obligatoire').max(200),
      password: z.string().min(1, 'obligatoire').max(500),
    }),
    responses: {
      200: { description: 'Session ouverte', schema: meOut },
      401: { description: 'Identifiants invalides' },
    },
    handler: async ({ body, req, res }) => {
      const user = await prisma.user.findUnique({ where: { login: body.login }, include: { portalAccount: true } });
      const ok = await verifyPassword(body.password, user?.passwordHash ?? (await dummyPasswordHash()));
      if (!user || !ok || !user.active) throw unauthorized('Identifiant ou mot de passe incorrect.');
      if (user.portalAccount.closedAt) throw unauthorized(CLOSED_ACCOUNT);
      const s = newSessionToken();
      await prisma.$transaction(async (tx) => {
        await tx.session.deleteMany({ where: { userId: user.id, expiresAt: { lt: new Date() } } });
        const now = new Date();
        await tx.session.create({
          data: {
            id: s.id,
            userId: user.id,
            csrfToken: s.csrfToken,
            createdAt: now,
            expiresAt: sessionExpiry(now, now, deps.config.SESSION_IDLE_MINUTES * 60_000),
          },
        });
        await tx.auditEvent.create({
          data: {
            portalAccountId: user.portalAccountId,
            actorType: 'USER',
            actorId: user.id,
            action: 'auth.login',
            entityType: 'Session',
            ip: req.ip ?? null,
          },
        });
      });
      res.cookie(SESSION_COOKIE, s.token, {
        ...sessionCookieOptions(req, deps.config.publicBaseUrl),
        maxAge: SESSION_TTL_MS,
      });
      const a = user.portalAccount;
      return {
        actor: { type: 'USER' as const, id: user.id, name: user.displayName },
        rights: user.rights,
        portalAccount: { id: a.id, kind: a.kind, name: a.name, siren: a.siren, parentId: a.parentId, closed: false },
        secondaryAccounts: await secondaries(a.id),
        csrfToken: s.csrfToken,
      };
    },
  });

  api.op({
    method: 'post',
    path: '/auth/logout',
    tag: TAG_AUTH,
    summary: 'Déconnexion',
    responses: { 204: { description: 'Session fermée' } },
    handler: async ({ auth, req, res }) => {
      if (auth.session) {
        const sessionId = auth.session.id;
        await prisma.$transaction(async (tx) => {
          await tx.session.deleteMany({ where: { id: sessionId } });
          await audit(tx, { auth, req }, { action: 'auth.logout', entityType: 'Session' });
        });
      }
      res.clearCookie(SESSION_COOKIE, sessionCookieOptions(req, deps.config.publicBaseUrl));
      res.status(204).end();
    },
  });

  async function secondaries(accountId: string) {
    const rows = await prisma.portalAccount.findMany({ where: { parentId: accountId }, orderBy: { name: 'asc' } });
    return rows.map((a) => ({
      id: a.id,
      kind: a.kind,
      name: a.name,
      siren: a.siren,
      parentId: a.parentId,
      closed: a.closedAt !== null,
    }));
  }

  api.op({
    method: 'get',
    path: '/me',
    tag: TAG_ACCOUNT,
    summary: 'L’appelant : utilisateur ou clé d’API, compte portail, droits, jeton CSRF',
    responses: { 200: { description: 'L’appelant', schema: meOut } },
    handler: async ({ auth }) => ({
      actor: auth.actor,
      rights: [...auth.rights],
      portalAccount: {
        id: auth.account.id,
        kind: auth.account.kind,
        name: auth.account.name,
        siren: auth.account.siren,
        parentId: auth.account.parentId,
        closed: false,
      },
      secondaryAccounts: auth.account.kind === 'PRIMARY' ? await secondaries(auth.account.id) : [],
      csrfToken: auth.session?.csrfToken ?? null,
    }),
  });

  const presentSettings = (a: {
    receptionMode: keyof typeof RECEPTION_OUT;
    dedicatedMailbox: string | null;
    acceptedTermsVersion: string | null;
    acceptedTermsAt: Date | null;
  }) => ({
    receptionMode: RECEPTION_OUT[a.receptionMode],
    dedicatedMailbox: a.dedicatedMailbox,
    acceptedTermsVersion: a.acceptedTermsVersion,
    acceptedTermsAt: iso(a.acceptedTermsAt),
  });

  api.op({
    method: 'get',
    path: '/settings',
    tag: TAG_ACCOUNT,
    summary: 'Paramètres du service : mode de réception des relevés, acceptation des CGAU',
    responses: { 200: { description: 'Paramètres', schema: settingsOut } },
    handler: async ({ auth }) =>
      presentSettings(await prisma.portalAccount.findUniqueOrThrow({ where: { id: auth.account.id } })),
  });

  api.op({
    method: 'put',
    path: '/settings',
    tag: TAG_ACCOUNT,
    summary: 'Modifier le mode de réception (aucun, boîte du compte, boîte dédiée) et accepter les CGAU',
    rights: ['ADMIN'],
    body: settingsIn,
    responses: {
      200: { description: 'Paramètres enregistrés', schema: settingsOut },
      400: { description: 'Champs invalides', schema: undefined },
    },
    handler: async ({ auth, body, req }) => {
      if (body.receptionMode === 'dedicated-mailbox' && body.dedicatedMailbox) {
        // Statements never go to addresses outside the account (manual, section 1).
        const problem = dedicatedMailboxProblem(auth.account.contactEmail, body.dedicatedMailbox);
        if (problem)
          throw badRequest('La boîte dédiée aux relevés est refusée.', [
            { field: 'dedicatedMailbox', reason: problem },
          ]);
      }
      const updated = await prisma.$transaction(async (tx) => {
        const row = await tx.portalAccount.update({
          where: { id: auth.account.id },
          data: {
            receptionMode: RECEPTION[body.receptionMode],
            dedicatedMailbox: body.receptionMode === 'dedicated-mailbox' ? body.dedicatedMailbox : null,
            ...(body.acceptTerms ? { acceptedTermsVersion: body.termsVersion, acceptedTermsAt: new Date() } : {}),
          },
        });
        await audit(
          tx,
          { auth, req },
          { action: 'settings.update', entityType: 'PortalAccount', entityId: auth.account.id, detail: body },
        );
        return row;
      });
      return presentSettings(updated);
    },
  });
}
