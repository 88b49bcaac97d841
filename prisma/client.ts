/** The Prisma client, through the pg driver adapter (no native query engine). */
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/prisma/client';

export { Prisma } from './generated/prisma/client';
export type * from './generated/prisma/client';

export function createPrismaClient(databaseUrl: string, opts: { max?: number } = {}): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl, max: opts.max ?? 10 }) });
}

export type Db = PrismaClient;
