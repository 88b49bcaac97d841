/**
 * Outgoing webhooks (issue 19): a firm's endpoints (URL, events, description), their secret shown
 * once (at creation and at each rotation; the previous one still signs for 24 h), their deliveries
 * with every attempt, and "Renvoyer" for one delivery. Right: ADMIN (a secret is a credential).
 * Delivery itself is the worker's (webhooks-out/sender.ts).
 */
import { z } from 'zod';
import {
  EVENT_LABELS,
  EVENT_TYPES,
  ROTATION_OVERLAP_MS,
  encryptSecret,
  newWebhookSecret,
  policyFor,
  urlProblem,
} from '../../webhooks-out';
import type { Prisma } from '../../db/client';
import { audit } from '../audit';
import type { AuthContext } from '../auth-context';
import { HttpError, badRequest, notFound } from '../errors';
import { idParam, list, pageQuery } from '../schemas';
import type { RouteContext } from '../deps';

const TAG = 'Webhooks';

const eventEnum = z.enum(EVENT_TYPES, { message: `événement inconnu : ${EVENT_TYPES.join(', ')}` });
const urlIn = z
  .string({ message: 'adresse attendue' })
  .trim()
  .min(1, 'adresse obligatoire')
  .max(2000, 'adresse trop longue (2000 caractères au plus)');
const eventsIn = z
  .array(eventEnum, { message: 'liste d’événements attendue' })
  .min(1, 'au moins un événement')
  .describe(EVENT_TYPES.map((t) => `${t} : ${EVENT_LABELS[t]}`).join(' ; '));
const descriptionIn = z.string({ message: 'texte attendu' }).trim().max(200, '200 caractères au plus');

export const webhookEndpointOut = z
  .object({
    id: z.uuid(),
    url: z.string(),
    description: z.string(),
    events: z.array(eventEnum),
    enabled: z.boolean(),
    disabledAt: z.iso.datetime().nullable(),
    disabledReason: z.string().nullable(),
    failingSince: z.iso.datetime().nullable(),
    lastSuccessAt: z.iso.datetime().nullable(),
    previousSecretExpiresAt: z.iso.datetime().nullable().describe('L’ancien secret signe encore jusqu’à cette date'),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'WebhookEndpoint' });

const withSecret = webhookEndpointOut
  .extend({ secret: z.string().describe('whsec_… : affiché une seule fois, à conserver') })
  .meta({ id: 'WebhookEndpointWithSecret' });

const attemptOut = z.object({
  at: z.iso.datetime(),
  succeeded: z.boolean(),
  statusCode: z.number().int().nullable(),
  latencyMs: z.number().int(),
  error: z.string().nullable(),
  manual: z.boolean().describe('true : « Renvoyer »'),
});

export const webhookDeliveryOut = z
  .object({
    id: z.uuid(),
    endpointId: z.uuid(),
    eventId: z.string().describe('webhook-id'),
    type: eventEnum,
    occurredAt: z.iso.datetime(),
    status: z.enum(['pending', 'sending', 'succeeded', 'failed']),
    attemptCount: z.number().int(),
    nextAttemptAt: z.iso.datetime().nullable(),
    lastStatusCode: z.number().int().nullable(),
    lastError: z.string().nullable(),
    deliveredAt: z.iso.datetime().nullable(),
    payload: z.unknown().describe('Le corps envoyé'),
    attempts: z.array(attemptOut),
  })
  .meta({ id: 'WebhookDelivery' });

const iso = (d: Date | null) => (d ? d.toISOString() : null);

type EndpointRow = Prisma.WebhookEndpointGetPayload<object>;
function present(e: EndpointRow) {
  return {
    id: e.id,
    url: e.url,
    description: e.description,
    events: e.events as Array<(typeof EVENT_TYPES)[number]>,
    enabled: e.enabled,
    disabledAt: iso(e.disabledAt),
    disabledReason: e.disabledReason,
    failingSince: iso(e.failingSince),
    lastSuccessAt: iso(e.lastSuccessAt),
    previousSecretExpiresAt: iso(e.previousSecretExpiresAt),
    createdAt: e.createdAt.toISOString(),
  };
}

const deliveryInclude = {
  event: true,
  attemptLog: { orderBy: { at: 'desc' }, take: 20 },
} satisfies Prisma.WebhookMessageInclude;
function presentDelivery(m: Prisma.WebhookMessageGetPayload<{ include: typeof deliveryInclude }>) {
  return {
    id: m.id,
    endpointId: m.endpointId,
    eventId: m.eventId,
    type: m.event.type as (typeof EVENT_TYPES)[number],
    occurredAt: m.event.occurredAt.toISOString(),
    status: m.status.toLowerCase() as 'pending' | 'sending' | 'succeeded' | 'failed',
    attemptCount: m.attemptLog.length,
    nextAttemptAt: m.status === 'PENDING' ? iso(m.nextAttemptAt) : null,
    lastStatusCode: m.lastStatusCode,
    lastError: m.lastError,
    deliveredAt: iso(m.deliveredAt),
    payload: JSON.parse(m.event.body) as unknown,
    attempts: m.attemptLog.map((a) => ({
      at: a.at.toISOString(),
      succeeded: a.succeeded,
      statusCode: a.statusCode,
      latencyMs: a.latencyMs,
      error: a.error,
      manual: a.manual,
    })),
  };
}

