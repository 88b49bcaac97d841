/** Powens user tokens at rest: AES-256-GCM, versioned format, tamper detection. */
import { randomBytes } from 'node:crypto';
import { TokenDecryptionError, decryptToken, encryptToken, isEncryptedToken } from '../../integrations/powens';

const KEY = randomBytes(32).toString('base64');
const TOKEN = 'z3Kx8qJv0rT5yWm2bN7cE1hD4gF6aS9u_Powens-permanent-token';

/** Flips one bit of the decoded bytes of part `index` (1 = iv, 2 = tag, 3 = ciphertext). */
function tamper(stored: string, index: number): string {
  const parts = stored.split(':');
  const bytes = Buffer.from(parts[index]!, 'base64url');
  bytes[bytes.length - 1]! ^= 0x01;
  parts[index] = bytes.toString('base64url');
  return parts.join(':');
}

test('round trip, versioned format v1:<iv>:<tag>:<ciphertext> in base64url', () => {
  const stored = encryptToken(TOKEN, KEY);
  expect(stored).toMatch(/^v1:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]{22}:[A-Za-z0-9_-]+$/);
  expect(isEncryptedToken(stored)).toBe(true);
  expect(isEncryptedToken(TOKEN)).toBe(false);
  expect(stored).not.toContain(TOKEN);
  expect(decryptToken(stored, KEY)).toBe(TOKEN);
  expect(decryptToken(encryptToken('é€ unicode', KEY), KEY)).toBe('é€ unicode');
});

test('a fresh IV each time: the same token encrypts differently', () => {
  const a = encryptToken(TOKEN, KEY);
  const b = encryptToken(TOKEN, KEY);
  expect(a).not.toBe(b);
  expect(a.split(':')[1]).not.toBe(b.split(':')[1]);
});

test.each([
  ['iv', 1],
  ['tag', 2],
  ['ciphertext', 3],
])('an altered %s is detected', (_name, index) => {
  const stored = encryptToken(TOKEN, KEY);
  expect(() => decryptToken(tamper(stored, index), KEY)).toThrow(TokenDecryptionError);
});

test('a wrong key, a truncated value or another format are refused', () => {
  const stored = encryptToken(TOKEN, KEY);
  expect(() => decryptToken(stored, randomBytes(32).toString('base64'))).toThrow(/wrong key or altered/);
  expect(() => decryptToken(stored.slice(0, -4), KEY)).toThrow(TokenDecryptionError);
  expect(() => decryptToken(stored.replace(/^v1/, 'v2'), KEY)).toThrow(/unsupported/);
  expect(() => decryptToken(TOKEN, KEY)).toThrow(/unsupported/);
  expect(() => decryptToken('v1:abc:def:ghi', KEY)).toThrow(/truncated/);
  expect(() => decryptToken('v1:a+b:c:d', KEY)).toThrow(/base64url/);
});

test('the key must be 32 bytes in base64; an empty token is refused', () => {
  expect(() => encryptToken(TOKEN, randomBytes(16).toString('base64'))).toThrow(/32 bytes/);
  expect(() => encryptToken('', KEY)).toThrow(/empty/);
});

test('decrypts a value stored by the first cut (activities/token-crypto.ts, removed)', () => {
  const key = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=';
  const stored = 'v1:zr1Px4bwJ57T7QxH:j19p_-5wjAdPG4SMIJS40Q:Ak3dxZW5TyOBBblumPCJHpwTv_zZpTI';
  expect(decryptToken(stored, key)).toBe('stored-by-the-first-cut');
});
