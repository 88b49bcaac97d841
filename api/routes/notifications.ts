/** The account's notifications: list them (read or unread, on request), mark one read. */
import { z } from 'zod';
import { audit } from '../audit';
import { notFound } from '../errors';
import type { RouteContext } from '../deps';
import { idParam, list, pageQuery, queryBool, scopeQuery } from '../schemas';
import { notificationScope, scopeAccountIds } from '../scope';
import { iso } from '../present';

const TAG_ACCOUNT = 'Compte';

const notificationOut = z
  .object({
    id: z.uuid(),
    portalAccountId: z.uuid(),
    kind: z.string(),
    title: z.string(),
    body: z.string(),
    url: z.string().nullable(),
    createdAt: z.iso.datetime(),
    readAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'Notification' });

export function notificationRoutes({ api, deps }: RouteContext) {
  const { prisma } = deps;

  api.op({
    method: 'get',
    path: '/notifications',
    tag: TAG_ACCOUNT,
    summary: 'Notifications (la cloche), les plus récentes d’abord',
    query: scopeQuery.extend(pageQuery.shape).extend({ unread: queryBool.optional() }),
    responses: { 200: { description: 'Notifications', schema: list(notificationOut) } },
    handler: async ({ auth, query }) => {
      const ids = await scopeAccountIds(prisma, auth, query.includeSecondary);
      const where = {
        ...notificationScope(ids),
        ...(query.unread === undefined ? {} : { readAt: query.unread ? null : { not: null } }),
      };
      const [items, total] = await Promise.all([
        prisma.notification.findMany({ where, orderBy: { createdAt: 'desc' }, take: query.limit, skip: query.offset }),
        prisma.notification.count({ where }),
      ]);
      return {
        items: items.map((n) => ({ ...n, createdAt: n.createdAt.toISOString(), readAt: iso(n.readAt) })),
        total,
        limit: query.limit,
        offset: query.offset,
      };
    },
  });

  api.op({
    method: 'post',
    path: '/notifications/{id}/read',
    tag: TAG_ACCOUNT,
    summary: 'Marquer une notification comme lue',
    params: idParam,
    query: scopeQuery,
    responses: { 200: { description: 'Notification', schema: notificationOut }, 404: { description: 'Introuvable' } },
    handler: async ({ auth, params, query, req }) => {
      const ids = await scopeAccountIds(prisma, auth, query.includeSecondary);
      const n = await prisma.notification.findFirst({ where: { id: params.id, ...notificationScope(ids) } });
      if (!n) throw notFound('Notification');
      const updated = await prisma.$transaction(async (tx) => {
        const u = n.readAt ? n : await tx.notification.update({ where: { id: n.id }, data: { readAt: new Date() } });
        await audit(
          tx,
          { auth, req },
          {
            action: 'notification.read',
            entityType: 'Notification',
            entityId: n.id,
            portalAccountId: n.portalAccountId,
          },
        );
        return u;
      });
      return { ...updated, createdAt: updated.createdAt.toISOString(), readAt: iso(updated.readAt) };
    },
  });
}
