/**
 * Tenant scoping. Every query goes through these `where` builders: the caller's own portal account,
 * plus its secondaries when a primary account asks for them (`includeSecondary=true`). A resource
 * outside the scope is indistinguishable from a missing one (404).
 */
import { Prisma, readSql, type Db } from '../db/client';
import type { AuthContext } from './auth-context';
import { badRequest } from './errors';

export async function scopeAccountIds(prisma: Db, auth: AuthContext, includeSecondary = false): Promise<string[]> {
  if (!includeSecondary) return [auth.account.id];
  if (auth.account.kind !== 'PRIMARY') {
    throw badRequest('Seul un compte principal peut afficher les données de ses comptes secondaires.', [
      { field: 'includeSecondary', reason: 'réservé aux comptes principaux' },
    ]);
  }
  // On every list a primary asks with its secondaries: one plain read, planned once (db/client.ts readSql).
  const children = await readSql<{ id: string }>(
    prisma,
    Prisma.sql`SELECT id::text AS id FROM "PortalAccount" WHERE "parentId" = ${auth.account.id}::uuid ORDER BY id`,
    { planOnce: true },
  );
  return [auth.account.id, ...children.map((c) => c.id)];
}

export const companyScope = (ids: string[]): Prisma.CompanyWhereInput => ({
  portalAccountId: ids.length === 1 ? ids[0]! : { in: ids },
});
/** A bank account carries its company's portal account (written by the database, prisma/schema.prisma). */
export const bankAccountScope = (ids: string[]): Prisma.BankAccountWhereInput => ({
  portalAccountId: ids.length === 1 ? ids[0]! : { in: ids },
});
export const connectionScope = (ids: string[]): Prisma.BankConnectionWhereInput => ({ company: companyScope(ids) });
/** A statement carries its company's portal account (written by the database, prisma/schema.prisma). */
export const statementScope = (ids: string[]): Prisma.StatementWhereInput => ({
  portalAccountId: ids.length === 1 ? ids[0]! : { in: ids },
});
export const notificationScope = (ids: string[]): Prisma.NotificationWhereInput => ({ portalAccountId: { in: ids } });
export const bankScope = (ids: string[]): Prisma.BankWhereInput => ({ portalAccountId: { in: ids } });
