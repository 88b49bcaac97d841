/**
 * Secure links ("jetons") sent to a company: what a link is worth, whoever issues or reads it (the
 * portal API, the link pages, the bank-connection activities). The secret is random, only its
 * SHA-256 is stored, it is valid 72 h and works once; its state is derived, never stored.
 */
import { createHash, randomBytes } from 'node:crypto';

export const LINK_TTL_MS = 72 * 3600_000;

export type LinkState = 'valid' | 'used' | 'expired';

/** used (usedAt), expired (revoked, or expiresAt reached), else valid. */
export function linkState(
  link: { usedAt: Date | null; revokedAt: Date | null; expiresAt: Date },
  now = new Date(),
): LinkState {
  if (link.usedAt) return 'used';
  if (link.revokedAt || link.expiresAt.getTime() <= now.getTime()) return 'expired';
  return 'valid';
}

/** What is stored of a secret (and looked up when the link is opened). */
export const hashLinkSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');

/** A new link's secret (32 random bytes, base64url: the last segment of its URL), hash and expiry. */
export function newLinkSecret(now: Date): { secret: string; secretHash: string; expiresAt: Date } {
  const secret = randomBytes(32).toString('base64url');
  return { secret, secretHash: hashLinkSecret(secret), expiresAt: new Date(now.getTime() + LINK_TTL_MS) };
}
