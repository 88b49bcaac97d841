/**
 * Driver adapter for Prisma's WebAssembly schema engine (`engine: "js"` in prisma.config.ts), so
 * that `prisma migrate` works without Prisma's native engines (which are downloaded from a host
 * our machines cannot reach). Two fixes over the stock PrismaPg factory, see docs/prisma.md:
 *  1. the catalog columns the engine introspects use PostgreSQL internal types (name, char, oid…)
 *     that adapter-pg 6.19.3 cannot decode: their result OIDs are rewritten to text / text[];
 *  2. the shadow database is created and dropped here, after its own pool is closed.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';

const TEXT = 25;
const TEXT_ARRAY = 1009;
const AS_TEXT = new Set([18, 19, 22, 24, 28, 30, 194, 1033, 2205, 2206]);

type Field = { dataTypeID: number };
function rewrite(result: unknown): unknown {
  const fields = (result as { fields?: Field[] } | undefined)?.fields;
  for (const f of fields ?? []) {
    if (AS_TEXT.has(f.dataTypeID)) f.dataTypeID = TEXT;
    else if (f.dataTypeID === 1003) f.dataTypeID = TEXT_ARRAY;
  }
  return result;
}

class CatalogFriendlyClient extends pg.Client {
  // pg's query() is heavily overloaded; both the callback and the promise forms are wrapped.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override query(...args: any[]): any {
    const last = args[args.length - 1];
    if (typeof last === 'function') {
      args[args.length - 1] = (err: Error | null, res: unknown) => last(err, err ? res : rewrite(res));
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      return (super.query as any)(...args);
    }
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const out = (super.query as any)(...args);
    return out && typeof out.then === 'function' ? out.then(rewrite) : out;
  }
}

function adapterFor(connectionString: string): PrismaPg {
  const pool = new pg.Pool({ connectionString, Client: CatalogFriendlyClient, allowExitOnIdle: true, max: 4 });
  return new PrismaPg(pool, { disposeExternalPool: true });
}

export function migrationAdapterFactory(databaseUrl: string): SqlMigrationAwareDriverAdapterFactory {
  const main = adapterFor(databaseUrl);
  return {
    provider: main.provider,
    adapterName: main.adapterName,
    connect: () => main.connect(),
    async connectToShadowDb() {
      const name = `prisma_shadow_${randomUUID().replace(/-/g, '')}`;
      const admin = new pg.Client({ connectionString: databaseUrl });
      await admin.connect();
      await admin.query(`CREATE DATABASE "${name}"`);
      await admin.end();
      const url = new URL(databaseUrl);
      url.pathname = `/${name}`;
      const shadow = await adapterFor(url.toString()).connect();
      const dispose = shadow.dispose.bind(shadow);
      shadow.dispose = async () => {
        await dispose();
        const dropper = new pg.Client({ connectionString: databaseUrl });
        await dropper.connect();
        await dropper.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        await dropper.end();
      };
      return shadow;
    },
  };
}
