/**
 * The company's side without a browser, through real HTTP: the firm sends a link with the API,
 * the company opens /l/:token, consents (303 to the Powens sandbox's webview), the webview is
 * played by the sandbox's admin API, and its redirect is followed to /powens/callback. Also every
 * refusal: callback errors, forged / expired / replayed state, a link used twice, expired or
 * unknown links, missing consent, the rate limit, and the reconnect flow of an update link.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createApp } from '../../api/app';
import { issueWebviewState } from '../../api/public/state';
import { createLogger } from '../../lib/logger';
import { call, createTenant, siren, type Tenant } from '../api/support';
import { waitFor } from './support';
import { linkTokenFromEmail, usePowensStack } from './stack';

const s = usePowensStack();
let n = 0;

async function company(tenant: Tenant) {
  n++;
  return s.prisma.company.create({
    data: {
      portalAccountId: tenant.accountId,
      rootAccountId: tenant.rootId,
      siren: siren(5000 + n),
      name: `Entreprise Test ${n}`,
      email: `redevable${n}@example.test`,
      periodicityKind: 'MONTHLY',
      periodicityDay: 0,
    },
  });
}

/** The firm sends an add-accounts link through the API; the company's token, from the e-mail. */
async function sendLink(tenant: Tenant, companyId: string, email: string) {
  const r = await call(s, 'POST', `/api/v1/companies/${companyId}/links`, { key: tenant.key, body: {} });
  expect(r.status).toBe(201);
  return { link: r.body as { id: string }, token: await linkTokenFromEmail(s.prisma, email) };
}

