/**
 * The production path as README "Production" describes it: `npm run build`, then the compiled code
 * under plain node with NODE_ENV=production against an external PostgreSQL and an external
 * Temporal (here the tests' PostgreSQL, with an empty database, and a Temporal dev server without
 * our search attributes): `setup` migrates and registers them, the API and the worker start,
 * answer /readyz, /healthz and /metrics, serve an authenticated call, run a workflow from the
 * prebuilt bundle, and stop on SIGTERM. Unsafe configurations are refused at start with one line
 * naming the variable.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { WorkflowFailedError } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { deriveApiKey } from '../../api/auth';
import { freePort } from '../../lib/net';
import { dropDatabase, withDatabase } from '../../lib/postgres';
import { localTemporal } from '../support/temporal';

const root = join(__dirname, '..', '..');
const dist = join(root, 'dist');

let env: TestWorkflowEnvironment;
let databaseUrl: string;
let prodEnv: NodeJS.ProcessEnv;
let ports: { api: number; metrics: number; temporalMetrics: number };
const children: ChildProcess[] = [];
const output = new Map<ChildProcess, string>();
const taskQueue = `prod-${randomBytes(4).toString('hex')}`;

function startProd(command: string, extra: NodeJS.ProcessEnv = {}): ChildProcess {
  // Plain node on the compiled entry point: no tsx, no TypeScript loader.
  const child = spawn(process.execPath, [join(dist, 'scripts', 'prod.js'), command], {
    cwd: root,
    env: { ...prodEnv, ...extra },
  });
  children.push(child);
  output.set(child, '');
  child.stdout!.on('data', (d) => output.set(child, output.get(child) + d));
  child.stderr!.on('data', (d) => output.set(child, output.get(child) + d));
  return child;
}

function runProd(command: string, extra: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [join(dist, 'scripts', 'prod.js'), command], {
    cwd: root,
    env: { ...prodEnv, ...extra },
    encoding: 'utf8',
    timeout: 90_000,
  });
}

const exited = (c: ChildProcess) => c.exitCode !== null || c.signalCode !== null;
const waitForExit = (c: ChildProcess) =>
  new Promise<number | null>((resolve) => (exited(c) ? resolve(c.exitCode) : c.once('exit', (code) => resolve(code))));

async function waitFor(what: string, child: ChildProcess, probe: () => Promise<boolean>, ms = 90_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (exited(child)) throw new Error(`${what}: process exited (${child.exitCode}):\n${output.get(child)}`);
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not ready:\n${output.get(child)!.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  // The build, exactly as documented (prisma generate, tsc, assets, workflow bundle).
  const build = spawnSync('npm', ['run', 'build'], { cwd: root, encoding: 'utf8', timeout: 240_000 });
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}\n${build.stderr}`);

  // An empty database on the tests' PostgreSQL server: `setup` must migrate it from scratch.
  const server = process.env.RELEVES_TEST_PG_SERVER!;
  databaseUrl = withDatabase(server, `prod_${randomBytes(6).toString('hex')}`);
  const admin = new Client({ connectionString: withDatabase(server, 'postgres') });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${new URL(databaseUrl).pathname.slice(1)}"`);
  await admin.end();
  // A Temporal server that does not know our search attributes yet.
  env = await localTemporal();
  ports = { api: await freePort(), metrics: await freePort(), temporalMetrics: await freePort() };
  prodEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_MAX: '4',
    WORKER_DATABASE_POOL_MAX: '4',
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: taskQueue,
    API_HOST: '127.0.0.1',
    API_PORT: String(ports.api),
    PUBLIC_BASE_URL: `http://127.0.0.1:${ports.api}`,
    // External services nobody calls during this test.
    POWENS_BASE_URL: 'https://releves-test.invalid/2.0',
    POWENS_CLIENT_ID: '12345678',
    POWENS_CLIENT_SECRET: randomBytes(16).toString('hex'),
    POWENS_WEBHOOK_SECRET: randomBytes(24).toString('hex'),
    POSTMARK_API_URL: 'https://postmark.invalid',
    POSTMARK_SERVER_TOKEN: randomUUID(),
    POSTMARK_FROM: 'Relevés <releves@example.fr>',
    POSTMARK_WEBHOOK_SECRET: randomBytes(24).toString('hex'),
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    SESSION_SECRET: randomBytes(32).toString('hex'),
    METRICS_TOKEN: randomBytes(24).toString('hex'),
    WORKER_METRICS_ADDRESS: `127.0.0.1:${ports.metrics}`,
    WORKER_TEMPORAL_METRICS_ADDRESS: `127.0.0.1:${ports.temporalMetrics}`,
  };
}, 300_000);

afterAll(async () => {
  for (const c of children) if (!exited(c)) c.kill('SIGKILL');
  await Promise.all(children.map(waitForExit));
  await env?.teardown();
  if (databaseUrl) await dropDatabase(databaseUrl);
});

test('the build holds the compiled entry points, the workflow bundle and what migrate reads, and never needs tsx', () => {
  for (const file of [
    'scripts/prod.js',
    'api/server.js',
    'worker/main.js',
    'workflow-bundle.js',
    'prisma.config.js',
    'prisma/schema.prisma',
    'web/static/portal.css',
  ])
    expect([file, existsSync(join(dist, file))]).toEqual([file, true]);
  const migrations = readdirSync(join(root, 'prisma', 'migrations')).filter((n) => !n.endsWith('.toml'));
  expect(readdirSync(join(dist, 'prisma', 'migrations')).filter((n) => !n.endsWith('.toml'))).toEqual(migrations);
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  for (const script of ['start:api', 'start:worker', 'migrate'])
    expect(pkg.scripts[script]).toMatch(/^node dist\/scripts\/prod\.js (api|worker|migrate)$/);
  const requiresTsx = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory()
        ? requiresTsx(join(dir, e.name))
        : e.name.endsWith('.js') && /require\("tsx|from "tsx/.test(readFileSync(join(dir, e.name), 'utf8'))
          ? [join(dir, e.name)]
          : [],
    );
  expect(requiresTsx(dist)).toEqual([]);
});

test('unsafe configurations are refused at start, one line naming the variable', () => {
  const refusals: Array<[string, NodeJS.ProcessEnv, string]> = [
    // The public development defaults of lib/config.ts.
    ['api', { SESSION_SECRET: 'dev-only-session-secret-change-me-in-production' }, 'SESSION_SECRET'],
    ['worker', { ENCRYPTION_KEY: 'ZGV2LW9ubHktZW5jcnlwdGlvbi1rZXktMzItYnl0ZXM=' }, 'ENCRYPTION_KEY'],
    // An external service left unset in production.
    ['api', { TEMPORAL_ADDRESS: '' }, 'TEMPORAL_ADDRESS'],
    // Half an mTLS client identity.
    ['worker', { TEMPORAL_TLS_CLIENT_CERT_PATH: join(root, 'package.json') }, 'TEMPORAL_TLS_CLIENT_KEY_PATH'],
  ];
  for (const [command, env, variable] of refusals) {
    const r = runProd(command, env);
    const lines = r.stderr.trim().split('\n');
    expect({ variable, status: r.status, lines: lines.length }).toEqual({ variable, status: 1, lines: 1 });
    expect(lines[0]).toMatch(new RegExp(`^${command}: Configuration refused: ${variable} `));
    expect(r.stdout).toBe('');
  }
}, 120_000);

test('setup migrates an empty database and registers the search attributes, from the compiled output', async () => {
  const r = runProd('setup');
  expect({ status: r.status, out: r.status === 0 ? '' : `${r.stdout}\n${r.stderr}` }).toEqual({ status: 0, out: '' });
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query(
      'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL ORDER BY 1',
    );
    const expected = readdirSync(join(root, 'prisma', 'migrations')).filter((n) => !n.endsWith('.toml'));
    expect(rows.map((x) => x.migration_name)).toEqual(expected.sort());
  } finally {
    await db.end();
  }
  const attrs = await env.connection.operatorService.listSearchAttributes({ namespace: 'default' });
  expect(Object.keys(attrs.customAttributes ?? {})).toEqual(
    expect.arrayContaining(['ConnectionState', 'ConsecutiveErrors', 'ErrorSince', 'NextCollectionAt']),
  );
}, 120_000);

test('the API and the worker run compiled under NODE_ENV=production: ready, measured, serving, stopping', async () => {
  const api = startProd('api', { LOG_LEVEL: 'debug' });
  const worker = startProd('worker');
  const origin = `http://127.0.0.1:${ports.api}`;
  await waitFor('api /readyz', api, async () => (await fetch(`${origin}/readyz`)).status === 200);
  const ready = (await (await fetch(`${origin}/readyz`)).json()) as { checks: Record<string, { ok: boolean }> };
  expect(ready.checks.database!.ok).toBe(true);
  expect(ready.checks.temporal!.ok).toBe(true);
  expect((await fetch(`${origin}/healthz`)).status).toBe(200);

  // One authenticated call, with a request id the API keeps and answers.
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  const accountId = randomUUID();
  const key = deriveApiKey(prodEnv.SESSION_SECRET!, 'production-test');
  try {
    await db.query(
      `INSERT INTO "PortalAccount" (id, kind, "rootId", name, siren, "contactEmail", "updatedAt")
       VALUES ($1, 'PRIMARY', $1, 'Cabinet Prod', '732829320', 'contact@cabinet.test', now())`,
      [accountId],
    );
    await db.query(
      `INSERT INTO "ApiKey" (id, "portalAccountId", name, prefix, "keyHash") VALUES ($1, $2, 'prod', $3, $4)`,
      [randomUUID(), accountId, key.prefix, key.keyHash],
    );
  } finally {
    await db.end();
  }
  const res = await fetch(`${origin}/api/v1/companies`, {
    headers: { authorization: `Bearer ${key.key}`, 'x-request-id': 'prod-test-request-0001' },
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('x-request-id')).toBe('prod-test-request-0001');
  expect(((await res.json()) as { items: unknown[] }).items).toEqual([]);
  expect((await fetch(`${origin}/api/v1/companies/${randomUUID()}`)).status).toBe(401);

  // /metrics on the public port: the bearer token or nothing.
  expect((await fetch(`${origin}/metrics`)).status).toBe(401);
  expect((await fetch(`${origin}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
  const metrics = await fetch(`${origin}/metrics`, { headers: { authorization: `Bearer ${prodEnv.METRICS_TOKEN}` } });
  expect(metrics.status).toBe(200);
  const text = await metrics.text();
  expect(text).toContain(
    'releves_http_request_duration_seconds_count{method="GET",route="/api/v1/companies",status="200"} 1',
  );
  // The route pattern, never the raw path with its id.
  expect(text).toContain('route="/api/v1/companies/:id",status="401"');
  expect(text).not.toMatch(/route="[^"]*[0-9a-f]{8}-[0-9a-f]{4}-/);
  expect(text).toContain('releves_database_metrics_up 1');
  expect(text).toContain('releves_outbox_messages{status="queued"} 0');
  expect(text).toMatch(/releves_api_process_cpu_seconds_total \d/);

  // The worker runs the prebuilt bundle: a connection workflow for an unknown connection fails in
  // its first activity (local: the database answers "not found"), which the worker's metrics count.
  await waitFor('worker', worker, async () => output.get(worker)!.includes('worker running'));
  expect(output.get(worker)).toContain('"bundle":"prebuilt"');
  const handle = await env.client.workflow.start('bankConnectionWorkflow', {
    taskQueue,
    workflowId: `bank-connection/${randomUUID()}`,
    args: [{ connectionId: randomUUID() }],
  });
  const failure = await handle.result().catch((e: unknown) => e);
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  const chain: string[] = [];
  for (let e = (failure as Error & { cause?: Error }).cause; e; e = (e as Error & { cause?: Error }).cause)
    chain.push(`${e.name}: ${e.message}`);
  expect(chain.join(' ← ')).toMatch(/ApplicationFailure: connection .* not found/);
  const workerMetrics = await (await fetch(`http://127.0.0.1:${ports.metrics}/metrics`)).text();
  expect(workerMetrics).toContain(
    'releves_activity_duration_seconds_count{activity="loadConnectionSettings",outcome="failed"} 1',
  );
  expect(workerMetrics).toContain('# TYPE releves_emails_total counter');
  expect(workerMetrics).toContain('# TYPE releves_statements_total counter');
  expect(workerMetrics).toMatch(/releves_worker_process_cpu_seconds_total \d/);
  expect((await fetch(`http://127.0.0.1:${ports.metrics}/healthz`)).status).toBe(200);
  // The Temporal SDK's own exporter, on its own port.
  let sdkMetrics = '';
  await waitFor('temporal metrics', worker, async () => {
    sdkMetrics = await (await fetch(`http://127.0.0.1:${ports.temporalMetrics}/metrics`)).text();
    return sdkMetrics.includes('temporal_local_activity_execution_failed'); // the settings' local activity
  });
  expect(sdkMetrics).toMatch(/temporal_workflow_failed\{/);

  // The API's access log carries the request id.
  expect(output.get(api)).toMatch(/"requestId":"prod-test-request-0001".*"route":"\/api\/v1\/companies"/);

  api.kill('SIGTERM');
  worker.kill('SIGTERM');
  expect(await waitForExit(api)).toBe(0);
  expect(await waitForExit(worker)).toBe(0);
}, 180_000);
