// Prisma CLI configuration: migrations run through the WebAssembly schema engine with our
// adapter (db/migration-adapter.ts), so no native engine is ever downloaded.
import { defineConfig } from 'prisma/config';
import { migrationAdapterFactory } from './db/migration-adapter';

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  adapter: async () => {
    const url = process.env.DATABASE_URL;
    if (!url) throw new Error('DATABASE_URL must be set for Prisma migrations (scripts/db.ts sets it)');
    return migrationAdapterFactory(url);
  },
});
