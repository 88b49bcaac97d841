/** Every write leaves an AuditEvent (who, what, when, from where), in the write's own transaction. */
import type { Request } from 'express';
import type { Prisma } from '../db/client';
import type { AuthContext } from './auth-context';

export interface AuditEntry {
  action: string;
  entityType: string;
  entityId?: string | null;
  detail?: Prisma.InputJsonValue;
  /** Defaults to the caller's account (e.g. a primary acting on a secondary's company passes it). */
  portalAccountId?: string;
}

export async function audit(
  tx: Prisma.TransactionClient,
  who: { auth: AuthContext; req: Request },
  e: AuditEntry,
): Promise<void> {
  await tx.auditEvent.create({ data: auditRow(who, e) });
}

export function auditRow(who: { auth: AuthContext; req: Request }, e: AuditEntry): Prisma.AuditEventCreateManyInput {
  return {
    portalAccountId: e.portalAccountId ?? who.auth.account.id,
    actorType: who.auth.actor.type,
    actorId: who.auth.actor.id,
    action: e.action,
    entityType: e.entityType,
    entityId: e.entityId ?? null,
    detail: e.detail,
    ip: who.req.ip ?? null,
  };
}