const get = (path: string) => fetch(path.startsWith('http') ? path : `${s.baseUrl}${path}`, { redirect: 'manual' });
const consent = (token: string, body = 'consent=yes') =>
  fetch(`${s.baseUrl}/l/${token}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
    redirect: 'manual',
  });

/** POST /l/:token with consent: the webview URL (Location of the 303). */
async function webviewUrl(token: string): Promise<URL> {
  const res = await consent(token);
  expect(res.status).toBe(303);
  return new URL(res.headers.get('location')!);
}

async function playWebview(url: URL, body: Record<string, unknown> = {}) {
  const done = await s.admin<{ redirect: string }>('POST', '/webview/complete', {
    url: url.toString(),
    bank: 'Connecteur de test',
    accounts: ['checking', 'card', 'savings'],
    ...body,
  });
  expect(done.status).toBe(200);
  return new URL(done.body.redirect);
}

async function setup() {
  const tenant = await createTenant(s.prisma, { name: 'EXPERT COMPTABLE TEST' });
  const c = await company(tenant);
  const { link, token } = await sendLink(tenant, c.id, c.email!);
  return { tenant, company: c, link, token };
}

describe('the full connect flow', () => {
  let f: Awaited<ReturnType<typeof setup>>;
  let callback: URL;

  test('link page → consent → sandbox webview (statement-capable accounts by default) → callback: everything recorded', async () => {
    f = await setup();
    const page = await get(`/l/${f.token}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('EXPERT COMPTABLE TEST');
    expect(html).toContain(f.company.name);
    expect(html).toContain('Powens');
    expect(html).toContain('RGPD');
    expect(html).toContain('name="consent"');

    const url = await webviewUrl(f.token);
    expect(url.origin).toBe(s.sandboxOrigin);
    expect(url.pathname).toBe('/webview/fr/connect');
    expect(url.searchParams.get('redirect_uri')).toBe(`${s.baseUrl}/powens/callback`);
    expect(url.searchParams.get('client_id')).toBe(s.config.POWENS_CLIENT_ID);
    expect(url.searchParams.get('state')).toMatch(/^[\w-]+\.\d+\.[\w-]{43}$/);
    // Only the account types that can get a CFONB statement (with an IBAN); no bank was chosen.
    expect(url.searchParams.get('account_types')).toBe('checking,joint,savings,deposit');
    expect(url.searchParams.has('connector_uuids')).toBe(false);
    expect(url.searchParams.has('connector_ids')).toBe(false);
    // The company got its permanent Powens user, token encrypted at rest.
    const withUser = await s.prisma.company.findUniqueOrThrow({ where: { id: f.company.id } });
    expect(withUser.powensUserId).toEqual(expect.any(Number));
    expect(withUser.powensTokenEnc).toMatch(/^v1:/);

    // An operator may lift the default filter (POWENS_WEBVIEW_ACCOUNT_TYPES=all; the filter itself:
    // 'a link for a bank of the firm’s referential' below): then a card the company picks comes back,
    // and the callback keeps it without IBAN, never active.
    url.searchParams.delete('account_types');
    callback = await playWebview(url);
    expect(callback.origin + callback.pathname).toBe(`${s.baseUrl}/powens/callback`);
    const powensConnectionId = Number(callback.searchParams.get('connection_id'));
    const res = await get(callback.toString());
    expect(res.status).toBe(200);
    const thanks = await res.text();
    expect(thanks).toContain('Merci, vos comptes sont connectés');

    // What Powens has for this connection: the enabled accounts are the ones chosen.
    const state = await s.admin<{ connections: Array<{ id: number; accounts: Array<Record<string, unknown>> }> }>(
      'GET',
      '/state',
    );
    const remote = state.body.connections.find((c) => c.id === powensConnectionId)!;
    const enabled = remote.accounts.filter((a) => a.disabled === null);
    expect(enabled.length).toBeGreaterThanOrEqual(3);
    expect(new Set(enabled.map((a) => a.type))).toEqual(new Set(['checking', 'card', 'savings']));

    const connection = await s.prisma.bankConnection.findUniqueOrThrow({
      where: { powensConnectionId },
      include: { accounts: { orderBy: { powensAccountId: 'asc' } } },
    });
    expect(connection).toMatchObject({ companyId: f.company.id, connectorName: 'Connecteur de test', active: true });
    expect(
      connection.accounts.map((a) => ({
        powensAccountId: a.powensAccountId,
        iban: a.iban,
        number: a.number,
        bic: a.bic,
        label: a.label,
        type: a.type,
        currency: a.currency,
        active: a.active,
      })),
    ).toEqual(
      enabled
        .map((a) => ({
          powensAccountId: a.id,
          iban: a.iban,
          number: a.number,
          bic: a.bic,
          label: a.original_name,
          type: a.type,
          currency: (a.currency as { id: string }).id,
          // A card has no IBAN at Powens (nor a RIB): kept, never active for statements.
          active: a.type !== 'card',
        }))
        .sort((x, y) => (x.powensAccountId as number) - (y.powensAccountId as number)),
    );
    expect(connection.accounts.find((a) => a.type === 'card')!.iban).toBeNull();
    expect(connection.accounts.some((a) => a.currency === 'USD')).toBe(true);
    for (const a of connection.accounts.filter((x) => x.active))
      expect(thanks).toContain(a.label.toLocaleUpperCase('fr-FR'));
    expect(thanks).toContain('Compte carte débit différé — Relevé CFONB indisponible : compte sans IBAN (carte)');

    // The link is used; the firm has its e-mail (4.1.5) and its notification.
    expect((await s.prisma.link.findUniqueOrThrow({ where: { id: f.link.id } })).usedAt).not.toBeNull();
    const email = await s.prisma.emailMessage.findFirstOrThrow({
      where: { portalAccountId: f.tenant.accountId, kind: 'firm.accounts-connected' },
    });
    expect(email.to).toBe(
      (await s.prisma.portalAccount.findUniqueOrThrow({ where: { id: f.tenant.accountId } })).contactEmail,
    );
    expect(email.textBody).toContain('a saisi ses identifiants bancaires');
    expect(email.textBody).toContain('(CONNECTEUR DE TEST)');
    const notification = await s.prisma.notification.findFirstOrThrow({
      where: { portalAccountId: f.tenant.accountId, kind: 'CONNECTION_ADDED' },
    });
    expect(notification.title).toContain(f.company.name);
    const audit = await s.prisma.auditEvent.findMany({
      where: { portalAccountId: f.tenant.accountId, actorType: 'COMPANY_LINK' },
      orderBy: { at: 'asc' },
    });
    expect(audit.map((a) => a.action)).toEqual(['link.consent', 'powens.callback.connect']);

    // The connection's workflow was started, with `accountsChanged`, on the configured task queue.
    const handle = s.env.client.workflow.getHandle(`bank-connection/${connection.id}`);
    const d = await handle.describe();
    expect(d.status.name).toBe('RUNNING');
    expect(d.type).toBe('bankConnectionWorkflow');
    expect(d.taskQueue).toBe(s.config.TEMPORAL_TASK_QUEUE);
    expect(await s.signalsOf(connection.id)).toEqual(['accountsChanged']);
  });

  test('the link page now says the link was used (a link works once)', async () => {
    const res = await get(`/l/${f.token}`);
    expect(res.status).toBe(410);
    const html = await res.text();
    expect(html).toContain('Lien déjà utilisé');
    expect(html).toContain('EXPERT COMPTABLE TEST');
    expect((await consent(f.token)).status).toBe(410);
  });

  test('the same callback replayed is refused and records nothing twice', async () => {
    const before = await s.prisma.bankAccount.count();
    const res = await get(callback.toString());
    expect(res.status).toBe(409);
    expect(await res.text()).toContain('déjà été traité');
    expect(await s.prisma.bankAccount.count()).toBe(before);
    expect(await s.prisma.emailMessage.count({ where: { kind: 'firm.accounts-connected' } })).toBe(1);
  });

  test('the sandbox’s webhooks for this connection reach the API and the workflow', async () => {
    const results = await s.sandbox.flushWebhooks();
    expect(results.length).toBeGreaterThan(0);
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(await s.prisma.webhookDelivery.count()).toBe(results.length);
    const connection = await s.prisma.bankConnection.findFirstOrThrow({ where: { companyId: f.company.id } });
    const expected = results.some((r) => r.event === 'CONNECTION_SYNCED') ? 'synced' : 'accountsChanged';
    const signals = await waitFor(
      () => s.signalsOf(connection.id),
      (names) => names.length > 1,
    );
    expect(signals[0]).toBe('accountsChanged');
    expect(signals.slice(1)).toContain(expected);
  });

  test('the update-credentials link reconnects with reset_credentials and signals `reconnected` (the workflow tells the firm)', async () => {
    const connection = await s.prisma.bankConnection.findFirstOrThrow({ where: { companyId: f.company.id } });
    const forced = await s.admin('POST', `/connections/${connection.powensConnectionId}/state`, {
      state: 'wrongpass',
      apply: true,
    });
    expect(forced.status).toBe(200);
    // As the workflow records it after a failed collection.
    await s.prisma.bankConnection.update({ where: { id: connection.id }, data: { state: 'wrongpass' } });
    const r = await call(s, 'POST', `/api/v1/connections/${connection.id}/links`, { key: f.tenant.key, body: {} });
    expect(r.status).toBe(201);
    const token = await linkTokenFromEmail(s.prisma, f.company.email!);
    const page = await get(`/l/${token}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Mise à jour de vos identifiants bancaires');
    expect(html).toContain('Compte chèque');

    const url = await webviewUrl(token);
    expect(url.pathname).toBe('/webview/fr/reconnect');
    expect(url.searchParams.get('connection_id')).toBe(String(connection.powensConnectionId));
    expect(url.searchParams.get('reset_credentials')).toBe('true');
    const back = await playWebview(url, { credentials: { login: 'demo', password: '5678' } });
    expect([...back.searchParams.keys()]).toEqual(['state']);
    const res = await get(back.toString());
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('vos identifiants sont à jour');

    expect((await s.prisma.bankConnection.findUniqueOrThrow({ where: { id: connection.id } })).state).toBeNull();
    expect(
      (await s.prisma.link.findUniqueOrThrow({ where: { id: (r.body as { id: string }).id } })).usedAt,
    ).not.toBeNull();
    // The firm's "a mis à jour ses identifiants" has one writer, the workflow, once it sees the
    // connection fine (test/workflows/connection-health.test.ts): the callback only signals it.
    expect(
      await s.prisma.emailMessage.count({
        where: { portalAccountId: f.tenant.accountId, kind: 'firm.credentials-updated' },
      }),
    ).toBe(0);
    expect(await s.signalsOf(connection.id)).toContain('reconnected');
  });
});

describe('a link for a bank of the firm’s referential', () => {
  test('the webview opens on that bank by its connector uuid, learnt once from the deprecated id', async () => {
    const tenant = await createTenant(s.prisma, { name: 'CABINET BANQUES' });
    const bank = await call(s, 'POST', '/api/v1/banks', {
      key: tenant.key,
      body: { name: 'Crédit Fictif (agence)', powensConnectorId: 60 },
    });
    expect(bank.status).toBe(201);
    const bankId = (bank.body as { id: string }).id;
    const c = await company(tenant);
    const r = await call(s, 'POST', `/api/v1/companies/${c.id}/links`, { key: tenant.key, body: { bankId } });
    expect(r.status).toBe(201);
    expect(await s.prisma.link.findUniqueOrThrow({ where: { id: (r.body as { id: string }).id } })).toMatchObject({
      bankId,
    });
    const url = await webviewUrl(await linkTokenFromEmail(s.prisma, c.email!));
    const connectors = await s.admin<{ connectors: Array<{ id: number; uuid: string; name: string }> }>(
      'GET',
      '/connectors',
    );
    const fictif = connectors.body.connectors.find((x) => x.id === 60)!;
    expect(url.searchParams.get('connector_uuids')).toBe(fictif.uuid);
    expect(url.searchParams.has('connector_ids')).toBe(false);
    expect(await s.prisma.bank.findUniqueOrThrow({ where: { id: bankId } })).toMatchObject({
      powensConnectorUuid: fictif.uuid,
    });
    // The sandbox's webview skips its bank list: whatever bank the player names, the link's is used.
    const back = await playWebview(url, { bank: 'Connecteur de test', accounts: ['checking'] });
    expect((await get(back.toString())).status).toBe(200);
    const connection = await s.prisma.bankConnection.findFirstOrThrow({ where: { companyId: c.id } });
    expect(connection).toMatchObject({ connectorName: 'Crédit Fictif', powensConnectorId: 60 });
  });

  test('by default the webview offers no account that cannot get a statement (a card: no IBAN)', async () => {
    const tenant = await createTenant(s.prisma);
    const c = await company(tenant);
    expect((await call(s, 'POST', `/api/v1/companies/${c.id}/links`, { key: tenant.key, body: {} })).status).toBe(201);
    const url = await webviewUrl(await linkTokenFromEmail(s.prisma, c.email!));
    const card = await s.admin<{ error?: string; step?: string }>('POST', '/webview/complete', {
      url: url.toString(),
      accounts: ['card'],
    });
    expect(card).toMatchObject({ status: 422, body: { step: 'accounts' } });
    expect(card.body.error).toContain('aucun compte proposé');
  });

  test('a bank given by its uuid is used as is', async () => {
    const tenant = await createTenant(s.prisma);
    const connectors = await s.admin<{ connectors: Array<{ uuid: string; name: string }> }>('GET', '/connectors');
    const neo = connectors.body.connectors.find((x) => x.name === 'Néobanque Démo')!;
    const bank = await call(s, 'POST', '/api/v1/banks', {
      key: tenant.key,
      body: { name: 'Néobanque', powensConnectorUuid: neo.uuid },
    });
    expect(bank.status).toBe(201);
    expect(bank.body).toMatchObject({ powensConnectorUuid: neo.uuid, powensConnectorId: null });
    const c = await company(tenant);
    const bankId = (bank.body as { id: string }).id;
    expect(
      (await call(s, 'POST', `/api/v1/companies/${c.id}/links`, { key: tenant.key, body: { bankId } })).status,
    ).toBe(201);
    const url = await webviewUrl(await linkTokenFromEmail(s.prisma, c.email!));
    expect(url.searchParams.get('connector_uuids')).toBe(neo.uuid);
    const bad = await call(s, 'POST', '/api/v1/banks', {
      key: tenant.key,
      body: { name: 'Autre', powensConnectorUuid: 'pas-un-uuid' },
    });
    expect(bad.status).toBe(400);
  });
});

describe('direct connection by the firm (own SIREN, no link)', () => {
  test('POST /connect → webview → callback: recorded, audited as Powens, workflow started', async () => {
    const own = siren(7777);
    const tenant = await createTenant(s.prisma, { siren: own });
    const c = await s.prisma.company.create({
      data: {
        portalAccountId: tenant.accountId,
        rootAccountId: tenant.rootId,
        siren: own,
        name: 'CABINET LUI-MÊME',
        periodicityKind: 'DAILY',
      },
    });
    const r = await call(s, 'POST', `/api/v1/companies/${c.id}/connect`, { key: tenant.key, body: {} });
    expect(r.status).toBe(200);
    const url = new URL((r.body as { url: string }).url);
    expect(url.searchParams.get('state')).toBeTruthy();
    const back = await playWebview(url, { accounts: ['checking'] });
    const res = await get(back.toString());
    expect(res.status).toBe(200);
    const connection = await s.prisma.bankConnection.findFirstOrThrow({
      where: { companyId: c.id },
      include: { accounts: true },
    });
    expect(connection.accounts.map((a) => a.type)).toEqual(expect.arrayContaining(['checking']));
    expect(connection.accounts.every((a) => a.type === 'checking')).toBe(true);
    const audit = await s.prisma.auditEvent.findFirstOrThrow({
      where: { action: 'powens.callback.connect', entityId: c.id },
    });
    expect(audit.actorType).toBe('POWENS');
    expect(await s.signalsOf(connection.id)).toEqual(['accountsChanged']);
    expect((await get(back.toString())).status).toBe(409);
  });
});

describe('callback errors', () => {
  const cases: Array<[string, string]> = [
    ['access_denied', 'Opération annulée'],
    ['tos_declined', 'Conditions non acceptées'],
    ['session_expired', 'Session expirée'],
    ['server_error', 'Erreur chez notre partenaire'],
    ['something_new', 'Connexion interrompue'],
  ];
  test.each(cases)('error=%s: French page, nothing recorded, the link still works', async (code, title) => {
    const f = await setup();
    const url = await webviewUrl(f.token);
    const state = url.searchParams.get('state')!;
    const q = new URLSearchParams({ error: code, error_description: 'Powens description', state });
    const res = await get(`/powens/callback?${q}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain(title);
    expect(html).not.toContain('Powens description'); // Powens' English text is not shown as is
    expect(await s.prisma.bankConnection.count({ where: { companyId: f.company.id } })).toBe(0);
    expect((await s.prisma.link.findUniqueOrThrow({ where: { id: f.link.id } })).usedAt).toBeNull();
    expect((await get(`/l/${f.token}`)).status).toBe(200);
    // The error callback itself is single-use too.
    expect((await get(`/powens/callback?${q}`)).status).toBe(409);
  });

  test('cancelling in the sandbox webview comes back as access_denied', async () => {
    const f = await setup();
    const back = await playWebview(await webviewUrl(f.token), { cancel: true });
    expect(back.searchParams.get('error')).toBe('access_denied');
    const res = await get(back.toString());
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Opération annulée');
    expect((await s.prisma.link.findUniqueOrThrow({ where: { id: f.link.id } })).usedAt).toBeNull();
  });

  test('declining the terms in the sandbox webview comes back as tos_declined', async () => {
    const f = await setup();
    const back = await playWebview(await webviewUrl(f.token), { declineTerms: true });
    expect(back.searchParams.get('error')).toBe('tos_declined');
    expect(await (await get(back.toString())).text()).toContain('Conditions non acceptées');
  });
});

