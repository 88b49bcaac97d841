/** One-shot set-up of a deployment (docker-compose `setup` service): migrations + search attributes. */
import { Connection } from '@temporalio/client';
import { loadConfig } from '../lib/config';
import { ensureSearchAttributes } from '../lib/temporal-dev-server';
import { migrateDeploy } from './db';

async function main() {
  const config = loadConfig();
  if (!config.DATABASE_URL) throw new Error('DATABASE_URL is required');
  migrateDeploy(config.DATABASE_URL);
  const connection = await Connection.connect({ address: config.temporalAddress });
  await ensureSearchAttributes(connection, config.TEMPORAL_NAMESPACE);
  await connection.close();
  console.log('deployment set-up done');
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
