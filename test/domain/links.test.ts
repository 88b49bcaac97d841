import { createHash } from 'node:crypto';
import { LINK_TTL_MS, linkState } from '../../domain/links';
import { hashLinkSecret, newLinkSecret } from '../../lib/link-secrets';

const at = new Date('2026-11-23T10:00:00Z');
const link = (o: Partial<{ usedAt: Date | null; revokedAt: Date | null; expiresAt: Date }> = {}) => ({
  usedAt: null,
  revokedAt: null,
  expiresAt: new Date(at.getTime() + 1000),
  ...o,
});

test('state: used wins, then revoked or reached expiry is expired, else valid', () => {
  expect(linkState(link(), at)).toBe('valid');
  expect(linkState(link({ expiresAt: at }), at)).toBe('expired');
  expect(linkState(link({ revokedAt: at }), at)).toBe('expired');
  expect(linkState(link({ usedAt: at, revokedAt: at, expiresAt: at }), at)).toBe('used');
});

test('a new secret: 32 random bytes in base64url, stored as its SHA-256, valid 72 h', () => {
  const a = newLinkSecret(at);
  const b = newLinkSecret(at);
  expect(a.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(a.secret).not.toBe(b.secret);
  expect(a.secretHash).toBe(createHash('sha256').update(a.secret).digest('hex'));
  expect(hashLinkSecret(a.secret)).toBe(a.secretHash);
  expect(a.expiresAt.getTime() - at.getTime()).toBe(LINK_TTL_MS);
  expect(LINK_TTL_MS).toBe(72 * 3600_000);
});
