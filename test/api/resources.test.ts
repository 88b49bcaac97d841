/**
 * Links, connections (with a Temporal dev server and a stand-in workflow), bank accounts,
 * statements and their files, notifications, settings, banks, and the OpenAPI document.
 */
import { createHash } from 'node:crypto';
import { LINK_SECRET_PLACEHOLDER, outboxBodies } from '../../email';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { COLLECT_COOLDOWN_MS, parisTime } from '../../api/collect-now';
import { addDays, nextPeriodEnd, parisDate } from '../../domain/schedule';
import { connectionWorkflowId } from '../../workflows/messages';
import { receivedQuery } from '../fixtures/workflows/connection-workflow';
import { call, createCompanyWithAccounts, createStatement, createTenant, siren, useApi, type Tenant } from './support';
import { localTemporal } from '../support/temporal';

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
const TASK_QUEUE = 'api-test';

const api = useApi({
  temporal: async () => {
    env = await localTemporal();
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: TASK_QUEUE,
      workflowsPath: require.resolve('../fixtures/workflows/connection-workflow'),
    });
    running = worker.run();
    return env.client;
  },
  rateLimits: { links: 30 },
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

let t: Tenant;
beforeAll(async () => {
  t = await createTenant(api.prisma, { name: 'Cabinet Ressources', siren: '732829320' });
});

const startWorkflow = (connectionId: string) =>
  env.client.workflow.start('bankConnectionWorkflow', {
    workflowId: connectionWorkflowId(connectionId),
    taskQueue: TASK_QUEUE,
    args: [],
  });

async function received(connectionId: string, expected: string[]): Promise<string[]> {
  let got: string[] = [];
  for (let i = 0; i < 100; i++) {
    got = await env.client.workflow.getHandle(connectionWorkflowId(connectionId)).query(receivedQuery);
    if (expected.every((e) => got.includes(e))) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return got;
}

describe('links', () => {
  test('a company link: hashed secret, 72 h, e-mail in the outbox, previous one revoked, history with states', async () => {
    const { company } = await createCompanyWithAccounts(api.prisma, t, { accounts: 0 });
    const first = await call(api, 'POST', `/api/v1/companies/${company.id}/links`, { key: t.key, body: {} });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      kind: 'add-accounts',
      companyId: company.id,
      connectionId: null,
      recipient: company.email,
      state: 'valid',
    });
    expect(Date.parse(first.body.expiresAt) - Date.parse(first.body.createdAt)).toBe(72 * 3600_000);
    expect(JSON.stringify(first.body)).not.toMatch(/\/l\//); // the secret only goes to the company

    const mail = await api.prisma.emailMessage.findUniqueOrThrow({
      where: { idempotencyKey: `link:${first.body.id}` },
    });
    expect(mail.to).toBe(company.email);
    expect(mail.status).toBe('QUEUED');
    expect(mail.subject).toContain('Cabinet Ressources');
    // Stored with a placeholder; the secret, encrypted beside it, goes into the message when sent.
    expect(mail.textBody).toContain(`http://releves.test/l/${LINK_SECRET_PLACEHOLDER}`);
    const bodies = outboxBodies(mail, api.config.ENCRYPTION_KEY);
    const secret = /http:\/\/releves\.test\/l\/([A-Za-z0-9_-]{43})/.exec(bodies.text)![1]!;
    const row = await api.prisma.link.findUniqueOrThrow({ where: { id: first.body.id } });
    expect(row.secretHash).toBe(createHash('sha256').update(secret).digest('hex'));
    expect(bodies.html).toContain(`/l/${secret}`);
    expect(JSON.stringify(mail)).not.toContain(secret);

    const second = await call(api, 'POST', `/api/v1/companies/${company.id}/links`, {
      key: t.key,
      body: { recipient: 'autre@redevable.test' },
    });
    expect(second.status).toBe(201);
    await api.prisma.link.update({ where: { id: second.body.id }, data: { usedAt: new Date() } });
    const history = await call(api, 'GET', `/api/v1/companies/${company.id}/links`, { key: t.key });
    expect(history.body.items.map((l: { id: string; state: string }) => [l.id, l.state])).toEqual([
      [second.body.id, 'used'],
      [first.body.id, 'expired'],
    ]);
    expect(
      await api.prisma.auditEvent.count({ where: { action: 'link.create', portalAccountId: t.accountId } }),
    ).toBeGreaterThanOrEqual(2);

    const bad = await call(api, 'POST', `/api/v1/companies/${company.id}/links`, {
      key: t.key,
      body: { recipient: 'nope', kind: 'other' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['kind', 'recipient']);
  });

  test('a connection link (update credentials) lists the accounts; a deactivated company gets none', async () => {
    const { company, connection } = await createCompanyWithAccounts(api.prisma, t, { accounts: 2, state: 'wrongpass' });
    await api.prisma.bankConnection.update({
      where: { id: connection.id },
      data: { errorMessage: 'L’authentification au site de la banque a échoué.' },
    });
    const r = await call(api, 'POST', `/api/v1/connections/${connection.id}/links`, { key: t.key, body: {} });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ kind: 'update-credentials', connectionId: connection.id, companyId: company.id });
    const mail = await api.prisma.emailMessage.findUniqueOrThrow({ where: { idempotencyKey: `link:${r.body.id}` } });
    expect(mail.textBody).toContain('COMPTE CHÈQUE (CONNECTEUR DE TEST)');
    expect(mail.textBody).toContain('L’authentification au site de la banque a échoué.');
    await call(api, 'POST', `/api/v1/companies/${company.id}/deactivate`, { key: t.key });
    expect(
      (await call(api, 'POST', `/api/v1/connections/${connection.id}/links`, { key: t.key, body: {} })).status,
    ).toBe(409);
  });

  test('link creation is rate-limited per portal account', async () => {
    const limited = await createTenant(api.prisma);
    const { company } = await createCompanyWithAccounts(api.prisma, limited, { accounts: 0 });
    const statuses: number[] = [];
    for (let i = 0; i < 31; i++)
      statuses.push(
        (await call(api, 'POST', `/api/v1/companies/${company.id}/links`, { key: limited.key, body: {} })).status,
      );
    expect(statuses.slice(0, 30).every((s) => s === 201)).toBe(true);
    expect(statuses[30]).toBe(429);
  });

  test('direct connection only for the account’s own SIREN (503 without the Powens client)', async () => {
    const foreign = await createCompanyWithAccounts(api.prisma, t, { siren: siren(4242) });
    const own = await call(api, 'POST', '/api/v1/companies', {
      key: t.key,
      body: {
        siren: '732829320',
        name: 'Le cabinet lui-même',
        email: 'cabinet@test.fr',
        periodicity: { kind: 'DAILY' },
      },
    });
    const refused = await call(api, 'POST', `/api/v1/companies/${foreign.company.id}/connect`, {
      key: t.key,
      body: {},
    });
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toMatch(/SIREN de votre propre compte/);
    expect(
      (await call(api, 'POST', `/api/v1/connections/${foreign.connection.id}/reconnect`, { key: t.key, body: {} }))
        .status,
    ).toBe(403);
    expect((await call(api, 'POST', `/api/v1/companies/${own.body.id}/connect`, { key: t.key, body: {} })).status).toBe(
      503,
    );
  });
});

