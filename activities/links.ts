/**
 * The company's update-credentials links as the connection issues and closes them (what a link is
 * worth: domain/links.ts): a new one sealed in its e-mail, and the pending one closed when used or
 * expired (with its link.expired event).
 */
import { newLinkSecret } from '../lib/link-secrets';
import type { Prisma } from '../db/client';
import { prismaSql } from '../db/sql';
import { loadConnection, type ConnectionActivityDeps, type LoadedConnection } from './context';
import { linkUrlPlaceholder, LINK_SECRET_PLACEHOLDER, sealSecrets } from '../email/secrets';
import { enqueueEmail } from '../email/connection-outbox';
import { enqueueConnectionEvent } from '../webhooks-out';

export function createLinkActivities({ prisma }: Pick<ConnectionActivityDeps, 'prisma'>) {
  return {
    /**
     * The pending link is over: `used` (the company reconnected; a link used through the callback
     * already has usedAt) or `expired` (72 h passed: marked revoked so that it no longer counts as
     * valid even if the clocks disagree by a little).
     */
    async closeLink(linkId: string, outcome: 'used' | 'expired', atIso: string): Promise<void> {
      const at = new Date(atIso);
      if (outcome === 'used')
        await prisma.link.updateMany({
          where: { id: linkId, usedAt: null, revokedAt: null },
          data: { usedAt: at },
        });
      else
        await prisma.$transaction(async (tx) => {
          const { count } = await tx.link.updateMany({
            where: { id: linkId, usedAt: null, revokedAt: null },
            data: { revokedAt: at },
          });
          const link = count ? await tx.link.findUnique({ where: { id: linkId } }) : null;
          if (!link?.connectionId) return;
          const c = await loadConnection(prisma, link.connectionId);
          await enqueueConnectionEvent(prismaSql(tx), c, {
            type: 'link.expired',
            occurredAt: at,
            idempotencyKey: `link.expired/${linkId}`,
            data: {
              link: {
                id: link.id,
                kind: link.kind === 'ADD_ACCOUNTS' ? 'add-accounts' : 'update-credentials',
                recipient: link.recipient,
                createdAt: link.createdAt.toISOString(),
                expiresAt: link.expiresAt.toISOString(),
              },
              state: c.state,
              streak: c.consecutiveErrors,
            },
          });
        });
    },
  };
}

/**
 * A new automatic update-credentials link for a failing connection (72 h) and its e-mail to the
 * company, in the caller's transaction. The stored e-mail holds a placeholder; the secret waits
 * beside it, encrypted, for the sender.
 */
export async function issueCredentialsLink(
  tx: Prisma.TransactionClient,
  deps: Pick<ConnectionActivityDeps, 'config' | 'outbox'>,
  c: LoadedConnection,
  failure: { state: string; errorMessage: string | null; at: string },
  idempotencyKey: string,
) {
  const at = new Date(failure.at);
  const fresh = newLinkSecret(at);
  const link = await tx.link.create({
    data: {
      companyId: c.companyId,
      portalAccountId: c.company.portalAccountId, // the database's to decide (a trigger)
      connectionId: c.id,
      kind: 'UPDATE_CREDENTIALS',
      recipient: c.company.email!,
      secretHash: fresh.secretHash,
      automatic: true,
      createdAt: at,
      expiresAt: fresh.expiresAt,
    },
  });
  await enqueueEmail(
    tx,
    deps.outbox.renderCredentialsLink(c, link, linkUrlPlaceholder(deps.config.publicBaseUrl), failure),
    {
      idempotencyKey,
      portalAccountId: c.company.portalAccountId,
      secretsEnc: sealSecrets({ [LINK_SECRET_PLACEHOLDER]: fresh.secret }, deps.config.ENCRYPTION_KEY),
    },
  );
  return link;
}
