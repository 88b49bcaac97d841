/**
 * Invitations of a secondary account's user (api/routes/secondary-accounts.ts): a one-time link to
 * choose the password (api/routes/password-setup.ts redeems it), sent by e-mail, valid 7 days.
 */
import { randomBytes } from 'node:crypto';
import { renderAccountInvitation } from '../email/notices';
import { enqueueEmail, LINK_SECRET_PLACEHOLDER, sealSecrets } from '../email';
import type { Config } from '../lib/config';
import type { Prisma } from '../db/client';
import { sha256 } from './auth';

/** An invitation link lasts 7 days. */
export const INVITATION_TTL_MS = 7 * 24 * 3600_000;

/** Issues a one-time password link for the user (older ones revoked) and queues its e-mail. */
export async function invite(
  tx: Prisma.TransactionClient,
  config: Config,
  opts: { userId: string; login: string; to: string; account: { id: string; name: string }; primaryName: string },
) {
  const now = new Date();
  const secret = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + INVITATION_TTL_MS);
  await tx.passwordSetup.updateMany({
    where: { userId: opts.userId, usedAt: null, revokedAt: null },
    data: { revokedAt: now },
  });
  const setup = await tx.passwordSetup.create({
    data: { userId: opts.userId, secretHash: sha256(secret), expiresAt },
  });
  const email = renderAccountInvitation({
    to: opts.to,
    primary: { name: opts.primaryName },
    account: { name: opts.account.name },
    login: opts.login,
    // The secret stays out of the stored bodies (email/secrets.ts).
    url: `${config.publicBaseUrl}/mot-de-passe/${LINK_SECRET_PLACEHOLDER}`,
    expiresAt,
    platform: { supportEmail: config.SUPPORT_EMAIL, supportPhone: config.SUPPORT_PHONE },
  });
  await enqueueEmail(tx, email, {
    idempotencyKey: `invitation/${setup.id}`,
    portalAccountId: opts.account.id,
    secretsEnc: sealSecrets({ [LINK_SECRET_PLACEHOLDER]: secret }, config.ENCRYPTION_KEY),
  });
}