describe('connections and Temporal', () => {
  test('collect now (collect only by default) goes through the workflow update and returns what came in', async () => {
    const { connection } = await createCompanyWithAccounts(api.prisma, t, {});
    await startWorkflow(connection.id);
    const before = Date.now();
    const r = await call(api, 'POST', `/api/v1/connections/${connection.id}/collect`, { key: t.key, body: {} });
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({
      outcome: 'delivered',
      statementIds: [],
      collected: 3,
      state: null, // the stand-in's answer has no state: the database's
      stateMessage: 'opérationnelle',
      statementUntil: null,
    });
    expect(await received(connection.id, ['collect:false'])).toEqual(['collect:false']);
    const row = await api.prisma.bankConnection.findUniqueOrThrow({ where: { id: connection.id } });
    expect(row.collectRequestedAt!.getTime()).toBeGreaterThanOrEqual(before - 5);
    expect(Date.parse(r.body.availableAt)).toBe(row.collectRequestedAt!.getTime() + COLLECT_COOLDOWN_MS);
    const events = await api.prisma.auditEvent.findMany({
      where: { action: 'connection.collect', entityId: connection.id },
    });
    expect(events.map((e) => e.detail)).toEqual([{ statement: false }]);
  });

  test('PSD2: at most three forced syncs per connection in 24 hours; the fourth answers 429 and reaches nothing', async () => {
    const { connection } = await createCompanyWithAccounts(api.prisma, t, {});
    await startWorkflow(connection.id);
    for (let i = 0; i < 3; i++) {
      // Each past its quarter of an hour (the cooldown is another rule).
      await api.prisma.bankConnection.update({ where: { id: connection.id }, data: { collectRequestedAt: null } });
      const r = await call(api, 'POST', `/api/v1/connections/${connection.id}/collect`, { key: t.key, body: {} });
      expect(r.status).toBe(202);
    }
    await api.prisma.bankConnection.update({ where: { id: connection.id }, data: { collectRequestedAt: null } });
    const fourth = await call(api, 'POST', `/api/v1/connections/${connection.id}/collect`, { key: t.key, body: {} });
    expect(fourth.status).toBe(429);
    expect(fourth.body.detail).toMatch(/^Limite atteinte : 3 collectes forcées en 24 heures pour cette connexion/);
    expect(Number(fourth.headers.get('retry-after'))).toBeGreaterThan(23 * 3600);
    expect(await received(connection.id, ['collect:false', 'collect:false', 'collect:false'])).toHaveLength(3);
    expect(
      await api.prisma.auditEvent.count({ where: { action: 'connection.collect', entityId: connection.id } }),
    ).toBe(3);
    expect(
      (await api.prisma.bankConnection.findUniqueOrThrow({ where: { id: connection.id } })).collectRequestedAt,
    ).toBeNull();
  });

  test('one click = one sync: a second request within 15 minutes answers 429 with Retry-After and the time in French', async () => {
    const { connection } = await createCompanyWithAccounts(api.prisma, t, {});
    await startWorkflow(connection.id);
    expect(
      (await call(api, 'POST', `/api/v1/connections/${connection.id}/collect`, { key: t.key, body: {} })).status,
    ).toBe(202);
    const { collectRequestedAt } = await api.prisma.bankConnection.findUniqueOrThrow({ where: { id: connection.id } });
    const again = await call(api, 'POST', `/api/v1/connections/${connection.id}/collect`, {
      key: t.key,
      body: { statement: true },
    });
    expect(again.status).toBe(429);
    expect(again.headers.get('content-type')).toContain('application/problem+json');
    const retryAfter = Number(again.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(14 * 60);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    const availableAt = new Date(collectRequestedAt!.getTime() + COLLECT_COOLDOWN_MS);
    expect(again.body).toMatchObject({
      status: 429,
      title: 'Too Many Requests',
      detail: `Une collecte a déjà été demandée à ${parisTime(collectRequestedAt!)} pour cette connexion (une synchronisation au plus par quart d’heure) : nouvelle demande possible à ${parisTime(availableAt)}.`,
      instance: `/api/v1/connections/${connection.id}/collect`,
    });
    // Refused: nothing reached the workflow, nothing audited, the cooldown did not move.
    expect(await received(connection.id, ['collect:false'])).toEqual(['collect:false']);
    expect(
      await api.prisma.auditEvent.count({ where: { action: 'connection.collect', entityId: connection.id } }),
    ).toBe(1);
    const row = await api.prisma.bankConnection.findUniqueOrThrow({ where: { id: connection.id } });
    expect(row.collectRequestedAt).toEqual(collectRequestedAt);

    // The bank account's view shows it on its connection.
    const account = await api.prisma.bankAccount.findFirstOrThrow({ where: { connectionId: connection.id } });
    const view = await call(api, 'GET', `/api/v1/bank-accounts/${account.id}`, { key: t.key });
    expect(view.body.connection.collect).toMatchObject({
      available: false,
      refusal: 'cooldown',
      availableAt: availableAt.toISOString(),
    });

    // A quarter of an hour later: an intermediate statement up to yesterday.
    await api.prisma.bankConnection.update({
      where: { id: connection.id },
      data: { collectRequestedAt: new Date(Date.now() - COLLECT_COOLDOWN_MS - 1000) },
    });
    const later = await call(api, 'POST', `/api/v1/connections/${connection.id}/collect`, {
      key: t.key,
      body: { statement: true },
    });
    expect(later.status).toBe(202);
    expect(later.body).toMatchObject({
      outcome: 'delivered',
      statementIds: ['00000000-0000-4000-8000-00000000abcd'],
      statementUntil: addDays(parisDate(new Date()), -1),
    });
    expect(await received(connection.id, ['collect:false', 'collect:true'])).toEqual(['collect:false', 'collect:true']);
  });

  test('simultaneous clicks: one sync, the others 429', async () => {
    const { connection } = await createCompanyWithAccounts(api.prisma, t, {});
    await startWorkflow(connection.id);
    const statuses = await Promise.all(
      [0, 1, 2].map(
        async () =>
          (await call(api, 'POST', `/api/v1/connections/${connection.id}/collect`, { key: t.key, body: {} })).status,
      ),
    );
    expect(statuses.sort()).toEqual([202, 429, 429]);
    expect(await received(connection.id, ['collect:false'])).toEqual(['collect:false']);
  });

  test('a connection waiting for its company is never forced: 409 naming the reason and the remedy', async () => {
    for (const state of ['wrongpass', 'SCARequired', 'decoupled'] as const) {
      const { connection } = await createCompanyWithAccounts(api.prisma, t, { state });
      await startWorkflow(connection.id);
      for (const statement of [false, true]) {
        const r = await call(api, 'POST', `/api/v1/connections/${connection.id}/collect`, {
          key: t.key,
          body: { statement },
        });
        expect([state, r.status]).toEqual([state, 409]);
        expect(r.headers.get('content-type')).toContain('application/problem+json');
        expect(r.body.detail).toMatch(/^Collecte impossible : la connexion attend une action du redevable \(/);
        expect(r.body.detail).toContain('Forcer une synchronisation sans lui pourrait bloquer son accès à la banque.');
        expect(r.body.detail).toContain('Envoyez-lui un lien de mise à jour des identifiants');
      }
      expect(await received(connection.id, [])).toEqual([]);
      const row = await api.prisma.bankConnection.findUniqueOrThrow({ where: { id: connection.id } });
      expect(row.collectRequestedAt).toBeNull();
      expect(
        await api.prisma.auditEvent.count({ where: { action: 'connection.collect', entityId: connection.id } }),
      ).toBe(0);
      const view = await call(api, 'GET', `/api/v1/connections/${connection.id}`, { key: t.key });
      expect(view.body.collect).toMatchObject({ available: false, refusal: 'user-action', availableAt: null });
      expect(view.body.collect.message).toMatch(/^Collecte impossible/);
      expect(view.body.stateMessage).toMatch(/^en attente du redevable : /);
    }
    const wrong = await createCompanyWithAccounts(api.prisma, t, { state: 'wrongpass' });
    const r = await call(api, 'POST', `/api/v1/connections/${wrong.connection.id}/collect`, { key: t.key, body: {} });
    expect(r.body.detail).toContain('(la banque refuse les identifiants enregistrés (mot de passe changé ?))');
  });

  test('a transient state does not block; the state the workflow reports is the answer’s, in French', async () => {
    const reported = await createCompanyWithAccounts(api.prisma, t, {});
    await env.client.workflow.start('bankConnectionWorkflow', {
      workflowId: connectionWorkflowId(reported.connection.id),
      taskQueue: TASK_QUEUE,
      args: [{ state: 'SCARequired' }],
    });
    const r = await call(api, 'POST', `/api/v1/connections/${reported.connection.id}/collect`, {
      key: t.key,
      body: {},
    });
    expect(r.status).toBe(202);
    expect(r.body.state).toBe('SCARequired');
    expect(r.body.stateMessage).toBe(
      'en attente du redevable : la banque demande une authentification forte du redevable. Envoyez-lui un lien de mise à jour des identifiants.',
    );

    const transient = await createCompanyWithAccounts(api.prisma, t, { state: 'websiteUnavailable' });
    await startWorkflow(transient.connection.id);
    const t2 = await call(api, 'POST', `/api/v1/connections/${transient.connection.id}/collect`, {
      key: t.key,
      body: {},
    });
    expect(t2.status).toBe(202);
    expect(t2.body.state).toBe('websiteUnavailable');
    expect(t2.body.stateMessage).toMatch(/^incident passager .*la collecte sera retentée automatiquement\.$/);
  });

  test('the connection’s view tells what an intermediate statement does to the next periodic one', async () => {
    const { company, connection } = await createCompanyWithAccounts(api.prisma, t, { accounts: 2 });
    await api.prisma.company.update({
      where: { id: company.id },
      data: { periodicityKind: 'QUARTERLY', periodicityDay: 0, periodicityMonth: 3 },
    });
    const r = await call(api, 'GET', `/api/v1/connections/${connection.id}`, { key: t.key });
    expect(r.status).toBe(200);
    const yesterday = addDays(parisDate(new Date()), -1);
    const nextEnd = nextPeriodEnd({ kind: 'QUARTERLY', day: 0, month: 3 }, yesterday);
    const fr = (d: string) => d.split('-').reverse().join('/');
    expect(r.body).toMatchObject({
      id: connection.id,
      companyId: company.id,
      state: null,
      stateMessage: 'opérationnelle',
      collect: { available: true, refusal: null, availableAt: null, message: null },
      intermediateStatement: {
        until: yesterday,
        nextStart: addDays(yesterday, 1),
        nextEnd,
        periodicity: 'TRIMESTRIEL',
        text: `Un relevé sera émis jusqu’au ${fr(yesterday)}. Le prochain relevé TRIMESTRIEL couvrira du ${fr(addDays(yesterday, 1))} au ${fr(nextEnd)}.`,
      },
    });
    expect(r.body.accounts.map((a: { label: string }) => a.label)).toEqual(['Compte chèque', 'Livret 1']);
  });

  test('a connection without workflow does not fail the call and gives its cooldown back', async () => {
    const { connection, accounts } = await createCompanyWithAccounts(api.prisma, t, {});
    const r = await call(api, 'POST', `/api/v1/connections/${connection.id}/collect`, { key: t.key, body: {} });
    expect(r.status).toBe(202);
    expect(r.body.outcome).toBe('no-workflow');
    const row = await api.prisma.bankConnection.findUniqueOrThrow({ where: { id: connection.id } });
    expect(row.collectRequestedAt).toBeNull();
    const again = await call(api, 'POST', `/api/v1/connections/${connection.id}/collect`, { key: t.key, body: {} });
    expect(again.body.outcome).toBe('no-workflow');
    expect(
      (await call(api, 'POST', `/api/v1/bank-accounts/${accounts[0]!.id}/deactivate`, { key: t.key })).status,
    ).toBe(200);
    expect((await call(api, 'POST', `/api/v1/bank-accounts/nope/deactivate`, { key: t.key })).status).toBe(400);
  });

  test('deactivation, reactivation and periodicity changes are signalled to the workflows', async () => {
    const { company, connection, accounts } = await createCompanyWithAccounts(api.prisma, t, { accounts: 2 });
    await startWorkflow(connection.id);
    const a = accounts[0]!.id;
    await api.prisma.bankAccount.update({
      where: { id: a },
      data: { collectedUntil: new Date('2026-11-15T00:00:00Z') },
    });
    const off = await call(api, 'POST', `/api/v1/bank-accounts/${a}/deactivate`, { key: t.key });
    expect(off.body).toMatchObject({ active: false, collectedUntil: '2026-11-15' });
    const on = await call(api, 'POST', `/api/v1/bank-accounts/${a}/reactivate`, { key: t.key });
    expect(on.body).toMatchObject({ active: true, deactivatedAt: null, collectedUntil: '2026-11-15' });
    await call(api, 'PATCH', `/api/v1/companies/${company.id}`, {
      key: t.key,
      body: { periodicity: { kind: 'DAILY' } },
    });
    await call(api, 'POST', `/api/v1/companies/${company.id}/deactivate`, { key: t.key });
    expect((await call(api, 'POST', `/api/v1/bank-accounts/${a}/reactivate`, { key: t.key })).status).toBe(409);
    await call(api, 'POST', `/api/v1/companies/${company.id}/reactivate`, { key: t.key });
    const expected = [`deactivate:${a}`, `reactivate:${a}`, 'settingsChanged', 'deactivate:all', 'reactivate:all'];
    expect(await received(connection.id, expected)).toEqual(expect.arrayContaining(expected));
    const events = await api.prisma.bankAccountEvent.findMany({
      where: { bankAccountId: a },
      orderBy: { occurredAt: 'asc' },
    });
    expect(events.map((e) => e.kind)).toEqual(['DEACTIVATED', 'REACTIVATED', 'DEACTIVATED', 'REACTIVATED']);
  });
});

describe('bank accounts', () => {
  let b: Tenant;
  let sec: Tenant;
  beforeAll(async () => {
    b = await createTenant(api.prisma, { name: 'Cabinet Comptes' });
    sec = await createTenant(api.prisma, { name: 'Secondaire Comptes', parent: b });
    const ok = await createCompanyWithAccounts(api.prisma, b, { siren: siren(801), name: 'Alpha SARL', accounts: 2 });
    const ko = await createCompanyWithAccounts(api.prisma, b, {
      siren: siren(802),
      name: 'Beta SAS',
      state: 'SCARequired',
    });
    await createCompanyWithAccounts(api.prisma, sec, { siren: siren(803), name: 'Gamma (secondaire)' });
    await api.prisma.link.create({
      data: {
        companyId: ko.company.id,
        portalAccountId: ko.company.portalAccountId,
        connectionId: ko.connection.id,
        kind: 'UPDATE_CREDENTIALS',
        recipient: 'x@y.fr',
        secretHash: 'h1',
        expiresAt: new Date(Date.now() + 3600_000),
      },
    });
    await api.prisma.link.create({
      data: {
        companyId: ok.company.id,
        portalAccountId: ok.company.portalAccountId,
        connectionId: ok.connection.id,
        kind: 'UPDATE_CREDENTIALS',
        recipient: 'x@y.fr',
        secretHash: 'h2',
        expiresAt: new Date(Date.now() - 1000),
      },
    });
    await api.prisma.bankAccount.update({
      where: { id: ok.accounts[1]!.id },
      data: { active: false, deactivatedAt: new Date() },
    });
  });

  const list = (q: string, key = b.key) => call(api, 'GET', `/api/v1/bank-accounts${q}`, { key });
  const labels = (r: { body: { items: Array<{ company: { name: string }; label: string }> } }) =>
    r.body.items.map((i) => `${i.company.name}/${i.label}`).sort();

  test('list with every filter', async () => {
    const all = await list('');
    expect(all.status).toBe(200);
    expect(labels(all)).toEqual(['Alpha SARL/Compte chèque', 'Beta SAS/Compte chèque']);
    expect(all.body.items[0]).toHaveProperty('connectionId');
    expect(all.body.items[0]).toHaveProperty('companyId');
    expect(labels(await list('?includeInactive=true'))).toEqual([
      'Alpha SARL/Compte chèque',
      'Alpha SARL/Livret 1',
      'Beta SAS/Compte chèque',
    ]);
    expect(labels(await list('?includeSecondary=true'))).toContain('Gamma (secondaire)/Compte chèque');
    expect(labels(await list('?connection=error'))).toEqual(['Beta SAS/Compte chèque']);
    expect(labels(await list('?connection=ok'))).toEqual(['Alpha SARL/Compte chèque']);
    expect(labels(await list('?link=valid'))).toEqual(['Beta SAS/Compte chèque']);
    expect(labels(await list('?link=expired'))).toEqual(['Alpha SARL/Compte chèque']);
    expect(labels(await list('?link=used'))).toEqual([]);
    expect(labels(await list('?name=alpha'))).toEqual(['Alpha SARL/Compte chèque']);
    expect(labels(await list(`?siret=${siren(802)}`))).toEqual(['Beta SAS/Compte chèque']);
    const iban = all.body.items.find((i: { company: { name: string } }) => i.company.name === 'Beta SAS')
      .iban as string;
    expect(labels(await list(`?iban=${iban.slice(-10).toLowerCase()}`))).toEqual(['Beta SAS/Compte chèque']);
    expect(labels(await list('?sort=name&order=desc&limit=1'))).toEqual(['Beta SAS/Compte chèque']);
    const page = await list('?sort=name&order=asc&limit=1&offset=1');
    expect([labels(page), page.body.total]).toEqual([['Beta SAS/Compte chèque'], 2]);
    // LIKE wildcards in a filter are taken literally.
    expect(labels(await list('?name=_'))).toEqual([]);
    expect(labels(await list('?name=%25'))).toEqual([]);
    const bad = await list('?connection=maybe&link=fresh&sort=x');
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['connection', 'link', 'sort']);
  });

  test('detail: history events, last 10 statements, links', async () => {
    const acc = await api.prisma.bankAccount.findFirstOrThrow({
      where: { company: { name: 'Alpha SARL' }, label: 'Compte chèque' },
    });
    await api.prisma.bankAccountEvent.create({
      data: { bankAccountId: acc.id, kind: 'FIELD_CHANGED', field: 'iban', oldValue: 'FRXX', newValue: acc.iban },
    });
    for (let m = 1; m <= 11; m++)
      await createStatement(api.prisma, acc.id, {
        periodEnd: `2025-${String(m).padStart(2, '0')}-28`,
        receivedAt: new Date(Date.UTC(2025, m - 1, 28)),
      });
    const r = await call(api, 'GET', `/api/v1/bank-accounts/${acc.id}`, { key: b.key });
    expect(r.status).toBe(200);
    expect(r.body.events[0]).toMatchObject({ kind: 'FIELD_CHANGED', field: 'iban', oldValue: 'FRXX' });
    expect(r.body.statements).toHaveLength(10);
    expect(r.body.statements[0].periodEnd).toBe('2025-11-28');
    expect(r.body.links).toHaveLength(1);
    expect(r.body.links[0].state).toBe('expired');
  });
});

describe('statements', () => {
  let s: Tenant;
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    s = await createTenant(api.prisma, { name: 'Cabinet Relevés' });
    const one = await createCompanyWithAccounts(api.prisma, s, { siren: siren(901), name: 'Delta' });
    const two = await createCompanyWithAccounts(api.prisma, s, { siren: siren(902), name: 'Epsilon' });
    ids.ok = (
      await createStatement(api.prisma, one.accounts[0]!.id, {
        periodEnd: '2026-09-30',
        receivedAt: new Date('2026-10-01T00:10:00Z'),
      })
    ).id;
    ids.running = (
      await createStatement(api.prisma, two.accounts[0]!.id, {
        periodEnd: '2026-10-31',
        state: 'RUNNING',
        receivedAt: new Date('2026-11-01T00:10:00Z'),
      })
    ).id;
    ids.ok2 = (
      await createStatement(api.prisma, two.accounts[0]!.id, {
        periodEnd: '2026-09-30',
        receivedAt: new Date('2026-10-01T00:20:00Z'),
      })
    ).id;
  });

  const list = (q: string) => call(api, 'GET', `/api/v1/statements${q}`, { key: s.key });

  test('list with filters; items carry id, bankAccountId, period, receivedAt, state and transaction count', async () => {
    const all = await list('');
    expect(all.body.total).toBe(3);
    expect(all.body.items[0]).toMatchObject({
      id: ids.running,
      state: 'running',
      periodEnd: '2026-10-31',
      transactionCount: 1,
    });
    expect(all.body.items[0]).toHaveProperty('bankAccountId');
    expect(all.body.items[0]).toHaveProperty('periodStart');
    expect(all.body.items[0]).toHaveProperty('receivedAt');
    expect((await list('?state=success')).body.total).toBe(2);
    expect((await list('?state=running')).body.total).toBe(1);
    expect((await list('?state=failure')).body.total).toBe(0);
    expect((await list('?receivedFrom=2026-11-01')).body.items.map((i: { id: string }) => i.id)).toEqual([ids.running]);
    expect((await list('?receivedTo=2026-10-01')).body.total).toBe(2);
    expect((await list('?name=delt')).body.items.map((i: { id: string }) => i.id)).toEqual([ids.ok]);
    expect((await list(`?siret=${siren(902)}`)).body.total).toBe(2);
    const bad = await list('?receivedFrom=2026-11-02&receivedTo=2026-11-01&state=done');
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['receivedTo', 'state']);
  });

  test('detail with transactions, CFONB file, deleted CSV, ZIP', async () => {
    const d = await call(api, 'GET', `/api/v1/statements/${ids.ok}`, { key: s.key });
    expect(d.body.transactions).toEqual([
      expect.objectContaining({ label: 'CB CAFE', amount: '-10.00', deleted: false }),
    ]);
    expect(d.body.deletedTransactions).toEqual([expect.objectContaining({ label: 'FRAIS', deleted: true })]);
    const cfonb = await call(api, 'GET', `/api/v1/statements/${ids.ok}/cfonb`, { key: s.key });
    expect(cfonb.status).toBe(200);
    expect(cfonb.headers.get('content-disposition')).toMatch(
      /attachment; filename="?Releve_FR76.*_du_01092026_au_30092026\.cfonb/,
    );
    expect(cfonb.buffer.toString()).toContain('CFONB120');
    const csv = await call(api, 'GET', `/api/v1/statements/${ids.ok}/deleted.csv`, { key: s.key });
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect(csv.buffer.toString()).toContain('FRAIS');
    expect((await call(api, 'GET', `/api/v1/statements/${ids.running}/cfonb`, { key: s.key })).status).toBe(404);

    const zip = await call(api, 'POST', '/api/v1/statements/zip', {
      key: s.key,
      body: { ids: [ids.ok, ids.ok2, ids.running] },
    });
    expect(zip.status).toBe(200);
    expect(zip.headers.get('content-type')).toBe('application/zip');
    expect(zip.buffer.subarray(0, 4).toString('hex')).toBe('504b0304');
    const names = zip.buffer.toString('latin1').match(/(Releve|Transactions_supprimees)_[A-Za-z0-9_]+\.(cfonb|csv)/g)!;
    expect(new Set(names).size).toBe(4);
    expect((await call(api, 'POST', '/api/v1/statements/zip', { key: s.key, body: { ids: [] } })).status).toBe(400);
  });
});

