/**
 * Secrets at rest in the outbox. A secure link's URL (`/l/<secret>`) is a credential: whoever reads
 * it opens the company's consent page. The message is rendered and stored with a placeholder in
 * place of the secret; the secret itself is kept beside it encrypted with ENCRYPTION_KEY
 * (AES-256-GCM, integrations/powens/tokens.ts) and put into the bodies only in the sender's memory,
 * as the message leaves for Postmark. Once the message is sent, failed or suppressed for good the
 * encrypted copy is erased: from then on the only copy is the recipient's e-mail.
 */
import { decryptToken, encryptToken } from '../integrations/powens/tokens';

/** Stands for a link's secret in stored bodies (URL- and HTML-safe, never escaped by the templates). */
export const LINK_SECRET_PLACEHOLDER = '__RELEVES_LINK_SECRET__';

/** The link URL as rendered into a stored message: the secret is a placeholder. */
export const linkUrlPlaceholder = (publicBaseUrl: string) => `${publicBaseUrl}/l/${LINK_SECRET_PLACEHOLDER}`;

/** `EmailMessage.secretsEnc` for the given placeholders and the values they stand for. */
export function sealSecrets(secrets: Record<string, string>, encryptionKey: string): string {
  return encryptToken(JSON.stringify(secrets), encryptionKey);
}

/** The placeholders of `secretsEnc` and their values (throws when the key cannot open it). */
export function openSecrets(secretsEnc: string, encryptionKey: string): Record<string, string> {
  const value = JSON.parse(decryptToken(secretsEnc, encryptionKey)) as unknown;
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new TypeError('secretsEnc is not an object');
  return Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/** A body with its placeholders replaced by their values. */
export function withSecrets(body: string, secrets: Record<string, string>): string {
  let out = body;
  for (const [placeholder, value] of Object.entries(secrets)) out = out.split(placeholder).join(value);
  return out;
}

/**
 * The bodies as they will be sent (tests read queued messages with it): the stored ones when the
 * message holds no secret.
 */
export function outboxBodies(
  message: { textBody: string; htmlBody: string; secretsEnc: string | null },
  encryptionKey: string,
): { text: string; html: string } {
  if (!message.secretsEnc) return { text: message.textBody, html: message.htmlBody };
  const secrets = openSecrets(message.secretsEnc, encryptionKey);
  return { text: withSecrets(message.textBody, secrets), html: withSecrets(message.htmlBody, secrets) };
}
