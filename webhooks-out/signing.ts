/**
 * Standard Webhooks signing (https://www.standardwebhooks.com, the `standardwebhooks` package):
 * `webhook-id`, `webhook-timestamp` (seconds), `webhook-signature: v1,<base64 HMAC-SHA256 of
 * "id.timestamp.body">` with the endpoint's `whsec_<base64>` secret. During the 24 hours after a
 * rotation the previous secret signs too (space-separated signatures), so receivers can switch
 * at their pace. Secrets are stored encrypted (ENCRYPTION_KEY, the Powens tokens' format).
 */
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { decryptToken, encryptToken } from '../integrations/powens/tokens';

/** How long the previous secret still signs after a rotation. */
export const ROTATION_OVERLAP_MS = 24 * 3600_000;

/** A new secret: `whsec_` + 32 random bytes in base64. */
export const newWebhookSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

export const encryptSecret = (secret: string, key: string) => encryptToken(secret, key);
export const decryptSecret = (stored: string, key: string) => decryptToken(stored, key);

/** The headers of one attempt: signed with each secret given (the current one first). */
export function signatureHeaders(id: string, at: Date, body: string, secrets: string[]): Record<string, string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': secrets.map((s) => new Webhook(s).sign(id, at, body)).join(' '),
  };
}
