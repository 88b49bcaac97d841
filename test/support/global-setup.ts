/**
 * Once per `jest` run: builds/fetches the Temporal servers, starts the test PostgreSQL (embedded,
 * or the server of DATABASE_URL when it is set) and prepares the migrated template database that
 * each test file copies (test/support/db.ts). Values reach the test files through process.env.
 */
import { join } from 'node:path';
import { freePort } from '../../lib/net';
import { startEmbeddedPostgres, type RunningPostgres } from '../../lib/postgres';
import { ensureTemplateDatabase } from '../../scripts/db';

declare global {
  var __RELEVES_PG__: RunningPostgres | undefined;
}

export default async function globalSetup(): Promise<void> {
  const root = join(__dirname, '..', '..');

  const tools = await import(join(root, 'scripts', 'tools.mjs'));
  const { temporalCli, temporalTestServer } = tools.ensureTools();
  process.env.TEMPORAL_CLI_PATH = temporalCli;
  process.env.TEMPORAL_TEST_SERVER_PATH = temporalTestServer;

  let serverUrl: string;
  if (process.env.DATABASE_URL) {
    const u = new URL(process.env.DATABASE_URL);
    u.pathname = '';
    serverUrl = u.toString().replace(/\/$/, '');
  } else {
    const pg = await startEmbeddedPostgres({
      dataDir: join(root, '.data', 'test-postgres'),
      port: Number(process.env.TEST_POSTGRES_PORT) || (await freePort()),
    });
    globalThis.__RELEVES_PG__ = pg;
    serverUrl = pg.serverUrl;
  }
  process.env.RELEVES_TEST_PG_SERVER = serverUrl;
  process.env.RELEVES_TEST_TEMPLATE_DB = await ensureTemplateDatabase(serverUrl);
}
