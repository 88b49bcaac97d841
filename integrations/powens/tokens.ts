/**
 * Powens user tokens at rest: AES-256-GCM with ENCRYPTION_KEY (32 bytes, base64), a fresh 96-bit
 * IV per encryption, stored as `v1:<iv>:<tag>:<ciphertext>` (each part base64url, no padding).
 * (The first cut's activities/token-crypto.ts wrote the same format; it is gone.)
 * The version prefix lets a later format (or key) coexist: decryption dispatches on it.
 * A wrong key, a modified part or a truncated value throws `TokenDecryptionError`, never garbage.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const B64URL = /^[A-Za-z0-9_-]+$/;

export class TokenDecryptionError extends Error {
  override readonly name = 'TokenDecryptionError';
}

function key(keyBase64: string): Buffer {
  const k = Buffer.from(keyBase64, 'base64');
  if (k.length !== 32) throw new RangeError('ENCRYPTION_KEY must be 32 bytes encoded in base64');
  return k;
}

export function encryptToken(token: string, keyBase64: string): string {
  if (!token) throw new TypeError('cannot encrypt an empty token');
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key(keyBase64), iv, { authTagLength: TAG_BYTES });
  const ct = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
  return [VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ct.toString('base64url')].join(
    ':',
  );
}

export function decryptToken(stored: string, keyBase64: string): string {
  const k = key(keyBase64);
  const parts = stored.split(':');
  if (parts.length !== 4 || parts[0] !== VERSION)
    throw new TokenDecryptionError(`unsupported encrypted token format (expected ${VERSION}:<iv>:<tag>:<ciphertext>)`);
  const [, ivText, tagText, ctText] = parts as [string, string, string, string];
  if (![ivText, tagText, ctText].every((p) => B64URL.test(p)))
    throw new TokenDecryptionError('encrypted token is not base64url');
  const iv = Buffer.from(ivText, 'base64url');
  const tag = Buffer.from(tagText, 'base64url');
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES)
    throw new TokenDecryptionError('encrypted token is truncated');
  try {
    const decipher = createDecipheriv('aes-256-gcm', k, iv, { authTagLength: TAG_BYTES });
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(Buffer.from(ctText, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    throw new TokenDecryptionError('encrypted token does not authenticate (wrong key or altered value)');
  }
}

/** True for a value in our encrypted format (to migrate plaintext values, for instance). */
export function isEncryptedToken(value: string): boolean {
  return /^v1:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$/.test(value);
}
