/**
 * The invited user of a secondary account chooses a password with the one-time link of the
 * invitation (api/invitations.ts): no session, the link is the credential.
 */
import { z } from 'zod';
import { hashPassword, sha256 } from '../auth';
import { HttpError } from '../errors';
import type { RouteContext } from '../deps';
import { password } from '../schemas';

export function passwordSetupRoutes({ api, deps, limiters }: RouteContext) {
  const { prisma } = deps;

  const setupOut = z.object({ login: z.string(), accountName: z.string(), expiresAt: z.iso.datetime() });

  async function validSetup(token: string) {
    const s = await prisma.passwordSetup.findUnique({
      where: { secretHash: sha256(token) },
      include: { user: { include: { portalAccount: true } } },
    });
    if (!s || s.usedAt || s.revokedAt || s.expiresAt <= new Date() || s.user.portalAccount.closedAt)
      throw new HttpError(
        410,
        'Gone',
        'Ce lien n’est plus valable (déjà utilisé, expiré ou remplacé) : demandez une nouvelle invitation au compte principal.',
      );
    return s;
  }

  api.op({
    method: 'get',
    path: '/auth/password-setup/{token}',
    tag: 'Authentification',
    summary: 'Un lien de choix du mot de passe : l’identifiant et le compte, s’il est encore valable',
    auth: false,
    middleware: [limiters.login],
    params: z.object({ token: z.string().min(20).max(100) }),
    responses: { 200: { description: 'Lien valable', schema: setupOut }, 410: { description: 'Lien plus valable' } },
    handler: async ({ params }) => {
      const s = await validSetup(params.token);
      return { login: s.user.login, accountName: s.user.portalAccount.name, expiresAt: s.expiresAt.toISOString() };
    },
  });

  api.op({
    method: 'post',
    path: '/auth/password-setup',
    tag: 'Authentification',
    summary: 'Choisir son mot de passe avec le lien reçu (usage unique)',
    auth: false,
    middleware: [limiters.login],
    body: z.object({ token: z.string().min(20).max(100), password }),
    responses: { 204: { description: 'Mot de passe enregistré' }, 410: { description: 'Lien plus valable' } },
    handler: async ({ body, req, res }) => {
      const s = await validSetup(body.token);
      const hash = await hashPassword(body.password);
      await prisma.$transaction(async (tx) => {
        const used = await tx.passwordSetup.updateMany({
          where: { id: s.id, usedAt: null },
          data: { usedAt: new Date() },
        });
        if (used.count === 0) throw new HttpError(410, 'Gone', 'Ce lien a déjà été utilisé.');
        await tx.user.update({ where: { id: s.userId }, data: { passwordHash: hash } });
        await tx.auditEvent.create({
          data: {
            portalAccountId: s.user.portalAccountId,
            actorType: 'USER',
            actorId: s.userId,
            action: 'auth.password-setup',
            entityType: 'User',
            entityId: s.userId,
            ip: req.ip ?? null,
          },
        });
      });
      res.status(204).end();
    },
  });
}