describe('state', () => {
  test('a forged state (altered id, expiry or MAC, or none) is refused before anything is read', async () => {
    const f = await setup();
    const url = await webviewUrl(f.token);
    const back = await playWebview(url);
    const state = back.searchParams.get('state')!;
    const [id, exp, mac] = state.split('.') as [string, string, string];
    const forge = (st: string | null) => {
      const u = new URL(back);
      if (st === null) u.searchParams.delete('state');
      else u.searchParams.set('state', st);
      return get(u.toString());
    };
    const flip = (t: string) => (t[0] === 'A' ? 'B' : 'A') + t.slice(1);
    for (const st of [
      `${flip(id)}.${exp}.${mac}`,
      `${id}.${Number(exp) + 3600}.${mac}`,
      `${id}.${exp}.${flip(mac)}`,
      null,
      'x',
    ]) {
      const res = await forge(st);
      expect(res.status).toBe(400);
      expect(await res.text()).toContain('non reconnu');
    }
    expect(await s.prisma.bankConnection.count({ where: { companyId: f.company.id } })).toBe(0);
    // The genuine one still works.
    expect((await forge(state)).status).toBe(200);
  });

  test('an expired state is refused (the webview was opened too long ago)', async () => {
    const f = await setup();
    const old = await issueWebviewState(
      s.prisma,
      s.config.SESSION_SECRET,
      { flow: 'connect', companyId: f.company.id, linkId: f.link.id },
      new Date(Date.now() - 2 * 3600_000),
    );
    const res = await get(`/powens/callback?connection_id=1&state=${encodeURIComponent(old)}`);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('Session expirée');
  });

  test('a state signed with another secret is refused', async () => {
    const f = await setup();
    const other = await issueWebviewState(s.prisma, 'another-secret-of-at-least-32-characters!', {
      flow: 'connect',
      companyId: f.company.id,
    });
    expect((await get(`/powens/callback?connection_id=1&state=${encodeURIComponent(other)}`)).status).toBe(400);
  });
});

