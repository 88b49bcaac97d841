/**
 * Powens webhook HMAC authentication (docs.powens.com, "Webhooks" > HMAC signature):
 *
 *   BI-Signature-Date: 2022-06-27T11:08:52.577831Z          (UTC ISO-8601)
 *   BI-Signature: BASE64( HMAC_SHA256( secret_key, "POST.<path>.<BI-Signature-Date>.<raw body>" ) )
 *
 * `<path>` is the request path only (no scheme, host or query), as received by our endpoint; the
 * body is the raw bytes, before any JSON parsing. We compare in constant time and refuse a date
 * outside a freshness window (our choice, Powens mandates none; default ±5 min). A replayed
 * delivery inside the window is caught by its `id_webhook_data` (`webhookDataId`), which the
 * receiver must record (Powens also redelivers the same payload on failure, with a new signature).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'BI-Signature';
export const SIGNATURE_DATE_HEADER = 'BI-Signature-Date';
export const DEFAULT_WEBHOOK_TOLERANCE_MS = 5 * 60_000;

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

function message(method: string, path: string, date: string, body: Buffer | string): Buffer {
  const raw = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return Buffer.concat([Buffer.from(`${method.toUpperCase()}.${path}.${date}.`, 'utf8'), raw]);
}

/** The date header value Powens sends: UTC ISO-8601 with microseconds. */
export function formatSignatureDate(now: Date | number = Date.now()): string {
  return new Date(now).toISOString().replace(/Z$/, '000Z');
}

/** The BI-Signature value (base64) for a webhook request. */
export function signWebhook(input: {
  secret: string;
  path: string;
  date: string;
  body: Buffer | string;
  method?: string;
}): string {
  return createHmac('sha256', input.secret)
    .update(message(input.method ?? 'POST', input.path, input.date, input.body))
    .digest('base64');
}

/** The two headers to send with a body (used by the sandbox). */
export function webhookSignatureHeaders(input: {
  secret: string;
  path: string;
  body: Buffer | string;
  now?: Date | number;
}): Record<typeof SIGNATURE_HEADER | typeof SIGNATURE_DATE_HEADER, string> {
  const date = formatSignatureDate(input.now);
  return { [SIGNATURE_HEADER]: signWebhook({ ...input, date }), [SIGNATURE_DATE_HEADER]: date };
}

export type WebhookVerification =
  | { ok: true; signedAt: Date }
  | {
      ok: false;
      reason: 'missing-signature' | 'missing-date' | 'invalid-date' | 'stale' | 'invalid-signature';
    };

export function verifyWebhookSignature(input: {
  secret: string;
  /** Request path as received (Express: `req.path` with the mount prefix, i.e. `new URL(req.originalUrl).pathname`). */
  path: string;
  rawBody: Buffer | string;
  signature: string | null | undefined;
  date: string | null | undefined;
  method?: string;
  now?: Date | number;
  toleranceMs?: number;
}): WebhookVerification {
  if (!input.signature) return { ok: false, reason: 'missing-signature' };
  if (!input.date) return { ok: false, reason: 'missing-date' };
  const signedAt = Date.parse(input.date);
  if (!ISO_UTC.test(input.date) || Number.isNaN(signedAt)) return { ok: false, reason: 'invalid-date' };
  const now = input.now === undefined ? Date.now() : new Date(input.now).getTime();
  if (Math.abs(now - signedAt) > (input.toleranceMs ?? DEFAULT_WEBHOOK_TOLERANCE_MS))
    return { ok: false, reason: 'stale' };
  const expected = Buffer.from(
    signWebhook({
      secret: input.secret,
      path: input.path,
      date: input.date,
      body: input.rawBody,
      method: input.method,
    }),
    'utf8',
  );
  // The base64 texts are compared, so only the canonical encoding passes. Same length first
  // (timingSafeEqual throws otherwise); the length of an HMAC is no secret.
  const given = Buffer.from(input.signature.trim(), 'utf8');
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: 'invalid-signature' };
  return { ok: true, signedAt: new Date(signedAt) };
}

/** `id_webhook_data` of a webhook body (the deduplication key), or null when absent. */
export function webhookDataId(rawBody: Buffer | string | object): number | null {
  let body: unknown = rawBody;
  if (typeof rawBody === 'string' || Buffer.isBuffer(rawBody)) {
    try {
      body = JSON.parse(rawBody.toString());
    } catch {
      return null;
    }
  }
  const v = (body as { id_webhook_data?: unknown } | null)?.id_webhook_data;
  return typeof v === 'number' && Number.isSafeInteger(v) ? v : null;
}