describe('account: me, settings, banks, notifications, OpenAPI', () => {
  test('settings: reception mode and terms', async () => {
    expect((await call(api, 'GET', '/api/v1/settings', { key: t.key })).body).toEqual({
      receptionMode: 'none',
      dedicatedMailbox: null,
      acceptedTermsVersion: null,
      acceptedTermsAt: null,
    });
    const missing = await call(api, 'PUT', '/api/v1/settings', {
      key: t.key,
      body: { receptionMode: 'dedicated-mailbox', acceptTerms: true },
    });
    expect(missing.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'dedicatedMailbox',
      'termsVersion',
    ]);
    const outside = await call(api, 'PUT', '/api/v1/settings', {
      key: t.key,
      body: { receptionMode: 'dedicated-mailbox', dedicatedMailbox: 'releves.cabinet@ailleurs.test' },
    });
    expect(outside.status).toBe(400);
    expect(outside.body.errors).toEqual([
      { field: 'dedicatedMailbox', reason: expect.stringContaining('domaine du compte (@example.test)') },
    ]);
    const r = await call(api, 'PUT', '/api/v1/settings', {
      key: t.key,
      body: {
        receptionMode: 'dedicated-mailbox',
        dedicatedMailbox: 'releves.cabinet@example.test',
        acceptTerms: true,
        termsVersion: '2026-01',
      },
    });
    expect(r.body).toMatchObject({
      receptionMode: 'dedicated-mailbox',
      dedicatedMailbox: 'releves.cabinet@example.test',
      acceptedTermsVersion: '2026-01',
    });
    expect(
      await api.prisma.auditEvent.count({ where: { action: 'settings.update', portalAccountId: t.accountId } }),
    ).toBe(1);
  });

  test('banks: referential per account, unique names', async () => {
    const r = await call(api, 'POST', '/api/v1/banks', {
      key: t.key,
      body: { name: 'Crédit Agricole', bic: 'agrifrpp' },
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ name: 'Crédit Agricole', bic: 'AGRIFRPP' });
    expect((await call(api, 'POST', '/api/v1/banks', { key: t.key, body: { name: 'Crédit Agricole' } })).status).toBe(
      409,
    );
    expect(
      (await call(api, 'POST', '/api/v1/banks', { key: t.key, body: { name: '', bic: '12' } })).body.errors,
    ).toHaveLength(2);
    expect(
      (await call(api, 'GET', '/api/v1/banks', { key: t.key })).body.items.map((x: { name: string }) => x.name),
    ).toContain('Crédit Agricole');
  });

  test('notifications: newest first, mark as read', async () => {
    const n1 = await api.prisma.notification.create({
      data: {
        portalAccountId: t.accountId,
        kind: 'link.used',
        title: 'A',
        body: 'a',
        createdAt: new Date(Date.now() - 1000),
      },
    });
    const n2 = await api.prisma.notification.create({
      data: { portalAccountId: t.accountId, kind: 'link.used', title: 'B', body: 'b' },
    });
    const l = await call(api, 'GET', '/api/v1/notifications', { key: t.key });
    expect(l.body.items.map((n: { id: string }) => n.id)).toEqual([n2.id, n1.id]);
    const read = await call(api, 'POST', `/api/v1/notifications/${n1.id}/read`, { key: t.key });
    expect(read.body.readAt).not.toBeNull();
    expect(
      (await call(api, 'GET', '/api/v1/notifications?unread=true', { key: t.key })).body.items.map(
        (n: { id: string }) => n.id,
      ),
    ).toEqual([n2.id]);
  });

  test('the OpenAPI 3.1 document describes every route, and the reference page is self-contained', async () => {
    const doc = await call(api, 'GET', '/api/v1/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    const ops = Object.entries(doc.body.paths as Record<string, Record<string, unknown>>).flatMap(([p, m]) =>
      Object.keys(m).map((k) => `${k.toUpperCase()} ${p}`),
    );
    for (const route of [
      'POST /api/v1/auth/login',
      'GET /api/v1/me',
      'PUT /api/v1/settings',
      'GET /api/v1/companies',
      'POST /api/v1/companies/import',
      'POST /api/v1/companies/{id}/connect',
      'POST /api/v1/connections/{id}/collect',
      'GET /api/v1/connections/{id}',
      'GET /api/v1/bank-accounts/{id}',
      'POST /api/v1/statements/zip',
      'POST /api/v1/notifications/{id}/read',
    ])
      expect(ops).toContain(route);
    const create = doc.body.paths['/api/v1/companies'].post;
    expect(create.requestBody.content['application/json'].schema.$ref).toBe('#/components/schemas/CompanyCreate');
    expect(doc.body.components.schemas.CompanyCreate.required).toEqual(
      expect.arrayContaining(['siren', 'name', 'email', 'periodicity']),
    );
    const listParams = doc.body.paths['/api/v1/companies'].get.parameters.map((p: { name: string }) => p.name);
    expect(listParams).toEqual(
      expect.arrayContaining([
        'siret',
        'name',
        'iban',
        'collection',
        'includeInactive',
        'includeSecondary',
        'limit',
        'offset',
        'sort',
      ]),
    );
    expect(JSON.stringify(doc.body)).not.toContain('$defs');

    const page = await call(api, 'GET', '/api/docs');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.body).toContain('/api/v1/companies/import');
    expect(page.body).not.toMatch(/<script|https?:\/\/(?!releves\.test)[a-z]/i);
  });
});
