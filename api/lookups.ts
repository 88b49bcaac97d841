/**
 * The lookups that several resources share (a company in the caller's scope, a bank of the
 * referential for a catalogue connector, the SIREN's uniqueness), so that no route module imports
 * another.
 */
import type { Db, Prisma } from '../db/client';
import { audit } from './audit';
import type { AuthContext } from './auth-context';
import type { RouteContext } from './deps';
import { badRequest, conflict, notFound } from './errors';
import { companyInclude } from './present';
import { companyScope, connectionScope, scopeAccountIds, statementScope } from './scope';
import { sqlState, UNIQUE_VIOLATION } from '../db/errors';

/** Postgres' unique violation, through Prisma (P2002) or its SQLSTATE (db/errors.ts). */
export function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'P2002' || sqlState(err) === UNIQUE_VIOLATION;
}

export const SIREN_TAKEN = 'Un redevable de même SIREN existe déjà sur ce compte ou un compte rattaché.';

/**
 * Runs a write that may insert a company's SIREN: the database's unique index on (tree, SIREN) has
 * the last word when two writes race past the checks, and answers 409 like the checks do.
 */
export async function sirenUnique<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(SIREN_TAKEN, [{ field: 'siren', reason: 'déjà utilisé' }]);
    throw err;
  }
}

export async function findCompany(ctx: RouteContext, auth: AuthContext, id: string, includeSecondary: boolean) {
  const ids = await scopeAccountIds(ctx.deps.prisma, auth, includeSecondary);
  const company = await ctx.deps.prisma.company.findFirst({
    where: { id, ...companyScope(ids) },
    include: companyInclude,
  });
  if (!company) throw notFound('Redevable');
  return company;
}

/**
 * The account's bank for a connector of the catalogue: the one of the referential with that uuid,
 * else one of the same name (it gets the uuid), else a new one. 400 for a connector not listed.
 */
export async function bankForConnector(
  prisma: Db,
  who: { auth: AuthContext; req: Parameters<typeof audit>[1]['req'] },
  portalAccountId: string,
  uuid: string,
) {
  const connector = await prisma.powensConnector.findUnique({ where: { uuid } });
  if (!connector || !connector.listed)
    throw badRequest('Banque inconnue du catalogue.', [
      { field: 'connectorUuid', reason: 'aucune banque du catalogue Powens ne porte cet identifiant' },
    ]);
  const existing =
    (await prisma.bank.findFirst({ where: { portalAccountId, powensConnectorUuid: uuid } })) ??
    (await prisma.bank.findFirst({
      where: { portalAccountId, name: { equals: connector.name, mode: 'insensitive' } },
    }));
  if (existing) {
    if (existing.powensConnectorUuid === uuid) return existing;
    return prisma.bank.update({
      where: { id: existing.id },
      data: { powensConnectorUuid: uuid, powensConnectorId: existing.powensConnectorId ?? connector.powensId },
    });
  }
  return prisma.$transaction(async (tx) => {
    const b = await tx.bank.create({
      data: {
        portalAccountId,
        name: connector.name,
        powensConnectorId: connector.powensId,
        powensConnectorUuid: uuid,
      },
    });
    await audit(tx, who, {
      action: 'bank.create',
      entityType: 'Bank',
      entityId: b.id,
      detail: { connectorUuid: uuid, name: connector.name },
      portalAccountId,
    });
    return b;
  });
}

/** A bank connection in the caller's scope, with its company, bank and active accounts (404 otherwise). */
export async function findConnection(ctx: RouteContext, auth: AuthContext, id: string, includeSecondary: boolean) {
  const ids = await scopeAccountIds(ctx.deps.prisma, auth, includeSecondary);
  const c = await ctx.deps.prisma.bankConnection.findFirst({
    where: { id, ...connectionScope(ids) },
    include: {
      company: true,
      bank: true,
      accounts: { where: { active: true }, select: { id: true, label: true, iban: true }, orderBy: { label: 'asc' } },
    },
  });
  if (!c) throw notFound('Connexion bancaire');
  return c;
}

/** A statement in the caller's scope, with the fields `select` asks for (404 otherwise). */
export async function findStatement<S extends Prisma.StatementSelect>(
  ctx: RouteContext,
  auth: AuthContext,
  id: string,
  includeSecondary: boolean,
  select: S,
) {
  const ids = await scopeAccountIds(ctx.deps.prisma, auth, includeSecondary);
  const s = await ctx.deps.prisma.statement.findFirst({ where: { id, ...statementScope(ids) }, select });
  if (!s) throw notFound('Relevé');
  return s as Prisma.StatementGetPayload<{ select: S }>;
}
