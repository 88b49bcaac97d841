/**
 * Secure links ("jetons") sent to a company: what a link is worth, whoever issues or reads it (the
 * portal API, the link pages, the bank-connection activities). The secret is random, only its
 * SHA-256 is stored, it is valid 72 h and works once; its state is derived, never stored. (The
 * secret itself is drawn in lib/link-secrets.ts: randomness is not the domain's.)
 */
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
