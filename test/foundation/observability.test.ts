/**
 * Observability through the real app (createApp) and a real Temporal dev server: request ids (kept
 * when sane, replaced otherwise, answered), their Temporal header on the calls a request makes,
 * liveness vs readiness, /metrics access rules, route labels that never hold an id, webhook
 * refusals by reason, and the database gauges.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { createApp, type AppState } from '../../api/app';
import { loadConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { webhookRefusalReason } from '../../lib/metrics';
import { requestIdFrom, runWithRequestContext } from '../../lib/request-context';
import { REQUEST_ID_TEMPORAL_HEADER, requestIdClientInterceptor } from '../../lib/temporal-interceptors';
import { useTestDatabase } from '../support/db';
import { localTemporal } from '../support/temporal';

const db = useTestDatabase();
let env: TestWorkflowEnvironment;
let client: Client;
const servers: Server[] = [];

beforeAll(async () => {
  env = await localTemporal();
  client = new Client({ connection: env.connection, interceptors: { workflow: [requestIdClientInterceptor()] } });
}, 120_000);

afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  await env?.teardown();
});

async function serve(opts: { temporal?: Client; env?: Record<string, string>; state?: AppState } = {}) {
  const config = loadConfig({ NODE_ENV: 'test', PUBLIC_BASE_URL: 'http://releves.test', ...opts.env });
  const app = createApp(
    { config, prisma: db.prisma, temporal: opts.temporal ?? client, logger: createLogger('obs-test', 'silent') },
    opts.state,
  );
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

test('a sane X-Request-Id is kept and answered, anything else is replaced by a UUID', async () => {
  const origin = await serve();
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  for (const [given, kept] of [
    ['0123456789abcdef0123456789abcdef', true],
    ['lb-7f3a:req.42_x', true],
    ['short', false],
    ['has space in it', false],
    ['x'.repeat(129), false],
    ['"quoted"-value-here', false],
  ] as const) {
    const res = await fetch(`${origin}/healthz`, { headers: { 'x-request-id': given } });
    const answered = res.headers.get('x-request-id')!;
    if (kept) expect(answered).toBe(given);
    else expect({ given, answered: uuid.test(answered) }).toEqual({ given, answered: true });
  }
  expect((await fetch(`${origin}/healthz`)).headers.get('x-request-id')).toMatch(uuid);
  expect(requestIdFrom(['first-request-id', 'second'])).toBe('first-request-id');
});

test('the Temporal calls made while a request is handled carry its id in their headers', async () => {
  const workflowId = `obs/${randomUUID()}`;
  await runWithRequestContext({ requestId: 'req-obs-00000001' }, () =>
    client.workflow.signalWithStart('noSuchWorkflow', {
      workflowId,
      taskQueue: `obs-${randomBytes(4).toString('hex')}`,
      signal: 'poke',
      signalArgs: [],
    }),
  );
  await runWithRequestContext({ requestId: 'req-obs-00000002' }, () =>
    client.workflow.getHandle(workflowId).signal('poke'),
  );
  // Outside any request: no header.
  await client.workflow.getHandle(workflowId).signal('poke');
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const headerOf = (fields: Record<string, unknown> | null | undefined) => {
    const p = fields?.[REQUEST_ID_TEMPORAL_HEADER];
    return p ? defaultPayloadConverter.fromPayload(p as never) : null;
  };
  const started = history.events!.find((e) => e.workflowExecutionStartedEventAttributes)!;
  expect(headerOf(started.workflowExecutionStartedEventAttributes!.header?.fields)).toBe('req-obs-00000001');
  const signals = history.events!.filter((e) => e.workflowExecutionSignaledEventAttributes);
  expect(signals.map((e) => headerOf(e.workflowExecutionSignaledEventAttributes!.header?.fields))).toEqual([
    'req-obs-00000001',
    'req-obs-00000002',
    null,
  ]);
  await client.workflow.getHandle(workflowId).terminate();
});

test('liveness never checks dependencies; readiness needs the start done, the database and Temporal', async () => {
  const down = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 300 }) });
  const state: AppState = { ready: true };
  const origin = await serve({ state });
  const withoutTemporal = await serve({ temporal: down });

  expect((await fetch(`${origin}/healthz`)).status).toBe(200);
  const ready = await fetch(`${origin}/readyz`);
  expect(ready.status).toBe(200);
  expect(((await ready.json()) as { checks: Record<string, { ok: boolean }> }).checks).toMatchObject({
    database: { ok: true },
    temporal: { ok: true },
  });

  expect((await fetch(`${withoutTemporal}/healthz`)).status).toBe(200);
  const notReady = await fetch(`${withoutTemporal}/readyz`);
  expect(notReady.status).toBe(503);
  expect(((await notReady.json()) as { checks: Record<string, { ok: boolean }> }).checks).toMatchObject({
    database: { ok: true },
    temporal: { ok: false },
  });

  state.ready = false; // starting, or draining after SIGTERM
  expect((await fetch(`${origin}/readyz`)).status).toBe(503);
  expect((await fetch(`${origin}/healthz`)).status).toBe(200);
  // `down` stays open: closing it under the client's pending retry throws later (test/api/support.ts).
});

test('/metrics: open in development, bearer token when set, absent in production without one', async () => {
  const dev = await serve();
  expect((await fetch(`${dev}/metrics`)).status).toBe(200);
  const token = randomBytes(20).toString('hex');
  const withToken = await serve({ env: { METRICS_TOKEN: token } });
  expect((await fetch(`${withToken}/metrics`)).status).toBe(401);
  expect((await fetch(`${withToken}/metrics`, { headers: { authorization: `Bearer ${token}x` } })).status).toBe(401);
  expect((await fetch(`${withToken}/metrics`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  const prodEnv = {
    NODE_ENV: 'production',
    DATABASE_URL: db.url,
    TEMPORAL_ADDRESS: '127.0.0.1:7233',
    POWENS_BASE_URL: 'https://x.invalid/2.0',
    POSTMARK_API_URL: 'https://y.invalid',
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    SESSION_SECRET: randomBytes(32).toString('hex'),
    POWENS_WEBHOOK_SECRET: randomBytes(24).toString('hex'),
    // Every secret production requires, none a development default (lib/config.ts).
    POWENS_CLIENT_ID: '12345678',
    POWENS_CLIENT_SECRET: randomBytes(16).toString('hex'),
    POSTMARK_SERVER_TOKEN: randomUUID(),
    POSTMARK_FROM: 'Relevés <releves@example.fr>',
    POSTMARK_WEBHOOK_SECRET: randomBytes(24).toString('hex'),
  };
  const prod = await serve({ env: prodEnv });
  expect((await fetch(`${prod}/metrics`)).status).toBe(404);
});

test('route labels are patterns, webhooks are counted by refusal reason, the database gauges read the tables', async () => {
  const origin = await serve();
  const id = randomUUID();
  await fetch(`${origin}/api/v1/companies/${id}`); // 401: no key
  await fetch(`${origin}/nothing/here/${id}`); // 404
  await fetch(`${origin}/powens/webhooks/CONNECTION_SYNCED`, { method: 'POST', body: '{}' }); // no signature
  await fetch(`${origin}/powens/webhooks/ANYTHING_AT_ALL`, {
    method: 'POST',
    body: '{}',
    headers: { 'content-encoding': 'br-custom-evil' },
  });
  const text = await (await fetch(`${origin}/metrics`)).text();
  expect(text).toContain('route="/api/v1/companies/:id",status="401"');
  expect(text).toContain('route="(unmatched)",status="404"');
  expect(text).toContain('route="/powens/webhooks/:event",status="401"');
  expect(text).not.toContain(id);
  expect(text).toMatch(
    /releves_powens_webhooks_total\{event="CONNECTION_SYNCED",outcome="refused",reason="missing-signature"\} [1-9]/,
  );
  expect(text).toMatch(/releves_powens_webhooks_total\{event="other",outcome="refused",reason="[a-z-]+"\} [1-9]/);
  expect(text).not.toMatch(/ANYTHING_AT_ALL|br-custom-evil/);
  expect(webhookRefusalReason(415, 'unsupported content-encoding br-custom-evil')).toBe('unsupported-encoding');
  expect(webhookRefusalReason(401, 'signature refused: stale')).toBe('stale');
  expect(webhookRefusalReason(400, 'something new')).toBe('other');

  // Gauges from the database: an empty outbox and no connection on this fresh database.
  expect(text).toContain('releves_database_metrics_up 1');
  expect(text).toContain('releves_outbox_messages{status="queued"} 0');
  expect(text).toContain('releves_outbox_oldest_queued_age_seconds 0');
  await db.prisma.emailMessage.create({
    data: {
      idempotencyKey: `obs/${id}`,
      kind: 'link.update-credentials',
      to: 'x@example.fr',
      subject: 's',
      textBody: 't',
      htmlBody: 'h',
      createdAt: new Date(Date.now() - 120_000),
    },
  });
  // The gauges are cached 10 s per app: a new app reads them afresh.
  const fresh = await (await fetch(`${await serve()}/metrics`)).text();
  expect(fresh).toContain('releves_outbox_messages{status="queued"} 1');
  expect(Number(fresh.match(/^releves_outbox_oldest_queued_age_seconds (\S+)$/m)![1])).toBeGreaterThanOrEqual(119);
});