export function webhookRoutes(ctx: RouteContext) {
  const { api, deps } = ctx;
  const { prisma, config } = deps;
  const policy = policyFor(config);

  const checkUrl = (url: string) => {
    const problem = urlProblem(url, policy);
    if (problem) throw badRequest('L’adresse du webhook est refusée.', [{ field: 'url', reason: problem }]);
  };

  async function find(auth: AuthContext, id: string) {
    const e = await prisma.webhookEndpoint.findFirst({ where: { id, portalAccountId: auth.account.id } });
    if (!e) throw notFound('Webhook');
    return e;
  }

  api.op({
    method: 'get',
    path: '/webhook-endpoints',
    tag: TAG,
    summary: 'Les webhooks du compte',
    rights: ['ADMIN'],
    responses: { 200: { description: 'Webhooks', schema: z.object({ items: z.array(webhookEndpointOut) }) } },
    handler: async ({ auth }) => ({
      items: (
        await prisma.webhookEndpoint.findMany({
          where: { portalAccountId: auth.account.id },
          orderBy: { createdAt: 'asc' },
        })
      ).map(present),
    }),
  });

  api.op({
    method: 'post',
    path: '/webhook-endpoints',
    tag: TAG,
    summary: 'Enregistrer un webhook (le secret whsec_… n’est affiché qu’ici)',
    description:
      'Signé selon Standard Webhooks (en-têtes webhook-id, webhook-timestamp, webhook-signature). En production : https uniquement, jamais d’adresse interne.',
    rights: ['ADMIN'],
    status: 201,
    body: z.object({ url: urlIn, events: eventsIn, description: descriptionIn.optional() }),
    responses: { 201: { description: 'Webhook créé, avec son secret', schema: withSecret } },
    handler: async ({ auth, body, req }) => {
      checkUrl(body.url);
      const secret = newWebhookSecret();
      const e = await prisma.$transaction(async (tx) => {
        const created = await tx.webhookEndpoint.create({
          data: {
            portalAccountId: auth.account.id,
            url: body.url,
            description: body.description ?? '',
            events: [...new Set(body.events)],
            secretEnc: encryptSecret(secret, config.ENCRYPTION_KEY),
          },
        });
        await audit(
          tx,
          { auth, req },
          {
            action: 'webhook.create',
            entityType: 'WebhookEndpoint',
            entityId: created.id,
            detail: { url: body.url, events: body.events },
          },
        );
        return created;
      });
      return { ...present(e), secret };
    },
  });

  api.op({
    method: 'get',
    path: '/webhook-endpoints/{id}',
    tag: TAG,
    summary: 'Un webhook',
    rights: ['ADMIN'],
    params: idParam,
    responses: { 200: { description: 'Webhook', schema: webhookEndpointOut } },
    handler: async ({ auth, params }) => present(await find(auth, params.id)),
  });

  api.op({
    method: 'patch',
    path: '/webhook-endpoints/{id}',
    tag: TAG,
    summary: 'Modifier un webhook (adresse, événements, description) ; enabled : le désactiver ou le réactiver',
    rights: ['ADMIN'],
    params: idParam,
    body: z
      .object({
        url: urlIn.optional(),
        events: eventsIn.optional(),
        description: descriptionIn.optional(),
        enabled: z.boolean({ message: 'booléen attendu' }).optional(),
      })
      .refine((b) => Object.values(b).some((v) => v !== undefined), { message: 'au moins un champ à modifier' }),
    responses: { 200: { description: 'Webhook', schema: webhookEndpointOut } },
    handler: async ({ auth, params, body, req }) => {
      const e = await find(auth, params.id);
      if (body.url) checkUrl(body.url);
      const now = new Date();
      const updated = await prisma.$transaction(async (tx) => {
        const u = await tx.webhookEndpoint.update({
          where: { id: e.id },
          data: {
            url: body.url,
            events: body.events ? [...new Set(body.events)] : undefined,
            description: body.description,
            ...(body.enabled === true && !e.enabled
              ? { enabled: true, disabledAt: null, disabledReason: null, failingSince: null }
              : body.enabled === false && e.enabled
                ? { enabled: false, disabledAt: now, disabledReason: 'désactivé par le cabinet' }
                : {}),
          },
        });
        await audit(
          tx,
          { auth, req },
          { action: 'webhook.update', entityType: 'WebhookEndpoint', entityId: e.id, detail: body },
        );
        return u;
      });
      return present(updated);
    },
  });

  api.op({
    method: 'delete',
    path: '/webhook-endpoints/{id}',
    tag: TAG,
    summary: 'Supprimer un webhook (et l’historique de ses livraisons)',
    rights: ['ADMIN'],
    params: idParam,
    status: 204,
    responses: { 204: { description: 'Supprimé' } },
    handler: async ({ auth, params, req }) => {
      const e = await find(auth, params.id);
      await prisma.$transaction(async (tx) => {
        await tx.webhookEndpoint.delete({ where: { id: e.id } });
        await audit(
          tx,
          { auth, req },
          { action: 'webhook.delete', entityType: 'WebhookEndpoint', entityId: e.id, detail: { url: e.url } },
        );
      });
    },
  });

  api.op({
    method: 'post',
    path: '/webhook-endpoints/{id}/rotate-secret',
    tag: TAG,
    summary: 'Nouveau secret (affiché une seule fois) ; l’ancien signe encore pendant 24 h',
    rights: ['ADMIN'],
    params: idParam,
    responses: { 200: { description: 'Webhook et nouveau secret', schema: withSecret } },
    handler: async ({ auth, params, req }) => {
      const e = await find(auth, params.id);
      const secret = newWebhookSecret();
      const updated = await prisma.$transaction(async (tx) => {
        const u = await tx.webhookEndpoint.update({
          where: { id: e.id },
          data: {
            secretEnc: encryptSecret(secret, config.ENCRYPTION_KEY),
            previousSecretEnc: e.secretEnc,
            previousSecretExpiresAt: new Date(Date.now() + ROTATION_OVERLAP_MS),
          },
        });
        await audit(
          tx,
          { auth, req },
          { action: 'webhook.rotate-secret', entityType: 'WebhookEndpoint', entityId: e.id },
        );
        return u;
      });
      return { ...present(updated), secret };
    },
  });

  api.op({
    method: 'get',
    path: '/webhook-endpoints/{id}/deliveries',
    tag: TAG,
    summary: 'Les livraisons d’un webhook (les plus récentes d’abord), chacune avec ses tentatives',
    rights: ['ADMIN'],
    params: idParam,
    query: pageQuery.extend({
      status: z
        .enum(['pending', 'sending', 'succeeded', 'failed'], {
          message: 'pending, sending, succeeded ou failed attendu',
        })
        .optional(),
    }),
    responses: { 200: { description: 'Livraisons', schema: list(webhookDeliveryOut) } },
    handler: async ({ auth, params, query }) => {
      const e = await find(auth, params.id);
      const where: Prisma.WebhookMessageWhereInput = {
        endpointId: e.id,
        ...(query.status ? { status: query.status.toUpperCase() as 'PENDING' } : {}),
      };
      const [rows, total] = await Promise.all([
        prisma.webhookMessage.findMany({
          where,
          include: deliveryInclude,
          orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
          take: query.limit,
          skip: query.offset,
        }),
        prisma.webhookMessage.count({ where }),
      ]);
      return { items: rows.map(presentDelivery), total, limit: query.limit, offset: query.offset };
    },
  });

  api.op({
    method: 'post',
    path: '/webhook-deliveries/{id}/resend',
    tag: TAG,
    summary: 'Renvoyer une livraison (une tentative de plus, tout de suite)',
    rights: ['ADMIN'],
    params: idParam,
    status: 202,
    responses: {
      202: { description: 'Renvoi demandé', schema: webhookDeliveryOut },
      409: { description: 'Webhook désactivé' },
    },
    handler: async ({ auth, params, req }) => {
      const m = await prisma.webhookMessage.findFirst({
        where: { id: params.id, endpoint: { portalAccountId: auth.account.id } },
        include: { endpoint: true },
      });
      if (!m) throw notFound('Livraison');
      if (!m.endpoint.enabled)
        throw new HttpError(
          409,
          'Conflict',
          'Ce webhook est désactivé : réactivez-le avant de renvoyer une livraison.',
        );
      const updated = await prisma.$transaction(async (tx) => {
        await tx.webhookMessage.updateMany({
          where: { id: m.id, status: { not: 'SENDING' } },
          data: { status: 'PENDING', resend: true, nextAttemptAt: new Date(), claimedAt: null },
        });
        await audit(tx, { auth, req }, { action: 'webhook.resend', entityType: 'WebhookMessage', entityId: m.id });
        return tx.webhookMessage.findUniqueOrThrow({ where: { id: m.id }, include: deliveryInclude });
      });
      return presentDelivery(updated);
    },
  });
}
