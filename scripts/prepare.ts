/** Set-up shared by `npm test` and the benchmarks: Prisma client generated, Temporal servers built/fetched. */
import { join } from 'node:path';
import { ensurePrismaClient } from './db';

async function main() {
  // `prisma generate` reads DATABASE_URL without connecting: any well-formed URL will do.
  ensurePrismaClient(process.env.DATABASE_URL ?? 'postgresql://localhost/releves');
  const tools = await import(join(__dirname, 'tools.mjs'));
  const paths = tools.ensureTools();
  console.log(`Temporal CLI: ${paths.temporalCli}\nTemporal test server: ${paths.temporalTestServer}`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
