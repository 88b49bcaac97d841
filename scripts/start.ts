/**
 * The whole system on embedded defaults: PostgreSQL, the Temporal dev server + Temporal Web, the
 * Powens sandbox, the mail sink, the worker, and the API + portal, with demo data. Writes
 * `.data/demo.json` when ready and stops everything on Ctrl-C or SIGTERM. Any service given by
 * the environment (DATABASE_URL, TEMPORAL_ADDRESS, POWENS_BASE_URL, POSTMARK_API_URL) is used
 * instead of its embedded stand-in.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Connection } from '@temporalio/client';
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { startEmbeddedPostgres, withDatabase } from '../lib/postgres';
import { temporalConnectionOptions } from '../lib/temporal-connection';
import { ensureSearchAttributes, startTemporalDevServer } from '../lib/temporal-dev-server';
import { prepareDatabase } from './db';
import { startSandboxes } from './sandboxes';
import { seedDemo } from './seed-demo';

const root = resolve(__dirname, '..');
const log = createLogger('start');
const stops: Array<() => Promise<void>> = [];
let stopping = false;

async function main() {
  const t0 = Date.now();
  const config = loadConfig();
  const dataDir = resolve(root, config.DATA_DIR);
  mkdirSync(dataDir, { recursive: true });

  const tools = await import(join(root, 'scripts', 'tools.mjs'));
  const temporalCli: string = config.embeddedTemporal ? tools.ensureTemporalCli() : '';

  let databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    const pg = await startEmbeddedPostgres({ dataDir: join(dataDir, 'postgres'), port: config.EMBEDDED_POSTGRES_PORT });
    stops.unshift(pg.stop);
    takeSignals();
    databaseUrl = withDatabase(pg.serverUrl, 'releves');
  }
  await prepareDatabase(databaseUrl);
  log.info('database ready');

  let temporalWebUrl = config.temporalWebUrl;
  if (config.embeddedTemporal) {
    const temporal = await startTemporalDevServer({
      cliPath: temporalCli,
      dbFile: join(dataDir, 'temporal', 'dev.db'),
      port: config.TEMPORAL_DEV_SERVER_PORT,
      uiPort: config.TEMPORAL_UI_PORT,
      namespace: config.TEMPORAL_NAMESPACE,
    });
    stops.unshift(temporal.stop);
    temporalWebUrl = temporal.uiUrl;
  } else {
    const connection = await Connection.connect(temporalConnectionOptions(config));
    await ensureSearchAttributes(connection, config.TEMPORAL_NAMESPACE);
    await connection.close();
  }
  log.info({ address: config.temporalAddress }, 'Temporal ready');

  const sandboxes = await startSandboxes(config, databaseUrl, dataDir);
  stops.unshift(sandboxes.stop);

  const env = { ...process.env, DATABASE_URL: databaseUrl, TEMPORAL_ADDRESS: config.temporalAddress };
  for (const [name, entry] of [
    ['worker', 'worker/main.ts'],
    ['api', 'api/server.ts'],
  ] as const) {
    const child = spawnChild(name, entry, env);
    stops.unshift(() => stopChild(child));
  }
  await waitForHealth(`http://127.0.0.1:${config.API_PORT}/readyz`);

  const demo = await seedDemo(databaseUrl, config);
  const summary = {
    urls: {
      portal: `${config.publicBaseUrl}/`,
      api: `${config.publicBaseUrl}/api/v1`,
      temporalWeb: temporalWebUrl,
      powensSandbox: sandboxes.powensUrl,
      mailSink: sandboxes.mailSinkUrl,
    },
    ...demo,
  };
  writeFileSync(join(dataDir, 'demo.json'), JSON.stringify(summary, null, 2) + '\n');
  console.log(
    [
      '',
      `Relevés is running (ready in ${((Date.now() - t0) / 1000).toFixed(1)} s). Ctrl-C stops everything.`,
      `  Portal          ${summary.urls.portal}`,
      `  API             ${summary.urls.api}   (OpenAPI: ${config.publicBaseUrl}/api/v1/openapi.json)`,
      `  Temporal Web    ${summary.urls.temporalWeb}`,
      `  Powens sandbox  ${summary.urls.powensSandbox}`,
      `  Mail sink       ${summary.urls.mailSink}`,
      `  Login           ${demo.login} / ${demo.password}`,
      `  API key         ${demo.apiKey}`,
      `  Demo details    ${join(config.DATA_DIR, 'demo.json')}`,
      '',
    ].join('\n'),
  );
}

function spawnChild(name: string, entry: string, env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(join(root, 'node_modules', '.bin', 'tsx'), [join(root, entry)], {
    cwd: root,
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      log.error({ name, code, signal }, `${name} exited unexpectedly: stopping everything`);
      void shutdown(1);
    }
  });
  return child;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

async function waitForHealth(url: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
      last = `${res.status} ${await res.text()}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${url} not healthy after 120 s: ${last}`);
}

async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  for (const stop of stops) {
    try {
      await stop();
    } catch (e) {
      log.warn({ err: e }, 'error while stopping');
    }
  }
  process.exit(code);
}

/**
 * The orchestrator alone decides the stopping order. embedded-postgres, once imported, registers
 * signal handlers (async-exit-hook) that stop PostgreSQL and exit at once, which left the worker
 * and Temporal running on a stopped database: any handler but ours is removed after PostgreSQL
 * starts, and PostgreSQL stops last. (`process.listeners` does not list tsx's own relay, kept.)
 */
const onSignal = () => void shutdown(0);
function takeSignals(): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    for (const l of process.listeners(signal)) if (l !== onSignal) process.removeListener(signal, l);
    if (!process.listeners(signal).includes(onSignal)) process.on(signal, onSignal);
  }
}
takeSignals();

main().catch((err) => {
  console.error(`npm start failed: ${err instanceof Error ? err.message : String(err)}`);
  void shutdown(1);
});
