/**
 * The portal's Webhooks pages: register an endpoint (the secret shown once), its deliveries with
 * each attempt (state, response, latency), "Renvoyer", a new secret, disable and enable.
 */
import { createWebhookSender, enqueueWebhookEvents } from '../../webhooks-out';
import { createTenant, useApi, type Tenant } from '../api/support';
import { PortalSession, textOf } from './support';

const api = useApi();
let firm: Tenant;
let s: PortalSession;

beforeAll(async () => {
  firm = await createTenant(api.prisma, { name: 'Cabinet Webhooks', rights: ['ADMIN'] });
  await api.prisma.portalAccount.update({
    where: { id: firm.accountId },
    data: { acceptedTermsVersion: '2026-01', acceptedTermsAt: new Date() },
  });
  s = new PortalSession(api);
  expect((await s.login(firm.login, firm.password)).status).toBe(303);
});

test('register, see the secret once, follow deliveries and their attempts, resend, rotate, disable', async () => {
  const list = await s.get('/webhooks');
  expect(list.status).toBe(200);
  expect(textOf(list.text)).toContain('Aucun webhook enregistré.');
  const bad = await s.post('/webhooks', { url: 'pas une url', events: [] });
  expect(bad.status).toBe(400);
  expect(textOf(bad.text)).toContain('au moins un événement');

  // Port 1 on the loopback: nothing listens, every attempt fails (allowed outside production).
  const created = await s.post('/webhooks', {
    url: 'http://127.0.0.1:1/hooks',
    description: 'ERP',
    events: ['statement.issued', 'link.expired'],
  });
  expect(created.status).toBe(201);
  const secret = /whsec_[A-Za-z0-9+/=]+/.exec(created.text)![0];
  expect(textOf(created.text)).toContain('il ne sera plus jamais affiché');
  const endpoint = await api.prisma.webhookEndpoint.findFirstOrThrow({ where: { portalAccountId: firm.accountId } });
  const detailUrl = `/webhooks/${endpoint.id}`;
  expect((await s.get(detailUrl)).text).not.toContain(secret);

  await enqueueWebhookEvents(api.sql, [
    { portalAccountId: firm.accountId, type: 'link.expired', occurredAt: new Date(), idempotencyKey: 'w/1', data: {} },
  ]);
  await createWebhookSender({ config: api.config, sql: api.sql }).sendPendingWebhooks();
  const detail = textOf((await s.get(detailUrl)).text);
  expect(detail).toContain('link.expired');
  expect(detail).toMatch(/échec, \d+ ms échec de la connexion : ECONNREFUSED/);
  expect(detail).toContain('prochaine tentative');

  const message = await api.prisma.webhookMessage.findFirstOrThrow({ where: { endpointId: endpoint.id } });
  const resent = await s.follow(await s.post(`/webhooks/livraisons/${message.id}/renvoyer`, { retour: detailUrl }));
  expect(textOf(resent.text)).toContain('Renvoi de link.expired demandé');
  expect(await api.prisma.webhookMessage.findUniqueOrThrow({ where: { id: message.id } })).toMatchObject({
    resend: true,
    status: 'PENDING',
  });

  const rotated = await s.post(`/webhooks/${endpoint.id}/secret`);
  const next = /whsec_[A-Za-z0-9+/=]+/.exec(rotated.text)![0];
  expect(next).not.toBe(secret);
  expect(textOf(rotated.text)).toContain('L’ancien secret signe encore les envois pendant 24 heures.');
  expect(textOf((await s.get(detailUrl)).text)).toContain('Ancien secret signe encore jusqu’au');

  const off = await s.follow(await s.post(`/webhooks/${endpoint.id}/desactiver`));
  expect(textOf(off.text)).toContain('Webhook désactivé.');
  expect(off.text).not.toContain('/renvoyer');
  const on = await s.follow(await s.post(`/webhooks/${endpoint.id}/activer`));
  expect(textOf(on.text)).toContain('Webhook réactivé');
  const gone = await s.follow(await s.post(`/webhooks/${endpoint.id}/supprimer`));
  expect(textOf(gone.text)).toContain('Webhook supprimé.');
});
