/**
 * Powens webhook HMAC authentication (docs.powens.com, "Webhooks" > HMAC signature):
 *
 *   BI-Signature-Date: 2022-06-27T11:08:52.577831Z          (UTC ISO-8601)
 *   BI-Signature: BASE64( HMAC_SHA256( secret_key, "POST.<path>.<BI-Signature-Date>.<raw body>" ) )
 *
 * `<path>` is the path only (no scheme, host or query) of the listening URL REGISTERED at Powens
 * ("listening URL endpoint"), which is what Powens signs: behind a proxy that rewrites the prefix,
 * the path our endpoint receives differs, so the receiver derives it from its configured public
 * URL (config.powensWebhookBaseUrl). The body is the raw bytes, before any JSON parsing. We
 * compare in constant time and refuse a date outside a freshness window (our choice, Powens
 * mandates none): `toleranceMs` in the past (default 5 min; the endpoint allows days, as whether
 * Powens' retries carry a fresh date is not documented) and `futureToleranceMs` ahead (clock skew,
 * default 5 min). A replayed delivery inside the window is caught by its `id_webhook_data`
 * (`webhookDataId`), which the receiver must record.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

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

/** The two headers to send with a body (tests sign with it; the sandbox signs with its own code). */
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
  /** Path of the URL registered at Powens for this webhook (what Powens signs). */
  path: string;
  rawBody: Buffer | string;
  signature: string | null | undefined;
  date: string | null | undefined;
  method?: string;
  now?: Date | number;
  /** How old the signed date may be (default 5 min). */
  toleranceMs?: number;
  /** How far ahead of our clock the signed date may be (default `toleranceMs` or 5 min, whichever is smaller). */
  futureToleranceMs?: number;
}): WebhookVerification {
  if (!input.signature) return { ok: false, reason: 'missing-signature' };
  if (!input.date) return { ok: false, reason: 'missing-date' };
  const signedAt = Date.parse(input.date);
  if (!ISO_UTC.test(input.date) || Number.isNaN(signedAt)) return { ok: false, reason: 'invalid-date' };
  const now = input.now === undefined ? Date.now() : new Date(input.now).getTime();
  const past = input.toleranceMs ?? DEFAULT_WEBHOOK_TOLERANCE_MS;
  const future = input.futureToleranceMs ?? Math.min(past, DEFAULT_WEBHOOK_TOLERANCE_MS);
  if (now - signedAt > past || signedAt - now > future) return { ok: false, reason: 'stale' };
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

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(header: string | null | undefined): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m ? m[1]! : null;
}

/**
 * Whether a webhook's Bearer token is the user's permanent token, Powens' default webhook
 * authentication ("check that it matches your stored token"). Constant time: both are hashed
 * first, so neither their content nor their length shows in the timing.
 */
export function sameUserToken(given: string, stored: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(stored, 'utf8').digest();
  return timingSafeEqual(a, b);
}
