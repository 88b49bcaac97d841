/**
 * Database preparation shared by `npm start`, `npm test` and the benchmarks: generates the Prisma
 * client when the schema changed, creates the database and applies the committed migrations.
 * `prisma migrate deploy` takes ~11 s (a timer in the WebAssembly engine), so tests apply the
 * migrations once into a template database named after the migrations' hash and copy it per file.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { Client } from 'pg';
import { ensureDatabase, withDatabase } from '../lib/postgres';

const root = join(__dirname, '..');
const prismaBin = join(root, 'node_modules', '.bin', 'prisma');

function prisma(args: string[], databaseUrl: string): void {
  const r = spawnSync(prismaBin, args, {
    cwd: root,
    env: { ...process.env, DATABASE_URL: databaseUrl, PRISMA_HIDE_UPDATE_MESSAGE: '1' },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`prisma ${args.join(' ')} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
}

export function migrationsHash(): string {
  const dir = join(root, 'prisma', 'migrations');
  const h = createHash('sha256');
  for (const name of readdirSync(dir).sort()) {
    const file = join(dir, name, 'migration.sql');
    if (existsSync(file)) h.update(name).update(readFileSync(file));
  }
  return h.digest('hex').slice(0, 12);
}

/** Runs `prisma generate` unless the generated client matches the current schema. */
export function ensurePrismaClient(databaseUrl: string): void {
  const schema = readFileSync(join(root, 'prisma', 'schema.prisma'));
  const digest = createHash('sha256').update(schema).digest('hex');
  const stamp = join(root, 'prisma', 'generated', '.schema-sha256');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === digest) return;
  prisma(['generate'], databaseUrl);
  writeFileSync(stamp, digest);
}

export function migrateDeploy(databaseUrl: string): void {
  prisma(['migrate', 'deploy'], databaseUrl);
}

/** Creates the database if needed and applies pending migrations. */
export async function prepareDatabase(databaseUrl: string): Promise<void> {
  ensurePrismaClient(databaseUrl);
  await ensureDatabase(databaseUrl);
  if (await hasPendingMigrations(databaseUrl)) migrateDeploy(databaseUrl);
}

async function hasPendingMigrations(databaseUrl: string): Promise<boolean> {
  const dir = join(root, 'prisma', 'migrations');
  const expected = readdirSync(dir).filter((n) => existsSync(join(dir, n, 'migration.sql')));
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ migration_name: string }>(
      `SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
    );
    const applied = new Set(rows.map((r) => r.migration_name));
    return expected.some((n) => !applied.has(n));
  } catch {
    return true; // no _prisma_migrations table yet
  } finally {
    await client.end();
  }
}

/** A migrated template database for tests, reused while the migrations do not change. */
export async function ensureTemplateDatabase(serverUrl: string): Promise<string> {
  const name = `releves_template_${migrationsHash()}`;
  const url = withDatabase(serverUrl, name);
  const admin = new Client({ connectionString: withDatabase(serverUrl, 'postgres') });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ datistemplate: boolean }>(
      'SELECT datistemplate FROM pg_database WHERE datname = $1',
      [name],
    );
    if (rows[0]?.datistemplate) return name;
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await ensureDatabase(url);
    ensurePrismaClient(url);
    migrateDeploy(url);
    await admin.query(`ALTER DATABASE "${name}" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`);
    return name;
  } finally {
    await admin.end();
  }
}
