/**
 * The API benchmark's server, in its own process as in production (the load generator's 16 clients
 * would otherwise share its event loop): the real app (createApp) on DATABASE_URL, no Temporal.
 * It records the SQL that PostgreSQL receives (every pg query, Prisma's included, text and
 * parameters) between the parent's `capture` and `captured` messages, for the benchmark's EXPLAINs.
 * Started by bench/api.ts with fork(); answers `{ port }` once listening.
 */
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { Client as TemporalClient, Connection } from '@temporalio/client';
import { createApp } from '../api/app';
import { createApiDatabase } from '../api/database';
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';

export interface CapturedQuery {
  text: string;
  values: unknown[];
}

let captured: CapturedQuery[] | undefined;
const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  if (captured) {
    const [first, second] = args as [string | { text: string; values?: unknown[] }, unknown];
    const text = typeof first === 'string' ? first : first.text;
    const values = typeof first === 'string' ? second : first.values;
    captured.push({ text, values: Array.isArray(values) ? values : [] });
  }
  return query.apply(this, args);
} as typeof pg.Client.prototype.query;

async function main() {
  const url = process.env.BENCH_DATABASE_URL;
  if (!url || !process.send) throw new Error('bench/api-server.ts is started by bench/api.ts');
  const config = loadConfig({});
  const prisma = createApiDatabase(url, { max: config.DATABASE_POOL_MAX });
  const connection = Connection.lazy({ address: '127.0.0.1:1' });
  const app = createApp({
    config,
    prisma,
    temporal: new TemporalClient({ connection }),
    logger: createLogger('bench', 'silent'),
  });
  const server = app.listen(0, '127.0.0.1', () => {
    process.send!({ port: (server.address() as AddressInfo).port });
  });
  process.on('message', (m: { capture?: boolean }) => {
    if (m.capture) captured = [];
    else {
      process.send!({ captured: captured ?? [] });
      captured = undefined;
    }
  });
  process.on('disconnect', () => {
    server.close();
    void prisma.$disconnect().finally(() => process.exit(0));
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