describe('links', () => {
  test('a link used twice: two webviews opened from it, only the first callback counts', async () => {
    const f = await setup();
    const first = await playWebview(await webviewUrl(f.token));
    const second = await playWebview(await webviewUrl(f.token), { accounts: ['checking'] });
    expect((await get(first.toString())).status).toBe(200);
    const res = await get(second.toString());
    expect(res.status).toBe(410);
    expect(await res.text()).toContain('Lien déjà utilisé');
    const connections = await s.prisma.bankConnection.findMany({ where: { companyId: f.company.id } });
    expect(connections.map((c) => c.powensConnectionId)).toEqual([Number(first.searchParams.get('connection_id'))]);
  });

  test('an expired link: French page naming the firm, no webview; a new link from the API works', async () => {
    const f = await setup();
    await s.prisma.link.update({ where: { id: f.link.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const res = await get(`/l/${f.token}`);
    expect(res.status).toBe(410);
    const html = await res.text();
    expect(html).toContain('Lien expiré');
    expect(html).toContain('EXPERT COMPTABLE TEST');
    expect((await consent(f.token)).status).toBe(410);
    expect(await s.prisma.webviewState.count({ where: { linkId: f.link.id } })).toBe(0);

    const again = await sendLink(f.tenant, f.company.id, f.company.email!);
    expect(again.token).not.toBe(f.token);
    expect((await get(`/l/${again.token}`)).status).toBe(200);
  });

  test('a link replaced by a newer one is expired', async () => {
    const f = await setup();
    await sendLink(f.tenant, f.company.id, f.company.email!);
    const res = await get(`/l/${f.token}`);
    expect(res.status).toBe(410);
    expect(await res.text()).toContain('remplacé');
  });

  test('an unknown or malformed token: 404 page', async () => {
    for (const t of ['A'.repeat(43), 'short', '%00']) {
      const res = await get(`/l/${t}`);
      expect(res.status).toBe(404);
      expect(await res.text()).toContain('Lien inconnu');
    }
  });

  test('without the consent box: 400, the page again with the reason, no webview', async () => {
    const f = await setup();
    const res = await consent(f.token, 'consent=');
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('Cochez la case');
    expect(await s.prisma.webviewState.count({ where: { linkId: f.link.id } })).toBe(0);
  });

  test('link pages are rate-limited per IP (French 429 page)', async () => {
    const app = createApp({
      config: s.config,
      prisma: s.prisma,
      temporal: s.temporal,
      logger: createLogger('test', 'silent'),
      rateLimits: { linkPages: 3 },
    });
    const server = await new Promise<Server>((resolve) => {
      const srv = app.listen(0, '127.0.0.1', () => resolve(srv));
    });
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push((await fetch(`${base}/l/${'B'.repeat(43)}`)).status);
      expect(statuses).toEqual([404, 404, 404, 429, 429]);
      expect(await (await fetch(`${base}/l/x`)).text()).toContain('Trop de demandes');
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
