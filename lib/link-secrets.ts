/**
 * A secure link's secret (domain/links.ts says what a link is worth): drawn from the system's
 * random source, stored only as its SHA-256.
 */
import { createHash, randomBytes } from 'node:crypto';
import { LINK_TTL_MS } from '../domain/links';

/** What is stored of a secret (and looked up when the link is opened). */
export const hashLinkSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');

/** A new link's secret (32 random bytes, base64url: the last segment of its URL), hash and expiry. */
export function newLinkSecret(now: Date): { secret: string; secretHash: string; expiresAt: Date } {
  const secret = randomBytes(32).toString('base64url');
  return { secret, secretHash: hashLinkSecret(secret), expiresAt: new Date(now.getTime() + LINK_TTL_MS) };
}
