/**
 * The production entry point, compiled to dist/scripts/prod.js and run under plain node (no tsx):
 *
 *   node dist/scripts/prod.js api                 the API + portal (npm run start:api)
 *   node dist/scripts/prod.js worker              a Temporal worker (npm run start:worker)
 *   node dist/scripts/prod.js migrate             applies the Prisma migrations (npm run migrate)
 *   node dist/scripts/prod.js search-attributes   registers our search attributes on the namespace
 *   node dist/scripts/prod.js setup               migrate, then search-attributes (docker-compose `setup`)
 *
 * Everything comes from the environment (lib/config.ts, `.env.example`). `migrate` runs Prisma's CLI
 * on the compiled prisma.config.js next to this build, with the schema and migrations that
 * `npm run build` copied into dist/prisma/ (the WebAssembly schema engine: nothing is downloaded).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { loadConfig } from '../lib/config';
import { exitOnStartupFailure } from '../lib/startup';
import { temporalConnectionOptions } from '../lib/temporal-connection';
import { ensureSearchAttributes } from '../lib/temporal-dev-server';

/** dist/ when compiled (this file is dist/scripts/prod.js). */
const buildRoot = join(__dirname, '..');

const COMMANDS = ['api', 'worker', 'migrate', 'search-attributes', 'setup'] as const;
type Command = (typeof COMMANDS)[number];

function migrate(databaseUrl: string): void {
  const configFile = join(buildRoot, 'prisma.config.js');
  if (!existsSync(configFile)) throw new Error(`${configFile} is missing: run \`npm run build\``);
  const cli = require.resolve('prisma/build/index.js');
  const r = spawnSync(process.execPath, [cli, 'migrate', 'deploy', '--config', configFile], {
    cwd: buildRoot,
    env: { ...process.env, DATABASE_URL: databaseUrl, PRISMA_HIDE_UPDATE_MESSAGE: '1' },
    stdio: 'inherit',
  });
  if (r.status !== 0) throw new Error(`prisma migrate deploy failed (exit ${r.status ?? r.signal})`);
}

async function searchAttributes(config: ReturnType<typeof loadConfig>): Promise<void> {
  const connection = await Connection.connect(temporalConnectionOptions(config));
  try {
    await ensureSearchAttributes(connection, config.TEMPORAL_NAMESPACE);
  } finally {
    await connection.close();
  }
}

async function main(command: string | undefined): Promise<void> {
  if (!COMMANDS.includes(command as Command)) {
    console.error(`usage: node dist/scripts/prod.js ${COMMANDS.join('|')} (got ${command ?? 'nothing'})`);
    process.exit(2);
  }
  // The long-running processes load their own configuration and report their own failures.
  if (command === 'api') return void require('../api/server');
  if (command === 'worker') return void require('../worker/main');
  const config = loadConfig();
  if (command === 'migrate' || command === 'setup') {
    if (!config.DATABASE_URL) throw new Error('DATABASE_URL is required');
    migrate(config.DATABASE_URL);
    console.log('migrations applied');
  }
  if (command === 'search-attributes' || command === 'setup') {
    await searchAttributes(config);
    console.log(`search attributes registered on namespace ${config.TEMPORAL_NAMESPACE}`);
  }
}

main(process.argv[2]).catch(exitOnStartupFailure(`prod ${process.argv[2] ?? ''}`.trim()));
